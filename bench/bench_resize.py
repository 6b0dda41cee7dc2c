"""Single-threaded resize timings: dynres_fast (Pillow and torchvision tables) vs torch's
channels-last uint8 antialiased kernel (what torchvision runs), Pillow and OpenCV.

Usage: python bench/bench_resize.py [--repeat N] [--passes]

Each cell is the median CPU time of the calling thread over N runs (ms; steady on a shared
machine), one thread everywhere (``torch.set_num_threads(1)``, ``cv2.setNumThreads(1)``).
The ratios compare with torch in the same run (< 1: faster than torch). ``--passes`` adds
width-only and height-only resizes, the cost of each pass on the full image. OpenCV's
INTER_CUBIC is *not* Pillow-exact and is listed only as a speed reference; torch and
OpenCV columns are skipped when they are not importable.
"""

from __future__ import annotations

import argparse
from functools import partial
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
from PIL import Image

from dynres_fast import ops

from _common import machine, median_seconds, table

try:
    import cv2

    cv2.setNumThreads(1)
except ImportError:  # OpenCV is optional
    cv2 = None

CASES = [((1080, 1920), (728, 1316)), ((3024, 4032), (840, 1148)), ((480, 640), (476, 644))]


def torch_resize() -> Optional[Callable[[np.ndarray, int, int], np.ndarray]]:
    """torch's uint8 antialiased bicubic on a channels-last view, one thread (None
    without torch)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)

    def run(img: np.ndarray, oh: int, ow: int) -> np.ndarray:
        t = torch.from_numpy(img).permute(2, 0, 1)[None]  # NCHW, channels-last memory
        out = torch.nn.functional.interpolate(t, (oh, ow), mode="bicubic", antialias=True)
        return out[0].permute(1, 2, 0).numpy()

    return run


def ms(fn: Callable[[], object], repeat: int) -> float:
    return median_seconds(fn, repeat=repeat) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--passes", action="store_true", help="also time each pass alone")
    args = ap.parse_args()
    torch_fn = torch_resize()
    print(
        f"{machine()}; Pillow {Image.__version__}; "
        f"torch {'yes' if torch_fn else 'not installed'}; "
        f"OpenCV {cv2.__version__ if cv2 else 'not installed'}; "
        f"bicubic RGB, 1 thread, median CPU ms of {args.repeat}\n"
    )
    rng = np.random.default_rng(0)
    rows: List[List[str]] = []
    for (h, w), (oh, ow) in CASES:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        pil = Image.fromarray(img)
        targets: List[Tuple[str, int, int]] = [("", oh, ow)]
        if args.passes:
            targets += [(" (width only)", h, ow), (" (height only)", oh, w)]
        for label, th, tw in targets:
            t: Dict[str, float] = {
                "pillow": ms(partial(ops.resize, img, th, tw, compat="pillow"), args.repeat),
                "tv": ms(partial(ops.resize, img, th, tw, compat="torchvision"), args.repeat),
            }
            exact_pil = np.array_equal(
                ops.resize(img, th, tw), np.asarray(pil.resize((tw, th), Image.Resampling.BICUBIC))
            )
            row = [f"{w}×{h} → {tw}×{th}{label}", f"{t['pillow']:.2f}", f"{t['tv']:.2f}"]
            if torch_fn is not None:
                t["torch"] = ms(partial(torch_fn, img, th, tw), args.repeat)
                exact_tv = np.array_equal(
                    ops.resize(img, th, tw, compat="torchvision"), torch_fn(img, th, tw)
                )
                row += [
                    f"{t['torch']:.2f}",
                    f"{t['pillow'] / t['torch']:.2f}",
                    f"{t['tv'] / t['torch']:.2f}",
                ]
            pil_ms = ms(partial(pil.resize, (tw, th), Image.Resampling.BICUBIC), args.repeat)
            row.append(f"{pil_ms:.2f}")
            if cv2 is not None:
                cub = ms(
                    partial(cv2.resize, img, (tw, th), interpolation=cv2.INTER_CUBIC),
                    args.repeat,
                )
                row.append(f"{cub:.2f}")
            exact = "yes" if exact_pil else "NO"
            if torch_fn is not None:
                exact += " / " + ("yes" if exact_tv else "NO")
            rows.append(row + [exact])
    header = ["size", 'compat="pillow"', 'compat="torchvision"']
    if torch_fn is not None:
        header += ["torch uint8 AA", "pillow / torch", "torchvision / torch"]
    header.append(f"Pillow {Image.__version__}")
    if cv2 is not None:
        header.append("cv2 INTER_CUBIC")
    header.append("bit-exact (Pillow / torch)" if torch_fn else "bit-exact (Pillow)")
    print(table(rows, header))


if __name__ == "__main__":
    main()
