"""Oryx / Oryx-1.5: native-resolution image sizes, video frame sizes, token counts and
frame indices.

Reproduces ``oryx/mm_utils.py`` (Oryx-mllm/Oryx) under the environment every official
script exports (``MAXRES=1536 MINRES=0 HIGHRES_BASE=0x32 LOWRES_RESIZE=384x32
VIDEO_RESIZE=0x64 VIDEO_MAXRES=480 VIDEO_MINRES=288``), which are the defaults here. Sizes
are ``(height, width)``; the reference floors every side to a multiple of its patch and
raises for sides that floor to 0, which we refuse with :class:`AspectRatioError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._choices import Normalisation, as_bool, as_choice, as_optional_number
from ._coerce import as_int, as_int64_array, as_number
from ._frames import as_video_list, sample, squash
from ._images import as_image_list
from ._video_processor import clip_timing, decode_sampled
from .errors import DynresError

__all__ = [
    "ORYX_MEAN",
    "ORYX_STD",
    "ImageProcessor",
    "OryxPlan",
    "frame_indices",
    "num_tokens_many",
    "plan",
    "video_frame_size",
    "video_num_tokens",
]

ORYX_MEAN = (0.5, 0.5, 0.5)
ORYX_STD = (0.5, 0.5, 0.5)
_VIT_PATCH = 16


@dataclass(frozen=True)
class OryxPlan:
    """What Oryx does with one image.

    Attributes:
        upscaled: ``(height, width)`` after the tiny-side up-scale (sides below 32 are
            scaled so the short one reaches 64); the input size otherwise.
        highres: ``(height, width)`` of the native-resolution image, multiples of 32.
        lowres: ``(height, width)`` of the low-res image, about 384² pixels, resized from
            the high-res one (it can be larger than it for small inputs).
        highres_grid, lowres_grid: ``(rows, cols)`` feature grids on the 16-pixel ViT grid.
        num_tokens: ``h1·(w1+1) + h2·(w2+1) + 3`` — low then high rows with a newline each,
            plus begin, separator and end.
    """

    upscaled: Tuple[int, int]
    highres: Tuple[int, int]
    lowres: Tuple[int, int]
    highres_grid: Tuple[int, int]
    lowres_grid: Tuple[int, int]
    num_tokens: int


def _params(
    max_res: Any, min_res: Any, lowres_base: Any, lowres_patch: Any, highres_patch: Any
) -> Tuple[int, int, int, int, int]:
    return (
        as_int("max_res", max_res),
        as_int("min_res", min_res, minimum=0),
        as_int("lowres_base", lowres_base),
        as_int("lowres_patch", lowres_patch),
        as_int("highres_patch", highres_patch),
    )


def plan(
    height: int,
    width: int,
    *,
    max_res: int = 1536,
    min_res: int = 0,
    lowres_base: int = 384,
    lowres_patch: int = 32,
    highres_patch: int = 32,
) -> OryxPlan:
    """The sizes ``process_anyres_highres_image_genli`` gives a ``height × width`` image.

    Raises:
        AspectRatioError: a side floors to 0 (the reference's PIL resize raises).
        DynresError: non-positive sides; patches that are not multiples of 16.
        TypeError: non-integer arguments.
    """
    h, w = as_int("height", height), as_int("width", width)
    up, hi, lo, tokens = _core.oryx_plan(
        h, w, *_params(max_res, min_res, lowres_base, lowres_patch, highres_patch)
    )
    return OryxPlan(
        upscaled=up,
        highres=hi,
        lowres=lo,
        highres_grid=(hi[0] // _VIT_PATCH, hi[1] // _VIT_PATCH),
        lowres_grid=(lo[0] // _VIT_PATCH, lo[1] // _VIT_PATCH),
        num_tokens=tokens,
    )


def num_tokens_many(
    heights: Any,
    widths: Any,
    *,
    max_res: int = 1536,
    min_res: int = 0,
    lowres_base: int = 384,
    lowres_patch: int = 32,
    highres_patch: int = 32,
    errors: str = "raise",
) -> np.ndarray:
    """:attr:`OryxPlan.num_tokens` over arrays of sizes, vectorised in Rust (GIL released).

    ``errors="mask"`` writes -1 for refused rows instead of raising.
    """
    hs = as_int64_array("heights", heights, ndim=1)
    ws = as_int64_array("widths", widths, ndim=1)
    return _core.oryx_num_tokens_many(
        hs,
        ws,
        *_params(max_res, min_res, lowres_base, lowres_patch, highres_patch),
        as_choice("errors", errors, ("raise", "mask")),
    )


def _video(
    height: Any, width: Any, long: Any, max_res: Any, min_res: Any, patch: Any
) -> Tuple[Tuple[int, int], int]:
    return _core.oryx_video_frame_size(
        as_int("height", height),
        as_int("width", width),
        as_int("max_res", max_res),
        as_int("min_res", min_res, minimum=0),
        as_int("patch", patch),
        as_bool("long", long),
    )


def video_frame_size(
    height: int,
    width: int,
    *,
    long: bool = False,
    max_res: int = 480,
    min_res: int = 288,
    patch: int = 64,
) -> Tuple[int, int]:
    """``(height, width)`` ``resize_video`` gives a frame: scaled to about ``max_res²``
    pixels if larger, ``min_res²`` if smaller, floored to multiples of ``patch`` (twice
    that for ``long``, Oryx's 'video_long' modality)."""
    return _video(height, width, long, max_res, min_res, patch)[0]


def video_num_tokens(
    num_frames: int,
    height: int,
    width: int,
    *,
    long: bool = False,
    max_res: int = 480,
    min_res: int = 288,
    patch: int = 64,
) -> int:
    """Tokens of a video of ``num_frames`` frames of ``height × width`` (source size):
    ``2 + T·(h'·(w'+1) + 1)`` with the grid pooled 2×2 ('video') or 4×4 (``long``)."""
    t = as_int("num_frames", num_frames, minimum=0)
    per_frame = _video(height, width, long, max_res, min_res, patch)[1]
    return 2 + t * per_frame


def frame_indices(
    total_frames: int,
    *,
    rule: str = "uniform",
    num_frames: int = 64,
    video_fps: Optional[float] = None,
    fps: float = 1.0,
    force_sample: bool = False,
) -> np.ndarray:
    """Video frames Oryx samples (int64 indices).

    ``rule="uniform"``: ``inference.py``'s ``np.linspace(0, N-1, 64, dtype=int)`` (always
    ``num_frames`` indices, duplicates for short clips). ``rule="fps"``: the model card's
    ``load_video``: every ``round(video_fps / fps)``-th frame (1 fps by default), replaced
    by the uniform rule when more than ``num_frames`` or ``force_sample``.
    """
    n_total = as_int("total_frames", total_frames)
    n = as_int("num_frames", num_frames)
    if as_choice("rule", rule, ("uniform", "fps")) == "uniform":
        return _core.linspace_frame_indices(n_total, n)
    vfps = as_optional_number("video_fps", video_fps)
    if vfps is None:
        raise DynresError("rule='fps' needs video_fps (the clip's average frame rate)")
    return _core.stride_frame_indices(
        n_total, vfps, as_number("fps", fps), n, as_bool("force_sample", force_sample)
    )


class ImageProcessor:
    """Oryx image preprocessing: the native-resolution image and its ~384² companion.

    Equals ``process_anyres_highres_image_genli`` followed by the CLIP processor with
    ``do_resize=False, do_center_crop=False`` and mean = std = 0.5 (Oryx's callers), under
    the official environment; ``compat="pillow"`` matches Pillow >= 13, ``"pillow12"``
    Pillow <= 12 (what Oryx ran on).

    Args:
        max_res, min_res, lowres_base, lowres_patch, highres_patch: as :func:`plan`.
        video_max_res, video_min_res, video_patch: ``VIDEO_MAXRES``, ``VIDEO_MINRES`` and
            the ``VIDEO_RESIZE`` patch, as :func:`video_frame_size`.
        image_mean, image_std, compat, dtype: as for the other processors.
    """

    def __init__(
        self,
        max_res: int = 1536,
        min_res: int = 0,
        lowres_base: int = 384,
        lowres_patch: int = 32,
        highres_patch: int = 32,
        video_max_res: int = 480,
        video_min_res: int = 288,
        video_patch: int = 64,
        image_mean: Sequence[float] = ORYX_MEAN,
        image_std: Sequence[float] = ORYX_STD,
        compat: str = "pillow",
        dtype: str = "float32",
    ) -> None:
        self._params = _params(max_res, min_res, lowres_base, lowres_patch, highres_patch)
        _core.oryx_plan(64, 64, *self._params)  # validates the parameters
        self._video = (
            as_int("video_max_res", video_max_res),
            as_int("video_min_res", video_min_res, minimum=0),
            as_int("video_patch", video_patch),
        )
        video_frame_size(
            480, 480, max_res=self._video[0], min_res=self._video[1], patch=self._video[2]
        )
        self._norm = Normalisation(image_mean, image_std, compat, dtype)

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={v}" for n, v in self._kwargs().items())
        norm = f"compat={self._norm.compat!r}, dtype={self._norm.dtype!r}"
        return f"{type(self).__name__}({args}, {norm})"

    def __call__(self, images: Any) -> Dict[str, Any]:
        """Preprocesses one image or a list of images (uint8 arrays and/or PIL images).

        Returns:
            ``pixel_values`` (the native-resolution images) and ``pixel_values_lowres``:
            lists with one ``(3, h, w)`` array per image (sizes differ per image), and
            ``num_tokens`` ``(n,)`` int64.
        """
        highres: List[np.ndarray] = []
        lowres: List[np.ndarray] = []
        tokens = []
        for i, a in enumerate(as_image_list(images)):
            try:
                p = plan(a.shape[0], a.shape[1], **self._kwargs())
            except DynresError as e:
                raise type(e)(f"image {i} of shape {a.shape}: {e}") from None
            hi = np.empty((3, *p.highres), self._norm.storage)
            lo = np.empty((3, *p.lowres), self._norm.storage)
            _core.oryx_pixel_values(
                a, *self._params, self._norm.compat, self._norm.resample, self._norm.table, hi, lo
            )
            tokens.append(p.num_tokens)
            highres.append(self._norm.present(hi))
            lowres.append(self._norm.present(lo))
        return {
            "pixel_values": highres,
            "pixel_values_lowres": lowres,
            "num_tokens": np.asarray(tokens, dtype=np.int64),
        }

    def videos(
        self, videos: Any, *, long: bool = False, num_frames: Optional[int] = None
    ) -> Dict[str, Any]:
        """Preprocesses videos as ``process_anyres_video_genli`` (``long``:
        ``…_genli_long``) + the CLIP processor do: every frame squashed bicubic to
        :func:`video_frame_size` of the video's size (multiples of 64, or 128 for ``long``)
        and normalised. Oryx passes the same tensor as low- and high-res input.

        Args:
            videos: one ``(T, H, W, C)`` uint8 array, or a list of videos (arrays or lists of
                frames; a bare list of frames is one video).
            long: the 'video_long' modality (128-pixel floor, 4×4 pooling in the tokens).
            num_frames: ``None`` uses every frame given; a number first picks
                ``np.linspace(0, T-1, num_frames, dtype=int)`` (``inference.py`` uses 64).

        Returns:
            ``pixel_values_videos``: a list with one ``(T, 3, h, w)`` array per video
            (upstream stacks frames as ``(T, 1, 3, h, w)``); ``frame_indices``: the frames
            used; ``num_video_tokens`` ``(n,)`` int64 (:func:`video_num_tokens`).

        Raises:
            AspectRatioError: a frame side floors to 0 (PIL raises upstream).
        """
        arrays = as_video_list(videos)
        long = as_bool("long", long)
        if num_frames is not None:
            num_frames = as_int("num_frames", num_frames)
        arrays, used = sample(
            arrays, num_frames, lambda n, k: frame_indices(n, rule="uniform", num_frames=k)
        )
        vmax, vmin, vpatch = self._video
        sizes, tokens = [], []
        for i, a in enumerate(arrays):
            h, w = a.shape[1], a.shape[2]
            try:
                sizes.append(
                    video_frame_size(h, w, long=long, max_res=vmax, min_res=vmin, patch=vpatch)
                )
                tokens.append(
                    video_num_tokens(
                        len(a), h, w, long=long, max_res=vmax, min_res=vmin, patch=vpatch
                    )
                )
            except DynresError as e:
                raise type(e)(f"video {i} of shape {a.shape}: {e}") from None
        return {
            "pixel_values_videos": squash(arrays, sizes, self._norm),
            "frame_indices": used,
            "num_video_tokens": np.asarray(tokens, np.int64),
        }

    def from_file(
        self,
        src: Any,
        *,
        rule: str = "fps",
        num_frames: int = 64,
        fps: float = 1.0,
        force_sample: bool = False,
        long: bool = False,
        threads: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Decodes a video file and preprocesses it as :meth:`videos`, decoding only the
        frames :func:`frame_indices` picks: by default the model card's ``load_video`` (1
        fps, at most ``num_frames`` = 64 frames, else 64 spread uniformly); ``rule=
        "uniform"`` is ``inference.py``'s 64 uniform frames.

        Args:
            src: a path, the file's bytes or a seekable binary file object.
            rule, num_frames, fps, force_sample: as :func:`frame_indices`, with the
                file's average frame rate as ``video_fps``.
            long: as :meth:`videos`.
            threads: decoder threads (None: one).

        Returns:
            The outputs of :meth:`videos` for the one video, with per-video lists of
            ``frame_indices`` (the file's frame numbers), ``video_fps``, ``sample_fps`` and
            ``timestamps``.

        Raises:
            VideoDecodeError: unreadable, truncated or non-video files.
        """
        rule = as_choice("rule", rule, ("uniform", "fps"))

        def pick(info: Any) -> np.ndarray:
            return frame_indices(
                info.num_frames,
                rule=rule,
                num_frames=num_frames,
                video_fps=info.fps,
                fps=fps,
                force_sample=force_sample,
            )

        frames, idx, info = decode_sampled(src, pick, threads)
        out = self.videos(frames, long=long)
        out.update(clip_timing([idx], [(info.num_frames, info.fps)]))
        return out

    def _kwargs(self) -> Dict[str, int]:
        names = ("max_res", "min_res", "lowres_base", "lowres_patch", "highres_patch")
        return dict(zip(names, self._params))
