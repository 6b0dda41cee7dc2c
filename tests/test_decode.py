"""``dynres_fast.io.decode`` against Pillow 13: PNG exact, JPEG within measured bounds."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from decode_inputs import jpegs, pngs
from PIL import Image

from dynres_fast import InvalidImageError
from dynres_fast.io import decode
from fuzz import data as fuzz_data

from conftest import gil_free_fraction

JPEGS = jpegs()
PNGS = pngs()


def pillow(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


@pytest.mark.filterwarnings("ignore:Palette images with Transparency")
@pytest.mark.parametrize("name", sorted(PNGS))
def test_png_bit_exact(name: str) -> None:
    out = decode(PNGS[name])
    assert out.dtype == np.uint8 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, pillow(PNGS[name]))


# The measured bounds the docstring states: (max |diff|, fraction of values that differ).
JPEG_BOUNDS = {
    "444": (3, 0.04),
    "422": (3, 0.16),
    "420": (4, 0.29),
    "prog": (4, 0.29),
    "gray": (1, 0.022),
    "sample": (6, 0.18),
}


def jpeg_class(name: str) -> str:
    if name.endswith(".jpg"):
        return "sample"
    return name.rsplit("_", 1)[1]


@pytest.mark.parametrize("name", sorted(JPEGS))
def test_jpeg_within_measured_bounds(name: str) -> None:
    out, ref = decode(JPEGS[name]), pillow(JPEGS[name])
    assert out.shape == ref.shape and out.dtype == np.uint8
    diff = np.abs(out.astype(np.int16) - ref)
    max_diff, frac = JPEG_BOUNDS[jpeg_class(name)]
    assert diff.max() <= max_diff
    assert (diff > 0).mean() <= frac
    assert diff.mean() <= 0.40


def test_accepts_bytes_like() -> None:
    data = JPEGS["chelsea.jpg"]
    want = decode(data)
    for alt in (bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)):
        np.testing.assert_array_equal(decode(alt), want)
    with pytest.raises(TypeError, match="must be bytes"):
        decode("chelsea.jpg")


def _corrupt_inputs() -> dict:
    jpg, png = JPEGS["chelsea.jpg"], PNGS["rgb8"]
    flipped = bytearray(png)
    flipped[60] ^= 0xFF
    cmyk = io.BytesIO()
    Image.new("CMYK", (8, 8), (1, 2, 3, 4)).save(cmyk, "JPEG")
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    return {
        "empty": b"",
        "text": b"hello world",
        "gif": gif.getvalue(),
        "jpeg_header_only": jpg[:100],
        "jpeg_half": jpg[: len(jpg) // 2],
        "jpeg_garbage": b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4,
        "png_signature_only": png[:8],
        "png_half": png[: len(png) // 2],
        "png_no_iend_data": png[:-40],
        "png_bad_crc": bytes(flipped),
        "cmyk_jpeg": cmyk.getvalue(),
        # Found by the fuzz harness: a bit flip gives component 2 sampling factors 1x3
        # beside 2x2 (a fractional 3:2 ratio, libjpeg's JERR_FRACT_SAMPLE_NOTIMPL).
        "jpeg_fractional_sampling": fuzz_data.mutate(fuzz_data.encoded(244338), 784499),
    }


@pytest.mark.parametrize("name,data", sorted(_corrupt_inputs().items()))
def test_bad_data_is_invalid_image_error(name: str, data: bytes) -> None:
    with pytest.raises(InvalidImageError):
        decode(data)


def test_fractional_sampling_is_refused_by_name() -> None:
    data = _corrupt_inputs()["jpeg_fractional_sampling"]
    assert fuzz_data.pillow(data) is None
    with pytest.raises(InvalidImageError, match="sampling factors 2x2.*largest \\(2x3\\)"):
        decode(data)
    with pytest.raises(InvalidImageError, match="sampling factors"):
        decode(data, allow_truncated=True)


#: Mutated JPEGs judged against Pillow (seeded: the same files on every run).
MUTATED_JPEGS = 4000


def test_mutated_jpegs_that_pillow_refuses_are_refused() -> None:
    """Whatever ``decode`` accepts among mutated JPEGs, Pillow accepts too, at the same
    size (the harness's oracle, run over a fixed seeded set in-process)."""
    rng = random.Random(2026)
    accepted = refused = 0
    while accepted + refused < MUTATED_JPEGS:
        file_seed, mut_seed = rng.randrange(10**6), rng.randrange(10**6)
        src = fuzz_data.encoded(file_seed)
        if src[:2] != b"\xff\xd8":
            continue
        data = fuzz_data.mutate(src, mut_seed)
        try:
            out = decode(data)
        except InvalidImageError:
            refused += 1
            continue
        want = fuzz_data.pillow(data)
        where = f"mutate(encoded({file_seed}), {mut_seed})"
        assert want is not None, f"accepted what Pillow refuses: {where}"
        assert out.shape == want.shape, where
        accepted += 1
    assert accepted > 500 and refused > 2000


def test_bomb_limit() -> None:
    # a header claiming 20000 x 20000 pixels (400 M > Pillow's 179 M limit)
    png = bytearray(PNGS["rgb8"])
    png[16:24] = (20000).to_bytes(4, "big") * 2
    import zlib

    png[29:33] = zlib.crc32(bytes(png[12:29])).to_bytes(4, "big")
    with pytest.raises(InvalidImageError, match="exceeds"):
        decode(bytes(png))


def test_gil_released_while_decoding() -> None:
    """The main thread keeps running Python while another thread decodes a large JPEG."""
    big = Image.fromarray(np.asarray(Image.open(io.BytesIO(JPEGS["chelsea.jpg"])))).resize(
        (3000, 2000)
    )
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=90)
    data = buf.getvalue()

    assert gil_free_fraction(lambda: [decode(data) for _ in range(3)]) > 0.05
