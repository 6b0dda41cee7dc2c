"""Qwen2-VL image preprocessing: dynres_fast vs transformers 5.x's torchvision and Pil
processors (and 4.57's slow one), same run.

Run: python bench/bench_qwen2vl.py [--repeat N] [--no-457]

Medians, one thread everywhere unless a column says otherwise (``torch.set_num_threads``,
``dynres_fast.set_num_threads``). One-thread figures are the calling thread's CPU time
(the machine may be shared); two-thread figures and the scaling ratios are wall time. The
torchvision processor gets a zero-copy ``(C, H, W)`` uint8 tensor and returns torch
tensors (its best case); the Pil processors get a PIL image.
We run ``compat="torchvision"`` against the torchvision processor and ``compat="pillow"``
against the Pil ones (each is bit-exact to its reference; ``max |diff|`` checks it here).

"floor" = our resize alone + filling a reused float32 buffer of the output's size: what any
implementation that resizes like us and writes the output once must pay. "pooled" is
``reuse_output=True`` (a reused output arena instead of a fresh array each call); the
two-thread scaling is measured pooled, since the page faults of fresh outputs serialise
in the OS whatever the kernel does.

The 4.57 column is timed in a subprocess of a virtualenv with transformers 4.57
(``DYNRES_BENCH_VENV4``, default ``/work/venvs/perf4``); n/a when there is none.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from PIL import Image

import dynres_fast
from dynres_fast import ops, qwen2vl

from _common import machine, median_seconds, ms, photo, ratio, table, transformers4_times

wall = time.perf_counter
CLASS, HUB = (3136, 1003520), (3136, 12845056)
CASES = [  # (label, input (h, w), budget)
    ("1920x1080, class budget", (1080, 1920), CLASS),
    ("4032x3024, class budget", (3024, 4032), CLASS),
    ("1920x1080, hub budget", (1080, 1920), HUB),
    ("640x480, class budget", (480, 640), CLASS),
]


def torch_threads(n: int) -> None:
    import torch

    torch.set_num_threads(n)


def bench_case(size: tuple, budget: tuple, repeat: int) -> dict:
    import torch
    import transformers

    (h, w), (lo, hi) = size, budget
    img = photo(h, w)
    pil = Image.fromarray(img)
    chw = torch.from_numpy(img).permute(2, 0, 1)
    ours = {
        c: qwen2vl.ImageProcessor(min_pixels=lo, max_pixels=hi, compat=c)
        for c in ("pillow", "torchvision")
    }
    tv = transformers.Qwen2VLImageProcessor(min_pixels=lo, max_pixels=hi)
    pil_proc = transformers.Qwen2VLImageProcessorPil(min_pixels=lo, max_pixels=hi)
    r: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want_tv = tv(chw, return_tensors="pt")["pixel_values"].numpy()
        want_pil = pil_proc(pil, return_tensors="np")["pixel_values"]
        r["tv1"] = median_seconds(lambda: tv(chw, return_tensors="pt"), repeat=repeat)
        torch_threads(2)
        r["tv2"] = median_seconds(lambda: tv(chw, return_tensors="pt"), repeat=repeat, clock=wall)
        torch_threads(1)
        r["pil"] = median_seconds(lambda: pil_proc(pil, return_tensors="np"), repeat=repeat)
    got_tv = ours["torchvision"](img)["pixel_values"]
    got_pil = ours["pillow"](img)["pixel_values"]
    r["diff"] = max(float(np.abs(got_tv - want_tv).max()), float(np.abs(got_pil - want_pil).max()))
    for c, p in ours.items():
        r[c] = median_seconds(lambda p=p: p(img), repeat=repeat)
    buf = np.empty_like(got_pil)
    pooled = qwen2vl.ImageProcessor(min_pixels=lo, max_pixels=hi, reuse_output=True)
    pooled_tv = qwen2vl.ImageProcessor(
        min_pixels=lo, max_pixels=hi, compat="torchvision", reuse_output=True
    )
    r["out"] = median_seconds(lambda: pooled(img), repeat=repeat)
    r["out_tv"] = median_seconds(lambda: pooled_tv(img), repeat=repeat)
    rh, rw = ours["pillow"].plan(h, w).resized
    r["resized"] = f"{rh}x{rw}"
    r["resize"] = median_seconds(lambda: ops.resize(img, rh, rw), repeat=repeat)
    r["floor"] = median_seconds(lambda: (ops.resize(img, rh, rw), buf.fill(1.0)), repeat=repeat)
    r["resize_tv"] = median_seconds(
        lambda: ops.resize(img, rh, rw, compat="torchvision"), repeat=repeat
    )
    nchw = (
        torch.from_numpy(img).permute(2, 0, 1)[None].contiguous(memory_format=torch.channels_last)
    )
    r["torch_resize"] = median_seconds(
        lambda: torch.nn.functional.interpolate(
            nchw, size=(rh, rw), mode="bicubic", antialias=True, align_corners=False
        ),
        repeat=repeat,
    )
    batch = [img] * 4
    for n in (1, 2):  # pooled: page faults of fresh outputs serialise in the OS, not in us
        dynres_fast.set_num_threads(n)
        r[f"wall{n}"] = median_seconds(lambda: pooled(img), repeat=2 * repeat, clock=wall)
        r[f"batch{n}"] = median_seconds(lambda: pooled(batch), repeat=repeat, clock=wall)
    dynres_fast.set_num_threads(1)
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-457", action="store_true", help="skip the transformers 4.57 column")
    args = ap.parse_args()
    import torch
    import transformers

    dynres_fast.set_num_threads(1)
    torch_threads(1)
    results = [bench_case(size, budget, args.repeat) for _, size, budget in CASES]
    jobs = [
        {"family": "qwen2vl", "h": s[0], "w": s[1], "min_pixels": b[0], "max_pixels": b[1]}
        for _, s, b in CASES
    ]
    old = [None] * len(CASES) if args.no_457 else transformers4_times(jobs, args.repeat)
    print(
        f"machine: {machine()}; transformers {transformers.__version__}, torch "
        f"{torch.__version__}, Pillow {Image.__version__}, numpy {np.__version__}\n"
    )
    speed = [
        (
            label,
            r["resized"],
            ms(r["torchvision"]),
            f"{ms(r['tv1'])} / {ms(r['tv2'])}",
            f"**{ratio(r['tv1'], r['torchvision'])}**",
            ms(r["pillow"]),
            ms(r["pil"]),
            f"**{ratio(r['pil'], r['pillow'])}**",
            f"{ms(o)} ({ratio(o, r['pillow'])})",
            f"{r['diff']:.0e}" if r["diff"] else "0",
        )
        for (label, _, _), r, o in zip(CASES, results, old)
    ]
    print(
        table(
            speed,
            (
                "case",
                "resized",
                "ours tv ms",
                "5.x torchvision ms (1 / 2 threads)",
                "vs tv (1 thread)",
                "ours pillow ms",
                "5.x Pil ms",
                "vs Pil",
                "4.57 slow ms (vs ours)",
                "max abs diff",
            ),
        )
    )
    print()
    floor = [
        (
            label,
            ms(r["floor"]),
            f"{ratio(r['pillow'], r['floor'])} / {ratio(r['out'], r['floor'])}",
            f"{ms(r['out_tv'])} / {ms(r['out'])}",
            f"**{ratio(r['tv1'], r['out_tv'])}** / **{ratio(r['pil'], r['out'])}**",
            f"{ms(r['resize'])} / {ms(r['resize_tv'])} / {ms(r['torch_resize'])}",
            f"{ratio(r['wall1'], r['wall2'])} / {ratio(r['batch1'], r['batch2'])}",
        )
        for (label, _, _), r in zip(CASES, results)
    ]
    print(
        table(
            floor,
            (
                "case",
                "floor ms",
                "ours / floor (fresh / pooled)",
                "pooled ms (tv / pillow)",
                "pooled vs 5.x (tv / Pil)",
                "resize ms: ours pillow / ours tv / torch channels-last",
                "2 threads, pooled: 1 image / 4 images",
            ),
        )
    )


if __name__ == "__main__":
    main()
