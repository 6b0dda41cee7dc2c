"""Absurd sizes and counts get a DynresError before any allocation: never an abort, a hang
or a panic across the FFI boundary (found by review; one test per path)."""

import numpy as np
import pytest

from dynres_fast import BudgetError, DynresError, _core, qwen2vl
from dynres_fast import llava_onevision as ov

LUT = np.zeros((3, 256), np.float32)
_F32_EMPTY = np.zeros((0,), np.float32)
_OV = _core.LlavaOnevisionConfig(
    pinpoints=[(768, 768)], reference="transformers", resample="bicubic", compat="pillow"
)
_QWEN = _core.Qwen2VLConfig(
    min_pixels=3136,
    max_pixels=1003520,
    patch_size=14,
    temporal_patch_size=2,
    merge_size=2,
    fps=2.0,
    total_pixels=None,
    resample="bicubic",
    compat="pillow",
)


@pytest.mark.parametrize(
    "call,msg",
    [
        (lambda: qwen2vl.sample_frames(2**40, 30.0, num_frames=2**40), "at most"),
        (lambda: qwen2vl.sample_frames(2**64 - 1, 30.0), "total_frames"),
        (lambda: ov.frame_indices(2**40, 2**40), "at most"),
        (lambda: ov.frame_indices(2**64 - 1, 3), "total_frames"),
        (lambda: ov.frame_indices(2**40, 0, sampler="fps", video_fps=1.0), "at most"),
        (lambda: ov.pool_features(np.zeros((2, 27, 27, 8), np.float32), (2**40, 2)), "out_hw"),
        # Plans cross the boundary as typed objects made by the family config, so an
        # absurd size cannot reach the kernels; what the caller still controls is checked.
        (
            lambda: _OV.pixel_values([np.zeros((10, 10, 3), np.uint8)], [], LUT, _F32_EMPTY),
            "1 images but 0 plans",
        ),
        (
            lambda: _QWEN.pixel_values(
                [np.zeros((28, 28, 3), np.uint8)], [_QWEN.plan(28, 28)], LUT, _F32_EMPTY
            ),
            "out holds 0 values",
        ),
    ],
)
def test_refused_with_a_message(call, msg):
    with pytest.raises(DynresError, match=msg):
        call()


def test_empty_feature_maps_return_at_once():
    assert ov.pool_features(np.zeros((2**20, 27, 27, 0), np.float32)).size == 0


def test_a_budget_beyond_the_resize_limit_is_refused_before_allocating():
    with pytest.raises(BudgetError, match="65536"):
        qwen2vl.ImageProcessor(min_pixels=1e12, max_pixels=1e13)(np.zeros((50, 50, 3), np.uint8))
