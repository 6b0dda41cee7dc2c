"""Pixel operations: Pillow-exact resize, crop and RGB conversion.

``resize`` is bit-identical to ``PIL.Image.fromarray(image).resize((width, height),
FILTER)`` for 8-bit gray, RGB and RGBA images and every size, with Pillow's own pass
order: ``compat="pillow"`` follows Pillow >= 13 (vertical pass first when the height
shrinks by more than twice the width's shrink), ``compat="pillow12"`` Pillow <= 12
(always horizontal first). ``compat="torchvision"`` is a second exactness target:
``torchvision.transforms.v2.functional.resize(uint8 CHW tensor, [h, w], BILINEAR | BICUBIC,
antialias=True)`` on CPU (torch's uint8 kernel, the same bytes as pillow-simd), which the
Hugging Face *fast* image processors use. Every kernel runs in Rust without the GIL.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from ._choices import ALL_COMPATS as COMPATS
from ._choices import FILTERS, TORCHVISION_FILTERS
from ._coerce import as_int
from ._images import as_pixels, pil_rgb
from .errors import DynresError

__all__ = ["COMPATS", "FILTERS", "TORCHVISION_FILTERS", "crop", "resize", "to_rgb"]


def _choice(name: str, value: Any, accepted: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__} {value!r}")
    if value not in accepted:
        raise DynresError(f"unknown {name} {value!r}; accepted: {', '.join(accepted)}")
    return value


def resize(
    image: Any,
    height: int,
    width: int,
    *,
    filter: str = "bicubic",
    compat: str = "pillow",
) -> np.ndarray:
    """Resizes an 8-bit image exactly like Pillow's ``Image.resize`` (or torchvision's).

    Args:
        image: uint8 ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)`` array (RGBA is
            premultiplied around the resize, as Pillow does; with ``compat="torchvision"``
            the four channels are resized independently, as torch does), or a PIL image
            (taken with ``np.asarray``).
        height, width: the output size in pixels (1 to 65536).
        filter: ``"nearest"``, ``"box"``, ``"bilinear"``, ``"hamming"``, ``"bicubic"``
            (default, Pillow's default too) or ``"lanczos"``; ``compat="torchvision"``
            accepts ``"bilinear"`` and ``"bicubic"`` only.
        compat: ``"pillow"`` (Pillow >= 13 pass order), ``"pillow12"`` (Pillow <= 12) or
            ``"torchvision"`` (torchvision's uint8 antialiased resize = pillow-simd).

    Returns:
        A new uint8 array with the same number of dimensions and channels as the input.
        A same-size resize returns a copy.

    Raises:
        TypeError: not an array / PIL image, a dtype other than uint8, non-integer sizes.
        InvalidImageError: wrong number of dimensions or channels, empty image.
        DynresError: sizes out of range, unknown filter or compat, or a filter that
            ``compat="torchvision"`` has no exact equivalent for.
    """
    arr = as_pixels(image)
    h = as_int("height", height)
    w = as_int("width", width)
    f = _choice("filter", filter, FILTERS)
    c = _choice("compat", compat, COMPATS)
    if c == "torchvision":
        f = _choice("filter (compat='torchvision')", f, TORCHVISION_FILTERS)
    return _core.resize(arr, h, w, f, c)


def crop(image: Any, top: int, left: int, height: int, width: int) -> np.ndarray:
    """Copies the ``height x width`` rectangle at ``(top, left)`` (PIL's ``crop((left, top,
    left + width, top + height))`` for in-bounds boxes).

    Raises:
        TypeError: wrong types or dtype.
        InvalidImageError: unusable image shape.
        DynresError: an empty rectangle or one that leaves the image.
    """
    arr = as_pixels(image)
    t = as_int("top", top, minimum=0)
    left_ = as_int("left", left, minimum=0)
    h = as_int("height", height)
    w = as_int("width", width)
    return _core.crop(arr, t, left_, h, w)


def to_rgb(image: Any) -> np.ndarray:
    """An ``(H, W, 3)`` uint8 copy, like Pillow's ``convert("RGB")``.

    Arrays: gray ``(H, W)`` / ``(H, W, 1)`` is replicated, RGB copied, RGBA loses its alpha
    (no blending). PIL images of any mode (P, LA, CMYK, I;16, ...) go through
    ``image.convert("RGB")``.

    Raises:
        TypeError: not an array / PIL image, or a dtype other than uint8.
        InvalidImageError: wrong number of dimensions or channels, empty image.
    """
    if not isinstance(image, np.ndarray) and hasattr(image, "convert"):
        image = pil_rgb(image, "image")
    return _core.to_rgb(as_pixels(image))
