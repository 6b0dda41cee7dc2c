"""LLaVA-OneVision (anyres_max_9, SigLIP 384/14): canvas choice, crop plans, token counts,
feature pooling and video frame indices.

Two references: transformers 4.57 ``LlavaOnevisionProcessor`` (``convention=
"transformers"``, the default: unpadding with ``int(round(x, 7))``) and LLaVA-NeXT's
``mm_utils`` / ``llava_arch`` (``convention="original"``: ``int(x)``). They disagree on a
handful of sizes (e.g. 423×47: 1161 vs 1053 tokens). Sizes are ``(height, width)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._choices import (
    ALL_COMPATS,
    Normalisation,
    as_bool,
    as_choice,
    as_optional_number,
    as_pinpoints,
)
from ._coerce import as_int, as_int64_array, as_number
from ._frames import as_video_list, sample, squash, torchvision_video_channels
from ._images import as_image_list
from ._video_processor import SquashVideoProcessor
from .errors import DynresError

__all__ = [
    "VideoProcessor",
    "ANYRES_MAX_9",
    "BASE_TOKENS",
    "CROP_SIZE",
    "ImageProcessor",
    "MULTI_IMAGE_TOKENS",
    "SIGLIP_MEAN",
    "SIGLIP_STD",
    "LlavaOnevisionPlan",
    "frame_indices",
    "num_image_tokens",
    "num_tokens_many",
    "plan",
    "pool_features",
    "select_best_resolution",
    "video_num_tokens",
]

CROP_SIZE = 384
#: Tokens of one 384² crop: 27×27 SigLIP patches.
BASE_TOKENS = 729
#: Tokens per image when one prompt holds several images (one crop + one newline).
MULTI_IMAGE_TOKENS = 730
SIGLIP_MEAN = (0.5, 0.5, 0.5)
SIGLIP_STD = (0.5, 0.5, 0.5)
#: ``image_grid_pinpoints`` of the OneVision checkpoints: ``[384·i, 384·j]``, i, j in 1..6.
ANYRES_MAX_9: Tuple[Tuple[int, int], ...] = tuple(
    (CROP_SIZE * i, CROP_SIZE * j) for i in range(1, 7) for j in range(1, 7)
)

_CONVENTIONS = ("transformers", "original")


@dataclass(frozen=True)
class LlavaOnevisionPlan:
    """What LLaVA-OneVision does with one image.

    Attributes:
        canvas: ``(height, width)`` chosen among the pinpoints.
        resized: ``(height, width)`` of the image resized (aspect kept, ceil) into the canvas.
        paste: ``(top, left)`` offset of the resized image on the black canvas.
        grid: ``(cols, rows)`` of 384² crops of the canvas.
        boxes: ``(top, left, height, width)`` of each crop, row-major. The base crop (a
            384² squash of the whole image) precedes them and is not a box.
        num_crops: crops fed to SigLIP, base included: ``1 + cols·rows``.
        unpadded: ``(height, width)`` of the feature grid after removing padding.
        times: ``sqrt(h·w / (9·27²))`` of the unpadded grid; above 1.1 it is downsampled.
        final: ``(height, width)`` of the feature grid the LLM sees.
        num_tokens: ``729 + final_h · (final_w + 1)`` (base, grid, one newline per row).
    """

    canvas: Tuple[int, int]
    resized: Tuple[int, int]
    paste: Tuple[int, int]
    grid: Tuple[int, int]
    boxes: Tuple[Tuple[int, int, int, int], ...]
    num_crops: int
    unpadded: Tuple[int, int]
    times: float
    final: Tuple[int, int]
    num_tokens: int


def _size(height: Any, width: Any) -> Tuple[int, int]:
    return as_int("height", height), as_int("width", width)


def select_best_resolution(
    height: int,
    width: int,
    pinpoints: Sequence[Sequence[int]] = ANYRES_MAX_9,
    *,
    convention: str = "transformers",
) -> Tuple[int, int]:
    """The ``(height, width)`` canvas for an image: the largest effective resolution
    ``min(int(W·s)·int(H·s), W·H)`` with ``s = min(Wc/W, Hc/H)``, then the least waste,
    the first pinpoint winning a full tie.

    ``pinpoints`` is the config's ``image_grid_pinpoints`` list. transformers reads each
    pair as ``(height, width)``, LLaVA-NeXT as ``(width, height)``; for the symmetric
    :data:`ANYRES_MAX_9` both give the same canvas (only their scan order differs).
    """
    h, w = _size(height, width)
    return _core.llava_ov_select_best_resolution(
        h, w, as_pinpoints(pinpoints), as_choice("convention", convention, _CONVENTIONS)
    )


def plan(
    height: int,
    width: int,
    *,
    pinpoints: Sequence[Sequence[int]] = ANYRES_MAX_9,
    convention: str = "transformers",
) -> LlavaOnevisionPlan:
    """The anyres_max_9 plan for one image (single-image prompts).

    Raises:
        DynresError: non-positive sides, empty pinpoints or sides that are not multiples
            of 384, an unknown convention.
        TypeError: non-integer sizes.
    """
    h, w = _size(height, width)
    canvas, resized, paste, (rows, cols), unpadded, times, final, tokens = _core.llava_ov_plan(
        h, w, as_pinpoints(pinpoints), as_choice("convention", convention, _CONVENTIONS)
    )
    boxes = tuple(
        (r * CROP_SIZE, c * CROP_SIZE, CROP_SIZE, CROP_SIZE)
        for r in range(rows)
        for c in range(cols)
    )
    return LlavaOnevisionPlan(
        canvas=canvas,
        resized=resized,
        paste=paste,
        grid=(cols, rows),
        boxes=boxes,
        num_crops=1 + rows * cols,
        unpadded=unpadded,
        times=times,
        final=final,
        num_tokens=tokens,
    )


def num_image_tokens(
    height: int,
    width: int,
    *,
    pinpoints: Sequence[Sequence[int]] = ANYRES_MAX_9,
    convention: str = "transformers",
) -> int:
    """``<image>`` tokens of one image in a single-image prompt.

    With ``convention="transformers"`` this equals
    ``LlavaOnevisionProcessor._get_number_of_features(height, width, 384, 384)``.
    Several images in one prompt take :data:`MULTI_IMAGE_TOKENS` each instead.
    """
    return plan(height, width, pinpoints=pinpoints, convention=convention).num_tokens


def num_tokens_many(
    heights: Any,
    widths: Any,
    *,
    pinpoints: Sequence[Sequence[int]] = ANYRES_MAX_9,
    convention: str = "transformers",
    errors: str = "raise",
) -> np.ndarray:
    """:func:`num_image_tokens` over arrays of sizes, vectorised in Rust (GIL released).

    ``errors="mask"`` writes -1 for refused rows instead of raising.
    """
    hs = as_int64_array("heights", heights, ndim=1)
    ws = as_int64_array("widths", widths, ndim=1)
    return _core.llava_ov_num_tokens_many(
        hs,
        ws,
        as_pinpoints(pinpoints),
        as_choice("convention", convention, _CONVENTIONS),
        as_choice("errors", errors, ("raise", "mask")),
    )


def video_num_tokens(num_frames: int) -> int:
    """``<video>`` tokens for ``num_frames`` frames: 14×14 bilinear-pooled features per
    frame and one newline for the whole video, ``196·T + 1``."""
    t = as_int("num_frames", num_frames, minimum=0)
    return 196 * t + 1


def pool_features(features: Any, out_hw: Tuple[int, int] = (14, 14)) -> np.ndarray:
    """Bilinear resize of feature maps laid out ``(..., H, W, C)`` to ``out_hw``, as
    ``F.interpolate(mode="bilinear", align_corners=False)`` on ``(N, C, H, W)``.

    The default ``(14, 14)`` is OneVision's video pooling of the 27×27 SigLIP grid
    (``ceil(27 / 2)``). Weights are computed in the array's precision as torch does
    (float32 for float32); the sum is ``h0·(w0·x00 + w1·x01) + h1·(w0·x10 + w1·x11)``.

    Args:
        features: float32 or float64 array with at least 3 dimensions; copied once if it
            is not C-contiguous.
        out_hw: ``(height, width)`` of the output grid.

    Raises:
        TypeError: non-float arrays.
        DynresError: fewer than 3 dimensions, empty grids.
    """
    arr = np.asarray(features)
    if arr.dtype not in (np.float32, np.float64):
        raise TypeError(f"features must be float32 or float64, got {arr.dtype}")
    if len(out_hw) != 2:
        raise DynresError(f"out_hw must be a (height, width) pair, got {out_hw!r}")
    oh, ow = as_int("out_hw[0]", out_hw[0]), as_int("out_hw[1]", out_hw[1])
    return _core.pool_features(np.ascontiguousarray(arr), oh, ow)


def frame_indices(
    total_frames: int,
    num_frames: int,
    *,
    rule: str = "uniform",
    video_fps: Optional[float] = None,
    fps: float = 1.0,
    force_sample: bool = False,
) -> np.ndarray:
    """Video frames LLaVA-OneVision samples (int64 indices).

    ``rule="uniform"``: ``np.linspace(0, N-1, num_frames, dtype=int)`` (tutorial and
    lmms-eval; duplicates when ``num_frames > N``). ``rule="fps"``: the training loader
    ``process_video_with_decord``: every ``round(video_fps / fps)``-th frame, replaced by
    the uniform rule when more than ``num_frames`` (``frames_upbound``) or ``force_sample``.
    """
    n_total = as_int("total_frames", total_frames)
    n = as_int("num_frames", num_frames, minimum=0)
    if as_choice("rule", rule, ("uniform", "fps")) == "uniform":
        return _core.linspace_frame_indices(n_total, n)
    vfps = as_optional_number("video_fps", video_fps)
    if vfps is None:
        raise DynresError("rule='fps' needs video_fps (the clip's average frame rate)")
    return _core.stride_frame_indices(
        n_total, vfps, as_number("fps", fps), n, as_bool("force_sample", force_sample)
    )


def _image_sizes(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """``(n, 2)`` int64 ``(height, width)`` of each image (``(0, 2)`` for none)."""
    return np.asarray([a.shape[:2] for a in arrays], dtype=np.int64).reshape(len(arrays), 2)


class ImageProcessor:
    """LLaVA-OneVision single-image (anyres_max_9) preprocessing.

    ``proc(images)`` equals transformers' slow ``LlavaOnevisionImageProcessor()(images,
    return_tensors="np")`` for a flat list of images (each gets the full anyres treatment,
    as there) within 1e-6 — bit for bit for float32 — with ``compat="pillow"`` against
    Pillow >= 13 (``"pillow12"`` for Pillow <= 12, as the original LLaVA-NeXT ran). With
    ``compat="torchvision"`` it equals the fast ``LlavaOnevisionImageProcessorFast()``
    (torchvision's uint8 antialiased resize, fused ``(v - 255·mean) / (255·std)`` in
    float32), bit for bit for float32.

    Args:
        image_grid_pinpoints: the canvas list (config order; see
            :func:`select_best_resolution`).
        image_mean, image_std: per-channel normalisation (SigLIP 0.5 by default).
        convention: token-count convention (``"transformers"`` or ``"original"``); pixels
            are the same for both.
        compat: ``"pillow"`` / ``"pillow12"`` (slow processor) or ``"torchvision"`` (fast).
        dtype: as for the other processors.
        resample: the filter of every resize (``"bicubic"`` upstream), a name or PIL code;
            ``compat="torchvision"`` has only ``"bilinear"`` and ``"bicubic"``.
    """

    def __init__(
        self,
        image_grid_pinpoints: Sequence[Sequence[int]] = ANYRES_MAX_9,
        image_mean: Sequence[float] = SIGLIP_MEAN,
        image_std: Sequence[float] = SIGLIP_STD,
        convention: str = "transformers",
        compat: str = "pillow",
        dtype: str = "float32",
        resample: Any = "bicubic",
    ) -> None:
        self.pinpoints = as_pinpoints(image_grid_pinpoints)
        self.convention = as_choice("convention", convention, _CONVENTIONS)
        self._norm = Normalisation(
            image_mean, image_std, compat, dtype, compats=ALL_COMPATS, resample=resample
        )
        plan(CROP_SIZE, CROP_SIZE, pinpoints=self.pinpoints)  # validates the pinpoints

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(pinpoints={len(self.pinpoints)} canvases, "
            f"convention={self.convention!r}, resample={self._norm.resample!r}, "
            f"compat={self._norm.compat!r}, "
            f"dtype={self._norm.dtype!r})"
        )

    def __call__(self, images: Any) -> Dict[str, np.ndarray]:
        """Preprocesses one image or a list of images (uint8 arrays and/or PIL images).

        Returns:
            ``pixel_values`` ``(n, max_crops, 3, 384, 384)`` (base crop first, then the
            canvas crops row-major; zero-padded to the batch's largest crop count; an
            empty list gives ``(0, 1, 3, 384, 384)``),
            ``image_sizes`` ``(n, 2)`` int64 ``(height, width)``, and
            ``num_image_tokens`` ``(n,)`` int64 (single-image prompt counts).
        """
        arrays = as_image_list(images)
        plans = []
        for i, a in enumerate(arrays):
            try:
                plans.append(
                    plan(
                        a.shape[0], a.shape[1], pinpoints=self.pinpoints, convention=self.convention
                    )
                )
            except DynresError as e:
                raise type(e)(f"image {i} of shape {a.shape}: {e}") from None
        # An empty batch keeps one (base) crop slot, like multi_image's shape.
        max_crops = max((p.num_crops for p in plans), default=1)
        out = np.empty((len(arrays), max_crops, 3, CROP_SIZE, CROP_SIZE), self._norm.storage)
        _core.llava_ov_pixel_values(
            arrays,
            self.pinpoints,
            self.convention,
            max_crops,
            self._norm.compat,
            self._norm.resample,
            self._norm.table,
            out,
        )
        return {
            "pixel_values": self._norm.present(out),
            "image_sizes": _image_sizes(arrays),
            "num_image_tokens": np.asarray([p.num_tokens for p in plans], dtype=np.int64),
        }

    def multi_image(self, images: Any) -> Dict[str, np.ndarray]:
        """Preprocesses the images of one multi-image prompt: each is padded to a square
        with the colour ``int(255·mean)`` per channel (127 for SigLIP), centred at
        ``(max - min) // 2``, then squashed bicubic to 384² — one crop per image.

        Equals transformers' slow ``LlavaOnevisionImageProcessor`` given the images nested
        as one prompt (``[[a, b, …]]``, ``batch_num_images > 1``) and LLaVA-NeXT's
        ``image_aspect_ratio="pad"``; with ``compat="torchvision"``, the fast
        ``LlavaOnevisionImageProcessorFast`` given the same nesting (same colour and
        offsets). (A single image nested alone gets the anyres treatment there; call the
        processor itself for that.)

        Returns:
            ``pixel_values`` ``(n, 1, 3, 384, 384)``, ``image_sizes`` ``(n, 2)`` int64 and
            ``num_image_tokens`` ``(n,)`` int64, :data:`MULTI_IMAGE_TOKENS` (729 + one
            newline) each.
        """
        arrays = as_image_list(images)
        r, g, b = (int(m * 255) for m in self._norm.image_mean)
        background = (r, g, b)
        if not all(0 <= b <= 255 for b in background):
            raise DynresError(
                f"image_mean {self._norm.image_mean} gives a pad colour {background} outside 0-255"
            )
        out = np.empty((len(arrays), 1, 3, CROP_SIZE, CROP_SIZE), self._norm.storage)
        _core.llava_ov_multi_image_pixel_values(
            arrays, background, self._norm.compat, self._norm.resample, self._norm.table, out
        )
        return {
            "pixel_values": self._norm.present(out),
            "image_sizes": _image_sizes(arrays),
            "num_image_tokens": np.full(len(arrays), MULTI_IMAGE_TOKENS, dtype=np.int64),
        }

    def videos(self, videos: Any, *, num_frames: Optional[int] = None) -> Dict[str, Any]:
        """Preprocesses videos as LLaVA-OneVision's video path does (LLaVA-NeXT through
        SigLIP's image processor): every frame squashed bicubic to 384² (aspect not kept)
        and normalised. Equals transformers' slow ``SiglipImageProcessor(size={"height":
        384, "width": 384})`` on each frame (with this processor's mean/std). With
        ``compat="torchvision"`` it equals transformers' ``LlavaOnevisionVideoProcessor``
        (torchvision, what ``LlavaOnevisionProcessor`` uses for videos) with this processor's
        mean/std, given the same frames; 4-channel videos are refused there (its RGBA
        blending is not reproduced).

        Args:
            videos: one ``(T, H, W, C)`` uint8 array, or a list of videos (arrays or lists of
                frames; a bare list of frames is one video).
            num_frames: ``None`` uses every frame given (already sampled); a number first
                picks ``np.linspace(0, T-1, num_frames, dtype=int)`` (:func:`frame_indices`).

        Returns:
            ``pixel_values_videos``: a list with one ``(T, 3, 384, 384)`` array per video;
            ``frame_indices``: the frames used per video; ``num_video_tokens`` ``(n,)`` int64,
            :func:`video_num_tokens` (``196·T + 1``).
        """
        arrays = torchvision_video_channels(as_video_list(videos), self._norm.compat)
        if num_frames is not None:
            num_frames = as_int("num_frames", num_frames)
        arrays, used = sample(arrays, num_frames, lambda n, k: frame_indices(n, k))
        values = squash(arrays, [(CROP_SIZE, CROP_SIZE)] * len(arrays), self._norm)
        return {
            "pixel_values_videos": values,
            "frame_indices": used,
            "num_video_tokens": np.asarray([video_num_tokens(len(a)) for a in arrays], np.int64),
        }


class VideoProcessor(SquashVideoProcessor):
    """transformers 5.x's ``LlavaOnevisionVideoProcessor`` (torchvision backend, the only
    one it has).

    ``VideoProcessor()`` equals ``LlavaOnevisionVideoProcessor()`` (384×384, CLIP
    mean/std, bicubic, no sampling unless asked); :meth:`from_pretrained` reads a checkpoint's
    ``video_preprocessor_config.json``. Given the same frames and ``video_metadata`` the
    outputs are the same: ``pixel_values_videos`` bit for bit in float32, and the frames
    its ``sample_frames`` picks (rule ``"llava_onevision"`` of ``video.sample_indices``).
    See ``SquashVideoProcessor`` for the arguments.
    """

    _rule = "llava_onevision"
    _family = "LlavaOnevisionVideoProcessor"
