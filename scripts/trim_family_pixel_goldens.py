"""Writes tests/data/family_pixels_pillow12.npz: a trimmed copy of the shared InternVL,
LLaVA-OneVision and Oryx pixel goldens (Pillow 12.3.0 outputs of the reference code).

Keeps every input, the uint8 images the tests compare whole (InternVL first tile and
thumbnail, LLaVA-OV padded canvas and base crop, Oryx high/low-res images) and 64×64
corners of the float32 outputs (normalisation is checked exactly on those).

Run: python scripts/trim_family_pixel_goldens.py [path/to/shared/golden/internvl_llava_oryx]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    default = ROOT.parent / "shared/golden/internvl_llava_oryx"
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    iv = np.load(src / "internvl_pixels.npz")
    ov = np.load(src / "llava_ov_pixels.npz")
    ox = np.load(src / "oryx_pixels.npz")
    corner = (slice(None), slice(0, 64), slice(0, 64))
    out = {
        "internvl_input": iv["A_input_300x200_u8"],
        "internvl_maxnum4_grid": iv["A_maxnum4_grid"],
        "internvl_maxnum12_grid": iv["B_maxnum12_grid"],
        "internvl_maxnum12_num_tiles": iv["B_maxnum12_num_tiles"],
        "internvl_maxnum12_tile0_u8": iv["B_maxnum12_resized_u8"][:448, :448],
        "internvl_maxnum12_thumbnail_u8": iv["B_maxnum12_thumbnail_u8"],
        "internvl_maxnum12_tile0_f32_corner": iv["B_maxnum12_tile0_f32_CHW"][corner],
        "internvl_maxnum12_thumb_f32_corner": iv["B_maxnum12_thumb_f32_CHW"][corner],
        "llava_ov_input": ov["input_500x300_u8"],
        "llava_ov_best_wh": ov["best_wh"],
        "llava_ov_padded_canvas_u8": ov["padded_canvas_u8"],
        "llava_ov_base_u8": ov["base_384_u8"],
        "llava_ov_num_crops": ov["num_crops"],
        "llava_ov_first2_f32_corner": ov["crops_f32_NCHW_first2"][:, :, :64, :64],
        "oryx_input": ox["input_300x200_u8"],
        "oryx_highres_u8": ox["highres_u8"],
        "oryx_lowres_u8": ox["lowres_u8"],
        "oryx_highres_f32_corner": ox["highres_f32_CHW"][corner],
        "oryx_lowres_f32_corner": ox["lowres_f32_CHW"][corner],
    }
    np.savez_compressed(ROOT / "tests/data/family_pixels_pillow12.npz", **out)


if __name__ == "__main__":
    main()
