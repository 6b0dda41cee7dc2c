"""Model registry: one name per checkpoint family → its planning functions.

Every registered model offers the same two calls, which the CLI and dataset tools use:

- ``plan(height, width, **overrides)`` → a small frozen dataclass with at least
  ``num_tokens`` (here :class:`QwenPlan`);
- ``num_tokens_many(heights, widths, **overrides)`` → an int64 array, vectorised.

Another family registers with a few lines, e.g.::

    register(ModelSpec("internvl2.5", "InternVL 2.5, 448-px tiles",
                       internvl.plan, internvl.num_tokens_many,
                       options=("max_num", "use_thumbnail")))

Qwen videos (``frames=`` total frames in the clip, ``fps=`` its frame rate) follow
qwen-vl-utils 0.0.14 ``fetch_video`` — the path the Qwen model cards use: sample at
``sample_fps`` (2.0) with :func:`qwen2vl.sample_frames`, size each frame with
:func:`qwen2vl.video_budget`, then ``grid_t = ceil(n / 2)`` and
``num_tokens = grid_t · gh · gw / merge²``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from . import qwen2vl
from ._coerce import as_int64_array, as_number
from .errors import DynresError

__all__ = [
    "ModelSpec",
    "QwenPlan",
    "QwenVL",
    "get",
    "names",
    "register",
]


@dataclass(frozen=True)
class QwenPlan:
    """What a Qwen-VL model does with one image or video of a given size.

    ``frames`` is ``None`` for an image; for a video it is the number of sampled frames.
    """

    height: int
    width: int
    resized_height: int
    resized_width: int
    grid_thw: Tuple[int, int, int]
    num_tokens: int
    patch_size: int
    merge_size: int
    frames: Optional[int] = None

    @property
    def resized_size(self) -> Tuple[int, int]:
        """``(resized_height, resized_width)``."""
        return (self.resized_height, self.resized_width)


@dataclass(frozen=True)
class QwenVL:
    """The planning side of one Qwen-VL checkpoint family (patch size, merge, budget)."""

    patch_size: int
    min_pixels: float
    max_pixels: float
    merge_size: int = 2
    temporal_patch_size: int = 2

    @property
    def factor(self) -> int:
        """Resized sides are multiples of this (patch_size · merge_size)."""
        return self.patch_size * self.merge_size

    def _budget(self, overrides: Dict[str, Any]) -> Tuple[float, float]:
        lo = overrides.get("min_pixels")
        hi = overrides.get("max_pixels")
        return (
            self.min_pixels if lo is None else as_number("min_pixels", lo),
            self.max_pixels if hi is None else as_number("max_pixels", hi),
        )

    def plan(
        self,
        height: int,
        width: int,
        *,
        frames: Optional[int] = None,
        fps: Optional[float] = None,
        min_pixels: Optional[float] = None,
        max_pixels: Optional[float] = None,
        sample_fps: float = 2.0,
        total_pixels: Optional[float] = None,
    ) -> QwenPlan:
        """The resized size, ``grid_thw`` and LLM token count for one image or video.

        Args:
            height, width: the input size.
            frames, fps: give both for a video (total frames and its frame rate).
            min_pixels, max_pixels: override the image budget.
            sample_fps, total_pixels: qwen-vl-utils' video sampling rate and clip budget.
        """
        p, m = self.patch_size, self.merge_size
        if (frames is None) != (fps is None):
            raise DynresError(
                f"a video needs both frames and fps, got frames={frames!r} fps={fps!r}"
            )
        if frames is None:
            lo, hi = self._budget({"min_pixels": min_pixels, "max_pixels": max_pixels})
            rh, rw = qwen2vl.smart_resize(
                height, width, factor=self.factor, min_pixels=lo, max_pixels=hi
            )
            t, n = 1, None
        else:
            n = len(qwen2vl.sample_frames(frames, fps, fps=sample_fps))  # type: ignore[arg-type]
            rh, rw = qwen2vl.video_budget(
                n, height, width, image_patch_size=p, total_pixels=total_pixels
            )
            t = -(-n // self.temporal_patch_size)
        gh, gw = rh // p, rw // p
        return QwenPlan(
            int(height), int(width), rh, rw, (t, gh, gw), t * gh * gw // (m * m), p, m, n
        )

    def num_tokens_many(
        self,
        heights: Any,
        widths: Any,
        *,
        frames: Any = None,
        fps: Any = None,
        min_pixels: Optional[float] = None,
        max_pixels: Optional[float] = None,
        sample_fps: float = 2.0,
        total_pixels: Optional[float] = None,
        errors: str = "raise",
    ) -> np.ndarray:
        """Token counts for arrays of sizes (int64), vectorised.

        ``frames``/``fps``: optional arrays; rows where ``frames > 0`` are videos (their
        ``fps`` must be > 0), the others images. ``errors="mask"`` returns ``-1`` for rows
        the model refuses instead of raising for the first one.
        """
        hs = as_int64_array("heights", heights, ndim=1)
        ws = as_int64_array("widths", widths, ndim=1)
        if hs.shape != ws.shape:
            raise DynresError(f"heights and widths differ in length: {hs.size} vs {ws.size}")
        lo, hi = self._budget({"min_pixels": min_pixels, "max_pixels": max_pixels})
        rh, rw = qwen2vl.smart_resize_many(
            hs, ws, factor=self.factor, min_pixels=lo, max_pixels=hi, errors=errors
        )
        t = np.ones(hs.size, np.int64)
        if frames is not None:
            fr = as_int64_array("frames", frames, ndim=1)
            fp = np.ascontiguousarray(fps if fps is not None else np.zeros(fr.size), np.float64)
            if fr.shape != hs.shape or fp.shape != hs.shape:
                raise DynresError("frames and fps must have one value per row")
            video = fr > 0
            if video.any():
                idx = np.flatnonzero(video)
                n = _video_frame_counts(fr[idx], fp[idx], sample_fps, idx, errors)
                vh, vw = self._video_sizes(hs[idx], ws[idx], n, total_pixels, errors)
                bad = (n < 0) | (vh < 0)
                rh[idx], rw[idx] = np.where(bad, -1, vh), np.where(bad, -1, vw)
                t[idx] = np.where(bad, 1, -(-n // self.temporal_patch_size))
        p, m = self.patch_size, self.merge_size
        tokens = t * (rh // p) * (rw // p) // (m * m)
        tokens[rh < 0] = -1
        return tokens

    def _video_sizes(
        self,
        hs: np.ndarray,
        ws: np.ndarray,
        n: np.ndarray,
        total_pixels: Optional[float],
        errors: str,
    ) -> Tuple[np.ndarray, np.ndarray]:
        """Per-frame sizes under qwen-vl-utils' per-frame cap, one smart_resize per count."""
        f = self.factor
        f2 = float(f * f)
        min_pixels = 128.0 * f2
        total = (
            128000.0 * f2 * 0.9 if total_pixels is None else as_number("total_pixels", total_pixels)
        )
        vh, vw = np.full(hs.size, -1, np.int64), np.full(hs.size, -1, np.int64)
        for count in np.unique(n[n > 0]):
            rows = np.flatnonzero(n == count)
            cap = max(min(768.0 * f2, total / float(count) * 2.0), math.trunc(min_pixels * 1.05))
            try:
                vh[rows], vw[rows] = qwen2vl.smart_resize_many(
                    hs[rows],
                    ws[rows],
                    factor=f,
                    min_pixels=min_pixels,
                    max_pixels=cap,
                    rule="qwen_vl_utils",
                    errors=errors,
                )
            except DynresError as e:
                raise type(e)(f"video rows with {count} sampled frames: {e}") from None
        return vh, vw


def _video_frame_counts(
    total: np.ndarray, video_fps: np.ndarray, fps: float, rows: np.ndarray, errors: str
) -> np.ndarray:
    """qwen-vl-utils ``smart_nframes`` (fps mode, defaults) over arrays, same f64 steps."""
    ok = np.isfinite(video_fps) & (video_fps > 0)
    totf = total.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = totf / np.where(ok, video_fps, 1.0) * fps
    maxf = np.floor(np.minimum(768.0, totf) / 2.0) * 2.0
    n = np.minimum(np.minimum(np.maximum(n, 4.0), maxf), totf)
    n = np.floor(n / 2.0) * 2.0
    ok &= (n >= 2.0) & (n <= totf)
    if not ok.all() and errors == "raise":
        i = int(np.flatnonzero(~ok)[0])
        raise DynresError(
            f"row {int(rows[i])}: cannot sample a video of {int(total[i])} frames at "
            f"{video_fps[i]} fps (qwen-vl-utils needs fps > 0 and at least 2 frames)"
        )
    return np.where(ok, n, -1).astype(np.int64)


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: its name, a one-line description and its planning calls.

    ``plan(height, width, **overrides)`` returns an object with ``num_tokens``;
    ``num_tokens_many(heights, widths, **overrides)`` returns int64 counts. ``options``
    names the overrides the model accepts (the CLI checks flags against it), and
    ``geometry`` — optional — is what ``dynres-fast show`` needs to draw the patch grid.
    """

    name: str
    description: str
    plan: Callable[..., Any]
    num_tokens_many: Callable[..., np.ndarray]
    options: Tuple[str, ...] = ()
    geometry: Optional[QwenVL] = field(default=None, compare=False)

    def check_options(self, overrides: Dict[str, Any]) -> Dict[str, Any]:
        """Drops ``None`` values; a DynresError for an override this model has no use for."""
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            raise DynresError(
                f"model {self.name!r} does not accept {', '.join(unknown)}; it accepts "
                f"{', '.join(self.options) or 'no options'}"
            )
        return given


_REGISTRY: Dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Adds (or replaces) a model under ``spec.name``."""
    _REGISTRY[spec.name] = spec
    return spec


def names() -> List[str]:
    """The registered model names, sorted."""
    return sorted(_REGISTRY)


def get(name: str) -> ModelSpec:
    """The model registered as ``name``; a DynresError listing the known names otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DynresError(f"unknown model {name!r}; known models: {', '.join(names())}") from None


_QWEN_OPTIONS = ("frames", "fps", "min_pixels", "max_pixels", "sample_fps", "total_pixels")


def _register_qwen(name: str, description: str, q: QwenVL) -> None:
    register(ModelSpec(name, description, q.plan, q.num_tokens_many, _QWEN_OPTIONS, q))


_register_qwen(
    "qwen2-vl", "Qwen2-VL hub config: patch 14, 3,136..12,845,056 px", QwenVL(14, 3136, 12845056)
)
_register_qwen(
    "qwen2.5-vl",
    "Qwen2.5-VL hub config: patch 14, 3,136..12,845,056 px",
    QwenVL(14, 3136, 12845056),
)
_register_qwen(
    "qwen3-vl", "Qwen3-VL hub config: patch 16, 65,536..16,777,216 px", QwenVL(16, 65536, 16777216)
)
_register_qwen(
    "qwen2-vl-default",
    "Qwen2VLImageProcessor() class defaults: patch 14, 3,136..1,003,520 px",
    QwenVL(14, 3136, 1003520),
)


def _register_families() -> None:
    # Imported here: the family modules import nothing from this one, and the registry
    # stays the single place that names every model.
    from . import internvl, llava_onevision, oryx

    register(
        ModelSpec(
            "internvl",
            "InternVL 1.5/2/2.5: 448-px tiles, 1..12 of them, plus a thumbnail",
            internvl.plan,
            internvl.num_tokens_many,
            ("max_num", "min_num"),
        )
    )
    register(
        ModelSpec(
            "llava-onevision",
            "LLaVA-OneVision: anyres_max_9 canvas of 384-px crops, transformers token count",
            llava_onevision.plan,
            llava_onevision.num_tokens_many,
        )
    )
    register(
        ModelSpec(
            "oryx",
            "Oryx / Oryx-1.5: native resolution up to 1536 px plus a ~384² low-res view",
            oryx.plan,
            oryx.num_tokens_many,
        )
    )


_register_families()
