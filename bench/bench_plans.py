"""Planning speed: smart_resize_many on 1M sizes vs a Python loop over transformers.

Run: python bench/bench_plans.py
"""

from __future__ import annotations

import numpy as np

from dynres_fast import qwen2vl

from _common import machine, median_seconds, table


def bench_smart_resize(n: int = 1_000_000, loop_n: int = 100_000) -> list:
    from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

    rng = np.random.default_rng(0)
    hs = rng.integers(64, 4000, n)
    ws = np.clip((hs * rng.uniform(0.3, 3.0, n)).astype(np.int64), 64, 8000)
    ours = median_seconds(lambda: qwen2vl.smart_resize_many(hs, ws), repeat=5)
    pairs = list(zip(hs[:loop_n].tolist(), ws[:loop_n].tolist()))

    def loop():
        for h, w in pairs:
            smart_resize(h, w, min_pixels=3136, max_pixels=1003520)

    upstream = median_seconds(loop, repeat=3) * (n / loop_n)
    oh, ow = qwen2vl.smart_resize_many(hs[:loop_n], ws[:loop_n])
    assert [
        smart_resize(h, w, min_pixels=3136, max_pixels=1003520) for h, w in pairs[:1000]
    ] == list(zip(oh[:1000].tolist(), ow[:1000].tolist()))
    return [
        (
            "smart_resize, 1M sizes",
            f"{ours * 1e3:.1f} ms",
            f"{upstream * 1e3:.0f} ms",
            f"{upstream / ours:.0f}x",
        )
    ]


def main() -> None:
    rows = bench_smart_resize()
    print(f"machine: {machine()}\n")
    print(table(rows, ("task", "dynres_fast", "upstream (transformers loop)", "speed-up")))


if __name__ == "__main__":
    main()
