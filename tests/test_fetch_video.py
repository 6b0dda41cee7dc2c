"""qwen2vl.fetch_video against qwen-vl-utils 0.0.14's fetch_video on encoded clips.

qwen-vl-utils' file backends do not run here: torchcodec and decord are not installed
(torchcodec also needs the system's FFmpeg libraries), and its last resort,
``torchvision.io.read_video``, was removed in torchvision 0.29, so ``fetch_video`` on a
path raises. The oracle therefore runs qwen-vl-utils' own ``fetch_video`` with that one
function put back: a full PyAV decode returning what ``read_video`` returned (all frames
``(T, C, H, W)`` uint8 via ``to_ndarray(format="rgb24")``, ``video_fps`` =
``float(stream.average_rate)``), which is what torchvision's PyAV backend did. Everything
else — ``smart_nframes``, the float32 ``torch.linspace`` indices, the budgets,
``sample_fps`` and the torchvision bicubic antialiased resize — is qwen-vl-utils' code.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from video_clips import clip_path

from dynres_fast import DynresError, qwen2vl

vp = pytest.importorskip("qwen_vl_utils.vision_process")
av = pytest.importorskip("av")
torch = pytest.importorskip("torch")


def _read_video_pyav(path, start_pts=0.0, end_pts=None, pts_unit="sec", output_format="TCHW"):
    """torchvision 0.28's ``read_video`` for a whole clip, on PyAV."""
    assert start_pts == 0.0 and end_pts is None and output_format == "TCHW"
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        fps = float(stream.average_rate)
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    video = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2)
    return video, torch.empty(0), {"video_fps": fps}


@pytest.fixture
def qwen_vl_utils_fetch(monkeypatch):
    monkeypatch.setattr(vp.io, "read_video", _read_video_pyav, raising=False)
    monkeypatch.setattr(vp, "get_video_reader_backend", lambda: "torchvision")

    def fetch(ele, image_patch_size=14):
        (video, meta), sample_fps = vp.fetch_video(
            dict(ele),
            image_patch_size=image_patch_size,
            return_video_sample_fps=True,
            return_video_metadata=True,
        )
        return video, sample_fps, np.asarray(meta["frames_indices"])

    return fetch


def test_upstream_file_backends_do_not_run_here():
    import torchvision

    assert not hasattr(torchvision.io, "read_video")
    with pytest.raises(AttributeError):
        vp._read_video_torchvision({"video": "clip.mp4"})


CASES = [
    ("h264_bframes", {}, 14),
    ("h264_bframes", {"fps": 4.0}, 16),
    ("h264_odd", {"nframes": 6}, 14),
    ("h264_vfr", {"fps": 1.0, "min_frames": 2}, 14),
    ("h264_mkv", {"max_pixels": 20000, "min_pixels": 3136}, 14),
    ("mpeg4_bframes", {"total_pixels": 40000, "fps": 3.0}, 16),
    ("mpeg4_odd", {"min_pixels": 50000}, 14),
    ("h264_intra", {"resized_height": 100, "resized_width": 60}, 14),
]


@pytest.mark.parametrize("name,options,patch", CASES)
def test_fetch_video_matches_qwen_vl_utils(
    tmp_path_factory, qwen_vl_utils_fetch, name, options, patch
):
    path = str(clip_path(tmp_path_factory, name))
    ele = {"type": "video", "video": path, **options}
    want, want_fps, want_idx = qwen_vl_utils_fetch(ele, image_patch_size=patch)
    frames, sample_fps, idx = qwen2vl.fetch_video(ele, image_patch_size=patch)
    np.testing.assert_array_equal(idx, want_idx)
    assert sample_fps == want_fps
    assert frames.dtype == np.uint8 and frames.shape == tuple(want.shape)
    np.testing.assert_array_equal(frames.astype(np.float32), want.numpy())
    again, _, _ = qwen2vl.fetch_video({**ele, "video": "file://" + path}, image_patch_size=patch)
    np.testing.assert_array_equal(again, frames)


def test_fetch_video_errors(tmp_path_factory, tmp_path):
    path = str(clip_path(tmp_path_factory, "h264_bframes"))
    with pytest.raises(DynresError):  # qwen-vl-utils: AssertionError in smart_resize
        qwen2vl.fetch_video({"video": path, "max_pixels": 20000})
    with pytest.raises(DynresError, match="video_start"):
        qwen2vl.fetch_video({"video": path, "video_start": 1.0})
    with pytest.raises(DynresError):
        qwen2vl.fetch_video({"video": path, "fps": 2.0, "nframes": 4})
    with pytest.raises(DynresError, match="'video' entry"):
        qwen2vl.fetch_video({"image": path})
    with pytest.raises(TypeError, match="file path"):
        qwen2vl.fetch_video({"video": [np.zeros((4, 4, 3), np.uint8)]})
    bad = tmp_path / "not_a_video.mp4"
    bad.write_bytes(b"\x00\x01 definitely not a video" * 50)
    with pytest.raises(DynresError):
        qwen2vl.fetch_video({"video": str(bad)})
    with pytest.raises(DynresError):
        qwen2vl.fetch_video({"video": str(tmp_path / "missing.mp4")})


@settings(max_examples=15, deadline=None)
@given(
    name=st.sampled_from(["h264_bframes", "mpeg4_bframes", "h264_odd"]),
    how=st.sampled_from(["fps", "nframes"]),
    fps=st.sampled_from([0.5, 1.0, 2.0, 5.0, 12.0]),
    nframes=st.integers(2, 24),
    budget=st.sampled_from([{}, {"total_pixels": 30000}, {"max_pixels": 8000, "min_pixels": 3136}]),
    patch=st.sampled_from([14, 16]),
)
def test_fetch_video_hypothesis(tmp_path_factory, name, how, fps, nframes, budget, patch):
    path = str(clip_path(tmp_path_factory, name))
    ele = {"video": path, **budget, **({"fps": fps} if how == "fps" else {"nframes": nframes})}
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(vp.io, "read_video", _read_video_pyav, raising=False)
            mp.setattr(vp, "get_video_reader_backend", lambda: "torchvision")
            (want, meta), want_fps = vp.fetch_video(
                dict(ele),
                image_patch_size=patch,
                return_video_sample_fps=True,
                return_video_metadata=True,
            )
    except ValueError:  # a count outside [2, N]
        with pytest.raises(DynresError):
            qwen2vl.fetch_video(ele, image_patch_size=patch)
        return
    frames, sample_fps, idx = qwen2vl.fetch_video(ele, image_patch_size=patch)
    np.testing.assert_array_equal(idx, np.asarray(meta["frames_indices"]))
    assert sample_fps == want_fps
    np.testing.assert_array_equal(frames.astype(np.float32), want.numpy())


def test_fetch_video_reads_bytes_and_file_objects(tmp_path_factory):
    path = clip_path(tmp_path_factory, "h264_odd")
    want = qwen2vl.fetch_video({"video": str(path), "nframes": 4})
    data = path.read_bytes()
    for src in (data, io.BytesIO(data), path):
        got = qwen2vl.fetch_video({"video": src, "nframes": 4})
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[2], want[2])
