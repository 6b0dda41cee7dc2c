"""InternVL, LLaVA-OneVision and Oryx image preprocessing: dynres_fast vs the slow
upstream processors, same run.

Run: python bench/bench_families.py [--repeat N]

Single thread, medians. Upstream: transformers' slow ``GotOcr2ImageProcessor(
crop_to_patches=True)`` (InternVL, max_num 12), ``LlavaOnevisionImageProcessor`` with
SigLIP's 0.5/0.5 (anyres_max_9), and for Oryx (no transformers processor) the PIL
resizes in ``tests/reference/oryx.py`` followed by transformers' ``CLIPImageProcessor`` as
Oryx calls it (no resize, no crop, mean = std = 0.5). The video row is LLaVA-OneVision's
frame path against ``SiglipImageProcessor(size=384²)`` on the same 16 PIL frames.
"max abs diff" compares the float32 outputs.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Callable, List, Tuple

import numpy as np
from PIL import Image

import dynres_fast
from dynres_fast import internvl, oryx
from dynres_fast import llava_onevision as ov

from _common import machine, median_seconds, table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reference import oryx as oryx_ref  # noqa: E402

SAMPLES = Path(dynres_fast.__file__).parent / "samples"
SIZES = [("1920x1080", (1080, 1920)), ("4032x3024", (3024, 4032))]


def photo(h: int, w: int) -> np.ndarray:
    """A bundled photograph scaled to (h, w) with a little sensor noise."""
    with Image.open(SAMPLES / "rocket.jpg") as im:
        base = np.asarray(im.convert("RGB").resize((w, h), Image.BICUBIC), dtype=np.int16)
    noise = np.random.default_rng(0).integers(-3, 4, base.shape, dtype=np.int16)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def internvl_pair() -> Tuple[Callable, Callable, Callable]:
    from transformers import GotOcr2ImageProcessor

    ours = internvl.ImageProcessor(max_num=12)
    theirs = GotOcr2ImageProcessor(
        crop_to_patches=True,
        min_patches=1,
        max_patches=12,
        size={"height": 448, "width": 448},
        image_mean=internvl.IMAGENET_MEAN,
        image_std=internvl.IMAGENET_STD,
    )

    def up(pil):
        return theirs(pil, return_tensors="np")["pixel_values"]

    return (lambda img: ours(img)["pixel_values"]), up, lambda img: ours.plan(*img.shape[:2])


def llava_ov_pair() -> Tuple[Callable, Callable, Callable]:
    from transformers import LlavaOnevisionImageProcessor

    ours = ov.ImageProcessor.llava_onevision()
    theirs = LlavaOnevisionImageProcessor(image_mean=ov.SIGLIP_MEAN, image_std=ov.SIGLIP_STD)

    def up(pil):
        return theirs(pil, return_tensors="np")["pixel_values"]

    return (lambda img: ours(img)["pixel_values"]), up, lambda img: ov.plan(*img.shape[:2])


def oryx_pair() -> Tuple[Callable, Callable, Callable]:
    ours = oryx.ImageProcessor()

    def mine(img):
        out = ours(img)
        return out["pixel_values"][0], out["pixel_values_lowres"][0]

    from transformers import CLIPImageProcessor

    # Oryx's callers: the CLIP processor with mean = std = 0.5, no resize, no crop
    clip = CLIPImageProcessor(
        do_resize=False,
        do_center_crop=False,
        image_mean=oryx.ORYX_MEAN,
        image_std=oryx.ORYX_STD,
    )

    def up(pil):
        high, low = oryx_ref.resized_images(pil)
        return tuple(clip(im, return_tensors="np")["pixel_values"][0] for im in (high, low))

    return mine, up, lambda img: oryx.plan(*img.shape[:2])


def llava_ov_video_pair() -> Tuple[Callable, Callable, Callable]:
    from transformers import SiglipImageProcessor

    ours = ov.ImageProcessor.llava_onevision()
    siglip = SiglipImageProcessor(
        size={"height": 384, "width": 384}, image_mean=ov.SIGLIP_MEAN, image_std=ov.SIGLIP_STD
    )

    def up(frames):
        return siglip(frames, return_tensors="np")["pixel_values"]

    return (lambda v: ours.videos(v)["pixel_values_videos"][0]), up, lambda v: None


def describe(family: str, p) -> str:
    if family == "InternVL":
        return f"{p.num_tiles} tiles of 448²"
    if family == "video":
        return "16 frames of 384²"
    if family == "LLaVA-OneVision":
        return f"{p.num_crops} crops of 384²"
    return f"{p.highres[0]}x{p.highres[1]} + {p.lowres[0]}x{p.lowres[1]}"


def max_diff(a, b) -> float:
    if isinstance(a, tuple):
        return max(max_diff(x, y) for x, y in zip(a, b))
    return float(np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).max())


def bench_row(name, family, pair, label, img, repeat) -> tuple:
    ours, theirs, planner = pair
    pil = [Image.fromarray(f) for f in img] if img.ndim == 4 else Image.fromarray(img)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        err = max_diff(ours(img), theirs(pil))
        t_up = median_seconds(lambda: theirs(pil), repeat=max(3, repeat // 2))
    t_ours = median_seconds(lambda: ours(img), repeat=repeat)
    return (
        name,
        label,
        describe(family, planner(img)),
        f"{t_ours * 1e3:.1f}",
        f"{t_up * 1e3:.0f}",
        f"**{t_up / t_ours:.0f}x**",
        f"{err:.0e}" if err else "0",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    import transformers

    dynres_fast.set_num_threads(1)
    pairs = [
        ("InternVL (max_num 12)", "InternVL", internvl_pair()),
        ("LLaVA-OV (anyres_max_9)", "LLaVA-OneVision", llava_ov_pair()),
        ("Oryx", "Oryx", oryx_pair()),
    ]
    rows: List[tuple] = []
    for label, (h, w) in SIZES:
        img = photo(h, w)
        for name, family, pair in pairs:
            rows.append(bench_row(name, family, pair, label, img, args.repeat))
    clip = np.stack([photo(720, 1280)] * 16)
    rows.append(
        bench_row("LLaVA-OV video", "video", llava_ov_video_pair(), "16 x 1280x720", clip, 5)
    )
    print(
        f"machine: {machine()}; transformers {transformers.__version__}, "
        f"Pillow {Image.__version__}, numpy {np.__version__}; 1 thread\n"
    )
    header = (
        "family",
        "photo",
        "output",
        "dynres_fast ms",
        "upstream ms",
        "speed-up",
        "max abs diff",
    )
    print(table(rows, header))


if __name__ == "__main__":
    main()
