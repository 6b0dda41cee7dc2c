"""Qwen2-VL pixel pipeline with compat="torchvision" against transformers' fast processors.

Oracles: `Qwen2VLImageProcessorFast` outputs (data/image_fast.npz, transformers 4.57.6 +
torchvision 0.29.1), the torchvision-based video processors (data/video_fast.npz), and the
fast processors' normalisation tables (data/normalize_lut.npz).
"""

import numpy as np
import pytest
from PIL import Image

from dynres_fast import DynresError, _lut, qwen2vl

from conftest import DATA, golden_cases

INPUTS = np.load(DATA / "inputs.npz")
FAST = np.load(DATA / "image_fast.npz")
SLOW = np.load(DATA / "image_slow.npz")
VIDEO = np.load(DATA / "video_fast.npz")
CASES = golden_cases("image_fast.json")


def _processor(spec, **kw):
    # The fast processor honours `size=` (h_qwen3); from_pretrained reads it too.
    return qwen2vl.ImageProcessor.from_pretrained(spec["init_kwargs"], compat="torchvision", **kw)


def _images(spec, as_pil):
    return [Image.fromarray(INPUTS[n]) if as_pil else INPUTS[n] for n in spec["inputs"]]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("as_pil", [False, True])
def test_golden_fast_processor(case, as_pil):
    spec = CASES[case]
    out = _processor(spec)(_images(spec, as_pil))
    want = FAST[f"{case}__pixel_values"]
    np.testing.assert_array_equal(out["image_grid_thw"], FAST[f"{case}__image_grid_thw"])
    assert out["pixel_values"].dtype == np.float32
    assert out["pixel_values"].shape == want.shape
    # Within 1e-6 is the contract; the float32 values are in fact identical.
    np.testing.assert_allclose(out["pixel_values"], want, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(out["pixel_values"], want)


def test_fast_golden_differs_from_slow():
    # The two processors really differ: the slow compat cannot pass the fast golden.
    spec = CASES["b"]
    slow = qwen2vl.ImageProcessor(**spec["init_kwargs"])(_images(spec, False))["pixel_values"]
    np.testing.assert_allclose(slow, SLOW["b__pixel_values"], atol=1e-6)
    assert np.abs(slow - FAST["b__pixel_values"]).max() > 0.05


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "uint8"])
def test_golden_fast_processor_dtypes(case, dtype):
    spec = CASES[case]
    got = _processor(spec, dtype=dtype)(_images(spec, False))["pixel_values"]
    want = FAST[f"{case}__pixel_values"]
    assert got.shape == want.shape
    if dtype == "float16":
        # == the fast processor's float32 output `.to(torch.float16)` (round to nearest even)
        assert got.dtype == np.float16
        np.testing.assert_array_equal(got, want.astype(np.float16))
    elif dtype == "bfloat16":
        ml_dtypes = pytest.importorskip("ml_dtypes")
        np.testing.assert_array_equal(
            got.view(np.uint16), want.astype(ml_dtypes.bfloat16).view(np.uint16)
        )
    else:
        # uint8 patches hold the resized bytes: the fast table maps them onto the golden.
        proc = _processor(spec)
        table = _lut.table(proc.image_mean, proc.image_std, "float32", "torchvision")
        chan = np.arange(got.shape[1]) // (got.shape[1] // 3)
        np.testing.assert_array_equal(table[chan[None, :], got], want)


def test_fast_normalize_tables_match_golden():
    luts = np.load(DATA / "normalize_lut.npz")
    clip = _lut.table(qwen2vl.OPENAI_CLIP_MEAN, qwen2vl.OPENAI_CLIP_STD, "float32", "torchvision")
    np.testing.assert_array_equal(clip.T, luts["fast_clip"])
    half = _lut.table((0.5,) * 3, (0.5,) * 3, "float32", "torchvision")
    np.testing.assert_array_equal(half[0], luts["fast_half"])
    # fused (v - 255 mean) / (255 std) is not the slow order: 537 of 768 entries move
    slow = _lut.table(qwen2vl.OPENAI_CLIP_MEAN, qwen2vl.OPENAI_CLIP_STD, "float32", "pillow")
    assert int((slow != clip).sum()) == 537
    assert np.abs(slow - clip).max() < 3e-7


def test_fast_normalize_constants():
    # transformers: float32 tensor(mean) * (1 / rescale_factor) -> float32 122.77094...
    v = np.float32(122.0)
    m = np.float32(0.48145466) * np.float32(255.0)
    s = np.float32(0.26862954) * np.float32(255.0)
    assert m == np.float32(122.77094)
    assert s == np.float32(68.500534)
    table = _lut.table(qwen2vl.OPENAI_CLIP_MEAN, qwen2vl.OPENAI_CLIP_STD, "float32", "torchvision")
    assert table[0, 122] == (v - m) / s


def test_videos_match_torchvision_video_processors():
    vid = INPUTS["vid_a_5x60x80"]
    got = qwen2vl.ImageProcessor.qwen2_5_vl(compat="torchvision").videos(vid)
    np.testing.assert_array_equal(got["video_grid_thw"], VIDEO["q2vp_vid_a__video_grid_thw"])
    np.testing.assert_array_equal(
        got["pixel_values_videos"], VIDEO["q2vp_vid_a__pixel_values_videos"]
    )
    # Qwen3VLVideoProcessor after its frame sampling (indices from video.json).
    frames = INPUTS["vid_b_40x64x96"][[0, 6, 11, 17, 22, 28, 33, 39]]
    q3 = qwen2vl.ImageProcessor.qwen3_vl(min_pixels=4096, max_pixels=25165824, compat="torchvision")
    got = q3.videos(frames)
    np.testing.assert_array_equal(got["video_grid_thw"], VIDEO["q3vp_vid_b__video_grid_thw"])
    np.testing.assert_array_equal(
        got["pixel_values_videos"], VIDEO["q3vp_vid_b__pixel_values_videos"]
    )


@pytest.mark.parametrize("resample", ["lanczos", "nearest", "box", "hamming", 1])
def test_torchvision_refuses_other_resample(resample):
    with pytest.raises(DynresError, match="bilinear and bicubic"):
        qwen2vl.ImageProcessor(resample=resample, compat="torchvision")


def test_bilinear_is_accepted_and_differs():
    img = INPUTS["img_b_smooth_480x640"]
    cubic = qwen2vl.ImageProcessor(compat="torchvision")(img)["pixel_values"]
    linear = qwen2vl.ImageProcessor(compat="torchvision", resample="bilinear")(img)
    assert linear["pixel_values"].shape == cubic.shape
    assert not np.array_equal(linear["pixel_values"], cubic)


def test_lut_errors_and_repr():
    with pytest.raises(ValueError, match="torchvision"):
        _lut.table((0.5,) * 3, (0.5,) * 3, "float32", "torch")
    with pytest.raises(DynresError, match="torchvision"):
        qwen2vl.ImageProcessor(compat="fast")
    assert "compat='torchvision'" in repr(qwen2vl.ImageProcessor(compat="torchvision"))
