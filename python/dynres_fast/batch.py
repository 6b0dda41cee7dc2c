"""Qwen-VL training batches from raw samples, in plain NumPy (no torch needed).

A **sample** is a mapping with these keys (others are ignored):

- ``"input_ids"``: 1-D integer token ids of the prompt as the chat template renders it,
  with **one** ``<|image_pad|>`` per image, each inside
  ``<|vision_start|> … <|vision_end|>`` (the unexpanded text that ``Qwen2VLProcessor``
  receives).
- ``"images"`` (optional): a list of images, in the order of their pad tokens. Each is
  encoded JPEG/PNG ``bytes`` (also ``bytearray``/``memoryview``), a file path (``str`` or
  ``os.PathLike``), a uint8 ``(H, W[, C])`` array, or a PIL image.
- ``"videos"`` (optional): a list of videos, in the order of their ``<|video_pad|>``
  tokens (one per video, inside ``<|vision_start|> … <|vision_end|>``). Each is a video
  file (path, bytes or binary file object: decoded with the video processor's
  ``from_file``) or decoded frames (a ``(T, H, W, 3)`` array or a list of frames).
  Needs ``video_processor=`` (a :class:`~dynres_fast.qwen2vl.VideoProcessor`); with a
  Qwen3-VL one (``budget="clip"``) each video becomes the timestamped blocks of
  :func:`expand_video_tokens`, which needs ``tokenize=``.
- ``"labels"`` (optional): 1-D integer targets aligned with ``input_ids``.

:func:`encode_sample` does one decode per image and **one** processor call per sample and
returns that sample's **features**: ``pixel_values``, ``image_grid_thw``, ``input_ids``
with every ``<|image_pad|>`` expanded to ``t·h·w / merge²`` copies (as
``Qwen2VLProcessor`` does), and ``labels`` expanded alike, ``ignore_index`` on the image
tokens. :func:`collate_features` turns a list of features into a right-padded batch with
``attention_mask`` and the M-RoPE ``position_ids`` ``(3, B, L)`` / ``rope_deltas``
``(B, 1)`` from :func:`dynres_fast.rope.mrope_position_ids`.

Nothing here holds state across calls, so it is safe in forked DataLoader workers and
picklable for spawned ones and for Ray tasks. :mod:`dynres_fast.torch` wraps it for
PyTorch.
"""

from __future__ import annotations

import os
from io import BytesIO
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import io, rope
from ._coerce import as_int, as_int64_array
from ._video_tokens import (
    MAX_BATCH_LENGTH,
    VIDEO_PAD_ID,
    VISION_END_ID,
    expand_video_tokens,
    mm_token_type_ids,
    timestamp_text,
)
from .errors import DynresError, GridMismatchError
from .qwen2vl import ImageProcessor, VideoProcessor

__all__ = [
    "IGNORE_INDEX",
    "IMAGE_PAD_ID",
    "MAX_BATCH_LENGTH",
    "PAD_ID",
    "VIDEO_PAD_ID",
    "VISION_END_ID",
    "VISION_START_ID",
    "collate_features",
    "decode_pillow",
    "encode_sample",
    "expand_image_tokens",
    "expand_video_tokens",
    "load_image",
    "mm_token_type_ids",
    "timestamp_text",
]

IMAGE_PAD_ID = 151655
"""``<|image_pad|>`` in the Qwen2 / Qwen2.5 / Qwen3 vocabularies."""
VISION_START_ID = 151652
"""``<|vision_start|>``, which precedes every image block."""
PAD_ID = 151643
"""``<|endoftext|>``, the Qwen tokenizers' padding token."""
IGNORE_INDEX = -100
"""The label that cross-entropy skips (``torch.nn.CrossEntropyLoss`` default)."""

Decoder = Union[str, Callable[[bytes], Any]]
_DECODERS = ("dynres", "pillow")


def decode_pillow(data: bytes) -> np.ndarray:
    """Decodes with Pillow: ``np.asarray(Image.open(data).convert("RGB"))``.

    Use it where pixels must equal a Pillow-decoded training set bit for bit (JPEGs
    decoded by :func:`dynres_fast.io.decode` may differ by a few levels).
    """
    from PIL import Image

    with Image.open(BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def _decoder(decode: Decoder) -> Callable[[bytes], Any]:
    if callable(decode):
        return decode
    if decode == "dynres":
        return io.decode
    if decode == "pillow":
        return decode_pillow
    raise DynresError(f"decode must be one of {', '.join(_DECODERS)} or a callable, got {decode!r}")


def load_image(item: Any, decode: Decoder = "dynres") -> Any:
    """One image of a sample, ready for :class:`~dynres_fast.qwen2vl.ImageProcessor`.

    Encoded bytes and file paths are decoded with ``decode`` (``"dynres"``: the Rust
    decoder, GIL released; ``"pillow"``: :func:`decode_pillow`; or any callable taking
    ``bytes``). Arrays and PIL images are returned unchanged.

    Raises:
        TypeError: any other type.
        InvalidImageError: bytes that do not decode.
    """
    if isinstance(item, (bytes, bytearray, memoryview)):
        return _decoder(decode)(bytes(item))
    if isinstance(item, (str, os.PathLike)):
        return _decoder(decode)(io.read_file(item, "image path"))
    if isinstance(item, np.ndarray) or type(item).__module__.startswith("PIL."):
        return item
    raise TypeError(
        "an image must be encoded bytes, a file path, a uint8 numpy array or a PIL image, "
        f"got {type(item).__name__}"
    )


def _ids(name: str, value: Any) -> np.ndarray:
    arr = as_int64_array(name, value)
    if arr.ndim != 1:
        raise DynresError(f"{name} must be 1-D (one sample's tokens), got shape {arr.shape}")
    return arr


def expand_image_tokens(
    input_ids: Any,
    tokens_per_image: Any,
    *,
    labels: Any = None,
    image_token_id: int = IMAGE_PAD_ID,
    ignore_index: int = IGNORE_INDEX,
) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Repeats the ``i``-th ``image_token_id`` of ``input_ids`` ``tokens_per_image[i]`` times.

    This is ``Qwen2VLProcessor``'s text expansion, done on token ids. ``labels`` (same
    length as ``input_ids``) are expanded alike, with ``ignore_index`` on every image
    token.

    Returns:
        ``(input_ids, labels)`` as int64 arrays (``labels`` is ``None`` if not given).

    Raises:
        GridMismatchError: the number of image tokens differs from ``len(tokens_per_image)``
            (for instance a prompt that is already expanded).
        DynresError: ``labels`` of another length, negative counts, non-1-D input, an
            expansion past :data:`MAX_BATCH_LENGTH` tokens.
        TypeError: non-integer ids or counts.
    """
    ids = _ids("input_ids", input_ids)
    counts = as_int64_array("tokens_per_image", tokens_per_image, ndim=1)
    pad = as_int("image_token_id", image_token_id, minimum=-(2**63))
    where = np.flatnonzero(ids == pad)
    if where.size != counts.size:
        raise GridMismatchError(
            f"input_ids hold {where.size} image tokens ({pad}) but there are {counts.size} "
            "images; give one unexpanded image token per image, in image order"
        )
    if counts.size and counts.min() < 1:
        raise DynresError(f"tokens_per_image must be >= 1, got {counts.min()}")
    expanded = ids.size - counts.size + sum(counts.tolist())
    if expanded > MAX_BATCH_LENGTH:
        raise DynresError(
            f"tokens_per_image expand input_ids to {expanded} tokens, over the limit of "
            f"{MAX_BATCH_LENGTH} (MAX_BATCH_LENGTH)"
        )
    repeats = np.ones(ids.size, np.int64)
    repeats[where] = counts
    out_ids = np.repeat(ids, repeats)
    if labels is None:
        return out_ids, None
    lab = _ids("labels", labels)
    if lab.size != ids.size:
        raise DynresError(f"labels have {lab.size} tokens but input_ids have {ids.size}")
    out_labels = np.repeat(lab, repeats)
    out_labels[out_ids == pad] = as_int("ignore_index", ignore_index, minimum=-(2**63))
    return out_ids, out_labels


def encode_sample(
    sample: Mapping[str, Any],
    processor: ImageProcessor,
    *,
    image_token_id: int = IMAGE_PAD_ID,
    ignore_index: int = IGNORE_INDEX,
    decode: Decoder = "dynres",
    video_processor: Optional[VideoProcessor] = None,
    tokenize: Optional[Callable[[str], Any]] = None,
    video_layout: str = "transformers5",
    video_token_id: int = VIDEO_PAD_ID,
    threads: Optional[int] = None,
) -> Dict[str, np.ndarray]:
    """One sample (module docstring) → its features, with one processor call for its
    images and one per video.

    Args:
        video_processor, tokenize, video_layout: how ``"videos"`` are processed and
            written into the prompt (:func:`expand_video_tokens`).
        threads: decoder threads for video files.

    Returns:
        ``pixel_values`` ``(Σ t·h·w, 3·tp·p·p)`` (``(0, …)`` without images),
        ``image_grid_thw`` ``(n, 3)`` int64, ``input_ids`` ``(L,)`` int64 expanded,
        ``mm_token_type_ids`` ``(L,)`` int64 (0 text, 1 image, 2 video), ``labels``
        ``(L,)`` int64 when the sample has labels, and with videos
        ``pixel_values_videos``, ``video_grid_thw`` and ``second_per_grid_ts``
        (float64, one per video).

    Raises:
        DynresError: a missing ``input_ids``, a bad image (the message names it), and
            the errors of :func:`expand_image_tokens`.
        TypeError: a sample that is not a mapping, ``images`` that is not a list, a
            ``processor`` that is not a :class:`dynres_fast.qwen2vl.ImageProcessor`.
    """
    if not isinstance(processor, ImageProcessor):
        raise TypeError(
            "processor must be a dynres_fast.qwen2vl.ImageProcessor (these batches are "
            "Qwen-VL's: image pad tokens expanded by image_grid_thw), got "
            f"{type(processor).__name__}"
        )
    if not isinstance(sample, Mapping):
        raise TypeError(f"a sample must be a mapping (dict), got {type(sample).__name__}")
    if "input_ids" not in sample:
        raise DynresError(f"a sample needs 'input_ids'; it has keys {sorted(sample)}")
    if "image" in sample and "images" not in sample:
        raise DynresError("a sample's images go under 'images' (a list), not 'image'")
    items = sample.get("images")
    if items is None:
        items = []
    if not isinstance(items, (list, tuple)):
        raise TypeError(f"'images' must be a list, got {type(items).__name__}")
    images = []
    for i, item in enumerate(items):
        try:
            images.append(load_image(item, decode))
        except (DynresError, TypeError, OSError) as e:
            raise type(e)(f"image {i}: {e}") from None
    out = processor(images)
    grid = out["image_grid_thw"]
    tokens = grid.prod(axis=1) // processor.merge_size**2
    ids, labels = expand_image_tokens(
        sample["input_ids"],
        tokens,
        labels=sample.get("labels"),
        image_token_id=image_token_id,
        ignore_index=ignore_index,
    )
    features = {"pixel_values": out["pixel_values"], "image_grid_thw": grid, "input_ids": ids}
    videos = sample.get("videos")
    if videos is not None:
        if not isinstance(videos, (list, tuple)):
            raise TypeError(f"'videos' must be a list, got {type(videos).__name__}")
        if videos:
            if not isinstance(video_processor, VideoProcessor):
                raise DynresError(
                    "a sample with videos needs video_processor= (a qwen2vl.VideoProcessor)"
                )
            vout = _encode_videos(videos, video_processor, threads)
            qwen3 = video_processor.budget == "clip"
            ids, labels = expand_video_tokens(
                ids,
                vout["video_grid_thw"],
                merge_size=video_processor.merge_size,
                grid_timestamps=vout["grid_timestamps"] if qwen3 else None,
                tokenize=tokenize,
                layout=video_layout,
                labels=labels,
                video_token_id=video_token_id,
                ignore_index=ignore_index,
            )
            features["input_ids"] = ids
            for key in ("pixel_values_videos", "video_grid_thw", "second_per_grid_ts"):
                features[key] = vout[key]
    features["mm_token_type_ids"] = mm_token_type_ids(
        features["input_ids"], image_token_id=image_token_id, video_token_id=video_token_id
    )
    if labels is not None:
        features["labels"] = labels
    return features


def _is_video_file(item: Any) -> bool:
    return isinstance(item, (str, os.PathLike, bytes, bytearray, memoryview)) or hasattr(
        item, "read"
    )


def _encode_videos(
    videos: Sequence[Any], proc: VideoProcessor, threads: Optional[int]
) -> Dict[str, Any]:
    """Each video through ``proc`` (``from_file`` for files), outputs concatenated."""
    outs = []
    for i, item in enumerate(videos):
        try:
            outs.append(
                proc.from_file(item, threads=threads) if _is_video_file(item) else proc(item)
            )
        except (DynresError, TypeError, OSError) as e:
            raise type(e)(f"video {i}: {e}") from None
        if len(outs[-1]["video_grid_thw"]) != 1:
            raise DynresError(
                f"video {i}: expected one video, got {len(outs[-1]['video_grid_thw'])}"
            )
    return {
        "pixel_values_videos": _concat_rows([o["pixel_values_videos"] for o in outs]),
        "video_grid_thw": np.concatenate([o["video_grid_thw"] for o in outs]),
        "second_per_grid_ts": np.concatenate([o["second_per_grid_ts"] for o in outs]),
        "grid_timestamps": [o["grid_timestamps"][0] for o in outs],
    }


def collate_features(
    features: Sequence[Mapping[str, np.ndarray]],
    *,
    pad_token_id: int = PAD_ID,
    ignore_index: int = IGNORE_INDEX,
    pad_to_multiple_of: Optional[int] = None,
    convention: str = "qwen",
    spatial_merge_size: int = 2,
    image_token_id: int = IMAGE_PAD_ID,
    vision_start_token_id: int = VISION_START_ID,
    video_token_id: int = VIDEO_PAD_ID,
    split_video_frames: bool = False,
    tokens_per_second: Optional[int] = None,
) -> Dict[str, np.ndarray]:
    """Features of several samples (:func:`encode_sample`) → one right-padded batch.

    For videos, ``split_video_frames=True`` is Qwen3-VL (one block per temporal patch,
    as its processor writes them; use ``convention="transformers5"`` for 5.x's
    ``get_rope_index``) and ``tokens_per_second`` Qwen2.5-VL's time scaling with the
    samples' ``second_per_grid_ts`` (:func:`dynres_fast.rope.mrope_position_ids`).

    Returns a dict of NumPy arrays:

    - ``input_ids`` ``(B, L)`` int64, padded with ``pad_token_id``;
    - ``attention_mask`` ``(B, L)`` int64, 1 on real tokens;
    - ``labels`` ``(B, L)`` int64, padded with ``ignore_index`` (only if every sample
      has labels);
    - ``position_ids`` ``(3, B, L)`` and ``rope_deltas`` ``(B, 1)`` int64:
      :func:`dynres_fast.rope.mrope_position_ids` under ``convention``;
    - ``pixel_values`` (rows concatenated in sample order) and ``image_grid_thw``
      ``(n, 3)`` — left out when no sample has an image, as ``Qwen2VLProcessor`` does;
      likewise ``pixel_values_videos``, ``video_grid_thw`` and ``second_per_grid_ts``
      for videos;
    - ``mm_token_type_ids`` ``(B, L)`` int64 (0 text and padding, 1 image, 2 video).

    ``L`` is the longest sample, rounded up to ``pad_to_multiple_of`` if given, at most
    :data:`MAX_BATCH_LENGTH`.

    Raises:
        DynresError: an empty list, a padded length over :data:`MAX_BATCH_LENGTH`,
            features of mixed kinds (some with labels, some without; pixel rows of
            different widths or dtypes), bad options.
        GridMismatchError: image tokens that disagree with the grids.
        TypeError: a feature that is not a mapping with ``input_ids``.
    """
    if not isinstance(features, (list, tuple)) or not features:
        raise DynresError("collate needs a non-empty list of features")
    for i, f in enumerate(features):
        if not isinstance(f, Mapping) or "input_ids" not in f:
            raise TypeError(
                f"features[{i}] must be a mapping with 'input_ids' (what encode_sample "
                f"returns), got {type(f).__name__}"
            )
    ids = [_ids(f"features[{i}]['input_ids']", f["input_ids"]) for i, f in enumerate(features)]
    with_labels = ["labels" in f for f in features]
    if any(with_labels) and not all(with_labels):
        raise DynresError("some samples have labels and some do not; give labels to all or none")
    length = max(a.size for a in ids)
    if pad_to_multiple_of is not None:
        m = as_int("pad_to_multiple_of", pad_to_multiple_of, maximum=MAX_BATCH_LENGTH)
        length = -(-length // m) * m
    if length > MAX_BATCH_LENGTH:
        raise DynresError(
            f"the padded batch length {length} (longest sample, rounded up to "
            f"pad_to_multiple_of) is over the limit of {MAX_BATCH_LENGTH} tokens"
        )
    pad = as_int("pad_token_id", pad_token_id, minimum=-(2**63))
    batch_ids = np.full((len(ids), length), pad, np.int64)
    mask = np.zeros((len(ids), length), np.int64)
    for row, a in enumerate(ids):
        batch_ids[row, : a.size] = a
        mask[row, : a.size] = 1
    batch: Dict[str, np.ndarray] = {"input_ids": batch_ids, "attention_mask": mask}
    if all(with_labels):
        fill = as_int("ignore_index", ignore_index, minimum=-(2**63))
        labels = np.full(batch_ids.shape, fill, np.int64)
        for row, f in enumerate(features):
            lab = _ids(f"features[{row}]['labels']", f["labels"])
            if lab.size != ids[row].size:
                raise DynresError(
                    f"features[{row}] has {lab.size} labels but {ids[row].size} input_ids"
                )
            labels[row, : lab.size] = lab
        batch["labels"] = labels
    grid = _grids(features, "image_grid_thw")
    vgrid = _grids(features, "video_grid_thw")
    seconds = np.concatenate(
        [np.asarray(f.get("second_per_grid_ts", np.zeros(0)), np.float64) for f in features]
    )
    batch["position_ids"], batch["rope_deltas"] = rope.mrope_position_ids(
        batch_ids,
        grid if grid.size else None,
        vgrid if vgrid.size else None,
        mask,
        spatial_merge_size=spatial_merge_size,
        image_token_id=image_token_id,
        video_token_id=video_token_id,
        vision_start_token_id=vision_start_token_id,
        second_per_grid_ts=seconds.tolist()
        if tokens_per_second is not None and vgrid.size
        else None,
        tokens_per_second=tokens_per_second,
        convention=convention,
        split_video_frames=split_video_frames,
    )
    batch["mm_token_type_ids"] = mm_token_type_ids(
        batch_ids, image_token_id=image_token_id, video_token_id=video_token_id
    )
    if grid.size:
        batch["pixel_values"] = _concat_rows([f["pixel_values"] for f in features])
        batch["image_grid_thw"] = grid
    if vgrid.size:
        batch["pixel_values_videos"] = _concat_rows(
            [f["pixel_values_videos"] for f in features if "pixel_values_videos" in f]
        )
        batch["video_grid_thw"] = vgrid
        batch["second_per_grid_ts"] = seconds
    return batch


def _grids(features: Sequence[Mapping[str, np.ndarray]], key: str) -> np.ndarray:
    parts = [np.asarray(f.get(key, np.zeros((0, 3), np.int64))).reshape(-1, 3) for f in features]
    return np.concatenate(parts).astype(np.int64, copy=False)


def _concat_rows(parts: List[np.ndarray]) -> np.ndarray:
    shapes = {p.shape[1:] for p in parts}
    dtypes = {p.dtype for p in parts}
    if len(shapes) != 1 or len(dtypes) != 1:
        raise DynresError(
            "pixel_values of these samples cannot be concatenated: row shapes "
            f"{sorted(map(str, shapes))}, dtypes {sorted(map(str, dtypes))}; use one processor"
        )
    return np.concatenate(parts)
