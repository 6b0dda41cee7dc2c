"""LLaVA-OneVision with crop sizes other than 384 and pinpoints that are not multiples of
the crop, against transformers 5.x's two backends live (Hypothesis): upstream cuts the
padded canvas into crops with short ones at the right and bottom edges and stretches those
to full crops."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynres_fast import DynresError
from dynres_fast import llava_onevision as ov

pytest.importorskip("torchvision")
transformers = pytest.importorskip("transformers")
if int(transformers.__version__.split(".")[0]) < 5:
    pytest.skip("the backends compared here are transformers 5.x's", allow_module_level=True)

from transformers.models.llava_onevision import (  # noqa: E402
    image_processing_llava_onevision as ov_tv,
)
from transformers.models.llava_onevision import (  # noqa: E402
    image_processing_pil_llava_onevision as ov_pil,
)

BACKENDS = {
    "torchvision": ov_tv.LlavaOnevisionImageProcessor,
    "pillow": ov_pil.LlavaOnevisionImageProcessorPil,
}


@st.composite
def cases(draw):
    crop = draw(st.integers(14, 160))
    side = st.integers(crop, 3 * crop + crop // 2)
    pinpoints = draw(st.lists(st.tuples(side, side), min_size=1, max_size=4))
    height, width = draw(st.integers(1, 400)), draw(st.integers(1, 400))
    seed = draw(st.integers(0, 2**32 - 1))
    image = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return crop, [list(p) for p in pinpoints], image


@pytest.mark.parametrize("compat", BACKENDS)
@settings(max_examples=150, deadline=None)
@given(case=cases(), resample=st.sampled_from([2, 3]))
def test_crops_equal_upstream(compat, case, resample):
    crop, pinpoints, image = case
    upstream = BACKENDS[compat](
        size={"height": crop, "width": crop}, image_grid_pinpoints=pinpoints, resample=resample
    )
    expected = upstream(image, return_tensors="np", input_data_format="channels_last")
    expected = expected["pixel_values"]
    proc = ov.ImageProcessor(
        crop_size=crop, image_grid_pinpoints=pinpoints, resample=resample, compat=compat
    )
    got = proc(image)
    assert got["pixel_values"].shape == expected.shape
    np.testing.assert_array_equal(got["pixel_values"], expected)
    plan = proc.plan(*image.shape[:2])
    assert plan.num_crops == expected.shape[1]
    assert plan.crop_size == crop


def test_multi_image_crops_equal_upstream():
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (90, 150, 3), dtype=np.uint8), np.zeros((40, 20, 3), np.uint8)]
    for compat, cls in BACKENDS.items():
        upstream = cls(size={"height": 100, "width": 100})
        expected = upstream([images], return_tensors="np")["pixel_values"]
        got = ov.ImageProcessor(crop_size=100, compat=compat)([images])["pixel_values"]
        np.testing.assert_array_equal(got, expected)


def test_token_counts_follow_the_crop():
    """``_get_number_of_features`` of a bare processor (it reads only the pinpoints,
    ``num_image_tokens`` and ``vision_aspect_ratio``), crops of 336: 24² features each."""
    import types

    from transformers.models.llava_onevision.processing_llava_onevision import (
        LlavaOnevisionProcessor,
    )

    crop, pinpoints = 336, [[336, 672], [672, 336], [672, 700], [1000, 1000]]
    proc = object.__new__(LlavaOnevisionProcessor)
    proc.__dict__.update(
        image_processor=types.SimpleNamespace(image_grid_pinpoints=pinpoints),
        num_image_tokens=(crop // 14) ** 2,
        vision_aspect_ratio="anyres_max_9",
    )
    ours = ov.ImageProcessor(crop_size=crop, image_grid_pinpoints=pinpoints)
    for h, w in [(100, 100), (480, 640), (1080, 1920), (30, 2000), (999, 998)]:
        expected = proc._get_number_of_features(h, w, crop, crop)
        assert ours.plan(h, w).num_tokens == expected, (h, w)


def test_bad_crop_sizes_name_the_argument():
    for bad in (0, 13, 10**9):
        with pytest.raises(DynresError, match="crop_size"):
            ov.ImageProcessor(crop_size=bad)
    with pytest.raises(DynresError, match="pinpoints"):
        ov.ImageProcessor(crop_size=400)  # the default pinpoints start at 384
    with pytest.raises(TypeError):
        ov.ImageProcessor(crop_size="384")
