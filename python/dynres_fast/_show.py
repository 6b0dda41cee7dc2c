"""Drawing an image as a Qwen-VL model sees it: resized canvas, merge windows, token count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import DynresError

_MERGE_LINE = (255, 214, 0, 200)  # one LLM token per merge window (patch·merge pixels)
_PATCH_LINE = (255, 255, 255, 90)  # one ViT patch
_CAPTION_BG = (24, 24, 24)
_CAPTION_FG = (240, 240, 240)
_MIN_SIDE = 320  # small canvases are enlarged (nearest) so the grid stays visible


def render(path: Path, plan: Any, model: str, *, patches: bool = False) -> Any:
    """The resized image with the grid drawn on it and a caption band; a PIL RGB image."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        with Image.open(path) as im:
            rgb = im.convert("RGB")
    except (OSError, ValueError, SyntaxError) as e:
        raise DynresError(f"{path}: unreadable image ({e})") from None
    rh, rw = plan.resized_height, plan.resized_width
    canvas = rgb.resize((rw, rh), Image.Resampling.BICUBIC)
    zoom = max(1, -(-_MIN_SIDE // min(rh, rw)))
    if zoom > 1:
        canvas = canvas.resize((rw * zoom, rh * zoom), Image.Resampling.NEAREST)
    overlay = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    p, window = plan.patch_size, plan.patch_size * plan.merge_size
    if patches:
        _grid(draw, rh, rw, p, zoom, _PATCH_LINE, 1)
    _grid(draw, rh, rw, window, zoom, _MERGE_LINE, 2 if min(rh, rw) * zoom >= 600 else 1)
    canvas = Image.alpha_composite(canvas.convert("RGBA"), overlay).convert("RGB")

    t, gh, gw = plan.grid_thw
    text = (
        f"{model}: {plan.height}x{plan.width} -> {rh}x{rw} px, "
        f"{gh // plan.merge_size}x{gw // plan.merge_size} windows of {window} px = "
        f"{plan.num_tokens} tokens (grid_thw {t}x{gh}x{gw})"
    )
    size = max(12, min(28, canvas.width // 45))
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: fixed bitmap font
        font = ImageFont.load_default()
    lines = _wrap(draw, text, font, canvas.width - 16)
    line_h = size + 6
    out = Image.new("RGB", (canvas.width, canvas.height + line_h * len(lines) + 12), _CAPTION_BG)
    out.paste(canvas, (0, 0))
    cap = ImageDraw.Draw(out)
    for i, line in enumerate(lines):
        cap.text((8, canvas.height + 6 + i * line_h), line, fill=_CAPTION_FG, font=font)
    return out


def _grid(draw: Any, rh: int, rw: int, step: int, zoom: int, color: Any, width: int) -> None:
    for x in range(0, rw + 1, step):
        xz = min(x * zoom, rw * zoom - 1)
        draw.line([(xz, 0), (xz, rh * zoom - 1)], fill=color, width=width)
    for y in range(0, rh + 1, step):
        yz = min(y * zoom, rh * zoom - 1)
        draw.line([(0, yz), (rw * zoom - 1, yz)], fill=color, width=width)


def _wrap(draw: Any, text: str, font: Any, width: int) -> list:
    words, lines, cur = text.split(" "), [], ""
    for word in words:
        trial = f"{cur} {word}".strip()
        if cur and draw.textlength(trial, font=font) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    return lines + [cur]
