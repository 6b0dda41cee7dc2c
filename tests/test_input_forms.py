"""Input forms transformers 5.x accepts, live against 5.24 in both backends: nested batches
``[[img, img], [img]]`` (flattened), torch ``(C, H, W)`` / ``(N, C, H, W)`` uint8 tensors,
channels-first arrays, torch videos."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dynres_fast import InvalidImageError, internvl, qwen2vl

T = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
if int(T.__version__.split(".")[0]) < 5:  # pragma: no cover - the test extra pins 5.x
    pytest.skip("the live oracle is transformers 5.x", allow_module_level=True)

SIZES = [(100, 140), (90, 60), (70, 200)]


def images(seed=0, channels=3):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (h, w, channels), dtype=np.uint8) for h, w in SIZES]


def chw(image):
    return torch.from_numpy(image).permute(2, 0, 1)


def upstream(cls, inputs, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**kw)(inputs, return_tensors="np")


FAMILIES = {
    # name: (ours(compat), upstream Pil class, upstream torchvision class, upstream kwargs)
    "qwen2vl": (
        lambda compat: qwen2vl.ImageProcessor(compat=compat),
        T.Qwen2VLImageProcessorPil,
        T.Qwen2VLImageProcessor,
        {},
    ),
    "internvl": (
        lambda compat: internvl.ImageProcessor(max_num=6, compat=compat),
        T.GotOcr2ImageProcessorPil,
        T.GotOcr2ImageProcessor,
        dict(
            crop_to_patches=True,
            max_patches=6,
            size={"height": 448, "width": 448},
            image_mean=internvl.IMAGENET_MEAN,
            image_std=internvl.IMAGENET_STD,
        ),
    ),
}


def check(got, want):
    assert set(want) <= set(got), (sorted(got), sorted(want))
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("compat", ["pillow", "torchvision"])
def test_nested_batches_are_flattened(family, compat):
    ours, pil, tv, kw = FAMILIES[family]
    a, b, c = images()
    want = upstream(pil if compat == "pillow" else tv, [[a, b], [c]], **kw)
    check(ours(compat)([[a, b], [c]]), want)
    check(ours(compat)([a, b, c]), want)
    check(ours(compat)(([a], [b, c])), want)


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("compat", ["pillow", "torchvision"])
@pytest.mark.parametrize("channels", [1, 3])
def test_torch_chw_tensors(family, compat, channels):
    ours, pil, tv, kw = FAMILIES[family]
    arrays = images(1, channels)
    tensors = [chw(x) for x in arrays]
    want = upstream(pil if compat == "pillow" else tv, tensors, **kw)
    check(ours(compat)(tensors), want)
    check(ours(compat)(arrays), want)
    one = upstream(pil if compat == "pillow" else tv, tensors[0], **kw)
    check(ours(compat)(tensors[0]), one)
    check(ours(compat)(np.ascontiguousarray(arrays[0].transpose(2, 0, 1))), one)  # CHW array


@pytest.mark.parametrize("compat", ["pillow", "torchvision"])
def test_a_4d_tensor_is_a_batch_of_chw_images(compat):
    ours, pil, tv, kw = FAMILIES["qwen2vl"]
    batch = torch.from_numpy(np.random.default_rng(2).integers(0, 256, (2, 3, 56, 84), np.uint8))
    want = upstream(pil if compat == "pillow" else tv, batch, **kw)
    check(ours(compat)(batch), want)


def test_torch_videos_are_tchw():
    frames = np.random.default_rng(3).integers(0, 256, (4, 60, 80, 3), dtype=np.uint8)
    proc = internvl.ImageProcessor()
    want = proc.videos(frames)["pixel_values_videos"][0]
    tchw = torch.from_numpy(frames).permute(0, 3, 1, 2)
    np.testing.assert_array_equal(proc.videos(tchw)["pixel_values_videos"][0], want)
    np.testing.assert_array_equal(proc.videos([tchw])["pixel_values_videos"][0], want)
    np.testing.assert_array_equal(proc.videos(tchw[None])["pixel_values_videos"][0], want)


def test_ambiguous_and_bad_tensors():
    proc = qwen2vl.ImageProcessor()
    square = np.random.default_rng(4).integers(0, 256, (3, 56, 3), dtype=np.uint8)
    # an array whose first and last axes could both be channels stays (H, W, C): 3 x 56
    h, w = qwen2vl.smart_resize(3, 56)
    assert proc(square)["image_grid_thw"].tolist() == [[1, h // 14, w // 14]]
    with pytest.raises(InvalidImageError, match=r"image 0: cannot tell the channel axis"):
        proc(torch.zeros((5, 60, 70), dtype=torch.uint8))
    with pytest.raises(TypeError, match="uint8"):
        proc(torch.zeros((3, 60, 70), dtype=torch.float32))
