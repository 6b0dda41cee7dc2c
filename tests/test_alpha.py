"""Transparency: ``reference="transformers5"`` composites onto white exactly as transformers
5.x does on each of its paths (live: its Pil and torchvision backends' ``process_image``),
``"transformers4"`` drops alpha as 4.57.6 did (its slow processors, from the golden file)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from dynres_fast import DynresError, ops
from dynres_fast._choices import installed_transformers_major

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
