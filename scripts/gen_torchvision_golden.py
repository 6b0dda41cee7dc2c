"""Writes tests/data/torchvision_resize_extra.npz: torchvision-equivalent resizes made with
pillow-simd, for compat="torchvision".

torchvision's uint8 antialiased resize (torch's native CPU kernel) is a port of pillow-simd's
resampler, and pillow-simd 12.1.1.post0 (built with ``CC="cc -mavx2"``) reproduces all 40
torchvision 0.29.1 cases of ``torchvision_resize_public.npz`` bit for bit (RGB images,
``Image.resize`` with its default ``reducing_gap=None``). torch itself is not installable
here, so pillow-simd is the live oracle:
    python -m venv /work/venvs/tv && . /work/venvs/tv/bin/activate
    pip install numpy && CC="cc -mavx2" pip install --no-binary pillow-simd pillow-simd
    python scripts/gen_torchvision_golden.py [out.npz]

Modes: "L" for 2-D images, "RGB" for 3 channels, and "RGBX" for 4 channels — pillow-simd
premultiplies "RGBA" (Pillow's alpha handling) but resizes "RGBX" as four independent
channels, which is what torch does with a 4-channel tensor.

Inputs are not stored: ``make_image`` (tests/reference/seeded.py, shared with the tests)
rebuilds them from (h, w, channels, seed, kind) with integer hashing. Case ``k`` stores
``c{k}_params`` = [in_h, in_w, channels, seed, kind, out_h, out_w, filter index into
FILTERS] and either ``c{k}_output`` (small results) or ``c{k}_sha256`` (hex digest of the
output bytes). channels = 0 means a 2-D image; kind 0 is noise, kind 1 is 8x8 blocks of
noise (hard edges: overshoot and clamping).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reference.seeded import make_image  # noqa: E402

FILTERS = ("bilinear", "bicubic")
PIL_FILTERS = (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC)
MAX_STORED = 6_000  # bytes; larger outputs are stored as digests
N_RANDOM = 320

# (in_h, in_w, out_h, out_w): one axis kept, extreme ratios, the benchmark-like sizes.
NAMED = [
    (1080, 1920, 728, 1316),
    (1080, 1920, 1092, 1932),
    (480, 640, 476, 644),
    (900, 300, 364, 112),
    (3, 2000, 1, 7),
    (2000, 3, 5, 1),
    (2, 3, 700, 500),
    (1, 1, 5, 9),
    (64, 80, 64, 33),
    (64, 80, 17, 80),
    (200, 4000, 1, 1),
    (37, 23, 37, 23),
]


def simd_resize(img: np.ndarray, out_h: int, out_w: int, f: int) -> np.ndarray:
    h, w = img.shape[:2]
    if img.ndim == 3 and img.shape[2] == 4:
        im = Image.frombytes("RGBX", (w, h), img.tobytes())
    else:
        im = Image.fromarray(img)
    return np.asarray(im.resize((out_w, out_h), PIL_FILTERS[f]))


def cases() -> list[tuple[int, int, int, int, int, int, int, int]]:
    rng = np.random.default_rng(20240529)
    out = []
    for k in range(N_RANDOM):
        h, w, oh, ow = (int(v) for v in rng.integers(1, 49, 4))
        if k % 4 == 1:  # near the input size
            oh = max(1, h + int(rng.integers(-4, 4)))
            ow = max(1, w + int(rng.integers(-4, 4)))
        if k % 16 == 2:  # strong downscale on one axis
            h = int(rng.integers(100, 700))
        if k % 16 == 3:
            w = int(rng.integers(100, 700))
        channels = (0, 3, 4)[k % 3]
        out.append((h, w, channels, k, k % 2, oh, ow, (k // 3) % 2))
    for j, (h, w, oh, ow) in enumerate(NAMED):
        for n, channels in enumerate((0, 3, 4)):
            k = N_RANDOM + 3 * j + n
            out.append((h, w, channels, k, (j + channels) % 2, oh, ow, j % 2))
    return out


def main() -> None:
    importlib.metadata.distribution("pillow-simd")  # raises if this is not pillow-simd
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/torchvision_resize_extra.npz")
    arrays: dict[str, np.ndarray] = {}
    for i, (h, w, channels, seed, kind, oh, ow, f) in enumerate(cases()):
        img = make_image(h, w, channels, seed, kind)
        res = simd_resize(img, oh, ow, f)
        arrays[f"c{i}_params"] = np.array([h, w, channels, seed, kind, oh, ow, f], np.int64)
        if res.nbytes <= MAX_STORED:
            arrays[f"c{i}_output"] = res
        else:
            arrays[f"c{i}_sha256"] = np.array(hashlib.sha256(res.tobytes()).hexdigest())
    version = importlib.metadata.version("pillow-simd")
    np.savez_compressed(out, pillow_simd_version=np.array(version), **arrays)
    print(f"wrote {len(cases())} cases to {out} (pillow-simd {version})")


if __name__ == "__main__":
    main()
