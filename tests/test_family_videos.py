"""Family video paths (InternVL load_video, LLaVA-OneVision SigLIP frames, Oryx
resize_video), LLaVA-OneVision's multi-image path, and thread equality of the family
pixel kernels: transformers 5.x's Pillow-backend processors (``…ImageProcessorPil``) and PIL
references, Hypothesis, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import dynres_fast
from dynres_fast import AspectRatioError, DynresError, InvalidImageError, internvl, oryx
from dynres_fast import llava_onevision as ov

from reference import internvl as internvl_ref
from reference import oryx as oryx_ref

try:  # transformers 5.x: the Pillow backend (compat="pillow"); 4.57's slow classes
    from transformers import LlavaOnevisionImageProcessorPil, SiglipImageProcessorPil
except ImportError:  # pragma: no cover - transformers 5.x is a test dependency
    SiglipImageProcessorPil = None

needs_hf = pytest.mark.skipif(SiglipImageProcessorPil is None, reason="transformers 5.x missing")
PIL_MAJOR = int(Image.__version__.split(".")[0])
needs_pillow13 = pytest.mark.skipif(PIL_MAJOR < 13, reason="compat='pillow' targets Pillow >= 13")


def video(t, h, w, c=3, seed=0):
    return np.random.default_rng(seed + 31 * h + w).integers(0, 256, (t, h, w, c), dtype=np.uint8)


def squashed(frame, h, w, mean, std):
    """PIL bicubic squash of one frame to (h, w), then the Pil processors' normalisation."""
    im = Image.fromarray(frame).convert("RGB").resize((w, h), Image.BICUBIC)
    return oryx_ref.normalise(im, mean, std)


# ------------------------------------------------------------------ LLaVA-OneVision


@needs_hf
@needs_pillow13
@pytest.mark.parametrize("shape", [(3, 120, 200), (2, 500, 300), (1, 384, 384), (2, 37, 911)])
def test_llava_ov_video_matches_siglip_pil(shape):
    frames = video(*shape)
    siglip = SiglipImageProcessorPil(
        size={"height": 384, "width": 384}, image_mean=ov.SIGLIP_MEAN, image_std=ov.SIGLIP_STD
    )
    want = siglip(list(frames), return_tensors="np", input_data_format="channels_last")
    out = ov.ImageProcessor.llava_onevision().videos(frames)
    got = out["pixel_values_videos"]
    assert len(got) == 1 and got[0].shape == (shape[0], 3, 384, 384)
    np.testing.assert_array_equal(got[0], want["pixel_values"])
    assert out["num_video_tokens"].tolist() == [196 * shape[0] + 1]
    np.testing.assert_array_equal(out["frame_indices"][0], np.arange(shape[0]))


@needs_pillow13
def test_llava_ov_video_sampling_batch_and_dtypes():
    a, b = video(10, 60, 80), video(4, 90, 50, seed=1)
    proc = ov.ImageProcessor.llava_onevision()
    out = proc.videos([a, list(b)], num_frames=4)
    idx = ov.frame_indices(10, 4)
    np.testing.assert_array_equal(out["frame_indices"][0], idx)
    np.testing.assert_array_equal(out["frame_indices"][1], ov.frame_indices(4, 4))
    for k, i in enumerate(idx):
        want = squashed(a[i], 384, 384, ov.SIGLIP_MEAN, ov.SIGLIP_STD)
        np.testing.assert_array_equal(out["pixel_values_videos"][0][k], want)
    assert out["num_video_tokens"].tolist() == [4 * 196 + 1] * 2
    raw = ov.ImageProcessor.llava_onevision(dtype="uint8").videos(b)["pixel_values_videos"][0]
    want = np.stack([np.asarray(Image.fromarray(f).resize((384, 384), Image.BICUBIC)) for f in b])
    np.testing.assert_array_equal(raw.transpose(0, 2, 3, 1), want)
    half = ov.ImageProcessor.llava_onevision(dtype="float16").videos(b)["pixel_values_videos"][0]
    full = proc.videos(b)["pixel_values_videos"][0]
    np.testing.assert_array_equal(half, full.astype(np.float16))


@needs_hf
@needs_pillow13
@pytest.mark.parametrize(
    "sizes", [[(200, 300), (300, 200)], [(480, 640), (384, 384), (37, 911)], [(5, 7), (90, 40)]]
)
def test_llava_ov_multi_image_matches_transformers_pil(sizes):
    images = [video(1, *s, seed=i)[0] for i, s in enumerate(sizes)]
    hf = LlavaOnevisionImageProcessorPil(image_mean=ov.SIGLIP_MEAN, image_std=ov.SIGLIP_STD)(
        [images], return_tensors="np", input_data_format="channels_last"
    )
    got = ov.ImageProcessor.llava_onevision().multi_image(images)
    assert got["pixel_values"].shape == (len(sizes), 1, 3, 384, 384)
    np.testing.assert_array_equal(got["pixel_values"], hf["pixel_values"])
    np.testing.assert_array_equal(got["image_sizes"], hf["image_sizes"])
    assert got["num_image_tokens"].tolist() == [ov.MULTI_IMAGE_TOKENS] * len(sizes)


@needs_pillow13
def test_llava_ov_multi_image_pad_colour_follows_mean():
    image = video(1, 40, 100)[0]
    mean = (0.2, 0.4, 0.6)
    raw = ov.ImageProcessor.llava_onevision(image_mean=mean, dtype="uint8").multi_image(image)[
        "pixel_values"
    ]
    square = np.empty((100, 100, 3), np.uint8)
    square[:] = [int(m * 255) for m in mean]
    square[30:70] = image
    want = np.asarray(Image.fromarray(square).resize((384, 384), Image.BICUBIC))
    np.testing.assert_array_equal(raw[0, 0].transpose(1, 2, 0), want)


# ------------------------------------------------------------------ InternVL


@needs_pillow13
def test_internvl_video_is_one_squashed_tile_per_frame():
    frames = video(5, 90, 160)
    proc = internvl.ImageProcessor()
    out = proc.videos(frames)
    got = out["pixel_values_videos"][0]
    assert got.shape == (5, 3, 448, 448)
    for k, f in enumerate(frames):
        want = squashed(f, 448, 448, internvl.IMAGENET_MEAN, internvl.IMAGENET_STD)
        np.testing.assert_array_equal(got[k], want)
    one_tile = internvl.ImageProcessor(max_num=1)(list(frames))
    np.testing.assert_array_equal(got, one_tile["pixel_values"])
    assert out["num_video_tokens"].tolist() == [5 * 258]


@needs_pillow13
def test_internvl_video_num_segments_uses_get_index():
    frames = video(8, 30, 40)
    out = internvl.ImageProcessor(image_size=224).videos(frames, num_frames=8)
    idx = internvl_ref.get_index(8, 8)
    np.testing.assert_array_equal(out["frame_indices"][0], idx)  # [0,1,2,3,4,4,5,6]
    got = out["pixel_values_videos"][0]
    for k, i in enumerate(idx):
        want = squashed(frames[i], 224, 224, internvl.IMAGENET_MEAN, internvl.IMAGENET_STD)
        np.testing.assert_array_equal(got[k], want)
    assert out["num_video_tokens"].tolist() == [8 * (64 + 2)]


# ------------------------------------------------------------------ Oryx


@needs_pillow13
@pytest.mark.parametrize("shape", [(2, 720, 1280), (3, 240, 320), (1, 1280, 720)])
@pytest.mark.parametrize("long", [False, True])
def test_oryx_video_matches_reference(shape, long):
    frames = video(*shape)
    out = oryx.ImageProcessor().videos(frames, long=long)
    want = oryx_ref.video_pixels(list(frames), long=long)
    got = out["pixel_values_videos"][0]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert out["num_video_tokens"].tolist() == [
        oryx.video_num_tokens(shape[0], *shape[1:], long=long)
    ]


@needs_pillow13
@settings(max_examples=25)
@given(
    t=st.integers(1, 3),
    h=st.integers(100, 700),
    w=st.integers(100, 700),
    channels=st.sampled_from([1, 3, 4]),
)
def test_oryx_video_hypothesis(t, h, w, channels):
    frames = video(t, h, w, channels)
    rgb = [
        np.asarray(Image.fromarray(f.squeeze(-1) if channels == 1 else f).convert("RGB"))
        for f in frames
    ]
    got = oryx.ImageProcessor().videos(frames)["pixel_values_videos"][0]
    np.testing.assert_array_equal(got, oryx_ref.video_pixels(rgb))


def test_oryx_video_errors():
    proc = oryx.ImageProcessor()
    with pytest.raises(AspectRatioError, match="video 1"):
        proc.videos([video(1, 64, 64), video(1, 10, 4000)])
    with pytest.raises(TypeError):
        proc.videos(video(1, 64, 64), long="yes")
    with pytest.raises(DynresError):
        oryx.ImageProcessor(video_patch=20)


# ------------------------------------------------------------------ shared errors, threads


@pytest.mark.parametrize("family", [internvl, ov, oryx])
def test_video_input_errors(family):
    proc = family.ImageProcessor()
    with pytest.raises(TypeError):
        proc.videos(video(2, 20, 20).astype(np.float32))
    with pytest.raises(TypeError, match="one image"):
        proc.videos(video(1, 20, 20)[0])  # an (H, W, 3) image
    with pytest.raises(TypeError):
        proc.videos("clip.mp4")
    with pytest.raises(InvalidImageError):
        proc.videos([[video(1, 20, 20)[0], video(1, 20, 30)[0]]])  # frames of two sizes
    with pytest.raises(InvalidImageError):
        proc.videos([[]])
    with pytest.raises(InvalidImageError):
        proc.videos(np.zeros((0, 20, 20, 3), np.uint8))
    with pytest.raises(InvalidImageError):
        proc.videos(np.zeros((2, 20, 20, 2), np.uint8))
    sampled = "num_frames"
    with pytest.raises(DynresError):
        proc.videos(video(3, 20, 20), **{sampled: 0})
    with pytest.raises(TypeError):
        proc.videos(video(3, 20, 20), **{sampled: 2.5})


def test_multi_image_errors():
    with pytest.raises(TypeError):
        ov.ImageProcessor.llava_onevision().multi_image([np.zeros((4, 4, 3), np.float64)])
    with pytest.raises(DynresError):
        ov.ImageProcessor.llava_onevision(image_mean=(1.5, 0.5, 0.5)).multi_image(video(1, 4, 8)[0])


def test_threads_give_identical_pixels():
    images = [video(1, 300, 700)[0], video(1, 1000, 90, seed=2)[0]]
    frames = video(3, 50, 70)
    procs = (internvl.ImageProcessor(), ov.ImageProcessor.llava_onevision(), oryx.ImageProcessor())

    def run():
        out = [p(images) for p in procs]
        out.append(ov.ImageProcessor.llava_onevision().multi_image(images))
        vids = [p.videos(frames)["pixel_values_videos"][0] for p in procs]
        return out, vids

    before = dynres_fast.get_num_threads()
    try:
        dynres_fast.set_num_threads(1)
        one = run()
        dynres_fast.set_num_threads(2)
        two = run()
    finally:
        dynres_fast.set_num_threads(before)
    for a, b in zip(one[0], two[0]):
        for key in a:
            if isinstance(a[key], list):
                for x, y in zip(a[key], b[key]):
                    np.testing.assert_array_equal(x, y)
            else:
                np.testing.assert_array_equal(a[key], b[key])
    for x, y in zip(one[1], two[1]):
        np.testing.assert_array_equal(x, y)
