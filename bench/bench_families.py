"""InternVL, LLaVA-OneVision and Oryx image preprocessing: dynres_fast vs transformers
5.x's torchvision and Pil processors (and 4.57's slow ones), same run.

Run: python bench/bench_families.py [--repeat N] [--no-457]

Medians, one thread (torch too) unless a column says otherwise; one-thread figures are the
calling thread's CPU time (the machine may be shared), the two-thread column wall time. Upstream:
``GotOcr2ImageProcessor(crop_to_patches=True)`` (InternVL, max 12 tiles of 448²),
``LlavaOnevisionImageProcessor`` with SigLIP's 0.5/0.5 (anyres_max_9), each in its
torchvision class (fed a zero-copy ``(C, H, W)`` uint8 tensor) and its ``…Pil`` class (fed
a PIL image). Oryx has no transformers processor: its code resizes with PIL
(``tests/reference/oryx.py``) and then calls ``CLIPImageProcessor`` without resize or crop,
mean = std = 0.5; the torchvision column is that with 5.x's default (torchvision) CLIP
class, the Pil column with ``CLIPImageProcessorPil``. We run ``compat="torchvision"``
against torchvision processors where the family has it, else ``compat="pillow"``.

"floor" = our resizes alone (the ones the family needs) + filling a reused float32 buffer
of the output's size. The 4.57 column is timed as in ``bench_qwen2vl.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np
from PIL import Image

from dynres_fast import internvl, ops, oryx
from dynres_fast import llava_onevision as ov

from _common import machine, median_seconds, ms, photo, ratio, table, transformers4_times

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reference import oryx as oryx_ref  # noqa: E402

SIZES = [("1920x1080", (1080, 1920)), ("4032x3024", (3024, 4032))]


def internvl_family() -> Dict[str, Any]:
    import transformers as tf

    kw = dict(
        crop_to_patches=True,
        min_patches=1,
        max_patches=12,
        size={"height": 448, "width": 448},
        image_mean=internvl.IMAGENET_MEAN,
        image_std=internvl.IMAGENET_STD,
    )
    tv, pil = tf.GotOcr2ImageProcessor(**kw), tf.GotOcr2ImageProcessorPil(**kw)
    ours = {c: internvl.ImageProcessor(max_num=12, compat=c) for c in ("pillow", "torchvision")}

    def resizes(img):
        p = ours["pillow"].plan(*img.shape[:2])
        ops.resize(img, *p.resized)
        if p.has_thumbnail:
            ops.resize(img, 448, 448)

    return {
        "ours": {c: (lambda img, p=p: [p(img)["pixel_values"]]) for c, p in ours.items()},
        "tv": lambda t: tv(t, return_tensors="pt")["pixel_values"],
        "pil": lambda im: pil(im, return_tensors="np")["pixel_values"],
        "resizes": resizes,
        "describe": lambda img: f"{ours['pillow'].plan(*img.shape[:2]).num_tiles} tiles of 448²",
        "job": {"family": "internvl"},
    }


def llava_ov_family() -> Dict[str, Any]:
    import transformers as tf

    kw = dict(image_mean=ov.SIGLIP_MEAN, image_std=ov.SIGLIP_STD)
    tv, pil = tf.LlavaOnevisionImageProcessor(**kw), tf.LlavaOnevisionImageProcessorPil(**kw)
    ours = {c: ov.ImageProcessor.llava_onevision(compat=c) for c in ("pillow", "torchvision")}

    def resizes(img):
        ops.resize(img, *ov.plan(*img.shape[:2]).resized)
        ops.resize(img, 384, 384)

    return {
        "ours": {c: (lambda img, p=p: [p(img)["pixel_values"]]) for c, p in ours.items()},
        "tv": lambda t: tv(t, return_tensors="pt")["pixel_values"],
        "pil": lambda im: pil(im, return_tensors="np")["pixel_values"],
        "resizes": resizes,
        "describe": lambda img: f"{ov.plan(*img.shape[:2]).num_crops} crops of 384²",
        "job": {"family": "llava_onevision"},
    }


def oryx_family() -> Dict[str, Any]:
    import transformers as tf

    kw = dict(do_resize=False, do_center_crop=False, image_mean=oryx.ORYX_MEAN)
    kw["image_std"] = oryx.ORYX_STD
    tv, pil = tf.CLIPImageProcessor(**kw), tf.CLIPImageProcessorPil(**kw)
    ours = oryx.ImageProcessor()

    def mine(img):
        out = ours(img)
        return [out["pixel_values"][0], out["pixel_values_lowres"][0]]

    def resizes(img):
        p = oryx.plan(*img.shape[:2])
        high = ops.resize(img, *p.highres)
        ops.resize(high, *p.lowres)

    def describe(img):
        p = oryx.plan(*img.shape[:2])
        return f"{p.highres[0]}x{p.highres[1]} + {p.lowres[0]}x{p.lowres[1]}"

    return {
        "ours": {"pillow": mine},
        "tv": lambda im: [tv(x, return_tensors="pt")["pixel_values"][0] for x in resized(im)],
        "pil": lambda im: [pil(x, return_tensors="np")["pixel_values"][0] for x in resized(im)],
        "tv_input": "pil",
        "resizes": resizes,
        "describe": describe,
        "job": {"family": "oryx"},
    }


def resized(pil_image) -> tuple:
    return oryx_ref.resized_images(pil_image)


def max_diff(a: List[Any], b: List[Any]) -> float:
    return max(
        float(np.abs(np.asarray(x, np.float32) - np.asarray(y, np.float32)).max())
        for x, y in zip(a, b)
    )


def as_list(x: Any) -> List[Any]:
    return list(x) if isinstance(x, list) else [x]


def bench_row(fam: Dict[str, Any], img: np.ndarray, repeat: int) -> Dict[str, Any]:
    import torch

    pil = Image.fromarray(img)
    tv_in = pil if fam.get("tv_input") == "pil" else torch.from_numpy(img).permute(2, 0, 1)
    ours: Dict[str, Callable] = fam["ours"]
    tv_ours = ours.get("torchvision", ours["pillow"])
    r: Dict[str, Any] = {"output": fam["describe"](img)}
    slow_repeat = max(3, repeat // 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r["diff"] = max(
            max_diff(tv_ours(img), [t.numpy() for t in as_list(fam["tv"](tv_in))]),
            max_diff(ours["pillow"](img), as_list(fam["pil"](pil))),
        )
        r["tv1"] = median_seconds(lambda: fam["tv"](tv_in), repeat=slow_repeat)
        torch.set_num_threads(2)
        r["tv2"] = median_seconds(
            lambda: fam["tv"](tv_in), repeat=slow_repeat, clock=time.perf_counter
        )
        torch.set_num_threads(1)
        r["pil"] = median_seconds(lambda: fam["pil"](pil), repeat=slow_repeat)
    r["ours_tv"] = median_seconds(lambda: tv_ours(img), repeat=repeat)
    r["ours"] = median_seconds(lambda: ours["pillow"](img), repeat=repeat)
    total = sum(np.asarray(a).size for a in ours["pillow"](img))
    buf = np.empty(total, np.float32)
    r["floor"] = median_seconds(lambda: (fam["resizes"](img), buf.fill(1.0)), repeat=repeat)
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-457", action="store_true", help="skip the transformers 4.57 column")
    args = ap.parse_args()
    import torch
    import transformers

    import dynres_fast

    dynres_fast.set_num_threads(1)
    torch.set_num_threads(1)
    families = [
        ("InternVL (max 12 tiles)", internvl_family()),
        ("LLaVA-OV (anyres_max_9)", llava_ov_family()),
        ("Oryx", oryx_family()),
    ]
    cases, jobs = [], []
    for label, (h, w) in SIZES:
        img = photo(h, w)
        for name, fam in families:
            cases.append((name, label, bench_row(fam, img, args.repeat)))
            jobs.append({**fam["job"], "h": h, "w": w})
    slow_repeat = max(3, args.repeat // 2)
    old = [None] * len(cases) if args.no_457 else transformers4_times(jobs, slow_repeat)
    print(
        f"machine: {machine()}; transformers {transformers.__version__}, torch "
        f"{torch.__version__}, Pillow {Image.__version__}, numpy {np.__version__}; 1 thread\n"
    )
    rows = [
        (
            name,
            label,
            r["output"],
            ms(r["ours_tv"]),
            f"{ms(r['tv1'])} / {ms(r['tv2'])}",
            f"**{ratio(r['tv1'], r['ours_tv'])}**",
            ms(r["ours"]),
            ms(r["pil"]),
            f"**{ratio(r['pil'], r['ours'])}**",
            f"{ms(o)} ({ratio(o, r['ours'])})",
            f"{ms(r['floor'])} ({ratio(r['ours'], r['floor'])})",
            f"{r['diff']:.0e}" if r["diff"] else "0",
        )
        for (name, label, r), o in zip(cases, old)
    ]
    header = (
        "family",
        "photo",
        "output",
        "ours tv ms",
        "5.x torchvision ms (1 / 2 threads)",
        "vs tv",
        "ours pillow ms",
        "5.x Pil ms",
        "vs Pil",
        "4.57 slow ms (vs ours)",
        "floor ms (ours / floor)",
        "max abs diff",
    )
    print(table(rows, header))


if __name__ == "__main__":
    main()
