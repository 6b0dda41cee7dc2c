"""Input forms transformers 5.x accepts, live against 5.24 in both backends: nested batches
``[[img, img], [img]]`` (flattened), torch ``(C, H, W)`` / ``(N, C, H, W)`` uint8 tensors,
channels-first arrays, torch videos."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dynres_fast import InvalidImageError, internvl, qwen2vl
from dynres_fast import llava_onevision as ov

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


# ------------------------------------------------------------------ LLaVA-OneVision


def _ov_upstream(compat, inputs, **kw):
    cls = (
        T.LlavaOnevisionImageProcessorPil if compat == "pillow" else T.LlavaOnevisionImageProcessor
    )
    return upstream(cls, inputs, image_mean=ov.SIGLIP_MEAN, image_std=ov.SIGLIP_STD, **kw)


@pytest.mark.parametrize("compat", ["pillow", "torchvision"])
@pytest.mark.parametrize("nesting", [[2, 1], [1, 2], [3], [1, 1, 1]])
def test_llava_ov_nested_batches_are_prompts(compat, nesting):
    """Each image alone in its prompt gets anyres, each of a multi-image prompt one square."""
    rng = np.random.default_rng(sum(nesting))
    flat = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in SIZES]
    nested, k = [], 0
    for n in nesting:
        nested.append(flat[k : k + n])
        k += n
    want = _ov_upstream(compat, nested)
    got = ov.ImageProcessor.llava_onevision(compat=compat)(nested)
    check(got, want)
    alone = [n == 1 for n in nesting for _ in range(n)]
    tokens = [
        ov.plan(*SIZES[i]).num_tokens if a else ov.MULTI_IMAGE_TOKENS for i, a in enumerate(alone)
    ]
    assert got["num_image_tokens"].tolist() == tokens


@pytest.mark.parametrize("compat", ["pillow", "torchvision"])
def test_llava_ov_do_pad_false_gives_one_array_per_image(compat):
    arrays = images(5)
    kw = dict(image_mean=ov.SIGLIP_MEAN, image_std=ov.SIGLIP_STD, do_pad=False)
    cls = (
        T.LlavaOnevisionImageProcessorPil if compat == "pillow" else T.LlavaOnevisionImageProcessor
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = cls(**kw)(arrays)
    got = ov.ImageProcessor.llava_onevision(compat=compat, do_pad=False)(arrays)
    assert isinstance(got["pixel_values"], list) and len(got["pixel_values"]) == len(arrays)
    for x, y in zip(got["pixel_values"], want["pixel_values"]):
        np.testing.assert_array_equal(x, np.asarray(y))
    padded = ov.ImageProcessor.llava_onevision(compat=compat)(arrays)["pixel_values"]
    for x, y in zip(got["pixel_values"], padded):
        np.testing.assert_array_equal(x, y[: len(x)])
        assert not y[len(x) :].any()


# ------------------------------------------------------------------ InternVL tile sizes


@pytest.mark.parametrize("compat", ["pillow", "torchvision"])
@pytest.mark.parametrize("size", [300, 100, 33])
def test_internvl_tile_sizes_that_are_not_multiples_of_28(compat, size):
    arrays = images(6)
    kw = dict(FAMILIES["internvl"][3], size={"height": size, "width": size})
    want = upstream(
        T.GotOcr2ImageProcessorPil if compat == "pillow" else T.GotOcr2ImageProcessor, arrays, **kw
    )
    proc = internvl.ImageProcessor(
        image_size=size, max_num=6, compat=compat, reference="transformers"
    )
    got = proc(arrays)
    check(got, want)
    assert got["pixel_values"].shape[2:] == (size, size)
    p = proc.plan(*SIZES[0])
    assert (
        p.tokens_per_tile == (size // 28) ** 2 and p.num_tokens == p.num_tiles * (size // 28) ** 2
    )
