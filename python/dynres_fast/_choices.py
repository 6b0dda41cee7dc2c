"""Coercion of option strings, flags and frame-rate arguments for the family modules."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

from ._coerce import as_int, as_number
from .errors import DynresError


def as_choice(name: str, value: Any, options: Sequence[str]) -> str:
    """Returns ``value`` if it is one of ``options``; TypeError for non-strings."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r}")
    if value not in options:
        allowed = ", ".join(repr(o) for o in options)
        raise DynresError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def as_bool(name: str, value: Any) -> bool:
    """Returns ``value`` as a bool; TypeError for anything but bools."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def as_optional_number(name: str, value: Any) -> Optional[float]:
    """``None`` or :func:`as_number`."""
    return None if value is None else as_number(name, value)


def as_bound(value: Any) -> Optional[Tuple[float, float]]:
    """``None`` or a ``(start, end)`` pair of numbers (seconds)."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise TypeError(f"bound must be a (start, end) pair of seconds, got {value!r}")
    return as_number("bound[0]", value[0]), as_number("bound[1]", value[1])


def as_pinpoints(value: Any) -> list:
    """A list of ``(a, b)`` positive integer pairs; TypeError for non-integers."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"pinpoints must be a sequence of pairs, got {value!r}")
    out = []
    for p in value:
        if isinstance(p, (str, bytes)) or not hasattr(p, "__len__") or len(p) != 2:
            raise TypeError(f"each pinpoint must be a pair of integers, got {p!r}")
        out.append((as_int("pinpoint side", p[0]), as_int("pinpoint side", p[1])))
    if not out:
        raise DynresError("pinpoints must hold at least one pair, got none")
    return out


def as_triple(name: str, values: Any) -> Tuple[float, float, float]:
    """Three per-channel numbers (a single number is repeated)."""
    if isinstance(values, (int, float)) and not isinstance(values, bool):
        values = (values,) * 3
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be 3 numbers, got {values!r}")
    vals = tuple(as_number(name, v) for v in values)
    if len(vals) != 3:
        raise DynresError(f"{name} must have 3 values (one per RGB channel), got {len(vals)}")
    return vals  # type: ignore[return-value]


class Normalisation:
    """Mean/std, output dtype and resize compat shared by the family image processors."""

    def __init__(self, image_mean: Any, image_std: Any, compat: Any, dtype: Any) -> None:
        from . import _lut

        self.image_mean = as_triple("image_mean", image_mean)
        self.image_std = as_triple("image_std", image_std)
        if any(s == 0 for s in self.image_std):
            raise DynresError(f"image_std must be non-zero, got {self.image_std}")
        self.compat = as_choice("compat", compat, ("pillow", "pillow12"))
        self.dtype = as_choice("dtype", dtype, _lut.DTYPES)
        self.table = _lut.table(self.image_mean, self.image_std, self.dtype)
        self.storage = _lut.storage_dtype(self.dtype)

    def present(self, values: np.ndarray) -> np.ndarray:
        """Views kernel output as the user-facing dtype."""
        from . import _lut

        return _lut.present(values, self.dtype)
