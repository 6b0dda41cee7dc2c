"""The ``dynres-fast`` command line."""

from __future__ import annotations

import argparse
import sys
import time
from importlib import resources
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from . import __version__, qwen2vl
from .errors import DynresError

_SAMPLE_PROMPT_TEXT = 4  # text tokens before the image in the demo prompt


def sample_images() -> List[Path]:
    """The bundled sample photographs (see ``samples/LICENSE.md``)."""
    root = resources.files("dynres_fast") / "samples"
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".jpg"))


def _load(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [list(map(str, header))] + [list(map(str, r)) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _median_ms(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times))


def demo(_args: argparse.Namespace) -> int:
    """Plans and pixels for the bundled samples, Qwen2.5-VL hub budget."""
    proc = qwen2vl.ImageProcessor.qwen2_5_vl()
    print(
        f"dynres_fast {__version__}: Qwen2.5-VL "
        f"(hub budget {proc.min_pixels:g}..{proc.max_pixels:g} px)\n"
    )
    rows = []
    for path in sample_images():
        img = _load(path)
        h, w = img.shape[:2]
        out = proc(img)
        ms = _median_ms(lambda img=img: proc(img))
        grid = tuple(int(v) for v in out["image_grid_thw"][0])
        rows.append(
            (
                path.name,
                f"{h}x{w}",
                "x".join(map(str, proc.resized_size(h, w))),
                grid,
                proc.num_image_tokens(h, w),
                out["pixel_values"].shape,
                f"{ms:.2f}",
            )
        )
    print(
        _table(
            rows,
            ("image", "input HxW", "resized HxW", "grid_thw", "tokens", "pixel_values", "ms/image"),
        )
    )
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``dynres-fast`` console script."""
    parser = argparse.ArgumentParser(prog="dynres-fast", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run every planner and processor on the bundled sample images")
    args = parser.parse_args(argv)
    try:
        return {"demo": demo}[args.command](args)
    except (DynresError, OSError) as e:
        print(f"dynres-fast: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
