"""Drawing an image as a model sees it: the resized canvas, its tiles or merge windows,
padding, the extra views (thumbnail, base crop, low-res image) and the token count."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Sequence, Tuple

from .errors import DynresError

_MERGE_LINE = (255, 214, 0, 200)  # one LLM token per merge window (patch·merge pixels)
_PATCH_LINE = (255, 255, 255, 90)  # one ViT patch
_TILE_LINE = (0, 220, 255, 230)  # one tile / crop fed to the vision encoder
_CAPTION_BG = (24, 24, 24)
_CAPTION_FG = (240, 240, 240)
_MIN_SIDE = 320  # small canvases are enlarged (nearest) so the grid stays visible
_GAP = 12  # pixels between the main canvas and a side view


def render(path: Path, plan: Any, model: str, *, patches: bool = False) -> Any:
    """The picture for ``plan`` (a Qwen, InternVL, LLaVA-OneVision or Oryx plan)."""
    rgb = _open(path)
    kind = type(plan).__name__
    if kind == "QwenPlan":
        return _qwen(rgb, plan, model, patches)
    if kind == "InternVLPlan":
        return _internvl(rgb, plan, model)
    if kind == "LlavaOnevisionPlan":
        return _llava(rgb, plan, model)
    if kind == "OryxPlan":
        return _oryx(rgb, plan, model)
    raise DynresError(f"model {model!r} has no drawing")


def _open(path: Path) -> Any:
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except (OSError, ValueError, SyntaxError) as e:
        raise DynresError(f"{path}: unreadable image ({e})") from None


def _qwen(rgb: Any, plan: Any, model: str, patches: bool) -> Any:
    from PIL import Image

    rh, rw = plan.resized_height, plan.resized_width
    canvas = rgb.resize((rw, rh), Image.Resampling.BICUBIC)
    p, window = plan.patch_size, plan.patch_size * plan.merge_size
    lines: List[Tuple[int, Tuple[int, ...], int]] = []
    if patches:
        lines.append((p, _PATCH_LINE, 1))
    lines.append((window, _MERGE_LINE, 2))
    t, gh, gw = plan.grid_thw
    text = (
        f"{model}: {plan.height}x{plan.width} -> {rh}x{rw} px, "
        f"{gh // plan.merge_size}x{gw // plan.merge_size} windows of {window} px = "
        f"{plan.num_tokens} tokens (grid_thw {t}x{gh}x{gw})"
    )
    return _compose(_gridded(canvas, [(s, s, c, w) for s, c, w in lines]), [], text)


def _internvl(rgb: Any, plan: Any, model: str) -> Any:
    from PIL import Image

    rh, rw = plan.resized
    cols, rows = plan.grid
    tile = rh // rows
    canvas = _gridded(rgb.resize((rw, rh), Image.Resampling.BICUBIC), [(tile, tile, _TILE_LINE, 3)])
    side = []
    if plan.has_thumbnail:
        side.append(("thumbnail", rgb.resize((tile, tile), Image.Resampling.BICUBIC)))
    text = (
        f"{model}: {rgb.height}x{rgb.width} -> {rh}x{rw} px, {cols}x{rows} tiles of {tile} px"
        f"{' + thumbnail' if plan.has_thumbnail else ''} = {plan.num_tiles} tiles x "
        f"{plan.tokens_per_tile} = {plan.num_tokens} tokens (with <img></img>)"
    )
    return _compose(canvas, side, text)


def _llava(rgb: Any, plan: Any, model: str) -> Any:
    from PIL import Image

    ch, cw = plan.canvas
    rh, rw = plan.resized
    top, left = plan.paste
    canvas = Image.new("RGB", (cw, ch), (0, 0, 0))
    canvas.paste(rgb.resize((rw, rh), Image.Resampling.BICUBIC), (left, top))
    crop = plan.boxes[0][2] if plan.boxes else 384
    canvas = _gridded(canvas, [(crop, crop, _TILE_LINE, 3)])
    base = rgb.resize((crop, crop), Image.Resampling.BICUBIC)
    cols, rows = plan.grid
    fh, fw = plan.final
    text = (
        f"{model}: {rgb.height}x{rgb.width} -> {rh}x{rw} px on a {ch}x{cw} canvas "
        f"(black = padding), base + {cols}x{rows} crops of {crop} px; features "
        f"{fh}x{fw} after unpadding = {plan.num_tokens} tokens"
    )
    return _compose(canvas, [("base", base)], text)


def _oryx(rgb: Any, plan: Any, model: str) -> Any:
    from PIL import Image

    hh, hw = plan.highres
    gh, gw = plan.highres_grid
    high = _gridded(
        rgb.resize((hw, hh), Image.Resampling.BICUBIC), [(hh // gh, hw // gw, _MERGE_LINE, 1)]
    )
    lh, lw = plan.lowres
    low = rgb.resize((hw, hh), Image.Resampling.BICUBIC).resize((lw, lh), Image.Resampling.BICUBIC)
    text = (
        f"{model}: {rgb.height}x{rgb.width} -> native {hh}x{hw} px ({gh}x{gw} tokens) "
        f"+ low-res {lh}x{lw} px ({plan.lowres_grid[0]}x{plan.lowres_grid[1]} tokens) "
        f"= {plan.num_tokens} tokens with newlines"
    )
    return _compose(high, [("low-res view", low)], text)


def _gridded(img: Any, grids: Sequence[Tuple[int, int, Any, int]]) -> Any:
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


def _compose(main: Any, side: Sequence[Tuple[str, Any]], text: str) -> Any:
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
