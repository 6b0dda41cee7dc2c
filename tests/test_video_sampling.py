"""video.sample_indices against the live upstream samplers: qwen-vl-utils 0.0.14 with torch's
float32 linspace, and transformers 5.x's video processors' ``sample_frames``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynres_fast import DynresError, qwen2vl, video

from reference import qwen2vl as ref

torch = pytest.importorskip("torch")
vp = pytest.importorskip("qwen_vl_utils.vision_process")
transformers = pytest.importorskip("transformers")
VideoMetadata = pytest.importorskip("transformers.video_utils").VideoMetadata

PROCESSORS = {
    "qwen2_vl": transformers.Qwen2VLVideoProcessor,
    "qwen3_vl": transformers.Qwen3VLVideoProcessor,
    "llava_onevision": transformers.LlavaOnevisionVideoProcessor,
    "internvl": transformers.InternVLVideoProcessor,
}
_INSTANCES = {rule: cls() for rule, cls in PROCESSORS.items()}

totals = st.one_of(st.integers(1, 400), st.integers(1, 40_000), st.integers(13_000, 19_000))
clip_rates = st.one_of(
    st.none(), st.sampled_from([24.0, 25.0, 29.97, 30.0, 60.0]), st.floats(0.5, 240)
)
rates = st.one_of(st.sampled_from([0.5, 1.0, 2.0, 4.0]), st.floats(0.05, 10))


def upstream_qwen_vl_utils(total, video_fps, fps, num_frames, min_frames, max_frames):
    ele = {}
    for key, v in (("fps", fps), ("nframes", num_frames)):
        if v is not None:
            ele[key] = v
    for key, v in (("min_frames", min_frames), ("max_frames", max_frames)):
        if v is not None:
            ele[key] = v
    n = vp.smart_nframes(ele, total, video_fps)
    return torch.linspace(0, total - 1, n).round().long().numpy()


def upstream_transformers(rule, total, video_fps, fps, num_frames, min_frames, max_frames):
    proc = _INSTANCES[rule]
    meta = VideoMetadata(total_num_frames=total, fps=video_fps)
    kw = {"num_frames": num_frames, "fps": fps}
    if rule == "qwen2_vl":
        kw.update(min_frames=min_frames, max_frames=max_frames)
    elif rule == "qwen3_vl":
        # Its sampler reads these from the instance, as Qwen3VLVideoProcessor(min_frames=...)
        # sets them.
        proc = PROCESSORS[rule](
            **{k: v for k, v in (("min_frames", min_frames), ("max_frames", max_frames)) if v}
        )
    return np.asarray(proc.sample_frames(meta, **kw)).astype(np.int64)


def check(upstream, ours, *args):
    """Our indices equal upstream's; where upstream raises, crashes or samples nothing,
    we raise DynresError."""
    try:
        want = upstream(*args)
    except (ValueError, TypeError, ZeroDivisionError, AssertionError, RuntimeError):
        want = None
    if want is None or want.size == 0:
        with pytest.raises(DynresError):
            ours()
        return
    got = ours()
    assert got.dtype == np.int64
    assert got.tolist() == want.tolist()


@settings(max_examples=300)
@given(
    totals,
    st.one_of(st.sampled_from([24.0, 29.97, 30.0]), st.floats(0.5, 240)),
    st.one_of(st.none(), rates),
    st.one_of(st.none(), st.integers(0, 800), st.floats(0, 800)),
    st.one_of(st.none(), st.integers(0, 40)),
    st.one_of(st.none(), st.integers(0, 900)),
)
def test_qwen_vl_utils_matches_upstream(total, video_fps, fps, num_frames, min_frames, max_frames):
    args = (total, video_fps, fps, num_frames, min_frames, max_frames)
    kw = dict(zip(["video_fps", "fps", "num_frames", "min_frames", "max_frames"], args[1:]))
    check(
        upstream_qwen_vl_utils,
        lambda: video.sample_indices(total, rule="qwen_vl_utils", **kw),
        *args,
    )


@pytest.mark.parametrize("rule", sorted(PROCESSORS))
@settings(max_examples=250)
@given(
    total=totals,
    video_fps=clip_rates,
    fps=st.one_of(st.none(), rates),
    num_frames=st.one_of(st.none(), st.integers(0, 3000)),
    bounds=st.one_of(st.none(), st.tuples(st.integers(1, 40), st.integers(1, 1000))),
)
def test_transformers_rules_match_upstream(rule, total, video_fps, fps, num_frames, bounds):
    min_frames, max_frames = bounds if bounds and rule in ("qwen2_vl", "qwen3_vl") else (None, None)
    args = (rule, total, video_fps, fps, num_frames, min_frames, max_frames)
    check(
        upstream_transformers,
        lambda: video.sample_indices(
            total,
            rule=rule,
            video_fps=video_fps,
            fps=fps,
            num_frames=num_frames,
            min_frames=min_frames,
            max_frames=max_frames,
        ),
        *args,
    )


@pytest.mark.parametrize("rule", sorted(PROCESSORS))
def test_large_counts_match_upstream(rule):
    # Past one vector block of torch's kernels and up to its single-thread limit.
    for total, n in [(40_000, 777), (30_001, 4_097), (32_768, 32_768), (100_000, 20_001)]:
        kw = {"num_frames": n}
        check(
            upstream_transformers,
            lambda kw=kw, total=total: video.sample_indices(total, rule=rule, **kw),
            rule,
            total,
            None,
            None,
            n,
            None,
            None,
        )


def test_long_clips_match_torch_linspace():
    # qwen2vl.sample_frames and the qwen_vl_utils rule share the Rust rule; 13,000-19,000
    # frame clips were one frame off before the fused multiply-add.
    for total in range(13_000, 19_000, 37):
        n = vp.smart_nframes({"fps": 2.0}, total, 30.0)
        want = torch.linspace(0, total - 1, n).round().long().tolist()
        assert qwen2vl.sample_frames(total, 30.0).tolist() == want
        assert video.sample_indices(total, rule="qwen_vl_utils", video_fps=30.0).tolist() == want
        assert ref.sample_frames(total, 30.0).tolist() == want
    assert qwen2vl.sample_frames(13_000, 30.0)[604] == 10237


def test_defaults_and_fallbacks():
    # Qwen3-VL: fps 2 by default, 24 fps assumed without metadata.
    assert len(video.sample_indices(240, rule="qwen3_vl")) == 20
    assert len(video.sample_indices(240, rule="qwen3_vl", video_fps=12.0)) == 40
    # LLaVA-OneVision: every frame by default.
    assert video.sample_indices(5, rule="llava_onevision").tolist() == [0, 1, 2, 3, 4]
    # InternVL: num_frames wins over fps.
    a = video.sample_indices(100, rule="internvl", video_fps=10.0, fps=1.0, num_frames=4)
    assert a.tolist() == video.sample_indices(100, rule="internvl", num_frames=4).tolist()


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"rule": "qwen3_vl", "fps": 2.0, "num_frames": 8}, "mutually exclusive"),
        ({"rule": "qwen2_vl", "fps": 2.0, "num_frames": 8}, "mutually exclusive"),
        ({"rule": "llava_onevision", "fps": 2.0, "num_frames": 8}, "mutually exclusive"),
        ({"rule": "qwen_vl_utils", "video_fps": 30, "fps": 2.0, "num_frames": 8}, "exclusive"),
        ({"rule": "qwen2_vl", "fps": 2.0}, "video_fps"),
        ({"rule": "internvl", "fps": 2.0}, "video_fps"),
        ({"rule": "llava_onevision", "fps": 2.0}, "video_fps"),
        ({"rule": "qwen_vl_utils"}, "video_fps"),
        ({"rule": "internvl"}, "num_frames or fps"),
        ({"rule": "qwen2_vl"}, "num_frames or fps"),
        ({"rule": "qwen2_vl", "num_frames": 1}, "at least 1"),
        ({"rule": "llava_onevision", "num_frames": 101}, "exceeds"),
        ({"rule": "internvl", "num_frames": 4, "max_frames": 8}, "min_frames / max_frames"),
        ({"rule": "qwen3_vl", "video_fps": 0.0}, "video_fps"),
        ({"rule": "qwen3_vl", "fps": float("inf")}, "fps"),
        ({"rule": "qwen3_vl", "max_frames": 0}, "at least 1"),
        ({"rule": "qwen_vl_utils", "video_fps": 30.0, "num_frames": 1}, "nframes"),
        ({"rule": "qwen4_vl"}, "rule must be one of"),
    ],
)
def test_errors(kw, match):
    with pytest.raises(DynresError, match=match):
        video.sample_indices(100, **kw)


def test_argument_types():
    with pytest.raises(DynresError, match="total_frames"):
        video.sample_indices(0, rule="qwen3_vl")
    with pytest.raises(TypeError, match="num_frames"):
        video.sample_indices(100, rule="qwen3_vl", num_frames=4.0)
    with pytest.raises(TypeError, match="fps"):
        video.sample_indices(100, rule="qwen3_vl", fps="2")
    with pytest.raises(TypeError, match="rule"):
        video.sample_indices(100, rule=None)  # type: ignore[arg-type]
    # qwen-vl-utils rounds a float nframes.
    got = video.sample_indices(100, rule="qwen_vl_utils", video_fps=30.0, num_frames=7.0)
    assert got.tolist() == [0, 14, 28, 42, 57, 71, 85, 99]
