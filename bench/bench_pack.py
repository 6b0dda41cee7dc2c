"""Packing speed and quality: dynres_fast.pack.pack on 1M Qwen2.5-VL token counts.

Run: PYTHONPATH=python python bench/bench_pack.py
"""

from __future__ import annotations

import numpy as np

from dynres_fast import _core, models
from dynres_fast.pack import cu_seqlens, lower_bound, pack

from _common import machine, median_seconds, table


def main(n: int = 1_000_000) -> None:
    print(f"Machine: {machine()}\n")
    rng = np.random.default_rng(0)
    h = rng.integers(240, 4000, n)
    w = np.clip((h * rng.choice([0.75, 1.0, 4 / 3, 16 / 9, 0.5625], n)).astype(np.int64), 64, 8000)
    lengths = models.get("qwen2.5-vl").num_tokens_many(h, w)
    rows = []
    for cap in (16384, 32768, 65536):
        core = median_seconds(lambda c=cap: _core.pack_ffd(lengths, c, "raise"), repeat=3)
        full = median_seconds(lambda c=cap: pack(lengths, c), repeat=3)
        bins = pack(lengths, cap)
        cu = median_seconds(lambda b=bins: cu_seqlens(lengths, b), repeat=3)
        over = len(bins) / lower_bound(lengths, cap) - 1
        rows.append(
            (f"{cap:,}", f"{len(bins):,}", f"{over:.3%}", f"{core:.3f}", f"{full:.3f}", f"{cu:.3f}")
        )
    print(f"{n:,} items, Qwen2.5-VL hub-budget token counts of random photo sizes\n")
    print(
        table(
            rows,
            (
                "max_tokens",
                "bins",
                "over lower bound",
                "FFD core s",
                "pack() s (incl. list of arrays)",
                "cu_seqlens s",
            ),
        )
    )


if __name__ == "__main__":
    main()
