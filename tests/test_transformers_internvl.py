"""The InternVL (GotOcr2) drop-in classes against transformers 5.x itself, live."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torchvision")
transformers = pytest.importorskip("transformers")
if int(transformers.__version__.split(".")[0]) < 5:
    pytest.skip("the drop-in classes target transformers 5.x", allow_module_level=True)

import torch  # noqa: E402
from test_transformers_dropin import INPUTS, assert_same, clip, photos  # noqa: E402
from transformers import AutoImageProcessor, AutoVideoProcessor  # noqa: E402
from transformers.models.got_ocr2 import image_processing_got_ocr2 as got_tv  # noqa: E402
from transformers.models.got_ocr2 import image_processing_pil_got_ocr2 as got_pil  # noqa: E402
from transformers.models.internvl import video_processing_internvl as internvl_video  # noqa: E402

from dynres_fast import transformers as dt  # noqa: E402

PAIRS = {
    "torchvision": (dt.GotOcr2ImageProcessor, got_tv.GotOcr2ImageProcessor),
    "pil": (dt.GotOcr2ImageProcessorPil, got_pil.GotOcr2ImageProcessorPil),
}
#: The InternVL hub checkpoints' image settings.
INTERNVL = {
    "crop_to_patches": True,
    "min_patches": 1,
    "max_patches": 12,
    "size": {"height": 448, "width": 448},
    "image_mean": [0.485, 0.456, 0.406],
    "image_std": [0.229, 0.224, 0.225],
}
SPIES = (
    got_tv.GotOcr2ImageProcessor,
    got_pil.GotOcr2ImageProcessorPil,
    internvl_video.InternVLVideoProcessor,
)


@pytest.fixture
def upstream_calls(monkeypatch):
    calls = []
    for cls in SPIES:
        original = cls._preprocess

        def spy(self, *a, _original=original, **k):
            calls.append(type(self).__name__)
            return _original(self, *a, **k)

        monkeypatch.setattr(cls, "_preprocess", spy)
    return calls


@pytest.mark.parametrize("backend", PAIRS)
@pytest.mark.parametrize(
    "settings",
    [
        INTERNVL,
        {**INTERNVL, "max_patches": 6, "min_patches": 2},
        {**INTERNVL, "crop_to_patches": False},
        {**INTERNVL, "size": {"height": 224, "width": 224}, "resample": 2},
        {},  # the class default: 384-pixel tiles, no cropping
    ],
    ids=["hub", "2..6", "no-crop", "224-bilinear", "class-default"],
)
@pytest.mark.parametrize("inputs", ["photos", "nested", "rgba_pil", "chw_tensor", "gray_pil"])
@pytest.mark.parametrize("return_tensors", [None, "pt", "np"])
def test_images_equal_upstream(backend, settings, inputs, return_tensors, upstream_calls):
    ours_cls, theirs_cls = PAIRS[backend]
    expected = theirs_cls(**settings)(INPUTS[inputs](), return_tensors=return_tensors)
    del upstream_calls[:]
    got = ours_cls(**settings)(INPUTS[inputs](), return_tensors=return_tensors)
    assert_same(got, expected)
    assert upstream_calls == []


@pytest.mark.parametrize("backend", PAIRS)
@pytest.mark.parametrize(
    "settings",
    [
        {**INTERNVL, "size": {"height": 448, "width": 336}},
        {**INTERNVL, "do_normalize": False},
    ],
    ids=["non-square", "no-normalize"],
)
def test_unreproduced_calls_run_upstream(backend, settings, upstream_calls):
    ours_cls, theirs_cls = PAIRS[backend]
    expected = theirs_cls(**settings)(photos(), return_tensors="pt")
    del upstream_calls[:]
    assert_same(ours_cls(**settings)(photos(), return_tensors="pt"), expected)
    assert upstream_calls == [ours_cls.__name__]


@pytest.mark.parametrize("return_tensors", [None, "pt"])
def test_videos_equal_upstream(return_tensors, upstream_calls):
    kw = {"size": {"height": 448, "width": 448}, "return_tensors": return_tensors}
    videos = [clip(5), clip(5, 120, 90, seed=2)]
    expected = internvl_video.InternVLVideoProcessor(**kw)(videos)
    del upstream_calls[:]
    assert_same(dt.InternVLVideoProcessor(**kw)(videos), expected)
    assert upstream_calls == []


def test_auto_classes_return_the_drop_ins(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "internvl"}))
    config = {"image_processor_type": "GotOcr2ImageProcessor", **INTERNVL}
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(config))
    (tmp_path / "video_preprocessor_config.json").write_text(
        json.dumps({"video_processor_type": "InternVLVideoProcessor", "size": INTERNVL["size"]})
    )
    upstream = AutoImageProcessor.from_pretrained(tmp_path)
    dt.install()
    try:
        ours = AutoImageProcessor.from_pretrained(tmp_path)
        video = AutoVideoProcessor.from_pretrained(tmp_path)
    finally:
        dt.uninstall()
    assert type(ours) is dt.GotOcr2ImageProcessor and type(video) is dt.InternVLVideoProcessor
    assert ours.to_dict() == upstream.to_dict()
    assert_same(ours(photos(), return_tensors="pt"), upstream(photos(), return_tensors="pt"))
    assert isinstance(ours(photos())["pixel_values"][0], torch.Tensor)
