"""Qwen2-VL / Qwen2.5-VL / Qwen3-VL: resolution choice, frame sampling and budgets.

``smart_resize`` reproduces transformers 4.57.6
(``transformers.models.qwen2_vl.image_processing_qwen2_vl.smart_resize``) exactly; frame
sampling and per-frame budgets reproduce qwen-vl-utils 0.0.14.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from . import _core
from ._coerce import as_int, as_int64_array, as_number

__all__ = [
    "OPENAI_CLIP_MEAN",
    "OPENAI_CLIP_STD",
    "sample_frames",
    "smart_resize",
    "smart_resize_many",
    "video_budget",
    "video_smart_resize",
]

OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

_RULES = ("transformers", "qwen_vl_utils")


def _budget(factor: Any, min_pixels: Any, max_pixels: Any) -> tuple[int, float, float]:
    return (
        as_int("factor", factor),
        as_number("min_pixels", min_pixels),
        as_number("max_pixels", max_pixels),
    )


def smart_resize(
    height: int,
    width: int,
    *,
    factor: int = 28,
    min_pixels: float = 56 * 56,
    max_pixels: float = 28 * 28 * 1280,
    rule: str = "transformers",
) -> Tuple[int, int]:
    """The ``(height, width)`` Qwen2-VL resizes an image of this size to.

    Both sides are multiples of ``factor`` (28 for Qwen2/2.5-VL, 32 for Qwen3-VL) and the
    area lands in ``[min_pixels, max_pixels]`` where the reference manages it.

    Args:
        height, width: the input size in pixels.
        factor: patch_size * merge_size.
        min_pixels, max_pixels: the pixel budget (``size["shortest_edge"]`` and
            ``size["longest_edge"]`` in a ``preprocessor_config.json``).
        rule: ``"transformers"`` (default) or ``"qwen_vl_utils"`` (0.0.14's variant, which
            clamps the first rounding and not the shrink).

    Raises:
        AspectRatioError: ``max(h, w) / min(h, w) > 200``.
        BudgetError: ``min_pixels > max_pixels`` or a zero-sided result.
        DynresError: non-positive or oversized sides.
        TypeError: non-integer sides.
    """
    h, w = as_int("height", height), as_int("width", width)
    return _core.smart_resize(h, w, *_budget(factor, min_pixels, max_pixels), rule)


def smart_resize_many(
    heights: Any,
    widths: Any,
    *,
    factor: int = 28,
    min_pixels: float = 56 * 56,
    max_pixels: float = 28 * 28 * 1280,
    rule: str = "transformers",
    errors: str = "raise",
) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`smart_resize` over arrays of sizes, vectorised in Rust (GIL released).

    Args:
        heights, widths: 1-D integer arrays of equal length.
        errors: ``"raise"`` (default) raises for the first row :func:`smart_resize` refuses,
            naming the row; ``"mask"`` writes ``-1`` in both outputs for such rows instead.

    Returns:
        Two int64 arrays: the resized heights and widths.
    """
    hs = as_int64_array("heights", heights, ndim=1)
    ws = as_int64_array("widths", widths, ndim=1)
    return _core.smart_resize_many(hs, ws, *_budget(factor, min_pixels, max_pixels), rule, errors)


def video_smart_resize(
    num_frames: int,
    height: int,
    width: int,
    *,
    temporal_factor: int = 2,
    factor: int = 32,
    min_pixels: float = 128 * 128,
    max_pixels: float = 16 * 16 * 2 * 2 * 2 * 6144,
) -> Tuple[int, int]:
    """Qwen3-VL's video ``smart_resize``: per-frame size under a whole-clip budget.

    Reproduces ``transformers.models.qwen3_vl.video_processing_qwen3_vl.smart_resize``:
    the budget bounds ``round(T / temporal_factor) * temporal_factor * h * w``.
    """
    return _core.video_smart_resize(
        as_int("num_frames", num_frames, minimum=0),
        as_int("height", height),
        as_int("width", width),
        as_int("temporal_factor", temporal_factor),
        *_budget(factor, min_pixels, max_pixels),
    )


def sample_frames(
    total_frames: int,
    video_fps: float,
    *,
    fps: float = 2.0,
    min_frames: float = 4,
    max_frames: Optional[float] = 768,
    nframes: Optional[float] = None,
) -> np.ndarray:
    """The frame indices qwen-vl-utils 0.0.14 samples from a clip (int64).

    ``nframes`` (if given) fixes the count, rounded half-to-even to a multiple of 2, and
    ``fps`` is ignored; otherwise ``total_frames / video_fps * fps`` frames, clamped to
    ``[min_frames, max_frames]`` (rounded to even) and the clip length. Indices are the
    float32 ``torch.linspace(0, total_frames - 1, n)`` rounded half-to-even.

    Raises:
        DynresError: where qwen-vl-utils raises (a count outside ``[2, total_frames]``)
            and for non-positive rates.
    """
    return _core.sample_frames(
        as_int("total_frames", total_frames),
        as_number("video_fps", video_fps),
        as_number("fps", fps),
        as_number("min_frames", min_frames),
        None if max_frames is None else as_number("max_frames", max_frames),
        None if nframes is None else as_number("nframes", nframes),
    )


def video_budget(
    num_frames: int,
    height: int,
    width: int,
    *,
    image_patch_size: int = 14,
    min_pixels: Optional[float] = None,
    max_pixels: Optional[float] = None,
    total_pixels: Optional[float] = None,
    model_seq_len: float = 128000,
) -> Tuple[int, int]:
    """Per-frame ``(height, width)`` for ``num_frames`` sampled frames (qwen-vl-utils 0.0.14).

    The per-frame cap is ``max(min(768·f², total_pixels / num_frames · 2),
    int(min_pixels · 1.05))`` with ``f = 2 · image_patch_size``; ``max_pixels`` can only
    lower it. Defaults: ``min_pixels = 128·f²``, ``total_pixels = model_seq_len·f²·0.9``.
    """
    opt = [None if v is None else as_number(n, v) for n, v in
           (("min_pixels", min_pixels), ("max_pixels", max_pixels), ("total_pixels", total_pixels))]
    return _core.video_budget(
        as_int("num_frames", num_frames),
        as_int("height", height),
        as_int("width", width),
        as_int("image_patch_size", image_patch_size),
        *opt,
        as_number("model_seq_len", model_seq_len),
    )
