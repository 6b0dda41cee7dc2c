"""Qwen2-VL pixel pipeline against the golden files (transformers 4.57.6's slow processor)
and, live, transformers 5.x's Pillow backend (``Qwen2VLImageProcessorPil``)."""

import hashlib
import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from dynres_fast import AspectRatioError, BudgetError, DynresError, InvalidImageError, qwen2vl

from conftest import DATA, golden_cases

transformers = pytest.importorskip("transformers")
INPUTS = np.load(DATA / "inputs.npz")
SLOW = np.load(DATA / "image_slow.npz")
SLOW4 = np.load(DATA / "transformers4_slow.npz")
CASES = golden_cases("image_slow.json")


def _oracle(images, **kw):
    proc = transformers.Qwen2VLImageProcessorPil(**kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # tiny images such as (1, 1, 3) are otherwise taken for channels-first
        return proc(images, return_tensors="np", input_data_format="channels_last")


def _pil(name):
    a = INPUTS[name]
    return Image.fromarray(a)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("as_pil", [False, True])
def test_golden_slow_processor(case, as_pil):
    spec = CASES[case]
    images = [_pil(n) if as_pil else INPUTS[n] for n in spec["inputs"]]
    out = qwen2vl.ImageProcessor(**spec["init_kwargs"])(images)
    want = SLOW[f"{case}__pixel_values"]
    np.testing.assert_array_equal(out["image_grid_thw"], SLOW[f"{case}__image_grid_thw"])
    assert out["pixel_values"].dtype == np.float32
    assert out["pixel_values"].shape == want.shape
    np.testing.assert_allclose(out["pixel_values"], want, rtol=0, atol=1e-6)


def test_normalize_tables_match_golden():
    from dynres_fast import _lut

    luts = np.load(DATA / "normalize_lut.npz")
    clip = _lut.table(qwen2vl.OPENAI_CLIP_MEAN, qwen2vl.OPENAI_CLIP_STD, "float32")
    np.testing.assert_array_equal(clip.T, luts["slow_clip"])
    half = _lut.table((0.5,) * 3, (0.5,) * 3, "float32")
    np.testing.assert_array_equal(half[0], luts["slow_half"])


images = st.tuples(
    st.integers(1, 300), st.integers(1, 300), st.sampled_from([1, 3, 4]), st.integers(0, 2**32 - 1)
)
budgets = st.sampled_from([(3136, 12845056), (3136, 1003520), (3136, 50176), (200704, 1003520)])


def _random_image(h, w, c, seed):
    rng = np.random.default_rng(seed)
    if seed % 2:  # smooth content exercises the filter, noise exercises clamping
        y, x = np.mgrid[0:h, 0:w]
        base = (np.sin(x / 7.0 + seed % 5) + np.cos(y / 11.0)) * 60 + 128
        img = np.stack([base + 20 * k for k in range(c)], -1)
        img = np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
    else:
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
    return img[..., 0] if c == 1 else img


@settings(max_examples=60)
@given(st.lists(images, min_size=1, max_size=3), budgets)
def test_matches_transformers(specs, budget):
    lo, hi = budget
    arrays = [_random_image(*s) for s in specs]
    if any(max(a.shape[:2]) / min(a.shape[:2]) > 200 for a in arrays):
        with pytest.raises(AspectRatioError):
            qwen2vl.ImageProcessor(min_pixels=lo, max_pixels=hi)(arrays)
        return
    # transformers converts gray through PIL; RGBA with alpha dropped (4.57's rule, the one
    # these processors follow; 5.x's white compositing is tested in test_alpha.py)
    pil = [Image.fromarray(a[..., :3] if a.ndim == 3 else a) for a in arrays]
    want = _oracle(pil, min_pixels=lo, max_pixels=hi)
    got = qwen2vl.ImageProcessor(min_pixels=lo, max_pixels=hi)(arrays)
    np.testing.assert_array_equal(got["image_grid_thw"], want["image_grid_thw"])
    np.testing.assert_allclose(got["pixel_values"], want["pixel_values"], rtol=0, atol=1e-6)


def test_videos_match_slow_processor():
    """transformers 4.57.6's slow video path (Pillow per frame; 5.x has only the torchvision
    video processor, which compat="torchvision" follows): the golden's full output."""
    vid = INPUTS["vid_a_5x60x80"]
    got = qwen2vl.ImageProcessor(min_pixels=3136, max_pixels=12845056).videos(vid)
    np.testing.assert_array_equal(got["video_grid_thw"], [[3, 4, 6]])
    np.testing.assert_array_equal(got["video_grid_thw"], SLOW4["qwen2vl_video__video_grid_thw"])
    assert got["pixel_values_videos"].shape == (72, 1176)
    want = SLOW4["qwen2vl_video__pixel_values_videos__head"]
    np.testing.assert_allclose(got["pixel_values_videos"].reshape(-1)[: want.size], want, atol=1e-6)
    assert tuple(SLOW4["qwen2vl_video__pixel_values_videos__shape"]) == (72, 1176)
    digest = hashlib.sha256(got["pixel_values_videos"].tobytes()).hexdigest()
    assert digest == str(SLOW4["qwen2vl_video__pixel_values_videos__sha256"])
    # the last (odd) frame is repeated into the padding slot
    frames = qwen2vl.ImageProcessor(min_pixels=3136, max_pixels=12845056).videos([list(vid)])
    np.testing.assert_array_equal(frames["pixel_values_videos"], got["pixel_values_videos"])


def test_two_videos_and_frame_lists():
    vid = INPUTS["vid_b_40x64x96"][:4]
    proc = qwen2vl.ImageProcessor.qwen2_5_vl()
    out = proc.videos([vid, [Image.fromarray(f) for f in vid[:3]]])
    assert out["video_grid_thw"].tolist() == [[2, 4, 6], [2, 4, 6]]
    one = proc.videos(vid)["pixel_values_videos"]
    np.testing.assert_array_equal(out["pixel_values_videos"][: len(one)], one)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "uint8"])
def test_dtypes(dtype):
    img = INPUTS["img_b_smooth_480x640"]
    f32 = qwen2vl.ImageProcessor.qwen2_5_vl()(img)["pixel_values"]
    got = qwen2vl.ImageProcessor.qwen2_5_vl(dtype=dtype)(img)["pixel_values"]
    assert got.shape == f32.shape
    if dtype == "float16":
        assert got.dtype == np.float16
        np.testing.assert_array_equal(got, f32.astype(np.float16))
    elif dtype == "bfloat16":
        ml_dtypes = pytest.importorskip("ml_dtypes")
        assert got.dtype == ml_dtypes.bfloat16
        np.testing.assert_array_equal(
            got.view(np.uint16), f32.astype(ml_dtypes.bfloat16).view(np.uint16)
        )
    else:
        assert got.dtype == np.uint8
        from dynres_fast import _lut

        table = _lut.table(qwen2vl.OPENAI_CLIP_MEAN, qwen2vl.OPENAI_CLIP_STD, "float32")
        chan = np.arange(got.shape[1]) // (got.shape[1] // 3)
        np.testing.assert_array_equal(table[chan[None, :], got], f32)


def test_out_buffer_is_filled_and_checked():
    img = INPUTS["img_h_smooth_100x150"]
    proc = qwen2vl.ImageProcessor.qwen2_5_vl()
    want = proc(img)["pixel_values"]
    out = np.full(want.shape, np.nan, np.float32)
    got = proc(img, out=out)
    assert got["pixel_values"] is out or np.shares_memory(got["pixel_values"], out)
    np.testing.assert_array_equal(out, want)
    with pytest.raises(DynresError, match="shape"):
        proc(img, out=np.empty((3, 3), np.float32))
    with pytest.raises(TypeError, match="dtype"):
        proc(img, out=np.empty(want.shape, np.float64))
    with pytest.raises(DynresError, match="contiguous"):
        proc(img, out=np.empty((want.shape[0], want.shape[1] * 2), np.float32)[:, ::2])
    half = qwen2vl.ImageProcessor.qwen2_5_vl(dtype="float16")
    out16 = np.empty(want.shape, np.float16)
    half(img, out=out16)
    np.testing.assert_array_equal(out16, want.astype(np.float16))


def test_non_contiguous_input_gives_the_same_pixels():
    img = INPUTS["img_b_smooth_480x640"]
    wide = np.zeros((480, 1280, 3), np.uint8)
    wide[:, ::2] = img
    proc = qwen2vl.ImageProcessor()
    np.testing.assert_array_equal(proc(wide[:, ::2])["pixel_values"], proc(img)["pixel_values"])


def test_presets_and_config(tmp_path):
    q3 = qwen2vl.ImageProcessor.qwen3_vl()
    assert (q3.patch_size, q3.min_pixels, q3.max_pixels) == (16, 65536, 16777216)
    img = INPUTS["img_h_smooth_100x150"]
    np.testing.assert_allclose(q3(img)["pixel_values"], SLOW["h_qwen3__pixel_values"], atol=1e-6)
    cfg = {
        "min_pixels": 3136,
        "max_pixels": 12845056,
        "patch_size": 14,
        "merge_size": 2,
        "temporal_patch_size": 2,
        "image_mean": list(qwen2vl.OPENAI_CLIP_MEAN),
        "image_std": list(qwen2vl.OPENAI_CLIP_STD),
        "resample": 3,
        "image_processor_type": "Qwen2VLImageProcessor",
    }
    path = tmp_path / "preprocessor_config.json"
    path.write_text(json.dumps(cfg))
    p = qwen2vl.ImageProcessor.from_pretrained(path)
    assert (p.min_pixels, p.max_pixels, p.resample) == (3136, 12845056, "bicubic")
    q3cfg = {
        "size": {"shortest_edge": 65536, "longest_edge": 16777216},
        "patch_size": 16,
        "image_mean": [0.5] * 3,
        "image_std": [0.5] * 3,
    }
    p3 = qwen2vl.ImageProcessor.from_pretrained(q3cfg)
    assert (p3.min_pixels, p3.max_pixels, p3.patch_size) == (65536, 16777216, 16)


@pytest.mark.parametrize(
    "bad,exc,msg",
    [
        (np.zeros((10, 10, 3), np.float32), TypeError, "uint8"),
        (np.zeros((10, 10, 3), np.int16), TypeError, "uint8"),
        (np.zeros((10, 10, 2), np.uint8), InvalidImageError, r"image 0.*\(10, 10, 2\)"),
        (np.zeros((0, 10, 3), np.uint8), InvalidImageError, "empty"),
        (np.zeros((2, 3, 4, 5, 3), np.uint8), InvalidImageError, "expected shape"),
        (np.zeros((1, 300, 3), np.uint8), AspectRatioError, r"image 0.*200"),
        ("a string", TypeError, "str"),
    ],
)
def test_bad_images(bad, exc, msg):
    with pytest.raises(exc, match=msg):
        qwen2vl.ImageProcessor()(bad)


def test_budget_beyond_the_kernel_limit_is_refused_before_allocating():
    proc = qwen2vl.ImageProcessor(min_pixels=1e12, max_pixels=1e13)
    with pytest.raises(BudgetError, match=r"image 0 .*65536"):
        proc(np.zeros((100, 100, 3), np.uint8))


def test_bad_image_in_a_batch_is_named():
    good = np.zeros((30, 30, 3), np.uint8)
    with pytest.raises(InvalidImageError, match="image 1"):
        qwen2vl.ImageProcessor()([good, np.zeros((30, 30, 5), np.uint8)])


@pytest.mark.parametrize(
    "kw,exc",
    [
        ({"min_pixels": 10, "max_pixels": 5}, BudgetError),
        ({"dtype": "float64"}, DynresError),
        ({"resample": "cubic"}, DynresError),
        ({"resample": 9}, DynresError),
        ({"compat": "opencv"}, DynresError),
        ({"image_mean": (0.5, 0.5)}, DynresError),
        ({"image_std": (0, 1, 1)}, DynresError),
        ({"patch_size": 0}, DynresError),
        ({"patch_size": 1.5}, TypeError),
    ],
)
def test_bad_parameters(kw, exc):
    with pytest.raises(exc):
        qwen2vl.ImageProcessor(**kw)


def test_bad_videos():
    proc = qwen2vl.ImageProcessor()
    with pytest.raises(InvalidImageError, match="one shape"):
        proc.videos([[np.zeros((30, 30, 3), np.uint8), np.zeros((28, 30, 3), np.uint8)]])
    with pytest.raises(InvalidImageError, match="at least one frame"):
        proc.videos([[]])
    with pytest.raises(TypeError, match="uint8"):
        proc.videos(np.zeros((2, 30, 30, 3), np.float32))
    with pytest.raises(TypeError):
        proc.videos(42)
