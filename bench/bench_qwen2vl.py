"""Qwen2-VL image preprocessing: dynres_fast vs transformers' slow processor, same run.

Run: python bench/bench_qwen2vl.py [--repeat N]

Single thread, medians. Also reports the time against writing the float32 output once
(``np.ones(shape, np.float32)``, the floor for any implementation that returns a fresh
array) and two-thread throughput (two Python threads, GIL released in the kernels).
"""

from __future__ import annotations

import argparse
import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

import dynres_fast
from dynres_fast import qwen2vl

from _common import machine, median_seconds, table

SAMPLES = Path(dynres_fast.__file__).parent / "samples"

CASES = [  # (label, input (h, w), processor budget)
    ("1920x1080 photo, hub budget", (1080, 1920), (3136, 12845056)),
    ("4032x3024 photo, class default", (3024, 4032), (3136, 1003520)),
]


def photo(h: int, w: int) -> np.ndarray:
    """A bundled photograph scaled to (h, w) with a little sensor noise."""
    with Image.open(SAMPLES / "rocket.jpg") as im:
        base = np.asarray(im.convert("RGB").resize((w, h), Image.BICUBIC), dtype=np.int16)
    noise = np.random.default_rng(0).integers(-3, 4, base.shape, dtype=np.int16)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def two_thread_speedup(proc: qwen2vl.ImageProcessor, img: np.ndarray, n: int = 8) -> float:
    def work(k: int) -> None:
        for _ in range(k):
            proc(img)

    one = median_seconds(lambda: work(n), repeat=3)

    def two() -> None:
        ts = [threading.Thread(target=work, args=(n // 2,)) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    return one / median_seconds(two, repeat=3)


def bench_case(label: str, size: tuple, budget: tuple, repeat: int) -> tuple:
    import transformers

    (h, w), (lo, hi) = size, budget
    img = photo(h, w)
    ours = qwen2vl.ImageProcessor(min_pixels=lo, max_pixels=hi)
    theirs = transformers.Qwen2VLImageProcessor(min_pixels=lo, max_pixels=hi)
    pil = Image.fromarray(img)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = theirs(pil, return_tensors="np")["pixel_values"]
        t_up = median_seconds(lambda: theirs(pil, return_tensors="np"), repeat=repeat)
    got = ours(img)["pixel_values"]
    err = float(np.abs(got - want).max())
    t_ours = median_seconds(lambda: ours(img), repeat=repeat)
    t_floor = median_seconds(lambda: np.ones(got.shape, np.float32), repeat=repeat)
    rh, rw = ours.plan(h, w).resized
    t_resize = median_seconds(lambda: dynres_fast.ops.resize(img, rh, rw), repeat=repeat)
    t_pil = median_seconds(lambda: pil.resize((rw, rh), Image.BICUBIC), repeat=repeat)
    return (
        label,
        f"{rh}x{rw}",
        f"{t_ours * 1e3:.1f}",
        f"{t_up * 1e3:.0f}",
        f"**{t_up / t_ours:.0f}x**",
        f"{t_ours / t_floor:.2f}x",
        f"{t_resize * 1e3:.1f} / {t_pil * 1e3:.1f}",
        f"{two_thread_speedup(ours, img):.2f}x",
        f"{err:.0e}",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    import transformers

    rows = [bench_case(label, size, budget, args.repeat) for label, size, budget in CASES]
    print(
        f"machine: {machine()}; transformers {transformers.__version__}, "
        f"Pillow {Image.__version__}, numpy {np.__version__}\n"
    )
    print(
        table(
            rows,
            (
                "case",
                "resized",
                "dynres_fast ms",
                "transformers slow ms",
                "speed-up",
                "vs np.ones floor",
                "resize ms (ours / Pillow)",
                "2 threads",
                "max |diff|",
            ),
        )
    )


if __name__ == "__main__":
    main()
