"""Image decoding: JPEG / PNG bytes → ``uint8 (H, W, 3)``, in Rust with the GIL released.

Compared with Pillow 13's ``np.asarray(Image.open(f).convert("RGB"))`` (measured, see
``bench/bench_decode.py`` and ``tests/test_decode.py``):

- **PNG: bit-exact** for gray 1/2/4/8/16-bit, gray+alpha, RGB, RGBA (8 and 16 bit),
  palettes with and without transparency, animated PNGs (first frame) —
  Pillow's quirks included (16-bit samples keep the high byte, but 16-bit grayscale is
  clipped at 255 like Pillow's ``I;16`` → RGB conversion).
- **JPEG: not bit-exact.** Pillow decodes with libjpeg-turbo (ISLOW integer IDCT, "fancy"
  triangle-filter chroma upsampling, 16-bit fixed-point YCbCr→RGB); the Rust decoder
  (zune-jpeg) rounds its IDCT, upsampling and colour conversion differently. Measured on
  the bundled samples and on 45 JPEGs written by Pillow (qualities 50–95; 4:4:4, 4:2:2,
  4:2:0; progressive; grayscale): every value within **6 levels**, mean |diff| ≤ 0.40;
  values that differ: ≤ 4 % for 4:4:4, ≤ 16 % for 4:2:2, ≤ 29 % for 4:2:0 (10–18 % on the
  bundled 4:2:0 photographs), ≤ 2.2 % for grayscale. Where bit-identity with a Pillow-
  trained model matters, decode JPEGs with Pillow.
- Transparency is dropped, as Pillow's ``convert("RGB")`` drops it — and as transformers
  5.x does for a path or URL: its ``load_image`` (Pil backend) and ``load_image_as_tensor``
  (torchvision backend) convert to RGB before any processor sees the image, so only images
  handed over as PIL RGBA objects or RGBA arrays get composited onto white (measured
  against 5.24 on 20 transparent PNGs, ``tests/test_decode_alpha.py``). One exception: a
  gray or RGB colour key (``tRNS``) survives Pillow's ``convert("RGB")`` in ``info``, so
  5.x's Pil backend composites the keyed pixels onto white; for those files
  ``ops.to_rgb(decode(data, keep_alpha=True), reference="transformers5")`` gives its
  pixels. ``keep_alpha=True`` returns RGBA (Pillow's ``convert("RGBA")``, bit-exact on
  every colour type, bit depth and kind of transparency, Pillow's colour-key quirks for
  1/2/4-bit gray included) for callers that composite themselves (``ops.to_rgb``).
- Not applied (as in Pillow's ``convert``): EXIF orientation, ICC profiles, PNG gamma.
- Refused with :class:`InvalidImageError`: empty, unknown (GIF, WebP, …), corrupt or
  truncated data (a JPEG must reach its end-of-image marker, a PNG its ``IEND`` chunk),
  CMYK/YCCK JPEGs, images over Pillow's decompression-bomb limit (178,956,970 pixels), and
  files too small for the size their header claims (a JPEG needs at least one byte of
  scan data per 512 pixels, a PNG one byte of compressed data per 1032 bytes of rows), so
  a tiny file cannot make the decoder allocate a huge image.
  ``allow_truncated=True`` is Pillow's ``ImageFile.LOAD_TRUNCATED_IMAGES``: truncated
  files decode, with the missing part filled.

:func:`read_file` reads a path for the decoders: regular files only (a FIFO, a directory
or a device such as ``/dev/null`` is refused instead of blocking or reading nothing).
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

import numpy as np

from . import _core
from .errors import DynresError

__all__ = ["MAX_FILE_BYTES", "check_regular_file", "decode", "read_file", "read_json_object"]

MAX_FILE_BYTES = 1 << 31
"""Largest file :func:`read_file` reads (2 GiB: far above any image the decoders accept)."""


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _path_name(path: Any, what: str) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{what} must be a str or os.PathLike, got {type(path).__name__} {path!r}")
    name = os.fspath(path)
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str or os.PathLike of str, got {name!r}")
    return name


def check_regular_file(path: Any, what: str = "path") -> str:
    """``path`` as a str after checking, without opening it, that it names an existing
    regular file (what other readers such as Pillow may then open without blocking).

    Raises:
        TypeError: ``path`` is not a ``str`` / ``os.PathLike``.
        DynresError: missing, or a directory, FIFO, device or socket; the message names
            ``what``, the path and what it is.
    """
    name = _path_name(path, what)
    try:
        st = os.stat(name)
    except FileNotFoundError:
        raise DynresError(f"{what} {name}: no such file") from None
    except (OSError, ValueError) as e:
        raise DynresError(f"{what} {name} cannot be read: {e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise DynresError(f"{what} {name} is {_kind(st.st_mode)}; accepted: a regular file")
    return name


def read_file(path: Any, what: str = "path") -> bytes:
    """The bytes of the regular file at ``path`` (``str`` or ``os.PathLike``).

    The file is opened without blocking and checked with ``fstat`` before anything is
    read, so FIFOs, directories and devices are refused, never waited on. Bools and ints
    are refused (``open(1)`` would read, and later close, standard output).

    Raises:
        TypeError: ``path`` is not a ``str`` / ``os.PathLike``.
        DynresError: missing, unreadable, not a regular file, or over
            :data:`MAX_FILE_BYTES`; the message names ``what`` and the path.
    """
    name = _path_name(path, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(name, flags)
    except FileNotFoundError:
        raise DynresError(f"{what} {name}: no such file") from None
    except IsADirectoryError:
        raise DynresError(f"{what} {name} is a directory, not a file") from None
    except (OSError, ValueError) as e:
        raise DynresError(f"{what} {name} cannot be opened: {e}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise DynresError(f"{what} {name} is {_kind(st.st_mode)}; accepted: a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise DynresError(
                f"{what} {name} holds {st.st_size} bytes, over the {MAX_FILE_BYTES}-byte limit"
            )
        with os.fdopen(fd, "rb", closefd=True) as f:
            fd = -1
            return f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise DynresError(f"{what} {name} cannot be read: {e}") from None
    finally:
        if fd >= 0:
            os.close(fd)


def read_json_object(path: Any, what: str = "config") -> dict:
    """The JSON object (a ``dict``) in the file at ``path``, read by :func:`read_file`.

    Raises:
        TypeError: ``path`` is not a ``str`` / ``os.PathLike``.
        DynresError: what :func:`read_file` refuses, text that is not UTF-8 JSON, nesting
            too deep to parse, or JSON that is not an object; the message names ``what``.
    """
    raw = read_file(path, what)
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise DynresError(f"{what} {os.fspath(path)!r} is not UTF-8 text: {e}") from None
    except json.JSONDecodeError as e:
        raise DynresError(f"{what} {os.fspath(path)!r} is not valid JSON: {e}") from None
    except RecursionError:
        raise DynresError(f"{what} {os.fspath(path)!r}: JSON nested too deeply to parse") from None
    if not isinstance(value, dict):
        raise DynresError(
            f"{what} {os.fspath(path)!r} must hold a JSON object ({{...}}), got a "
            f"{type(value).__name__}"
        )
    return value


def decode(data: Any, *, allow_truncated: bool = False, keep_alpha: bool = False) -> np.ndarray:
    """Decodes JPEG or PNG bytes to a C-contiguous ``uint8`` ``(H, W, 3)`` RGB array.

    Args:
        data: the encoded file: ``bytes`` (no copy), or ``bytearray`` / ``memoryview`` /
            a uint8 NumPy array (copied once to bytes).
        allow_truncated: decode truncated files, filling the missing part (Pillow's
            ``ImageFile.LOAD_TRUNCATED_IMAGES``); by default they are refused.
        keep_alpha: return ``(H, W, 4)`` RGBA, as Pillow's ``convert("RGBA")``, when the
            file has transparency (an alpha channel, or a ``tRNS`` chunk: palette, gray or
            RGB colour key); files without any stay ``(H, W, 3)``. By default alpha is
            dropped, as Pillow's ``convert("RGB")`` and transformers' ``load_image`` do.

    Raises:
        InvalidImageError: unknown, corrupt, truncated or unsupported data.
        TypeError: ``data`` is not bytes-like, or an option not a bool.
    """
    for name, value in (("allow_truncated", allow_truncated), ("keep_alpha", keep_alpha)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    if not isinstance(data, bytes):
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        elif isinstance(data, np.ndarray) and data.dtype == np.uint8:
            data = data.tobytes()
        else:
            raise TypeError(
                "data must be bytes, bytearray, memoryview or a uint8 array holding an encoded "
                f"JPEG or PNG file, got {type(data).__name__}"
            )
    return _core.decode_image(data, allow_truncated, keep_alpha)
