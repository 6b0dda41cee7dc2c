"""Oryx plans: Rust vs the readable reference and the goldens (official script env)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynres_fast import AspectRatioError, DynresError, oryx

from conftest import DATA
from reference import oryx as ref

ROWS = json.loads((DATA / "oryx_examples.json").read_text())["rows"]
IMAGES = [r for r in ROWS if r["kind"] == "image"]
FRAMES = [r for r in ROWS if r["kind"] == "video_frame"]
FPS = json.loads((DATA / "video_sampling_cases.json").read_text())["oryx_model_card_fps_sampling"]

sides = st.one_of(st.integers(1, 40), st.integers(1, 5000), st.integers(1, 200_000))


@settings(max_examples=600)
@given(sides, sides)
def test_plan_matches_reference(h, w):
    want = ref.plan(h, w)
    if want is None:
        with pytest.raises(AspectRatioError, match="zero side"):
            oryx.plan(h, w)
        return
    p = oryx.plan(h, w)
    assert (p.highres, p.lowres, p.num_tokens) == want
    assert p.highres_grid == (p.highres[0] // 16, p.highres[1] // 16)
    assert p.lowres_grid == (p.lowres[0] // 16, p.lowres[1] // 16)


@settings(max_examples=200)
@given(
    sides,
    sides,
    st.sampled_from([768, 1024, 1536, 2048]),
    st.sampled_from([0, 256, 512]),
    st.sampled_from([256, 384, 448]),
    st.sampled_from([16, 32, 64]),
    st.sampled_from([16, 32]),
)
def test_other_environments(h, w, max_res, min_res, base, low_patch, high_patch):
    want = ref.plan(h, w, max_res, min_res, base, low_patch, high_patch)
    kw = dict(
        max_res=max_res,
        min_res=min_res,
        lowres_base=base,
        lowres_patch=low_patch,
        highres_patch=high_patch,
    )
    if want is None:
        with pytest.raises(AspectRatioError):
            oryx.plan(h, w, **kw)
    else:
        p = oryx.plan(h, w, **kw)
        assert (p.highres, p.lowres, p.num_tokens) == want


@pytest.mark.parametrize("row", IMAGES, ids=lambda r: f"{r['w']}x{r['h']}")
def test_golden_images(row):
    p = oryx.plan(row["h"], row["w"])
    assert p.highres == tuple(row["highres_wh"][::-1])
    assert p.lowres == tuple(row["lowres_wh"][::-1])
    assert p.highres_grid == tuple(row["highres_grid_hw"])
    assert p.lowres_grid == tuple(row["lowres_grid_hw"])
    assert p.num_tokens == row["tokens"]


@pytest.mark.parametrize("row", FRAMES, ids=lambda r: f"{r['w']}x{r['h']}")
def test_golden_video_frames(row):
    h, w = row["h"], row["w"]
    if "error" in row:
        # The golden's generator ran 'video' and 'video_long' together: 4000×100 keeps a
        # 64-pixel row under 'video' (75.9 px floors to 64) and floors to 0 under 'video_long'.
        assert oryx.video_frame_size(h, w) == (64, 3008)
        with pytest.raises(AspectRatioError):
            oryx.video_frame_size(h, w, long=True)
        return
    assert oryx.video_frame_size(h, w) == tuple(row["frame_wh"][::-1])
    assert oryx.video_num_tokens(1, h, w) - 2 == row["tokens_per_frame_video"]
    assert oryx.video_num_tokens(64, h, w) == row["tokens_64_frames_video"]
    assert oryx.video_frame_size(h, w, long=True) == tuple(row["long_frame_wh"][::-1])
    assert oryx.video_num_tokens(1, h, w, long=True) - 2 == row["tokens_per_frame_video_long"]


@settings(max_examples=400)
@given(sides, sides, st.booleans())
def test_video_matches_reference(h, w, long):
    want = ref.video_frame(h, w, long)
    if want is None:
        with pytest.raises(AspectRatioError):
            oryx.video_frame_size(h, w, long=long)
        return
    assert oryx.video_frame_size(h, w, long=long) == want[0]
    assert oryx.video_num_tokens(7, h, w, long=long) == 2 + 7 * want[1]


@settings(max_examples=30)
@given(st.lists(st.tuples(sides, sides), max_size=40))
def test_num_tokens_many(sizes):
    hs = np.array([s[0] for s in sizes], dtype=np.int64)
    ws = np.array([s[1] for s in sizes], dtype=np.int64)
    want = [(ref.plan(h, w) or (0, 0, -1))[2] for h, w in sizes]
    assert oryx.num_tokens_many(hs, ws, errors="mask").tolist() == want
    if -1 in want:
        with pytest.raises(AspectRatioError, match=f"row {want.index(-1)}"):
            oryx.num_tokens_many(hs, ws)
    else:
        assert oryx.num_tokens_many(hs, ws).tolist() == want


@pytest.mark.parametrize("case", FPS, ids=lambda c: str(c["total_frames"]))
def test_golden_fps_sampling(case):
    got = oryx.frame_indices(
        case["total_frames"],
        sampler="fps",
        video_fps=case["avg_fps"],
        num_frames=case["max_frames"],
    )
    assert got.tolist() == case["idx"]


@settings(max_examples=200)
@given(st.integers(1, 100_000), st.integers(1, 128))
def test_uniform_sampling(total, n):
    want = np.linspace(0, total - 1, n, dtype=int).tolist()
    assert oryx.frame_indices(total, num_frames=n).tolist() == want
    if n == 64:
        assert oryx.frame_indices(total).tolist() == want


@pytest.mark.parametrize(
    "call,exc",
    [
        (lambda: oryx.plan(0, 5), DynresError),
        (lambda: oryx.plan(5, -5), DynresError),
        (lambda: oryx.plan(5.0, 5), TypeError),
        (lambda: oryx.plan(40, 100_000), AspectRatioError),
        (lambda: oryx.plan(5, 5, lowres_patch=24), DynresError),
        (lambda: oryx.plan(5, 5, highres_patch=0), DynresError),
        (lambda: oryx.plan(5, 5, max_res=0), DynresError),
        (lambda: oryx.plan(5, 5, min_res=-1), DynresError),
        (lambda: oryx.plan(5, 5, lowres_base="384"), TypeError),
        (lambda: oryx.video_frame_size(0, 5), DynresError),
        (lambda: oryx.video_frame_size(5, 5, video_patch=48), DynresError),
        (lambda: oryx.video_frame_size(5, 5, long=1), TypeError),
        (lambda: oryx.video_num_tokens(-1, 5, 5), DynresError),
        (lambda: oryx.num_tokens_many([1.0], [1]), TypeError),
        (lambda: oryx.num_tokens_many([1], [1], errors="x"), DynresError),
        (lambda: oryx.frame_indices(0), DynresError),
        (lambda: oryx.frame_indices(10, num_frames=0), DynresError),
        (lambda: oryx.frame_indices(10, sampler="fps"), DynresError),
        (lambda: oryx.frame_indices(10, sampler="fps", video_fps=float("inf")), DynresError),
        (lambda: oryx.frame_indices(10, sampler="1fps"), DynresError),
    ],
)
def test_errors(call, exc):
    with pytest.raises(exc):
        call()
