"""First-fit-decreasing, the obvious O(n · bins) way: the oracle for ``dynres_fast.pack``."""

from __future__ import annotations

from typing import List


def ffd(lengths: List[int], max_tokens: int) -> List[List[int]]:
    """Longest first (ties: lower index first); each into the first bin with room."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])  # sorted() is stable
    room: List[int] = []
    bins: List[List[int]] = []
    for i in order:
        for b in range(len(bins)):
            if room[b] >= lengths[i]:
                room[b] -= lengths[i]
                bins[b].append(i)
                break
        else:
            room.append(max_tokens - lengths[i])
            bins.append([i])
    return bins
