"""Reads transformers' resolved processor kwargs into the settings our kernels take.

Each reader returns None when the call selects something our kernels do not reproduce
exactly; the caller then runs upstream's implementation. Imports transformers and torch.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Dict, Optional, Tuple

import torch
from torchvision.transforms.v2 import functional as tvF
from transformers.image_processing_utils import get_size_dict
from transformers.image_utils import ChannelDimension, PILImageResampling
from transformers.utils import TensorType

from ._hf_adapter import (
    LlavaSettings,
    PixtralSettings,
    QwenSettings,
    QwenVideoSettings,
    TileSettings,
)

__all__ = ["llava", "pixtral", "qwen", "qwen_video", "square", "tiles"]

_RETURN_TENSORS = (None, "pt", "np", TensorType.PYTORCH, TensorType.NUMPY)
_TORCHVISION_FILTERS = {
    PILImageResampling.BILINEAR: "bilinear",
    PILImageResampling.BICUBIC: "bicubic",
    tvF.InterpolationMode.BILINEAR: "bilinear",
    tvF.InterpolationMode.BICUBIC: "bicubic",
}
_PILLOW_FILTERS = {f: f.name.lower() for f in PILImageResampling}
Normalise = Tuple[str, Tuple[float, float, float], Tuple[float, float, float]]


def _filter(resample: Any, compat: str) -> Optional[str]:
    """Our name for upstream's ``resample``, or None where the backend's filter is not ours."""
    table: Dict[Any, str] = _TORCHVISION_FILTERS if compat == "torchvision" else _PILLOW_FILTERS
    try:
        return table.get(resample)
    except TypeError:  # unhashable
        return None


def _triple(value: Any) -> Optional[Tuple[float, float, float]]:
    if isinstance(value, (int, float)):
        return (float(value),) * 3
    if isinstance(value, (tuple, list)) and len(value) == 3:
        return (float(value[0]), float(value[1]), float(value[2]))
    return None


def _normalise(kw: Dict[str, Any], compat: str) -> Optional[Normalise]:
    """(filter, mean, std) when resize + rescale by 1/255 + normalise on the CPU is asked for,
    with outputs in a format our kernels write; else None."""
    resample = _filter(kw.get("resample"), compat)
    mean, std = _triple(kw.get("image_mean")), _triple(kw.get("image_std"))
    device = kw.get("device")
    if (
        not (kw.get("do_resize") and kw.get("do_rescale") and kw.get("do_normalize"))
        or kw.get("rescale_factor") != 1 / 255
        or resample is None
        or mean is None
        or std is None
        or (device is not None and torch.device(device).type != "cpu")
        or kw.get("return_tensors") not in _RETURN_TENSORS
        or kw.get("data_format") not in (None, ChannelDimension.FIRST)
    ):
        return None
    return resample, mean, std


def _count(value: Any) -> Optional[int]:
    """``value`` as an int when it is a whole number (``4`` or ``4.0``), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    f = float(value)
    return int(f) if math.isfinite(f) and f.is_integer() else None


_QWEN_COUNTS = ("patch_size", "temporal_patch_size", "merge_size")


def qwen(kw: Dict[str, Any], compat: str, proc: Any = None) -> Optional[QwenSettings]:
    """Qwen2-VL images and videos: a ``shortest_edge`` / ``longest_edge`` pixel budget."""
    base, size = _normalise(kw, compat), kw.get("size")
    if base is None or size is None or not size.shortest_edge or not size.longest_edge:
        return None
    patch, temporal, merge = (_count(kw.get(k)) for k in _QWEN_COUNTS)
    if patch is None or temporal is None or merge is None:
        return None  # not whole numbers: upstream decides (its result or its error)
    return QwenSettings(
        min_pixels=size.shortest_edge,
        max_pixels=size.longest_edge,
        patch_size=patch,
        temporal_patch_size=temporal,
        merge_size=merge,
        image_mean=base[1],
        image_std=base[2],
        resample=base[0],
        compat=compat,
    )


def _side(kw: Dict[str, Any]) -> Optional[int]:
    size = kw.get("size")
    if size is None or not size.height or size.height != size.width:
        return None
    return int(size.height)


def tiles(kw: Dict[str, Any], compat: str, proc: Any = None) -> Optional[TileSettings]:
    """GotOcr2 (InternVL) images: square tiles of ``size``, ``crop_to_patches`` grids."""
    base, side = _normalise(kw, compat), _side(kw)
    if base is None or side is None:
        return None
    crop = bool(kw.get("crop_to_patches"))
    lo, hi = (_count(kw.get("min_patches")), _count(kw.get("max_patches"))) if crop else (1, 1)
    if lo is None or hi is None:
        return None  # not whole numbers: upstream decides (its result or its error)
    return TileSettings(
        image_size=side,
        min_num=lo,
        max_num=hi,
        image_mean=base[1],
        image_std=base[2],
        resample=base[0],
        compat=compat,
    )


def square(kw: Dict[str, Any], compat: str, proc: Any = None) -> Optional[TileSettings]:
    """InternVL videos: every frame squashed to one square ``size`` tile."""
    base, side = _normalise(kw, compat), _side(kw)
    if base is None or side is None or kw.get("do_center_crop"):
        return None
    return TileSettings(side, 1, 1, base[1], base[2], base[0], compat)


def qwen_video(kw: Dict[str, Any], compat: str, proc: Any = None) -> Optional[QwenVideoSettings]:
    """Qwen2-VL / Qwen3-VL videos: as :func:`qwen`, with the class's budget rule
    (``proc._dynres_budget``) and upstream's per-frame cap (whose token budget upstream takes
    from the instance, not the call)."""
    base = qwen(kw, compat)
    if base is None or proc is None:
        return None
    cap, tokens = kw.get("cap_pixels_per_frame"), _count(proc.max_video_tokens)
    if tokens is None:
        return None
    return QwenVideoSettings(base, proc._dynres_budget, None if cap is None else bool(cap), tokens)


def llava(kw: Dict[str, Any], compat: str, proc: Any = None) -> Optional[LlavaSettings]:
    """LLaVA-OneVision images: square ``size`` crops over ``image_grid_pinpoints``. The
    padding colour of multi-image prompts is upstream's instance ``image_mean``, so a
    call-time ``image_mean`` different from it runs upstream; so does a ``crop_size`` (the
    cutting side) other than ``size`` (the side every crop is resized to)."""
    base, side = _normalise(kw, compat), _side(kw)
    crop = kw.get("crop_size")
    pinpoints = kw.get("image_grid_pinpoints")
    if (
        base is None
        or side is None
        or (crop is not None and crop.height not in (None, side))
        or kw.get("do_center_crop")
        or not isinstance(pinpoints, (list, tuple))
        or proc is None
        or _triple(proc.image_mean) != base[1]
    ):
        return None
    try:
        points = tuple((int(a), int(b)) for a, b in pinpoints)
    except (TypeError, ValueError, OverflowError):
        return None
    pad = bool(kw.get("do_pad"))
    return LlavaSettings(points, side, base[1], base[2], base[0], compat, pad)


def pixtral(kw: Dict[str, Any], compat: str, proc: Any = None) -> Optional[PixtralSettings]:
    """Pixtral images: a ``longest_edge`` bound and a square token unit ``patch_size`` (the
    call's, which ``PixtralProcessor`` sets to patch · merge, else the instance's)."""
    base, size = _normalise(kw, compat), kw.get("size")
    if base is None or size is None or not size.longest_edge or kw.get("do_center_crop"):
        return None
    patch = kw.get("patch_size") or (None if proc is None else proc.patch_size)
    try:
        unit = get_size_dict(patch, default_to_square=True)
    except (TypeError, ValueError):
        return None
    if not unit.get("height") or unit.get("height") != unit.get("width"):
        return None
    return PixtralSettings(
        int(size.longest_edge),
        int(unit["height"]),
        base[1],
        base[2],
        base[0],
        compat,
        bool(kw.get("do_pad")),
    )
