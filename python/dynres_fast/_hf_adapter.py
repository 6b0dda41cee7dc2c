"""The one place where the transformers drop-in classes call into the family modules.

Everything here is NumPy in, NumPy out and knows nothing about transformers: the classes in
``_hf_classes`` translate upstream's resolved kwargs into a :class:`QwenSettings` and hand
HWC uint8 arrays over. Family processors are built once per distinct setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import List, Sequence, Tuple, Union

import numpy as np

from . import _core, _lut, qwen2vl

__all__ = ["QwenSettings", "qwen_clip_videos", "qwen_images", "qwen_videos"]

Outputs = Tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class QwenSettings:
    """What a Qwen2-VL-style image or video call depends on (hashable: a cache key)."""

    min_pixels: float
    max_pixels: float
    patch_size: int
    temporal_patch_size: int
    merge_size: int
    image_mean: Tuple[float, float, float]
    image_std: Tuple[float, float, float]
    resample: Union[str, int]
    compat: str


@lru_cache(maxsize=32)
def _qwen(settings: QwenSettings) -> qwen2vl.ImageProcessor:
    return qwen2vl.ImageProcessor(
        min_pixels=settings.min_pixels,
        max_pixels=settings.max_pixels,
        patch_size=settings.patch_size,
        temporal_patch_size=settings.temporal_patch_size,
        merge_size=settings.merge_size,
        image_mean=settings.image_mean,
        image_std=settings.image_std,
        resample=settings.resample,
        compat=settings.compat,
    )


def qwen_images(settings: QwenSettings, images: Sequence[np.ndarray]) -> Outputs:
    """``pixel_values`` (float32) and ``image_grid_thw`` (int64) for HWC uint8 images."""
    out = _qwen(settings)(list(images))
    return out["pixel_values"], out["image_grid_thw"]


def qwen_videos(settings: QwenSettings, videos: Sequence[np.ndarray]) -> Outputs:
    """Qwen2-VL videos: every frame at its own size's ``smart_resize`` under the budget."""
    out = _qwen(settings).videos(list(videos))
    return out["pixel_values_videos"], out["video_grid_thw"]


def qwen_clip_videos(settings: QwenSettings, videos: Sequence[np.ndarray]) -> Outputs:
    """Qwen3-VL videos: one size per clip from the whole-clip budget
    (:func:`qwen2vl.video_smart_resize`), then the shared patch kernel.

    Temporary: the family has no processor for a given per-clip size yet (the
    ``VideoProcessor`` under way replaces this), so the kernel is called directly.
    """
    proc = _qwen(settings)
    arrays: List[np.ndarray] = [np.ascontiguousarray(v) for v in videos]
    sizes = [
        qwen2vl.video_smart_resize(
            len(v),
            v.shape[1],
            v.shape[2],
            temporal_factor=settings.temporal_patch_size,
            factor=proc.factor,
            min_pixels=settings.min_pixels,
            max_pixels=settings.max_pixels,
        )
        for v in arrays
    ]
    tp, p = settings.temporal_patch_size, settings.patch_size
    rows = sum(-(-len(v) // tp) * (h // p) * (w // p) for v, (h, w) in zip(arrays, sizes))
    buf = np.empty((rows, 3 * tp * p * p), proc._storage)
    grid = _core.qwen2vl_pixel_values(
        arrays, sizes, p, tp, settings.merge_size, proc.resample, proc.compat, proc._table, buf
    )
    return _lut.present(buf, proc.dtype), grid
