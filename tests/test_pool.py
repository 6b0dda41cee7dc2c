"""OutputPool: views of one arena, reused after begin(), grown when a call needs more."""

import numpy as np

from dynres_fast.pool import OutputPool


def test_reuses_memory_across_calls_and_aligns_views():
    pool = OutputPool()
    pool.begin()
    a = pool.take((100, 7), np.float32)
    assert a.flags.c_contiguous and a.shape == (100, 7)
    pool.begin()  # grows to the first call's need
    b = pool.take((100, 7), np.float32)
    c = pool.take((3,), np.uint16)
    assert b.ctypes.data % 64 == 0 and c.ctypes.data % 64 == 0
    assert not np.shares_memory(b, c)
    pool.begin()
    d = pool.take((100, 7), np.float32)
    assert np.shares_memory(b, d)  # same memory, call after call
    held = pool.nbytes
    pool.begin()
    pool.take((10, 7), np.float32)
    assert pool.nbytes == held  # smaller calls keep the arena


def test_a_bigger_call_gets_fresh_memory_then_the_arena_grows():
    pool = OutputPool()
    pool.begin()
    pool.take((10,), np.float32)
    pool.begin()
    small = pool.take((10,), np.float32)
    big = pool.take((1000,), np.float32)  # does not fit: fresh, not overlapping
    assert not np.shares_memory(small, big)
    big[:] = 1
    assert pool.nbytes < 4000
    pool.begin()
    assert pool.nbytes >= 4040
    again = pool.take((1010,), np.float32)
    assert pool.nbytes >= again.nbytes


def test_qwen2vl_reuse_output_equals_fresh_and_reuses_memory():
    from dynres_fast import qwen2vl

    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (90, 130, 3), dtype=np.uint8) for _ in range(3)]
    fresh = qwen2vl.ImageProcessor()
    pooled = qwen2vl.ImageProcessor(reuse_output=True)
    first = pooled(imgs[0])["pixel_values"]
    np.testing.assert_array_equal(first, fresh(imgs[0])["pixel_values"])
    for img in imgs[1:]:
        got = pooled(img)["pixel_values"]
        np.testing.assert_array_equal(got, fresh(img)["pixel_values"])
    assert np.shares_memory(got, pooled(imgs[0])["pixel_values"])
    video = np.stack(imgs)
    np.testing.assert_array_equal(
        pooled.videos(video)["pixel_values_videos"], fresh.videos(video)["pixel_values_videos"]
    )
