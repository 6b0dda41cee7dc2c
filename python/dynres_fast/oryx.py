"""Oryx / Oryx-1.5: native-resolution image sizes, video frame sizes, token counts and
frame indices.

Reproduces ``oryx/mm_utils.py`` (Oryx-mllm/Oryx) under the environment every official
script exports (``MAXRES=1536 MINRES=0 HIGHRES_BASE=0x32 LOWRES_RESIZE=384x32
VIDEO_RESIZE=0x64 VIDEO_MAXRES=480 VIDEO_MINRES=288``), which are the defaults here. Sizes
are ``(height, width)``; the reference floors every side to a multiple of its patch and
raises for sides that floor to 0, which we refuse with :class:`AspectRatioError`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._choices import Normalisation, as_bool, as_choice, as_optional_number
from ._coerce import as_int, as_number, check_size
from ._family import FamilyProcessor, pick, processor_for
from ._frames import as_video_list, sample, squash, squash_len
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
    "describe",
    "draw",
    "plan",
    "video_frame_size",
    "video_num_tokens",
]

ORYX_MEAN = (0.5, 0.5, 0.5)
ORYX_STD = (0.5, 0.5, 0.5)

#: What Oryx does with one image: ``upscaled`` ``(height, width)`` after the tiny-side
#: up-scale (sides below 32 are scaled so the short one reaches 64; the input size
#: otherwise), ``highres`` (the native-resolution image, multiples of 32), ``lowres`` (about
#: 384² pixels, resized from the high-res one; it can be larger for small inputs),
#: ``highres_grid`` / ``lowres_grid`` ``(rows, cols)`` on the 16-pixel ViT grid,
#: ``num_tokens`` (``h1·(w1+1) + h2·(w2+1) + 3``: low then high rows with a newline each,
#: plus begin, separator and end, all embeddings filling the ``<image>`` token) and
#: ``wrapper_tokens`` (0).
OryxPlan = _core.OryxPlan


def plan(height: int, width: int, **params: Any) -> OryxPlan:
    """The sizes ``process_anyres_highres_image_genli`` gives a ``height × width`` image.

    ``params`` are the planning keywords of :class:`ImageProcessor` (``max_res``,
    ``min_res``, ``lowres_base``, ``lowres_patch``, ``highres_patch``).

    Raises:
        AspectRatioError: a side floors to 0 (the reference's PIL resize raises).
        DynresError: non-positive sides; patches that are not multiples of 16.
        TypeError: non-integer arguments, unknown keywords.
    """
    return processor_for(ImageProcessor, params).plan(height, width)


def num_tokens_many(
    heights: Any, widths: Any, *, errors: str = "raise", **params: Any
) -> np.ndarray:
    """``plan(h, w, **params).num_tokens`` over arrays of sizes, vectorised in Rust (GIL
    released). ``errors="mask"`` writes -1 for refused rows instead of raising."""
    return processor_for(ImageProcessor, params).num_tokens_many(heights, widths, errors=errors)


def _video(
    num_frames: Any, height: Any, width: Any, long: Any, params: Dict[str, Any]
) -> Tuple[Tuple[int, int], int]:
    proc = processor_for(ImageProcessor, params)
    return proc._config.video_plan(
        as_int("num_frames", num_frames, minimum=0, maximum=2**40),  # clips up to 2^40 frames
        as_int("height", height),
        as_int("width", width),
        long=as_bool("long", long),
    )


def video_frame_size(
    height: int,
    width: int,
    *,
    long: bool = False,
    **params: Any,
) -> Tuple[int, int]:
    """``(height, width)`` ``resize_video`` gives a frame: scaled to about
    ``video_max_res²`` pixels if larger, ``video_min_res²`` if smaller, floored to
    multiples of ``video_patch`` (twice that for ``long``, Oryx's 'video_long' modality).
    ``params`` are :class:`ImageProcessor` keywords."""
    return _video(1, height, width, long, params)[0]


def video_num_tokens(
    num_frames: int,
    height: int,
    width: int,
    *,
    long: bool = False,
    **params: Any,
) -> int:
    """Tokens of a video of ``num_frames`` frames of ``height × width`` (source size):
    ``2 + T·(h'·(w'+1) + 1)`` with the grid pooled 2×2 ('video') or 4×4 (``long``).
    ``params`` are :class:`ImageProcessor` keywords."""
    return _video(num_frames, height, width, long, params)[1]


def frame_indices(
    total_frames: int,
    num_frames: int = 64,
    *,
    sampler: str = "uniform",
    video_fps: Optional[float] = None,
    fps: float = 1.0,
    force_sample: bool = False,
) -> np.ndarray:
    """The ``num_frames`` video frames Oryx samples from a clip of ``total_frames`` (int64
    indices).

    ``sampler="uniform"``: ``inference.py``'s ``np.linspace(0, N-1, 64, dtype=int)`` (always
    ``num_frames`` indices, duplicates for short clips). ``sampler="fps"``: the model card's
    ``load_video``: every ``round(video_fps / fps)``-th frame (1 fps by default), replaced
    by the uniform rule when more than ``num_frames`` or ``force_sample``.
    """
    n_total = as_int("total_frames", total_frames)
    n = as_int("num_frames", num_frames)
    if as_choice("sampler", sampler, ("uniform", "fps")) == "uniform":
        return _core.linspace_frame_indices(n_total, n)
    vfps = as_optional_number("video_fps", video_fps)
    if vfps is None:
        raise DynresError("sampler='fps' needs video_fps (the clip's average frame rate)")
    return _core.stride_frame_indices(
        n_total, vfps, as_number("fps", fps), n, as_bool("force_sample", force_sample)
    )


class ImageProcessor(FamilyProcessor):
    """Oryx image preprocessing: the native-resolution image and its ~384² companion.

    Equals ``process_anyres_highres_image_genli`` followed by the CLIP processor with
    ``do_resize=False, do_center_crop=False`` and mean = std = 0.5 (Oryx's callers), under
    the official environment (the defaults; transformers has no Oryx class);
    ``compat="pillow"`` matches Pillow >= 13, ``"pillow12"`` Pillow <= 12 (what Oryx ran
    on).

    Args:
        max_res, min_res: ``MAXRES`` / ``MINRES``: images above ``max_res²`` pixels are
            scaled down to about that area, below ``min_res²`` up (0 = never).
        lowres_base, lowres_patch: ``LOWRES_RESIZE``: the low-res image has about
            ``lowres_base²`` pixels, sides floored to multiples of ``lowres_patch``.
        highres_patch: ``HIGHRES_BASE``'s patch: high-res sides are multiples of it.
        video_max_res, video_min_res, video_patch: ``VIDEO_MAXRES``, ``VIDEO_MINRES`` and
            the ``VIDEO_RESIZE`` patch, as :func:`video_frame_size`.
        image_mean, image_std, resample, compat, dtype: as for the other processors
            (Oryx has no fast processor: ``compat`` is ``"pillow"`` or ``"pillow12"``).
        reuse_output: write every call into one reused output buffer instead of a fresh
            array (no page faults on large outputs); each call then overwrites what the
            previous call returned (see :mod:`dynres_fast.pool`).
    """

    #: ``config.json`` model types of this family's checkpoints (``auto.from_pretrained``).
    MODEL_TYPES: Tuple[str, ...] = ("oryx_qwen",)
    #: ``image_processor_type`` names (``Fast``/``Pil`` suffix removed) of this family.
    IMAGE_PROCESSOR_TYPES: Tuple[str, ...] = ()

    def __init__(
        self,
        *,
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
        resample: Any = "bicubic",
        compat: str = "pillow",
        dtype: str = "float32",
        reuse_output: bool = False,
    ) -> None:
        self._params = {
            "max_res": as_int("max_res", max_res),
            "min_res": as_int("min_res", min_res, minimum=0),
            "lowres_base": as_int("lowres_base", lowres_base),
            "lowres_patch": as_int("lowres_patch", lowres_patch),
            "highres_patch": as_int("highres_patch", highres_patch),
            "video_max_res": as_int("video_max_res", video_max_res),
            "video_min_res": as_int("video_min_res", video_min_res, minimum=0),
            "video_patch": as_int("video_patch", video_patch),
        }
        self._norm = Normalisation(image_mean, image_std, compat, dtype, resample=resample)
        self._config = _core.OryxConfig(
            **self._params, resample=self._norm.resample, compat=self._norm.compat
        )

    @classmethod
    def _from_config(cls, cfg: Mapping[str, Any], model: Mapping[str, Any]) -> Dict[str, Any]:
        return pick(cfg, ("image_mean", "image_std", "resample"))

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={v}" for n, v in self._params.items())
        norm = f"compat={self._norm.compat!r}, dtype={self._norm.dtype!r}"
        return f"{type(self).__name__}({args}, {norm})"

    def __call__(self, images: Any, *, out: Optional[np.ndarray] = None) -> Dict[str, Any]:
        """Preprocesses one image or a list of images (uint8 arrays and/or PIL images).

        Returns:
            ``pixel_values`` (the native-resolution images) and ``pixel_values_lowres``:
            lists with one ``(3, h, w)`` array per image (sizes differ per image), and
            ``num_tokens`` ``(n,)`` int64. All arrays are views of one buffer; with
            ``out=`` (1-D, ``Σ 3·(h·w + h'·w')`` values) that buffer is ``out``.
        """
        arrays = as_image_list(images, self._alpha)
        plans = self._plans(arrays)
        sizes = [(3 * p.highres[0] * p.highres[1], 3 * p.lowres[0] * p.lowres[1]) for p in plans]
        buf = self._out(out, (sum(h + lo for h, lo in sizes),))
        self._config.pixel_values(arrays, plans, self._norm.table, buf)
        highres: List[np.ndarray] = []
        lowres: List[np.ndarray] = []
        at = 0
        for p, (nh, nl) in zip(plans, sizes):
            highres.append(self._norm.present(buf[at : at + nh].reshape(3, *p.highres)))
            lowres.append(self._norm.present(buf[at + nh : at + nh + nl].reshape(3, *p.lowres)))
            at += nh + nl
        return {
            "pixel_values": highres,
            "pixel_values_lowres": lowres,
            "num_tokens": np.asarray([p.num_tokens for p in plans], dtype=np.int64),
        }

    def videos(
        self,
        videos: Any,
        *,
        long: bool = False,
        num_frames: Optional[int] = None,
        out: Optional[np.ndarray] = None,
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
            out: optional 1-D array of ``Σ T·3·h·w`` values in the output dtype (all
                videos' frames, in order); the returned arrays are views of it.

        Returns:
            ``pixel_values_videos``: a list with one ``(T, 3, h, w)`` array per video
            (upstream stacks frames as ``(T, 1, 3, h, w)``); ``frame_indices``: the frames
            used; ``num_video_tokens`` ``(n,)`` int64 (:func:`video_num_tokens`).

        Raises:
            AspectRatioError: a frame side floors to 0 (PIL raises upstream).
        """
        arrays = as_video_list(videos, self._video_alpha)
        long = as_bool("long", long)
        if num_frames is not None:
            num_frames = as_int("num_frames", num_frames)
        # Plans first (from the frame count and sides alone), so that the output size is
        # checked before any frame is copied.
        sizes, tokens = [], []
        for i, a in enumerate(arrays):
            count = len(a) if num_frames is None else num_frames
            try:
                size, n = self._config.video_plan(count, a.shape[1], a.shape[2], long=long)
            except DynresError as e:
                raise type(e)(f"video {i} of shape {a.shape}: {e}") from None
            sizes.append(size)
            tokens.append(n)
        if num_frames is not None:
            values = sum(num_frames * 3 * h * w for h, w in sizes)
            check_size((values,), self._norm.storage, f"num_frames={num_frames} frames")
        arrays, used = sample(arrays, num_frames, lambda n, k: frame_indices(n, k))
        return {
            "pixel_values_videos": squash(
                arrays,
                sizes,
                self._norm,
                self._config,
                self._out(out, (squash_len(arrays, sizes),)),
            ),
            "frame_indices": used,
            "num_video_tokens": np.asarray(tokens, np.int64),
        }

    def from_file(
        self,
        src: Any,
        *,
        sampler: str = "fps",
        num_frames: int = 64,
        fps: float = 1.0,
        force_sample: bool = False,
        long: bool = False,
        threads: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Decodes a video file and preprocesses it as :meth:`videos`, decoding only the
        frames :func:`frame_indices` picks: by default the model card's ``load_video`` (1
        fps, at most ``num_frames`` = 64 frames, else 64 spread uniformly); ``sampler=
        "uniform"`` is ``inference.py``'s 64 uniform frames.

        Args:
            src: a path, the file's bytes or a seekable binary file object.
            sampler, num_frames, fps, force_sample: as :func:`frame_indices`, with the
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
        sampler = as_choice("sampler", sampler, ("uniform", "fps"))

        def choose(info: Any) -> np.ndarray:
            return frame_indices(
                info.num_frames,
                sampler=sampler,
                num_frames=num_frames,
                video_fps=info.fps,
                fps=fps,
                force_sample=force_sample,
            )

        frames, idx, info = decode_sampled(src, choose, threads)
        out = self.videos(frames, long=long)
        out.update(clip_timing([idx], [(info.num_frames, info.fps)]))
        return out


def describe(plan: OryxPlan) -> Tuple[str, str]:
    """``(what the image becomes, how it is cut)`` for tables."""
    return (
        f"{'x'.join(map(str, plan.highres))} + {'x'.join(map(str, plan.lowres))}",
        "native + low-res",
    )


def draw(image: Any, plan: OryxPlan, title: str, *, patches: bool = False) -> Any:
    """A PIL picture of the native-resolution image with its token grid, the low-res view
    beside it."""
    from PIL import Image

    from . import _show

    hh, hw = plan.highres
    gh, gw = plan.highres_grid
    native = image.resize((hw, hh), Image.Resampling.BICUBIC)
    high = _show.gridded(native, [(hh // gh, hw // gw, _show.MERGE_LINE, 1)])
    lh, lw = plan.lowres
    low = native.resize((lw, lh), Image.Resampling.BICUBIC)
    text = (
        f"{title}: {image.height}x{image.width} -> native {hh}x{hw} px ({gh}x{gw} tokens) "
        f"+ low-res {lh}x{lw} px ({plan.lowres_grid[0]}x{plan.lowres_grid[1]} tokens) "
        f"= {plan.num_tokens} tokens with newlines"
    )
    return _show.compose(high, [("low-res view", low)], text)
