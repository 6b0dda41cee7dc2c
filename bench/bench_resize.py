"""Single-threaded resize timings: dynres_fast vs Pillow vs OpenCV (if importable).

Usage: python bench/bench_resize.py [--repeat N]

Prints the median of N runs (ms) per case and the speed ratios. OpenCV runs with
``cv2.setNumThreads(1)``; its INTER_CUBIC / INTER_AREA are *not* Pillow-exact and are
listed only as a speed reference. dynres_fast's scalar path is shown too.
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import numpy as np
from PIL import Image

from dynres_fast import _core, ops

try:
    import cv2

    cv2.setNumThreads(1)
except ImportError:  # OpenCV is optional
    cv2 = None

CASES = [((1080, 1920), (728, 1316)), ((3024, 4032), (840, 1148)), ((480, 640), (476, 644))]


def median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print(f"Pillow {Image.__version__}; OpenCV {cv2.__version__ if cv2 else 'not installed'}")
    for (h, w), (oh, ow) in CASES:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        pil = Image.fromarray(img)
        run = partial(median_ms, repeat=args.repeat)
        ours = run(partial(ops.resize, img, oh, ow, filter="bicubic"))
        scalar = run(partial(_core.resize, img, oh, ow, "bicubic", "pillow", "scalar"))
        pil_ms = run(partial(pil.resize, (ow, oh), Image.BICUBIC))
        exact = np.array_equal(ops.resize(img, oh, ow), np.asarray(pil.resize((ow, oh))))
        line = (
            f"{w}x{h} -> {ow}x{oh} bicubic RGB: dynres_fast {ours:6.2f} ms "
            f"(scalar {scalar:6.2f}) | Pillow {pil_ms:6.2f} ms ({pil_ms / ours:4.1f}x)"
        )
        if cv2 is not None:
            cub = run(partial(cv2.resize, img, (ow, oh), interpolation=cv2.INTER_CUBIC))
            area = run(partial(cv2.resize, img, (ow, oh), interpolation=cv2.INTER_AREA))
            line += (
                f" | cv2 CUBIC {cub:6.2f} ms ({cub / ours:4.2f}x)"
                f" AREA {area:6.2f} ms ({area / ours:4.2f}x)"
            )
        print(line + f" | exact={exact}")


if __name__ == "__main__":
    main()
