"""video.probe and video.read_frames against a full PyAV decode of clips the tests encode."""

from __future__ import annotations

import io
import os
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynres_fast import DynresError, VideoDecodeError, video

av = pytest.importorskip("av")

from video_clips import CLIPS, clip_path, decode_all  # noqa: E402

_FULL: dict[str, tuple[np.ndarray, list]] = {}


def full_decode(tmp_path_factory, name):
    if name not in _FULL:
        _FULL[name] = decode_all(str(clip_path(tmp_path_factory, name)))
    return _FULL[name]


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_probe_matches_full_decode(tmp_path_factory, name):
    path = clip_path(tmp_path_factory, name)
    frames, pts = full_decode(tmp_path_factory, name)
    info = video.probe(path)
    spec = CLIPS[name]
    assert info.num_frames == len(frames) == spec.num_frames
    assert (info.height, info.width) == frames.shape[1:3] == (spec.height, spec.width)
    assert info.codec in ("h264", "mpeg4")
    assert 1 <= info.num_keyframes <= info.num_frames
    assert info.duration > 0
    if not spec.vfr:
        assert info.fps == pytest.approx(spec.fps)
    assert video.probe(path.read_bytes()) == info
    with open(path, "rb") as f:
        assert video.probe(f) == info


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_every_frame_in_every_order(tmp_path_factory, name):
    path = clip_path(tmp_path_factory, name)
    frames, _ = full_decode(tmp_path_factory, name)
    n = len(frames)
    everything = np.arange(n)
    np.testing.assert_array_equal(video.read_frames(path, everything), frames)
    np.testing.assert_array_equal(video.read_frames(path, everything[::-1]), frames[::-1])
    every_third = everything[::3]
    for skip in (True, False):
        got = video.read_frames(path, every_third, skip_nonref=skip)
        np.testing.assert_array_equal(got, frames[every_third])


@pytest.mark.parametrize("name", sorted(CLIPS))
@settings(max_examples=15)
@given(data=st.data())
def test_random_indices(tmp_path_factory, name, data):
    path = clip_path(tmp_path_factory, name)
    frames, _ = full_decode(tmp_path_factory, name)
    n = len(frames)
    idx = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=12))
    threads = data.draw(st.sampled_from([None, 1, 2, 0]))
    skip = data.draw(st.booleans())
    got = video.read_frames(path, idx, threads=threads, skip_nonref=skip)
    assert got.dtype == np.uint8 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, frames[idx])


def test_sources_bytes_and_file_objects(tmp_path_factory):
    path = clip_path(tmp_path_factory, "h264_bframes")
    frames, _ = full_decode(tmp_path_factory, "h264_bframes")
    idx = [5, 0, 47, 5, 20]
    data = path.read_bytes()
    for src in (str(path), path, data, bytearray(data), memoryview(data), io.BytesIO(data)):
        np.testing.assert_array_equal(video.read_frames(src, idx), frames[idx])
    with open(path, "rb") as f:
        f.seek(100)  # read from the start whatever the position
        np.testing.assert_array_equal(video.read_frames(f, idx), frames[idx])


def test_empty_and_numpy_indices(tmp_path_factory):
    path = clip_path(tmp_path_factory, "h264_odd")
    frames, _ = full_decode(tmp_path_factory, "h264_odd")
    assert video.read_frames(path, []).shape == (0, 61, 97, 3)
    idx = np.array([29, 1], dtype=np.uint16)
    np.testing.assert_array_equal(video.read_frames(path, idx), frames[[29, 1]])


def test_sampled_indices_read_back(tmp_path_factory):
    path = clip_path(tmp_path_factory, "h264_vfr")
    frames, _ = full_decode(tmp_path_factory, "h264_vfr")
    info = video.probe(path)
    for rule in video.SAMPLING_RULES:
        kw = {"num_frames": 8} if rule in ("internvl", "qwen2_vl") else {}
        idx = video.sample_indices(info.num_frames, rule=rule, video_fps=info.fps, **kw)
        np.testing.assert_array_equal(video.read_frames(path, idx), frames[idx])


@pytest.mark.parametrize(
    "indices, exc, match",
    [
        ([-1], DynresError, "indices must be >= 0"),
        ([0, 48], DynresError, r"indices\[1\] = 48 is out of range"),
        ([[0, 1]], DynresError, "1-D"),
        ([0.0, 1.0], TypeError, "integers"),
        ([True], TypeError, "integers"),
        (["0"], TypeError, "integers"),
    ],
)
def test_bad_indices(tmp_path_factory, indices, exc, match):
    path = clip_path(tmp_path_factory, "h264_bframes")
    with pytest.raises(exc, match=match):
        video.read_frames(path, indices)


def test_bad_threads(tmp_path_factory):
    path = clip_path(tmp_path_factory, "h264_bframes")
    with pytest.raises(TypeError, match="threads"):
        video.read_frames(path, [0], threads=1.5)
    with pytest.raises(DynresError, match="threads"):
        video.read_frames(path, [0], threads=-1)


def _audio_only() -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format="wav") as c:
        s = c.add_stream("pcm_s16le", rate=8000)
        f = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        f.sample_rate = 8000
        for p in [*s.encode(f), *s.encode(None)]:
            c.mux(p)
    return buf.getvalue()


def _no_frames(fmt: str) -> bytes:
    buf = io.BytesIO()
    c = av.open(buf, "w", format=fmt)
    s = c.add_stream("mpeg4", rate=30)
    s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
    c.start_encoding()
    c.close()
    return buf.getvalue()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: b"", "cannot open"),
        (lambda: b"not a video at all " * 50, "cannot open"),
        (_audio_only, "no video stream"),
        (lambda: _no_frames("mp4"), "no video stream|no frames"),
        (lambda: _no_frames("matroska"), "cannot open|no frames"),
    ],
)
def test_non_video_inputs(make, match):
    data = make()
    for call in (lambda: video.probe(data), lambda: video.read_frames(data, [0])):
        with pytest.raises(VideoDecodeError, match=match):
            call()


@pytest.mark.parametrize("name", ["h264_bframes", "h264_faststart", "mpeg4_bframes", "h264_mkv"])
@pytest.mark.parametrize("keep", [0.05, 0.3, 0.7, 0.97])
def test_truncated_files(tmp_path_factory, name, keep):
    data = clip_path(tmp_path_factory, name).read_bytes()
    cut = data[: int(len(data) * keep)]
    try:
        frames, _ = decode_all(io.BytesIO(cut))
    except (av.FFmpegError, EOFError, ValueError):
        frames = None  # PyAV's own full decode fails: so must we, with a clear error
    if frames is None:
        with pytest.raises(VideoDecodeError):
            n = video.probe(cut).num_frames
            video.read_frames(cut, np.arange(n))
        return
    # A cut at a packet boundary (Matroska) is a shorter valid clip.
    assert video.probe(cut).num_frames == len(frames)
    np.testing.assert_array_equal(video.read_frames(cut, np.arange(len(frames))), frames)


def test_paths_that_are_not_regular_files(tmp_path):
    with pytest.raises(VideoDecodeError, match="cannot read"):
        video.probe(tmp_path / "missing.mp4")
    with pytest.raises(VideoDecodeError, match="directory"):
        video.probe(tmp_path)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.mp4"
        os.mkfifo(fifo)
        with pytest.raises(VideoDecodeError, match="not a regular file"):
            video.read_frames(fifo, [0])


def test_bad_sources(tmp_path_factory):
    data = clip_path(tmp_path_factory, "h264_bframes").read_bytes()

    class Unseekable(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            return 0

    with pytest.raises(VideoDecodeError, match="not seekable"):
        video.probe(Unseekable())
    with pytest.raises(TypeError, match="binary"):
        video.probe(io.StringIO("x"))
    with pytest.raises(TypeError, match="path, bytes or a binary file object"):
        video.probe(123)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="str path"):
        video.probe(_BytesPath())
    assert video.probe(data).num_frames == 48


class _BytesPath(os.PathLike):
    def __fspath__(self):
        return b"/tmp/x.mp4"


def test_missing_pyav_is_named(monkeypatch, tmp_path_factory):
    path = clip_path(tmp_path_factory, "h264_bframes")
    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(ImportError, match="pip install av"):
        video.probe(path)


def test_readme_example(tmp_path_factory):
    """The README's ``dynres_fast.video`` example (a ``py`` block: it needs a clip) runs."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (block,) = [b for b in re.findall(r"```py\n(.*?)```", readme, flags=re.S) if "video." in b]
    path = str(clip_path(tmp_path_factory, "h264_vfr"))
    namespace: dict = {}
    exec(compile(block.replace('"clip.mp4"', repr(path)), "README.md", "exec"), namespace)
    assert namespace["frames"].shape == (len(namespace["idx"]), 80, 128, 3)


@pytest.mark.parametrize("name", ["mpeg4_bframes", "mpeg4_odd", "h264_bframes", "h264_vfr"])
def test_pairs_around_keyframes(tmp_path_factory, name):
    # Frames decoded after a keyframe but shown before it (open GOPs: MPEG-4 B-frames) need
    # the previous keyframe; asking for them with the keyframe's own frames once failed.
    path = clip_path(tmp_path_factory, name)
    frames, _ = full_decode(tmp_path_factory, name)
    n = len(frames)
    for i in range(n):
        for j in range(i + 1, min(i + 4, n)):
            for idx in ([i, j], [j, i]):
                np.testing.assert_array_equal(video.read_frames(path, idx), frames[idx])
