"""compat="torchvision" timings: resize, the Qwen2-VL, InternVL and LLaVA-OneVision
processors vs compat="pillow", and
vs pillow-simd's resize when the installed PIL is pillow-simd (the bytes torchvision makes).

Usage: python bench/bench_torchvision_compat.py [--repeat N]
With pillow-simd (see scripts/gen_torchvision_golden.py for the venv):
    PYTHONPATH=python /work/venvs/tv/bin/python bench/bench_torchvision_compat.py

Single thread (dynres_fast's default), best of 3 medians of N runs in ms, bicubic, RGB
noise images.
"""

from __future__ import annotations

import argparse
import importlib.metadata
from functools import partial

import numpy as np
from PIL import Image

from dynres_fast import internvl, ops, qwen2vl
from dynres_fast import llava_onevision as ov

from _common import machine, median_seconds, table

RESIZES = [((1080, 1920), (1092, 1932)), ((1080, 1920), (728, 1316)), ((3024, 4032), (840, 1148))]
# (input size, max_pixels): the resized sizes are the three above.
PROCESSOR = [((1080, 1920), 12845056), ((1080, 1920), 1003520), ((3024, 4032), 1003520)]


def pil_flavour() -> str:
    try:
        return f"pillow-simd {importlib.metadata.version('pillow-simd')}"
    except importlib.metadata.PackageNotFoundError:
        return f"Pillow {Image.__version__}"


def ms(fn, repeat: int, rounds: int = 3) -> float:
    """Best of ``rounds`` medians: large fresh outputs (6 MB at 1932x1092) page-fault or
    not depending on glibc's adaptive mmap threshold, which swings single medians 3x."""
    return min(median_seconds(fn, repeat=repeat) for _ in range(rounds)) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=11)
    args = ap.parse_args()
    flavour = pil_flavour()
    simd = flavour.startswith("pillow-simd")
    print(f"{machine()}; {flavour}; 1 thread, best of 3 medians of {args.repeat} (ms)\n")
    rng = np.random.default_rng(0)
    rows = []
    for (h, w), (oh, ow) in RESIZES:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        tv = ms(partial(ops.resize, img, oh, ow, compat="torchvision"), args.repeat)
        pil = ms(partial(ops.resize, img, oh, ow, compat="pillow"), args.repeat)
        row = [f"{w}x{h} → {ow}x{oh}", f"{tv:.2f}", f"{pil:.2f}", f"{pil / tv:.2f}x"]
        im = Image.fromarray(img)
        ref = ms(partial(im.resize, (ow, oh), Image.Resampling.BICUBIC), args.repeat)
        if simd:
            same = np.array_equal(
                np.asarray(im.resize((ow, oh), Image.Resampling.BICUBIC)),
                ops.resize(img, oh, ow, compat="torchvision"),
            )
            row += [f"{ref:.2f}", f"{ref / tv:.2f}x", "yes" if same else "NO"]
        else:
            row += [f"{ref:.2f}", f"{ref / tv:.2f}x", "n/a"]
        rows.append(row)
    ref_name = flavour.split()[0]
    print("resize (bicubic, RGB)\n")
    print(
        table(
            rows,
            [
                "size",
                "torchvision compat",
                "pillow compat",
                "pillow / tv",
                ref_name,
                f"{ref_name} / tv",
                "bytes equal" if simd else "",
            ],
        )
    )
    rows = []
    for (h, w), max_pixels in PROCESSOR:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        tv_proc = qwen2vl.ImageProcessor(max_pixels=max_pixels, compat="torchvision")
        pil_proc = qwen2vl.ImageProcessor(max_pixels=max_pixels, compat="pillow")
        oh, ow = tv_proc.plan(h, w).resized
        tv = ms(partial(tv_proc, img), args.repeat)
        pil = ms(partial(pil_proc, img), args.repeat)
        rows.append([f"{w}x{h} → {ow}x{oh}", f"{tv:.2f}", f"{pil:.2f}", f"{pil / tv:.2f}x"])
    print("\nQwen2-VL ImageProcessor, float32 pixel_values (resize + fused normalise/patchify)\n")
    print(table(rows, ["image → resized", "torchvision compat", "pillow compat", "pillow / tv"]))
    family_rows(rng, args.repeat)


def family_rows(rng: np.random.Generator, repeat: int) -> None:
    """InternVL and LLaVA-OneVision processors, both compats, float32 output."""
    img = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    few = [rng.integers(0, 256, s + (3,), dtype=np.uint8) for s in [(480, 640), (900, 500)]]
    video = rng.integers(0, 256, (8, 480, 640, 3), dtype=np.uint8)
    cases = [
        ("InternVL 1920x1080, max_num 12", internvl.ImageProcessor, "__call__", img),
        ("LLaVA-OV anyres 1920x1080", ov.ImageProcessor, "__call__", img),
        ("LLaVA-OV multi_image 640x480 + 500x900", ov.ImageProcessor, "multi_image", few),
        ("LLaVA-OV videos 8 x 640x480", ov.ImageProcessor, "videos", video),
        ("InternVL videos 8 x 640x480", internvl.ImageProcessor, "videos", video),
    ]
    rows = []
    for name, make, method, arg in cases:
        tv = ms(partial(getattr(make(compat="torchvision"), method), arg), repeat)
        pil = ms(partial(getattr(make(compat="pillow"), method), arg), repeat)
        rows.append([name, f"{tv:.2f}", f"{pil:.2f}", f"{pil / tv:.2f}x"])
    print("\nInternVL / LLaVA-OneVision processors, float32 pixel values\n")
    print(table(rows, ["call", "torchvision compat", "pillow compat", "pillow / tv"]))


if __name__ == "__main__":
    main()
