"""``out=`` for the families' ``videos``: the same values, written into the caller's buffer."""

from __future__ import annotations

import numpy as np
import pytest

from dynres_fast import DynresError, internvl, oryx
from dynres_fast import llava_onevision as ov

PROCESSORS = [
    pytest.param(lambda: internvl.ImageProcessor(max_num=2), id="internvl"),
    pytest.param(lambda: ov.ImageProcessor(), id="llava_onevision"),
    pytest.param(lambda: oryx.ImageProcessor(), id="oryx"),
    pytest.param(lambda: internvl.ImageProcessor(dtype="bfloat16"), id="internvl-bf16"),
    pytest.param(lambda: ov.ImageProcessor(dtype="float16"), id="llava_onevision-f16"),
]


def clips() -> list:
    rng = np.random.default_rng(13)
    return [
        rng.integers(0, 256, (3, 50, 70, 3), dtype=np.uint8),
        rng.integers(0, 256, (2, 90, 64, 3), dtype=np.uint8),
    ]


@pytest.mark.parametrize("make", PROCESSORS)
def test_out_receives_the_same_values(make) -> None:
    proc, videos = make(), clips()
    want = proc.videos(videos)["pixel_values_videos"]
    total = sum(v.size for v in want)
    out = np.full(total, 7, dtype=want[0].dtype)
    got = proc.videos(videos, out=out)["pixel_values_videos"]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.shares_memory(g, out)
        assert g.shape == w.shape and g.dtype == w.dtype
        assert np.array_equal(g.view(np.uint8), w.view(np.uint8))
    assert np.array_equal(
        np.concatenate([w.ravel() for w in want]).view(np.uint8), out.view(np.uint8)
    )


@pytest.mark.parametrize("make", PROCESSORS)
def test_out_of_the_wrong_shape_or_dtype_is_refused(make) -> None:
    proc, videos = make(), clips()
    want = proc.videos(videos)["pixel_values_videos"]
    total, dtype = sum(v.size for v in want), want[0].dtype
    with pytest.raises(DynresError, match="shape"):
        proc.videos(videos, out=np.empty(total - 1, dtype))
    with pytest.raises(DynresError, match="shape"):
        proc.videos(videos, out=np.empty((1, total), dtype))
    other = np.float64 if dtype != np.float64 else np.float32
    with pytest.raises(TypeError, match="dtype"):
        proc.videos(videos, out=np.empty(total, other))
    with pytest.raises(TypeError, match="numpy array"):
        proc.videos(videos, out=[0.0] * total)
