"""dynres_fast: exact, fast CPU preprocessing for dynamic-resolution multimodal models."""

from . import internvl, llava_onevision, oryx, qwen2vl
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
    "qwen2vl",
    "internvl",
    "llava_onevision",
    "oryx",
]
