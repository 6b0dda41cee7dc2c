"""Per-channel lookup tables uint8 → normalised value, built with the reference's own dtypes.

After resizing, rescale + normalise is a function of one byte and one channel, so the whole
float pipeline collapses into a (C, 256) table computed here once with NumPy in exactly the
reference's operation order; the Rust kernel then only gathers from it.

Two orders exist in transformers 4.57.6:
- slow processors (``compat="pillow"`` / ``"pillow12"``): ``f32(v * (1/255) in f64)``, then
  ``(x - f32(mean)) / f32(std)`` in f32;
- fast (torchvision) processors (``compat="torchvision"``) fuse the two:
  ``_fuse_mean_std_and_rescale_factor`` turns mean and std into ``f32(mean) * f32(255)`` and
  ``f32(std) * f32(255)`` (float32 tensors times ``1 / rescale_factor``), then
  ``F.normalize`` computes ``(f32(v) - mean255) / std255`` in f32.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from . import _core

DTYPES = ("float32", "float16", "bfloat16", "uint8")


def _slow(mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    # transformers' slow processors: rescale in float64 then cast, normalise in float32.
    v = (np.arange(256, dtype=np.float64) * (1 / 255)).astype(np.float32)
    m = np.asarray(mean, dtype=np.float32)[:, None]
    s = np.asarray(std, dtype=np.float32)[:, None]
    return (v[None, :] - m) / s


def _fast(mean: Sequence[float], std: Sequence[float], rescale_factor: float) -> np.ndarray:
    # transformers' fast processors: mean and std pre-multiplied by 1/rescale_factor in
    # float32 (the double scalar becomes a float32 operand), then one fused normalise.
    inv = np.float32(1.0 / rescale_factor)
    m = (np.asarray(mean, dtype=np.float32) * inv)[:, None]
    s = (np.asarray(std, dtype=np.float32) * inv)[:, None]
    v = np.arange(256, dtype=np.float32)
    return (v[None, :] - m) / s


def _float32(mean: Sequence[float], std: Sequence[float], compat: str) -> np.ndarray:
    """The float32 table in ``compat``'s operation order."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow: see check_finite
        return _fast(mean, std, 1 / 255) if compat == "torchvision" else _slow(mean, std)


def _bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 → bfloat16 bits, round to nearest even (finite inputs)."""
    b = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)


def table(
    mean: Sequence[float], std: Sequence[float], dtype: str, compat: str = "pillow"
) -> np.ndarray:
    """A C-contiguous ``(len(mean), 256)`` table in the storage type of ``dtype``.

    ``compat`` picks the reference's operation order: ``"pillow"`` / ``"pillow12"`` (slow
    processors) or ``"torchvision"`` (fast processors' fused normalise; see the module doc).
    float16 and bfloat16 tables are the float32 values rounded to nearest even, as uint16
    bit patterns (the output is viewed afterwards); ``uint8`` is the identity (raw bytes,
    normalise later).
    """
    if compat not in _core.COMPATS:
        raise ValueError(f"compat must be one of {', '.join(_core.COMPATS)}, got {compat!r}")
    if dtype == "uint8":
        return np.ascontiguousarray(np.tile(np.arange(256, dtype=np.uint8), (len(mean), 1)))
    t = _float32(mean, std, compat)
    if dtype == "float32":
        return np.ascontiguousarray(t)
    if dtype == "float16":
        with np.errstate(over="ignore", invalid="ignore"):
            return np.ascontiguousarray(t.astype(np.float16).view(np.uint16))
    if dtype == "bfloat16":
        return np.ascontiguousarray(_bf16_bits(t))
    raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")


def kernel_table(
    table: np.ndarray,
    mean: Sequence[float],
    std: Sequence[float],
    dtype: str,
    compat: str = "pillow",
) -> np.ndarray:
    """The table handed to the kernels: :func:`table`, and for float16 / bfloat16 the float32
    table it was rounded from appended as ``uint16`` halves (``(9, 256)``: the 3 rows of
    bits, then the float32 bits low half first). The kernels gather from the first 768
    entries; the float32 rows let them compute the values in SIMD lanes instead, which they
    do only after checking that the lanes round to exactly those 768 entries."""
    if dtype not in ("float16", "bfloat16") or table.shape[0] != 3:
        return table
    t = _float32(mean, std, compat)
    halves = np.ascontiguousarray(t, dtype=np.float32).view(np.uint16).reshape(6, 256)
    return np.ascontiguousarray(np.concatenate([table, halves]))


def check_finite(
    table: np.ndarray, dtype: str, mean: Sequence[float], std: Sequence[float]
) -> None:
    """Raises DynresError if a :func:`table` holds inf or NaN (a mean or std that is finite
    as a Python float but overflows float32, or a std so small that ``(v - mean) / std``
    overflows the output dtype)."""
    from .errors import DynresError

    if dtype == "uint8":
        return
    if dtype == "bfloat16":
        values = (table.astype(np.uint32) << 16).view(np.float32)
    elif dtype == "float16":
        values = table.view(np.float16)
    else:
        values = table
    if not np.isfinite(values).all():
        raise DynresError(
            f"image_mean {tuple(mean)} and image_std {tuple(std)} give normalised values "
            f"that overflow {dtype}; image_std is too small (or a value is out of float32 range)"
        )


def storage_dtype(dtype: str) -> np.dtype:
    """The NumPy dtype the kernel writes for ``dtype``."""
    return np.dtype(
        {"float32": np.float32, "float16": np.uint16, "bfloat16": np.uint16, "uint8": np.uint8}[
            dtype
        ]
    )


def present(values: np.ndarray, dtype: str) -> np.ndarray:
    """Views kernel output as the user-facing dtype (no copy)."""
    if dtype == "float16":
        return values.view(np.float16)
    if dtype == "bfloat16":
        try:
            import ml_dtypes
        except ImportError:
            return values
        return values.view(ml_dtypes.bfloat16)
    return values
