"""The model registry: plans and vectorised token counts for every registered model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynres_fast import DynresError, models, qwen2vl

QWEN = {
    "qwen2-vl": (14, 3136, 12845056),
    "qwen2.5-vl": (14, 3136, 12845056),
    "qwen3-vl": (16, 65536, 16777216),
    "qwen2-vl-default": (14, 3136, 1003520),
}


def test_registry_names_and_errors() -> None:
    assert set(QWEN) <= set(models.names())
    with pytest.raises(DynresError, match="known models: .*qwen3-vl"):
        models.get("nope")
    spec = models.get("qwen3-vl")
    with pytest.raises(DynresError, match="does not accept max_num"):
        spec.check_options({"max_num": 12, "max_pixels": None})


@pytest.mark.parametrize("name", sorted(QWEN))
def test_image_plan_matches_smart_resize(name: str) -> None:
    patch, lo, hi = QWEN[name]
    spec = models.get(name)
    for h, w in [(1, 1), (480, 640), (1080, 1920), (8000, 6000), (10, 2000), (1, 200)]:
        p = spec.plan(h, w)
        rh, rw = qwen2vl.smart_resize(h, w, factor=2 * patch, min_pixels=lo, max_pixels=hi)
        assert p.resized == (rh, rw)
        assert p.grid_thw == (1, rh // patch, rw // patch)
        assert p.num_tokens == (rh // patch) * (rw // patch) // 4
        assert p.num_frames is None


def test_spec_examples() -> None:
    # spec §1.4: (1080, 1920) → (1092, 1932) hub, (728, 1316) class default, (1088, 1920) Qwen3
    assert models.get("qwen2.5-vl").plan(1080, 1920).resized == (1092, 1932)
    assert models.get("qwen2-vl-default").plan(1080, 1920).resized == (728, 1316)
    assert models.get("qwen3-vl").plan(1080, 1920).resized == (1088, 1920)
    # spec §3.3: 300 frames at 30 fps → 20 frames of 560x1008 (grid_t 10)
    v = models.get("qwen2.5-vl").plan(1080, 1920, total_frames=300, video_fps=30.0)
    assert (v.num_frames, v.resized, v.grid_thw) == (20, (560, 1008), (10, 40, 72))
    assert v.num_tokens == 10 * 40 * 72 // 4


def test_plan_errors() -> None:
    spec = models.get("qwen2-vl")
    with pytest.raises(DynresError, match="both total_frames and video_fps"):
        spec.plan(100, 100, total_frames=10)
    with pytest.raises(DynresError, match="200"):
        spec.plan(1, 201)
    with pytest.raises(DynresError, match="differ in length"):
        spec.num_tokens_many([1, 2], [3])
    with pytest.raises(DynresError, match="row 1"):
        spec.num_tokens_many([100, 100], [100, 100], total_frames=[0, 1], video_fps=[0.0, 30.0])


sizes = st.integers(1, 9000)


@settings(max_examples=60)
@given(
    st.sampled_from(sorted(QWEN)),
    st.lists(
        st.tuples(sizes, sizes, st.integers(0, 20000), st.floats(0.5, 120.0)),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([None, 70000.0, 2e6]),
)
def test_num_tokens_many_equals_plan(name: str, rows: list, max_pixels: object) -> None:
    spec = models.get(name)
    hs, ws, fr, fp = (np.array(c) for c in zip(*rows))
    fr = np.where(fr % 3 == 0, 0, fr)  # a third images
    got = spec.num_tokens_many(
        hs, ws, total_frames=fr, video_fps=fp, max_pixels=max_pixels, errors="mask"
    )
    for i, (h, w, f, r) in enumerate(zip(hs.tolist(), ws.tolist(), fr.tolist(), fp.tolist())):
        try:
            kw = {"total_frames": f, "video_fps": r} if f else {"max_pixels": max_pixels}
            want = spec.plan(h, w, **kw).num_tokens
        except DynresError:
            want = -1
        assert got[i] == want, (i, h, w, f, r)
