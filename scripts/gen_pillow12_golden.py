"""Writes tests/data/pillow12_resize.npz: Pillow 12.3.0 resize results for compat="pillow12".

Run with a Pillow 12.3.0 interpreter (e.g. a venv with ``pip install pillow==12.3.0``):
    python scripts/gen_pillow12_golden.py [out.npz]

Inputs are not stored: ``noise_image`` (tests/reference/seeded.py, shared with the tests)
rebuilds them from their shape and seed with integer hashing, so the file stays small. Case ``k``
stores ``c{k}_params`` = [in_h, in_w, channels, seed, out_h, out_w, filter index into
FILTERS] and either ``c{k}_output`` (small results) or ``c{k}_sha256`` (hex digest of the
output bytes, for the large pass-order-sensitive cases). channels = 0 means a 2-D image.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reference.seeded import noise_image  # noqa: E402

FILTERS = ("nearest", "box", "bilinear", "hamming", "bicubic", "lanczos")
PIL_FILTERS = [getattr(Image.Resampling, f.upper()) for f in FILTERS]
MAX_STORED = 40_000  # bytes; larger outputs are stored as digests

# (in_h, in_w, out_h, out_w); the first six are pass-order sensitive (vertical first in 13).
SIZES = [
    (480, 640, 476, 644),
    (900, 300, 364, 112),
    (100, 100, 80, 91),
    (100, 1000, 448, 448),
    (161, 288, 130, 277),
    (300, 500, 100, 490),
    (64, 64, 20, 60),
    (37, 23, 5, 40),
    (1, 50, 1, 7),
    (50, 1, 3, 1),
    (120, 90, 200, 33),
    (33, 47, 33, 20),
]


def main() -> None:
    assert PIL.__version__.startswith("12."), f"needs Pillow 12.x, found {PIL.__version__}"
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/pillow12_resize.npz")
    arrays: dict[str, np.ndarray] = {}
    k = 0
    for i, (h, w, oh, ow) in enumerate(SIZES):
        for channels in (0, 3, 4):
            # Large inputs get two filters, small ones all six.
            filters = range(6) if h * w <= 5000 else sorted({(i + channels) % 6, 4})
            for f in filters:
                img = noise_image(h, w, channels, seed=k)
                res = np.asarray(Image.fromarray(img).resize((ow, oh), PIL_FILTERS[f]))
                arrays[f"c{k}_params"] = np.array([h, w, channels, k, oh, ow, f], np.int64)
                if res.nbytes <= MAX_STORED:
                    arrays[f"c{k}_output"] = res
                else:
                    arrays[f"c{k}_sha256"] = np.array(hashlib.sha256(res.tobytes()).hexdigest())
                k += 1
    np.savez_compressed(out, pillow_version=np.array(PIL.__version__), **arrays)
    print(f"{k} cases -> {out} ({out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
