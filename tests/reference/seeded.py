"""Deterministic test images rebuilt from a seed, so golden files need not store inputs.

Shared by the golden generators in ``scripts/`` and the tests that read their output.
"""

from __future__ import annotations

import numpy as np


def noise_image(h: int, w: int, channels: int, seed: int) -> np.ndarray:
    """A 64-bit integer hash of (y, x, channel, seed), top byte; 2-D when channels == 0."""
    c = max(channels, 1)
    y, x, ch = np.meshgrid(
        np.arange(h, dtype=np.uint64),
        np.arange(w, dtype=np.uint64),
        np.arange(c, dtype=np.uint64),
        indexing="ij",
    )
    v = (y * np.uint64(0x9E3779B97F4A7C15)) ^ (x * np.uint64(0xC2B2AE3D27D4EB4F))
    v ^= (ch + np.uint64(seed) * np.uint64(8)) * np.uint64(0x165667B19E3779F9)
    v ^= v >> np.uint64(29)
    v *= np.uint64(0xBF58476D1CE4E5B9)
    v ^= v >> np.uint64(32)
    img = (v >> np.uint64(56)).astype(np.uint8)
    return img[:, :, 0] if channels == 0 else img


def make_image(h: int, w: int, channels: int, seed: int, kind: int) -> np.ndarray:
    """Noise (kind 0) or 8x8 blocks of noise (kind 1, smoother for the filters)."""
    if kind == 0:
        img = noise_image(h, w, channels, seed)
    else:
        small = noise_image(h // 8 + 1, w // 8 + 1, channels, seed)
        img = np.repeat(np.repeat(small, 8, axis=0), 8, axis=1)[:h, :w]
    return np.ascontiguousarray(img)
