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


class VideoDecodeError(DynresError):
    """A video cannot be opened, demuxed or decoded: a missing or non-regular file, a
    truncated, corrupt or non-video file, no video stream, or a stream with no frames."""


__all__ = [
    "AspectRatioError",
    "BudgetError",
    "DynresError",
    "GridMismatchError",
    "InvalidImageError",
    "VideoDecodeError",
]
