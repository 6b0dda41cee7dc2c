"""A short NumPy statement of Pillow's 8-bit resample (``Image.resize``), for tests.

Written from the description of Pillow's ``src/libImaging/Resample.c`` (convolution
filters), ``Geometry.c`` (NEAREST is an affine scale) and ``Image.resize`` (RGBA is
premultiplied first). Slow but readable; the Rust kernel must match it byte for byte.

Steps, per axis (``n_in`` -> ``n_out``):
1. ``scale = n_in / n_out``; ``fscale = max(scale, 1)``; ``support = filter_support * fscale``.
2. For output ``i``: ``center = (i + 0.5) * scale``;
   ``lo = max(int(center - support + 0.5), 0)``; ``hi = min(int(center + support + 0.5), n_in)``;
   ``w_j = K((lo + j - center + 0.5) * (1 / fscale))``, normalised by their sum.
3. Fixed point with 22 fraction bits, rounded half away from zero.
4. A pass: ``clip(2**21 + sum(pixel * k) >> 22, 0, 255)`` stored as uint8.
Pass order: ``pillow12`` always horizontal first (over only the rows the vertical pass
reads); ``pillow`` (Pillow >= 13) vertical first iff ``dh > 0 and dh > 2 * dw`` with
``dh = in_h - out_h``, ``dw = in_w - out_w``. An axis that keeps its size is not resampled.
"""

from __future__ import annotations

import math

import numpy as np

PRECISION_BITS = 22


def _box(x: float) -> float:
    return 1.0 if -0.5 < x <= 0.5 else 0.0


def _bilinear(x: float) -> float:
    x = abs(x)
    return 1.0 - x if x < 1.0 else 0.0


# Pillow writes the Hamming constants as C floats (0.54f, 0.46f).
_H054 = float(np.float32(0.54))
_H046 = float(np.float32(0.46))


def _hamming(x: float) -> float:
    x = abs(x)
    if x == 0.0:
        return 1.0
    if x >= 1.0:
        return 0.0
    x = x * math.pi
    return math.sin(x) / x * (_H054 + _H046 * math.cos(x))


def _bicubic(x: float) -> float:
    a = -0.5
    x = abs(x)
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    if x < 2.0:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


def _sinc(x: float) -> float:
    if x == 0.0:
        return 1.0
    x = x * math.pi
    return math.sin(x) / x


def _lanczos(x: float) -> float:
    return _sinc(x) * _sinc(x / 3) if -3.0 <= x < 3.0 else 0.0


FILTERS = {
    "box": (_box, 0.5),
    "bilinear": (_bilinear, 1.0),
    "hamming": (_hamming, 1.0),
    "bicubic": (_bicubic, 2.0),
    "lanczos": (_lanczos, 3.0),
}


def float_weights(n_in: int, n_out: int, filter: str) -> tuple[np.ndarray, np.ndarray]:
    """Per output index: first input index ``lo`` (n_out,) and the window's weights
    normalised by their sequential sum (n_out, ksize), zero past each window's end."""
    kernel, support = FILTERS[filter]
    scale = n_in / n_out
    fscale = max(scale, 1.0)
    support *= fscale
    ksize = math.ceil(support) * 2 + 1
    inv = 1.0 / fscale
    los = np.zeros(n_out, dtype=np.int64)
    weights = np.zeros((n_out, ksize), dtype=np.float64)
    for i in range(n_out):
        center = (i + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n_in)
        w = [kernel((lo + j - center + 0.5) * inv) for j in range(hi - lo)]
        total = 0.0
        for v in w:
            total += v
        if total != 0.0:
            w = [v / total for v in w]
        weights[i, : len(w)] = w
        los[i] = lo
    return los, weights


def to_fixed(weights: np.ndarray, precision: int) -> np.ndarray:
    """``int(w * 2**precision +- 0.5)``: rounded half away from zero (astype truncates)."""
    scaled = weights * (1 << precision)
    return np.where(scaled < 0, scaled - 0.5, scaled + 0.5).astype(np.int64)


def coefficients(n_in: int, n_out: int, filter: str) -> tuple[np.ndarray, np.ndarray]:
    """Per output index: first input index ``lo`` (n_out,) and fixed-point weights
    (n_out, ksize), zero past each window's end."""
    los, weights = float_weights(n_in, n_out, filter)
    return los, to_fixed(weights, PRECISION_BITS)


def apply_pass(img: np.ndarray, axis: int, los: np.ndarray, k: np.ndarray, precision: int):
    """One pass of fixed-point weights ``k`` (``precision`` fraction bits) along ``axis``
    (0 rows, 1 columns) of an (H, W, C) uint8 image."""
    n_in = img.shape[axis]
    idx = np.minimum(los[:, None] + np.arange(k.shape[1]), n_in - 1)  # padded taps weigh 0
    taken = np.take(img.astype(np.int64), idx, axis=axis)  # axis -> (n_out, ksize)
    shape = [1, 1, 1, 1]
    shape[axis], shape[axis + 1] = k.shape
    acc = (taken * k.reshape(shape)).sum(axis=axis + 1) + (1 << (precision - 1))
    return np.clip(acc >> precision, 0, 255).astype(np.uint8)


def _pass(img: np.ndarray, axis: int, n_out: int, filter: str) -> np.ndarray:
    """Resamples ``img`` (H, W, C) uint8 along ``axis`` (0 rows, 1 columns)."""
    los, k = coefficients(img.shape[axis], n_out, filter)
    return apply_pass(img, axis, los, k, PRECISION_BITS)


def vertical_first(in_h: int, in_w: int, out_h: int, out_w: int, compat: str) -> bool:
    """Whether Pillow runs the vertical pass before the horizontal one."""
    if compat == "pillow12":
        return False
    dh, dw = in_h - out_h, in_w - out_w
    return dh > 0 and dh > 2 * dw


def _nearest_indices(n_in: int, n_out: int) -> np.ndarray:
    """Pillow's affine NEAREST: ``floor`` of an accumulated double, out of range -> -1."""
    step = float(np.float32(n_in)) / n_out
    pos, out = step * 0.5, []
    for _ in range(n_out):
        i = int(pos)
        out.append(i if i < n_in else -1)
        pos += step
    return np.array(out, dtype=np.int64)


def _nearest(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    ys, xs = _nearest_indices(img.shape[0], out_h), _nearest_indices(img.shape[1], out_w)
    out = img[np.maximum(ys, 0)][:, np.maximum(xs, 0)]
    out[ys < 0] = 0
    out[:, xs < 0] = 0
    return out


def _premultiply(img: np.ndarray) -> np.ndarray:
    a = img[..., 3:].astype(np.int64)
    t = img[..., :3].astype(np.int64) * a + 128
    rgb = ((t >> 8) + t) >> 8
    return np.concatenate([rgb, a], axis=-1).astype(np.uint8)


def _unpremultiply(img: np.ndarray) -> np.ndarray:
    a = img[..., 3:].astype(np.int64)
    rgb = img[..., :3].astype(np.int64)
    div = np.clip(255 * rgb // np.maximum(a, 1), 0, 255)
    rgb = np.where((a == 0) | (a == 255), rgb, div)
    return np.concatenate([rgb, a], axis=-1).astype(np.uint8)


def resize(
    img: np.ndarray, out_h: int, out_w: int, filter: str = "bicubic", compat: str = "pillow"
) -> np.ndarray:
    """``Image.fromarray(img).resize((out_w, out_h), FILTER)`` for (H, W) or (H, W, C) uint8."""
    gray = img.ndim == 2
    x = img[:, :, None] if gray else img
    in_h, in_w = x.shape[:2]
    if (in_h, in_w) == (out_h, out_w):
        out = x.copy()
    elif filter == "nearest":
        out = _nearest(x, out_h, out_w)
    else:
        rgba = x.shape[2] == 4
        if rgba:
            x = _premultiply(x)
        # Pillow's horizontal-first path resamples only the rows the vertical pass reads;
        # the other rows would not change the result, so this reference does them all.
        for axis in (0, 1) if vertical_first(in_h, in_w, out_h, out_w, compat) else (1, 0):
            n_out = (out_h, out_w)[axis]
            if x.shape[axis] != n_out:
                x = _pass(x, axis, n_out, filter)
        out = x
        if rgba:
            out = _unpremultiply(out)
    return out[:, :, 0] if gray else out
