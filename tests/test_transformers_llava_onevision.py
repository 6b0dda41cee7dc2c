"""The LLaVA-OneVision drop-in classes against transformers 5.x itself, live."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torchvision")
transformers = pytest.importorskip("transformers")
if int(transformers.__version__.split(".")[0]) < 5:
    pytest.skip("the drop-in classes target transformers 5.x", allow_module_level=True)

from PIL import Image  # noqa: E402
from test_transformers_dropin import INPUTS, assert_same, clip, photos  # noqa: E402
from transformers import AutoImageProcessor, AutoVideoProcessor  # noqa: E402
from transformers.models.llava_onevision import (  # noqa: E402
    image_processing_llava_onevision as ov_tv,
)
from transformers.models.llava_onevision import (  # noqa: E402
    image_processing_pil_llava_onevision as ov_pil,
)
from transformers.models.llava_onevision import (  # noqa: E402
    video_processing_llava_onevision as ov_video,
)

from dynres_fast import transformers as dt  # noqa: E402

PAIRS = {
    "torchvision": (dt.LlavaOnevisionImageProcessor, ov_tv.LlavaOnevisionImageProcessor),
    "pil": (dt.LlavaOnevisionImageProcessorPil, ov_pil.LlavaOnevisionImageProcessorPil),
}
#: The LLaVA-OneVision hub checkpoints' settings (SigLIP normalisation).
HUB = {"image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}
SPIES = (
    ov_tv.LlavaOnevisionImageProcessor,
    ov_pil.LlavaOnevisionImageProcessorPil,
    ov_video.LlavaOnevisionVideoProcessor,
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


def panorama():
    return photos()[3].resize((1600, 300), Image.BICUBIC)


BATCHES = {
    **{k: INPUTS[k] for k in ("photos", "rgba_pil", "chw_tensor", "gray_pil")},
    "multi-image prompts": lambda: [photos()[:2], [photos()[2]], [photos()[3], panorama()]],
    "panorama": lambda: [panorama(), photos()[0]],
}


SETTINGS = {
    "hub": HUB,
    "class-default": {},
    "pinpoints": {**HUB, "image_grid_pinpoints": [[384, 768], [768, 384]]},
    # crops of 336 over pinpoints that are not multiples of it: short edge crops, stretched
    "336": {
        **HUB,
        "size": {"height": 336, "width": 336},
        "image_grid_pinpoints": [[336, 500], [500, 336], [700, 700]],
    },
}
# Unpadded crop stacks of different lengths make one tensor nowhere, upstream included.
CALLS = [(s, rt) for s in SETTINGS for rt in (None, "pt", "np")] + [("no-pad", None)]
SETTINGS["no-pad"] = {**HUB, "do_pad": False}


@pytest.mark.parametrize("backend", PAIRS)
@pytest.mark.parametrize("setting, return_tensors", CALLS)
@pytest.mark.parametrize("batch", BATCHES)
def test_images_equal_upstream(backend, setting, return_tensors, batch, upstream_calls):
    settings = SETTINGS[setting]
    ours_cls, theirs_cls = PAIRS[backend]
    expected = theirs_cls(**settings)(BATCHES[batch](), return_tensors=return_tensors)
    del upstream_calls[:]
    got = ours_cls(**settings)(BATCHES[batch](), return_tensors=return_tensors)
    assert_same(got, expected)
    assert upstream_calls == []


@pytest.mark.parametrize("backend", PAIRS)
@pytest.mark.parametrize(
    "settings, call",
    [
        ({**HUB, "size": {"height": 336, "width": 336}}, {"crop_size": 384}),
        ({**HUB, "size": {"height": 384, "width": 336}}, {}),
        (HUB, {"image_mean": [0.4, 0.4, 0.4]}),  # pads with the instance mean upstream
        (HUB, {"do_rescale": False}),
    ],
    ids=["crop-not-size", "non-square", "call-mean", "no-rescale"],
)
def test_unreproduced_calls_run_upstream(backend, settings, call, upstream_calls):
    ours_cls, theirs_cls = PAIRS[backend]
    batch = [photos()[:2], [photos()[2]]]
    expected = theirs_cls(**settings)(batch, return_tensors="pt", **call)
    del upstream_calls[:]
    assert_same(ours_cls(**settings)(batch, return_tensors="pt", **call), expected)
    assert upstream_calls == [ours_cls.__name__]


@pytest.mark.parametrize("return_tensors", [None, "pt"])
def test_videos_equal_upstream(return_tensors, upstream_calls):
    videos = [clip(6), clip(6, 120, 90, seed=4)]
    expected = ov_video.LlavaOnevisionVideoProcessor(**HUB)(videos, return_tensors=return_tensors)
    del upstream_calls[:]
    got = dt.LlavaOnevisionVideoProcessor(**HUB)(videos, return_tensors=return_tensors)
    assert_same(got, expected)
    assert upstream_calls == []


def test_auto_classes_return_the_drop_ins(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llava_onevision"}))
    config = {"image_processor_type": "LlavaOnevisionImageProcessor", **HUB}
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(config))
    video_config = {"video_processor_type": "LlavaOnevisionVideoProcessor", **HUB}
    (tmp_path / "video_preprocessor_config.json").write_text(json.dumps(video_config))
    upstream = AutoImageProcessor.from_pretrained(tmp_path)
    dt.install()
    try:
        ours = AutoImageProcessor.from_pretrained(tmp_path)
        video = AutoVideoProcessor.from_pretrained(tmp_path)
    finally:
        dt.uninstall()
    assert type(ours) is dt.LlavaOnevisionImageProcessor
    assert type(video) is dt.LlavaOnevisionVideoProcessor
    assert ours.to_dict() == upstream.to_dict()
    got, expected = ours(photos(), return_tensors="np"), upstream(photos(), return_tensors="np")
    assert_same(got, expected)
    assert isinstance(got["pixel_values"], np.ndarray)
