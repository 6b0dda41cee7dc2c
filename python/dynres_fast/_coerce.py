"""Argument coercion shared by the public modules: done once, visibly, in Python."""

from __future__ import annotations

import math
import operator
from typing import Any, Tuple

import numpy as np

from . import _core
from .errors import BudgetError, DynresError

#: The largest integer any public argument takes (the kernels' int64 / u64 range).
INT_MAX = 2**63 - 1


def as_int(name: str, value: Any, *, minimum: int = 1, maximum: int = INT_MAX) -> int:
    """Returns ``value`` as a Python int in ``[minimum, maximum]``; TypeError for
    non-integers, DynresError naming ``name`` outside the range."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got bool {value!r}")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an integer, got {type(value).__name__} {value!r}"
        ) from None
    if v < minimum:
        raise DynresError(f"{name} must be >= {minimum}, got {v}")
    if v > maximum:
        raise DynresError(f"{name} must be <= {maximum}, got {v}")
    return v


def as_number(name: str, value: Any) -> float:
    """Returns ``value`` as a float; TypeError for non-numbers (bools included),
    DynresError for NaN and for integers beyond the float range (``10**400``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    try:
        v = float(value)
    except OverflowError:
        raise DynresError(
            f"{name} must be a number within the float range (|x| < 1.8e308), got an "
            f"integer of {int(value).bit_length()} bits"
        ) from None
    if math.isnan(v):
        raise DynresError(f"{name} must be a number, got nan")
    return v


def as_finite(
    name: str,
    value: Any,
    *,
    minimum: float = -math.inf,
    maximum: float = math.inf,
) -> float:
    """:func:`as_number`, also refusing infinities and values outside
    ``[minimum, maximum]`` with a DynresError naming ``name`` and the range."""
    v = as_number(name, value)
    if not (math.isfinite(v) and minimum <= v <= maximum):
        raise DynresError(f"{name} must be finite and in [{minimum:g}, {maximum:g}], got {v!r}")
    return v


def as_int64_array(name: str, value: Any, *, ndim: int | None = None) -> np.ndarray:
    """Returns a C-contiguous int64 array; TypeError unless the input holds integers."""
    arr = np.asarray(value)
    if arr.dtype == np.bool_ or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise TypeError(f"{name} must hold integers, got an array of dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise DynresError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise DynresError(f"{name} has values beyond the int64 range")
    return np.ascontiguousarray(arr, dtype=np.int64)


def check_size(shape: Tuple[int, ...], dtype: Any, what: str) -> None:
    """Refuses an array of ``shape`` and ``dtype`` (sizes as exact Python ints) past the
    core's per-buffer limit (4 GiB) with a BudgetError naming ``what``."""
    itemsize = np.dtype(dtype).itemsize
    count = 1
    for n in shape:
        count *= int(n)
    if count * itemsize > _core.MAX_ALLOC_BYTES:
        raise BudgetError(
            f"{what} would be {tuple(int(n) for n in shape)} values of {itemsize} bytes "
            f"({count * itemsize} bytes), over the limit of {_core.MAX_ALLOC_BYTES} bytes "
            "(4 GiB) for one buffer"
        )


def checked_empty(shape: Tuple[int, ...], dtype: Any, what: str) -> np.ndarray:
    """``np.empty(shape, dtype)`` after :func:`check_size`; ``what`` names the output and the
    arguments that set its size in the BudgetError. An allocation within the limit that
    fails is NumPy's ``MemoryError``."""
    check_size(shape, dtype, what)
    return np.empty(shape, dtype)
