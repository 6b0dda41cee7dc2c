"""A short NumPy statement of torchvision's uint8 antialiased resize, for tests.

``torchvision.transforms.v2.functional.resize(uint8 tensor, [h, w], BILINEAR | BICUBIC,
antialias=True)`` on CPU runs torch's native uint8 kernel, ported from pillow-simd. Written
from the description of torch's ``UpSampleKernel.cpp`` (``_compute_index_ranges_int16_weights``)
and pillow-simd's ``Resample.c`` (``normalize_coeffs_8bpc``):

1. Float weights exactly as Pillow computes them (``reference.pil_resize``, steps 1-2):
   window ``[lo, hi)`` around ``center = (i + 0.5) * scale``, normalised by the row sum.
2. Precision ``p`` (one per axis): with ``m`` the biggest weight of the axis, start at
   ``p = 0`` and increase it while ``p < 22`` and ``int(0.5 + m * 2**(p + 1)) < 2**15``.
3. Weights ``k = int(w * 2**p +- 0.5)`` (half away from zero) as int16.
4. A pass: ``clip((2**(p - 1) + sum(pixel * k)) >> p, 0, 255)``.
Always horizontal first, then vertical; an axis that keeps its size is not resampled; a
same-size call returns the input. Channels are independent (4 channels are not treated as
premultiplied RGBA).
"""

from __future__ import annotations

import numpy as np

from reference.pil_resize import apply_pass, float_weights, to_fixed


def coefficients(n_in: int, n_out: int, filter: str) -> tuple[np.ndarray, np.ndarray, int]:
    """``(lo (n_out,), int16 weights (n_out, ksize), precision)`` for one axis."""
    los, weights = float_weights(n_in, n_out, filter)
    biggest = max(0.0, float(weights.max()))
    p = 0
    while p < 22 and int(0.5 + biggest * (1 << (p + 1))) < (1 << 15):
        p += 1
    return los, to_fixed(weights, p), p


def _pass(img: np.ndarray, axis: int, n_out: int, filter: str) -> np.ndarray:
    """Resamples ``img`` (H, W, C) uint8 along ``axis`` (0 rows, 1 columns)."""
    los, k, p = coefficients(img.shape[axis], n_out, filter)
    return apply_pass(img, axis, los, k, p)


def resize(img: np.ndarray, out_h: int, out_w: int, filter: str = "bicubic") -> np.ndarray:
    """torchvision's resize of (H, W) or (H, W, C) uint8 (as a CHW tensor) to (out_h, out_w)."""
    if filter not in ("bilinear", "bicubic"):
        raise ValueError(f"torchvision's uint8 antialiased resize has no {filter!r}")
    gray = img.ndim == 2
    x = img[:, :, None] if gray else img.copy()
    if x.shape[1] != out_w:
        x = _pass(x, 1, out_w, filter)
    if x.shape[0] != out_h:
        x = _pass(x, 0, out_h, filter)
    return x[:, :, 0] if gray else x
