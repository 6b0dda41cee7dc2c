"""dynres_fast: exact, fast CPU preprocessing for dynamic-resolution multimodal models."""

from . import ops, qwen2vl
from ._core import __version__
from .errors import (
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
    "__version__",
    "ops",
    "qwen2vl",
]
