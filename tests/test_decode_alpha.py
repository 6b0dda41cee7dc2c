"""``io.decode`` and transparency: ``keep_alpha=True`` equals Pillow's ``convert("RGBA")``
for every PNG with transparency (alpha channels, palettes and gray / RGB colour keys), and
the default (alpha dropped) is what transformers 5.x itself does with a path: its
``load_image`` / ``load_image_as_tensor`` convert to RGB before the processor runs."""

from __future__ import annotations

import io as _io
import warnings

import numpy as np
import pytest
from decode_inputs import pngs, transparent_pngs
from PIL import Image

from dynres_fast import io, ops, qwen2vl
from dynres_fast._images import _has_transparency

PNGS = {**pngs(), **transparent_pngs()}


def _pil(data):
    im = Image.open(_io.BytesIO(data))
    im.load()
    return im


TRANSPARENT = sorted(name for name, data in PNGS.items() if _has_transparency(_pil(data)))


def test_the_cases_cover_every_kind_of_transparency():
    modes = {(_pil(PNGS[n]).mode, "transparency" in _pil(PNGS[n]).info) for n in TRANSPARENT}
    assert {("LA", False), ("RGBA", False), ("P", True), ("L", True), ("RGB", True)} <= modes
    assert {("1", True), ("I;16", True)} <= modes


@pytest.mark.parametrize("name", sorted(PNGS))
def test_keep_alpha_equals_pillow_convert_rgba(name):
    im = _pil(PNGS[name])
    transparent = _has_transparency(im)
    expected = np.asarray(im.convert("RGBA" if transparent else "RGB"))
    got = io.decode(PNGS[name], keep_alpha=True)
    assert got.dtype == np.uint8 and got.flags.c_contiguous
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(io.decode(PNGS[name]), np.asarray(im.convert("RGB")))


def test_keep_alpha_is_checked():
    with pytest.raises(TypeError, match="keep_alpha"):
        io.decode(PNGS["rgba8"], keep_alpha=1)


@pytest.mark.parametrize("name", TRANSPARENT)
def test_composited_like_transformers5_convert_to_rgb(name):
    """RGBA from the decoder composited by ``ops.to_rgb`` equals 5.x's ``convert_to_rgb``
    of the PIL image (what a processor does with a PIL RGBA image)."""
    transformers = pytest.importorskip("transformers")
    if int(transformers.__version__.split(".")[0]) < 5:
        pytest.skip("the composite is transformers 5.x's")
    from transformers.image_transforms import convert_to_rgb

    expected = np.asarray(convert_to_rgb(_pil(PNGS[name]), return_numpy=True))
    rgba = io.decode(PNGS[name], keep_alpha=True)
    np.testing.assert_array_equal(ops.to_rgb(rgba, reference="transformers5"), expected)


#: Colour-keyed files some of whose pixels match the key: 5.x's Pil backend keeps the key
#: through ``convert("RGB")`` (Pillow carries it in ``info``), and its ``convert_to_rgb``
#: then composites the keyed pixels onto white; ``io.decode`` drops the key.
KEYED = {"gray8_key", "gray2_key_zero", "rgb8_key"}
#: 16-bit files: 5.x's torchvision backend decodes paths with torchvision / torchcodec,
#: which reduce 16-bit samples to 8 bits differently from Pillow's high byte (alpha or not).
SIXTEEN_BIT = {"la16", "rgba16", "gray16_key", "rgb16_key"}


@pytest.mark.parametrize("backend", ["torchvision", "pillow"])
@pytest.mark.parametrize("name", TRANSPARENT)
def test_paths_equal_transformers5(backend, name, tmp_path):
    """A transparent PNG given to 5.x as a path, and to us decoded by ``io.decode``: the
    same pixel values (both drop alpha) — except the two documented cases above."""
    transformers = pytest.importorskip("transformers")
    if int(transformers.__version__.split(".")[0]) < 5:
        pytest.skip("the backends compared are transformers 5.x's")
    if backend == "torchvision":
        pytest.importorskip("torchvision")
        from transformers.models.qwen2_vl.image_processing_qwen2_vl import (
            Qwen2VLImageProcessor as Upstream,
        )
    else:
        from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
            Qwen2VLImageProcessorPil as Upstream,
        )
    path = tmp_path / f"{name}.png"
    path.write_bytes(PNGS[name])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchvision's image decoding is deprecated
        expected = Upstream()(str(path), return_tensors="np")
    ours = qwen2vl.ImageProcessor(compat=backend)(io.decode(io.read_file(path)))
    np.testing.assert_array_equal(ours["image_grid_thw"], expected["image_grid_thw"])
    if backend == "torchvision" and name in SIXTEEN_BIT:
        return  # the grid only: the 16-bit reduction is torchvision's, not ours
    if backend == "pillow" and name in KEYED:
        assert not np.array_equal(ours["pixel_values"], expected["pixel_values"])
        composited = ops.to_rgb(io.decode(PNGS[name], keep_alpha=True), reference="transformers5")
        keyed = qwen2vl.ImageProcessor(compat=backend)(composited)
        np.testing.assert_array_equal(keyed["pixel_values"], expected["pixel_values"])
        return
    np.testing.assert_array_equal(ours["pixel_values"], expected["pixel_values"])
