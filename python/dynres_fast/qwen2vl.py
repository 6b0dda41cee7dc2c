"""Qwen2-VL / Qwen2.5-VL / Qwen3-VL: resolution choice, frame sampling and budgets.

``smart_resize`` reproduces transformers 4.57.6
(``transformers.models.qwen2_vl.image_processing_qwen2_vl.smart_resize``) exactly; frame
sampling and per-frame budgets reproduce qwen-vl-utils 0.0.14.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core, _lut
from ._choices import ALL_COMPATS, Normalisation
from ._coerce import as_int, as_int64_array, as_number
from ._images import as_image_list, as_video
from .errors import BudgetError, DynresError
from .pool import OutputPool

__all__ = [
    "ImageProcessor",
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

    def opt(name: str, value: Optional[float]) -> Optional[float]:
        return None if value is None else as_number(name, value)

    return _core.video_budget(
        as_int("num_frames", num_frames),
        as_int("height", height),
        as_int("width", width),
        as_int("image_patch_size", image_patch_size),
        opt("min_pixels", min_pixels),
        opt("max_pixels", max_pixels),
        opt("total_pixels", total_pixels),
        as_number("model_seq_len", model_seq_len),
    )


_MAX_SIDE = 65536  # the resize kernels' limit, checked before allocating the output


class ImageProcessor:
    """Qwen2-VL / Qwen2.5-VL / Qwen3-VL image and video preprocessing.

    ``proc(images)`` equals ``transformers.Qwen2VLImageProcessor(min_pixels=...,
    max_pixels=...)(images, return_tensors="np")`` (transformers 4.57.6, Pillow 13 for
    ``compat="pillow"``) within 1e-6 — in practice bit for bit for float32. With
    ``compat="torchvision"`` it equals the *fast* processor that ``AutoProcessor`` picks
    when torchvision is installed, ``Qwen2VLImageProcessorFast`` (torchvision's uint8
    antialiased resize on CPU and its fused ``(v - 255·mean) / (255·std)`` normalise).

    Args:
        min_pixels, max_pixels: the pixel budget per image.
        patch_size, temporal_patch_size, merge_size: the vision tower's geometry.
        image_mean, image_std: per-channel normalisation.
        resample: the resize filter (Pillow name or PIL code); upstream uses bicubic.
        compat: ``"pillow"`` (slow processor, Pillow ≥ 13 pass order), ``"pillow12"``
            (slow processor, Pillow ≤ 12) or ``"torchvision"`` (fast processor; resample
            must then be bilinear or bicubic).
        dtype: ``"float32"`` (default), ``"float16"``, ``"bfloat16"`` (an
            ``ml_dtypes.bfloat16`` array when ml_dtypes is installed, else its uint16 bits)
            or ``"uint8"`` (raw patches in the same layout, to normalise on the GPU).
        reuse_output: write every call into one reused :class:`~dynres_fast.pool.OutputPool`
            arena instead of a fresh array (no page faults on large outputs); each call then
            overwrites the arrays the previous call returned (see ``dynres_fast.pool``).
    """

    def __init__(
        self,
        min_pixels: int = 56 * 56,
        max_pixels: int = 28 * 28 * 1280,
        patch_size: int = 14,
        temporal_patch_size: int = 2,
        merge_size: int = 2,
        image_mean: Sequence[float] = OPENAI_CLIP_MEAN,
        image_std: Sequence[float] = OPENAI_CLIP_STD,
        resample: Union[str, int] = "bicubic",
        compat: str = "pillow",
        dtype: str = "float32",
        reuse_output: bool = False,
    ) -> None:
        self.patch_size = as_int("patch_size", patch_size)
        self.temporal_patch_size = as_int("temporal_patch_size", temporal_patch_size)
        self.merge_size = as_int("merge_size", merge_size)
        self.min_pixels = as_number("min_pixels", min_pixels)
        self.max_pixels = as_number("max_pixels", max_pixels)
        if self.min_pixels > self.max_pixels:
            raise BudgetError(
                f"min_pixels ({min_pixels}) must not exceed max_pixels ({max_pixels})"
            )
        n = Normalisation(
            image_mean, image_std, compat, dtype, compats=ALL_COMPATS, resample=resample
        )
        self.image_mean, self.image_std = n.image_mean, n.image_std
        self.resample, self.compat, self.dtype = n.resample, n.compat, n.dtype
        self._table, self._storage = n.table, n.storage
        self._pool = OutputPool() if reuse_output else None

    @property
    def factor(self) -> int:
        """Both resized sides are multiples of this (patch_size · merge_size)."""
        return self.patch_size * self.merge_size

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(min_pixels={self.min_pixels:g}, "
            f"max_pixels={self.max_pixels:g}, "
            f"patch_size={self.patch_size}, temporal_patch_size={self.temporal_patch_size}, "
            f"merge_size={self.merge_size}, resample={self.resample!r}, compat={self.compat!r}, "
            f"dtype={self.dtype!r})"
        )

    @classmethod
    def qwen2_5_vl(cls, **overrides: Any) -> ImageProcessor:
        """The released Qwen2-VL / Qwen2.5-VL checkpoints' budget (3136 … 12,845,056 px)."""
        return cls(**{"min_pixels": 3136, "max_pixels": 12845056, **overrides})

    @classmethod
    def qwen3_vl(cls, **overrides: Any) -> ImageProcessor:
        """Qwen3-VL: patch 16, mean/std 0.5, the hub budget (65,536 … 16,777,216 px)."""
        defaults = {
            "min_pixels": 65536,
            "max_pixels": 16777216,
            "patch_size": 16,
            "image_mean": (0.5, 0.5, 0.5),
            "image_std": (0.5, 0.5, 0.5),
        }
        return cls(**{**defaults, **overrides})

    @classmethod
    def from_pretrained_config(
        cls, config: Union[Mapping[str, Any], str, os.PathLike], **overrides: Any
    ) -> ImageProcessor:
        """Builds a processor from a ``preprocessor_config.json`` (a dict or a path).

        ``min_pixels``/``max_pixels`` are taken from those keys, else from
        ``size["shortest_edge"]``/``size["longest_edge"]``. (transformers' slow processor
        ignores ``size`` in its constructor — a known bug; we follow the checkpoint.)
        """
        if isinstance(config, Mapping):
            cfg: Mapping[str, Any] = config
        else:
            with open(config, encoding="utf-8") as f:
                cfg = json.load(f)
        size = cfg.get("size") or {}
        kw: Dict[str, Any] = {}
        for key, alt in (("min_pixels", "shortest_edge"), ("max_pixels", "longest_edge")):
            if cfg.get(key) is not None:
                kw[key] = cfg[key]
            elif alt in size:
                kw[key] = size[alt]
        for key in (
            "patch_size",
            "temporal_patch_size",
            "merge_size",
            "image_mean",
            "image_std",
            "resample",
        ):
            if cfg.get(key) is not None:
                kw[key] = cfg[key]
        return cls(**{**kw, **overrides})

    def resized_size(self, height: int, width: int) -> Tuple[int, int]:
        """The ``(height, width)`` an image of this size is resized to."""
        return smart_resize(
            height,
            width,
            factor=self.factor,
            min_pixels=self.min_pixels,
            max_pixels=self.max_pixels,
        )

    def num_image_tokens(self, height: int, width: int) -> int:
        """LLM tokens for one image: ``grid_h · grid_w / merge_size²``."""
        h, w = self.resized_size(height, width)
        return (h // self.patch_size) * (w // self.patch_size) // self.merge_size**2

    def _run(self, arrays: List[np.ndarray], out: Optional[np.ndarray]) -> Tuple[Any, np.ndarray]:
        resized = []
        for i, a in enumerate(arrays):
            try:
                resized.append(self.resized_size(a.shape[1], a.shape[2]))
            except DynresError as e:
                raise type(e)(f"image {i} of shape {a.shape[1:]}: {e}") from None
            if max(resized[-1]) > _MAX_SIDE:
                raise BudgetError(
                    f"image {i} of shape {a.shape[1:]} resizes to {resized[-1][0]}x"
                    f"{resized[-1][1]} under min_pixels={self.min_pixels:g}; sides above "
                    f"{_MAX_SIDE} are not supported, lower min_pixels"
                )
        rows = sum(
            -(-len(a) // self.temporal_patch_size) * (h // self.patch_size) * (w // self.patch_size)
            for a, (h, w) in zip(arrays, resized)
        )
        shape = (rows, 3 * self.temporal_patch_size * self.patch_size**2)
        if out is not None:
            buf = self._check_out(out, shape)
        elif self._pool is not None:
            self._pool.begin()
            buf = self._pool.take(shape, self._storage)
        else:
            buf = np.empty(shape, self._storage)
        grid = _core.qwen2vl_pixel_values(
            arrays,
            resized,
            self.patch_size,
            self.temporal_patch_size,
            self.merge_size,
            self.resample,
            self.compat,
            self._table,
            buf,
        )
        return _lut.present(buf, self.dtype), grid

    def _check_out(self, out: Any, shape: Tuple[int, int]) -> np.ndarray:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
        want = _lut.present(np.empty(0, self._storage), self.dtype).dtype
        if out.dtype != want:
            raise TypeError(f"out must have dtype {want} for dtype={self.dtype!r}, got {out.dtype}")
        if out.shape != shape:
            raise DynresError(f"out must have shape {shape} for this batch, got {out.shape}")
        if not out.flags.c_contiguous or not out.flags.writeable:
            raise DynresError("out must be a writeable C-contiguous array")
        return out.view(self._storage)

    def __call__(self, images: Any, *, out: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
        """Preprocesses one image or a list of images (arrays and/or PIL images).

        Returns:
            ``pixel_values`` ``(Σ t·h·w, 3·tp·p·p)`` and ``image_grid_thw`` ``(n, 3)`` int64.
            With ``out=``, the values are written into that array (shape and dtype checked).
        """
        arrays = [a[None] for a in as_image_list(images)]
        values, grid = self._run(arrays, out)
        return {"pixel_values": values, "image_grid_thw": grid}

    def videos(self, videos: Any, *, out: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
        """Preprocesses one ``(T, H, W, C)`` video or a list of videos.

        Each video in a list is a ``(T, H, W, C)``/``(T, H, W)`` uint8 array or a list of
        frames (arrays or PIL images); one frame list alone must be wrapped: ``[frames]``.

        Matches the slow processor's video path: every frame resized to the first frame's
        plan, odd frame counts padded by repeating the last frame.

        Returns:
            ``pixel_values_videos`` and ``video_grid_thw`` ``(n, 3)`` int64.
        """
        if isinstance(videos, np.ndarray) and videos.ndim == 4:
            videos = [videos]
        if not isinstance(videos, (list, tuple)):
            raise TypeError(
                "expected a (T, H, W, C) uint8 array or a list of videos (arrays or frame "
                f"lists), got {type(videos).__name__}"
            )
        arrays = [as_video(v, i) for i, v in enumerate(videos)]
        values, grid = self._run(arrays, out)
        return {"pixel_values_videos": values, "video_grid_thw": grid}
