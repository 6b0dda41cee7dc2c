"""Planning speed for InternVL, LLaVA-OneVision and Oryx: ``num_tokens_many`` on 1M sizes
vs a Python loop over the upstream function (transformers where it has one, else the
readable reference in ``tests/reference``), timed on 100k sizes and scaled to 1M.

Run: python bench/bench_family_plans.py
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np

from dynres_fast import internvl, llava_onevision, oryx

from _common import machine, median_seconds, table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reference import oryx as oryx_ref  # noqa: E402

N, LOOP_N = 1_000_000, 100_000


def sizes(n: int = N):
    rng = np.random.default_rng(0)
    hs = rng.integers(64, 4000, n)
    ws = np.clip((hs * rng.uniform(0.3, 3.0, n)).astype(np.int64), 64, 8000)
    return hs, ws


def row(task: str, ours_fn, upstream_fn, pairs, check) -> tuple:
    ours = median_seconds(ours_fn, repeat=5)
    upstream = median_seconds(lambda: [upstream_fn(h, w) for h, w in pairs], repeat=3)
    upstream *= N / len(pairs)
    assert check(), task
    return (task, f"{ours * 1e3:.1f} ms", f"{upstream * 1e3:.0f} ms", f"{upstream / ours:.0f}x")


def bench_internvl(hs, ws, pairs) -> tuple:
    from transformers.models.got_ocr2.image_processing_got_ocr2 import get_optimal_tiled_canvas

    canvas = get_optimal_tiled_canvas.__wrapped__  # per-call cost, not the lru_cache

    def upstream(h, w):
        cols, rows = canvas((h, w), (448, 448), 1, 12)
        return 256 * (cols * rows + (cols * rows != 1)) + 2

    def check():
        got = internvl.num_tokens_many(hs[:1000], ws[:1000], reference="transformers").tolist()
        return got == [upstream(h, w) for h, w in pairs[:1000]]

    return row(
        "InternVL tokens (max_num 12), 1M sizes",
        lambda: internvl.num_tokens_many(hs, ws, reference="transformers"),
        upstream,
        pairs,
        check,
    )


def bench_llava_ov(hs, ws, pairs) -> tuple:
    from transformers.models.llava_onevision.processing_llava_onevision import (
        LlavaOnevisionProcessor,
    )

    proc = object.__new__(LlavaOnevisionProcessor)
    proc.__dict__.update(
        image_processor=types.SimpleNamespace(
            image_grid_pinpoints=[list(p) for p in llava_onevision.ANYRES_MAX_9]
        ),
        num_image_tokens=729,
        vision_aspect_ratio="anyres_max_9",
    )

    def upstream(h, w):
        return proc._get_number_of_features(h, w, 384, 384)

    def check():
        got = llava_onevision.num_tokens_many(hs[:1000], ws[:1000]).tolist()
        return got == [upstream(h, w) for h, w in pairs[:1000]]

    return row(
        "LLaVA-OneVision tokens, 1M sizes",
        lambda: llava_onevision.num_tokens_many(hs, ws),
        upstream,
        pairs,
        check,
    )


def bench_oryx(hs, ws, pairs) -> tuple:
    def upstream(h, w):
        return oryx_ref.plan(h, w)[2]

    def check():
        got = oryx.num_tokens_many(hs[:1000], ws[:1000]).tolist()
        return got == [upstream(h, w) for h, w in pairs[:1000]]

    return row(
        "Oryx tokens, 1M sizes (vs reference)",
        lambda: oryx.num_tokens_many(hs, ws),
        upstream,
        pairs,
        check,
    )


def main() -> None:
    hs, ws = sizes()
    pairs = list(zip(hs[:LOOP_N].tolist(), ws[:LOOP_N].tolist()))
    rows = [bench_internvl(hs, ws, pairs), bench_llava_ov(hs, ws, pairs), bench_oryx(hs, ws, pairs)]
    print(f"machine: {machine()}\n")
    print(table(rows, ("task", "dynres_fast", "upstream (Python loop)", "speed-up")))


if __name__ == "__main__":
    main()
