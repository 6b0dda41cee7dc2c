"""dynres_fast: exact, fast CPU preprocessing for dynamic-resolution multimodal models."""

from . import batch, internvl, io, llava_onevision, models, ops, oryx, pack, qwen2vl, rope
from ._coerce import as_int as _as_int
from ._core import MAX_THREADS as _MAX_THREADS
from ._core import __version__, get_num_threads
from ._core import set_num_threads as _set_num_threads
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
    "batch",
    "get_num_threads",
    "internvl",
    "io",
    "llava_onevision",
    "models",
    "ops",
    "oryx",
    "pack",
    "qwen2vl",
    "rope",
    "set_num_threads",
]


def set_num_threads(n: int) -> None:
    """Lets one call use up to ``n`` threads of a private pool (default 1: no pool).

    Also settable with the ``DYNRES_NUM_THREADS`` environment variable. The pool is rebuilt
    in a forked child, so it is safe in DataLoader workers; there, 1 is usually right.

    Raises:
        TypeError: a non-integer ``n``.
        DynresError: ``n`` outside 1 to 1024.
    """
    _set_num_threads(_as_int("n", n, maximum=_MAX_THREADS))
