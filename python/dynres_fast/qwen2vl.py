"""Qwen2-VL / Qwen2.5-VL / Qwen3-VL: resolution choice, frame sampling and budgets.

``smart_resize`` reproduces transformers
(``transformers.models.qwen2_vl.image_processing_qwen2_vl.smart_resize``) exactly; frame
sampling and per-frame budgets reproduce qwen-vl-utils 0.0.14. :func:`plan` and
:func:`num_tokens_many` answer "what size, which grid, how many tokens" for images and
(through qwen-vl-utils' ``fetch_video``) for clips of a given length and frame rate.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._choices import (
    ALL_COMPATS,
    OPENAI_CLIP_MEAN,
    OPENAI_CLIP_STD,
    TRANSFORMERS_REFERENCES,
    Normalisation,
    as_bool,
    as_choice,
)
from ._coerce import as_int, as_int64_array, as_number
from ._family import FamilyProcessor, check_fixed, pick, processor_for
from ._frames import as_video_list
from ._images import as_image_list
from ._video_processor import UNSET, CallCount, CallFps, VideoProcessorBase, load_config
from .errors import BudgetError, DynresError

__all__ = [
    "ImageProcessor",
    "OPENAI_CLIP_MEAN",
    "OPENAI_CLIP_STD",
    "Qwen2VLPlan",
    "num_tokens_many",
    "describe",
    "draw",
    "draw_video",
    "plan",
    "sample_frames",
    "smart_resize",
    "smart_resize_many",
    "VideoProcessor",
    "fetch_video",
    "grid_timestamps",
    "video_budget",
    "video_smart_resize",
]

_SMART_RESIZE_REFERENCES = ("transformers", "qwen_vl_utils")

#: What Qwen-VL does with one image or video: ``resized`` ``(height, width)`` of every
#: frame, ``grid_thw`` ``(t, h, w)`` in patches, ``num_frames`` (``None`` for an image; the
#: frames of a video), ``patch_size``, ``merge_size``, ``num_tokens`` (``<|image_pad|>`` /
#: ``<|video_pad|>`` tokens, ``t·h·w / merge²``) and ``wrapper_tokens`` (2:
#: ``<|vision_start|>`` and ``<|vision_end|>``).
Qwen2VLPlan = _core.Qwen2VLPlan


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
    reference: str = "transformers",
) -> Tuple[int, int]:
    """The ``(height, width)`` Qwen2-VL resizes an image of this size to.

    Both sides are multiples of ``factor`` (28 for Qwen2/2.5-VL, 32 for Qwen3-VL) and the
    area lands in ``[min_pixels, max_pixels]`` where the reference manages it.

    Args:
        height, width: the input size in pixels.
        factor: patch_size * merge_size.
        min_pixels, max_pixels: the pixel budget (``size["shortest_edge"]`` and
            ``size["longest_edge"]`` in a ``preprocessor_config.json``).
        reference: ``"transformers"`` (default) or ``"qwen_vl_utils"`` (0.0.14's variant,
            which clamps the first rounding and not the shrink).

    Raises:
        AspectRatioError: ``max(h, w) / min(h, w) > 200``.
        BudgetError: ``min_pixels > max_pixels`` or a zero-sided result.
        DynresError: non-positive or oversized sides.
        TypeError: non-integer sides.
    """
    h, w = as_int("height", height), as_int("width", width)
    ref = as_choice("reference", reference, _SMART_RESIZE_REFERENCES)
    return _core.smart_resize(h, w, *_budget(factor, min_pixels, max_pixels), ref)


def smart_resize_many(
    heights: Any,
    widths: Any,
    *,
    factor: int = 28,
    min_pixels: float = 56 * 56,
    max_pixels: float = 28 * 28 * 1280,
    reference: str = "transformers",
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
    ref = as_choice("reference", reference, _SMART_RESIZE_REFERENCES)
    errors = as_choice("errors", errors, ("raise", "mask"))
    return _core.smart_resize_many(hs, ws, *_budget(factor, min_pixels, max_pixels), ref, errors)


def video_smart_resize(
    num_frames: int,
    height: int,
    width: int,
    *,
    temporal_factor: int = 2,
    factor: int = 32,
    min_pixels: float = 128 * 128,
    max_pixels: float = 16 * 16 * 2 * 2 * 2 * 6144,
    convention: str = "transformers5",
) -> Tuple[int, int]:
    """Qwen3-VL's video ``smart_resize``: per-frame size under a whole-clip budget.

    Reproduces ``transformers.models.qwen3_vl.video_processing_qwen3_vl.smart_resize``:
    the budget bounds ``round(T / temporal_factor) * temporal_factor * h * w``.

    Args:
        convention: ``"transformers5"`` (default) scales frames with a side below ``factor`` up
            by ``max(factor / h, factor / w)`` first (each side truncated), as 5.x does;
            ``"transformers4"`` refuses them, as 4.57 does.

    Raises:
        DynresError: ``num_frames < temporal_factor``, (4.x) a side below ``factor``.
        AspectRatioError: ``max(h, w) / min(h, w) > 200`` (after the 5.x scale-up).
    """
    return _core.video_smart_resize(
        as_int("num_frames", num_frames, minimum=0),
        as_int("height", height),
        as_int("width", width),
        as_int("temporal_factor", temporal_factor),
        *_budget(factor, min_pixels, max_pixels),
        as_choice("convention", convention, ("transformers5", "transformers4")),
    )


def sample_frames(
    total_frames: int,
    video_fps: float,
    *,
    fps: float = 2.0,
    min_frames: float = 4,
    max_frames: Optional[float] = 768,
    num_frames: Optional[float] = None,
) -> np.ndarray:
    """The frame indices qwen-vl-utils 0.0.14 samples from a clip of ``total_frames``
    (int64).

    ``num_frames`` (qwen-vl-utils' ``nframes``; if given) fixes the count, rounded
    half-to-even to a multiple of 2, and ``fps`` is ignored; otherwise
    ``total_frames / video_fps * fps`` frames, clamped to ``[min_frames, max_frames]``
    (rounded to even) and the clip length. Indices are the
    float32 ``torch.linspace(0, total_frames - 1, n)`` rounded half-to-even.

    Raises:
        DynresError: where qwen-vl-utils raises (a count outside ``[2, total_frames]``),
            for non-positive rates, and for clips (longer than 2^24 frames) where the
            float32 linspace puts an index past the last frame.
    """
    return _core.sample_frames(
        as_int("total_frames", total_frames),
        as_number("video_fps", video_fps),
        as_number("fps", fps),
        as_number("min_frames", min_frames),
        None if max_frames is None else as_number("max_frames", max_frames),
        None if num_frames is None else as_number("num_frames", num_frames),
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


def plan(
    height: int,
    width: int,
    *,
    total_frames: Optional[int] = None,
    video_fps: Optional[float] = None,
    **params: Any,
) -> Qwen2VLPlan:
    """The resized size, ``grid_thw`` and token count for one image, or for a clip of
    ``total_frames`` frames at ``video_fps`` (give both) as qwen-vl-utils' ``fetch_video``
    samples (at ``fps``, 4 to 768 frames) and sizes it (under ``total_pixels``).

    ``params`` are :class:`ImageProcessor` keywords (``min_pixels``, ``max_pixels``,
    ``patch_size``, ``merge_size``, ``temporal_patch_size``, ``fps``, ``total_pixels``);
    the image budget does not apply to clips (qwen-vl-utils has its own).

    Raises:
        AspectRatioError: ``max(h, w) / min(h, w) > 200``.
        DynresError: only one of ``total_frames`` and ``video_fps``; clips qwen-vl-utils
            cannot sample.
    """
    return processor_for(ImageProcessor, params).plan(
        height, width, total_frames=total_frames, video_fps=video_fps
    )


def num_tokens_many(
    heights: Any,
    widths: Any,
    *,
    total_frames: Any = None,
    video_fps: Any = None,
    errors: str = "raise",
    **params: Any,
) -> np.ndarray:
    """``plan(...).num_tokens`` for arrays of sizes (int64), vectorised in Rust.

    ``total_frames`` / ``video_fps``: optional arrays, one value per row; rows with
    ``total_frames > 0`` are clips, the others images. ``errors="mask"`` returns ``-1`` for
    rows the model refuses instead of raising for the first one.
    """
    return processor_for(ImageProcessor, params).num_tokens_many(
        heights, widths, total_frames=total_frames, video_fps=video_fps, errors=errors
    )


class ImageProcessor(FamilyProcessor):
    """Qwen2-VL / Qwen2.5-VL / Qwen3-VL image and video preprocessing.

    ``proc(images)`` equals ``transformers.Qwen2VLImageProcessorPil(min_pixels=...,
    max_pixels=...)(images, return_tensors="np")`` (the Pillow backend; 4.x's slow
    ``Qwen2VLImageProcessor``) for ``compat="pillow"`` within 1e-6 — in practice bit for bit
    for float32. With ``compat="torchvision"`` it equals the torchvision backend (5.x's
    ``Qwen2VLImageProcessor``, 4.x's ``…Fast``: torchvision's uint8 antialiased resize on
    CPU and its fused ``(v - 255·mean) / (255·std)`` normalise).
    ``ImageProcessor()`` is the transformers class defaults; the released checkpoints'
    settings are :meth:`qwen2_5_vl`, :meth:`qwen3_vl` or :meth:`from_pretrained`.

    Args:
        min_pixels, max_pixels: the pixel budget per image.
        patch_size, temporal_patch_size, merge_size: the vision tower's geometry.
        fps, total_pixels: qwen-vl-utils' video sampling rate and clip pixel budget
            (``None``: its default, ``128000·(2·patch_size)²·0.9``), used by :meth:`plan`
            for clips.
        image_mean, image_std: per-channel normalisation.
        resample: the resize filter (Pillow name or PIL code); upstream uses bicubic.
        compat: ``"pillow"`` (slow processor, Pillow ≥ 13 pass order), ``"pillow12"``
            (slow processor, Pillow ≤ 12) or ``"torchvision"`` (fast processor; resample
            must then be bilinear or bicubic).
        dtype: ``"float32"`` (default), ``"float16"``, ``"bfloat16"`` (an
            ``ml_dtypes.bfloat16`` array when ml_dtypes is installed, else its uint16 bits)
            or ``"uint8"`` (raw patches in the same layout, to normalise on the GPU).
        reuse_output: write every call into one reused output buffer instead of a fresh
            array (no page faults on large outputs); each call then overwrites what the
            previous call returned (see :mod:`dynres_fast.pool`).
        reference: the transformers release whose RGB conversion is followed:
            ``"transformers"`` (the installed one; 5.x without transformers),
            ``"transformers5"`` (transparency composited onto white) or
            ``"transformers4"`` (alpha dropped).
    """

    #: ``config.json`` model types of this family's checkpoints (``auto.from_pretrained``).
    MODEL_TYPES: Tuple[str, ...] = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl")
    #: ``image_processor_type`` names (``Fast``/``Pil`` suffix removed) of this family.
    IMAGE_PROCESSOR_TYPES: Tuple[str, ...] = ("Qwen2VLImageProcessor",)

    def __init__(
        self,
        *,
        min_pixels: float = 56 * 56,
        max_pixels: float = 28 * 28 * 1280,
        patch_size: int = 14,
        temporal_patch_size: int = 2,
        merge_size: int = 2,
        fps: float = 2.0,
        total_pixels: Optional[float] = None,
        image_mean: Sequence[float] = OPENAI_CLIP_MEAN,
        image_std: Sequence[float] = OPENAI_CLIP_STD,
        resample: Union[str, int] = "bicubic",
        compat: str = "pillow",
        dtype: str = "float32",
        reuse_output: bool = False,
        reference: str = "transformers",
    ) -> None:
        self.reference = as_choice("reference", reference, TRANSFORMERS_REFERENCES)
        self.patch_size = as_int("patch_size", patch_size)
        self.temporal_patch_size = as_int("temporal_patch_size", temporal_patch_size)
        self.merge_size = as_int("merge_size", merge_size)
        self.min_pixels = as_number("min_pixels", min_pixels)
        self.max_pixels = as_number("max_pixels", max_pixels)
        self.fps = as_number("fps", fps)
        self.total_pixels = (
            None if total_pixels is None else as_number("total_pixels", total_pixels)
        )
        n = Normalisation(
            image_mean, image_std, compat, dtype, compats=ALL_COMPATS, resample=resample
        )
        self._norm = n
        self.image_mean, self.image_std, self.resample = n.image_mean, n.image_std, n.resample
        self._config = _core.Qwen2VLConfig(
            min_pixels=self.min_pixels,
            max_pixels=self.max_pixels,
            patch_size=self.patch_size,
            temporal_patch_size=self.temporal_patch_size,
            merge_size=self.merge_size,
            fps=self.fps,
            total_pixels=self.total_pixels,
            resample=n.resample,
            compat=n.compat,
        )

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
            f"dtype={self.dtype!r}, reference={self.reference!r})"
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
    def _from_config(cls, cfg: Mapping[str, Any], model: Mapping[str, Any]) -> Dict[str, Any]:
        # min_pixels/max_pixels from those keys, else size["shortest_edge"/"longest_edge"].
        # (transformers 4.57's slow processor ignored ``size`` in its constructor — a known
        # bug; we follow the checkpoint.)
        size = cfg.get("size") or {}
        kw: Dict[str, Any] = {}
        for key, alt in (("min_pixels", "shortest_edge"), ("max_pixels", "longest_edge")):
            if cfg.get(key) is not None:
                kw[key] = cfg[key]
            elif alt in size:
                kw[key] = size[alt]
        keys = ("patch_size", "temporal_patch_size", "merge_size", "image_mean", "image_std")
        return {**kw, **pick(cfg, keys + ("resample",))}

    def plan(  # type: ignore[override]
        self,
        height: int,
        width: int,
        *,
        total_frames: Optional[int] = None,
        video_fps: Optional[float] = None,
    ) -> Qwen2VLPlan:
        """The plan of an image, or of a clip of ``total_frames`` at ``video_fps`` as
        qwen-vl-utils' ``fetch_video`` samples and sizes it (see :func:`plan`)."""
        h, w = as_int("height", height), as_int("width", width)
        if (total_frames is None) != (video_fps is None):
            raise DynresError(
                "a clip needs both total_frames and video_fps, got "
                f"total_frames={total_frames!r} video_fps={video_fps!r}"
            )
        if total_frames is None:
            return self._config.plan(h, w)
        t = as_int("total_frames", total_frames)
        return self._config.video_plan(t, as_number("video_fps", video_fps), h, w)

    def num_tokens_many(  # type: ignore[override]
        self,
        heights: Any,
        widths: Any,
        *,
        total_frames: Any = None,
        video_fps: Any = None,
        errors: str = "raise",
    ) -> np.ndarray:
        """``plan(...).num_tokens`` for arrays of sizes (see :func:`num_tokens_many`)."""
        if total_frames is None:
            return super().num_tokens_many(heights, widths, errors=errors)
        hs = as_int64_array("heights", heights, ndim=1)
        ws = as_int64_array("widths", widths, ndim=1)
        tf = as_int64_array("total_frames", total_frames, ndim=1)
        vf = np.zeros(tf.size) if video_fps is None else np.asarray(video_fps)
        vf = np.ascontiguousarray(vf, np.float64)
        if not hs.shape == ws.shape == tf.shape == vf.shape:
            raise DynresError(
                "heights, widths, total_frames and video_fps must have one value per row, got "
                f"{hs.size}, {ws.size}, {tf.size} and {vf.size}"
            )
        errors = as_choice("errors", errors, ("raise", "mask"))
        return self._config.num_tokens_many(hs, ws, tf, vf, errors=errors)

    def _run(self, plans: List[Any], out: Optional[np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
        for i, p in enumerate(plans):
            if max(p.resized) > _core.MAX_IMAGE_SIDE:
                raise BudgetError(
                    f"image {i} resizes to {p.resized[0]}x{p.resized[1]} under "
                    f"min_pixels={self.min_pixels:g}; sides above {_core.MAX_IMAGE_SIDE} are "
                    "not supported, lower min_pixels"
                )
        grid = np.asarray([p.grid_thw for p in plans], dtype=np.int64).reshape(len(plans), 3)
        shape = (int(grid.prod(axis=1).sum()), self._config.row_len)
        return self._out(out, shape), grid

    def __call__(self, images: Any, *, out: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
        """Preprocesses one image or a list of images (arrays and/or PIL images).

        Returns:
            ``pixel_values`` ``(Σ t·h·w, 3·tp·p·p)`` and ``image_grid_thw`` ``(n, 3)`` int64.
            With ``out=``, the values are written into that array (shape and dtype checked).
        """
        arrays = as_image_list(images, self._alpha)
        plans = self._plans(arrays)
        buf, grid = self._run(plans, out)
        self._config.pixel_values(arrays, plans, self._norm.table, buf)
        return {"pixel_values": self._norm.present(buf), "image_grid_thw": grid}

    def videos(self, videos: Any, *, out: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
        """Preprocesses one ``(T, H, W, C)`` video or a list of videos.

        ``videos`` is read as transformers reads it: a ``(T, H, W, C)`` array, a list of
        frames (PIL images or ``(H, W, C)`` arrays: one video), or a list of videos (4-D
        arrays or frame lists); ambiguous inputs are refused (see ``as_video_list``).

        Matches the slow processor's video path: every frame resized to the first frame's
        plan, odd frame counts padded by repeating the last frame. This is the *image*
        processor's per-frame budget; transformers 5.x's video processors (Qwen3-VL's
        whole-clip budget, frame sampling) are :class:`VideoProcessor`.

        Returns:
            ``pixel_values_videos`` and ``video_grid_thw`` ``(n, 3)`` int64.
        """
        arrays = as_video_list(videos, self._video_alpha)
        plans = []
        for i, a in enumerate(arrays):
            try:
                plans.append(self._config.frames_plan(a.shape[0], a.shape[1], a.shape[2]))
            except DynresError as e:
                raise type(e)(f"image {i} of shape {a.shape[1:]}: {e}") from None
        buf, grid = self._run(plans, out)
        self._config.video_pixel_values(arrays, plans, self._norm.table, buf)
        return {"pixel_values_videos": self._norm.present(buf), "video_grid_thw": grid}


def describe(plan: Qwen2VLPlan) -> Tuple[str, str]:
    """``(what the image becomes, how it is cut)`` for tables."""
    _, gh, gw = plan.grid_thw
    m = plan.merge_size
    return "x".join(map(str, plan.resized)), f"{gh // m}x{gw // m} windows"


def draw(image: Any, plan: Qwen2VLPlan, title: str, *, patches: bool = False) -> Any:
    """A PIL picture of ``image`` (PIL RGB) resized as ``plan`` says, with its merge windows
    (one LLM token each) and, with ``patches``, its ViT patches."""
    from PIL import Image

    from . import _show

    rh, rw = plan.resized
    canvas = image.resize((rw, rh), Image.Resampling.BICUBIC)
    p, window = plan.patch_size, plan.patch_size * plan.merge_size
    lines = [(p, _show.PATCH_LINE, 1)] if patches else []
    lines.append((window, _show.MERGE_LINE, 2))
    t, gh, gw = plan.grid_thw
    text = (
        f"{title}: {image.height}x{image.width} -> {rh}x{rw} px, "
        f"{gh // plan.merge_size}x{gw // plan.merge_size} windows of {window} px = "
        f"{plan.num_tokens} tokens (grid_thw {t}x{gh}x{gw})"
    )
    return _show.compose(_show.gridded(canvas, [(s, s, c, w) for s, c, w in lines]), [], text)


def draw_video(
    frames: np.ndarray,
    plan: Qwen2VLPlan,
    title: str,
    *,
    frame_indices: Any,
    video_fps: float,
    temporal_patch_size: int = 2,
    patches: bool = False,
) -> Any:
    """A contact sheet of a clip as ``plan`` says the model sees it: the sampled
    ``frames`` (``(T, H, W, 3)`` uint8, the file's frames ``frame_indices`` at
    ``video_fps``) resized to ``plan.resized``, boxed by temporal patch (the frames one
    ``grid_t`` step merges), each with its merge windows (and ViT patches with
    ``patches``), its frame number and time."""
    from PIL import Image

    from . import _show

    rh, rw = plan.resized
    p, window = plan.patch_size, plan.patch_size * plan.merge_size
    lines = [(p, _show.PATCH_LINE, 1)] if patches else []
    lines.append((window, _show.MERGE_LINE, 2))
    idx = [int(i) for i in frame_indices]
    tp = temporal_patch_size
    groups = []
    for k in range(0, len(idx), tp):
        cells = []
        for j in range(k, min(k + tp, len(idx))):
            img = Image.fromarray(frames[j]).resize((rw, rh), Image.Resampling.BICUBIC)
            cells.append((f"#{idx[j]} {idx[j] / video_fps:.2f} s", _show.thumbnail(img, lines)))
        groups.append((f"t={k // tp}", cells))
    t, gh, gw = plan.grid_thw
    h, w = frames.shape[1:3]
    n = len(idx)
    text = (
        f"{title}: {h}x{w} video, frames {idx[0]}..{idx[-1]}: {n} sampled -> {rh}x{rw} px "
        f"each, {t} temporal patches of {tp} frames x {gh // plan.merge_size}x"
        f"{gw // plan.merge_size} windows of {window} px = {plan.num_tokens} tokens "
        f"(grid_thw {t}x{gh}x{gw})"
    )
    return _show.compose(_show.contact_sheet(groups), [], text)


_QWEN_VIDEO_KEYS = (
    "patch_size",
    "temporal_patch_size",
    "merge_size",
    "image_mean",
    "image_std",
    "resample",
    "do_sample_frames",
    "fps",
    "num_frames",
    "min_frames",
    "max_frames",
    "cap_pixels_per_frame",
    "max_video_tokens",
)


class VideoProcessor(VideoProcessorBase):
    """transformers 5.x's Qwen2-VL / Qwen3-VL video processors (torchvision backend).

    ``VideoProcessor()`` equals ``Qwen2VLVideoProcessor()`` and
    :meth:`VideoProcessor.qwen3_vl` equals ``Qwen3VLVideoProcessor()``: the same
    ``pixel_values_videos`` (bit for bit in float32), ``video_grid_thw`` and sampled frames
    given the same frames and ``video_metadata``.

    Args:
        min_pixels, max_pixels: ``size["shortest_edge"]`` / ``size["longest_edge"]``.
        budget: ``"frame"`` (Qwen2-VL: each frame's ``h·w`` within the budget) or
            ``"clip"`` (Qwen3-VL: ``round(T/2)·2·h·w`` within it, see
            :func:`video_smart_resize`).
        patch_size, temporal_patch_size, merge_size: the vision tower's geometry.
        image_mean, image_std, resample, dtype: as :class:`ImageProcessor`.
        do_sample_frames, fps, num_frames, min_frames, max_frames: frame sampling as the
            upstream ``sample_frames`` (rule ``"qwen2_vl"`` or ``"qwen3_vl"`` of
            ``video.sample_indices``).
        cap_pixels_per_frame: qwen-vl-utils' per-frame cap, as upstream applies it for
            this budget; ``None`` (upstream's default while it warns about changing it)
            applies no cap, like ``False``.
        max_video_tokens: the cap's token budget (128000 for ``"frame"``, 768 per frame
            for ``"clip"``).
        compat: ``"torchvision"``, the only backend of transformers' video processors.
        reuse_output: write every call's ``pixel_values_videos`` into one reused buffer
            (each call overwrites the previous call's output; see :mod:`dynres_fast.pool`).
    """

    def __init__(
        self,
        *,
        min_pixels: float = 128 * 28 * 28,
        max_pixels: float = 28 * 28 * 768,
        budget: str = "frame",
        patch_size: int = 14,
        temporal_patch_size: int = 2,
        merge_size: int = 2,
        image_mean: Sequence[float] = OPENAI_CLIP_MEAN,
        image_std: Sequence[float] = OPENAI_CLIP_STD,
        resample: Union[str, int] = "bicubic",
        do_sample_frames: bool = False,
        fps: Optional[float] = None,
        num_frames: Optional[int] = None,
        min_frames: int = 4,
        max_frames: int = 768,
        cap_pixels_per_frame: Optional[bool] = None,
        max_video_tokens: int = 128000,
        compat: str = "torchvision",
        dtype: str = "float32",
        reuse_output: bool = False,
    ) -> None:
        self.budget = as_choice("budget", budget, ("frame", "clip"))
        self._rule = "qwen3_vl" if self.budget == "clip" else "qwen2_vl"
        self.patch_size = as_int("patch_size", patch_size)
        self.temporal_patch_size = as_int("temporal_patch_size", temporal_patch_size)
        self.merge_size = as_int("merge_size", merge_size)
        self.min_pixels = as_number("min_pixels", min_pixels)
        self.max_pixels = as_number("max_pixels", max_pixels)
        if not self.min_pixels or not self.max_pixels:
            raise BudgetError(
                f"min_pixels and max_pixels must be non-zero, got {min_pixels} and {max_pixels}"
            )
        self._sizes = (min_pixels, max_pixels)  # as given: the cap's integer arithmetic
        self.cap_pixels_per_frame = (
            None
            if cap_pixels_per_frame is None
            else as_bool("cap_pixels_per_frame", cap_pixels_per_frame)
        )
        self.max_video_tokens = as_int("max_video_tokens", max_video_tokens)
        self._init_sampling(
            do_sample_frames=do_sample_frames,
            fps=fps,
            num_frames=num_frames,
            min_frames=min_frames,
            max_frames=max_frames,
        )
        n = self._init_norm(image_mean, image_std, resample, dtype, compat)
        self._init_output(reuse_output)
        # The family kernel; each video's size comes from this processor's budget rule.
        self._config = _core.Qwen2VLConfig(
            min_pixels=self.min_pixels,
            max_pixels=self.max_pixels,
            patch_size=self.patch_size,
            temporal_patch_size=self.temporal_patch_size,
            merge_size=self.merge_size,
            fps=2.0,
            total_pixels=None,
            resample=n.resample,
            compat=n.compat,
        )

    @classmethod
    def qwen3_vl(cls, **overrides: Any) -> VideoProcessor:
        """``Qwen3VLVideoProcessor()``: patch 16, mean/std 0.5, the whole-clip budget
        ``128·32² … 768·32²``, 2 fps sampling on by default, ``max_video_tokens`` 768."""
        defaults = {
            "min_pixels": 128 * 32 * 32,
            "max_pixels": 768 * 32 * 32,
            "budget": "clip",
            "patch_size": 16,
            "image_mean": (0.5, 0.5, 0.5),
            "image_std": (0.5, 0.5, 0.5),
            "do_sample_frames": True,
            "fps": 2.0,
            "max_video_tokens": 768,
        }
        return cls(**{**defaults, **overrides})

    @classmethod
    def qwen2_5_vl(cls, **overrides: Any) -> VideoProcessor:
        """What ``AutoVideoProcessor`` builds for the released Qwen2-VL / Qwen2.5-VL
        checkpoints (no ``video_preprocessor_config.json``: the image budget
        3136 … 12,845,056 px from ``preprocessor_config.json``)."""
        return cls(**{"min_pixels": 3136, "max_pixels": 12845056, **overrides})

    @classmethod
    def from_pretrained(cls, path: Union[str, os.PathLike], **overrides: Any) -> VideoProcessor:
        """Builds the processor transformers 5.x loads from a model directory (or one JSON
        file): ``Qwen3VLVideoProcessor`` when the config names it (or the directory's
        ``config.json`` is a Qwen3-VL one), else ``Qwen2VLVideoProcessor``, with the
        config's entries over that class's defaults. ``min_pixels``/``max_pixels`` win
        over ``size`` as in ``Qwen2VLVideoProcessor.__init__``."""
        cfg = load_config(path)
        check_fixed(cfg)
        kind = str(cfg.get("video_processor_type") or cfg.get("image_processor_type") or "")
        qwen3 = kind.startswith("Qwen3VL") or (not kind and _is_qwen3_dir(path))
        kw = pick(cfg, _QWEN_VIDEO_KEYS)
        size = cfg.get("size") or {}
        for key, alt in (("min_pixels", "shortest_edge"), ("max_pixels", "longest_edge")):
            value = cfg.get(key) if not qwen3 else None
            if value is None:
                value = size.get(alt)
            if value is not None:
                kw[key] = value
        make = cls.qwen3_vl if qwen3 else cls
        return make(**{**kw, **overrides})

    @property
    def factor(self) -> int:
        """Both resized sides are multiples of this (patch_size · merge_size)."""
        return self.patch_size * self.merge_size

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(min_pixels={self.min_pixels:g}, "
            f"max_pixels={self.max_pixels:g}, budget={self.budget!r}, "
            f"patch_size={self.patch_size}, temporal_patch_size={self.temporal_patch_size}, "
            f"merge_size={self.merge_size}, do_sample_frames={self.do_sample_frames}, "
            f"fps={self.fps}, num_frames={self.num_frames}, dtype={self.dtype!r})"
        )

    def _frame_cap(self, num_frames: int) -> Any:
        """The budget's ``max_pixels`` for a video of ``num_frames`` (sampled) frames, with
        upstream's ``cap_pixels_per_frame`` arithmetic (ints stay ints, as there)."""
        lo, hi = self._sizes
        if not self.cap_pixels_per_frame:
            return hi
        f = self.factor
        if self.budget == "frame":
            total = int(self.max_video_tokens * f * f * 0.9)
            return max(min(hi, total * self.temporal_patch_size // num_frames), int(lo * 1.05))
        per_frame = max(min(self.max_video_tokens * f * f, hi // num_frames), int(lo * 1.05))
        return per_frame * num_frames

    def resized_size(self, num_frames: int, height: int, width: int) -> Tuple[int, int]:
        """The ``(height, width)`` every frame of a (sampled) video is resized to."""
        t = as_int("num_frames", num_frames)
        hi = as_number("max_pixels", self._frame_cap(t))
        if self.budget == "clip":
            return video_smart_resize(
                t,
                height,
                width,
                temporal_factor=self.temporal_patch_size,
                factor=self.factor,
                min_pixels=self.min_pixels,
                max_pixels=hi,
            )
        return smart_resize(
            height, width, factor=self.factor, min_pixels=self.min_pixels, max_pixels=hi
        )

    def num_video_tokens(self, num_frames: int, height: int, width: int) -> int:
        """LLM tokens of one video of ``num_frames`` (sampled) frames: ``t·h·w / merge²``."""
        h, w = self.resized_size(num_frames, height, width)
        t = -(-num_frames // self.temporal_patch_size)
        return t * (h // self.patch_size) * (w // self.patch_size) // self.merge_size**2

    def _timing(
        self, used: Sequence[np.ndarray], clips: Sequence[Tuple[int, Optional[float]]]
    ) -> Dict[str, Any]:
        """Adds ``second_per_grid_ts`` (``Qwen2_5_VLProcessor``: ``temporal_patch_size /
        sample_fps``) and ``grid_timestamps`` (``Qwen3VLProcessor``'s seconds per temporal
        patch, 24 fps assumed without a rate: :func:`grid_timestamps`)."""
        out = super()._timing(used, clips)
        tp = self.temporal_patch_size
        out["second_per_grid_ts"] = np.asarray([tp / f for f in out["sample_fps"]])
        out["grid_timestamps"] = [
            grid_timestamps(idx, 24.0 if fps is None else fps, temporal_patch_size=tp)
            for idx, (_, fps) in zip(used, clips)
        ]
        return out

    def __call__(
        self,
        videos: Any,
        *,
        video_metadata: Any = None,
        do_sample_frames: Optional[bool] = None,
        fps: CallFps = UNSET,
        num_frames: CallCount = UNSET,
    ) -> Dict[str, Any]:
        """Preprocesses videos as the upstream processor's ``__call__``.

        Args:
            videos: a ``(T, H, W, C)`` uint8 array, a list of frames (one video), a list
                of videos, or a ``(B, T, H, W, C)`` array.
            video_metadata: ``None``, or per video a mapping/object with
                ``total_num_frames`` and ``fps`` (e.g. transformers' ``VideoMetadata``).
            do_sample_frames, fps, num_frames: override the processor's sampling. As
                upstream, a keyword not given keeps the processor's setting and both set
                is refused: ``Qwen3VLVideoProcessor`` samples at 2 fps by default, so a
                count needs ``num_frames=n, fps=None`` (see ``resolve_sampling``).

        Returns:
            ``pixel_values_videos`` ``(Σ t·h·w, 3·tp·p·p)``, ``video_grid_thw`` ``(n, 3)``
            int64 and, per video, ``frame_indices`` (the frames used), ``video_fps`` (from
            the metadata, None where unknown), ``sample_fps``, ``timestamps`` (seconds per
            frame), ``second_per_grid_ts`` and ``grid_timestamps`` (see ``_timing``).
        """
        return self._run(videos, video_metadata, do_sample_frames, fps, num_frames)

    def _checked_size(self, i: int, shape: Tuple[int, ...]) -> Tuple[int, int]:
        """The resized ``(h, w)`` of video ``i`` of ``shape`` ``(T, H, W, C)``."""
        try:
            size = self.resized_size(shape[0], shape[1], shape[2])
        except DynresError as e:
            raise type(e)(f"video {i} of shape {shape}: {e}") from None
        if max(size) > _core.MAX_IMAGE_SIDE:
            raise BudgetError(
                f"video {i} of shape {shape} resizes to {size[0]}x{size[1]}; sides above "
                f"{_core.MAX_IMAGE_SIDE} are not supported, lower min_pixels"
            )
        return size

    def _process(self, arrays: List[np.ndarray]) -> Dict[str, Any]:
        plans = [
            self._config.sized_plan(len(a), *self._checked_size(i, a.shape))
            for i, a in enumerate(arrays)
        ]
        grid = np.asarray([p.grid_thw for p in plans], dtype=np.int64).reshape(len(plans), 3)
        n = self._norm
        buf = self._output((int(grid.prod(axis=1).sum()), self._config.row_len), _VIDEO_WHAT)
        self._config.video_pixel_values(arrays, plans, n.table, buf)
        return {"pixel_values_videos": n.present(buf), "video_grid_thw": grid}

    def _stream_sink(self, num_frames: int, height: int, width: int) -> Any:
        return _PatchSink(self, num_frames, height, width)


_VIDEO_WHAT = "pixel_values_videos (patches x 3·tp·p·p)"


class _PatchSink:
    """:meth:`VideoProcessor.from_file`'s frames, patchified group by group straight into
    their rows of ``pixel_values_videos``: rows are temporal-patch major, so a group of
    whole temporal patches is a contiguous block (a short last group is padded by the
    kernel as the whole clip's last patch is)."""

    def __init__(self, proc: VideoProcessor, num_frames: int, height: int, width: int) -> None:
        self.proc, self.tp = proc, proc.temporal_patch_size
        self.size = proc._checked_size(0, (num_frames, height, width, 3))
        t, gh, gw = proc._config.sized_plan(num_frames, *self.size).grid_thw
        self.grid = np.asarray([[t, gh, gw]], dtype=np.int64)
        self.rows_per_patch = gh * gw
        self.group = self.tp * max(1, 8 // self.tp)
        self.buf = proc._output((t * gh * gw, proc._config.row_len), _VIDEO_WHAT)

    def put(self, start: int, frames: np.ndarray) -> None:
        cfg = self.proc._config
        plan = cfg.sized_plan(len(frames), *self.size)
        r0 = start // self.tp * self.rows_per_patch
        rows = self.buf[r0 : r0 + plan.grid_thw[0] * self.rows_per_patch]
        cfg.video_pixel_values([frames], [plan], self.proc._norm.table, rows)

    def finish(self) -> Dict[str, Any]:
        return {
            "pixel_values_videos": self.proc._norm.present(self.buf),
            "video_grid_thw": self.grid,
        }


def grid_timestamps(
    frame_indices: Any, video_fps: float, *, temporal_patch_size: int = 2
) -> np.ndarray:
    """Seconds of each temporal patch, as ``Qwen3VLProcessor`` writes them before the
    patch's ``<|vision_start|>`` (``<{t:.1f} seconds>``): the indices padded with the last
    one to a multiple of ``temporal_patch_size``, divided by ``video_fps``, and the mean
    of each patch's first and last frame time (float64)."""
    idx = as_int64_array("frame_indices", frame_indices, ndim=1)
    tp = as_int("temporal_patch_size", temporal_patch_size)
    fps = as_number("video_fps", video_fps)
    if not fps > 0:
        raise DynresError(f"video_fps must be > 0, got {fps}")
    if idx.size == 0:
        return np.zeros(0)
    idx = np.concatenate([idx, np.repeat(idx[-1:], -idx.size % tp)])
    seconds = [int(i) / fps for i in idx]
    return np.asarray([(seconds[i] + seconds[i + tp - 1]) / 2 for i in range(0, len(seconds), tp)])


def _is_qwen3_dir(path: Union[str, os.PathLike]) -> bool:
    file = os.path.join(os.fspath(path), "config.json")
    if not os.path.isfile(file):
        return False
    with open(file, encoding="utf-8") as f:
        model_type = str(json.load(f).get("model_type", ""))
    return model_type.startswith("qwen3_vl")


#: ``ele`` keys :func:`fetch_video` reads (qwen-vl-utils 0.0.14's names).
_FETCH_KEYS = frozenset(
    {
        "type",
        "video",
        "fps",
        "nframes",
        "min_frames",
        "max_frames",
        "min_pixels",
        "max_pixels",
        "total_pixels",
        "resized_height",
        "resized_width",
    }
)


def _video_source(value: Any) -> Any:
    if isinstance(value, str):
        return value[len("file://") :] if value.startswith("file://") else value
    if isinstance(value, (os.PathLike, bytes, bytearray, memoryview)) or hasattr(value, "read"):
        return value
    raise TypeError(
        "fetch_video reads ele['video'] as a file path (str, 'file://…' or os.PathLike), the "
        f"file's bytes or a binary file object, got {type(value).__name__}; for decoded "
        "frames use VideoProcessor or ImageProcessor.videos"
    )


def fetch_video(
    ele: Mapping[str, Any],
    *,
    image_patch_size: int = 14,
    model_seq_len: float = 128000,
    threads: Optional[int] = None,
) -> Tuple[np.ndarray, float, np.ndarray]:
    """qwen-vl-utils 0.0.14's ``fetch_video(ele, image_patch_size,
    return_video_sample_fps=True)`` for a video file, decoding only the sampled frames.

    Frames are chosen by ``smart_nframes`` (``ele["fps"]`` (2) with ``min_frames`` (4) /
    ``max_frames`` (768), or ``ele["nframes"]``) and its decoders' float32
    ``torch.linspace(0, N - 1, n).round()``; each is resized to :func:`video_budget`'s
    size (``min_pixels``, ``max_pixels``, ``total_pixels`` from ``ele``, or
    ``resized_height``/``resized_width`` through qwen-vl-utils' :func:`smart_resize`) by
    the same torchvision call qwen-vl-utils makes (``transforms.functional.resize``,
    bicubic, antialiased: float32 inside, rounded to uint8; torch and torchvision are
    needed for this step). qwen-vl-utils then calls ``.float()``: the same values.
    Only the sampled frames are decoded.

    Args:
        ele: the conversation entry: ``{"video": path, ...}`` (keys as qwen-vl-utils).
        image_patch_size: 14 (Qwen2/2.5-VL) or 16 (Qwen3-VL).
        model_seq_len: qwen-vl-utils' ``MODEL_SEQ_LEN`` (its environment variable,
            128000 by default), which sets the default ``total_pixels``.
        threads: decoder threads for :func:`dynres_fast.video.read_frames`.

    Returns:
        ``(frames (T, 3, H, W) uint8, sample_fps, frame_indices int64)`` with
        ``sample_fps = T / N · video_fps``.

    Raises:
        DynresError: unknown keys (``video_start``/``video_end`` are not supported),
            ``fps`` with ``nframes``, a count outside ``[2, N]``, and the errors of
            :func:`dynres_fast.video.probe` / ``read_frames`` for unreadable files.
        TypeError: ``ele`` not a mapping, ``ele["video"]`` not a file.
        ImportError: PyAV, torch or torchvision missing.
    """
    from . import video

    if not isinstance(ele, Mapping):
        raise TypeError(f"ele must be a mapping like {{'video': path}}, got {type(ele).__name__}")
    if "video" not in ele:
        raise DynresError(f"ele needs a 'video' entry (the file); it has keys {sorted(ele)}")
    unknown = sorted(set(ele) - _FETCH_KEYS)
    if unknown:
        raise DynresError(
            f"fetch_video does not support the keys {unknown}; accepted: {sorted(_FETCH_KEYS)}"
        )
    src = _video_source(ele["video"])
    info = video.probe(src)
    idx = video.sample_indices(
        info.num_frames,
        rule="qwen_vl_utils",
        video_fps=info.fps,
        fps=ele.get("fps"),
        num_frames=ele.get("nframes"),
        min_frames=ele.get("min_frames"),
        max_frames=ele.get("max_frames"),
    )
    sample_fps = len(idx) / max(info.num_frames, 1e-6) * info.fps
    # video_budget's range for the patch size, checked here for the resized_* path too.
    factor = 2 * as_int("image_patch_size", image_patch_size, maximum=4096)
    if "resized_height" in ele and "resized_width" in ele:
        size = smart_resize(
            as_int("resized_height", ele["resized_height"]),
            as_int("resized_width", ele["resized_width"]),
            factor=factor,
            min_pixels=4 * factor * factor,
            max_pixels=16384 * factor * factor,
            reference="qwen_vl_utils",
        )
    else:
        size = video_budget(
            len(idx),
            info.height,
            info.width,
            image_patch_size=image_patch_size,
            min_pixels=ele.get("min_pixels"),
            max_pixels=ele.get("max_pixels"),
            total_pixels=ele.get("total_pixels"),
            model_seq_len=model_seq_len,
        )
    frames = video.read_frames(src, idx, threads=threads)
    return _qwen_vl_utils_resize(frames, size), sample_fps, idx


def _qwen_vl_utils_resize(frames: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """qwen-vl-utils' frame resize, through the same torchvision call.

    ``torchvision.transforms.functional.resize`` on a uint8 tensor converts it to float32,
    interpolates (bicubic, antialiased), clamps and rounds back to uint8 — torch's float
    kernel, not the uint8 one that ``compat="torchvision"`` reproduces (they differ by a
    few levels) — so the call itself is made here.
    """
    try:
        import torch
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms import functional as tvf
    except ImportError as e:
        raise ImportError(
            "fetch_video resizes frames exactly as qwen-vl-utils does, with torchvision's "
            "float32 bicubic antialiased resize; install torch and torchvision"
        ) from e
    stack = torch.from_numpy(frames).permute(0, 3, 1, 2)
    out = tvf.resize(stack, list(size), interpolation=InterpolationMode.BICUBIC, antialias=True)
    return np.ascontiguousarray(out.numpy())
