"""The one place where the transformers drop-in classes call into the family modules.

Everything here is NumPy in, NumPy out and knows nothing about transformers: ``_hf_settings``
turns upstream's resolved kwargs into a :class:`QwenSettings` or :class:`TileSettings`, and
``_hf_classes`` hands over channels-last uint8 RGB arrays. Family processors are built once
per distinct setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import internvl, pixtral, qwen2vl
from . import llava_onevision as ov
from .errors import DynresError

__all__ = [
    "QwenSettings",
    "TileSettings",
    "internvl_images",
    "internvl_videos",
    "LlavaSettings",
    "llava_images",
    "llava_videos",
    "PixtralSettings",
    "pixtral_images",
    "QwenVideoSettings",
    "qwen_images",
    "qwen_videos",
]

Triple = Tuple[float, float, float]
Arrays = Dict[str, np.ndarray]


@dataclass(frozen=True)
class QwenSettings:
    """What a Qwen2-VL-style image or video call depends on (hashable: a cache key)."""

    min_pixels: float
    max_pixels: float
    patch_size: int
    temporal_patch_size: int
    merge_size: int
    image_mean: Triple
    image_std: Triple
    resample: Union[str, int]
    compat: str


@dataclass(frozen=True)
class QwenVideoSettings:
    """A Qwen2-VL / Qwen3-VL video call: the shared settings plus the budget rule."""

    qwen: QwenSettings
    budget: str  # "frame" (Qwen2-VL) or "clip" (Qwen3-VL)
    cap_pixels_per_frame: Optional[bool]
    max_video_tokens: int


@dataclass(frozen=True)
class TileSettings:
    """What an InternVL (GotOcr2) tile call depends on."""

    image_size: int
    min_num: int
    max_num: int
    image_mean: Triple
    image_std: Triple
    resample: Union[str, int]
    compat: str


@dataclass(frozen=True)
class LlavaSettings:
    """What a LLaVA-OneVision image call depends on (square crops of ``crop_size``)."""

    pinpoints: Tuple[Tuple[int, int], ...]
    crop_size: int
    image_mean: Triple
    image_std: Triple
    resample: Union[str, int]
    compat: str
    pad: bool


@dataclass(frozen=True)
class PixtralSettings:
    """What a Pixtral image call depends on (square token unit ``patch_size``)."""

    longest_edge: int
    patch_size: int
    image_mean: Triple
    image_std: Triple
    resample: Union[str, int]
    compat: str
    pad: bool


def _qwen_kwargs(s: QwenSettings) -> Dict[str, Any]:
    """The keywords qwen2vl's image and video processors share."""
    return dict(
        min_pixels=s.min_pixels,
        max_pixels=s.max_pixels,
        patch_size=s.patch_size,
        temporal_patch_size=s.temporal_patch_size,
        merge_size=s.merge_size,
        image_mean=s.image_mean,
        image_std=s.image_std,
        resample=s.resample,
        compat=s.compat,
    )


@lru_cache(maxsize=32)
def _qwen(s: QwenSettings) -> qwen2vl.ImageProcessor:
    return qwen2vl.ImageProcessor(**_qwen_kwargs(s))


@lru_cache(maxsize=32)
def _qwen_video(s: QwenVideoSettings) -> qwen2vl.VideoProcessor:
    return qwen2vl.VideoProcessor(
        **_qwen_kwargs(s.qwen),
        budget=s.budget,
        cap_pixels_per_frame=s.cap_pixels_per_frame,
        max_video_tokens=s.max_video_tokens,
    )


@lru_cache(maxsize=32)
def _internvl(s: TileSettings) -> internvl.ImageProcessor:
    return internvl.ImageProcessor(
        image_size=s.image_size,
        min_num=s.min_num,
        max_num=s.max_num,
        image_mean=s.image_mean,
        image_std=s.image_std,
        reference="transformers",  # GotOcr2's candidate grid order
        compat=s.compat,
        resample=s.resample,
    )


def qwen_images(settings: QwenSettings, images: Sequence[np.ndarray]) -> Arrays:
    """``pixel_values`` (float32) and ``image_grid_thw`` (int64)."""
    return _qwen(settings)(list(images))


def qwen_videos(settings: QwenVideoSettings, videos: Sequence[np.ndarray]) -> Arrays:
    """``pixel_values_videos`` (float32) and ``video_grid_thw`` (int64) of already sampled
    videos, under the per-frame (Qwen2-VL) or whole-clip (Qwen3-VL) budget."""
    out = _qwen_video(settings)(list(videos), do_sample_frames=False)
    return {k: out[k] for k in ("pixel_values_videos", "video_grid_thw")}


def internvl_images(settings: TileSettings, images: Sequence[np.ndarray]) -> Arrays:
    """``pixel_values`` ``(Σ tiles, 3, S, S)`` float32 and ``num_patches`` (int64)."""
    return _internvl(settings)(list(images))


def internvl_videos(settings: TileSettings, videos: Sequence[np.ndarray]) -> List[np.ndarray]:
    """One ``(T, 3, S, S)`` float32 array per video, every frame squashed to ``S × S``."""
    return list(_internvl(settings).videos(list(videos))["pixel_values_videos"])


@lru_cache(maxsize=32)
def _llava(s: LlavaSettings) -> ov.ImageProcessor:
    return ov.ImageProcessor(
        image_grid_pinpoints=s.pinpoints,
        crop_size=s.crop_size,
        image_mean=s.image_mean,
        image_std=s.image_std,
        compat=s.compat,
        resample=s.resample,
    )


def llava_images(
    settings: LlavaSettings, images: Sequence[np.ndarray], batch_num_images: Sequence[int]
) -> Dict[str, object]:
    """LLaVA-OneVision as its processor batches prompts: an image alone in its prompt gets
    anyres crops, the images of a multi-image prompt one padded square each.

    Returns ``pixel_values`` (one ``(crops, 3, S, S)`` array per image, zero-padded to
    the batch's most crops when ``settings.pad``), ``image_sizes`` (``(h, w)`` tuples) and
    ``batch_num_images``.
    """
    alone = [n == 1 for n in batch_num_images for _ in range(n)]
    if len(alone) != len(images):
        raise DynresError(f"batch_num_images {list(batch_num_images)} for {len(images)} images")
    proc = _llava(settings)
    solo = [i for i, a in enumerate(alone) if a]
    crops: List[np.ndarray] = [np.empty(0)] * len(images)
    if solo:
        values = proc([images[i] for i in solo])["pixel_values"]
        for j, i in enumerate(solo):
            h, w = images[i].shape[:2]
            crops[i] = values[j, : proc.plan(h, w).num_crops]
    if len(solo) < len(images):
        multi = [i for i, a in enumerate(alone) if not a]
        values = proc.multi_image([images[i] for i in multi])["pixel_values"]
        for j, i in enumerate(multi):
            crops[i] = values[j]
    if settings.pad:
        crops = _pad_crops(crops)
    return {
        "pixel_values": crops,
        "image_sizes": [(int(a.shape[0]), int(a.shape[1])) for a in images],
        "batch_num_images": list(batch_num_images),
    }


def _pad_crops(crops: List[np.ndarray]) -> List[np.ndarray]:
    """Zero-pads every image's crops to the largest count (views when none is short)."""
    most = max(len(c) for c in crops)
    if all(len(c) == most for c in crops):
        return crops
    out = np.zeros((len(crops), most) + crops[0].shape[1:], crops[0].dtype)
    for i, c in enumerate(crops):
        out[i, : len(c)] = c
    return list(out)


def llava_videos(settings: TileSettings, videos: Sequence[np.ndarray]) -> List[np.ndarray]:
    """One ``(T, 3, 384, 384)`` float32 array per video (frames squashed to 384²)."""
    if settings.image_size != ov.CROP_SIZE:
        raise DynresError(f"LLaVA-OneVision frames are {ov.CROP_SIZE} pixels square")
    pinpoints = tuple((int(a), int(b)) for a, b in ov.ANYRES_MAX_9)  # unused by videos
    s = settings
    frames = LlavaSettings(
        pinpoints, ov.CROP_SIZE, s.image_mean, s.image_std, s.resample, s.compat, False
    )
    proc = _llava(frames)
    return list(proc.videos(list(videos))["pixel_values_videos"])


@lru_cache(maxsize=32)
def _pixtral(s: PixtralSettings) -> pixtral.ImageProcessor:
    return pixtral.ImageProcessor(
        longest_edge=s.longest_edge,
        patch_size=s.patch_size,
        do_pad=s.pad,
        image_mean=s.image_mean,
        image_std=s.image_std,
        resample=s.resample,
        compat=s.compat,
    )


def pixtral_images(settings: PixtralSettings, images: Sequence[np.ndarray]) -> Dict[str, object]:
    """``pixel_values`` (float32 ``(n, 3, H, W)`` zero-padded to the largest image when
    ``settings.pad``, else one ``(3, h, w)`` array per image) and ``image_sizes`` (resized
    ``(h, w)`` tuples of ints)."""
    out = _pixtral(settings)(list(images))
    sizes = [(int(h), int(w)) for h, w in out["image_sizes"].tolist()]
    return {"pixel_values": out["pixel_values"], "image_sizes": sizes}
