"""InternVL and LLaVA-OneVision processors with compat="torchvision" against transformers'
fast processors (GotOcr2ImageProcessorFast, LlavaOnevisionImageProcessorFast and its
multi-image path, the torchvision video processors).

Oracles: data/family_fast.npz (scripts/gen_family_fast_golden.py: pillow-simd resizes +
the NumPy statement of the fast processors in reference/family_fast.py), and that reference
run here with ops.resize(compat="torchvision") (itself verified against torchvision) on
Hypothesis-drawn small images.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from dynres_fast import DynresError, InvalidImageError, internvl, ops, oryx
from dynres_fast import llava_onevision as ov

from conftest import DATA
from reference import family_fast as ref

GOLD = np.load(DATA / "family_fast.npz")
CASES = sorted({k.split("__")[0] for k in GOLD.files if "__" in k})
NORMS = {
    "imagenet": (internvl.IMAGENET_MEAN, internvl.IMAGENET_STD),
    "clip": ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)),
    "siglip": (ov.SIGLIP_MEAN, ov.SIGLIP_STD),
}


def spec_of(case):
    return json.loads(str(GOLD[f"{case}__spec"]))


def images_of(spec, as_pil=False):
    ims = [ref.seeded_image(h, w, seed, block) for h, w, seed, block in spec["images"]]
    return [Image.fromarray(im) for im in ims] if as_pil else ims


def run(spec, dtype="float32", as_pil=False):
    """Our processor on a golden case: (pixel values, counts per image)."""
    family = spec["family"]
    default = "imagenet" if family == "internvl" else "siglip"
    mean, std = NORMS[spec.get("norm", default)]
    common = dict(
        image_mean=mean,
        image_std=std,
        compat="torchvision",
        dtype=dtype,
        resample=spec.get("resample", "bicubic"),
    )
    if family == "internvl":
        proc = internvl.ImageProcessor(
            image_size=spec["size"],
            min_num=spec.get("min_num", 1),
            max_num=spec["max_num"],
            use_thumbnail=spec.get("use_thumbnail", True),
            reference="transformers",  # GotOcr2's candidate order (differs for min_num > 1)
            **common,
        )
        out = proc(images_of(spec, as_pil))
        return out["pixel_values"], out["num_patches"]
    if family == "video":
        h, w, seed, block = spec["images"][0]
        frames = np.stack(
            [ref.seeded_image(h, w, seed + 100 * t, block) for t in range(spec["frames"])]
        )
        if spec["size"] == ov.CROP_SIZE:
            proc = ov.ImageProcessor.llava_onevision(**common)
        else:
            proc = internvl.ImageProcessor(image_size=spec["size"], **common)
        out = proc.videos(frames)
        values = out["pixel_values_videos"][0]
        return values, np.array([len(values)])
    proc = ov.ImageProcessor.llava_onevision(**common)
    images = images_of(spec, as_pil)
    if family == "llava_ov_multi":
        out = proc.multi_image(images)
        return out["pixel_values"], np.ones(len(images), np.int64)
    out = proc(images)
    counts = [ov.plan(*im.shape[:2]).num_crops for im in images_of(spec)]
    np.testing.assert_array_equal(out["image_sizes"], [im.shape[:2] for im in images_of(spec)])
    return out["pixel_values"], np.asarray(counts)


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def test_golden_covers_every_path():
    families = {spec_of(c)["family"] for c in CASES}
    assert families == {"internvl", "llava_ov", "llava_ov_multi", "video"}
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES)
def test_float32_matches_fast_golden(case):
    spec = spec_of(case)
    got, counts = run(spec)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.shape, GOLD[f"{case}__shape"])
    np.testing.assert_array_equal(counts, GOLD[f"{case}__counts"])
    probe = got.reshape(-1)[GOLD[f"{case}__probe_idx"]]
    np.testing.assert_allclose(probe, GOLD[f"{case}__probe"], rtol=0, atol=1e-6)
    if f"{case}__full" in GOLD.files:
        np.testing.assert_allclose(got, GOLD[f"{case}__full"], rtol=0, atol=1e-6)
    # Within 1e-6 is the contract; the float32 bytes are in fact identical.
    assert sha(got) == str(GOLD[f"{case}__f32_sha256"])


@pytest.mark.parametrize("case", [c for c in CASES if spec_of(c)["family"] != "video"])
def test_pil_inputs_give_the_same_values(case):
    got, _ = run(spec_of(case), as_pil=True)
    assert sha(got) == str(GOLD[f"{case}__f32_sha256"])


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "uint8"])
def test_other_dtypes_match_fast_golden(case, dtype):
    got, _ = run(spec_of(case), dtype=dtype)
    np.testing.assert_array_equal(got.shape, GOLD[f"{case}__shape"])
    if dtype == "float16":
        assert got.dtype == np.float16  # == the float32 output .to(torch.float16)
        assert sha(got) == str(GOLD[f"{case}__f16_sha256"])
    elif dtype == "bfloat16":
        assert sha(got.view(np.uint16)) == str(GOLD[f"{case}__bf16_sha256"])
    else:
        assert got.dtype == np.uint8  # the bytes the fast processor normalises
        assert sha(got) == str(GOLD[f"{case}__u8_sha256"])


def test_golden_is_not_the_slow_processor():
    # The two targets really differ: the Pillow compats cannot pass the fast golden.
    spec = spec_of("ivl_480x640")
    for compat in ("pillow", "pillow12"):
        slow = internvl.ImageProcessor(compat=compat)(images_of(spec))["pixel_values"]
        probe = slow.reshape(-1)[GOLD["ivl_480x640__probe_idx"]]
        assert sha(slow) != str(GOLD["ivl_480x640__f32_sha256"])
        assert np.abs(probe - GOLD["ivl_480x640__probe"]).max() > 1e-3


# ------------------------------------------------------- Hypothesis vs the reference


def tv_resize(resample):
    return lambda im, h, w: ops.resize(im, h, w, filter=resample, compat="torchvision")


sides = st.integers(1, 90)
seeds = st.integers(0, 2**16)
filters = st.sampled_from(["bilinear", "bicubic"])


@settings(max_examples=100)
@given(
    h=sides,
    w=sides,
    seed=seeds,
    size=st.sampled_from([28, 56]),
    nums=st.sampled_from([(1, 1), (1, 4), (1, 12), (2, 6), (3, 9)]),
    thumb=st.booleans(),
    resample=filters,
    norm=st.sampled_from(sorted(NORMS)),
)
def test_internvl_matches_reference(h, w, seed, size, nums, thumb, resample, norm):
    image = ref.seeded_image(h, w, seed, block=1 + seed % 5)
    mean, std = NORMS[norm]
    want, n = ref.internvl(
        image,
        tv_resize(resample),
        mean,
        std,
        min_num=nums[0],
        max_num=nums[1],
        size=size,
        use_thumbnail=thumb,
    )
    out = internvl.ImageProcessor(
        image_size=size,
        min_num=nums[0],
        max_num=nums[1],
        use_thumbnail=thumb,
        image_mean=mean,
        image_std=std,
        reference="transformers",
        compat="torchvision",
        resample=resample,
    )(image)
    assert out["num_patches"].tolist() == [n]
    np.testing.assert_array_equal(out["pixel_values"], want)


@settings(max_examples=30)
@given(
    shapes=st.lists(st.tuples(st.integers(1, 500), st.integers(1, 500)), min_size=1, max_size=2),
    seed=seeds,
    resample=filters,
)
def test_llava_ov_matches_reference(shapes, seed, resample):
    images = [ref.seeded_image(h, w, seed + i, block=1 + i) for i, (h, w) in enumerate(shapes)]
    want = ref.llava_ov(images, tv_resize(resample), ov.SIGLIP_MEAN, ov.SIGLIP_STD)
    got = ov.ImageProcessor.llava_onevision(compat="torchvision", resample=resample)(images)[
        "pixel_values"
    ]
    np.testing.assert_array_equal(got, want)


@settings(max_examples=30)
@given(
    shapes=st.lists(st.tuples(st.integers(1, 300), st.integers(1, 300)), min_size=1, max_size=3),
    seed=seeds,
    resample=filters,
    norm=st.sampled_from(sorted(NORMS)),
)
def test_llava_ov_multi_image_matches_reference(shapes, seed, resample, norm):
    images = [ref.seeded_image(h, w, seed + i) for i, (h, w) in enumerate(shapes)]
    mean, std = NORMS[norm]
    want = ref.llava_ov_multi(images, tv_resize(resample), mean, std)
    proc = ov.ImageProcessor.llava_onevision(
        image_mean=mean, image_std=std, compat="torchvision", resample=resample
    )
    np.testing.assert_array_equal(proc.multi_image(images)["pixel_values"], want)


@settings(max_examples=30)
@given(t=st.integers(1, 3), h=sides, w=sides, seed=seeds, size=st.sampled_from([28, 56, 448]))
def test_internvl_video_matches_reference(t, h, w, seed, size):
    frames = np.stack([ref.seeded_image(h, w, seed + k) for k in range(t)])
    want = ref.video(frames, tv_resize("bicubic"), (size, size), *NORMS["imagenet"])
    proc = internvl.ImageProcessor(image_size=size, compat="torchvision")
    np.testing.assert_array_equal(proc.videos(frames)["pixel_values_videos"][0], want)


def test_gray_video_is_replicated_like_grayscale_to_rgb():
    frames = ref.seeded_image(30, 40, 3)[None, :, :, :1]
    got = ov.ImageProcessor.llava_onevision(compat="torchvision").videos(frames)[
        "pixel_values_videos"
    ][0]
    rgb = np.repeat(frames, 3, axis=3)
    want = ref.video(rgb, tv_resize("bicubic"), (384, 384), ov.SIGLIP_MEAN, ov.SIGLIP_STD)
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize("make", [internvl.ImageProcessor, ov.ImageProcessor])
@pytest.mark.parametrize("resample", ["lanczos", "nearest", "box", "hamming", 1, 0])
def test_torchvision_refuses_other_filters(make, resample):
    with pytest.raises(DynresError, match="compat 'torchvision' supports resample bilinear"):
        make(compat="torchvision", resample=resample)
    make(compat="pillow", resample=resample)  # Pillow has every filter


@pytest.mark.parametrize("make", [internvl.ImageProcessor, ov.ImageProcessor])
def test_bad_compat_and_resample(make):
    with pytest.raises(DynresError, match="compat must be one of 'pillow', 'pillow12', 'torch"):
        make(compat="torch")
    with pytest.raises(DynresError, match="resample must be one of"):
        make(resample="cubic")
    with pytest.raises(DynresError, match="resample code must be one of"):
        make(resample=7)
    with pytest.raises(TypeError, match="compat must be a string"):
        make(compat=3)


def test_resample_codes_name_filters():
    image = ref.seeded_image(50, 70, 1)
    by_code = internvl.ImageProcessor(compat="torchvision", resample=2, image_size=56)(image)
    by_name = internvl.ImageProcessor(compat="torchvision", resample="bilinear", image_size=56)(
        image
    )
    np.testing.assert_array_equal(by_code["pixel_values"], by_name["pixel_values"])
    assert "resample='bilinear'" in repr(internvl.ImageProcessor(resample=2))


def test_oryx_has_no_torchvision_mode():
    with pytest.raises(DynresError, match="has none; accepted: 'pillow', 'pillow12'"):
        oryx.ImageProcessor(compat="torchvision")


@pytest.mark.parametrize("make", [internvl.ImageProcessor, ov.ImageProcessor])
def test_torchvision_refuses_rgba_videos(make):
    video = np.zeros((2, 20, 30, 4), np.uint8)
    with pytest.raises(InvalidImageError, match="video 0: compat 'torchvision' accepts gray"):
        make(compat="torchvision").videos(video)
    make(compat="pillow").videos(video)  # the slow paths drop alpha like convert("RGB")
