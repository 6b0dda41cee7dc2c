"""from_file on every family's video processor: the file's frames (a full PyAV decode) and
metadata given to the upstream transformers 5.x processor, or to our own array path, give
the same outputs; only the sampled frames are decoded; bad files raise clearly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from video_clips import clip_path, decode_all

from dynres_fast import DynresError, internvl, oryx, qwen2vl, video
from dynres_fast import llava_onevision as ov

tf = pytest.importorskip("transformers")
pytest.importorskip("av")


def _upstream(proc, frames, meta, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = proc(frames, video_metadata=meta, return_metadata=True, **kw)
    return out


PROCESSORS = {
    "qwen2_vl": (
        lambda: qwen2vl.VideoProcessor(),
        lambda: tf.Qwen2VLVideoProcessor(),
        {"fps": 2.0},
    ),
    "qwen2_5_vl": (
        lambda: qwen2vl.VideoProcessor.qwen2_5_vl(),
        lambda: tf.Qwen2VLVideoProcessor(min_pixels=3136, max_pixels=12845056),
        {"num_frames": 8},
    ),
    "qwen3_vl": (lambda: qwen2vl.VideoProcessor.qwen3_vl(), lambda: tf.Qwen3VLVideoProcessor(), {}),
    "internvl": (
        lambda: internvl.VideoProcessor(),
        lambda: tf.InternVLVideoProcessor(),
        {"num_frames": 6},
    ),
    "llava_onevision": (
        lambda: ov.VideoProcessor(),
        lambda: tf.LlavaOnevisionVideoProcessor(),
        {"num_frames": 5},
    ),
}


@pytest.mark.parametrize("family", list(PROCESSORS))
@pytest.mark.parametrize("clip", ["h264_bframes", "h264_vfr", "mpeg4_odd"])
def test_from_file_equals_upstream_on_the_decoded_frames(tmp_path_factory, family, clip):
    make, make_up, sampling = PROCESSORS[family]
    path = clip_path(tmp_path_factory, clip)
    frames, _ = decode_all(str(path))
    info = video.probe(path)
    meta = {"total_num_frames": len(frames), "fps": info.fps}
    got = make().from_file(path, do_sample_frames=True, **sampling)
    want = _upstream(make_up(), frames, meta, do_sample_frames=True, **sampling)
    idx = np.asarray(want["video_metadata"][0].frames_indices)
    np.testing.assert_array_equal(got["frame_indices"][0], idx)
    if "video_grid_thw" in want:
        np.testing.assert_array_equal(got["video_grid_thw"], want["video_grid_thw"].numpy())
        np.testing.assert_array_equal(
            got["pixel_values_videos"], want["pixel_values_videos"].numpy()
        )
        m = want["video_metadata"][0]
        assert got["sample_fps"] == [m.sampled_fps]
        # VideoMetadata.timestamps divides Qwen2-VL's int32 tensor indices in float32;
        # these are the float64 seconds (Qwen3-VL's numpy indices give the same).
        np.testing.assert_array_equal(got["timestamps"][0], [int(i) / m.fps for i in idx])
        assert got["second_per_grid_ts"].tolist() == [2 / m.sampled_fps]
    else:
        np.testing.assert_array_equal(
            got["pixel_values_videos"][0], want["pixel_values_videos"][0].numpy()
        )


def test_qwen3_vl_grid_timestamps_equal_the_processor_rule():
    calc = tf.Qwen3VLProcessor._calculate_timestamps
    for idx, fps in [
        ([0, 10, 19, 29], 24.0),
        ([0, 5, 9], 29.97),
        ([3], 2.0),
        (list(range(0, 60, 7)), 30.0),
    ]:
        want = calc(None, list(idx), fps, 2)
        assert qwen2vl.grid_timestamps(idx, fps).tolist() == want


def test_oryx_from_file_uses_one_fps_and_at_most_64_frames(tmp_path_factory):
    path = clip_path(tmp_path_factory, "h264_bframes")
    frames, _ = decode_all(str(path))
    info = video.probe(path)
    proc = oryx.ImageProcessor()
    got = proc.from_file(path)
    idx = oryx.frame_indices(len(frames), sampler="fps", video_fps=info.fps)
    assert idx.tolist() == list(range(0, len(frames), round(info.fps)))
    np.testing.assert_array_equal(got["frame_indices"][0], idx)
    want = proc.videos(frames[idx])
    np.testing.assert_array_equal(got["pixel_values_videos"][0], want["pixel_values_videos"][0])
    assert got["num_video_tokens"].tolist() == want["num_video_tokens"].tolist()
    uniform = proc.from_file(path, sampler="uniform", num_frames=8, long=True)
    np.testing.assert_array_equal(
        uniform["frame_indices"][0], oryx.frame_indices(len(frames), num_frames=8)
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: qwen2vl.VideoProcessor.qwen3_vl(),
        lambda: internvl.VideoProcessor(),
        lambda: oryx.ImageProcessor(),
    ],
)
def test_from_file_errors(tmp_path, make):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    with pytest.raises(DynresError):
        make().from_file(bad)
    with pytest.raises(DynresError):
        make().from_file(tmp_path / "missing.mp4")
    with pytest.raises(TypeError):
        make().from_file(12345)


STREAMED = {
    "qwen2_vl": (lambda: qwen2vl.VideoProcessor(), {"num_frames": 14}),
    "qwen3_vl_odd": (lambda: qwen2vl.VideoProcessor.qwen3_vl(), {"num_frames": 13, "fps": None}),
    "qwen3_vl_tp3": (
        lambda: qwen2vl.VideoProcessor.qwen3_vl(temporal_patch_size=3, fps=None),
        {"num_frames": 17},
    ),
    "qwen3_vl_bf16": (lambda: qwen2vl.VideoProcessor.qwen3_vl(dtype="bfloat16"), {}),
    "internvl": (lambda: internvl.VideoProcessor(), {"num_frames": 19}),
    "llava_onevision": (lambda: ov.VideoProcessor(dtype="float16"), {"num_frames": 11}),
}


@pytest.mark.parametrize("name", list(STREAMED))
@pytest.mark.parametrize("threads", [None, 2])
def test_streamed_from_file_equals_processing_all_frames(tmp_path_factory, name, threads):
    """from_file hands the kernels one group of frames at a time (overlapping the decode
    of the next group with ``threads`` > 1): the outputs equal processing every decoded
    frame in one call, bit for bit, also with a short, padded last temporal patch."""
    make, sampling = STREAMED[name]
    path = clip_path(tmp_path_factory, "h264_bframes")
    proc = make()
    got = proc.from_file(path, do_sample_frames=True, threads=threads, **sampling)
    idx = got["frame_indices"][0]
    frames, _ = decode_all(str(path))
    want = proc._process([np.ascontiguousarray(frames[idx])])
    for key, value in want.items():
        g, w = got[key], value
        if isinstance(w, list):
            g, w = g[0], w[0]
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


@pytest.mark.parametrize("group", [1, 3, 8, 100])
def test_iter_frames_equals_read_frames(tmp_path_factory, group):
    path = clip_path(tmp_path_factory, "h264_vfr")
    n = video.probe(path).num_frames
    rng = np.random.default_rng(group)
    for idx in (
        np.sort(rng.integers(0, n, 17)),  # sorted, with repeats
        rng.permutation(n)[:11],  # any order: rows that come early wait
    ):
        want = video.read_frames(path, idx)
        got = [g.copy() for g in video.iter_frames(path, idx, group=group)]
        assert [len(g) for g in got[:-1]] == [group] * (len(got) - 1)
        np.testing.assert_array_equal(np.concatenate(got), want)
        seen: list = []

        def keep(start, frames, seen=seen):
            seen.append((start, frames.copy()))

        video.for_each_group(path, idx, keep, group=group)
        assert [s for s, _ in seen] == list(range(0, len(idx), group))
        np.testing.assert_array_equal(np.concatenate([f for _, f in seen]), want)


def test_iter_frames_stops_and_reports_errors(tmp_path_factory, tmp_path):
    import threading

    path = clip_path(tmp_path_factory, "h264_bframes")
    before = threading.active_count()
    it = video.iter_frames(path, np.arange(48), group=2, threads=2)
    first = next(it)
    assert first.shape[0] == 2
    it.close()  # the decoding thread ends instead of blocking on a full queue
    assert threading.active_count() == before
    with pytest.raises(DynresError, match="out of range"):
        video.iter_frames(path, [48])  # checked before it returns
    with pytest.raises(DynresError, match="group"):
        video.iter_frames(path, [0], group=0)
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(DynresError):
        list(video.iter_frames(cut, np.arange(40)))
