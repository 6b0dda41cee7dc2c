"""The Pixtral drop-in classes against transformers 5.x itself, live: both backends, the Auto
classes on Pixtral-12B's ``llava`` and Mistral-Small-3.1's ``mistral3`` configs, and a
``PixtralProcessor`` built by ``AutoProcessor``."""

from __future__ import annotations

import copy
import os
import pickle

import numpy as np
import pytest

pytest.importorskip("torchvision")
transformers = pytest.importorskip("transformers")
if int(transformers.__version__.split(".")[0]) < 5:
    pytest.skip("the drop-in classes target transformers 5.x", allow_module_level=True)

import torch  # noqa: E402
from hf_model_dir import PIXTRAL_MODELS, PIXTRAL_TOKENS, write_pixtral_dir  # noqa: E402
from test_transformers_dropin import INPUTS, assert_same, photos  # noqa: E402
from transformers import AutoImageProcessor, AutoProcessor  # noqa: E402
from transformers.models.pixtral import image_processing_pil_pixtral as pixtral_pil  # noqa: E402
from transformers.models.pixtral import image_processing_pixtral as pixtral_tv  # noqa: E402

from dynres_fast import transformers as dt  # noqa: E402

PAIRS = {
    "torchvision": (dt.PixtralImageProcessor, pixtral_tv.PixtralImageProcessor),
    "pil": (dt.PixtralImageProcessorPil, pixtral_pil.PixtralImageProcessorPil),
}
#: Mistral-Small-3.1's image settings (PixtralProcessor passes patch 14 · merge 2 per call).
MISTRAL_SMALL = {"size": {"longest_edge": 1540}, "patch_size": {"height": 14, "width": 14}}


@pytest.fixture
def upstream_calls(monkeypatch):
    calls = []
    for cls in (pixtral_tv.PixtralImageProcessor, pixtral_pil.PixtralImageProcessorPil):
        original = cls._preprocess

        def spy(self, *a, _original=original, **k):
            calls.append(type(self).__name__)
            return _original(self, *a, **k)

        monkeypatch.setattr(cls, "_preprocess", spy)
    return calls


@pytest.mark.parametrize("backend", PAIRS)
@pytest.mark.parametrize(
    "settings, call",
    [
        ({}, {}),
        (MISTRAL_SMALL, {"patch_size": 28}),
        ({"size": {"longest_edge": 300}}, {}),
        ({"resample": 2, "image_mean": 0.5, "image_std": 0.5}, {}),
        ({}, {"do_pad": False}),
    ],
    ids=["pixtral-12b", "mistral-small", "small-edge", "bilinear-0.5", "no-pad"],
)
@pytest.mark.parametrize("inputs", list(INPUTS))
@pytest.mark.parametrize("return_tensors", [None, "pt", "np"])
def test_images_equal_upstream(backend, settings, call, inputs, return_tensors, upstream_calls):
    ours_cls, theirs_cls = PAIRS[backend]
    try:
        expected = theirs_cls(**settings)(INPUTS[inputs](), return_tensors=return_tensors, **call)
    except ValueError as theirs_error:  # unpadded images of different sizes do not stack
        with pytest.raises(ValueError) as ours_error:
            ours_cls(**settings)(INPUTS[inputs](), return_tensors=return_tensors, **call)
        assert str(ours_error.value) == str(theirs_error)
        assert call == {"do_pad": False} and return_tensors is not None
        return
    del upstream_calls[:]
    got = ours_cls(**settings)(INPUTS[inputs](), return_tensors=return_tensors, **call)
    assert_same(got, expected)
    assert upstream_calls == []


@pytest.mark.parametrize("backend", PAIRS)
@pytest.mark.parametrize(
    "settings",
    [
        {"size": {"height": 600, "width": 400}},
        {"patch_size": {"height": 16, "width": 32}},
        {"do_normalize": False},
        {"rescale_factor": 1 / 127.5},
    ],
    ids=["height-width", "non-square-patch", "no-normalize", "rescale-2"],
)
def test_unreproduced_calls_run_upstream(backend, settings, upstream_calls):
    ours_cls, theirs_cls = PAIRS[backend]
    expected = theirs_cls(**settings)(photos(), return_tensors="pt")
    del upstream_calls[:]
    assert_same(ours_cls(**settings)(photos(), return_tensors="pt"), expected)
    assert upstream_calls == [ours_cls.__name__]


@pytest.fixture(scope="module", params=PIXTRAL_MODELS)
def model_dir(request, tmp_path_factory):
    return write_pixtral_dir(tmp_path_factory.mktemp(request.param), request.param)


@pytest.fixture
def installed():
    dt.install()
    yield
    dt.uninstall()


def test_auto_image_processor_returns_the_drop_ins(model_dir, upstream_calls):
    upstream = AutoImageProcessor.from_pretrained(model_dir)
    upstream_pil = AutoImageProcessor.from_pretrained(model_dir, backend="pil")
    dt.install()
    try:
        ours = AutoImageProcessor.from_pretrained(model_dir)
        ours_pil = AutoImageProcessor.from_pretrained(model_dir, backend="pil")
    finally:
        dt.uninstall()
    assert type(ours) is dt.PixtralImageProcessor and isinstance(ours, type(upstream))
    assert type(ours_pil) is dt.PixtralImageProcessorPil
    assert type(AutoImageProcessor.from_pretrained(model_dir)) is type(upstream)
    for mine, theirs in ((ours, upstream), (ours_pil, upstream_pil)):
        assert mine.to_dict() == theirs.to_dict()
        expected = theirs(photos(), return_tensors="pt")
        del upstream_calls[:]
        assert_same(mine(photos(), return_tensors="pt"), expected)
        assert upstream_calls == []


def prompt(n_images):
    return "<s>[INST] describe this image " + "[IMG] and " * n_images + "please [/INST]"


def processor_call(processor):
    images = photos()
    return processor(
        text=[prompt(2), prompt(1), prompt(1)],
        images=[images[:2], images[2:3], images[3:]],
        return_tensors="pt",
        padding=True,
    )


def test_auto_processor_equals_upstream(model_dir, upstream_calls):
    upstream = AutoProcessor.from_pretrained(model_dir)
    expected = processor_call(upstream)
    dt.install()
    try:
        ours = AutoProcessor.from_pretrained(model_dir)
    finally:
        dt.uninstall()
    assert type(ours) is type(upstream)
    assert type(ours.image_processor) is dt.PixtralImageProcessor
    del upstream_calls[:]
    got = processor_call(ours)
    assert upstream_calls == []
    assert list(expected.keys()) == ["input_ids", "attention_mask", "pixel_values", "image_sizes"]
    for token in ("[IMG]", "[IMG_BREAK]", "[IMG_END]"):
        assert (expected["input_ids"] == PIXTRAL_TOKENS[token]).any(), token
    assert_same(got, expected)


def test_save_pretrained_round_trip(model_dir, tmp_path, installed):
    ours = AutoProcessor.from_pretrained(model_dir)
    ours.save_pretrained(tmp_path / "ours")
    reloaded = AutoProcessor.from_pretrained(tmp_path / "ours")
    assert type(reloaded.image_processor) is dt.PixtralImageProcessor
    assert_same(processor_call(reloaded), processor_call(ours))
    dt.uninstall()
    upstream = AutoProcessor.from_pretrained(model_dir)
    upstream.save_pretrained(tmp_path / "upstream")
    for name in sorted(os.listdir(tmp_path / "upstream")):
        ours_file, upstream_file = tmp_path / "ours" / name, tmp_path / "upstream" / name
        assert ours_file.read_bytes() == upstream_file.read_bytes(), name
    assert type(AutoProcessor.from_pretrained(tmp_path / "ours").image_processor) is type(
        upstream.image_processor
    )


@pytest.mark.parametrize("backend", PAIRS)
def test_processors_pickle(backend):
    proc = PAIRS[backend][0](**MISTRAL_SMALL)
    clone = pickle.loads(pickle.dumps(proc))
    assert type(clone) is type(proc) and clone.to_dict() == proc.to_dict()
    assert_same(clone(photos(), return_tensors="np"), proc(photos(), return_tensors="np"))
    assert copy.deepcopy(proc).to_dict() == proc.to_dict()
    values = proc(photos())["pixel_values"]
    assert isinstance(values, torch.Tensor if backend == "torchvision" else np.ndarray)
