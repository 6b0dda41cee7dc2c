"""auto.from_pretrained on the shipped checkpoint configs (tests/data/models, written from
the published files, trimmed to the keys that matter): the right family, the checkpoint's
settings, and transformers 5.x's AutoImageProcessor outputs where it supports the model."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from dynres_fast import DynresError, auto, internvl, llava_onevision, oryx, pixtral, qwen2vl
from dynres_fast.errors import GridMismatchError

from conftest import DATA

MODELS = DATA / "models"
SAMPLES = MODELS.parents[2] / "python" / "dynres_fast" / "samples"
#: fixture → (family module, transformers 5.x loads it with AutoImageProcessor)
FIXTURES = {
    "Qwen2-VL-7B-Instruct": (qwen2vl, True),
    "Qwen2.5-VL-7B-Instruct": (qwen2vl, True),
    "Qwen3-VL-8B-Instruct": (qwen2vl, True),
    "InternVL2_5-8B": (internvl, False),  # OpenGVLab layout: remote code, tiling in config.json
    "InternVL3-8B": (internvl, False),
    "InternVL3-8B-hf": (internvl, True),
    "llava-onevision-qwen2-7b-ov-hf": (llava_onevision, True),
    "Oryx-7B": (oryx, False),
    "pixtral-12b": (pixtral, True),
    "Mistral-Small-3.1-24B-Instruct-2503": (pixtral, True),
}


def photos(n=2):
    return [np.asarray(Image.open(p).convert("RGB")) for p in sorted(SAMPLES.glob("*.jpg"))[:n]]


def test_every_model_family_has_a_fixture():
    assert {m.__name__.rsplit(".", 1)[1] for m, _ in FIXTURES.values()} == set(auto.FAMILIES)
    assert sorted(p.name for p in MODELS.iterdir()) == sorted(FIXTURES)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_fixture_loads(name):
    family, _ = FIXTURES[name]
    assert auto.detect(MODELS / name) == family.__name__.rsplit(".", 1)[1]
    proc = auto.from_pretrained(MODELS / name)
    assert isinstance(proc, family.ImageProcessor)
    out = proc(photos(1))
    assert out["pixel_values"] is not None
    assert auto.from_pretrained(MODELS / name, dtype="uint8").dtype == "uint8"


def upstream_call_kwargs(proc):
    """What the model's AutoProcessor adds when it calls the image processor: Pixtral's
    processor hands it patch_size · spatial_merge_size."""
    if isinstance(proc, pixtral.ImageProcessor):
        return {"patch_size": proc.patch_size * proc.spatial_merge_size}
    return {}


@pytest.mark.parametrize("name", sorted(n for n, (_, hf) in FIXTURES.items() if hf))
def test_equals_auto_image_processor(name):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torchvision")
    want_proc = transformers.AutoImageProcessor.from_pretrained(MODELS / name)
    ours = auto.from_pretrained(MODELS / name)
    imgs = photos()
    want = want_proc(imgs, return_tensors="np", **upstream_call_kwargs(ours))
    got = ours(imgs)
    shared = sorted(set(got) & set(want))
    assert "pixel_values" in shared and len(shared) >= 2, shared
    for key in shared:
        g, w = got[key], np.asarray(want[key])
        assert g.shape == w.shape, key
        assert np.array_equal(g, w), key


def test_pillow_override_equals_the_pil_class():
    transformers = pytest.importorskip("transformers")
    imgs = photos()
    for name in ("pixtral-12b", "Mistral-Small-3.1-24B-Instruct-2503"):
        ours = auto.from_pretrained(MODELS / name, compat="pillow")
        want = transformers.PixtralImageProcessorPil.from_pretrained(MODELS / name)(
            imgs, return_tensors="np", **upstream_call_kwargs(ours)
        )
        got = ours(imgs)
        assert np.array_equal(got["pixel_values"], want["pixel_values"])
        assert np.array_equal(got["image_sizes"], want["image_sizes"])


def test_mistral_small_equals_auto_processor(tmp_path):
    """The whole AutoProcessor (PixtralProcessor with the checkpoint's merge of 2) on a copy
    of the fixture with a tiny tokenizer: pixels, sizes and the expanded prompt."""
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torchvision")
    from test_pixtral import tiny_tokenizer

    ckpt = tmp_path / "ckpt"
    shutil.copytree(MODELS / "Mistral-Small-3.1-24B-Instruct-2503", ckpt)
    tiny_tokenizer().save_pretrained(ckpt)
    proc = transformers.AutoProcessor.from_pretrained(ckpt)
    assert type(proc).__name__ == "PixtralProcessor" and proc.spatial_merge_size == 2
    imgs = photos(3)
    text = "hello [IMG] world [IMG] [IMG]"
    want = proc(text=[text], images=imgs, return_tensors="np")
    ours = auto.from_pretrained(ckpt)
    got = ours(imgs)
    assert np.array_equal(got["pixel_values"], want["pixel_values"])
    assert np.array_equal(got["image_sizes"], want["image_sizes"])
    prompt = proc.tokenizer(text)["input_ids"]
    assert np.array_equal(ours.layout(prompt, got["image_sizes"]), want["input_ids"][0])
    with pytest.raises(GridMismatchError):
        ours.layout(prompt, got["image_sizes"][:2])


def write(tmp_path, **files):
    for name, content in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(content))
    return tmp_path


def test_a_lone_preprocessor_config(tmp_path):
    shutil.copy(MODELS / "pixtral-12b" / "preprocessor_config.json", tmp_path / "p.json")
    for source in (tmp_path / "p.json", json.loads((tmp_path / "p.json").read_text())):
        proc = auto.from_pretrained(source)
        assert isinstance(proc, pixtral.ImageProcessor) and proc.longest_edge == 1024
    # do_pad=False is honoured (one array per image), as upstream
    pre = {**json.loads((tmp_path / "p.json").read_text()), "do_pad": False}
    assert isinstance(auto.from_pretrained(pre)(photos())["pixel_values"], list)


def test_unknown_models_and_settings_are_refused(tmp_path):
    with pytest.raises(DynresError, match="model_type='blip_2'.*supported model types: .*mistral3"):
        auto.from_pretrained(
            write(tmp_path, config={"model_type": "blip_2"}, preprocessor_config={"size": 224})
        )
    pre = json.loads((MODELS / "pixtral-12b" / "preprocessor_config.json").read_text())
    for key, value, match in (
        ("do_rescale", False, "do_rescale=False"),
        ("rescale_factor", 0.5, "rescale_factor=0.5"),
        ("size", {"height": 512, "width": 512}, "size="),
        ("patch_size", {"height": 16, "width": 14}, "patch_size="),
        ("do_center_crop", True, "do_center_crop=True"),
        ("do_normalize", False, "do_normalize=False"),
    ):
        d = tmp_path / key
        d.mkdir()
        with pytest.raises(DynresError, match=match):
            auto.from_pretrained(write(d, preprocessor_config={**pre, key: value}))
    d = tmp_path / "conflict"
    d.mkdir()
    with pytest.raises(DynresError, match="refusing to guess"):
        auto.from_pretrained(write(d, config={"model_type": "qwen2_vl"}, preprocessor_config=pre))


def test_no_network():
    for source in ("mistralai/Mistral-Small-3.1-24B-Instruct-2503", "/nonexistent/dir"):
        with pytest.raises(DynresError, match="hub ids are not downloaded"):
            auto.from_pretrained(source)
    with pytest.raises(TypeError):
        auto.from_pretrained(3)


@pytest.mark.parametrize(
    "name",
    [
        "Qwen2-VL-7B-Instruct",
        "Qwen3-VL-8B-Instruct",
        "InternVL3-8B-hf",
        "llava-onevision-qwen2-7b-ov-hf",
    ],
)
def test_video_processor_equals_auto_video_processor(name):
    """The checkpoint's video processor (its video_preprocessor_config.json where present:
    Qwen3-VL's whole-clip budget and sampling) against AutoVideoProcessor, one small clip."""
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torchvision")
    rng = np.random.default_rng(3)
    clip = rng.integers(0, 256, (6, 120, 160, 3), dtype=np.uint8)
    meta = {"total_num_frames": 6, "fps": 3.0}
    want = transformers.AutoVideoProcessor.from_pretrained(MODELS / name)(
        [clip], video_metadata=[meta], return_metadata=True
    )
    got = auto.video_processor_from_pretrained(MODELS / name)([clip], video_metadata=[meta])
    w = want["pixel_values_videos"]
    w = w[0].numpy() if isinstance(w, list) else w.numpy()
    g = got["pixel_values_videos"]
    g = g[0] if isinstance(g, list) else g
    assert g.shape == w.shape and np.array_equal(g, w)
    if "video_grid_thw" in want:
        assert np.array_equal(got["video_grid_thw"], want["video_grid_thw"].numpy())
    used = want["video_metadata"][0].frames_indices  # None: every frame given was used
    want_idx = np.arange(len(clip)) if used is None else np.asarray(used)
    np.testing.assert_array_equal(got["frame_indices"][0], want_idx)


def test_families_without_video_processors_say_so():
    with pytest.raises(DynresError, match="pixtral checkpoints have no video processor"):
        auto.video_processor_from_pretrained(MODELS / "pixtral-12b")
