"""install()/uninstall(), AutoProcessor parity on a local model directory, serving concerns
(pickle, fork, the vLLM entry point) and content keys. Upstream runs live beside ours."""

from __future__ import annotations

import copy
import importlib.metadata
import json
import multiprocessing
import os
import pickle
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torchvision")
transformers = pytest.importorskip("transformers")
if int(transformers.__version__.split(".")[0]) < 5:
    pytest.skip("the drop-in classes target transformers 5.x", allow_module_level=True)

import torch  # noqa: E402
from hf_model_dir import SPECIAL_TOKENS, write_model_dir  # noqa: E402
from PIL import Image  # noqa: E402
from test_transformers_dropin import assert_same, clip  # noqa: E402
from transformers import AutoImageProcessor, AutoProcessor, AutoVideoProcessor  # noqa: E402
from transformers.models.auto import image_processing_auto, video_processing_auto  # noqa: E402
from transformers.video_utils import VideoMetadata  # noqa: E402

import dynres_fast  # noqa: E402
from dynres_fast import transformers as dt  # noqa: E402
from dynres_fast.cache import content_key  # noqa: E402

SAMPLES = sorted((Path(dt.__file__).parent / "samples").glob("*.jpg"))
REGISTRIES = (
    image_processing_auto.IMAGE_PROCESSOR_MAPPING,
    video_processing_auto.VIDEO_PROCESSOR_MAPPING,
)


@pytest.fixture
def installed():
    dt.install()
    yield
    dt.uninstall()


@pytest.fixture(scope="module", params=["qwen2_5_vl", "qwen3_vl"])
def model_dir(request, tmp_path_factory):
    return write_model_dir(tmp_path_factory.mktemp(request.param), request.param)


def test_install_and_uninstall_restore_the_registry(model_dir):
    before = [dict(r._extra_content) for r in REGISTRIES]
    upstream = type(AutoImageProcessor.from_pretrained(model_dir))
    dt.install()
    dt.install()  # idempotent
    try:
        assert dt.installed()
        image = AutoImageProcessor.from_pretrained(model_dir)
        video = AutoVideoProcessor.from_pretrained(model_dir)
        pil = AutoImageProcessor.from_pretrained(model_dir, backend="pil")
        assert type(image) is dt.Qwen2VLImageProcessor and isinstance(image, upstream)
        assert type(pil) is dt.Qwen2VLImageProcessorPil
        assert type(video).__module__ == "dynres_fast.transformers"
    finally:
        dt.uninstall()
    assert not dt.installed()
    assert [dict(r._extra_content) for r in REGISTRIES] == before
    assert type(AutoImageProcessor.from_pretrained(model_dir)) is upstream
    video = AutoVideoProcessor.from_pretrained(model_dir)
    assert type(video).__module__.startswith("transformers.")


def photos():
    return [Image.open(p) for p in SAMPLES]


def prompt(model_type, n_images):
    vision = "<|vision_start|><|image_pad|><|vision_end|>" * n_images
    video = "<|vision_start|><|video_pad|><|vision_end|>"
    return f"<|im_start|>describe this image {vision} and video {video} please<|im_end|>"


def processor_call(processor, model_type):
    video = clip(12, 180, 320)
    kw = {}
    if model_type == "qwen3_vl":
        kw["video_metadata"] = [
            VideoMetadata(total_num_frames=12, fps=6.0),
            VideoMetadata(total_num_frames=8, fps=4.0),
        ]
    texts = [prompt(model_type, 2), prompt(model_type, 2)]
    return processor(
        text=texts,
        images=photos()[:2] + photos()[2:],
        videos=[video, clip(8, 90, 160, seed=3)],
        return_tensors="pt",
        return_mm_token_type_ids=True,
        padding=True,
        **kw,
    )


def test_auto_processor_equals_upstream(model_dir):
    model_type = json.loads((model_dir / "config.json").read_text())["model_type"]
    upstream = AutoProcessor.from_pretrained(model_dir)
    expected = processor_call(upstream, model_type)
    dt.install()
    try:
        ours = AutoProcessor.from_pretrained(model_dir)
    finally:
        dt.uninstall()
    assert type(ours) is type(upstream)
    assert type(ours.image_processor).__module__ == "dynres_fast.transformers"
    assert type(ours.video_processor).__module__ == "dynres_fast.transformers"
    got = processor_call(ours, model_type)
    for key in ("input_ids", "attention_mask", "mm_token_type_ids", "pixel_values"):
        assert key in expected
    assert "video_grid_thw" in expected
    assert (expected["input_ids"] == SPECIAL_TOKENS["<|image_pad|>"]).any()
    assert (expected["input_ids"] == SPECIAL_TOKENS["<|video_pad|>"]).any()
    assert_same(got, expected)


def test_save_pretrained_writes_upstream_configs(model_dir, tmp_path, installed):
    ours = AutoProcessor.from_pretrained(model_dir)
    ours.save_pretrained(tmp_path / "ours")
    dt.uninstall()
    upstream = AutoProcessor.from_pretrained(model_dir)
    upstream.save_pretrained(tmp_path / "upstream")
    for name in sorted(os.listdir(tmp_path / "upstream")):
        ours_file, upstream_file = tmp_path / "ours" / name, tmp_path / "upstream" / name
        assert ours_file.read_bytes() == upstream_file.read_bytes(), name
    reloaded = AutoProcessor.from_pretrained(tmp_path / "ours")
    assert type(reloaded.image_processor).__module__.startswith("transformers.")


def test_processors_pickle(model_dir, installed):
    image = AutoImageProcessor.from_pretrained(model_dir)
    video = AutoVideoProcessor.from_pretrained(model_dir)
    for proc, inputs in ((image, photos()), (video, [clip(4)])):
        clone = pickle.loads(pickle.dumps(proc))
        assert type(clone) is type(proc) and clone.to_dict() == proc.to_dict()
        assert_same(clone(inputs, return_tensors="np"), proc(inputs, return_tensors="np"))
    assert copy.deepcopy(image).to_dict() == image.to_dict()


def _child(proc, conn):
    out = proc(photos(), return_tensors="np")
    conn.send({k: np.asarray(v) for k, v in out.items()})
    conn.close()


@pytest.mark.skipif(sys.platform != "linux", reason="fork is the Linux default")
@pytest.mark.parametrize("threads", [1, 2])
def test_processor_used_in_a_forked_child(model_dir, installed, threads):
    proc = AutoImageProcessor.from_pretrained(model_dir)
    dynres_fast.set_num_threads(threads)
    try:
        expected = proc(photos(), return_tensors="np")  # the parent has run the kernels
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe()
        worker = ctx.Process(target=_child, args=(proc, child))
        worker.start()
        got = parent.recv()
        worker.join(60)
    finally:
        dynres_fast.set_num_threads(1)
    assert worker.exitcode == 0
    assert_same(got, {k: np.asarray(v) for k, v in expected.items()})


def test_vllm_entry_point_installs_when_opted_in(monkeypatch):
    (ep,) = [
        e
        for e in importlib.metadata.entry_points(group="vllm.general_plugins")
        if e.name == "dynres_fast"
    ]
    plugin = ep.load()
    assert plugin is dt.vllm_plugin
    monkeypatch.delenv(dt.VLLM_ENV, raising=False)
    plugin()
    assert not dt.installed()
    monkeypatch.setenv(dt.VLLM_ENV, "1")
    try:
        plugin()
        assert dt.installed()
    finally:
        dt.uninstall()


def test_content_key_separates_inputs_and_settings():
    proc = dt.Qwen2VLImageProcessor()
    raw = SAMPLES[0].read_bytes()
    pixels = np.asarray(Image.open(SAMPLES[0]))
    key = content_key(raw, proc)
    assert key == content_key(bytes(raw), dt.Qwen2VLImageProcessor())
    assert key != content_key(raw[:-1], proc)
    assert key != content_key(raw, dt.Qwen2VLImageProcessor(max_pixels=100352))
    assert key != content_key(raw, proc, size={"shortest_edge": 3136, "longest_edge": 100352})
    assert content_key(pixels, proc) == content_key(torch.from_numpy(pixels.copy()), proc)
    assert content_key(pixels, proc) != content_key(pixels.reshape(-1, pixels.shape[1] * 3), proc)
    assert content_key(pixels, proc) != content_key(Image.open(SAMPLES[0]), proc)
    with pytest.raises(TypeError, match="content_key"):
        content_key("photo.jpg", proc)


def _readme_block(marker, fence):
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    return readme.split(marker)[1].split(fence)[1].split("```")[0]


def test_readme_transformers_recipe(model_dir):
    """The README's recipe, run as written there with a local directory for the hub id."""
    block = _readme_block("<!-- hf-recipe -->", "```py\n")
    assert '"Qwen/Qwen2.5-VL-7B-Instruct"' in block
    block = block.replace('"Qwen/Qwen2.5-VL-7B-Instruct"', repr(str(model_dir)))
    namespace: dict = {}
    try:
        exec(compile(block, "README-recipe", "exec"), namespace)
    finally:
        dt.uninstall()
    assert isinstance(namespace["processor"], transformers.ProcessorMixin)


def test_readme_lru_example():
    """The README's cache recipe, run as written there."""
    block = _readme_block("<!-- lru-example -->", "```python\n")
    namespace: dict = {}
    exec(compile(block, "README-lru", "exec"), namespace)
    cached = namespace["cached"]
    first = cached(SAMPLES[0].read_bytes())
    again = cached(SAMPLES[0].read_bytes())
    assert again is first
    assert isinstance(namespace["cache"], OrderedDict)
