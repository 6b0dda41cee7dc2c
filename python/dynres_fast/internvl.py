"""InternVL 1.5 / 2 / 2.5: dynamic tiling plans, token counts and video frame indices.

``plan`` reproduces OpenGVLab's ``dynamic_preprocess`` geometry exactly: the grid of
``find_closest_aspect_ratio`` (float aspect differences, exact ties broken by
``W·H > 0.5·S²·cols·rows``, the last passing candidate winning), a squash to
``(S·rows, S·cols)``, row-major tiles, and a thumbnail of the whole image last.
``reference="transformers"`` reproduces transformers' ``GotOcr2ImageProcessor`` instead
(it orders equal-area candidates width-major; only ``min_num > 1`` can tell them apart).
Grids are ``(rows, cols)``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._choices import (
    ALL_COMPATS,
    REFERENCES,
    Normalisation,
    as_bool,
    as_bound,
    as_choice,
    as_optional_number,
    as_reference,
    core_reference,
)
from ._coerce import as_int
from ._family import FamilyProcessor, pick, processor_for
from ._frames import as_video_list, sample, squash, squash_len, torchvision_video_channels
from ._images import as_image_list
from ._video_processor import SquashVideoProcessor

__all__ = [
    "VideoProcessor",
    "IMAGENET_MEAN",
    "ImageProcessor",
    "IMAGENET_STD",
    "InternVLPlan",
    "candidate_grids",
    "frame_indices",
    "num_tokens_many",
    "describe",
    "draw",
    "plan",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: What InternVL does with one image: ``grid`` ``(rows, cols)``, ``resized`` ``(S·rows,
#: S·cols)``, ``boxes`` (``(top, left, height, width)`` of each grid tile, row-major; the
#: thumbnail is a separate squash of the original), ``num_tiles`` (thumbnail included),
#: ``has_thumbnail``, ``tokens_per_tile`` (``(S/28)²``, 256 for 448), ``num_tokens``
#: (``<IMG_CONTEXT>`` tokens, ``tokens_per_tile · num_tiles``) and ``wrapper_tokens`` (2:
#: ``<img>`` and ``</img>``; the reference prompt's ``256·n + 2``).
InternVLPlan = _core.InternVLPlan


def plan(height: int, width: int, **params: Any) -> InternVLPlan:
    """The tiling InternVL applies to a ``height × width`` image.

    Args:
        height, width: the input size in pixels.
        params: the planning keywords of :class:`ImageProcessor` (``min_num``,
            ``max_num``, ``image_size``, ``use_thumbnail``, ``reference``).

    Raises:
        DynresError: non-positive sides, ``min_num > max_num``, ``max_num > 4096``, an
            ``image_size`` outside 1..16384, an unknown ``reference``.
        TypeError: non-integer sizes or counts, unknown keywords.
    """
    return processor_for(ImageProcessor, params).plan(height, width)


def num_tokens_many(
    heights: Any, widths: Any, *, errors: str = "raise", **params: Any
) -> np.ndarray:
    """``plan(h, w, **params).num_tokens`` for arrays of sizes, vectorised in Rust (GIL
    released): ``256·tiles`` at 448 (add ``wrapper_tokens``, 2, for ``<img></img>``).

    Args:
        heights, widths: 1-D integer arrays of equal length.
        errors: ``"raise"`` stops at the first refused row (naming it); ``"mask"`` writes -1.
    """
    return processor_for(ImageProcessor, params).num_tokens_many(heights, widths, errors=errors)


def candidate_grids(
    min_num: int = 1, max_num: int = 12, *, reference: str = "original"
) -> List[Tuple[int, int]]:
    """The ``(rows, cols)`` grids with ``min_num <= rows·cols <= max_num`` in the order the
    chosen reference scans them (ascending tile count)."""
    return _core.internvl_candidates(
        as_int("min_num", min_num),
        as_int("max_num", max_num),
        as_choice("reference", reference, REFERENCES),
    )


def frame_indices(
    total_frames: int,
    num_frames: int = 32,
    *,
    fps: Optional[float] = None,
    bound: Optional[Tuple[float, float]] = None,
    first_idx: int = 0,
    reference: str = "original",
) -> np.ndarray:
    """The ``num_frames`` video frames InternVL samples from a clip of ``total_frames``
    (int64 indices).

    ``reference="original"`` is the README's ``get_index(bound, fps, max_frame=N-1,
    first_idx, num_segments)``: segment centres over ``[start_idx, end_idx]`` with
    ``start_idx = max(first_idx, round(start·fps))``, ``end_idx = min(round(end·fps), N-1)``
    and ``int(start_idx + seg/2 + round_half_even(seg·k))``; ``fps`` is the video's frame
    rate (needed with ``bound``; without both, the whole clip). Duplicates appear for short
    clips. ``reference="transformers"`` is ``InternVLVideoProcessor.sample_frames`` with
    ``initial_shift=True``: float32 ``arange(N/n/2, N, N/n)`` truncated; it refuses
    ``num_frames > total_frames`` and takes no ``fps``, ``bound`` or ``first_idx``.

    Raises:
        DynresError: no frames, a bound without fps, indices outside the clip, an unknown
            reference.
    """
    return _core.internvl_frame_indices(
        as_int("total_frames", total_frames),
        as_int("num_frames", num_frames),
        as_optional_number("fps", fps),
        as_bound(bound),
        as_int("first_idx", first_idx, minimum=0),
        as_choice("reference", reference, REFERENCES),
    )


class ImageProcessor(FamilyProcessor):
    """InternVL image preprocessing: dynamic tiles plus thumbnail, normalised, ``(3, S, S)``.

    ``proc(images)`` equals transformers' slow ``GotOcr2ImageProcessor(crop_to_patches=True,
    min_patches=min_num, max_patches=max_num, size={"height": S, "width": S},
    image_mean=..., image_std=...)`` (and OpenGVLab's ``load_image``) within 1e-6 — bit for
    bit for float32 — with ``compat="pillow"`` against Pillow >= 13 and ``"pillow12"``
    against Pillow <= 12. With ``compat="torchvision"`` it equals the fast
    ``GotOcr2ImageProcessorFast`` with the same arguments (torchvision's uint8 antialiased
    resize, fused ``(v - 255·mean) / (255·std)`` in float32), bit for bit for float32.

    The defaults are the InternVL checkpoints' (448-pixel tiles, 1 to 12 of them, ImageNet
    mean/std): transformers' ``GotOcr2ImageProcessor()`` without arguments does not tile and
    uses 384-pixel images, which no InternViT takes.

    Args:
        image_size: tile side ``S`` (448 for the checkpoints; any side tiles as
            ``GotOcr2ImageProcessor`` does, with ``⌊S/28⌋²`` tokens per tile).
        min_num, max_num: the allowed tile counts (``min_dynamic_patch``,
            ``max_dynamic_patch``; inference uses 1 and 12, most evals 6).
        use_thumbnail: append a whole-image thumbnail when the grid has several tiles.
        reference: ``"original"`` (OpenGVLab, CPython set order within equal tile counts;
            alpha dropped, as its ``convert("RGB")``) or ``"transformers"``
            (``GotOcr2ImageProcessor``, width-major; RGB conversion as the installed
            release's, see ``ops.to_rgb``), or that with a pinned release:
            ``"transformers5"`` (transparency onto white) / ``"transformers4"`` (dropped).
        image_mean, image_std: per-channel normalisation (ImageNet by default).
        resample: the filter of every resize (``"bicubic"`` upstream), a name or PIL code;
            ``compat="torchvision"`` has only ``"bilinear"`` and ``"bicubic"``.
        compat: ``"pillow"`` / ``"pillow12"`` (slow processor, the Pillow pass-order rule)
            or ``"torchvision"`` (fast processor).
        dtype: ``"float32"``, ``"float16"``, ``"bfloat16"`` or ``"uint8"`` (raw tiles).
        reuse_output: write every call into one reused output buffer instead of a fresh
            array (no page faults on large outputs); each call then overwrites what the
            previous call returned (see :mod:`dynres_fast.pool`).
    """

    #: ``config.json`` model types of this family's checkpoints (``auto.from_pretrained``).
    MODEL_TYPES: Tuple[str, ...] = ("internvl", "internvl_chat")
    #: ``image_processor_type`` names (``Fast``/``Pil`` suffix removed) of this family.
    IMAGE_PROCESSOR_TYPES: Tuple[str, ...] = ("GotOcr2ImageProcessor",)

    def __init__(
        self,
        *,
        image_size: int = 448,
        min_num: int = 1,
        max_num: int = 12,
        use_thumbnail: bool = True,
        reference: str = "original",
        image_mean: Sequence[float] = IMAGENET_MEAN,
        image_std: Sequence[float] = IMAGENET_STD,
        resample: Any = "bicubic",
        compat: str = "pillow",
        dtype: str = "float32",
        reuse_output: bool = False,
    ) -> None:
        self.image_size = as_int("image_size", image_size)
        self.min_num = as_int("min_num", min_num)
        self.max_num = as_int("max_num", max_num)
        self.use_thumbnail = as_bool("use_thumbnail", use_thumbnail)
        self.reference = as_reference(reference, REFERENCES)
        self._norm = Normalisation(
            image_mean, image_std, compat, dtype, compats=ALL_COMPATS, resample=resample
        )
        self._config = _core.InternVLConfig(
            min_num=self.min_num,
            max_num=self.max_num,
            image_size=self.image_size,
            use_thumbnail=self.use_thumbnail,
            reference=core_reference(self.reference),
            resample=self._norm.resample,
            compat=self._norm.compat,
        )

    @classmethod
    def _from_config(cls, cfg: Mapping[str, Any], model: Mapping[str, Any]) -> Dict[str, Any]:
        # transformers' -hf layout (GotOcr2ImageProcessor keys) or OpenGVLab's (a CLIP
        # preprocessor config, the tiling in config.json).
        kw = pick(cfg, ("image_mean", "image_std", "resample"))
        size = cfg.get("size") or cfg.get("crop_size")
        if isinstance(size, Mapping) and "height" in size:
            kw["image_size"] = size["height"]
        elif isinstance(size, int):
            kw["image_size"] = size
        if "min_patches" in cfg or "crop_to_patches" in cfg:
            kw["reference"] = "transformers"
            if cfg.get("crop_to_patches") is False:
                kw["min_num"] = kw["max_num"] = 1
            else:
                kw.update(
                    {"min_num": cfg.get("min_patches", 1), "max_num": cfg.get("max_patches", 12)}
                )
        for key, name in (
            ("min_dynamic_patch", "min_num"),
            ("max_dynamic_patch", "max_num"),
            ("use_thumbnail", "use_thumbnail"),
            ("force_image_size", "image_size"),
        ):
            if model.get(key) is not None:
                kw[name] = model[key]
        return kw

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(image_size={self.image_size}, min_num={self.min_num}, "
            f"max_num={self.max_num}, use_thumbnail={self.use_thumbnail}, "
            f"reference={self.reference!r}, resample={self._norm.resample!r}, "
            f"compat={self._norm.compat!r}, dtype={self._norm.dtype!r})"
        )

    def __call__(self, images: Any, *, out: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
        """Preprocesses one image or a list of images (uint8 arrays and/or PIL images).

        Returns:
            ``pixel_values`` ``(Σ tiles, 3, S, S)`` (each image's tiles row-major, then its
            thumbnail) and ``num_patches`` ``(n,)`` int64 tiles per image. With ``out=``,
            the values are written into that array (shape and dtype checked).
        """
        arrays = as_image_list(images, self._alpha)
        plans = self._plans(arrays)
        counts = [p.num_tiles for p in plans]
        s = self.image_size
        buf = self._out(out, (sum(counts), 3, s, s))
        self._config.pixel_values(arrays, plans, self._norm.table, buf)
        return {
            "pixel_values": self._norm.present(buf),
            "num_patches": np.asarray(counts, dtype=np.int64),
        }

    def videos(
        self, videos: Any, *, num_frames: Optional[int] = None, out: Optional[np.ndarray] = None
    ) -> Dict[str, Any]:
        """Preprocesses videos as the InternVL README's ``load_video`` does: every frame is
        one ``S × S`` tile (``dynamic_preprocess(max_num=1)``: a bicubic squash, no
        thumbnail), normalised like the images — the same values as
        ``ImageProcessor(max_num=1)`` on each frame. With ``compat="torchvision"`` the
        frames equal transformers' ``InternVLVideoProcessor(size={"height": S, "width": S},
        image_mean=..., image_std=...)`` given the same frames (opaque RGBA videos lose
        their alpha as there; its float blending of alpha < 255 is not reproduced: such
        videos are refused).

        Args:
            videos: one ``(T, H, W, C)`` uint8 array, or a list of videos (arrays or lists of
                frames; a bare list of frames is one video).
            num_frames: ``None`` uses every frame given (already sampled); a number first
                picks the frames :func:`frame_indices` (``get_index`` over the whole clip)
                chooses, duplicates included.
            out: optional 1-D array of ``Σ T·3·S·S`` values in the output dtype (all
                videos' frames, in order); the returned arrays are views of it.

        Returns:
            ``pixel_values_videos``: a list with one ``(T, 3, S, S)`` array per video (the
            README concatenates them and passes ``num_patches_list = [1] * T``);
            ``frame_indices``: the frames used per video; ``num_video_tokens`` ``(n,)`` int64:
            ``T · (tokens_per_tile + 2)``, the ``<img>…</img>`` blocks of the
            ``Frame{i}: <image>`` prompt lines.
        """
        arrays = torchvision_video_channels(
            as_video_list(videos, self._video_alpha), self._norm.compat
        )
        if num_frames is not None:
            num_frames = as_int("num_frames", num_frames)
        s = self.image_size
        arrays, used = sample(
            arrays, num_frames, lambda n, k: frame_indices(n, k), ((3, s, s), self._norm.storage)
        )
        sizes = [(s, s)] * len(arrays)
        buf = self._out(out, (squash_len(arrays, sizes),))
        values = squash(arrays, sizes, self._norm, self._config, buf)
        tile = plan(s, s, max_num=1, image_size=s)
        per_frame = tile.num_tokens + tile.wrapper_tokens
        return {
            "pixel_values_videos": values,
            "frame_indices": used,
            "num_video_tokens": np.asarray([per_frame * len(a) for a in arrays], np.int64),
        }


def describe(plan: InternVLPlan) -> Tuple[str, str]:
    """``(what the image becomes, how it is cut)`` for tables."""
    rows, cols = plan.grid
    thumb = " + thumb" if plan.has_thumbnail else ""
    return "x".join(map(str, plan.resized)), f"{rows}x{cols} tiles{thumb}"


def draw(image: Any, plan: InternVLPlan, title: str, *, patches: bool = False) -> Any:
    """A PIL picture of ``image`` (PIL RGB) squashed to the tile grid, tiles outlined,
    the thumbnail beside it."""
    from PIL import Image

    from . import _show

    rh, rw = plan.resized
    rows, cols = plan.grid
    tile = rh // rows
    canvas = _show.gridded(
        image.resize((rw, rh), Image.Resampling.BICUBIC), [(tile, tile, _show.TILE_LINE, 3)]
    )
    side = []
    if plan.has_thumbnail:
        side.append(("thumbnail", image.resize((tile, tile), Image.Resampling.BICUBIC)))
    text = (
        f"{title}: {image.height}x{image.width} -> {rh}x{rw} px, {rows}x{cols} tiles of "
        f"{tile} px{' + thumbnail' if plan.has_thumbnail else ''} = {plan.num_tiles} tiles x "
        f"{plan.tokens_per_tile} = {plan.num_tokens} tokens (+ {plan.wrapper_tokens} for "
        "<img></img>)"
    )
    return _show.compose(canvas, side, text)


class VideoProcessor(SquashVideoProcessor):
    """transformers 5.x's ``InternVLVideoProcessor`` (torchvision backend, the only one it has).

    ``VideoProcessor()`` equals ``InternVLVideoProcessor()`` (384×384, CLIP mean/std, bicubic, no
    sampling unless asked); :meth:`from_pretrained` reads a checkpoint's
    ``video_preprocessor_config.json``. Given the same frames and ``video_metadata`` the
    outputs are the same: ``pixel_values_videos`` bit for bit in float32, and the frames
    its ``sample_frames`` picks (rule ``"internvl"`` of ``video.sample_indices``).
    See ``SquashVideoProcessor`` for the arguments.
    """

    _rule = "internvl"
    _family = "InternVLVideoProcessor"

    @staticmethod
    def _squash_config(resample: str, compat: str) -> Any:
        return ImageProcessor(resample=resample, compat=compat)._config
