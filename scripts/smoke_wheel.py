"""Smoke test for an installed wheel: run from a venv that has only the wheel and its
runtime dependencies (numpy, Pillow) and no Rust toolchain on PATH (.ci/run does this).

Checks that the package imported is the installed one (not the source tree), that no
toolchain is reachable, that the resize kernel the CPU selects (AVX2 or scalar) gives
Pillow's bytes and equals the scalar kernel, and that every family's processor, the
decoder and the position ids run on the bundled sample photos.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path

import numpy as np
from PIL import Image

import dynres_fast
from dynres_fast import _core, internvl, io, ops, oryx, qwen2vl, rope
from dynres_fast import llava_onevision as ov


def main() -> int:
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    where = Path(dynres_fast.__file__).resolve()
    assert site in where.parents, f"dynres_fast imported from {where}, not from {site}"
    for tool in ("cargo", "rustc"):
        assert shutil.which(tool) is None, f"{tool} is on PATH: {shutil.which(tool)}"

    photo = (where.parent / "samples" / "chelsea.jpg").read_bytes()
    rgb = io.decode(photo)
    pil = Image.open(where.parent / "samples" / "chelsea.jpg").convert("RGB")
    assert rgb.shape == np.asarray(pil).shape, (rgb.shape, pil.size)

    image = np.asarray(pil)
    want = np.asarray(pil.resize((333, 211), Image.Resampling.BICUBIC))
    for kernel in ["scalar"] + (["avx2"] if _core.avx2_available() else []):
        got = _core.resize(image, 211, 333, "bicubic", "pillow", kernel)
        assert np.array_equal(got, want), f"kernel {kernel} differs from Pillow"
    assert np.array_equal(ops.resize(image, 211, 333), want)

    q = qwen2vl.ImageProcessor.qwen2_5_vl()(image)
    t, h, w = q["image_grid_thw"][0]
    assert q["pixel_values"].shape == (t * h * w, 1176), q["pixel_values"].shape
    assert internvl.ImageProcessor()(image)["pixel_values"].shape[1:] == (3, 448, 448)
    assert ov.ImageProcessor()([image])["pixel_values"].shape[2:] == (3, 384, 384)
    assert oryx.ImageProcessor()(image)["num_tokens"][0] == oryx.plan(*image.shape[:2]).num_tokens
    ids = np.array([[100, 151652] + [151655] * 6 + [151653, 100]])
    pos, _ = rope.mrope_position_ids(ids, image_grid_thw=[[1, 4, 6]])
    assert pos.shape == (3, 1, 10)
    print(
        f"wheel smoke test ok: dynres_fast from {where.parent}, "
        f"AVX2 {'available' if _core.avx2_available() else 'absent (scalar kernels)'}, "
        f"Python {sys.version.split()[0]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
