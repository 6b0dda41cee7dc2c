"""transformers 5.x processor classes backed by dynres_fast (imports transformers and torch).

Each class subclasses the upstream class of the same name, so it *is* that processor:
``from_pretrained``/``save_pretrained``, ``to_dict`` (the saved ``image_processor_type`` stays
upstream's name), the ``__call__`` signature, kwargs validation, frame sampling and metadata
all stay upstream's. Only the pixel work is replaced, and only when the call's resolved
settings are ones our kernels reproduce exactly; any other call (``do_resize=False``, a float
input, a CUDA ``device``, an unsupported filter, ``cap_pixels_per_frame=True``, ...) runs the
upstream implementation unchanged. Import through :mod:`dynres_fast.transformers`.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torchvision.transforms.v2 import functional as tvF
from transformers.image_processing_base import BatchFeature
from transformers.image_transforms import convert_to_rgb as pil_convert_to_rgb
from transformers.image_utils import ChannelDimension, PILImageResampling
from transformers.models.qwen2_vl import image_processing_pil_qwen2_vl as qwen2_pil
from transformers.models.qwen2_vl import image_processing_qwen2_vl as qwen2_tv
from transformers.models.qwen2_vl import video_processing_qwen2_vl as qwen2_video
from transformers.models.qwen3_vl import video_processing_qwen3_vl as qwen3_video
from transformers.utils import TensorType

from . import _hf_adapter
from ._hf_adapter import QwenSettings
from .errors import DynresError

__all__ = [
    "Qwen2VLImageProcessor",
    "Qwen2VLImageProcessorPil",
    "Qwen2VLVideoProcessor",
    "Qwen3VLVideoProcessor",
]

_MODULE = "dynres_fast.transformers"
_RETURN_TENSORS = (None, "pt", "np", TensorType.PYTORCH, TensorType.NUMPY)
_TORCHVISION_FILTERS = {
    PILImageResampling.BILINEAR: "bilinear",
    PILImageResampling.BICUBIC: "bicubic",
    tvF.InterpolationMode.BILINEAR: "bilinear",
    tvF.InterpolationMode.BICUBIC: "bicubic",
}
_PILLOW_FILTERS = {f: f.name.lower() for f in PILImageResampling}


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
        return tuple(float(v) for v in value)  # type: ignore[return-value]
    return None


def _qwen_settings(kw: Dict[str, Any], compat: str) -> Optional[QwenSettings]:
    """The settings of a call, or None when upstream must run it (see the module doc)."""
    size = kw.get("size")
    resample = _filter(kw.get("resample"), compat)
    mean, std = _triple(kw.get("image_mean")), _triple(kw.get("image_std"))
    device = kw.get("device")
    if (
        not (kw.get("do_resize") and kw.get("do_rescale") and kw.get("do_normalize"))
        or kw.get("rescale_factor") != 1 / 255
        or size is None
        or not size.shortest_edge
        or not size.longest_edge
        or resample is None
        or mean is None
        or std is None
        or (device is not None and torch.device(device).type != "cpu")
        or kw.get("return_tensors") not in _RETURN_TENSORS
        or kw.get("data_format") not in (None, ChannelDimension.FIRST)
    ):
        return None
    return QwenSettings(
        min_pixels=size.shortest_edge,
        max_pixels=size.longest_edge,
        patch_size=int(kw["patch_size"]),
        temporal_patch_size=int(kw["temporal_patch_size"]),
        merge_size=int(kw["merge_size"]),
        image_mean=mean,
        image_std=std,
        resample=resample,
        compat=compat,
    )


def _channels_last(image: Any) -> Optional[np.ndarray]:
    """A processed channels-first uint8 RGB image or video as a channels-last array."""
    if isinstance(image, torch.Tensor):
        if image.dtype != torch.uint8 or image.device.type != "cpu":
            return None
        image = image.numpy()
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.shape[-3] != 3:
        return None
    return np.moveaxis(image, -3, -1)


def _rgb_hwc(image: Any, do_convert_rgb: Any, input_data_format: Any) -> Optional[np.ndarray]:
    """The common inputs, converted as both backends convert them, without a CHW detour:
    PIL images (upstream's ``convert_to_rgb``, alpha composited onto white) and unambiguous
    ``(H, W, 3)`` uint8 arrays. None for anything else."""
    if type(image).__module__.startswith("PIL.") and do_convert_rgb:
        return pil_convert_to_rgb(image, return_numpy=True)
    if (
        isinstance(image, np.ndarray)
        and image.dtype == np.uint8
        and image.ndim == 3
        and image.shape[2] == 3
        and image.shape[0] not in (1, 3, 4)
        and input_data_format in (None, ChannelDimension.LAST, "channels_last")
    ):
        return image
    return None


class _DynresImages:
    """Mixin (first in the MRO) replacing the pixel work of an upstream image processor."""

    _dynres_compat: str
    _dynres_tensors: bool  # upstream returns torch tensors when return_tensors is None

    def _dynres_arrays(self, images: Any, kw: Dict[str, Any]) -> Optional[List[np.ndarray]]:
        flat = self._prepare_images_structure(images)  # type: ignore[attr-defined]
        arrays = []
        for image in flat:
            if isinstance(image, (list, tuple)):
                return None
            arr = _rgb_hwc(image, kw.get("do_convert_rgb"), kw.get("input_data_format"))
            if arr is None:
                arr = _channels_last(self.process_image(image, **kw))  # type: ignore[attr-defined]
            if arr is None:
                return None
            arrays.append(arr)
        return arrays

    def _preprocess_image_like_inputs(self, images: Any, *args: Any, **kwargs: Any) -> BatchFeature:
        settings = None if args else _qwen_settings(kwargs, self._dynres_compat)
        arrays = None if settings is None else self._dynres_arrays(images, kwargs)
        if settings is not None and arrays:
            try:
                values, grid = _hf_adapter.qwen_images(settings, arrays)
            except DynresError:
                pass  # upstream decides: its own result or its own error
            else:
                data = {"pixel_values": values, "image_grid_thw": grid}
                return _feature(data, kwargs.get("return_tensors"), self._dynres_tensors)
        return super()._preprocess_image_like_inputs(images, *args, **kwargs)  # type: ignore[misc]


class _DynresVideos:
    """Mixin (first in the MRO) replacing the pixel work of an upstream video processor."""

    _dynres_run: Callable[[QwenSettings, Sequence[np.ndarray]], Tuple[np.ndarray, np.ndarray]]

    def _preprocess(self, videos: List[Any], **kwargs: Any) -> BatchFeature:
        settings = _qwen_settings(kwargs, "torchvision")
        arrays = [_channels_last(v) for v in videos]
        if settings is not None and videos and not kwargs.get("cap_pixels_per_frame"):
            if all(a is not None and a.ndim == 4 for a in arrays):
                try:
                    values, grid = type(self)._dynres_run(settings, arrays)  # type: ignore[arg-type]
                except DynresError:
                    pass
                else:
                    data = {"pixel_values_videos": values, "video_grid_thw": grid}
                    return _feature(data, kwargs.get("return_tensors"), True)
        return super()._preprocess(videos, **kwargs)  # type: ignore[misc]


def _feature(data: Dict[str, np.ndarray], return_tensors: Any, tensors: bool) -> BatchFeature:
    if tensors:
        data = {k: torch.from_numpy(v) for k, v in data.items()}
    return BatchFeature(data=data, tensor_type=return_tensors)


class Qwen2VLImageProcessor(_DynresImages, qwen2_tv.Qwen2VLImageProcessor):
    """transformers' ``Qwen2VLImageProcessor`` (torchvision backend; Qwen2/2.5/3-VL images)
    with its pixels from dynres_fast ``compat="torchvision"``."""

    __module__ = _MODULE
    _dynres_compat = "torchvision"
    _dynres_tensors = True


class Qwen2VLImageProcessorPil(_DynresImages, qwen2_pil.Qwen2VLImageProcessorPil):
    """transformers' ``Qwen2VLImageProcessorPil`` with its pixels from dynres_fast
    ``compat="pillow"``."""

    __module__ = _MODULE
    _dynres_compat = "pillow"
    _dynres_tensors = False


class Qwen2VLVideoProcessor(_DynresVideos, qwen2_video.Qwen2VLVideoProcessor):
    """transformers' ``Qwen2VLVideoProcessor`` (Qwen2/2.5-VL) with its pixels from dynres_fast
    ``compat="torchvision"``; ``cap_pixels_per_frame=True`` runs upstream."""

    __module__ = _MODULE
    _dynres_run = staticmethod(_hf_adapter.qwen_videos)


class Qwen3VLVideoProcessor(_DynresVideos, qwen3_video.Qwen3VLVideoProcessor):
    """transformers' ``Qwen3VLVideoProcessor`` with its pixels from dynres_fast (whole-clip
    budget, ``compat="torchvision"``); ``cap_pixels_per_frame=True`` runs upstream."""

    __module__ = _MODULE
    _dynres_run = staticmethod(_hf_adapter.qwen_clip_videos)


#: model type -> {"torchvision": class, "pil": class} for AutoImageProcessor.
IMAGE_PROCESSORS: Dict[str, Dict[str, type]] = {
    model_type: {"torchvision": Qwen2VLImageProcessor, "pil": Qwen2VLImageProcessorPil}
    for model_type in ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "qwen3_vl_moe")
}
#: model type -> {"torchvision": class} for AutoVideoProcessor.
VIDEO_PROCESSORS: Dict[str, Dict[str, type]] = {
    "qwen2_vl": {"torchvision": Qwen2VLVideoProcessor},
    "qwen2_5_vl": {"torchvision": Qwen2VLVideoProcessor},
    "qwen3_vl": {"torchvision": Qwen3VLVideoProcessor},
    "qwen3_vl_moe": {"torchvision": Qwen3VLVideoProcessor},
}
