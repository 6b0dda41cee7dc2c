"""Transparent test images (RGBA, LA, P with a transparency table, RGB with a colour key),
rebuilt from a seed; shared by scripts/gen_transformers4_golden.py and the tests."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .seeded import noise_image


def _alpha(h: int, w: int, seed: int) -> np.ndarray:
    """Hash noise with fully transparent and fully opaque bands, the blend's edge cases."""
    a = noise_image(h, w, 0, seed)
    a[: h // 4] = 0
    a[-(h // 4) :] = 255
    return a


def transparent_images(h: int = 45, w: int = 61, seed: int = 0) -> dict:
    """Name → PIL image, every one with transparency that ``convert("RGB")`` drops."""
    rgb = noise_image(h, w, 3, seed)
    rgba = np.dstack([rgb, _alpha(h, w, seed + 1)])
    la = np.dstack([noise_image(h, w, 0, seed + 2), _alpha(h, w, seed + 3)])
    p = Image.fromarray(noise_image(h, w, 0, seed + 4) % 16, "P")
    p.putpalette(noise_image(16, 3, 0, seed + 5).tobytes())
    alphas = noise_image(1, 16, 0, seed + 6)[0]
    alphas[0], alphas[8:] = 255, 0
    p.info["transparency"] = alphas.tobytes()
    key = Image.fromarray(np.where(rgb[..., :1] < 64, 7, rgb).astype(np.uint8), "RGB")
    key.info["transparency"] = (7, 7, 7)
    return {
        "rgba": Image.fromarray(rgba, "RGBA"),
        "la": Image.fromarray(la, "LA"),
        "p_trns": p,
        "rgb_key": key,
    }
