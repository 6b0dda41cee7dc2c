"""LLaVA-OneVision (anyres_max_9, SigLIP 384/14): canvas choice, crop plans, token counts,
feature pooling and video frame indices.

Two references: transformers' ``LlavaOnevisionProcessor`` (``reference=
"transformers"``, the default: unpadding with ``int(round(x, 7))``) and LLaVA-NeXT's
``mm_utils`` / ``llava_arch`` (``reference="original"``: ``int(x)``). They disagree on a
handful of sizes (e.g. 423×47: 1161 vs 1053 tokens). Sizes are ``(height, width)``, grids
``(rows, cols)``.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._choices import (
    ALL_COMPATS,
    OPENAI_CLIP_MEAN,
    OPENAI_CLIP_STD,
    REFERENCES,
    Normalisation,
    as_bool,
    as_choice,
    as_optional_number,
    as_pinpoints,
    as_reference,
    core_reference,
)
from ._coerce import as_int, as_number
from ._family import FamilyProcessor, pick, processor_for
from ._frames import as_video_list, sample, squash, squash_len, torchvision_video_channels
from ._images import as_image_list, group_sizes
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
    "num_tokens_many",
    "describe",
    "draw",
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
#: The OneVision checkpoints' mean and std (SigLIP); the class defaults are CLIP's.
SIGLIP_MEAN = (0.5, 0.5, 0.5)
SIGLIP_STD = (0.5, 0.5, 0.5)
#: ``image_grid_pinpoints`` of the OneVision checkpoints: ``[384·i, 384·j]``, i, j in 1..6.
ANYRES_MAX_9: Tuple[Tuple[int, int], ...] = tuple(
    (CROP_SIZE * i, CROP_SIZE * j) for i in range(1, 7) for j in range(1, 7)
)

#: What LLaVA-OneVision does with one image: ``canvas`` ``(height, width)`` chosen among
#: the pinpoints, ``resized`` (aspect kept, ceil, into the canvas), ``paste`` ``(top,
#: left)`` of it on the black canvas, ``crop_size``, ``grid`` ``(rows, cols)`` of crops
#: (edge crops short where the canvas is not a multiple of the crop), ``boxes``
#: (each crop's ``(top, left, height, width)``, row-major; the base crop, a squash of
#: the whole image, precedes them), ``num_crops`` (``1 + rows·cols``), ``unpadded`` and
#: ``final`` feature grids ``(height, width)``, ``times`` (above 1.1 the grid is
#: downsampled), ``num_tokens`` (``729 + final_h · (final_w + 1)``: base, grid, one newline
#: per row; all ``<image>`` placeholders) and ``wrapper_tokens`` (0).
LlavaOnevisionPlan = _core.LlavaOnevisionPlan


def select_best_resolution(
    height: int,
    width: int,
    pinpoints: Sequence[Sequence[int]] = ANYRES_MAX_9,
    *,
    reference: str = "transformers",
) -> Tuple[int, int]:
    """The ``(height, width)`` canvas for an image: the largest effective resolution
    ``min(int(W·s)·int(H·s), W·H)`` with ``s = min(Wc/W, Hc/H)``, then the least waste,
    the first pinpoint winning a full tie.

    ``pinpoints`` is the config's ``image_grid_pinpoints`` list. transformers reads each
    pair as ``(height, width)``, LLaVA-NeXT as ``(width, height)``; for the symmetric
    :data:`ANYRES_MAX_9` both give the same canvas (only their scan order differs).
    """
    return _core.llava_ov_select_best_resolution(
        as_int("height", height),
        as_int("width", width),
        as_pinpoints(pinpoints),
        as_choice("reference", reference, REFERENCES),
    )


def plan(height: int, width: int, **params: Any) -> LlavaOnevisionPlan:
    """The anyres_max_9 plan for one image (single-image prompts).

    ``params`` are the planning keywords of :class:`ImageProcessor`
    (``image_grid_pinpoints``, ``crop_size``, ``reference``). With
    ``reference="transformers"``, ``num_tokens`` equals
    ``LlavaOnevisionProcessor._get_number_of_features(height, width, S, S)`` (``S`` the crop
    size, the processor's ``num_image_tokens`` ``(S // 14)²``); several images in one prompt
    take :data:`MULTI_IMAGE_TOKENS` each instead (``(S // 14)² + 1``).

    Raises:
        DynresError: non-positive sides, empty pinpoints or pinpoint sides below the crop,
            a ``crop_size`` outside 14..MAX_SIDE, an unknown reference.
        TypeError: non-integer sizes, unknown keywords.
    """
    return processor_for(ImageProcessor, params).plan(height, width)


def num_tokens_many(
    heights: Any, widths: Any, *, errors: str = "raise", **params: Any
) -> np.ndarray:
    """``plan(h, w, **params).num_tokens`` over arrays of sizes, vectorised in Rust (GIL
    released). ``errors="mask"`` writes -1 for refused rows instead of raising."""
    return processor_for(ImageProcessor, params).num_tokens_many(heights, widths, errors=errors)


def video_num_tokens(num_frames: int) -> int:
    """``<video>`` tokens for ``num_frames`` frames: 14×14 bilinear-pooled features per
    frame and one newline for the whole video, ``196·T + 1``."""
    return _core.llava_ov_video_num_tokens(as_int("num_frames", num_frames, minimum=0))


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
        TypeError: not a float32 / float64 NumPy array.
        DynresError: fewer than 3 dimensions, empty grids, ``out_hw`` not a pair, an
            output over the 4 GiB buffer limit (a BudgetError).
    """
    if not isinstance(features, np.ndarray):
        raise TypeError(
            f"features must be a float32 or float64 array, got {type(features).__name__}"
        )
    arr = features
    if arr.dtype not in (np.float32, np.float64):
        raise TypeError(f"features must be float32 or float64, got {arr.dtype}")
    if not isinstance(out_hw, (tuple, list)) or len(out_hw) != 2:
        raise DynresError(f"out_hw must be a (height, width) pair, got {out_hw!r}")
    oh, ow = as_int("out_hw[0]", out_hw[0]), as_int("out_hw[1]", out_hw[1])
    return _core.pool_features(np.ascontiguousarray(arr), oh, ow)


def frame_indices(
    total_frames: int,
    num_frames: int,
    *,
    sampler: str = "uniform",
    video_fps: Optional[float] = None,
    fps: float = 1.0,
    force_sample: bool = False,
) -> np.ndarray:
    """The ``num_frames`` video frames LLaVA-OneVision samples from a clip of
    ``total_frames`` (int64 indices).

    ``sampler="uniform"``: ``np.linspace(0, N-1, num_frames, dtype=int)`` (tutorial and
    lmms-eval; duplicates when ``num_frames > N``). ``sampler="fps"``: the training loader
    ``process_video_with_decord``: every ``round(video_fps / fps)``-th frame, replaced by
    the uniform rule when more than ``num_frames`` (``frames_upbound``) or ``force_sample``.
    """
    n_total = as_int("total_frames", total_frames)
    n = as_int("num_frames", num_frames, minimum=0)
    if as_choice("sampler", sampler, ("uniform", "fps")) == "uniform":
        return _core.linspace_frame_indices(n_total, n)
    vfps = as_optional_number("video_fps", video_fps)
    if vfps is None:
        raise DynresError("sampler='fps' needs video_fps (the clip's average frame rate)")
    return _core.stride_frame_indices(
        n_total, vfps, as_number("fps", fps), n, as_bool("force_sample", force_sample)
    )


def _image_sizes(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """``(n, 2)`` int64 ``(height, width)`` of each image (``(0, 2)`` for none)."""
    return np.asarray([a.shape[:2] for a in arrays], dtype=np.int64).reshape(len(arrays), 2)


class ImageProcessor(FamilyProcessor):
    """LLaVA-OneVision single-image (anyres_max_9) preprocessing.

    ``proc(images)`` equals transformers' ``LlavaOnevisionImageProcessorPil(...)(images,
    return_tensors="np")`` (the slow processor; ``LlavaOnevisionImageProcessor`` in 4.57)
    for a flat list of images (each gets the full anyres treatment, as there) within 1e-6 —
    bit for bit for float32 — with ``compat="pillow"`` against Pillow >= 13 (``"pillow12"``
    for Pillow <= 12, as the original LLaVA-NeXT ran). With ``compat="torchvision"`` it
    equals the fast (torchvision) processor, bit for bit for float32. The defaults are the
    transformers class defaults (CLIP mean/std); the OneVision checkpoints use
    :meth:`llava_onevision` (SigLIP's 0.5) or :meth:`from_pretrained`.

    Args:
        image_grid_pinpoints: the canvas list (config order; see
            :func:`select_best_resolution`). Each side must hold one crop; a side that is
            not a multiple of ``crop_size`` gives short edge crops, stretched to full ones
            as upstream does.
        crop_size: the side of every crop (upstream's square ``size``; 384 for the
            OneVision checkpoints). Token counts take ``crop_size // 14`` features per
            crop side (SigLIP's patch 14).
        reference: token-count reference (``"transformers"`` or ``"original"``); pixels
            are the same for both except for transparency: ``"original"`` drops alpha
            (LLaVA-NeXT's ``convert("RGB")``), ``"transformers"`` converts as the installed
            release does (see ``ops.to_rgb``); ``"transformers5"`` / ``"transformers4"``
            pin the release.
        image_mean, image_std: per-channel normalisation.
        resample: the filter of every resize (``"bicubic"`` upstream), a name or PIL code;
            ``compat="torchvision"`` has only ``"bilinear"`` and ``"bicubic"``.
        compat: ``"pillow"`` / ``"pillow12"`` (slow processor) or ``"torchvision"`` (fast).
        dtype: as for the other processors.
        reuse_output: write every call into one reused output buffer instead of a fresh
            array (no page faults on large outputs); each call then overwrites what the
            previous call returned (see :mod:`dynres_fast.pool`).
    """

    #: ``config.json`` model types of this family's checkpoints (``auto.from_pretrained``).
    MODEL_TYPES: Tuple[str, ...] = ("llava_onevision",)
    #: ``image_processor_type`` names (``Fast``/``Pil`` suffix removed) of this family.
    IMAGE_PROCESSOR_TYPES: Tuple[str, ...] = ("LlavaOnevisionImageProcessor",)

    def __init__(
        self,
        *,
        image_grid_pinpoints: Sequence[Sequence[int]] = ANYRES_MAX_9,
        crop_size: int = CROP_SIZE,
        reference: str = "transformers",
        image_mean: Sequence[float] = OPENAI_CLIP_MEAN,
        image_std: Sequence[float] = OPENAI_CLIP_STD,
        resample: Any = "bicubic",
        compat: str = "pillow",
        dtype: str = "float32",
        reuse_output: bool = False,
        do_pad: bool = True,
    ) -> None:
        self.pinpoints = as_pinpoints(image_grid_pinpoints)
        self.crop_size = as_int("crop_size", crop_size)
        self.do_pad = as_bool("do_pad", do_pad)
        self.reference = as_reference(reference, REFERENCES)
        self._norm = Normalisation(
            image_mean, image_std, compat, dtype, compats=ALL_COMPATS, resample=resample
        )
        self._config = _core.LlavaOnevisionConfig(
            pinpoints=self.pinpoints,
            reference=core_reference(self.reference),
            resample=self._norm.resample,
            compat=self._norm.compat,
            crop_size=self.crop_size,
        )

    @classmethod
    def llava_onevision(cls, **overrides: Any) -> ImageProcessor:
        """The OneVision checkpoints (``llava-onevision-qwen2-*-ov-hf``): SigLIP mean/std 0.5."""
        return cls(**{"image_mean": SIGLIP_MEAN, "image_std": SIGLIP_STD, **overrides})

    @classmethod
    def _from_config(cls, cfg: Mapping[str, Any], model: Mapping[str, Any]) -> Dict[str, Any]:
        kw = pick(cfg, ("image_grid_pinpoints", "image_mean", "image_std", "resample", "do_pad"))
        kw.update(_crop_from_config(cfg))
        if "image_grid_pinpoints" not in kw and model.get("image_grid_pinpoints") is not None:
            kw["image_grid_pinpoints"] = model["image_grid_pinpoints"]
        return kw

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(pinpoints={len(self.pinpoints)} canvases, "
            f"crop_size={self.crop_size}, "
            f"reference={self.reference!r}, resample={self._norm.resample!r}, "
            f"compat={self._norm.compat!r}, dtype={self._norm.dtype!r}, do_pad={self.do_pad})"
        )

    def __call__(self, images: Any, *, out: Optional[np.ndarray] = None) -> Dict[str, Any]:
        """Preprocesses one image, a list of images (uint8 arrays, PIL images or torch
        tensors), or a nested batch ``[[a, b], [c]]`` of prompts, as transformers 5.x does:
        each image alone in its prompt gets the anyres treatment, each image of a
        multi-image prompt one padded square crop (:meth:`multi_image`).

        Returns:
            ``pixel_values`` ``(n, max_crops, 3, S, S)`` (``S = crop_size``; base crop
            first, then the
            canvas crops row-major; zero-padded to the batch's largest crop count; an
            empty list gives ``(0, 1, 3, S, S)``) — with ``do_pad=False`` a list of
            ``(crops, 3, S, S)`` arrays, one per image, as upstream returns it —
            ``image_sizes`` ``(n, 2)`` int64 ``(height, width)``, ``num_image_tokens``
            ``(n,)`` int64, and ``batch_num_images`` (images per prompt). With ``out=``, the
            padded values are written into that array (shape and dtype checked).
        """
        groups = group_sizes(images)
        arrays = as_image_list(images, self._alpha)
        if groups is None:
            groups = [1] * len(arrays)
        alone = [n == 1 for n in groups for _ in range(n)]
        plans = self._plans(arrays)
        counts = [p.num_crops if a else 1 for p, a in zip(plans, alone)]
        # An empty batch keeps one (base) crop slot, like multi_image's shape.
        side = self.crop_size
        buf = self._out(out, (len(arrays), max(counts, default=1), 3, side, side))
        if all(alone):
            self._config.pixel_values(arrays, plans, self._norm.table, buf)
        else:
            buf[:] = 0
            single = [i for i, a in enumerate(alone) if a]
            if single:
                shape = (len(single), max(counts[i] for i in single)) + buf.shape[2:]
                part = np.zeros(shape, buf.dtype)
                self._config.pixel_values(
                    [arrays[i] for i in single], [plans[i] for i in single], self._norm.table, part
                )
                buf[single, : part.shape[1]] = part
            multi = [i for i, a in enumerate(alone) if not a]
            buf[multi, :1] = self._squares([arrays[i] for i in multi])
        values = self._norm.present(buf)
        tokens = [p.num_tokens if a else self._multi_image_tokens for p, a in zip(plans, alone)]
        return {
            "pixel_values": values if self.do_pad else [v[:n] for v, n in zip(values, counts)],
            "image_sizes": _image_sizes(arrays),
            "num_image_tokens": np.asarray(tokens, dtype=np.int64),
            "batch_num_images": np.asarray(groups, dtype=np.int64),
        }

    def _squares(self, arrays: Sequence[np.ndarray]) -> np.ndarray:
        """Multi-image crops ``(n, 1, 3, S, S)`` in the storage dtype."""
        background = tuple(int(m * 255) for m in self._norm.image_mean)
        if not all(0 <= b <= 255 for b in background):
            raise DynresError(
                f"image_mean {self._norm.image_mean} gives a pad colour {background} outside 0-255"
            )
        side = self.crop_size
        out = np.empty((len(arrays), 1, 3, side, side), self._norm.storage)
        self._config.multi_image_pixel_values(arrays, background, side, self._norm.table, out)
        return out

    @property
    def _multi_image_tokens(self) -> int:
        """One crop's features plus a newline (:data:`MULTI_IMAGE_TOKENS` for 384)."""
        return (self.crop_size // 14) ** 2 + 1

    def multi_image(self, images: Any) -> Dict[str, np.ndarray]:
        """Preprocesses the images of one multi-image prompt: each is padded to a square
        with the colour ``int(255·mean)`` per channel (127 for SigLIP), centred at
        ``(max - min) // 2``, then squashed bicubic to ``crop_size``² — one crop per image.

        Equals transformers' ``LlavaOnevisionImageProcessorPil`` (4.x: the slow class)
        given the images nested as one prompt (``[[a, b, …]]``, ``batch_num_images > 1``)
        and LLaVA-NeXT's ``image_aspect_ratio="pad"``; with ``compat="torchvision"``, the
        torchvision ``LlavaOnevisionImageProcessor`` given the same nesting (same colour and
        offsets). (A single image nested alone gets the anyres treatment there; call the
        processor itself for that.)

        Returns:
            ``pixel_values`` ``(n, 1, 3, S, S)``, ``image_sizes`` ``(n, 2)`` int64 and
            ``num_image_tokens`` ``(n,)`` int64, :data:`MULTI_IMAGE_TOKENS` (729 + one
            newline) each.
        """
        arrays = as_image_list(images, self._alpha)
        return {
            "pixel_values": self._norm.present(self._squares(arrays)),
            "image_sizes": _image_sizes(arrays),
            "num_image_tokens": np.full(len(arrays), self._multi_image_tokens, dtype=np.int64),
        }

    def videos(
        self, videos: Any, *, num_frames: Optional[int] = None, out: Optional[np.ndarray] = None
    ) -> Dict[str, Any]:
        """Preprocesses videos as LLaVA-OneVision's video path does (LLaVA-NeXT through
        SigLIP's image processor): every frame squashed bicubic to 384² (aspect not kept)
        and normalised. Equals transformers' slow ``SiglipImageProcessor(size={"height":
        384, "width": 384})`` on each frame (with this processor's mean/std). With
        ``compat="torchvision"`` it equals transformers' ``LlavaOnevisionVideoProcessor``
        (torchvision, what ``LlavaOnevisionProcessor`` uses for videos) with this processor's
        mean/std, given the same frames; opaque RGBA videos lose their alpha as there,
        others are refused there (its float blending of alpha < 255 is not reproduced).

        Args:
            videos: one ``(T, H, W, C)`` uint8 array, or a list of videos (arrays or lists of
                frames; a bare list of frames is one video).
            num_frames: ``None`` uses every frame given (already sampled); a number first
                picks ``np.linspace(0, T-1, num_frames, dtype=int)`` (:func:`frame_indices`).
            out: optional 1-D array of ``Σ T·3·384·384`` values in the output dtype (all
                videos' frames, in order); the returned arrays are views of it.

        Returns:
            ``pixel_values_videos``: a list with one ``(T, 3, 384, 384)`` array per video;
            ``frame_indices``: the frames used per video; ``num_video_tokens`` ``(n,)`` int64,
            :func:`video_num_tokens` (``196·T + 1``).
        """
        arrays = torchvision_video_channels(
            as_video_list(videos, self._video_alpha), self._norm.compat
        )
        if num_frames is not None:
            num_frames = as_int("num_frames", num_frames)
        frame_out = ((3, CROP_SIZE, CROP_SIZE), self._norm.storage)
        arrays, used = sample(arrays, num_frames, lambda n, k: frame_indices(n, k), frame_out)
        sizes = [(CROP_SIZE, CROP_SIZE)] * len(arrays)
        buf = self._out(out, (squash_len(arrays, sizes),))
        values = squash(arrays, sizes, self._norm, self._config, buf)
        return {
            "pixel_values_videos": values,
            "frame_indices": used,
            "num_video_tokens": np.asarray([video_num_tokens(len(a)) for a in arrays], np.int64),
        }


def _crop_from_config(cfg: Mapping[str, Any]) -> Dict[str, int]:
    """``crop_size`` from a preprocessor config's square ``size`` (``{}`` when absent);
    other sizes, or a ``crop_size`` cutting differently, are refused."""
    size, crop = cfg.get("size"), cfg.get("crop_size")
    if size is None:
        return {}
    if not isinstance(size, Mapping) or set(size) != {"height", "width"}:
        raise DynresError(
            f"preprocessor config sets size={size!r}; only a square {{'height': S, 'width': S}} "
            "is supported"
        )
    if size["height"] != size["width"]:
        raise DynresError(f"preprocessor config sets a non-square size={dict(size)!r}")
    if isinstance(crop, Mapping) and crop.get("height") not in (None, size["height"]):
        raise DynresError(
            f"preprocessor config sets crop_size={dict(crop)!r} different from size "
            f"{dict(size)!r}; only crops of the size are supported"
        )
    return {"crop_size": size["height"]}


def describe(plan: LlavaOnevisionPlan) -> Tuple[str, str]:
    """``(what the image becomes, how it is cut)`` for tables."""
    rows, cols = plan.grid
    return f"{'x'.join(map(str, plan.canvas))} canvas", f"base + {rows}x{cols} crops"


def draw(image: Any, plan: LlavaOnevisionPlan, title: str, *, patches: bool = False) -> Any:
    """A PIL picture of the padded canvas with its crops outlined, the base crop beside."""
    from PIL import Image

    from . import _show

    ch, cw = plan.canvas
    rh, rw = plan.resized
    top, left = plan.paste
    canvas = Image.new("RGB", (cw, ch), (0, 0, 0))
    canvas.paste(image.resize((rw, rh), Image.Resampling.BICUBIC), (left, top))
    side = plan.crop_size
    canvas = _show.gridded(canvas, [(side, side, _show.TILE_LINE, 3)])
    base = image.resize((side, side), Image.Resampling.BICUBIC)
    rows, cols = plan.grid
    fh, fw = plan.final
    text = (
        f"{title}: {image.height}x{image.width} -> {rh}x{rw} px on a {ch}x{cw} canvas "
        f"(black = padding), base + {rows}x{cols} crops of {side} px; features "
        f"{fh}x{fw} after unpadding = {plan.num_tokens} tokens"
    )
    return _show.compose(canvas, [("base", base)], text)


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

    @staticmethod
    def _squash_config(resample: str, compat: str) -> Any:
        return ImageProcessor(resample=resample, compat=compat)._config
