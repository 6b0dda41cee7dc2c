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
