"""InternVL plans: Rust vs the readable reference, transformers' GotOcr2 helpers and goldens."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynres_fast import DynresError, internvl

from conftest import DATA
from reference import internvl as ref

try:
    from transformers.models.got_ocr2.image_processing_got_ocr2 import (
        get_all_supported_aspect_ratios,
        get_optimal_tiled_canvas,
    )
except ImportError:  # pragma: no cover - transformers is a test dependency
    get_optimal_tiled_canvas = None

GRID = json.loads((DATA / "internvl_grid_cases.json").read_text())
DIFFS = json.loads((DATA / "internvl_ref_vs_hf_grid_diffs_minnum_gt1.json").read_text())
VIDEO = json.loads((DATA / "video_sampling_cases.json").read_text())["internvl"]
needs_hf = pytest.mark.skipif(get_optimal_tiled_canvas is None, reason="transformers missing")

sides = st.integers(1, 6000)


def cols_rows(grid):
    """A ``(rows, cols)`` grid as the references write it, ``(cols, rows)``."""
    return tuple(grid[::-1])


def case_id(c):
    return f"{c['w']}x{c['h']}-{c['min_num']}-{c['max_num']}"


@st.composite
def tiling(draw):
    max_num = draw(st.integers(1, 40))
    min_num = draw(st.one_of(st.just(1), st.integers(1, max_num)))
    return min_num, max_num


@st.composite
def tie_sizes(draw):
    """Sizes whose aspect ratio equals a candidate grid's exactly (d = 0 ties)."""
    i, j = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    k = draw(st.integers(1, 400))
    return j * k, i * k  # (height, width)


@settings(max_examples=400)
@given(
    st.one_of(st.tuples(sides, sides), tie_sizes()),
    tiling(),
    st.booleans(),
    st.sampled_from(["original", "transformers"]),
)
def test_plan_matches_reference(size, params, thumb, order):
    (h, w), (min_num, max_num) = size, params
    got = internvl.plan(
        h, w, min_num=min_num, max_num=max_num, use_thumbnail=thumb, reference=order
    )
    want = ref.plan(h, w, min_num, max_num, 448, thumb, order)
    assert cols_rows(got.grid) == want["grid"]
    assert got.resized == want["resized"]
    assert list(got.boxes) == want["boxes"]
    assert got.num_tiles == want["num_tiles"]
    assert got.num_tokens + got.wrapper_tokens == want["num_tokens"]
    assert got.num_tokens == 256 * got.num_tiles and got.wrapper_tokens == 2


@settings(max_examples=300)
@given(st.integers(1, 5000), st.integers(1, 5000), tiling(), st.sampled_from([224, 448, 896]))
@needs_hf
def test_transformers_order_matches_gotocr2(h, w, params, size):
    min_num, max_num = params
    got = internvl.plan(
        h, w, min_num=min_num, max_num=max_num, image_size=size, reference="transformers"
    )
    assert cols_rows(got.grid) == tuple(
        get_optimal_tiled_canvas((h, w), (size, size), min_num, max_num)
    )


@needs_hf
@pytest.mark.parametrize("min_num,max_num", [(1, 6), (1, 12), (2, 12), (4, 12), (3, 40)])
def test_transformers_candidate_order(min_num, max_num):
    got = internvl.candidate_grids(min_num, max_num, reference="transformers")
    assert [cols_rows(g) for g in got] == [
        tuple(g) for g in get_all_supported_aspect_ratios(min_num, max_num)
    ]


@pytest.mark.parametrize("min_num", [1, 2, 3, 5, 9, 17])
@pytest.mark.parametrize("max_num", [1, 6, 12, 24, 40, 64, 100])
def test_original_candidate_order_is_the_set_order(min_num, max_num):
    max_num = max(max_num, min_num)
    got = internvl.candidate_grids(min_num, max_num)
    assert [cols_rows(g) for g in got] == ref.candidates(min_num, max_num)


def test_golden_candidate_orders():
    for key, order in GRID["candidate_order_reference"].items():
        lo, hi = map(int, key.split("-"))
        got = internvl.candidate_grids(lo, hi)
        assert [cols_rows(g) for g in got] == [tuple(g) for g in order], key
    for key, order in GRID["candidate_order_hf"].items():
        lo, hi = map(int, key.split("-"))
        got = internvl.candidate_grids(lo, hi, reference="transformers")
        assert [cols_rows(g) for g in got] == [tuple(g) for g in order], key


@pytest.mark.parametrize(
    "case", GRID["cases"], ids=lambda c: f"{c['w']}x{c['h']}-{c['min_num']}-{c['max_num']}"
)
def test_golden_grid_cases(case):
    h, w, lo, hi = case["h"], case["w"], case["min_num"], case["max_num"]
    p = internvl.plan(h, w, min_num=lo, max_num=hi)
    assert cols_rows(p.grid) == tuple(case["grid"])
    hf = internvl.plan(h, w, min_num=lo, max_num=hi, reference="transformers")
    assert cols_rows(hf.grid) == tuple(case["grid_hf"])
    if "resized_wh" in case:
        assert p.resized == tuple(case["resized_wh"][::-1])
        if isinstance(case["tile_boxes_ltrb"], list):
            boxes = [(t, x, b - t, r - x) for x, t, r, b in case["tile_boxes_ltrb"]]
            assert list(p.boxes) == boxes
        else:  # large grids are summarised as "N boxes, row-major"
            assert case["tile_boxes_ltrb"] == f"{len(p.boxes)} boxes, row-major"
        assert p.num_tiles == case["num_tiles_with_thumbnail"]
        assert p.num_tokens + p.wrapper_tokens == case["tokens_with_thumbnail"]
        bare = internvl.plan(h, w, min_num=lo, max_num=hi, use_thumbnail=False)
        assert bare.num_tiles == case["num_tiles_no_thumbnail"]
    if "order_ref" in case:
        got = internvl.candidate_grids(lo, hi)
        assert [cols_rows(g) for g in got] == [tuple(g) for g in case["order_ref"]]
        got = internvl.candidate_grids(lo, hi, reference="transformers")
        assert [cols_rows(g) for g in got] == [tuple(g) for g in case["order_hf"]]


@pytest.mark.parametrize(
    "case", DIFFS, ids=lambda c: f"{c['w']}x{c['h']}-{c['min_num']}-{c['max_num']}"
)
def test_golden_min_num_divergences(case):
    kw = dict(min_num=case["min_num"], max_num=case["max_num"])
    assert cols_rows(internvl.plan(case["h"], case["w"], **kw).grid) == tuple(case["ref"])
    hf = internvl.plan(case["h"], case["w"], reference="transformers", **kw)
    assert cols_rows(hf.grid) == tuple(case["hf"])
    assert [cols_rows(g) for g in internvl.candidate_grids(**kw)][: len(case["ref_order"])] == [
        tuple(g) for g in case["ref_order"]
    ]


def test_spec_examples():
    assert internvl.plan(448, 448).num_tiles == 1  # the sglang tie-break bug gave 10
    p = internvl.plan(1080, 1920, max_num=40)
    assert p.num_tokens + p.wrapper_tokens == 7426
    assert internvl.plan(400, 300).resized == (1792, 1344)  # small images are up-sampled
    assert cols_rows(internvl.plan(1, 1000).grid) == (12, 1)


@settings(max_examples=30)
@given(
    st.lists(st.tuples(sides, sides), min_size=0, max_size=50),
    tiling(),
    st.sampled_from(["original", "transformers"]),
    st.booleans(),
)
def test_num_tokens_many_matches_plan(sizes, params, order, thumb):
    hs = np.array([s[0] for s in sizes], dtype=np.int64)
    ws = np.array([s[1] for s in sizes], dtype=np.int64)
    kw = dict(min_num=params[0], max_num=params[1], reference=order, use_thumbnail=thumb)
    got = internvl.num_tokens_many(hs, ws, **kw)
    assert got.dtype == np.int64
    assert got.tolist() == [internvl.plan(h, w, **kw).num_tokens for h, w in sizes]


def test_num_tokens_many_errors():
    with pytest.raises(DynresError, match="row 1"):
        internvl.num_tokens_many([5, 0], [5, 5])
    with pytest.raises(DynresError, match="row 0"):
        internvl.num_tokens_many([-3], [5])
    # 258 prompt tokens: 256 placeholders + <img></img>
    assert internvl.num_tokens_many([5, 0, 7], [5, 5, -1], errors="mask").tolist() == [256, -1, -1]
    with pytest.raises(TypeError):
        internvl.num_tokens_many([5.0], [5.0])
    with pytest.raises(DynresError):
        internvl.num_tokens_many([5, 6], [5])
    with pytest.raises(DynresError):
        internvl.num_tokens_many([[5]], [[5]])
    with pytest.raises(DynresError):
        internvl.num_tokens_many([5], [5], errors="ignore")


@pytest.mark.parametrize(
    "kwargs,exc",
    [
        (dict(height=0, width=5), DynresError),
        (dict(height=5, width=-1), DynresError),
        (dict(height=5.0, width=5), TypeError),
        (dict(height="5", width=5), TypeError),
        (dict(height=True, width=5), TypeError),
        (dict(height=5, width=5, min_num=0), DynresError),
        (dict(height=5, width=5, min_num=5, max_num=4), DynresError),
        (dict(height=5, width=5, max_num=5000), DynresError),
        (dict(height=5, width=5, image_size=440), DynresError),
        (dict(height=5, width=5, use_thumbnail=1), TypeError),
        (dict(height=5, width=5, reference="sorted"), DynresError),
        (dict(height=5, width=5, reference=None), TypeError),
        (dict(height=2**30, width=5), DynresError),
    ],
)
def test_plan_errors(kwargs, exc):
    with pytest.raises(exc):
        internvl.plan(**kwargs)


def test_image_size_sets_tokens_per_tile():
    p = internvl.plan(1000, 1000, image_size=224)
    assert p.tokens_per_tile == 64
    assert p.resized == (224 * p.grid[0], 224 * p.grid[1])


# ------------------------------------------------------------------ video


@pytest.mark.parametrize("case", VIDEO, ids=lambda c: f"{c['total_frames']}-{c['num_segments']}")
def test_golden_video_sampling(case):
    n, k, fps, bound = case["total_frames"], case["num_segments"], case["fps"], case["bound"]
    got = internvl.frame_indices(n, k, fps=fps, bound=bound)
    assert got.tolist() == case["internvl_ref_get_index"]
    hf = case["hf_internvl_sample_frames"]
    if isinstance(hf, str):
        with pytest.raises(DynresError, match="exceeds"):
            internvl.frame_indices(n, k, reference="transformers")
    elif bound is None:
        assert internvl.frame_indices(n, k, reference="transformers").tolist() == hf


@settings(max_examples=300)
@given(
    st.integers(1, 20000),
    st.integers(1, 64),
    st.one_of(st.none(), st.floats(1.0, 120.0)),
    st.integers(0, 50),
)
def test_get_index_matches_reference(n, k, fps, first_idx):
    first_idx = min(first_idx, n - 1)
    got = internvl.frame_indices(n, k, fps=fps, first_idx=first_idx)
    assert got.tolist() == ref.get_index(n, k, fps, None, first_idx)


@settings(max_examples=200)
@given(
    st.integers(1, 20000),
    st.integers(1, 64),
    st.floats(1.0, 60.0),
    st.floats(0.0, 300.0),
    st.floats(0.0, 300.0),
)
def test_get_index_with_bound(n, k, fps, a, b):
    start, end = min(a, b), max(a, b)
    want = ref.get_index(n, k, fps, (start, end))
    if min(want) < 0 or max(want) > n - 1:
        with pytest.raises(DynresError, match="outside the clip"):
            internvl.frame_indices(n, k, fps=fps, bound=(start, end))
    else:
        assert internvl.frame_indices(n, k, fps=fps, bound=(start, end)).tolist() == want


@settings(max_examples=300)
@given(st.integers(1, 100000), st.integers(1, 256))
def test_transformers_sampler_matches_reference(n, k):
    if k > n:
        with pytest.raises(DynresError):
            internvl.frame_indices(n, k, reference="transformers")
    else:
        got = internvl.frame_indices(n, k, reference="transformers").tolist()
        assert got == ref.hf_sample_frames(n, k)
        assert len(got) == k


@pytest.mark.parametrize(
    "args,kwargs,exc",
    [
        ((0, 8), {}, DynresError),
        ((10, 0), {}, DynresError),
        ((10, 4), dict(bound=(1.0, 2.0)), DynresError),
        ((10, 4), dict(fps=0.0), DynresError),
        ((10, 4), dict(fps=float("nan")), DynresError),
        ((10, 4), dict(fps="30"), TypeError),
        ((10, 4), dict(fps=30.0, bound=(1.0,)), TypeError),
        ((10, 4), dict(first_idx=-1), DynresError),
        ((10, 4), dict(first_idx=20), DynresError),
        ((10, 4), dict(reference="hf"), DynresError),
        ((10, 4), dict(reference="transformers", fps=30.0), DynresError),
        ((10.0, 4), {}, TypeError),
    ],
)
def test_frame_indices_errors(args, kwargs, exc):
    with pytest.raises(exc):
        internvl.frame_indices(*args, **kwargs)


@settings(max_examples=40)
@given(tiling())
def test_original_candidate_order_random_ranges(params):
    assert [cols_rows(g) for g in internvl.candidate_grids(*params)] == ref.candidates(*params)
