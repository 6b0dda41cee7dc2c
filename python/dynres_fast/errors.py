"""Exceptions raised by dynres_fast.

Every refusal is a :class:`DynresError` (a :class:`ValueError`); the subclasses name the
cause. A wrong dtype or argument type is a plain :class:`TypeError`.
"""

from ._core import (
    AspectRatioError,
    BudgetError,
    DynresError,
    GridMismatchError,
    InvalidImageError,
)

__all__ = [
    "AspectRatioError",
    "BudgetError",
    "DynresError",
    "GridMismatchError",
    "InvalidImageError",
]
