"""transformers 5.x's torchvision video processors, live: Qwen2VLVideoProcessor,
Qwen3VLVideoProcessor (whole-clip budget), InternVLVideoProcessor and
LlavaOnevisionVideoProcessor against our VideoProcessor classes on the same frames and
metadata; Hypothesis over frame counts, sizes, budgets and frame rates."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynres_fast import DynresError, qwen2vl

tf = pytest.importorskip("transformers")
pytest.importorskip("torchvision")
if int(tf.__version__.split(".")[0]) < 5:  # pragma: no cover - the oracle is 5.x
    pytest.skip("the video processors targeted are transformers 5.x's", allow_module_level=True)

from transformers import Qwen2VLVideoProcessor, Qwen3VLVideoProcessor  # noqa: E402


def clip(t, h, w, seed=0, c=3):
    """A random clip with a little structure (a moving gradient) plus noise."""
    rng = np.random.default_rng(seed * 7919 + t * 131 + h * 17 + w)
    base = rng.integers(0, 256, (t, h, w, c), dtype=np.uint8)
    ramp = np.arange(w, dtype=np.int32)[None, None, :, None] + 9 * np.arange(t)[:, None, None, None]
    return ((base.astype(np.int32) // 2 + ramp % 128) % 256).astype(np.uint8)


def upstream(proc, videos, **kw):
    """The upstream processor's outputs as NumPy (a list of arrays where it returns a list)."""
    if kw.get("cap_pixels_per_frame", 0) is None:
        del kw["cap_pixels_per_frame"]  # None fails its kwargs validation
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = proc(videos, return_metadata=True, **kw)
    return {
        k: [x.numpy() for x in v]
        if isinstance(v, list) and k != "video_metadata"
        else (v.numpy() if hasattr(v, "numpy") else v)
        for k, v in out.items()
    }


def assert_same_qwen(got, want):
    np.testing.assert_array_equal(got["video_grid_thw"], want["video_grid_thw"])
    assert got["pixel_values_videos"].dtype == np.float32
    np.testing.assert_array_equal(got["pixel_values_videos"], want["pixel_values_videos"])
    for idx, meta in zip(got["frame_indices"], want["video_metadata"]):
        np.testing.assert_array_equal(idx, np.asarray(meta.frames_indices))


# ------------------------------------------------------------------ Qwen2-VL


def test_defaults_equal_the_upstream_classes():
    q2, q3 = Qwen2VLVideoProcessor(), Qwen3VLVideoProcessor()
    ours2, ours3 = qwen2vl.VideoProcessor(), qwen2vl.VideoProcessor.qwen3_vl()
    for up, ours in ((q2, ours2), (q3, ours3)):
        assert (ours.min_pixels, ours.max_pixels) == (
            up.size["shortest_edge"],
            up.size["longest_edge"],
        )
        assert (ours.patch_size, ours.temporal_patch_size, ours.merge_size) == (
            up.patch_size,
            up.temporal_patch_size,
            up.merge_size,
        )
        assert ours.image_mean == pytest.approx(up.image_mean, abs=0)
        assert ours.image_std == pytest.approx(up.image_std, abs=0)
        assert ours.do_sample_frames == up.do_sample_frames
        assert ours.fps == up.fps and ours.num_frames == up.num_frames
        assert (ours.min_frames, ours.max_frames) == (up.min_frames, up.max_frames)
        assert ours.max_video_tokens == up.max_video_tokens
        assert ours.cap_pixels_per_frame is up.cap_pixels_per_frame is None


@settings(max_examples=25)
@given(
    t=st.integers(1, 9),
    h=st.integers(20, 160),
    w=st.integers(20, 160),
    budget=st.sampled_from([(128 * 28 * 28, 768 * 28 * 28), (3136, 12845056), (3136, 20000)]),
    cap=st.sampled_from([None, False, True]),
    tokens=st.sampled_from([128000, 40, 7]),
)
def test_qwen2_vl_frames_given(t, h, w, budget, cap, tokens):
    lo, hi = budget
    up = Qwen2VLVideoProcessor(min_pixels=lo, max_pixels=hi, max_video_tokens=tokens)
    ours = qwen2vl.VideoProcessor(
        min_pixels=lo, max_pixels=hi, max_video_tokens=tokens, cap_pixels_per_frame=cap
    )
    vids = [clip(t, h, w), clip(max(1, t - 1), w, h, seed=1)]
    want = upstream(up, vids, cap_pixels_per_frame=cap)
    assert_same_qwen(ours(vids), want)


# ------------------------------------------------------------------ Qwen3-VL


@settings(max_examples=25)
@given(
    t=st.integers(2, 12),
    h=st.integers(8, 200),
    w=st.integers(8, 200),
    budget=st.sampled_from([(128 * 32 * 32, 768 * 32 * 32), (4096, 25165824), (4096, 60000)]),
    cap=st.sampled_from([None, True]),
)
def test_qwen3_vl_frames_given(t, h, w, budget, cap):
    lo, hi = budget
    size = {"shortest_edge": lo, "longest_edge": hi}
    up = Qwen3VLVideoProcessor(size=size, do_sample_frames=False)
    ours = qwen2vl.VideoProcessor.qwen3_vl(
        min_pixels=lo, max_pixels=hi, do_sample_frames=False, cap_pixels_per_frame=cap
    )
    vid = clip(t, h, w)
    try:
        want = upstream(up, vid, cap_pixels_per_frame=cap)
    except ValueError as e:  # aspect ratio above 200 after the scale-up
        with pytest.raises(DynresError):
            ours(vid)
        assert "aspect ratio" in str(e)
        return
    assert_same_qwen(ours(vid), want)


def test_qwen3_vl_whole_clip_budget_differs_from_the_image_budget():
    vid = clip(16, 120, 200)
    got = qwen2vl.VideoProcessor.qwen3_vl(do_sample_frames=False)(vid)
    assert_same_qwen(got, upstream(Qwen3VLVideoProcessor(do_sample_frames=False), vid))
    per_image = qwen2vl.ImageProcessor.qwen3_vl(compat="torchvision").videos(vid)
    assert got["video_grid_thw"].tolist() != per_image["video_grid_thw"].tolist()


def test_qwen3_vl_small_sides_are_scaled_up_like_5x():
    vid = clip(4, 20, 640)
    want = upstream(Qwen3VLVideoProcessor(do_sample_frames=False), vid)
    assert_same_qwen(qwen2vl.VideoProcessor.qwen3_vl(do_sample_frames=False)(vid), want)
    assert qwen2vl.video_smart_resize(8, 20, 640) == (32, 1024)
    with pytest.raises(DynresError, match="larger than factor"):
        qwen2vl.video_smart_resize(8, 20, 640, convention="transformers4")


def test_qwen3_vl_one_frame_is_refused_like_upstream():
    with pytest.raises(ValueError, match="temporal_factor"):
        upstream(Qwen3VLVideoProcessor(do_sample_frames=False), clip(1, 64, 64))
    with pytest.raises(DynresError, match="video 0 .*temporal_factor"):
        qwen2vl.VideoProcessor.qwen3_vl(do_sample_frames=False)(clip(1, 64, 64))


# ------------------------------------------------------------------ from_pretrained


def test_from_pretrained_reads_the_video_config(tmp_path):
    hub3 = {
        "video_processor_type": "Qwen3VLVideoProcessor",
        "size": {"longest_edge": 25165824, "shortest_edge": 4096},
        "patch_size": 16,
        "temporal_patch_size": 2,
        "merge_size": 2,
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
        "fps": 2,
        "do_sample_frames": True,
    }
    (tmp_path / "video_preprocessor_config.json").write_text(json.dumps(hub3))
    ours = qwen2vl.VideoProcessor.from_pretrained(tmp_path)
    up = Qwen3VLVideoProcessor.from_pretrained(tmp_path)
    assert ours.budget == "clip" and (ours.min_pixels, ours.max_pixels) == (4096, 25165824)
    vid = clip(6, 100, 150)
    assert_same_qwen(ours(vid, do_sample_frames=False), upstream(up, vid, do_sample_frames=False))

    q25 = tmp_path / "q25"
    q25.mkdir()
    (q25 / "preprocessor_config.json").write_text(
        json.dumps(
            {
                "image_processor_type": "Qwen2VLImageProcessor",
                "min_pixels": 3136,
                "max_pixels": 12845056,
                "patch_size": 14,
                "temporal_patch_size": 2,
                "merge_size": 2,
            }
        )
    )
    ours = qwen2vl.VideoProcessor.from_pretrained(q25)
    assert ours.budget == "frame" and (ours.min_pixels, ours.max_pixels) == (3136, 12845056)
    up = Qwen2VLVideoProcessor.from_pretrained(q25)
    vid = clip(5, 300, 200)
    assert_same_qwen(ours(vid), upstream(up, vid))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DynresError, match="no video processor config"):
        qwen2vl.VideoProcessor.from_pretrained(empty)
    with pytest.raises(DynresError, match="model directory or a JSON file"):
        qwen2vl.VideoProcessor.from_pretrained(tmp_path / "nowhere")


# ------------------------------------------------------------------ InternVL, LLaVA-OneVision


@pytest.mark.parametrize("family", ["internvl", "llava_onevision"])
@settings(max_examples=10)
@given(
    t=st.integers(1, 5),
    h=st.integers(10, 300),
    w=st.integers(10, 300),
    size=st.sampled_from([(384, 384), (448, 448), (200, 120)]),
)
def test_squash_processors_frames_given(family, t, h, w, size):
    import transformers

    from dynres_fast import internvl
    from dynres_fast import llava_onevision as ov

    up_cls = {
        "internvl": transformers.InternVLVideoProcessor,
        "llava_onevision": transformers.LlavaOnevisionVideoProcessor,
    }[family]
    ours_cls = {"internvl": internvl.VideoProcessor, "llava_onevision": ov.VideoProcessor}[family]
    vids = [clip(t, h, w), clip(t + 1, w, h, seed=3)]
    up = up_cls(size={"height": size[0], "width": size[1]})
    want = upstream(up, vids)
    got = ours_cls(size=size)(vids)
    assert len(got["pixel_values_videos"]) == 2
    for g, wnt in zip(got["pixel_values_videos"], want["pixel_values_videos"]):
        assert g.dtype == np.float32
        np.testing.assert_array_equal(g, wnt)
    for idx, meta in zip(got["frame_indices"], want["video_metadata"]):
        np.testing.assert_array_equal(idx, np.asarray(meta.frames_indices))


@pytest.mark.parametrize("family", ["internvl", "llava_onevision"])
def test_squash_processors_defaults_and_config(family, tmp_path):
    import transformers

    from dynres_fast import internvl
    from dynres_fast import llava_onevision as ov

    up_cls = {
        "internvl": transformers.InternVLVideoProcessor,
        "llava_onevision": transformers.LlavaOnevisionVideoProcessor,
    }[family]
    ours_cls = {"internvl": internvl.VideoProcessor, "llava_onevision": ov.VideoProcessor}[family]
    up, ours = up_cls(), ours_cls()
    assert ours.size == (up.size["height"], up.size["width"])
    assert ours.image_mean == tuple(up.image_mean) and ours.image_std == tuple(up.image_std)
    assert ours.do_sample_frames == up.do_sample_frames
    vid = clip(3, 50, 70)
    np.testing.assert_array_equal(
        ours(vid)["pixel_values_videos"][0], upstream(up, vid)["pixel_values_videos"][0]
    )
    cfg = {
        "size": {"height": 448, "width": 448},
        "image_mean": [0.485, 0.456, 0.406],
        "image_std": [0.229, 0.224, 0.225],
        "resample": 3,
        "video_processor_type": up_cls.__name__,
    }
    (tmp_path / "video_preprocessor_config.json").write_text(json.dumps(cfg))
    ours, up = ours_cls.from_pretrained(tmp_path), up_cls.from_pretrained(tmp_path)
    np.testing.assert_array_equal(
        ours(vid)["pixel_values_videos"][0], upstream(up, vid)["pixel_values_videos"][0]
    )
    (tmp_path / "video_preprocessor_config.json").write_text(
        json.dumps({"size": {"shortest_edge": 384}})
    )
    with pytest.raises(DynresError, match="height"):
        ours_cls.from_pretrained(tmp_path)


# ------------------------------------------------------------------ bare frame lists


def _family_video_calls():
    from dynres_fast import internvl, oryx
    from dynres_fast import llava_onevision as ov

    return {
        "qwen2vl.ImageProcessor.videos": lambda v: qwen2vl.ImageProcessor().videos(v),
        "qwen2vl.VideoProcessor": lambda v: qwen2vl.VideoProcessor()(v),
        "qwen3_vl VideoProcessor": lambda v: qwen2vl.VideoProcessor.qwen3_vl(
            do_sample_frames=False
        )(v),
        "internvl.ImageProcessor.videos": lambda v: internvl.ImageProcessor().videos(v),
        "internvl.VideoProcessor": lambda v: internvl.VideoProcessor()(v),
        "llava_onevision.ImageProcessor.videos": lambda v: ov.ImageProcessor().videos(v),
        "llava_onevision.VideoProcessor": lambda v: ov.VideoProcessor()(v),
        "oryx.ImageProcessor.videos": lambda v: oryx.ImageProcessor().videos(v),
    }


def _same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, list):
            assert len(x) == len(y)
            for p, q in zip(x, y):
                np.testing.assert_array_equal(p, q)
        else:
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", list(_family_video_calls()))
def test_a_bare_list_of_frames_is_one_video(name):
    from PIL import Image

    call = _family_video_calls()[name]
    frames = clip(8, 60, 90)
    one = call(frames)
    _same(call(list(frames)), one)  # (H, W, 3) arrays
    _same(call([Image.fromarray(f) for f in frames]), one)  # PIL frames
    _same(call([list(frames)]), one)  # the explicit nesting still works
    grid = one.get("video_grid_thw")
    if grid is not None:
        assert len(grid) == 1
    else:
        assert len(one["pixel_values_videos"]) == 1


def test_a_bare_list_of_frames_reads_like_upstream():
    frames = clip(8, 60, 90)
    want = upstream(Qwen2VLVideoProcessor(), list(frames))
    assert want["video_grid_thw"].tolist() == [[4, 20, 28]]  # one video of 8 frames
    assert_same_qwen(qwen2vl.VideoProcessor()(list(frames)), want)
    assert qwen2vl.ImageProcessor(compat="torchvision").videos(list(frames))[
        "video_grid_thw"
    ].tolist() == [[4, 4, 6]]


@pytest.mark.parametrize("name", list(_family_video_calls()))
def test_ambiguous_video_inputs_are_refused(name):
    from dynres_fast import InvalidImageError

    call = _family_video_calls()[name]
    frames = clip(4, 40, 50)
    with pytest.raises(TypeError, match="looks like one image"):
        call(frames[0])
    with pytest.raises(InvalidImageError, match="item 0: a 3-D array of shape \\(4, 40, 50\\)"):
        call([frames[..., 0], frames[..., 1]])  # gray clips, or channels-first frames?
    with pytest.raises(InvalidImageError, match="mixes frames"):
        call([frames, frames[0]])


# ------------------------------------------------------------------ frame sampling


def _sampling_cases():
    from dynres_fast import internvl
    from dynres_fast import llava_onevision as ov

    return {
        "qwen2_vl": (Qwen2VLVideoProcessor, qwen2vl.VideoProcessor),
        "qwen3_vl": (Qwen3VLVideoProcessor, qwen2vl.VideoProcessor.qwen3_vl),
        "internvl": (tf.InternVLVideoProcessor, internvl.VideoProcessor),
        "llava_onevision": (tf.LlavaOnevisionVideoProcessor, ov.VideoProcessor),
    }


def _call_both(up, ours, vid, **kw):
    """Upstream's and our outputs, or the two exceptions (which must both happen).

    Upstream gets a torch tensor: it indexes the clip with its sampled torch indices,
    which on a NumPy clip drop the time axis when one frame is sampled (then crashes).
    """
    import torch

    try:
        want = upstream(up, torch.from_numpy(vid), **kw)
    except (ValueError, TypeError, ZeroDivisionError) as e:  # raised, or crashed
        with pytest.raises(DynresError):
            ours(vid, **kw)
        return None, e
    return want, ours(vid, **kw)


@pytest.mark.parametrize("family", ["qwen2_vl", "qwen3_vl", "internvl", "llava_onevision"])
@settings(max_examples=20)
@given(
    t=st.integers(1, 60),
    video_fps=st.sampled_from([None, 1.0, 7.5, 24.0, 29.97, 30.0]),
    how=st.sampled_from(["default", "fps", "num_frames"]),
    fps=st.sampled_from([0.5, 1.0, 2.0, 3.3]),
    num_frames=st.integers(1, 20),
)
def test_sampling_matches_upstream(family, t, video_fps, how, fps, num_frames):
    up_cls, make = _sampling_cases()[family]
    vid = clip(t, 40, 56)
    meta = None if video_fps is None else {"total_num_frames": t, "fps": video_fps}
    kw = {"do_sample_frames": True, "video_metadata": meta}
    if how == "fps":
        kw["fps"] = fps
    elif how == "num_frames":
        kw["num_frames"] = num_frames
        if family == "qwen3_vl":
            kw["fps"] = None  # upstream: a call's num_frames meets the class default fps 2
    up = (
        up_cls(size={"height": 64, "width": 64})
        if family in ("internvl", "llava_onevision")
        else up_cls()
    )
    ours = make(size=(64, 64)) if family in ("internvl", "llava_onevision") else make()
    want, got = _call_both(up, ours, vid, **kw)
    if want is None:
        return
    for idx, m in zip(got["frame_indices"], want["video_metadata"]):
        np.testing.assert_array_equal(idx, np.asarray(m.frames_indices))
    if "video_grid_thw" in want:
        assert_same_qwen(got, want)
    else:
        for g, w in zip(got["pixel_values_videos"], want["pixel_values_videos"]):
            np.testing.assert_array_equal(g, w)


def test_qwen3_vl_samples_by_default_at_2_fps_with_24_assumed():
    vid = clip(30, 64, 96)
    want = upstream(Qwen3VLVideoProcessor(), vid)
    got = qwen2vl.VideoProcessor.qwen3_vl()(vid)
    assert_same_qwen(got, want)
    assert got["frame_indices"][0].tolist() == [0, 10, 19, 29]
    meta = {"total_num_frames": 30, "fps": 10.0}
    assert_same_qwen(
        qwen2vl.VideoProcessor.qwen3_vl()(vid, video_metadata=meta),
        upstream(Qwen3VLVideoProcessor(), vid, video_metadata=meta),
    )


def test_metadata_errors():
    vid = clip(10, 40, 40)
    proc = qwen2vl.VideoProcessor.qwen3_vl()
    with pytest.raises(DynresError, match="2 video_metadata entries"):
        proc(vid, video_metadata=[{"fps": 5}, {"fps": 5}])
    with pytest.raises(DynresError, match="fps must be > 0"):
        proc(vid, video_metadata={"fps": 0})
    with pytest.raises(DynresError, match="sampled frame .* the video has 10 frames"):
        proc(vid, video_metadata={"total_num_frames": 100, "fps": 10})
    with pytest.raises(DynresError, match="video 0"):
        qwen2vl.VideoProcessor()(vid, do_sample_frames=True)  # neither fps nor num_frames


def test_readme_video_comments():
    """The values the README's video section promises."""
    from dynres_fast import internvl

    clip_ = np.zeros((30, 480, 640, 3), np.uint8)
    out = qwen2vl.VideoProcessor.qwen3_vl()(
        clip_, video_metadata={"total_num_frames": 30, "fps": 10.0}
    )
    assert [i.tolist() for i in out["frame_indices"]] == [[0, 6, 12, 17, 23, 29]]
    assert out["video_grid_thw"].tolist() == [[3, 18, 26]]
    assert [t.tolist() for t in out["grid_timestamps"]] == [[0.3, 1.45, (2.3 + 2.9) / 2]]  # 2.6
    assert qwen2vl.VideoProcessor()(list(clip_[:8]))["video_grid_thw"].tolist() == [[4, 34, 46]]
    iv = internvl.VideoProcessor()(clip_, do_sample_frames=True, num_frames=4)
    assert [i.tolist() for i in iv["frame_indices"]] == [[3, 11, 18, 26]]


def test_dtypes_and_pickling():
    import pickle

    from dynres_fast import internvl

    vid = clip(4, 64, 96)
    for make in (qwen2vl.VideoProcessor.qwen3_vl, internvl.VideoProcessor):
        full = make(do_sample_frames=False)(vid)["pixel_values_videos"]
        half = make(do_sample_frames=False, dtype="float16")(vid)["pixel_values_videos"]
        if isinstance(full, list):
            full, half = full[0], half[0]
        np.testing.assert_array_equal(half, full.astype(np.float16))
        proc = pickle.loads(pickle.dumps(make(do_sample_frames=False)))
        again = proc(vid)["pixel_values_videos"]
        np.testing.assert_array_equal(again[0] if isinstance(again, list) else again, full)
    raw = internvl.VideoProcessor(dtype="uint8")(vid)["pixel_values_videos"][0]
    assert raw.dtype == np.uint8 and raw.shape == (4, 3, 384, 384)


_GRID_SETTING = [None, 1.5, "unset"]  # a processor's fps / num_frames (scaled below)
_GRID_CALL = ["unset", None, 1]


@pytest.mark.parametrize("family", ["qwen2_vl", "qwen3_vl", "internvl", "llava_onevision"])
@pytest.mark.parametrize("video_fps", [None, 10.0])
def test_fps_and_num_frames_resolve_like_upstream(family, video_fps):
    """Every combination of a processor's ``fps`` / ``num_frames`` (unset, None, a value)
    with a call's (not given, None, a value): the same frames, or both refuse."""
    import itertools

    up_cls, make = _sampling_cases()[family]
    t = 24
    vid = clip(t, 40, 56)
    meta = None if video_fps is None else {"total_num_frames": t, "fps": video_fps}
    squash = family in ("internvl", "llava_onevision")
    refusals = 0
    for set_fps, set_n, call_fps, call_n in itertools.product(
        _GRID_SETTING, _GRID_SETTING, _GRID_CALL, _GRID_CALL
    ):
        init: dict = {}
        if set_fps != "unset":
            init["fps"] = set_fps
        if set_n != "unset":
            init["num_frames"] = None if set_n is None else 6
        call: dict = {"do_sample_frames": True, "video_metadata": meta}
        if call_fps != "unset":
            call["fps"] = None if call_fps is None else 3.0
        if call_n != "unset":
            call["num_frames"] = None if call_n is None else 8
        up = up_cls(**init, **({"size": {"height": 64, "width": 64}} if squash else {}))
        ours = make(**init, **({"size": (64, 64)} if squash else {}))
        assert (ours.fps, ours.num_frames) == (up.fps, up.num_frames)
        want, got = _call_both(up, ours, vid, **call)
        if want is None:
            refusals += 1
            continue
        for idx, m in zip(got["frame_indices"], want["video_metadata"]):
            np.testing.assert_array_equal(idx, np.asarray(m.frames_indices))
            np.testing.assert_array_equal(
                ours.sample_indices(
                    t, video_fps=m.fps, **{k: call[k] for k in ("fps", "num_frames") if k in call}
                ),
                np.asarray(m.frames_indices),
            )
        assert got["video_fps"] == [m.fps for m in want["video_metadata"]]
    assert 0 < refusals < 81


def test_both_fps_and_num_frames_name_both():
    vid = clip(24, 40, 56)
    proc = qwen2vl.VideoProcessor.qwen3_vl()
    with pytest.raises(DynresError, match=r"processor's fps=2.0 and num_frames=8 .*fps=None"):
        proc(vid, num_frames=8)
    assert proc(vid, num_frames=8, fps=None)["frame_indices"][0].tolist() == [
        0, 3, 7, 10, 13, 16, 20, 23
    ]  # fmt: skip
    with pytest.raises(DynresError, match=r"^fps=3.0 and the processor's num_frames=6"):
        qwen2vl.VideoProcessor(num_frames=6).sample_indices(24, video_fps=8.0, fps=3.0)
