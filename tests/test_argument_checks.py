"""Argument checks shared by every public entry point: mean/std, integer ranges, empty
batches, thread counts, and the one definition of each option list."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dynres_fast
from dynres_fast import DynresError, _choices, _lut, internvl, ops, oryx, qwen2vl, rope
from dynres_fast import llava_onevision as ov

PROCESSORS = [
    qwen2vl.ImageProcessor,
    internvl.ImageProcessor,
    ov.ImageProcessor,
    oryx.ImageProcessor,
]
BIG = 2**64
IMG = np.zeros((30, 40, 3), np.uint8)


@pytest.mark.parametrize("proc", PROCESSORS)
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"image_mean": (math.nan, 0, 0)}, "image_mean"),
        ({"image_mean": (0, math.inf, 0)}, "image_mean"),
        ({"image_mean": -math.inf}, "image_mean"),
        ({"image_std": (math.nan, 1, 1)}, "image_std"),
        ({"image_std": (math.inf, 1, 1)}, "image_std"),
        ({"image_std": (1, 1, -math.inf)}, "image_std"),
        ({"image_std": (1, 0, 1)}, "image_std"),
        ({"image_std": np.float64(math.nan)}, "image_std"),
    ],
)
def test_mean_and_std_must_be_finite(proc, kwargs, name):
    with pytest.raises(DynresError, match=name):
        proc(**kwargs)


@pytest.mark.parametrize("proc", PROCESSORS)
@pytest.mark.parametrize(
    ("kwargs", "dtype"),
    [
        ({"image_std": (1e-40, 1, 1)}, "float32"),
        ({"image_std": (1e-40, 1, 1)}, "bfloat16"),
        ({"image_std": (1e-6, 1, 1)}, "float16"),  # 0.5 / 1e-6 > float16's 65504
        ({"image_mean": (1e300, 0, 0)}, "float32"),  # finite, but not as a float32
    ],
)
def test_mean_and_std_that_overflow_the_output_are_refused(proc, kwargs, dtype):
    with pytest.raises(DynresError, match=f"image_std.*overflow {dtype}"):
        proc(dtype=dtype, **kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_small_but_representable_std_is_accepted(dtype):
    proc = qwen2vl.ImageProcessor(image_std=(1e-3, 1, 1), dtype=dtype)
    values = np.asarray(proc(IMG)["pixel_values"], dtype=np.float32)
    assert np.isfinite(values).all()
    assert np.abs(values).max() > 100


def test_llava_multi_image_never_sees_a_non_finite_mean():
    for mean in ((math.nan, 0, 0), (math.inf, 0, 0)):
        with pytest.raises(DynresError, match="image_mean"):
            ov.ImageProcessor.llava_onevision(image_mean=mean).multi_image([IMG])


def test_table_finiteness_check_reads_bfloat16_bits():
    table = _lut.table((0.5,) * 3, (1e-40, 1, 1), "bfloat16")
    assert table.dtype == np.uint16
    with pytest.raises(DynresError, match="overflow bfloat16"):
        _lut.check_finite(table, "bfloat16", (0.5,) * 3, (1e-40, 1, 1))
    _lut.check_finite(_lut.table((0.5,) * 3, (0.5,) * 3, "bfloat16"), "bfloat16", (0,), (1,))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: ops.resize(IMG, BIG, 2), "height"),
        (lambda: ops.resize(IMG, 2, -BIG), "width"),
        (lambda: ops.crop(IMG, BIG, 0, 1, 1), "top"),
        (lambda: internvl.plan(100, 100, max_num=BIG), "max_num"),
        (lambda: internvl.plan(BIG, 100), "height"),
        (lambda: internvl.frame_indices(BIG, 8), "total_frames"),
        (lambda: qwen2vl.smart_resize(BIG, 1), "height"),
        (lambda: qwen2vl.smart_resize(100, 100, factor=BIG), "factor"),
        (lambda: qwen2vl.video_smart_resize(BIG, 100, 100), "num_frames"),
        (lambda: qwen2vl.sample_frames(BIG, 30.0), "total_frames"),
        (lambda: qwen2vl.video_budget(8, 100, 100, image_patch_size=BIG), "image_patch_size"),
        (lambda: qwen2vl.ImageProcessor(patch_size=BIG), "patch_size"),
        (lambda: internvl.ImageProcessor(image_size=BIG), "image_size"),
        (lambda: oryx.ImageProcessor(max_res=BIG), "max_res"),
        (lambda: oryx.plan(100, 100, max_res=BIG), "max_res"),
        (lambda: ov.plan(100, 100, image_grid_pinpoints=[(BIG, 384)]), "pinpoint"),
        (lambda: ov.frame_indices(100, BIG), "num_frames"),
        (lambda: ov.pool_features(np.zeros((3, 3, 1), np.float32), (BIG, 2)), "out_hw"),
        (lambda: dynres_fast.set_num_threads(BIG), "n"),
        (
            lambda: rope.vision_position_ids(np.array([[1, 2, 2]]), spatial_merge_size=BIG),
            "spatial_merge_size",
        ),
        (lambda: dynres_fast.pack.pack(np.array([3, 4]), BIG), "max_tokens"),
    ],
)
def test_huge_integers_are_refused_by_name(call, name):
    with pytest.raises(DynresError, match=rf"^{name}.*must be [<>]= -?\d+, got -?{BIG}$"):
        call()


def test_as_int_range():
    from dynres_fast._coerce import as_int

    assert as_int("x", 2**63 - 1) == 2**63 - 1
    assert as_int("x", np.uint64(2**63 - 1)) == 2**63 - 1
    with pytest.raises(
        DynresError, match="x must be <= 9223372036854775807, got 9223372036854775808"
    ):
        as_int("x", 2**63)
    with pytest.raises(DynresError, match="x must be <= 5, got 6"):
        as_int("x", 6, maximum=5)


def test_set_num_threads_refuses_more_than_1024():
    before = dynres_fast.get_num_threads()
    with pytest.raises(DynresError, match="n must be <= 1024, got 1025"):
        dynres_fast.set_num_threads(1025)
    assert dynres_fast.get_num_threads() == before
    try:
        dynres_fast.set_num_threads(1024)
        assert dynres_fast.get_num_threads() == 1024
    finally:
        dynres_fast.set_num_threads(before)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "uint8"])
def test_llava_empty_batches(dtype):
    proc = ov.ImageProcessor.llava_onevision(dtype=dtype)
    one = proc(IMG)
    for out in (proc([]), proc.multi_image([])):
        assert out["pixel_values"].shape == (0, 1, 3, 384, 384)
        assert out["pixel_values"].dtype == one["pixel_values"].dtype
        assert out["image_sizes"].shape == (0, 2)
        assert out["image_sizes"].dtype == np.int64
        assert out["num_image_tokens"].shape == (0,)
        assert out["num_image_tokens"].dtype == np.int64


def test_llava_image_sizes_are_pairs():
    out = ov.ImageProcessor.llava_onevision().multi_image([IMG, IMG[:20]])
    np.testing.assert_array_equal(out["image_sizes"], [[30, 40], [20, 40]])


@pytest.mark.parametrize("proc", PROCESSORS[:3])  # Oryx has no resample option
@pytest.mark.parametrize("code", [3, np.int64(3), np.uint8(3)])
def test_every_processor_takes_numpy_resample_codes(proc, code):
    p = proc(resample=code)
    assert (getattr(p, "resample", None) or p._norm.resample) == "bicubic"


@pytest.mark.parametrize("proc", PROCESSORS)
def test_numpy_scalar_mean_is_repeated(proc):
    p = proc(image_mean=np.float32(0.5), image_std=np.float64(0.25))
    norm = getattr(p, "_norm", p)
    assert tuple(norm.image_mean) == (0.5,) * 3
    assert tuple(norm.image_std) == (0.25,) * 3


def test_option_lists_have_one_definition():
    assert ops.FILTERS is _choices.FILTERS
    assert ops.COMPATS is _choices.ALL_COMPATS
    assert ops.TORCHVISION_FILTERS is _choices.TORCHVISION_FILTERS
    assert not hasattr(qwen2vl, "_RESAMPLE_CODES")
    assert not hasattr(qwen2vl, "_triple")
    assert not hasattr(ops, "_as_image")
    assert not hasattr(_lut, "COMPATS")


@pytest.mark.parametrize("n", [0, 1])
def test_video_smart_resize_too_few_frames_names_num_frames(n):
    with pytest.raises(DynresError, match=rf"num_frames={n} is below temporal_factor=2.*>="):
        qwen2vl.video_smart_resize(n, 360, 640)
    assert qwen2vl.video_smart_resize(2, 360, 640) == (352, 640)


@pytest.mark.parametrize("name", ["min_frames", "max_frames"])
@pytest.mark.parametrize("value", [math.inf, -1.0])
def test_sample_frames_bounds_name_the_accepted_range(name, value):
    with pytest.raises(DynresError, match=rf"{name} must be a finite number >= 0, got"):
        qwen2vl.sample_frames(2**20, 30.0, **{name: value})


def test_sampling_too_short_a_clip_names_total_frames():
    from dynres_fast import video

    with pytest.raises(DynresError, match=r"would sample 0 frames from total_frames=1"):
        video.sample_indices(1, rule="qwen2_vl", num_frames=1)
