"""Writes seed inputs for the `decode` target: `python fuzz/make_seeds.py` (from the repo
root), then `cargo +nightly fuzz run decode fuzz/corpus/decode`."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

from fuzz.data import encoded  # noqa: E402  (tests/fuzz: Pillow-written JPEGs and PNGs)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "decode")
os.makedirs(out, exist_ok=True)
for seed in range(64):
    data = encoded(seed)
    ext = "png" if data.startswith(b"\x89PNG") else "jpg"
    with open(os.path.join(out, f"seed{seed:02d}.{ext}"), "wb") as f:
        f.write(data)
print(f"64 seeds in {out}")
