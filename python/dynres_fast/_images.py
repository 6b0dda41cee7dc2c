"""Image and video input normalisation: PIL images and arrays to C-contiguous uint8 HWC.

``alpha`` arguments name what RGB conversion does with transparency (see
``_choices.alpha_rule``): ``"drop"`` (transformers 4.x, Pillow's ``convert("RGB")``), or
composite onto white as transformers 5.x does — ``"white"`` rounded, ``"white_torch"``
as its torchvision backend does for arrays. PIL images with transparency are composited
with Pillow's ``alpha_composite`` arithmetic under both white rules, as 5.x does in both
backends.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from . import _core
from .errors import InvalidImageError

_CHANNELS = (1, 3, 4)


def is_pil(obj: Any) -> bool:
    """Whether ``obj`` is a PIL image (checked without importing PIL)."""
    return type(obj).__module__.startswith("PIL.") and hasattr(obj, "convert")


def is_torch(obj: Any) -> bool:
    """A torch tensor, recognised without importing torch."""
    return type(obj).__module__.startswith("torch") and hasattr(obj, "detach")


def from_torch(obj: Any, what: str, ndim: int) -> np.ndarray:
    """A torch tensor as a NumPy array in channels-last order. ``ndim`` is the rank of one
    channels-first item (3: ``(C, H, W)`` image, 4: ``(T, C, H, W)`` video); a leading
    batch axis is allowed. Channels are where transformers 5.x infers them: the
    channels-first axis when its size is 1, 3 or 4, else the last axis."""
    arr = obj.detach().cpu().numpy()
    if arr.ndim in (ndim, ndim + 1):
        first = arr.ndim - 3
        if arr.shape[first] in _CHANNELS:
            arr = np.moveaxis(arr, first, -1)
        elif arr.shape[-1] not in _CHANNELS:
            raise InvalidImageError(
                f"{what}: cannot tell the channel axis of a tensor of shape {tuple(arr.shape)}; "
                "expected 1, 3 or 4 channels first (C, H, W) or last (H, W, C)"
            )
    return arr


def _pil_array(image: Any, what: str) -> np.ndarray:
    """``np.asarray(image)``; a PIL image that cannot be loaded (truncated or corrupt file)
    is an InvalidImageError naming ``what``."""
    try:
        return np.asarray(image)
    except (OSError, ValueError, SyntaxError) as e:
        raise InvalidImageError(f"{what}: the PIL image cannot be loaded: {e}") from None


def _pil_convert(image: Any, mode: str, what: str) -> Any:
    """``image.convert(mode)``; modes Pillow cannot convert (``"La"``, ``"PA"``, …) and
    images that cannot be loaded are InvalidImageErrors naming ``what``."""
    try:
        return image.convert(mode)
    except (OSError, ValueError, SyntaxError) as e:
        raise InvalidImageError(
            f"{what}: PIL image of mode {image.mode!r} cannot be converted to {mode} ({e}); "
            "accepted: every mode Pillow converts to RGB (L, LA, RGB, RGBA, P, I, F, CMYK, …)"
        ) from None


def as_pixels(image: Any, what: str = "image") -> np.ndarray:
    """Returns ``image`` as a C-contiguous uint8 ``(H, W)`` or ``(H, W, C)`` array, C in
    (1, 3, 4). PIL images are taken as they are (``np.asarray``); ``what`` names the input
    in messages. Non-contiguous arrays are copied once.

    Raises:
        TypeError: not an array or PIL image, or a dtype other than uint8.
        InvalidImageError: wrong number of dimensions or channels, or an empty image.
    """
    if is_pil(image):
        image = _pil_array(image, what)
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"{what}: expected a numpy uint8 array or a PIL image, got {type(image).__name__}"
        )
    if image.dtype != np.uint8:
        raise TypeError(
            f"{what}: expected dtype uint8 (values 0-255), got {image.dtype}; "
            "convert with (x * 255).round().astype(np.uint8) if it holds floats in [0, 1]"
        )
    shapes = "(H, W), (H, W, 1), (H, W, 3) or (H, W, 4)"
    if image.ndim not in (2, 3):
        raise InvalidImageError(f"{what}: expected shape {shapes}, got {image.shape}")
    if image.ndim == 3 and image.shape[2] not in _CHANNELS:
        raise InvalidImageError(
            f"{what}: expected shape {shapes}, got {image.shape} ({image.shape[2]} channels)"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise InvalidImageError(f"{what}: image of shape {image.shape} is empty")
    return np.ascontiguousarray(image)


def _channels_first(image: Any) -> bool:
    """A ``(C, H, W)`` array: a first axis of 1, 3 or 4 where the last cannot be channels
    (``(H, W, C)`` wins when both could be, unlike transformers, which then warns)."""
    return (
        isinstance(image, np.ndarray)
        and image.ndim == 3
        and image.shape[0] in _CHANNELS
        and image.shape[2] not in _CHANNELS
    )


def _has_transparency(image: Any) -> bool:
    """An alpha band (RGBA, LA, PA, ...) or a transparency entry (P or L/RGB colour key)."""
    return "A" in image.getbands() or image.info.get("transparency") is not None


def pil_to_rgb(image: Any, alpha: str, what: str = "image") -> np.ndarray:
    """A PIL image of any mode as ``(H, W, 3)`` uint8: ``convert("RGB")``, or, unless
    ``alpha == "drop"`` and when it has transparency, ``convert("RGBA")`` composited onto
    white (Pillow's ``alpha_composite`` arithmetic). Images Pillow cannot load or convert
    are InvalidImageErrors naming ``what``."""
    if alpha != "drop" and _has_transparency(image):
        return _core.to_rgb(_pil_array(_pil_convert(image, "RGBA", what), what), "white")
    rgb = image if image.mode == "RGB" else _pil_convert(image, "RGB", what)
    return _pil_array(rgb, what)


def as_image(image: Any, index: int = 0, alpha: str = "drop") -> np.ndarray:
    """Returns ``image`` as a C-contiguous uint8 ``(H, W, C)`` array, C in (1, 3, 4).

    PIL images of any mode become RGB (:func:`pil_to_rgb`); RGBA arrays become RGB by
    ``alpha`` unless it is ``"drop"`` (the kernels drop alpha themselves). Gray ``(H, W)``
    arrays become ``(H, W, 1)``. Otherwise as :func:`as_pixels`.
    """
    if is_pil(image):
        image = pil_to_rgb(image, alpha, f"image {index}")
    elif is_torch(image):
        image = from_torch(image, f"image {index}", 3)
    elif _channels_first(image):
        image = np.moveaxis(image, 0, -1)
    arr = as_pixels(image, f"image {index}")
    if arr.ndim == 2:
        return arr[:, :, None]
    if arr.shape[2] == 4 and alpha != "drop":
        return _core.to_rgb(arr, alpha)
    return arr


def as_video(video: Any, index: int = 0, alpha: str = "drop") -> np.ndarray:
    """Returns a video as a C-contiguous uint8 ``(T, H, W, C)`` array.

    Accepts a ``(T, H, W, C)`` / ``(T, H, W)`` array or a sequence of frames (arrays or PIL
    images) of one size, or a ``(T, C, H, W)`` / ``(T, H, W, C)`` torch tensor; frames are
    converted as images are (:func:`as_image`).
    """
    if is_torch(video):
        video = from_torch(video, f"video {index}", 4)
    if isinstance(video, np.ndarray):
        if video.dtype != np.uint8:
            raise TypeError(f"video {index}: expected dtype uint8, got {video.dtype}")
        if video.ndim == 3:
            video = video[..., None]
        if video.ndim != 4 or video.shape[3] not in _CHANNELS:
            raise InvalidImageError(
                f"video {index}: expected shape (T, H, W, C) with C in 1, 3, 4, got {video.shape}"
            )
        if 0 in video.shape:
            raise InvalidImageError(f"video {index}: video of shape {video.shape} is empty")
        video = np.ascontiguousarray(video)
        if video.shape[3] == 4 and alpha != "drop":
            t, h, w, _ = video.shape
            return _core.to_rgb(video.reshape(t * h, w, 4), alpha).reshape(t, h, w, 3)
        return video
    if isinstance(video, (list, tuple)):
        if not video:
            raise InvalidImageError(f"video {index}: a video needs at least one frame")
        frames = [as_image(f, i, alpha) for i, f in enumerate(video)]
        shapes = {f.shape for f in frames}
        if len(shapes) != 1:
            raise InvalidImageError(
                f"video {index}: all frames must have one shape, got {sorted(shapes)}"
            )
        return np.stack(frames)
    raise TypeError(
        f"video {index}: expected a (T, H, W, C) uint8 array or a list of frames, "
        f"got {type(video).__name__}"
    )


def _is_nested(images: Any) -> bool:
    return (
        isinstance(images, (list, tuple))
        and len(images) > 0
        and all(isinstance(group, (list, tuple)) for group in images)
    )


def group_sizes(images: Any) -> Optional[List[int]]:
    """The number of images in each group of a nested batch ``[[img, img], [img]]`` (one
    prompt per group, as transformers reads it), or ``None`` when ``images`` is not nested."""
    return [len(group) for group in images] if _is_nested(images) else None


def as_image_list(images: Any, alpha: str = "drop") -> List[np.ndarray]:
    """One image or a sequence of images, each coerced by :func:`as_image`: a 4-D array
    ``(N, H, W, C)`` or tensor ``(N, C, H, W)`` is N images, and a nested batch
    ``[[img, img], [img]]`` is flattened (as transformers does)."""
    if is_torch(images) and images.ndim == 4:
        images = list(images)
    if isinstance(images, np.ndarray) and images.ndim == 4:
        return [as_image(im, i, alpha) for i, im in enumerate(images)]
    if is_pil(images) or isinstance(images, np.ndarray) or is_torch(images):
        return [as_image(images, 0, alpha)]
    if _is_nested(images):
        images = [im for group in images for im in group]
    if isinstance(images, Sequence) and not isinstance(images, (str, bytes)):
        return [as_image(im, i, alpha) for i, im in enumerate(images)]
    raise TypeError(f"expected an image or a list of images, got {type(images).__name__}")
