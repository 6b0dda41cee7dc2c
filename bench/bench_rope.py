"""M-RoPE position ids on a long-video batch: ours vs writing the output once vs upstream.

8 rows x 16,380 tokens, one video per row (grid 384 x 12 x 14 = 16,128 video tokens between
vision-start and vision-end, then text), left padding on half the rows, Qwen2.5-VL time
scaling (tokens_per_second 2, fractional seconds). The floor is
``np.ones((3, 8, 16380), np.int64)``: allocating and writing the output once.
Upstream is the installed transformers 5.x ``Qwen2_5_VLModel.get_rope_index`` (given the
``mm_token_type_ids`` 5.x processors return) against our ``convention="transformers5"``;
without torch the project's pure-Python reference (tests/reference/rope.py) stands in for it.

Run: python bench/bench_rope.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from dynres_fast import rope

from _common import machine, median_seconds, table

VS, VE, VIDEO, TEXT = 151652, 151653, 151656, 100
ROWS, LENGTH, GRID = 8, 16380, (384, 12, 14)


def make_batch():
    t, h, w = GRID
    block = [VS] + [VIDEO] * (t * h * w // 4) + [VE]
    ids = np.full((ROWS, LENGTH), TEXT, dtype=np.int64)
    mask = np.ones((ROWS, LENGTH), dtype=np.int64)
    for b in range(ROWS):
        pad = 31 * b if b % 2 else 0  # left padding on odd rows
        ids[b, :pad] = 0
        mask[b, :pad] = 0
        ids[b, pad + 5 : pad + 5 + len(block)] = block
    grids = np.array([GRID] * ROWS, dtype=np.int64)
    seconds = np.array([1.0, 0.5, 2.0, 1.5, 0.75, 1.25, 1.0, 0.3], dtype=np.float32)
    kwargs = {"second_per_grid_ts": seconds, "tokens_per_second": 2}
    return (ids, None, grids, mask), kwargs


def transformers_version() -> str:
    import transformers

    return transformers.__version__


def upstream_fn(args, kwargs):
    """transformers 5.x's get_rope_index if torch is importable, else None."""
    try:
        import torch
        from transformers import Qwen2_5_VLConfig
        from transformers.models.qwen2_5_vl.modeling_qwen2_5_vl import Qwen2_5_VLModel
    except Exception:  # torch missing (transformers imports fine without it)
        return None
    cfg = Qwen2_5_VLConfig()
    cfg.vision_config.tokens_per_second = kwargs["tokens_per_second"]
    model = Qwen2_5_VLModel.__new__(Qwen2_5_VLModel)  # get_rope_index only reads config
    model.config = cfg
    ids, _, grids, mask = (None if a is None else torch.from_numpy(a) for a in args)
    token_types = (ids == VIDEO).to(torch.int32) * 2  # text 0, video 2
    seconds = torch.from_numpy(kwargs["second_per_grid_ts"])
    return lambda: model.get_rope_index(ids, token_types, None, grids, seconds, mask)


def main() -> None:
    args, kwargs = make_batch()
    conv = "transformers5"
    ours = median_seconds(
        lambda: rope.mrope_position_ids(*args, **kwargs, convention=conv), repeat=21, warmup=3
    )
    floor = median_seconds(lambda: np.ones((3, ROWS, LENGTH), np.int64), repeat=21, warmup=3)
    rows = [
        ("dynres_fast (transformers5)", f"{ours * 1e3:.2f} ms", f"{ours / floor:.2f}x", "1x"),
        ("np.ones((3, 8, 16380)) floor", f"{floor * 1e3:.2f} ms", "1.00x", ""),
    ]
    for other in ("qwen", "transformers4"):
        t = median_seconds(
            lambda c=other: rope.mrope_position_ids(*args, **kwargs, convention=c), repeat=21
        )
        rows.append((f"dynres_fast ({other})", f"{t * 1e3:.2f} ms", f"{t / floor:.2f}x", ""))

    upstream = upstream_fn(args, kwargs)
    if upstream is not None:
        got = rope.mrope_position_ids(*args, **kwargs, convention=conv)
        want = upstream()
        assert np.array_equal(got[0], want[0].numpy()) and np.array_equal(got[1], want[1].numpy())
        t = median_seconds(upstream, repeat=3)
        name = f"transformers {transformers_version()} get_rope_index"
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from reference import rope as ref

        got = rope.mrope_position_ids(*args, **kwargs, convention=conv)
        want = ref.mrope_position_ids(*args, **kwargs, convention=conv)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
        t = median_seconds(lambda: ref.mrope_position_ids(*args, **kwargs, convention=conv), 3)
        name = "pure-Python reference (torch not installed)"
    rows.append((name, f"{t * 1e3:.0f} ms", f"{t / floor:.0f}x", f"{t / ours:.0f}x slower"))

    print(f"machine: {machine()}\n")
    print(f"batch: {ROWS} x {LENGTH} tokens, video grid {GRID}, tokens_per_second 2\n")
    print(table(rows, ("implementation", "median", "vs floor", "vs dynres_fast")))


if __name__ == "__main__":
    main()
