"""Video batches for the family processors: coercion, optional frame sampling, and the
shared "squash every frame to one size, normalise" kernel call."""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from ._choices import Normalisation
from ._coerce import check_size, checked_empty
from ._images import as_video, from_torch, is_pil, is_torch
from .errors import InvalidImageError


def _is_frame(item: Any) -> bool:
    """A PIL image, an ``(H, W)`` array, or an ``(H, W, C)`` array with C in (1, 3, 4): what
    transformers reads as one frame inside a list."""
    if is_pil(item):
        return True
    return isinstance(item, np.ndarray) and (
        item.ndim == 2 or (item.ndim == 3 and item.shape[2] in (1, 3, 4))
    )


def as_video_list(videos: Any, alpha: str = "drop") -> List[np.ndarray]:
    """Videos as C-contiguous uint8 ``(T, H, W, C)`` arrays, read as transformers'
    ``make_batched_videos`` reads them.

    Accepted: one ``(T, H, W[, C])`` array; a ``(B, T, H, W, C)`` array; a list of frames
    (PIL images or ``(H, W[, C])`` arrays) — **one** video; a list of videos (4-D arrays or
    frame lists). Refused with a message, where the reading would be a guess: a lone 3-D
    array whose last axis could be channels (one image, or a ``(T, H, W)`` gray clip), a
    3-D array inside a list whose last axis is not 1, 3 or 4 (a gray clip, or a
    channels-first frame), and a list mixing frames with videos. A torch tensor
    ``(T, C, H, W)`` is one video, ``(B, T, C, H, W)`` B videos. RGBA frames are converted
    by ``alpha`` (see ``_images``).
    """
    if is_torch(videos) and videos.ndim in (4, 5):
        videos = from_torch(videos, "videos", 4)
    if isinstance(videos, np.ndarray) and videos.ndim in (3, 4):
        if videos.ndim == 3 and videos.shape[-1] in (3, 4):
            raise TypeError(
                f"a 3-D array of shape {videos.shape} looks like one image, not a video; pass "
                "(T, H, W, C) frames (gray: (T, H, W, 1)), or [image] for a one-frame video"
            )
        return [as_video(videos, 0, alpha)]
    if isinstance(videos, np.ndarray) and videos.ndim == 5:
        return [as_video(v, i, alpha) for i, v in enumerate(videos)]
    if not isinstance(videos, (list, tuple)):
        raise TypeError(
            "expected a (T, H, W, C) uint8 array, a list of frames (one video) or a list of "
            f"videos (arrays or frame lists), got {type(videos).__name__}"
        )
    for i, item in enumerate(videos):
        if isinstance(item, np.ndarray) and item.ndim == 3 and not _is_frame(item):
            raise InvalidImageError(
                f"item {i}: a 3-D array of shape {item.shape} inside a list is read as one "
                "(H, W, C) frame, but its last axis is not 1, 3 or 4 channels; pass a gray "
                "video as (T, H, W, 1) or frames as (H, W, C)"
            )
    frames = [_is_frame(item) for item in videos]
    if videos and all(frames):
        return [as_video(list(videos), 0, alpha)]
    if any(frames):
        i = frames.index(True)
        raise InvalidImageError(
            f"the list mixes frames (item {i} is one {_describe(videos[i])}) with videos "
            f"(item {frames.index(False)}); pass one video as a list of frames, or several "
            "videos as a list of (T, H, W, C) arrays or frame lists"
        )
    return [as_video(v, i, alpha) for i, v in enumerate(videos)]


def _describe(item: Any) -> str:
    return f"array of shape {item.shape}" if isinstance(item, np.ndarray) else "PIL image"


def torchvision_video_channels(arrays: List[np.ndarray], compat: str) -> List[np.ndarray]:
    """4-channel videos for ``compat="torchvision"``: opaque ones lose their alpha, others
    are refused.

    transformers 5.x's torchvision video processors (given channels-last RGBA frames with
    ``input_data_format="channels_last"``; without it they cannot tell the channel axis and
    raise) drop an alpha that is 255 everywhere in the video, which gives the RGB video's
    result exactly; a video with any alpha < 255 is blended onto white in float and then
    resized in float, which no uint8 kernel reproduces.
    """
    if compat != "torchvision":
        return arrays
    out = []
    for i, a in enumerate(arrays):
        if a.shape[3] == 4:
            if not (a[..., 3] == 255).all():
                raise InvalidImageError(
                    f"video {i}: compat 'torchvision' accepts gray, RGB or opaque RGBA frames, "
                    "got alpha below 255 (the fast video processors blend it onto white in "
                    "float); drop or composite the alpha first"
                )
            a = np.ascontiguousarray(a[..., :3])
        out.append(a)
    return out


def sample(
    arrays: List[np.ndarray],
    count: Optional[int],
    indices: Callable[[int, int], np.ndarray],
    frame_out: Optional[Tuple[Tuple[int, ...], Any]] = None,
) -> Tuple[List[np.ndarray], List[np.ndarray]]:
    """Each video's frames at ``indices(T, count)`` (all frames when ``count`` is None),
    with the indices used.

    ``count`` has no cap of its own (upstream samples any number, repeating frames): the
    copies it makes and, when ``frame_out`` ``(shape, dtype)`` of one output frame is known,
    the output they become are checked against the one-buffer limit before any is made.
    """
    if count is not None:
        what = f"num_frames={count} frames"
        if frame_out is not None:
            shape, dtype = frame_out
            check_size((len(arrays) * count,) + tuple(shape), dtype, what)
        for a in arrays:
            check_size((count,) + a.shape[1:], a.dtype, what)
    picked, used = [], []
    for a in arrays:
        idx = np.arange(len(a), dtype=np.int64) if count is None else indices(len(a), count)
        if count is not None:
            # Sampling may repeat frames: the copy is bounded above.
            frames = checked_empty((len(idx),) + a.shape[1:], a.dtype, f"num_frames={count} frames")
            np.take(a, idx, axis=0, out=frames)
            a = frames
        picked.append(a)
        used.append(idx)
    return picked, used


def squash_len(arrays: Sequence[np.ndarray], sizes: Sequence[Tuple[int, int]]) -> int:
    """Values :func:`squash` writes: ``Σ T·3·h·w``."""
    return sum(len(a) * 3 * h * w for a, (h, w) in zip(arrays, sizes))


def squash(
    arrays: Sequence[np.ndarray],
    sizes: Sequence[Tuple[int, int]],
    norm: Normalisation,
    config: Any,
    buf: Optional[np.ndarray] = None,
) -> List[np.ndarray]:
    """Every frame of video ``i`` squashed to ``sizes[i]`` with the family ``config``'s
    resize and normalised; one ``(T, 3, h, w)`` array per video, all views of one 1-D
    buffer of :func:`squash_len` values in the storage type (``buf``, else a new one)."""
    if buf is None:
        what = f"video frames (num_frames x 3 x h x w) resized to size {sizes[0] if sizes else ()}"
        buf = checked_empty((squash_len(arrays, sizes),), norm.storage, what)
    config.squash_frames(list(arrays), list(sizes), norm.table, buf)
    out, at = [], 0
    for a, (h, w) in zip(arrays, sizes):
        n = len(a) * 3 * h * w
        out.append(norm.present(buf[at : at + n].reshape(len(a), 3, h, w)))
        at += n
    return out
