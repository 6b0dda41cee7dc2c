"""Decoding speed and exactness: dynres_fast.io.decode vs Pillow's Image.open(...).convert("RGB").

Run: PYTHONPATH=python:tests python bench/bench_decode.py
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from dynres_fast.cli import sample_images
from dynres_fast.io import decode

from _common import machine, median_seconds, table


def pillow(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def encoded_inputs() -> list:
    photo = Image.open(sample_images()[1]).convert("RGB")
    out = [(p.name, p.read_bytes()) for p in sample_images()]
    for w, h in ((1280, 720), (1920, 1080), (4000, 3000)):
        big = photo.resize((w, h), Image.Resampling.BICUBIC)
        for label, ss in (("4:2:0", 2), ("4:4:4", 0)):
            buf = io.BytesIO()
            big.save(buf, "JPEG", quality=90, subsampling=ss)
            out.append((f"{w}x{h} JPEG q90 {label}", buf.getvalue()))
        buf = io.BytesIO()
        big.save(buf, "PNG")
        out.append((f"{w}x{h} PNG RGB", buf.getvalue()))
    return out


def main() -> None:
    print(f"Machine: {machine()}\n")
    rows = []
    for name, data in encoded_inputs():
        ours = median_seconds(lambda d=data: decode(d), repeat=7)
        ref = median_seconds(lambda d=data: pillow(d), repeat=7)
        diff = np.abs(decode(data).astype(np.int16) - pillow(data))
        exact = "exact" if not diff.any() else f"max {diff.max()}, {(diff > 0).mean():.1%} differ"
        rows.append((name, f"{ref * 1e3:.2f}", f"{ours * 1e3:.2f}", f"{ref / ours:.2f}x", exact))
    print(table(rows, ("input", "Pillow ms", "dynres_fast ms", "speed-up", "vs Pillow")))


if __name__ == "__main__":
    main()
