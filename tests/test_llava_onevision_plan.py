"""LLaVA-OneVision plans: Rust vs the readable reference, the live transformers processor
(token counts) and the goldens; bilinear pooling vs NumPy and torch's weights."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dynres_fast import DynresError
from dynres_fast import llava_onevision as ov

from conftest import DATA
from reference import llava_onevision as ref

try:
    from transformers.image_processing_utils import select_best_resolution as hf_select
    from transformers.models.llava_onevision.processing_llava_onevision import (
        LlavaOnevisionProcessor,
    )
except ImportError:  # pragma: no cover - transformers is a test dependency
    LlavaOnevisionProcessor = None

TOKENS = json.loads((DATA / "llava_ov_token_cases.json").read_text())["cases"]
EXAMPLES = json.loads((DATA / "llava_ov_image_examples.json").read_text())
DIFFS = json.loads((DATA / "llava_ov_orig_vs_hf_diffs_N1000.json").read_text())
POOL = json.loads((DATA / "llava_ov_video_pool_weights_27to14.json").read_text())
TAPS = json.loads((DATA / "bilinear_weights_examples.json").read_text())["weights"]
VIDEO = json.loads((DATA / "video_sampling_cases.json").read_text())
needs_hf = pytest.mark.skipif(LlavaOnevisionProcessor is None, reason="transformers missing")


def hf_num_features(height, width):
    """The processor's own ``_get_number_of_features`` on a bare instance: it only reads
    ``image_processor.image_grid_pinpoints``, ``num_image_tokens`` and
    ``vision_aspect_ratio``, so no tokenizer, weights or torch are needed."""
    proc = object.__new__(LlavaOnevisionProcessor)
    proc.__dict__.update(
        image_processor=types.SimpleNamespace(image_grid_pinpoints=ref.PINPOINTS),
        num_image_tokens=729,
        vision_aspect_ratio="anyres_max_9",
    )
    return proc._get_number_of_features(height, width, 384, 384)


sides = st.integers(1, 8000)
conventions = st.sampled_from(["transformers", "original"])
grids = st.lists(st.tuples(st.integers(1, 12), st.integers(1, 12)), min_size=1, max_size=8)


@settings(max_examples=500)
@given(sides, sides, conventions)
def test_plan_matches_reference(h, w, convention):
    got = ov.plan(h, w, reference=convention)
    want = ref.plan(h, w, convention)
    for key in ("canvas", "resized", "paste", "unpadded", "final", "num_tokens"):
        assert getattr(got, key) == want[key], key
    assert got.grid[::-1] == want["grid"]  # the reference writes (cols, rows)
    assert got.times == want["times"]
    assert got.num_crops == 1 + got.grid[0] * got.grid[1] == 1 + len(got.boxes)


@needs_hf
@settings(max_examples=500)
@given(sides, sides)
def test_tokens_match_live_transformers(h, w):
    assert ov.plan(h, w).num_tokens == hf_num_features(h, w)


@needs_hf
@settings(max_examples=300)
@given(sides, sides)
def test_canvas_matches_transformers_select_best_resolution(h, w):
    assert ov.select_best_resolution(h, w) == tuple(hf_select((h, w), ref.PINPOINTS))


@settings(max_examples=300)
@given(
    sides,
    sides,
    st.lists(st.tuples(st.integers(1, 12), st.integers(1, 12)), min_size=1, max_size=8),
)
def test_select_best_resolution_any_pinpoints(h, w, grid):
    pins = [(384 * a, 384 * b) for a, b in grid]
    for convention in ("transformers", "original"):
        want = ref.select_best_resolution(h, w, pins, convention)
        assert ov.select_best_resolution(h, w, pins, reference=convention) == want
        p = ov.plan(h, w, image_grid_pinpoints=pins, reference=convention)
        assert p.num_tokens == ref.plan(h, w, convention, pins)["num_tokens"]


def _check_case(case):
    h, w = case["h"], case["w"]
    for convention, key in (("original", "tokens_orig"), ("transformers", "tokens_hf")):
        p = ov.plan(h, w, reference=convention)
        assert p.canvas == tuple(case["best_wh"][::-1])
        assert p.resized == tuple(case["resized_wh"][::-1])
        assert p.paste == tuple(case["paste_xy"][::-1])
        assert p.grid[::-1] == tuple(case["grid_cols_rows"])
        assert p.num_crops == case["num_crops_incl_base"]
        assert p.num_tokens == case[key]
    orig = ov.plan(h, w, reference="original")
    assert orig.unpadded == tuple(case["unpadded_hw"])
    assert orig.times == case["times"]
    assert orig.final == tuple(case["final_hw"])


@pytest.mark.parametrize("case", TOKENS, ids=lambda c: f"{c['w']}x{c['h']}")
def test_golden_token_cases(case):
    _check_case(case)


@pytest.mark.parametrize("case", EXAMPLES, ids=lambda c: f"{c['w']}x{c['h']}")
def test_golden_image_examples(case):
    _check_case(case)


def test_golden_exhaustive_differences():
    """Over all 1..1000² sizes, the two conventions differ exactly where the golden says."""
    n = DIFFS["N"]
    hs, ws = np.meshgrid(np.arange(1, n + 1), np.arange(1, n + 1), indexing="ij")
    hs, ws = hs.ravel(), ws.ravel()
    orig = ov.num_tokens_many(hs, ws, reference="original")
    hf = ov.num_tokens_many(hs, ws, reference="transformers")
    differ = np.nonzero(orig != hf)[0]
    got = sorted((int(ws[i]), int(hs[i]), int(orig[i]), int(hf[i])) for i in differ)
    want = sorted((w, h, o, t) for w, h, _, o, t in DIFFS["token_diffs"])
    assert got == want


@settings(max_examples=30)
@given(st.lists(st.tuples(sides, sides), max_size=40), conventions)
def test_num_tokens_many_matches_plan(sizes, convention):
    hs = np.array([s[0] for s in sizes], dtype=np.int64)
    ws = np.array([s[1] for s in sizes], dtype=np.int64)
    got = ov.num_tokens_many(hs, ws, reference=convention)
    assert got.tolist() == [ov.plan(h, w, reference=convention).num_tokens for h, w in sizes]


def test_spec_rounding_trap():
    assert ov.plan(423, 47, reference="original").num_tokens == 1053
    assert ov.plan(423, 47).num_tokens == 1161
    assert ov.plan(5488, 7938, reference="original").num_tokens == 7295
    assert ov.plan(5488, 7938).num_tokens == 7228
    assert ov.video_num_tokens(8) == 8 * 196 + 1
    assert ov.MULTI_IMAGE_TOKENS == 730


@pytest.mark.parametrize(
    "call,exc",
    [
        (lambda: ov.plan(0, 10), DynresError),
        (lambda: ov.plan(10, -1), DynresError),
        (lambda: ov.plan(10.5, 10), TypeError),
        (lambda: ov.plan(10, 10, reference="llava"), DynresError),
        (lambda: ov.plan(10, 10, reference=1), TypeError),
        (lambda: ov.plan(10, 10, image_grid_pinpoints=[]), DynresError),
        (lambda: ov.plan(10, 10, image_grid_pinpoints=[(300, 500)]), DynresError),
        (lambda: ov.plan(10, 10, crop_size=13), DynresError),
        (lambda: ov.plan(10, 10, crop_size=384.0), TypeError),
        (lambda: ov.plan(10, 10, image_grid_pinpoints=[(0, 384)]), DynresError),
        (lambda: ov.plan(10, 10, image_grid_pinpoints=[(384,)]), TypeError),
        (lambda: ov.plan(10, 10, image_grid_pinpoints="384x384"), TypeError),
        (lambda: ov.plan(10, 10, image_grid_pinpoints=[(384.0, 384)]), TypeError),
        (lambda: ov.select_best_resolution(10, 10, []), DynresError),
        (lambda: ov.select_best_resolution(0, 10), DynresError),
        (lambda: ov.num_tokens_many([1, 0], [1, 1]), DynresError),
        (lambda: ov.num_tokens_many([1.5], [1]), TypeError),
        (lambda: ov.num_tokens_many([1], [1], errors="skip"), DynresError),
        (lambda: ov.video_num_tokens(-1), DynresError),
    ],
)
def test_errors(call, exc):
    with pytest.raises(exc):
        call()


def test_mask_mode():
    assert ov.num_tokens_many([384, 0], [384, 5], errors="mask").tolist() == [1485, -1]


# ------------------------------------------------------------------ pooling


def test_video_pool_weights_27_to_14_float64():
    """Pooling an identity along H recovers torch's 27→14 weight matrix exactly."""
    eye = np.eye(27, dtype=np.float64).reshape(27, 1, 27)  # (H, W=1, C): x[h, 0, c] = δ(h, c)
    got = ov.pool_features(eye, (14, 1))[:, 0, :]
    np.testing.assert_array_equal(got, np.array(POOL["W_27_to_14"]))


@pytest.mark.parametrize("key", sorted(TAPS))
def test_float32_taps_match_torch(key):
    n_in, n_out = map(int, key.split("_to_"))
    eye = np.eye(n_in, dtype=np.float32).reshape(1, n_in, n_in)  # (H=1, W, C)
    got = ov.pool_features(eye, (1, n_out))[0]  # (n_out, n_in)
    for o, taps in enumerate(TAPS[key]):
        want = np.zeros(n_in, dtype=np.float32)
        for i, wgt in taps:
            want[i] += np.float32(wgt)
        np.testing.assert_array_equal(got[o], want)


@settings(max_examples=60)
@given(
    st.sampled_from([np.float32, np.float64]),
    st.tuples(st.integers(0, 2), st.integers(1, 30), st.integers(1, 30), st.integers(1, 9)),
    st.tuples(st.integers(1, 30), st.integers(1, 30)),
    st.data(),
)
def test_pool_matches_numpy_reference(dtype, shape, out_hw, data):
    b, h, w, c = shape
    full = (b, h, w, c) if b else (h, w, c)
    x = data.draw(hnp.arrays(dtype, full, elements=st.floats(-1e3, 1e3, width=32)))
    got = ov.pool_features(x, out_hw)
    assert got.dtype == dtype and got.shape == full[:-3] + out_hw + (c,)
    np.testing.assert_array_equal(got, ref.pool(x, out_hw))


def test_pool_video_shape_and_layout():
    x = np.random.default_rng(0).standard_normal((4, 27, 27, 16)).astype(np.float32)
    y = ov.pool_features(x)
    assert y.shape == (4, 14, 14, 16)
    np.testing.assert_array_equal(ov.pool_features(np.asfortranarray(x)), y)  # copied once


@pytest.mark.parametrize(
    "call,exc",
    [
        (lambda: ov.pool_features(np.zeros((3, 3, 3), np.int32)), TypeError),
        (lambda: ov.pool_features(np.zeros((3, 3), np.float32)), DynresError),
        (lambda: ov.pool_features(np.zeros((0, 3, 3), np.float32)), DynresError),
        (lambda: ov.pool_features(np.zeros((3, 3, 3), np.float32), (0, 2)), DynresError),
        (lambda: ov.pool_features(np.zeros((3, 3, 3), np.float32), (2,)), DynresError),
    ],
)
def test_pool_errors(call, exc):
    with pytest.raises(exc):
        call()


# ------------------------------------------------------------------ video frames


@pytest.mark.parametrize(
    "case", VIDEO["llava_ov"], ids=lambda c: f"{c['total_frames']}-{c['num_frames']}"
)
def test_golden_linspace(case):
    got = ov.frame_indices(case["total_frames"], case["num_frames"])
    assert got.tolist() == case["llava_ov_tutorial_linspace"]


@settings(max_examples=300)
@given(st.integers(1, 10**6), st.integers(0, 300))
def test_linspace_matches_numpy(total, n):
    want = np.linspace(0, total - 1, n, dtype=int)
    assert ov.frame_indices(total, n).tolist() == want.tolist()


@settings(max_examples=200)
@given(
    st.integers(1, 20000),
    st.floats(0.6, 120.0),
    st.sampled_from([0.5, 1.0, 2.0]),
    st.integers(1, 64),
    st.booleans(),
)
def test_fps_rule_matches_reference(total, video_fps, fps, cap, force):
    from reference.oryx import fps_indices

    kw = dict(sampler="fps", video_fps=video_fps, fps=fps, force_sample=force)
    try:
        want = fps_indices(total, video_fps, fps, cap, force)
    except ValueError:  # range() with a zero step
        with pytest.raises(DynresError, match="is 0"):
            ov.frame_indices(total, cap, **kw)
        return
    assert ov.frame_indices(total, cap, **kw).tolist() == want


@pytest.mark.parametrize(
    "call,exc",
    [
        (lambda: ov.frame_indices(0, 4), DynresError),
        (lambda: ov.frame_indices(10, -1), DynresError),
        (lambda: ov.frame_indices(10, 4, sampler="random"), DynresError),
        (lambda: ov.frame_indices(10, 4, sampler="fps"), DynresError),
        (lambda: ov.frame_indices(10, 4, sampler="fps", video_fps=0.2), DynresError),
        (lambda: ov.frame_indices(10, 4, sampler="fps", video_fps="30"), TypeError),
        (lambda: ov.frame_indices(10, 4.0), TypeError),
    ],
)
def test_frame_errors(call, exc):
    with pytest.raises(exc):
        call()
