"""Pixtral against transformers 5.x: PixtralImageProcessor (torchvision) and
PixtralImageProcessorPil bit for bit, plans and token counts against the upstream size rule
and PixtralProcessor, prompt layouts against PixtralProcessor's own expansion."""

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from dynres_fast import AspectRatioError, DynresError, GridMismatchError, pixtral

transformers = pytest.importorskip("transformers")
pytest.importorskip("torchvision")

from transformers import (  # noqa: E402
    PixtralImageProcessor,
    PixtralImageProcessorPil,
    PixtralProcessor,
)
from transformers.models.pixtral.image_processing_pixtral import (  # noqa: E402
    get_resize_output_image_size,
)

SAMPLES = Path(pixtral.__file__).parent / "samples"
UPSTREAM = {"torchvision": PixtralImageProcessor, "pillow": PixtralImageProcessorPil}
#: (longest_edge, patch_size, spatial_merge_size): Pixtral-12B, Mistral-Small-3.1.
CHECKPOINTS = [(1024, 16, 1), (1540, 14, 2)]


def photos():
    return [np.asarray(Image.open(p).convert("RGB")) for p in sorted(SAMPLES.glob("*.jpg"))]


def upstream(compat, images, longest_edge, patch, merge):
    """What PixtralProcessor asks of the image processor: patch_size = patch · merge."""
    proc = UPSTREAM[compat](size={"longest_edge": longest_edge}, patch_size=patch)
    # channels_last: upstream guesses the layout and misreads images with a side of 3 or less.
    return proc(
        images, return_tensors="np", patch_size=patch * merge, input_data_format="channels_last"
    )


def ours(compat, images, longest_edge, patch, merge, **kw):
    proc = pixtral.ImageProcessor(
        longest_edge=longest_edge, patch_size=patch, spatial_merge_size=merge, compat=compat, **kw
    )
    return proc(images)


def assert_same(got, want):
    assert got["pixel_values"].dtype == np.float32
    assert got["pixel_values"].shape == want["pixel_values"].shape
    assert np.array_equal(got["pixel_values"], want["pixel_values"])
    assert got["image_sizes"].dtype == np.int64
    assert np.array_equal(got["image_sizes"], np.asarray(want["image_sizes"]))


@pytest.mark.parametrize("compat", ["torchvision", "pillow"])
def test_defaults_equal_the_upstream_classes_on_photos(compat):
    imgs = photos()
    assert_same(
        pixtral.ImageProcessor(compat=compat)(imgs), UPSTREAM[compat]()(imgs, return_tensors="np")
    )


@pytest.mark.parametrize("compat", ["torchvision", "pillow"])
@pytest.mark.parametrize("longest_edge, patch, merge", [*CHECKPOINTS, (300, 14, 2), (200, 16, 1)])
def test_photos_exact(compat, longest_edge, patch, merge):
    imgs = photos()
    assert_same(
        ours(compat, imgs, longest_edge, patch, merge),
        upstream(compat, imgs, longest_edge, patch, merge),
    )


@settings(max_examples=30)
@given(
    sizes=st.lists(st.tuples(st.integers(1, 400), st.integers(1, 400)), min_size=1, max_size=3),
    longest_edge=st.integers(24, 320),
    patch=st.sampled_from([14, 16]),
    merge=st.sampled_from([1, 2]),
    compat=st.sampled_from(["torchvision", "pillow"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_sizes_exact(sizes, longest_edge, patch, merge, compat, seed):
    ratio = [max(h, w) / longest_edge for h, w in sizes]
    # Sides that scale to 0 fail upstream too (test_elongated_images_are_refused).
    if any(r > 1 and min(h, w) / r < 1 for r, (h, w) in zip(ratio, sizes)):
        return
    rng = np.random.default_rng(seed)
    imgs = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in sizes]
    assert_same(
        ours(compat, imgs, longest_edge, patch, merge),
        upstream(compat, imgs, longest_edge, patch, merge),
    )


@pytest.mark.parametrize("compat", ["torchvision", "pillow"])
def test_unpadded_batches(compat):
    imgs = photos()
    got = ours(compat, imgs, 300, 14, 2, do_pad=False)
    proc = UPSTREAM[compat](size={"longest_edge": 300}, patch_size=14, do_pad=False)
    want = proc(imgs, patch_size=28, input_data_format="channels_last")
    assert len(got["pixel_values"]) == len(want["pixel_values"]) == len(imgs)
    for g, w in zip(got["pixel_values"], want["pixel_values"]):
        assert g.shape == tuple(w.shape)
        assert np.array_equal(g, np.asarray(w))
    assert got["image_sizes"].tolist() == [list(s) for s in want["image_sizes"]]
    padded = ours(compat, imgs, 300, 14, 2)["pixel_values"]
    for g, p in zip(got["pixel_values"], padded):
        assert np.array_equal(p[:, : g.shape[1], : g.shape[2]], g)


def test_gray_and_pil_inputs():
    rng = np.random.default_rng(0)
    gray = Image.fromarray(rng.integers(0, 256, (70, 50), dtype=np.uint8), mode="L")
    pil = Image.fromarray(rng.integers(0, 256, (40, 90, 3), dtype=np.uint8))
    for compat in UPSTREAM:
        for img in (gray, pil):
            assert_same(
                pixtral.ImageProcessor(compat=compat)([img]),
                UPSTREAM[compat]()([img], return_tensors="np"),
            )


@settings(max_examples=300)
@given(
    h=st.integers(1, 10**7),
    w=st.integers(1, 10**7),
    longest_edge=st.integers(1, 4096),
    patch=st.integers(1, 40),
    merge=st.integers(1, 4),
)
def test_plan_is_the_upstream_size_rule(h, w, longest_edge, patch, merge):
    unit = patch * merge
    want = get_resize_output_image_size(
        sized(h, w),
        size=(longest_edge, longest_edge),
        patch_size=(unit, unit),
        input_data_format="channels_last",
    )
    kw = dict(longest_edge=longest_edge, patch_size=patch, spatial_merge_size=merge)
    if min(want) == 0 or max(want) > 1 << 16:
        with pytest.raises(DynresError):
            pixtral.plan(h, w, **kw)
        return
    p = pixtral.plan(h, w, **kw)
    assert p.resized == tuple(want)
    assert p.grid == (want[0] // unit, want[1] // unit)
    assert p.num_tokens == p.grid[0] * p.grid[1]
    assert p.wrapper_tokens == p.grid[0]
    ratio = max(h / longest_edge, w / longest_edge)
    assert p.scaled == ((math.floor(h / ratio), math.floor(w / ratio)) if ratio > 1 else (h, w))


def sized(h, w):
    """A zero-stride (h, w, 3) array: the shape without the memory."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), (h, w, 3), (0, 0, 0))


def tiny_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<unk>": 0, "hello": 1, "world": 2, "[IMG]": 10, "[IMG_BREAK]": 12, "[IMG_END]": 13}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        extra_special_tokens=["[IMG]", "[IMG_BREAK]", "[IMG_END]"],
    )


def processor(longest_edge, patch, merge):
    return PixtralProcessor(
        image_processor=PixtralImageProcessor(
            size={"longest_edge": longest_edge}, patch_size=patch
        ),
        tokenizer=tiny_tokenizer(),
        patch_size=patch,
        spatial_merge_size=merge,
    )


@pytest.mark.parametrize("longest_edge, patch, merge", [*CHECKPOINTS, (120, 14, 2)])
def test_layout_equals_pixtral_processor(longest_edge, patch, merge):
    proc = processor(longest_edge, patch, merge)
    rng = np.random.default_rng(1)
    imgs = [
        rng.integers(0, 256, s, dtype=np.uint8) for s in [(60, 200, 3), (500, 90, 3), (20, 20, 3)]
    ]
    text = "hello [IMG] world [IMG] [IMG] hello"
    want = proc(text=[text], images=imgs, return_tensors="np")
    ip = pixtral.ImageProcessor(
        longest_edge=longest_edge, patch_size=patch, spatial_merge_size=merge, compat="torchvision"
    )
    got = ip(imgs)
    assert np.array_equal(got["pixel_values"], want["pixel_values"])
    prompt = proc.tokenizer(text)["input_ids"]
    assert np.array_equal(ip.layout(prompt, got["image_sizes"]), want["input_ids"][0])
    plans = [ip.plan(*a.shape[:2]) for a in imgs]
    assert np.array_equal(ip.layout(prompt, plans), want["input_ids"][0])
    # The expansion's length is what num_tokens_many counts with wrappers.
    hs, ws = [a.shape[0] for a in imgs], [a.shape[1] for a in imgs]
    total = ip.num_tokens_many(hs, ws, wrappers=True).sum()
    assert len(want["input_ids"][0]) == len(prompt) - len(imgs) + total


@settings(max_examples=200)
@given(
    sizes=st.lists(st.tuples(st.integers(1, 5000), st.integers(1, 5000)), min_size=1, max_size=20),
    ckpt=st.sampled_from(CHECKPOINTS),
)
def test_num_tokens_many_equals_plan_and_the_processor_count(sizes, ckpt):
    longest_edge, patch, merge = ckpt
    proc = _PROCESSORS.setdefault(ckpt, processor(*ckpt))
    kw = dict(longest_edge=longest_edge, patch_size=patch, spatial_merge_size=merge)
    hs, ws = np.array(sizes).T
    got = pixtral.num_tokens_many(hs, ws, wrappers=True, errors="mask", **kw)
    img_tokens = pixtral.num_tokens_many(hs, ws, errors="mask", **kw)
    want = proc._get_num_multimodal_tokens(image_sizes=sizes)["num_image_tokens"]
    for (h, w), g, n, u in zip(sizes, got, img_tokens, want):
        try:
            p = pixtral.plan(h, w, **kw)
        except AspectRatioError:
            # A side scales to 0: the processor counts a resize that then fails.
            assert g == n == -1
            continue
        assert (g, n) == (p.num_tokens + p.wrapper_tokens, p.num_tokens)
        # Upstream counts on np.zeros((h, w, 3)) and guesses its layout: a height of 1 or 3
        # reads as channels-first (a 1x17 image is counted as 17x3).
        if h not in (1, 3):
            assert g == u


_PROCESSORS: dict = {}


def test_elongated_images_are_refused():
    img = np.zeros((2, 3000, 3), np.uint8)
    with pytest.raises(AspectRatioError, match="scales to 0x1024"):
        pixtral.ImageProcessor()(img)
    for cls in UPSTREAM.values():
        with pytest.raises(ValueError, match="height=0"):
            cls()(img, return_tensors="np", input_data_format="channels_last")
    with pytest.raises(AspectRatioError):
        pixtral.num_tokens_many([1], [3000])
    assert pixtral.num_tokens_many([1, 16], [3000, 16], errors="mask").tolist() == [-1, 1]


def test_layout_errors():
    with pytest.raises(GridMismatchError, match="holds 1 image tokens"):
        pixtral.layout([1, 10, 2], [(16, 16), (16, 16)])
    with pytest.raises(DynresError, match="rows and cols"):
        pixtral.layout([10], [(8, 16)])
    assert pixtral.layout([10], [(16, 32)]).tolist() == [10, 10, 13]
    assert pixtral.layout([5, 6], []).tolist() == [5, 6]
    with pytest.raises(GridMismatchError):
        pixtral.layout([7], [], image_token_id=7)


def test_dtypes_out_and_empty_batches():
    imgs = photos()[:2]
    ref = pixtral.ImageProcessor()(imgs)["pixel_values"]
    raw = pixtral.ImageProcessor(dtype="uint8")(imgs)["pixel_values"]
    assert raw.dtype == np.uint8 and raw.shape == ref.shape
    half = pixtral.ImageProcessor(dtype="float16")(imgs)["pixel_values"]
    assert np.array_equal(half, ref.astype(np.float16))
    buf = np.full(ref.shape, np.nan, np.float32)
    res = pixtral.ImageProcessor()(imgs, out=buf)
    assert res["pixel_values"].base is buf or np.shares_memory(res["pixel_values"], buf)
    assert np.array_equal(buf, ref)
    with pytest.raises(DynresError, match="shape"):
        pixtral.ImageProcessor()(imgs, out=buf[:1])
    with pytest.raises(TypeError, match="dtype"):
        pixtral.ImageProcessor()(imgs, out=buf.astype(np.float64))
    empty = pixtral.ImageProcessor()([])
    assert empty["pixel_values"].shape == (0, 3, 0, 0) and empty["image_sizes"].shape == (0, 2)


def test_argument_errors():
    with pytest.raises(TypeError):
        pixtral.ImageProcessor(16)  # keyword-only
    with pytest.raises(DynresError, match="patch_size"):
        pixtral.plan(10, 10, patch_size=0)
    with pytest.raises(DynresError, match="compat"):
        pixtral.ImageProcessor(compat="opencv")
    with pytest.raises(DynresError, match="resample"):
        pixtral.ImageProcessor(compat="torchvision", resample="lanczos")
    with pytest.raises(TypeError):
        pixtral.plan(10.5, 10)
    with pytest.raises(DynresError, match="differ in length"):
        pixtral.num_tokens_many([1, 2], [3], wrappers=True)
