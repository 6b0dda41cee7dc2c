"""Image and video input normalisation: PIL images and arrays to C-contiguous uint8 HWC."""

from __future__ import annotations

from typing import Any, List, Sequence

import numpy as np

from .errors import InvalidImageError

_CHANNELS = (1, 3, 4)


def _is_pil(obj: Any) -> bool:
    return type(obj).__module__.startswith("PIL.") and hasattr(obj, "convert")


def _pil_array(image: Any, what: str) -> np.ndarray:
    """``np.asarray(image)``; a PIL image that cannot be loaded (truncated or corrupt file)
    is an InvalidImageError naming ``what``."""
    try:
        return np.asarray(image)
    except (OSError, ValueError, SyntaxError) as e:
        raise InvalidImageError(f"{what}: the PIL image cannot be loaded: {e}") from None


def pil_rgb(image: Any, what: str) -> Any:
    """``image.convert("RGB")``; modes Pillow cannot convert (``"La"``, ``"PA"``, …) and
    images that cannot be loaded are InvalidImageErrors naming ``what``."""
    try:
        return image.convert("RGB")
    except (OSError, ValueError, SyntaxError) as e:
        raise InvalidImageError(
            f"{what}: PIL image of mode {image.mode!r} cannot be converted to RGB ({e}); "
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
    if _is_pil(image):
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


def as_image(image: Any, index: int = 0) -> np.ndarray:
    """Returns ``image`` as a C-contiguous uint8 ``(H, W, C)`` array, C in (1, 3, 4).

    PIL images of any mode go through ``convert("RGB")`` (as transformers does). Gray
    ``(H, W)`` arrays become ``(H, W, 1)``. Otherwise as :func:`as_pixels`.
    """
    if _is_pil(image) and image.mode != "RGB":
        image = pil_rgb(image, f"image {index}")
    arr = as_pixels(image, f"image {index}")
    return arr[:, :, None] if arr.ndim == 2 else arr


def as_video(video: Any, index: int = 0) -> np.ndarray:
    """Returns a video as a C-contiguous uint8 ``(T, H, W, C)`` array.

    Accepts a ``(T, H, W, C)`` / ``(T, H, W)`` array or a sequence of frames (arrays or PIL
    images) of one size.
    """
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
        return np.ascontiguousarray(video)
    if isinstance(video, (list, tuple)):
        if not video:
            raise InvalidImageError(f"video {index}: a video needs at least one frame")
        frames = [as_image(f, i) for i, f in enumerate(video)]
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


def as_image_list(images: Any) -> List[np.ndarray]:
    """One image or a sequence of images, each coerced by :func:`as_image`."""
    if isinstance(images, np.ndarray) and images.ndim == 4:
        return [as_image(im, i) for i, im in enumerate(images)]
    if _is_pil(images) or isinstance(images, np.ndarray):
        return [as_image(images)]
    if isinstance(images, Sequence) and not isinstance(images, (str, bytes)):
        return [as_image(im, i) for i, im in enumerate(images)]
    raise TypeError(f"expected an image or a list of images, got {type(images).__name__}")
