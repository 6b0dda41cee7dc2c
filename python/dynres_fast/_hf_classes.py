"""transformers 5.x processor classes backed by dynres_fast (imports transformers and torch).

Each class subclasses the upstream class of the same name, so it *is* that processor:
``from_pretrained``/``save_pretrained``, ``to_dict`` (the saved ``image_processor_type`` stays
upstream's name), the ``__call__`` signature, kwargs validation, frame sampling and metadata
all stay upstream's. Only the pixel work is replaced, and only when the call's resolved
settings are ones our kernels reproduce exactly (``_hf_settings``); any other call runs the
upstream implementation unchanged. Import through :mod:`dynres_fast.transformers`.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

import numpy as np
import torch
from transformers.image_processing_base import BatchFeature
from transformers.image_transforms import convert_to_rgb as pil_convert_to_rgb
from transformers.image_utils import ChannelDimension
from transformers.models.got_ocr2 import image_processing_got_ocr2 as got_tv
from transformers.models.got_ocr2 import image_processing_pil_got_ocr2 as got_pil
from transformers.models.internvl import video_processing_internvl as internvl_video
from transformers.models.llava_onevision import image_processing_llava_onevision as ov_tv
from transformers.models.llava_onevision import image_processing_pil_llava_onevision as ov_pil
from transformers.models.llava_onevision import video_processing_llava_onevision as ov_video
from transformers.models.pixtral import image_processing_pil_pixtral as pixtral_pil
from transformers.models.pixtral import image_processing_pixtral as pixtral_tv
from transformers.models.qwen2_vl import image_processing_pil_qwen2_vl as qwen2_pil
from transformers.models.qwen2_vl import image_processing_qwen2_vl as qwen2_tv
from transformers.models.qwen2_vl import video_processing_qwen2_vl as qwen2_video
from transformers.models.qwen3_vl import video_processing_qwen3_vl as qwen3_video

from . import _hf_adapter, _hf_settings
from .errors import DynresError

__all__ = [
    "GotOcr2ImageProcessor",
    "GotOcr2ImageProcessorPil",
    "IMAGE_PROCESSORS",
    "InternVLVideoProcessor",
    "LlavaOnevisionImageProcessor",
    "LlavaOnevisionImageProcessorPil",
    "LlavaOnevisionVideoProcessor",
    "PixtralImageProcessor",
    "PixtralImageProcessorPil",
    "Qwen2VLImageProcessor",
    "Qwen2VLImageProcessorPil",
    "Qwen2VLVideoProcessor",
    "Qwen3VLVideoProcessor",
    "VIDEO_PROCESSORS",
]

_MODULE = "dynres_fast.transformers"
Data = Dict[str, Any]


def _channels_last(image: Any) -> Optional[np.ndarray]:
    """A processed channels-first uint8 RGB image or video as a channels-last array."""
    if isinstance(image, torch.Tensor):
        if image.dtype != torch.uint8 or image.device.type != "cpu":
            return None
        image = image.numpy()
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.shape[-3] != 3:
        return None
    return np.moveaxis(image, -3, -1)


def _unambiguous_rgb(array: Any, input_data_format: Any) -> bool:
    """A uint8 array whose last axis is 3 RGB channels and that upstream reads that way."""
    return (
        isinstance(array, np.ndarray)
        and array.dtype == np.uint8
        and array.ndim in (3, 4)
        and array.shape[-1] == 3
        and array.shape[-3] not in (1, 3, 4)
        and input_data_format in (None, ChannelDimension.LAST, "channels_last")
    )


def _rgb_hwc(image: Any, do_convert_rgb: Any, input_data_format: Any) -> Optional[np.ndarray]:
    """The common inputs, converted as both backends convert them, without a CHW detour:
    PIL images (upstream's ``convert_to_rgb``, alpha composited onto white) and unambiguous
    ``(H, W, 3)`` uint8 arrays. None for anything else."""
    if type(image).__module__.startswith("PIL.") and do_convert_rgb:
        return np.asarray(pil_convert_to_rgb(image, return_numpy=True))
    if _unambiguous_rgb(image, input_data_format) and image.ndim == 3:
        return image
    return None


def _as_tensors(data: Data, tensors: bool) -> Data:
    return {k: torch.from_numpy(v) if tensors else v for k, v in data.items()}


def _as_tile_lists(data: Data, tensors: bool) -> Data:
    """GotOcr2's own types before ``BatchFeature`` converts them: a list of ``(3, S, S)``
    tiles and a list of ints."""
    tiles = torch.from_numpy(data["pixel_values"]) if tensors else data["pixel_values"]
    return {"pixel_values": list(tiles), "num_patches": data["num_patches"].tolist()}


def _as_crop_lists(data: Data, tensors: bool) -> Data:
    """LLaVA-OneVision's own types: a list of per-image crop stacks, lists of sizes and counts."""
    crops = [torch.from_numpy(c) for c in data["pixel_values"]] if tensors else data["pixel_values"]
    return {**data, "pixel_values": crops}


def _as_pixtral_batch(data: Data, tensors: bool) -> Data:
    """Pixtral's own types: one padded batch (or a list of images without padding) and the
    resized sizes, ``torch.Size`` pairs from the torchvision backend and int tuples from Pil."""
    values, sizes = data["pixel_values"], data["image_sizes"]
    if tensors:
        values = torch.from_numpy(values) if isinstance(values, np.ndarray) else values
        values = [torch.from_numpy(v) for v in values] if isinstance(values, list) else values
        sizes = [torch.Size(s) for s in sizes]
    return {"pixel_values": values, "image_sizes": sizes}


def _as_video_list(videos: List[np.ndarray], tensors: bool) -> Data:
    return {"pixel_values_videos": [torch.from_numpy(v) for v in videos]}


class _DynresImages:
    """Mixin (first in the MRO) replacing the pixel work of an upstream image processor."""

    _dynres_compat: str
    _dynres_tensors: bool  # the backend returns torch tensors when return_tensors is None
    _dynres_settings: Callable[..., Any]
    _dynres_pixels: Callable[..., Any]
    _dynres_present: Callable[[Any, bool], Data]

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
        cls = type(self)
        settings = cls._dynres_settings(kwargs, self._dynres_compat, self)
        arrays = None if settings is None else self._dynres_arrays(images, kwargs)
        if settings is not None and arrays:
            try:
                out = cls._dynres_pixels(settings, arrays, *args)
            except DynresError:
                pass  # upstream decides: its own result or its own error
            else:
                data = cls._dynres_present(out, self._dynres_tensors)
                return BatchFeature(data=data, tensor_type=kwargs.get("return_tensors"))
        return super()._preprocess_image_like_inputs(images, *args, **kwargs)  # type: ignore[misc]


class _PendingVideos(list):
    """Channels-last RGB uint8 videos whose conversion to upstream's ``(T, C, H, W)`` tensors
    is deferred until upstream's own code needs them (then done by upstream's code)."""

    def __init__(self, videos: List[np.ndarray], prepare: Callable[[], List[Any]]) -> None:
        super().__init__(videos)
        self.prepare = prepare


class _DynresVideos:
    """Mixin (first in the MRO) replacing the pixel work of an upstream video processor."""

    _dynres_settings: Callable[..., Any]
    _dynres_pixels: Callable[..., Any]
    _dynres_present: Callable[[Any, bool], Data]

    def _prepare_input_videos(self, videos: Any, *args: Any, **kwargs: Any) -> List[Any]:
        def upstream() -> List[Any]:
            return super(_DynresVideos, self)._prepare_input_videos(videos, *args, **kwargs)  # type: ignore[misc]

        fmt, device = kwargs.get("input_data_format"), kwargs.get("device")
        on_cpu = device is None or torch.device(device).type == "cpu"
        if not args and on_cpu and videos and all(_unambiguous_rgb(v, fmt) for v in videos):
            if all(v.ndim == 4 for v in videos):
                return _PendingVideos(list(videos), upstream)
        return upstream()

    def _preprocess(self, videos: List[Any], **kwargs: Any) -> BatchFeature:
        cls = type(self)
        settings = cls._dynres_settings(kwargs, "torchvision", self)
        if isinstance(videos, _PendingVideos):
            arrays: List[Optional[np.ndarray]] = list(videos)
        else:
            arrays = [_channels_last(v) for v in videos]
        if settings is not None and arrays and all(a is not None and a.ndim == 4 for a in arrays):
            try:
                out = cls._dynres_pixels(settings, arrays)  # type: ignore[arg-type]
            except DynresError:
                pass
            else:
                data = cls._dynres_present(out, True)
                return BatchFeature(data=data, tensor_type=kwargs.get("return_tensors"))
        if isinstance(videos, _PendingVideos):
            videos = videos.prepare()
        return super()._preprocess(videos, **kwargs)  # type: ignore[misc]


class Qwen2VLImageProcessor(_DynresImages, qwen2_tv.Qwen2VLImageProcessor):
    """transformers' ``Qwen2VLImageProcessor`` (torchvision backend; Qwen2/2.5/3-VL images)
    with its pixels from dynres_fast ``compat="torchvision"``."""

    __module__ = _MODULE
    _dynres_compat, _dynres_tensors = "torchvision", True
    _dynres_settings = staticmethod(_hf_settings.qwen)
    _dynres_pixels = staticmethod(_hf_adapter.qwen_images)
    _dynres_present = staticmethod(_as_tensors)


class Qwen2VLImageProcessorPil(_DynresImages, qwen2_pil.Qwen2VLImageProcessorPil):
    """transformers' ``Qwen2VLImageProcessorPil`` with its pixels from dynres_fast
    ``compat="pillow"``."""

    __module__ = _MODULE
    _dynres_compat, _dynres_tensors = "pillow", False
    _dynres_settings = staticmethod(_hf_settings.qwen)
    _dynres_pixels = staticmethod(_hf_adapter.qwen_images)
    _dynres_present = staticmethod(_as_tensors)


class GotOcr2ImageProcessor(_DynresImages, got_tv.GotOcr2ImageProcessor):
    """transformers' ``GotOcr2ImageProcessor`` (torchvision backend; InternVL images) with its
    pixels from dynres_fast ``internvl`` (``compat="torchvision"``, GotOcr2's grid order).
    Tiles that are not square run upstream."""

    __module__ = _MODULE
    _dynres_compat, _dynres_tensors = "torchvision", True
    _dynres_settings = staticmethod(_hf_settings.tiles)
    _dynres_pixels = staticmethod(_hf_adapter.internvl_images)
    _dynres_present = staticmethod(_as_tile_lists)


class GotOcr2ImageProcessorPil(_DynresImages, got_pil.GotOcr2ImageProcessorPil):
    """transformers' ``GotOcr2ImageProcessorPil`` with its pixels from dynres_fast
    ``internvl`` (``compat="pillow"``)."""

    __module__ = _MODULE
    _dynres_compat, _dynres_tensors = "pillow", False
    _dynres_settings = staticmethod(_hf_settings.tiles)
    _dynres_pixels = staticmethod(_hf_adapter.internvl_images)
    _dynres_present = staticmethod(_as_tile_lists)


# (mypy) upstream spells out _preprocess's keywords; the mixin forwards **kwargs.
class Qwen2VLVideoProcessor(_DynresVideos, qwen2_video.Qwen2VLVideoProcessor):  # type: ignore[misc]
    """transformers' ``Qwen2VLVideoProcessor`` (Qwen2/2.5-VL) with its pixels from dynres_fast
    ``qwen2vl.VideoProcessor`` (per-frame budget, ``cap_pixels_per_frame`` as upstream)."""

    __module__ = _MODULE
    _dynres_budget = "frame"
    _dynres_settings = staticmethod(_hf_settings.qwen_video)
    _dynres_pixels = staticmethod(_hf_adapter.qwen_videos)
    _dynres_present = staticmethod(_as_tensors)


# (mypy) upstream spells out _preprocess's keywords; the mixin forwards **kwargs.
class Qwen3VLVideoProcessor(_DynresVideos, qwen3_video.Qwen3VLVideoProcessor):  # type: ignore[misc]
    """transformers' ``Qwen3VLVideoProcessor`` with its pixels from dynres_fast
    ``qwen2vl.VideoProcessor`` (whole-clip budget, ``cap_pixels_per_frame`` as upstream)."""

    __module__ = _MODULE
    _dynres_budget = "clip"
    _dynres_settings = staticmethod(_hf_settings.qwen_video)
    _dynres_pixels = staticmethod(_hf_adapter.qwen_videos)
    _dynres_present = staticmethod(_as_tensors)


# (mypy) upstream spells out _preprocess's keywords; the mixin forwards **kwargs.
class InternVLVideoProcessor(_DynresVideos, internvl_video.InternVLVideoProcessor):  # type: ignore[misc]
    """transformers' ``InternVLVideoProcessor`` with its frames squashed and normalised by
    dynres_fast ``internvl`` (``compat="torchvision"``)."""

    __module__ = _MODULE
    _dynres_settings = staticmethod(_hf_settings.square)
    _dynres_pixels = staticmethod(_hf_adapter.internvl_videos)
    _dynres_present = staticmethod(_as_video_list)


class LlavaOnevisionImageProcessor(_DynresImages, ov_tv.LlavaOnevisionImageProcessor):
    """transformers' ``LlavaOnevisionImageProcessor`` (torchvision backend) with its pixels
    from dynres_fast ``llava_onevision`` (``compat="torchvision"``): anyres crops for an
    image alone in its prompt, padded squares for multi-image prompts, ``do_pad`` either way,
    any square ``size``. A ``crop_size`` that differs from ``size`` runs upstream."""

    __module__ = _MODULE
    _dynres_compat, _dynres_tensors = "torchvision", True
    _dynres_settings = staticmethod(_hf_settings.llava)
    _dynres_pixels = staticmethod(_hf_adapter.llava_images)
    _dynres_present = staticmethod(_as_crop_lists)


class LlavaOnevisionImageProcessorPil(_DynresImages, ov_pil.LlavaOnevisionImageProcessorPil):
    """transformers' ``LlavaOnevisionImageProcessorPil`` with its pixels from dynres_fast
    ``llava_onevision`` (``compat="pillow"``)."""

    __module__ = _MODULE
    _dynres_compat, _dynres_tensors = "pillow", False
    _dynres_settings = staticmethod(_hf_settings.llava)
    _dynres_pixels = staticmethod(_hf_adapter.llava_images)
    _dynres_present = staticmethod(_as_crop_lists)


# (mypy) upstream spells out _preprocess's keywords; the mixin forwards **kwargs.
class LlavaOnevisionVideoProcessor(_DynresVideos, ov_video.LlavaOnevisionVideoProcessor):  # type: ignore[misc]
    """transformers' ``LlavaOnevisionVideoProcessor`` with its frames squashed to 384² and
    normalised by dynres_fast ``llava_onevision`` (``compat="torchvision"``)."""

    __module__ = _MODULE
    _dynres_settings = staticmethod(_hf_settings.square)
    _dynres_pixels = staticmethod(_hf_adapter.llava_videos)
    _dynres_present = staticmethod(_as_video_list)


class PixtralImageProcessor(_DynresImages, pixtral_tv.PixtralImageProcessor):
    """transformers' ``PixtralImageProcessor`` (torchvision backend; Pixtral-12B,
    Mistral-Small-3.1) with its pixels from dynres_fast ``pixtral`` (``compat="torchvision"``).
    A ``size`` without ``longest_edge`` or a non-square ``patch_size`` runs upstream."""

    __module__ = _MODULE
    _dynres_compat, _dynres_tensors = "torchvision", True
    _dynres_settings = staticmethod(_hf_settings.pixtral)
    _dynres_pixels = staticmethod(_hf_adapter.pixtral_images)
    _dynres_present = staticmethod(_as_pixtral_batch)


class PixtralImageProcessorPil(_DynresImages, pixtral_pil.PixtralImageProcessorPil):
    """transformers' ``PixtralImageProcessorPil`` with its pixels from dynres_fast ``pixtral``
    (``compat="pillow"``)."""

    __module__ = _MODULE
    _dynres_compat, _dynres_tensors = "pillow", False
    _dynres_settings = staticmethod(_hf_settings.pixtral)
    _dynres_pixels = staticmethod(_hf_adapter.pixtral_images)
    _dynres_present = staticmethod(_as_pixtral_batch)


_QWEN_TYPES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "qwen3_vl_moe")
#: model type -> {backend: class} for AutoImageProcessor.
_QWEN_IMAGES: Dict[str, type] = {
    "torchvision": Qwen2VLImageProcessor,
    "pil": Qwen2VLImageProcessorPil,
}
_GOT_OCR2_IMAGES: Dict[str, type] = {
    "torchvision": GotOcr2ImageProcessor,
    "pil": GotOcr2ImageProcessorPil,
}
_PIXTRAL_TYPES = ("pixtral", "mistral3", "mistral_large4", "lighton_ocr")
_PIXTRAL_IMAGES: Dict[str, type] = {
    "torchvision": PixtralImageProcessor,
    "pil": PixtralImageProcessorPil,
}
IMAGE_PROCESSORS: Dict[str, Dict[str, type]] = {
    **{t: _QWEN_IMAGES for t in _QWEN_TYPES},
    **{t: _GOT_OCR2_IMAGES for t in ("internvl", "got_ocr2")},
    "llava_onevision": {
        "torchvision": LlavaOnevisionImageProcessor,
        "pil": LlavaOnevisionImageProcessorPil,
    },
    # Pixtral-12B's config says model_type "llava" (whose own entry is LLaVA's CLIP processor)
    # and image_processor_type "PixtralImageProcessor": AutoImageProcessor resolves that name
    # through these entries, so "llava" itself is left alone.
    **{t: _PIXTRAL_IMAGES for t in _PIXTRAL_TYPES},
}
#: model type -> {backend: class} for AutoVideoProcessor.
VIDEO_PROCESSORS: Dict[str, Dict[str, type]] = {
    "qwen2_vl": {"torchvision": Qwen2VLVideoProcessor},
    "qwen2_5_vl": {"torchvision": Qwen2VLVideoProcessor},
    "qwen3_vl": {"torchvision": Qwen3VLVideoProcessor},
    "qwen3_vl_moe": {"torchvision": Qwen3VLVideoProcessor},
    "internvl": {"torchvision": InternVLVideoProcessor},
    "llava_onevision": {"torchvision": LlavaOnevisionVideoProcessor},
}
