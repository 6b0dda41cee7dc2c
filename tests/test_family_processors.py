"""InternVL, LLaVA-OneVision and Oryx image processors: transformers 5.x's Pillow-backend
processors (``…ImageProcessorPil``) and the reference pipelines (Pillow >= 13,
compat="pillow") and the Pillow 12.3 goldens (compat="pillow12")."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dynres_fast import DynresError, internvl, oryx
from dynres_fast import llava_onevision as ov

from conftest import DATA
from reference import oryx as oryx_ref

try:  # transformers 5.x: the Pillow backend (compat="pillow"); 4.57's slow classes
    from transformers import GotOcr2ImageProcessorPil, LlavaOnevisionImageProcessorPil
except ImportError:  # pragma: no cover - transformers 5.x is a test dependency
    GotOcr2ImageProcessorPil = None

needs_hf = pytest.mark.skipif(GotOcr2ImageProcessorPil is None, reason="transformers 5.x missing")
GOLD = np.load(DATA / "family_pixels_pillow12.npz")
PIL_MAJOR = int(Image.__version__.split(".")[0])
needs_pillow13 = pytest.mark.skipif(PIL_MAJOR < 13, reason="compat='pillow' targets Pillow >= 13")

# (height, width): up- and down-scaling, extreme aspect ratios, the Pillow-13 pass-order
# switch (1000x100 thumbnail), tiny images.
SIZES = [(200, 300), (1000, 100), (480, 640), (37, 911), (700, 1000), (5, 7), (448, 448)]


def noise(h, w, c=3, seed=0):
    return np.random.default_rng(seed + h * 7919 + w).integers(0, 256, (h, w, c), dtype=np.uint8)


def norm(u8_hwc, mean, std):
    x = (u8_hwc.astype(np.float64) * (1 / 255)).astype(np.float32)
    m, s = np.asarray(mean, np.float32), np.asarray(std, np.float32)
    return ((x - m) / s).transpose(2, 0, 1)


# ------------------------------------------------------------------ InternVL


@needs_hf
@needs_pillow13
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("max_num", [1, 6, 12])
def test_internvl_matches_gotocr2_pil(size, max_num):
    images = [noise(*size), noise(size[1], size[0], seed=1)]
    hf = GotOcr2ImageProcessorPil(
        crop_to_patches=True,
        min_patches=1,
        max_patches=max_num,
        size={"height": 448, "width": 448},
        image_mean=internvl.IMAGENET_MEAN,
        image_std=internvl.IMAGENET_STD,
    )(images, return_tensors="np", input_data_format="channels_last")
    got = internvl.ImageProcessor(max_num=max_num)(images)
    np.testing.assert_array_equal(got["num_patches"], hf["num_patches"])
    assert got["pixel_values"].dtype == np.float32
    np.testing.assert_array_equal(got["pixel_values"], hf["pixel_values"])


def test_internvl_pillow12_golden():
    image = GOLD["internvl_input"]
    small = internvl.ImageProcessor(max_num=4, compat="pillow12", dtype="uint8")(image)
    assert small["num_patches"].tolist() == [1]
    assert internvl.plan(200, 300, max_num=4).grid[::-1] == tuple(GOLD["internvl_maxnum4_grid"])
    proc = internvl.ImageProcessor(max_num=12, compat="pillow12")
    raw = internvl.ImageProcessor(max_num=12, compat="pillow12", dtype="uint8")(image)
    out = proc(image)
    assert out["num_patches"].tolist() == [int(GOLD["internvl_maxnum12_num_tiles"])]
    assert internvl.plan(200, 300).grid[::-1] == tuple(GOLD["internvl_maxnum12_grid"])
    tiles = raw["pixel_values"]
    np.testing.assert_array_equal(tiles[0].transpose(1, 2, 0), GOLD["internvl_maxnum12_tile0_u8"])
    np.testing.assert_array_equal(
        tiles[-1].transpose(1, 2, 0), GOLD["internvl_maxnum12_thumbnail_u8"]
    )
    pv = out["pixel_values"]
    np.testing.assert_array_equal(pv[0, :, :64, :64], GOLD["internvl_maxnum12_tile0_f32_corner"])
    np.testing.assert_array_equal(pv[-1, :, :64, :64], GOLD["internvl_maxnum12_thumb_f32_corner"])
    # the small image is squashed straight to one tile, the same bytes as the thumbnail
    np.testing.assert_array_equal(small["pixel_values"][0], tiles[-1])


@needs_pillow13
@pytest.mark.parametrize("size", [(300, 400), (90, 1000), (1080, 1920)])
def test_internvl_tiles_are_pil_crops(size):
    """uint8 output = crops of the PIL bicubic canvas, row-major, then the PIL thumbnail."""
    image = noise(*size)
    p = internvl.plan(*size)
    raw = internvl.ImageProcessor(dtype="uint8")(image)["pixel_values"]
    pil = Image.fromarray(image)
    canvas = np.asarray(pil.resize(p.resized[::-1], Image.BICUBIC))
    for tile, (t, left, h, w) in zip(raw, p.boxes):
        np.testing.assert_array_equal(tile.transpose(1, 2, 0), canvas[t : t + h, left : left + w])
    thumb = np.asarray(pil.resize((448, 448), Image.BICUBIC))
    np.testing.assert_array_equal(raw[-1].transpose(1, 2, 0), thumb)


@needs_pillow13
def test_internvl_gray_rgba_and_pil_inputs():
    rgb = noise(120, 90)
    rgba = np.concatenate([rgb, noise(120, 90, 1, seed=5)], axis=2)
    proc = internvl.ImageProcessor(max_num=6)
    want = proc(rgb)["pixel_values"]
    np.testing.assert_array_equal(proc(rgba)["pixel_values"], want)  # alpha dropped
    np.testing.assert_array_equal(proc(Image.fromarray(rgb))["pixel_values"], want)
    gray = rgb[:, :, 0]
    np.testing.assert_array_equal(
        proc(gray)["pixel_values"], proc(np.repeat(gray[:, :, None], 3, 2))["pixel_values"]
    )


def test_internvl_half_precision_dtypes():
    image = noise(300, 500)
    f32 = internvl.ImageProcessor()(image)["pixel_values"]
    f16 = internvl.ImageProcessor(dtype="float16")(image)["pixel_values"]
    assert f16.dtype == np.float16
    np.testing.assert_array_equal(f16, f32.astype(np.float16))
    bf = internvl.ImageProcessor(dtype="bfloat16")(image)["pixel_values"]
    np.testing.assert_allclose(np.asarray(bf, np.float32), f32, atol=2**-7 * 3)


@pytest.mark.parametrize(
    "kwargs,exc",
    [
        (dict(max_num=0), DynresError),
        (dict(min_num=3, max_num=2), DynresError),
        (dict(image_size=0), DynresError),
        (dict(compat="pillow11"), DynresError),
        (dict(dtype="float64"), DynresError),
        (dict(image_std=(0, 1, 1)), DynresError),
        (dict(image_mean=(0.5, 0.5)), DynresError),
        (dict(reference="sorted"), DynresError),
        (dict(use_thumbnail="yes"), TypeError),
    ],
)
def test_internvl_processor_errors(kwargs, exc):
    with pytest.raises(exc):
        internvl.ImageProcessor(**kwargs)


def test_bad_images_are_refused():
    proc = internvl.ImageProcessor()
    with pytest.raises(TypeError):
        proc(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(DynresError):
        proc(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(DynresError):
        proc(np.zeros((0, 10, 3), np.uint8))
    with pytest.raises(TypeError):
        proc("image.png")


# ------------------------------------------------------------------ LLaVA-OneVision


@needs_hf
@needs_pillow13
@pytest.mark.parametrize(
    "sizes",
    [[(200, 300)], [(300, 500), (50, 300)], [(1000, 100), (48, 423)], [(768, 1024), (37, 911)]],
)
def test_llava_ov_matches_transformers_pil(sizes):
    images = [noise(*s) for s in sizes]
    # the OneVision checkpoints ship SigLIP's 0.5/0.5 (the class defaults are CLIP's)
    hf = LlavaOnevisionImageProcessorPil(image_mean=ov.SIGLIP_MEAN, image_std=ov.SIGLIP_STD)(
        images, return_tensors="np", input_data_format="channels_last"
    )
    got = ov.ImageProcessor.llava_onevision()(images)
    np.testing.assert_array_equal(got["image_sizes"], hf["image_sizes"])
    assert got["pixel_values"].shape == hf["pixel_values"].shape
    np.testing.assert_array_equal(got["pixel_values"], hf["pixel_values"])
    assert got["num_image_tokens"].tolist() == [ov.plan(*s).num_tokens for s in sizes]


def test_llava_ov_pillow12_golden():
    image = GOLD["llava_ov_input"]
    p = ov.plan(*image.shape[:2])
    assert p.canvas == tuple(GOLD["llava_ov_best_wh"][::-1])
    assert p.num_crops == int(GOLD["llava_ov_num_crops"])
    raw = ov.ImageProcessor.llava_onevision(compat="pillow12", dtype="uint8")(image)[
        "pixel_values"
    ][0]
    np.testing.assert_array_equal(raw[0].transpose(1, 2, 0), GOLD["llava_ov_base_u8"])
    canvas = GOLD["llava_ov_padded_canvas_u8"]
    for crop, (t, left, h, w) in zip(raw[1:], p.boxes):
        np.testing.assert_array_equal(crop.transpose(1, 2, 0), canvas[t : t + h, left : left + w])
    pv = ov.ImageProcessor.llava_onevision(compat="pillow12")(image)["pixel_values"][0]
    np.testing.assert_array_equal(pv[:2, :, :64, :64], GOLD["llava_ov_first2_f32_corner"])


def test_llava_ov_padding_and_errors():
    out = ov.ImageProcessor.llava_onevision()([noise(384, 384), noise(1000, 1500)])["pixel_values"]
    assert out.shape[1] == 1 + ov.plan(1000, 1500).grid[0] * ov.plan(1000, 1500).grid[1]
    assert not out[0, 2:].any()  # batch padding is 0.0
    with pytest.raises(DynresError):
        ov.ImageProcessor.llava_onevision(image_grid_pinpoints=[(300, 400)])
    with pytest.raises(DynresError):
        ov.ImageProcessor.llava_onevision(reference="hf")


# ------------------------------------------------------------------ Oryx


@needs_pillow13
@pytest.mark.parametrize("size", SIZES + [(20, 10), (3000, 2000), (50, 300)])
def test_oryx_matches_pil_reference(size):
    image = noise(*size)
    out = oryx.ImageProcessor()([image])
    high, low = oryx_ref.pixels(Image.fromarray(image), oryx.ORYX_MEAN, oryx.ORYX_STD)
    np.testing.assert_array_equal(out["pixel_values"][0], high)
    np.testing.assert_array_equal(out["pixel_values_lowres"][0], low)
    assert out["num_tokens"].tolist() == [oryx.plan(*size).num_tokens]


def test_oryx_pillow12_golden():
    image = GOLD["oryx_input"]
    raw = oryx.ImageProcessor(compat="pillow12", dtype="uint8")(image)
    np.testing.assert_array_equal(
        raw["pixel_values"][0].transpose(1, 2, 0), GOLD["oryx_highres_u8"]
    )
    np.testing.assert_array_equal(
        raw["pixel_values_lowres"][0].transpose(1, 2, 0), GOLD["oryx_lowres_u8"]
    )
    out = oryx.ImageProcessor(compat="pillow12")(image)
    np.testing.assert_array_equal(
        out["pixel_values"][0][:, :64, :64], GOLD["oryx_highres_f32_corner"]
    )
    np.testing.assert_array_equal(
        out["pixel_values_lowres"][0][:, :64, :64], GOLD["oryx_lowres_f32_corner"]
    )


def test_oryx_errors():
    with pytest.raises(DynresError, match="image 1"):
        oryx.ImageProcessor()([noise(20, 20), noise(40, 100_000, 1)])
    with pytest.raises(DynresError):
        oryx.ImageProcessor(lowres_patch=20)
