"""float16 / bfloat16 outputs computed in SIMD lanes (the kernel table carries the float32
table they round) against the reference: the float32 output rounded by NumPy
(``astype(float16)``; bfloat16 round to nearest even as ``_lut``), and against the table
gather the kernels use without the float32 rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynres_fast import internvl, oryx, qwen2vl
from dynres_fast import llava_onevision as ov


def bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 → bfloat16 bits, round to nearest even (finite values)."""
    b = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)


def half_bits(x: np.ndarray, dtype: str) -> np.ndarray:
    return x.astype(np.float16).view(np.uint16) if dtype == "float16" else bf16_bits(x)


def family(name: str, compat: str, dtype: str, mean, std):
    kw = dict(image_mean=mean, image_std=std, compat=compat, dtype=dtype)
    if name == "qwen2vl":
        return qwen2vl.ImageProcessor(min_pixels=28 * 28, max_pixels=120 * 140, **kw)
    if name == "internvl":
        return internvl.ImageProcessor(max_num=2, image_size=56, **kw)
    if name == "llava_onevision":
        return ov.ImageProcessor(**kw)
    kw.pop("compat")
    return oryx.ImageProcessor(**kw)


def values(proc, image) -> list:
    """Every output array of one call, as raw bits."""
    pv = proc(image)["pixel_values"]
    arrays = pv if isinstance(pv, list) else [pv]
    return [np.ascontiguousarray(a).view(np.uint8).copy() for a in arrays]


channel = st.floats(0.0, 1.0, width=32)
spread = st.floats(0.0625, 2.0, width=32)


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(["qwen2vl", "internvl", "llava_onevision", "oryx"]),
    compat=st.sampled_from(["pillow", "torchvision"]),
    dtype=st.sampled_from(["float16", "bfloat16"]),
    mean=st.tuples(channel, channel, channel),
    std=st.tuples(spread, spread, spread),
    h=st.integers(20, 130),
    w=st.integers(20, 130),
    seed=st.integers(0, 2**32 - 1),
)
def test_half_outputs_are_the_float32_outputs_rounded(name, compat, dtype, mean, std, h, w, seed):
    if name == "oryx":
        compat = "pillow"
    image = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    fast = family(name, compat, dtype, mean, std)
    f32 = family(name, compat, "float32", mean, std)
    got = values(fast, image)
    want = [half_bits(a.view(np.float32), dtype).view(np.uint8) for a in values(f32, image)]
    assert len(got) == len(want)
    for g, x in zip(got, want):
        assert np.array_equal(g, x)
    # The same processor without the float32 rows gathers every value from the table.
    assert fast._norm.table.shape == (9, 256)
    fast._norm.table = np.ascontiguousarray(fast._norm.table[:3])
    for g, x in zip(values(fast, image), got):
        assert np.array_equal(g, x)


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_other_dtypes_keep_their_table(dtype) -> None:
    assert internvl.ImageProcessor(dtype=dtype)._norm.table.shape == (3, 256)
