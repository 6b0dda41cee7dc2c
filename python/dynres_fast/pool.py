"""Reusable output memory for a processor (opt-in).

A fresh ``np.empty`` output of tens of MB is mapped anew on every call, and the kernel
then pays a page fault (and the kernel's zeroing) for every page it writes: for a 50 MB
Qwen2-VL output that costs more than the whole computation. An :class:`OutputPool` keeps
one growing arena and hands out views of it, so repeated calls write into memory that is
already mapped. NumPy asks for transparent huge pages on large allocations
(``madvise(MADV_HUGEPAGE)``), which the arena inherits.

The price: **every call overwrites the arrays the previous call returned.** Use a pool
where each output is consumed (copied, stacked, sent to the device) before the next call:

- a training loop that calls the processor, then ``torch.from_numpy(...).to(device)``;
- a ``torch.utils.data.DataLoader`` worker whose ``collate_fn`` copies (``default_collate``
  with ``batch_size >= 1`` stacks the samples into a new tensor, in shared memory, before
  the worker calls the processor again). With ``batch_size=None`` the sample itself is
  queued and pickled later by a feeder thread: do not pool there, or copy in
  ``__getitem__``.

Without a pool (the default) every call returns new arrays, as upstream does.
"""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
from numpy.typing import DTypeLike

_ALIGN = 64  # bytes; every view starts on a cache line (and an AVX-512 vector)


class OutputPool:
    """A bump arena of output memory reused call after call.

    ``begin()`` starts a call (the previous call's arrays become free to overwrite);
    ``take(shape, dtype)`` returns an uninitialised C-contiguous array from the arena,
    growing it (a new allocation, by at least an eighth) when the call needs more.
    Not thread-safe: give each thread (or DataLoader worker) its own processor.
    """

    def __init__(self) -> None:
        self._arena: Optional[np.ndarray] = None
        self._used = 0
        self._needed = 0

    @property
    def nbytes(self) -> int:
        """Bytes held by the arena (0 before the first call)."""
        return 0 if self._arena is None else int(self._arena.nbytes)

    def begin(self) -> None:
        """Starts a call: the arena is reused from its start (and grown first if the
        previous call outgrew it)."""
        if self._arena is None or self._arena.nbytes < self._needed:
            if self._needed:
                self._arena = np.empty(self._needed + self._needed // 8, np.uint8)
        self._used = 0
        self._needed = 0

    def take(self, shape: Tuple[int, ...], dtype: DTypeLike) -> np.ndarray:
        """An uninitialised ``shape`` array of ``dtype`` that stays valid until the next
        :meth:`begin`."""
        dt = np.dtype(dtype)
        n = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
        base = 0 if self._arena is None else self._arena.ctypes.data
        start = self._used + (-(base + self._used)) % _ALIGN
        self._needed = start + n
        if self._arena is None or self._arena.nbytes < start + n:
            # This call outgrew the arena: hand out fresh memory now, grow at the next begin.
            self._used = start + n
            return np.empty(shape, dt)
        self._used = start + n
        return self._arena[start : start + n].view(dt).reshape(shape)
