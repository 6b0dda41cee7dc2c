"""Transparency: ``reference="transformers5"`` composites onto white exactly as transformers
5.x does on each of its paths (live: its Pil and torchvision backends' ``process_image`` and
processors), ``"transformers4"`` drops alpha as 4.57.6 did (its slow processors, from
tests/data/transformers4_slow.npz)."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from dynres_fast import DynresError, internvl, ops, qwen2vl
from dynres_fast import llava_onevision as ov
from dynres_fast._choices import installed_transformers_major

from conftest import DATA
from reference.alpha import transparent_images

T = pytest.importorskip("transformers")
if int(T.__version__.split(".")[0]) < 5:  # pragma: no cover - the test extra pins 5.x
    pytest.skip("the live oracle is transformers 5.x", allow_module_level=True)
torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Palette images with Transparency:UserWarning")

# Pil backend <-> compat="pillow" (and "pillow12"), torchvision backend <-> "torchvision".
BACKENDS = {
    "pillow": T.Qwen2VLImageProcessorPil(),
    "pillow12": T.Qwen2VLImageProcessorPil(),
    "torchvision": T.Qwen2VLImageProcessor(),
}


def upstream_rgb(image, compat):
    """transformers 5.x's RGB conversion, as its backend applies it to one input: HWC."""
    chw = BACKENDS[compat].process_image(image, do_convert_rgb=True)
    return np.asarray(chw).transpose(1, 2, 0)


def every_pair():
    """A 256 x 256 RGBA image holding every (value, alpha) pair, value varying per channel."""
    v, a = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    return np.stack([v, 255 - v, (v * 7) % 256, a], -1).astype(np.uint8)


@pytest.mark.parametrize("compat", list(BACKENDS))
@pytest.mark.parametrize("as_pil", [False, True])
def test_every_value_and_alpha_matches_transformers5(compat, as_pil):
    rgba = every_pair()
    image = Image.fromarray(rgba, "RGBA") if as_pil else rgba
    want = upstream_rgb(image, compat)
    got = ops.to_rgb(image, reference="transformers5", compat=compat)
    assert got.dtype == np.uint8 and got.shape == (256, 256, 3)
    np.testing.assert_array_equal(got, want)


def test_the_two_roundings_differ_where_upstream_differs():
    """The torchvision backend truncates float32 where PIL and NumPy round: both exact."""
    rgba = every_pair()
    rounded = ops.to_rgb(rgba, reference="transformers5")
    truncated = ops.to_rgb(rgba, reference="transformers5", compat="torchvision")
    assert (rounded != truncated).sum() > 10_000
    pil = Image.alpha_composite(
        Image.new("RGBA", (256, 256), (255, 255, 255, 255)), Image.fromarray(rgba, "RGBA")
    )
    np.testing.assert_array_equal(rounded, np.asarray(pil.convert("RGB")))


@pytest.mark.parametrize("name", sorted(transparent_images()))
@pytest.mark.parametrize("compat", list(BACKENDS))
def test_pil_modes_with_transparency_match_transformers5(name, compat):
    image = transparent_images()[name]
    want = upstream_rgb(image, compat)
    np.testing.assert_array_equal(ops.to_rgb(image, reference="transformers5", compat=compat), want)
    dropped = np.asarray(image.convert("RGB"))
    assert (want != dropped).any()  # the image really is transparent somewhere
    np.testing.assert_array_equal(ops.to_rgb(image, reference="transformers4"), dropped)


@pytest.mark.parametrize("compat", list(BACKENDS))
def test_opaque_and_gray_inputs_are_the_same_under_both_references(compat):
    rng = np.random.default_rng(3)
    for image in [
        rng.integers(0, 256, (20, 30, 3), dtype=np.uint8),
        rng.integers(0, 256, (20, 30, 1), dtype=np.uint8),
        Image.fromarray(rng.integers(0, 256, (20, 30), dtype=np.uint8), "L"),
        Image.fromarray(rng.integers(0, 256, (20, 30, 4), dtype=np.uint8), "CMYK"),
        Image.fromarray(rng.integers(0, 256, (20, 30), dtype=np.uint8) % 8, "P"),
    ]:
        want = upstream_rgb(image, compat)
        for reference in ("transformers5", "transformers4"):
            np.testing.assert_array_equal(
                ops.to_rgb(image, reference=reference, compat=compat), want
            )


def test_transformers4_drops_alpha_of_arrays():
    rgba = every_pair()
    for compat in BACKENDS:
        got = ops.to_rgb(rgba, reference="transformers4", compat=compat)
        np.testing.assert_array_equal(got, rgba[..., :3])


# A fully transparent black pixel: 0 when alpha is dropped, 255 when composited onto white.
_CLEAR_PIXEL = """
import importlib.metadata as m
import numpy as np
def version(name):
    if name == "transformers" and {version!r} is None:
        raise m.PackageNotFoundError(name)
    return {version!r} if name == "transformers" else real(name)
real, m.version = m.version, version
from dynres_fast import ops
print(ops.to_rgb(np.zeros((1, 1, 4), np.uint8))[0, 0, 0])
"""


@pytest.mark.parametrize("version,want", [("4.57.6", "0"), ("5.24.0", "255"), (None, "255")])
def test_default_reference_follows_the_installed_major_version(version, want):
    code = _CLEAR_PIXEL.format(version=version)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == want, out.stderr


def test_default_reference_here_is_transformers5():
    assert installed_transformers_major() == 5  # 5.24 is installed here
    rgba = every_pair()
    np.testing.assert_array_equal(ops.to_rgb(rgba), ops.to_rgb(rgba, reference="transformers5"))


def test_bad_reference_is_refused():
    image = np.zeros((2, 2, 4), np.uint8)
    with pytest.raises(DynresError, match="unknown reference 'transformers6'; accepted: trans"):
        ops.to_rgb(image, reference="transformers6")
    with pytest.raises(TypeError, match="reference must be a str"):
        ops.to_rgb(image, reference=5)
    with pytest.raises(DynresError, match="compat"):
        ops.to_rgb(image, compat="opencv")


# ------------------------------------------------------------------ processors

SLOW4 = np.load(DATA / "transformers4_slow.npz")
IMAGENET = (internvl.IMAGENET_MEAN, internvl.IMAGENET_STD)
SIGLIP = (ov.SIGLIP_MEAN, ov.SIGLIP_STD)

# family: (ours(reference, compat), 5.x Pil class, 5.x torchvision class, upstream kwargs)
PROCESSORS = {
    "qwen2vl": (
        lambda ref, compat: qwen2vl.ImageProcessor(reference=ref, compat=compat),
        T.Qwen2VLImageProcessorPil,
        T.Qwen2VLImageProcessor,
        {},
    ),
    "internvl": (
        lambda ref, compat: internvl.ImageProcessor(
            image_size=56, max_num=4, reference=ref, compat=compat
        ),
        T.GotOcr2ImageProcessorPil,
        T.GotOcr2ImageProcessor,
        dict(
            crop_to_patches=True,
            max_patches=4,
            size={"height": 56, "width": 56},
            image_mean=IMAGENET[0],
            image_std=IMAGENET[1],
        ),
    ),
    "llava_ov": (
        lambda ref, compat: ov.ImageProcessor.llava_onevision(reference=ref, compat=compat),
        T.LlavaOnevisionImageProcessorPil,
        T.LlavaOnevisionImageProcessor,
        dict(image_mean=SIGLIP[0], image_std=SIGLIP[1]),
    ),
}


def _inputs():
    images = transparent_images()
    yield from images.items()
    rgba = np.asarray(images["rgba"])
    yield "rgba_array", rgba


@pytest.mark.parametrize("family", list(PROCESSORS))
@pytest.mark.parametrize("compat", ["pillow", "torchvision"])
def test_processors_match_transformers5_on_transparent_inputs(family, compat):
    ours, pil, tv, kw = PROCESSORS[family]
    cls = pil if compat == "pillow" else tv
    for reference in ("transformers", "transformers5"):
        proc = ours(reference, compat)
        for name, image in _inputs():
            want = cls(**kw)([image], return_tensors="np")
            got = proc([image])
            np.testing.assert_array_equal(got["pixel_values"], want["pixel_values"], name)


@pytest.mark.parametrize("family", list(PROCESSORS))
def test_processors_match_transformers4_goldens(family):
    """4.57.6's slow processors on the same PIL images (alpha dropped); the RGBA array
    must give what its PIL image gives."""
    ours = PROCESSORS[family][0]("transformers4", "pillow")
    for name, image in transparent_images().items():
        key = f"alpha_{family}_{name}__pixel_values"
        got = ours([image])["pixel_values"]
        if key in SLOW4:
            np.testing.assert_array_equal(got, SLOW4[key], name)
        else:
            assert got.shape == tuple(SLOW4[f"{key}__shape"])
            digest = hashlib.sha256(np.ascontiguousarray(got).tobytes()).hexdigest()
            assert digest == str(SLOW4[f"{key}__sha256"]), name
        if name == "rgba":
            np.testing.assert_array_equal(ours([np.asarray(image)])["pixel_values"], got)


def test_original_references_drop_alpha():
    image = transparent_images()["rgba"]
    dropped = image.convert("RGB")
    for proc in (internvl.ImageProcessor(), ov.ImageProcessor(reference="original")):
        np.testing.assert_array_equal(proc(image)["pixel_values"], proc(dropped)["pixel_values"])


def test_video_frames_follow_the_image_rule():
    rgba = np.asarray(transparent_images()["rgba"])
    frames = np.stack([rgba, rgba[::-1]])
    proc = ov.ImageProcessor.llava_onevision(reference="transformers5")
    want = T.SiglipImageProcessorPil(
        size={"height": 384, "width": 384}, image_mean=SIGLIP[0], image_std=SIGLIP[1]
    )(list(frames), return_tensors="np")["pixel_values"]
    np.testing.assert_array_equal(proc.videos(frames)["pixel_values_videos"][0], want)
    q = qwen2vl.ImageProcessor(reference="transformers5")
    np.testing.assert_array_equal(
        q.videos(frames)["pixel_values_videos"],
        q.videos(ops.to_rgb(frames.reshape(-1, 61, 4)).reshape(2, 45, 61, 3))[
            "pixel_values_videos"
        ],
    )
