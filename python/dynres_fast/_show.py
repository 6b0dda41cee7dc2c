"""Drawing an image as a model sees it: the shared canvas helpers (grid lines, side views,
caption) that each family's ``draw(image, plan, title)`` composes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Sequence, Tuple

from .errors import DynresError

MERGE_LINE = (255, 214, 0, 200)  # one LLM token per merge window (patch·merge pixels)
PATCH_LINE = (255, 255, 255, 90)  # one ViT patch
TILE_LINE = (0, 220, 255, 230)  # one tile / crop fed to the vision encoder
_CAPTION_BG = (24, 24, 24)
_CAPTION_FG = (240, 240, 240)
_MIN_SIDE = 320  # small canvases are enlarged (nearest) so the grid stays visible
_GAP = 12  # pixels between the main canvas and a side view


def render(path: Path, plan: Any, spec: Any, *, patches: bool = False) -> Any:
    """The picture of the image at ``path`` as ``spec``'s model sees it (its family draws
    ``plan``)."""
    return spec.family.draw(_open(path), plan, spec.name, patches=patches)


def _open(path: Path) -> Any:
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except (OSError, ValueError, SyntaxError) as e:
        raise DynresError(f"{path}: unreadable image ({e})") from None


def gridded(img: Any, grids: Sequence[Tuple[int, int, Any, int]]) -> Any:
    """``img`` enlarged if small, with lines every ``(step_y, step_x)`` pixels per grid."""
    from PIL import Image, ImageDraw

    h, w = img.height, img.width
    zoom = max(1, -(-_MIN_SIDE // min(h, w)))
    if zoom > 1:
        img = img.resize((w * zoom, h * zoom), Image.Resampling.NEAREST)
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for sy, sx, color, width in grids:
        width = width if min(h, w) * zoom >= 600 or width == 1 else max(1, width - 1)
        for x in range(0, w + 1, sx):
            xz = min(x * zoom, w * zoom - 1)
            draw.line([(xz, 0), (xz, h * zoom - 1)], fill=color, width=width)
        for y in range(0, h + 1, sy):
            yz = min(y * zoom, h * zoom - 1)
            draw.line([(0, yz), (w * zoom - 1, yz)], fill=color, width=width)
    return Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")


def compose(main: Any, side: Sequence[Tuple[str, Any]], text: str) -> Any:
    """``main`` with labelled side views to its right and a caption band below."""
    from PIL import Image, ImageDraw, ImageFont

    width = main.width + sum(_GAP + v.width for _, v in side)
    size = max(12, min(28, width // 50))
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: fixed bitmap font
        font = ImageFont.load_default()
    line_h = size + 6
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    lines = _wrap(probe, text, font, width - 16)
    height = max([main.height] + [v.height + line_h for _, v in side])
    out = Image.new("RGB", (width, height + line_h * len(lines) + 12), _CAPTION_BG)
    out.paste(main, (0, 0))
    draw = ImageDraw.Draw(out)
    x = main.width + _GAP
    for label, view in side:
        draw.text((x, 2), label, fill=_CAPTION_FG, font=font)
        out.paste(view, (x, line_h))
        x += view.width + _GAP
    for i, line in enumerate(lines):
        draw.text((8, height + 6 + i * line_h), line, fill=_CAPTION_FG, font=font)
    return out


def _wrap(draw: Any, text: str, font: Any, width: int) -> List[str]:
    words, lines, cur = text.split(" "), [], ""
    for word in words:
        trial = f"{cur} {word}".strip()
        if cur and draw.textlength(trial, font=font) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    return lines + [cur]
