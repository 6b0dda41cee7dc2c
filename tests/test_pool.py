"""OutputPool and reuse_output=True: the same values as fresh outputs, in reused memory."""

import numpy as np
import pytest

from dynres_fast import internvl, llava_onevision, oryx, qwen2vl
from dynres_fast.pool import OutputPool


def test_take_reuses_and_grows():
    pool = OutputPool()
    a = pool.take((100, 7), np.float32)
    assert a.flags.c_contiguous and a.shape == (100, 7) and a.dtype == np.float32
    b = pool.take((10, 7), np.uint16)
    assert np.shares_memory(a, b)
    held = pool.nbytes
    c = pool.take((1000, 7), np.float32)  # more than the buffer holds: a new one
    assert pool.nbytes > held and not np.shares_memory(a, c)


def _values(out):
    keys = [k for k in out if k.startswith("pixel_values")]
    return [np.array(out[k], copy=True) for k in sorted(keys)]


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: qwen2vl.ImageProcessor(**kw),
        lambda **kw: internvl.ImageProcessor(max_num=4, **kw),
        lambda **kw: llava_onevision.ImageProcessor.llava_onevision(**kw),
        lambda **kw: oryx.ImageProcessor(**kw),
    ],
    ids=["qwen2vl", "internvl", "llava_onevision", "oryx"],
)
def test_reuse_output_equals_fresh_and_reuses_memory(make):
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (90 + 7 * i, 130, 3), dtype=np.uint8) for i in range(3)]
    fresh, pooled = make(), make(reuse_output=True)
    outs = []
    for img in imgs:
        got = pooled(img)
        for a, b in zip(_values(got), _values(fresh(img))):
            np.testing.assert_array_equal(a, b)
        outs.append(got)

    def first(out):  # Oryx returns a list of per-image arrays (views of one buffer)
        v = out["pixel_values"]
        return v[0] if isinstance(v, list) else v

    assert np.shares_memory(first(outs[-1]), first(pooled(imgs[-1])))


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: qwen2vl.VideoProcessor(**kw),
        lambda **kw: qwen2vl.VideoProcessor.qwen3_vl(dtype="bfloat16", **kw),
        lambda **kw: internvl.VideoProcessor(**kw),
        lambda **kw: llava_onevision.VideoProcessor(dtype="float16", **kw),
    ],
    ids=["qwen2vl", "qwen3vl_bf16", "internvl", "llava_onevision"],
)
def test_video_reuse_output_equals_fresh_and_reuses_memory(make, tmp_path_factory):
    """``pixel_values_videos`` in the reused buffer: the same values as fresh outputs, for
    arrays and (streamed group by group) for files; each call reuses the memory."""
    from video_clips import clip_path

    rng = np.random.default_rng(1)
    clips = [rng.integers(0, 256, (4 + 2 * i, 60 + 9 * i, 80, 3), dtype=np.uint8) for i in range(3)]
    fresh, pooled = make(), make(reuse_output=True)
    assert pooled.reuse_output and not fresh.reuse_output
    outs = []
    for clip in clips:
        got = pooled(clip)
        for a, b in zip(_values(got), _values(fresh(clip))):
            np.testing.assert_array_equal(a, b)
        outs.append(got)

    def first(out):  # the squash processors return one array per video
        v = out["pixel_values_videos"]
        return v[0] if isinstance(v, list) else v

    assert np.shares_memory(first(outs[-1]), first(pooled(clips[-1])))
    path = clip_path(tmp_path_factory, "h264_bframes")
    kw = {"do_sample_frames": True, "num_frames": 6, "fps": None}
    got = pooled.from_file(path, **kw)
    for a, b in zip(_values(got), _values(fresh.from_file(path, **kw))):
        np.testing.assert_array_equal(a, b)
    assert np.shares_memory(first(got), first(outs[-1]))
