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


_THUMB_SIDE = 240  # longest side of one frame on a contact sheet
_SHEET_WIDTH = 1600  # a contact sheet wraps its groups into rows about this wide


def thumbnail(img: Any, lines: Sequence[Tuple[int, Any, int]]) -> Any:
    """``img`` scaled to fit a contact-sheet cell, with lines every ``step`` pixels of
    ``img`` (each ``(step, color, width)``) drawn at their scaled positions."""
    from PIL import Image, ImageDraw

    h, w = img.height, img.width
    s = min(_THUMB_SIDE / max(h, w), max(1, -(-_THUMB_SIDE // max(h, w))))
    th, tw = max(1, round(h * s)), max(1, round(w * s))
    small = img.resize((tw, th), Image.Resampling.BICUBIC if s < 1 else Image.Resampling.NEAREST)
    overlay = Image.new("RGBA", small.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for step, color, width in lines:
        if step * s < 3:
            continue  # too dense to read at this scale
        for x in range(0, w + 1, step):
            xs = min(round(x * s), tw - 1)
            draw.line([(xs, 0), (xs, th - 1)], fill=color, width=width)
        for y in range(0, h + 1, step):
            ys = min(round(y * s), th - 1)
            draw.line([(0, ys), (tw - 1, ys)], fill=color, width=width)
    return Image.alpha_composite(small.convert("RGBA"), overlay).convert("RGB")


def contact_sheet(groups: Sequence[Tuple[str, Sequence[Tuple[str, Any]]]]) -> Any:
    """Labelled groups of labelled cells (e.g. the frames of each temporal patch), the
    groups left to right wrapped into rows; each group boxed so the grouping shows."""
    from PIL import Image, ImageDraw, ImageFont

    size = 14
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: fixed bitmap font
        font = ImageFont.load_default()
    line_h, pad = size + 6, 4
    cell_w = max(img.width for _, cells in groups for _, img in cells)
    cell_h = max(img.height for _, cells in groups for _, img in cells)
    per_group = max(len(cells) for _, cells in groups)
    group_w = per_group * (cell_w + pad) + pad
    group_h = line_h + cell_h + line_h + pad
    cols = max(1, min(len(groups), _SHEET_WIDTH // (group_w + _GAP)))
    rows = -(-len(groups) // cols)
    sheet = Image.new(
        "RGB", (cols * (group_w + _GAP) - _GAP, rows * (group_h + _GAP) - _GAP), _CAPTION_BG
    )
    draw = ImageDraw.Draw(sheet)
    for g, (label, cells) in enumerate(groups):
        x0, y0 = (g % cols) * (group_w + _GAP), (g // cols) * (group_h + _GAP)
        draw.rectangle([x0, y0, x0 + group_w - 1, y0 + group_h - 1], outline=TILE_LINE, width=2)
        draw.text((x0 + pad, y0 + 2), label, fill=_CAPTION_FG, font=font)
        for c, (cell_label, img) in enumerate(cells):
            x = x0 + pad + c * (cell_w + pad)
            sheet.paste(img, (x, y0 + line_h))
            draw.text((x, y0 + line_h + img.height + 2), cell_label, fill=_CAPTION_FG, font=font)
    return sheet
