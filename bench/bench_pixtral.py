"""Pixtral speed: ``num_tokens_many`` on 1M sizes vs a Python loop over transformers'
``PixtralProcessor._get_num_multimodal_tokens`` rule (timed on 100k sizes, scaled to 1M),
and ``ImageProcessor`` vs transformers 5.x's ``PixtralImageProcessor`` (torchvision) and
``PixtralImageProcessorPil`` on one photo, one thread each, for Pixtral-12B and
Mistral-Small-3.1 settings.

Run: python bench/bench_pixtral.py
"""

from __future__ import annotations

import numpy as np
from PIL import Image

import dynres_fast
from dynres_fast import pixtral

from _common import machine, median_seconds, table

N, LOOP_N = 1_000_000, 100_000
#: label → (longest_edge, patch_size, spatial_merge_size)
CHECKPOINTS = {"Pixtral-12B": (1024, 16, 1), "Mistral-Small-3.1": (1540, 14, 2)}
PHOTOS = [("640x480", (480, 640)), ("1920x1080", (1080, 1920)), ("4032x3024", (3024, 4032))]


def sizes(n: int = N):
    rng = np.random.default_rng(0)
    hs = rng.integers(64, 4000, n)
    ws = np.clip((hs * rng.uniform(0.3, 3.0, n)).astype(np.int64), 64, 8000)
    return hs, ws


def plan_row(label: str, settings: tuple) -> tuple:
    from transformers.models.pixtral.image_processing_pixtral import (
        get_resize_output_image_size,
    )

    edge, patch, merge = settings
    unit = patch * merge
    hs, ws = sizes()
    pairs = list(zip(hs[:LOOP_N].tolist(), ws[:LOOP_N].tolist()))
    zero = np.lib.stride_tricks.as_strided

    def upstream(h, w):  # _get_num_multimodal_tokens, one size
        img = zero(np.zeros(1, np.uint8), (h, w, 3), (0, 0, 0))
        rh, rw = get_resize_output_image_size(img, (edge, edge), (unit, unit), "channels_last")
        return (rw // unit + 1) * (rh // unit)

    kw = dict(longest_edge=edge, patch_size=patch, spatial_merge_size=merge, wrappers=True)
    got = pixtral.num_tokens_many(hs[:1000], ws[:1000], **kw).tolist()
    assert got == [upstream(h, w) for h, w in pairs[:1000]]
    ours = median_seconds(lambda: pixtral.num_tokens_many(hs, ws, **kw), repeat=5)
    loop = median_seconds(lambda: [upstream(h, w) for h, w in pairs], repeat=3) * N / LOOP_N
    return (
        f"{label} tokens, 1M sizes",
        f"{ours * 1e3:.1f} ms",
        f"{loop * 1e3:.0f} ms",
        f"{loop / ours:.0f}x",
    )


def photo(h: int, w: int) -> np.ndarray:
    path = dynres_fast.__file__.rsplit("/", 1)[0] + "/samples/astronaut.jpg"
    return np.asarray(Image.open(path).convert("RGB").resize((w, h), Image.BICUBIC))


def pixel_rows(label: str, settings: tuple, repeat: int = 5) -> list:
    import torch
    from transformers import PixtralImageProcessor, PixtralImageProcessorPil

    torch.set_num_threads(1)
    edge, patch, merge = settings
    rows = []
    for name, (h, w) in PHOTOS:
        img = photo(h, w)
        for compat, cls in (
            ("torchvision", PixtralImageProcessor),
            ("pillow", PixtralImageProcessorPil),
        ):
            up = cls(size={"longest_edge": edge}, patch_size=patch)
            kw = dict(return_tensors="np", patch_size=patch * merge)
            ours = pixtral.ImageProcessor(
                longest_edge=edge, patch_size=patch, spatial_merge_size=merge, compat=compat
            )
            assert np.array_equal(ours([img])["pixel_values"], up([img], **kw)["pixel_values"])
            t_ours = median_seconds(lambda o=ours, i=img: o([i]), repeat=repeat)
            t_up = median_seconds(lambda u=up, i=img, k=kw: u([i], **k), repeat=repeat)
            rows.append(
                (
                    label,
                    name,
                    cls.__name__,
                    f"{t_ours * 1e3:.1f}",
                    f"{t_up * 1e3:.1f}",
                    f"{t_up / t_ours:.1f}x",
                )
            )
    return rows


def main() -> None:
    import transformers

    dynres_fast.set_num_threads(1)
    print(f"machine: {machine()}; transformers {transformers.__version__}; 1 thread\n")
    plans = [plan_row(k, v) for k, v in CHECKPOINTS.items()]
    print(table(plans, ("task", "dynres_fast", "Python loop (upstream rule)", "speed-up")))
    print()
    pixels = [r for k, v in CHECKPOINTS.items() for r in pixel_rows(k, v)]
    header = ("settings", "photo", "upstream class", "dynres_fast ms", "upstream ms", "speed-up")
    print(table(pixels, header))


if __name__ == "__main__":
    main()
