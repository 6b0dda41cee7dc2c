"""Qwen2-VL / Qwen2.5-VL / Qwen3-VL: resolution choice, frame sampling and budgets.

``smart_resize`` reproduces transformers
(``transformers.models.qwen2_vl.image_processing_qwen2_vl.smart_resize``) exactly; frame
sampling and per-frame budgets reproduce qwen-vl-utils 0.0.14. :func:`plan` and
:func:`num_tokens_many` answer "what size, which grid, how many tokens" for images and
(through qwen-vl-utils' ``fetch_video``) for clips of a given length and frame rate.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._choices import ALL_COMPATS, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD, Normalisation, as_choice
from ._coerce import as_int, as_int64_array, as_number
from ._family import FamilyProcessor, pick, processor_for
from ._images import as_image_list, as_video
from .errors import BudgetError, DynresError

__all__ = [
    "ImageProcessor",
    "OPENAI_CLIP_MEAN",
    "OPENAI_CLIP_STD",
    "Qwen2VLPlan",
    "num_tokens_many",
    "describe",
    "draw",
    "plan",
    "sample_frames",
    "smart_resize",
    "smart_resize_many",
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
        DynresError: where qwen-vl-utils raises (a count outside ``[2, total_frames]``)
            and for non-positive rates.
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

    ``proc(images)`` equals ``transformers.Qwen2VLImageProcessor(min_pixels=...,
    max_pixels=...)(images, return_tensors="np")`` (the slow, Pillow processor for
    ``compat="pillow"``) within 1e-6 — in practice bit for bit for float32. With
    ``compat="torchvision"`` it equals the *fast* processor (torchvision's uint8
    antialiased resize on CPU and its fused ``(v - 255·mean) / (255·std)`` normalise).
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
    """

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
    ) -> None:
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
        arrays = as_image_list(images)
        plans = self._plans(arrays)
        buf, grid = self._run(plans, out)
        self._config.pixel_values(arrays, plans, self._norm.table, buf)
        return {"pixel_values": self._norm.present(buf), "image_grid_thw": grid}

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
