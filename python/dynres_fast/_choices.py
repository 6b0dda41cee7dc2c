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
