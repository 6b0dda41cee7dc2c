"""Reusable output memory for a processor (``reuse_output=True``).

A fresh ``np.empty`` output of tens of MB is mapped anew on every call, and the kernel
then pays a page fault (and the kernel's zeroing) for every page it writes: for a 50 MB
Qwen2-VL output that costs about as much as the whole computation. An :class:`OutputPool`
keeps one buffer, grown to the largest output seen, and hands out views of it, so repeated
calls write into memory that is already mapped. NumPy asks for transparent huge pages on
large allocations (``madvise(MADV_HUGEPAGE)``), which the buffer inherits.

The price: **every call overwrites the arrays the previous call returned.** Use it where
each output is consumed (copied, stacked, sent to the device) before the next call:

- a loop that calls the processor, then ``torch.from_numpy(...).to(device)``;
- a ``torch.utils.data.DataLoader`` worker that calls the processor once per batch (a
  batched dataset) and whose ``collate_fn`` copies (``default_collate`` stacks into a new
  tensor in shared memory) before the next call. Not a dataset whose samples each call
  the processor when a batch holds several of them (earlier samples would be overwritten
  before collation), and never ``batch_size=None`` (the sample itself is queued and
  pickled later by a feeder thread).

Each processor (and each DataLoader worker's copy of it) has its own pool; a processor
is not meant to be called from two threads at once with ``reuse_output=True``. Without it
(the default) every call returns new arrays, as upstream does.
"""

from __future__ import annotations

from math import prod
from typing import Optional, Tuple

import numpy as np
from numpy.typing import DTypeLike

from ._coerce import as_int, check_size


class OutputPool:
    """One output buffer reused call after call.

    ``take(shape, dtype)`` returns an uninitialised C-contiguous array that stays valid
    until the next ``take``; the buffer grows (a new allocation, with an eighth to spare)
    when a call needs more than it holds.
    """

    def __init__(self) -> None:
        self._buf: Optional[np.ndarray] = None

    @property
    def nbytes(self) -> int:
        """Bytes held (0 before the first call)."""
        return 0 if self._buf is None else int(self._buf.nbytes)

    def take(self, shape: Tuple[int, ...], dtype: DTypeLike) -> np.ndarray:
        """An uninitialised ``shape`` array of ``dtype`` in the reused buffer.

        Raises:
            TypeError: ``dtype`` is not a NumPy dtype, or ``shape`` not integers.
            BudgetError: the array would pass the 4 GiB limit for one buffer.
        """
        try:
            dt = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype must be a NumPy dtype, got {dtype!r}") from None
        if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
            raise TypeError(f"shape must be a sequence of integers, got {shape!r}")
        dims = tuple(as_int("shape", d, minimum=0) for d in shape)
        check_size(dims, dt, "the pooled output (shape, dtype)")
        n = prod(dims) * dt.itemsize
        if self._buf is None or self._buf.nbytes < n:
            self._buf = np.empty(n + n // 8, np.uint8)
        return self._buf[:n].view(dt).reshape(dims)
