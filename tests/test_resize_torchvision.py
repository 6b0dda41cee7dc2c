"""dynres_fast.ops.resize(compat="torchvision"): torchvision's uint8 antialiased resize.

Oracles: torchvision 0.29.1 outputs (data/torchvision_resize_public.npz), pillow-simd
12.1.1 outputs (data/torchvision_resize_extra.npz, made by scripts/gen_torchvision_golden.py;
pillow-simd reproduces every torchvision case), the NumPy statement in
reference/torchvision_resize.py, and the scalar kernel (for the AVX2 one).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynres_fast import DynresError, _core, ops

from conftest import DATA
from reference.pil_resize import resize as pil_ref
from reference.seeded import make_image
from reference.torchvision_resize import resize as tv_ref

KERNELS = ["scalar"] + (["avx2"] if _core.avx2_available() else [])
# Without AVX2 there is only one path; say so instead of comparing it with itself.
NEEDS_AVX2 = pytest.mark.skipif(not _core.avx2_available(), reason="this CPU has no AVX2")
TV_FILTERS = ("bilinear", "bicubic")


def public_cases():
    with np.load(DATA / "torchvision_resize_public.npz") as z:
        keys = sorted({k.split("_")[0] for k in z.files if k.startswith("c")})
        return [(k, z[f"{k}_input"], z[f"{k}_output"], str(z[f"{k}_filter"])) for k in keys]


PUBLIC = public_cases()


@pytest.mark.parametrize("kernel", KERNELS)
def test_torchvision_public_golden(kernel):
    assert len(PUBLIC) == 40
    for name, img, want, f in PUBLIC:
        got = _core.resize(img, want.shape[0], want.shape[1], f, "torchvision", kernel)
        np.testing.assert_array_equal(got, want, err_msg=f"{name} {f} {img.shape}")


def test_public_golden_is_not_pillow():
    # The target is really different from Pillow: most cases differ in a few values.
    differ = 0
    for _, img, want, f in PUBLIC[:10]:
        got = ops.resize(img, want.shape[0], want.shape[1], filter=f, compat="pillow12")
        differ += not np.array_equal(got, want)
        assert np.abs(got.astype(int) - want).max() <= 2
    assert differ >= 8


def extra_cases():
    with np.load(DATA / "torchvision_resize_extra.npz") as z:
        keys = sorted({k.split("_")[0] for k in z.files if k.startswith("c")})
        return [
            (k, {n.split("_", 1)[1]: z[n] for n in z.files if n.split("_")[0] == k}) for k in keys
        ]


EXTRA = extra_cases()


@pytest.mark.parametrize("kernel", KERNELS)
def test_pillow_simd_golden(kernel):
    assert len(EXTRA) >= 300
    for name, case in EXTRA:
        h, w, c, seed, kind, oh, ow, f = (int(v) for v in case["params"])
        img = make_image(h, w, c, seed, kind)
        got = _core.resize(img, oh, ow, TV_FILTERS[f], "torchvision", kernel)
        if "output" in case:
            np.testing.assert_array_equal(got, case["output"], err_msg=f"{name} {case['params']}")
        else:
            digest = hashlib.sha256(got.tobytes()).hexdigest()
            assert digest == str(case["sha256"]), f"{name} {case['params']}"


@st.composite
def cases(draw, max_side: int = 48):
    """(image, out_h, out_w, filter): gray 2-D, (H, W, 1), RGB or 4 channels."""
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    oh, ow = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    if draw(st.booleans()):  # keep one axis, or stay near the input size
        oh = h if draw(st.booleans()) else max(1, h + draw(st.integers(-4, 3)))
        ow = max(1, w + draw(st.integers(-3, 4)))
    shape = draw(st.sampled_from([(h, w), (h, w, 1), (h, w, 3), (h, w, 4)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    return img, oh, ow, draw(st.sampled_from(TV_FILTERS))


@settings(max_examples=600)
@given(cases())
def test_matches_numpy_reference(case):
    img, oh, ow, f = case
    got = ops.resize(img, oh, ow, filter=f, compat="torchvision")
    assert got.dtype == np.uint8 and got.shape == (oh, ow, *img.shape[2:])
    np.testing.assert_array_equal(got, tv_ref(img, oh, ow, f).reshape(got.shape))


@settings(max_examples=600)
@given(cases(max_side=400))
@NEEDS_AVX2
def test_scalar_and_simd_paths_agree(case):
    img, oh, ow, f = case
    outs = [_core.resize(img, oh, ow, f, "torchvision", k) for k in KERNELS]
    for other in outs[1:]:
        np.testing.assert_array_equal(outs[0], other)


def test_four_channels_are_independent():
    # torch resizes a 4-channel tensor channel by channel: the same as three RGB channels
    # plus the fourth on its own, and unlike Pillow's premultiplied RGBA.
    rng = np.random.default_rng(9)
    img = rng.integers(0, 256, (40, 50, 4), dtype=np.uint8)
    got = ops.resize(img, 23, 61, compat="torchvision")
    rgb = ops.resize(np.ascontiguousarray(img[..., :3]), 23, 61, compat="torchvision")
    alpha = ops.resize(np.ascontiguousarray(img[..., 3]), 23, 61, compat="torchvision")
    np.testing.assert_array_equal(got[..., :3], rgb)
    np.testing.assert_array_equal(got[..., 3], alpha)
    assert not np.array_equal(got, pil_ref(img, 23, 61, "bicubic", "pillow12"))


def test_one_axis_kept_and_same_size():
    img = np.random.default_rng(4).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    same = ops.resize(img, 30, 40, compat="torchvision")
    np.testing.assert_array_equal(same, img)
    assert not np.shares_memory(same, img)
    # Keeping the width runs only the vertical pass: each column is resized on its own.
    cols = ops.resize(img, 17, 40, filter="bilinear", compat="torchvision")
    col0 = ops.resize(
        np.ascontiguousarray(img[:, :1]), 17, 1, filter="bilinear", compat="torchvision"
    )
    np.testing.assert_array_equal(cols[:, :1], col0)


@pytest.mark.parametrize("f", ["nearest", "box", "hamming", "lanczos"])
def test_other_filters_are_refused(f):
    img = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(DynresError, match="bilinear, bicubic"):
        ops.resize(img, 2, 2, filter=f, compat="torchvision")
    with pytest.raises(DynresError, match="bilinear and bicubic"):
        _core.resize(img, 2, 2, f, "torchvision")


def test_unknown_compat_lists_torchvision():
    with pytest.raises(DynresError, match="torchvision"):
        ops.resize(np.zeros((4, 5, 3), np.uint8), 2, 2, compat="torch")
    with pytest.raises(DynresError, match="torchvision"):
        _core.resize(np.zeros((4, 5, 3), np.uint8), 2, 2, "bicubic", "torch")
