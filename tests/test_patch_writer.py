"""The float32 patch writer computes normalisation in SIMD lanes when the table is one of
the processors' two float32 orders; these properties check it bit for bit against the
table gather written in NumPy (resize with our own kernel, look every byte up in
``_lut.table``, then the Qwen2-VL patch layout), for random means, stds, patch and
temporal sizes, still images and clips."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dynres_fast import _lut, ops, qwen2vl


def _patches(frames, ps, tps, m):
    """(T, H, W, C) float32 frames → Qwen2-VL's (rows, C·tps·ps²) layout."""
    if len(frames) % tps:
        frames = np.concatenate([frames, np.repeat(frames[-1:], tps - len(frames) % tps, 0)])
    t, h, w, c = frames.shape
    x = frames.transpose(0, 3, 1, 2).reshape(
        t // tps, tps, c, h // ps // m, m, ps, w // ps // m, m, ps
    )
    x = x.transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)
    return x.reshape(-1, c * tps * ps * ps)


def _gathered(frames, size, mean, std, compat, ps, tps, m):
    table = _lut.table(mean, std, "float32", compat)
    resized = np.stack([ops.resize(f, *size, compat=compat) for f in frames])
    values = np.stack([table[ch][resized[..., ch]] for ch in range(3)], -1)
    return _patches(values, ps, tps, m)


channel_params = st.tuples(st.floats(-1.0, 2.0), st.floats(0.01, 4.0))

settings_ = settings(max_examples=40)


@settings_
@given(
    params=st.lists(channel_params, min_size=3, max_size=3),
    compat=st.sampled_from(["pillow", "torchvision"]),
    ps=st.sampled_from([14, 16]),
    tps=st.integers(1, 3),
    frames=st.integers(1, 4),
    side=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    seed=st.integers(0, 2**32 - 1),
)
def test_float32_writer_equals_the_table_gather(params, compat, ps, tps, frames, side, seed):
    mean, std = [p[0] for p in params], [p[1] for p in params]
    factor = 2 * ps
    h, w = side[0] * factor, side[1] * factor
    rng = np.random.default_rng(seed)
    clip = rng.integers(0, 256, (frames, h + 5, w + 3, 3), dtype=np.uint8)
    proc = qwen2vl.ImageProcessor(
        min_pixels=1,
        max_pixels=h * w,
        patch_size=ps,
        temporal_patch_size=tps,
        image_mean=mean,
        image_std=std,
        compat=compat,
    )
    if frames == 1:
        got = proc(clip[0])["pixel_values"]
        size = proc.plan(h + 5, w + 3).resized
    else:
        out = proc.videos(clip)
        got = out["pixel_values_videos"]
        size = tuple(int(g) * ps for g in out["video_grid_thw"][0][1:])
    want = _gathered(clip, size, mean, std, compat, ps, tps, 2)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


@settings_
@given(seed=st.integers(0, 2**32 - 1), compat=st.sampled_from(["pillow", "torchvision"]))
def test_defaults_equal_the_table_gather(seed, compat):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (61, 93, 3), dtype=np.uint8)
    proc = qwen2vl.ImageProcessor(compat=compat)
    size = proc.plan(61, 93).resized
    want = _gathered(img[None], size, proc.image_mean, proc.image_std, compat, 14, 2, 2)
    got = proc(img)["pixel_values"]
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
