"""InternVL 1.5 / 2 / 2.5: dynamic tiling plans, token counts and video frame indices.

``plan`` reproduces OpenGVLab's ``dynamic_preprocess`` geometry exactly: the grid of
``find_closest_aspect_ratio`` (float aspect differences, exact ties broken by
``W·H > 0.5·S²·cols·rows``, the last passing candidate winning), a squash to
``(S·rows, S·cols)``, row-major tiles, and a thumbnail of the whole image last.
``order="transformers"`` reproduces transformers' ``GotOcr2ImageProcessor`` instead (it
orders equal-area candidates width-major; only ``min_num > 1`` can tell them apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._choices import ALL_COMPATS, Normalisation, as_bool, as_bound, as_choice, as_optional_number
from ._coerce import as_int, as_int64_array
from ._frames import as_video_list, sample, squash, torchvision_video_channels
from ._images import as_image_list
from ._video_processor import SquashVideoProcessor
from .errors import DynresError

__all__ = [
    "VideoProcessor",
    "IMAGENET_MEAN",
    "ImageProcessor",
    "IMAGENET_STD",
    "InternVLPlan",
    "candidate_grids",
    "frame_indices",
    "num_tokens_many",
    "plan",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_ORDERS = ("original", "transformers")


@dataclass(frozen=True)
class InternVLPlan:
    """What InternVL does with one image.

    Attributes:
        grid: ``(cols, rows)`` — tiles across the width, tiles down the height.
        resized: ``(height, width)`` the whole image is squashed to, ``(S·rows, S·cols)``.
        boxes: ``(top, left, height, width)`` of each grid tile in the resized image,
            row-major. The thumbnail is a separate squash of the original, not a box.
        num_tiles: tiles fed to the ViT, thumbnail included.
        has_thumbnail: whether the last tile is the thumbnail (``use_thumbnail`` and a
            grid other than 1×1).
        tokens_per_tile: vision tokens per tile, ``(S/14)²/4`` (256 for 448).
        num_context_tokens: ``<IMG_CONTEXT>`` tokens, ``tokens_per_tile · num_tiles``.
        num_tokens: prompt tokens of the image: ``num_context_tokens + 2`` for ``<img>``
            and ``</img>`` (the ``256·n + 2`` of the reference prompt).
    """

    grid: Tuple[int, int]
    resized: Tuple[int, int]
    boxes: Tuple[Tuple[int, int, int, int], ...]
    num_tiles: int
    has_thumbnail: bool
    tokens_per_tile: int
    num_context_tokens: int
    num_tokens: int


def _params(
    min_num: Any, max_num: Any, image_size: Any, use_thumbnail: Any, order: Any
) -> Tuple[int, int, int, bool, str]:
    return (
        as_int("min_num", min_num),
        as_int("max_num", max_num),
        as_int("image_size", image_size),
        as_bool("use_thumbnail", use_thumbnail),
        as_choice("order", order, _ORDERS),
    )


def plan(
    height: int,
    width: int,
    *,
    min_num: int = 1,
    max_num: int = 12,
    image_size: int = 448,
    use_thumbnail: bool = True,
    order: str = "original",
) -> InternVLPlan:
    """The tiling InternVL applies to a ``height × width`` image.

    Args:
        height, width: the input size in pixels.
        min_num, max_num: the allowed tile counts (``min_dynamic_patch``,
            ``max_dynamic_patch``; inference uses 1 and 12, most evals 6).
        image_size: the tile side; a multiple of 28.
        use_thumbnail: append a whole-image thumbnail when the grid has several tiles.
        order: ``"original"`` (OpenGVLab, CPython set order within equal tile counts) or
            ``"transformers"`` (``GotOcr2ImageProcessor``, width-major).

    Raises:
        DynresError: non-positive sides, ``min_num > max_num``, ``max_num > 4096``, an
            ``image_size`` that is not a multiple of 28, an unknown ``order``.
        TypeError: non-integer sizes or counts.
    """
    h, w = as_int("height", height), as_int("width", width)
    cols, rows, rh, rw, n, thumb, per_tile = _core.internvl_plan(
        h, w, *_params(min_num, max_num, image_size, use_thumbnail, order)
    )
    s = rh // rows
    boxes = tuple((r * s, c * s, s, s) for r in range(rows) for c in range(cols))
    return InternVLPlan(
        grid=(cols, rows),
        resized=(rh, rw),
        boxes=boxes,
        num_tiles=n,
        has_thumbnail=thumb,
        tokens_per_tile=per_tile,
        num_context_tokens=per_tile * n,
        num_tokens=per_tile * n + 2,
    )


def candidate_grids(
    min_num: int = 1, max_num: int = 12, *, order: str = "original"
) -> List[Tuple[int, int]]:
    """The ``(cols, rows)`` grids with ``min_num <= cols·rows <= max_num`` in the order the
    chosen reference scans them (ascending tile count)."""
    return _core.internvl_candidates(
        as_int("min_num", min_num),
        as_int("max_num", max_num),
        as_choice("order", order, _ORDERS),
    )


def num_tokens_many(
    heights: Any,
    widths: Any,
    *,
    min_num: int = 1,
    max_num: int = 12,
    image_size: int = 448,
    use_thumbnail: bool = True,
    order: str = "original",
    errors: str = "raise",
) -> np.ndarray:
    """:attr:`InternVLPlan.num_tokens` for arrays of sizes, vectorised in Rust (GIL released).

    Args:
        heights, widths: 1-D integer arrays of equal length.
        errors: ``"raise"`` stops at the first refused row (naming it); ``"mask"`` writes -1.

    Returns:
        int64 array of prompt tokens per image (``256·tiles + 2`` at 448).
    """
    hs = as_int64_array("heights", heights, ndim=1)
    ws = as_int64_array("widths", widths, ndim=1)
    return _core.internvl_num_tokens_many(
        hs,
        ws,
        *_params(min_num, max_num, image_size, use_thumbnail, order),
        as_choice("errors", errors, ("raise", "mask")),
    )


def frame_indices(
    num_frames: int,
    num_segments: int = 32,
    *,
    fps: Optional[float] = None,
    bound: Optional[Tuple[float, float]] = None,
    first_idx: int = 0,
    convention: str = "original",
) -> np.ndarray:
    """Video frames InternVL samples (int64 indices).

    ``convention="original"`` is the README's ``get_index(bound, fps, max_frame=N-1,
    first_idx, num_segments)``: segment centres over ``[start_idx, end_idx]`` with
    ``start_idx = max(first_idx, round(start·fps))``, ``end_idx = min(round(end·fps), N-1)``
    and ``int(start_idx + seg/2 + round_half_even(seg·k))``; ``fps`` is the video's frame
    rate (needed with ``bound``; without both, the whole clip). Duplicates appear for short
    clips. ``convention="transformers"`` is ``InternVLVideoProcessor.sample_frames`` with
    ``initial_shift=True``: float32 ``arange(N/n/2, N, N/n)`` truncated; it refuses
    ``num_segments > num_frames`` and takes no ``fps``, ``bound`` or ``first_idx``.

    Raises:
        DynresError: no frames or segments, a bound without fps, indices outside the clip,
            an unknown convention.
    """
    return _core.internvl_frame_indices(
        as_int("num_frames", num_frames),
        as_int("num_segments", num_segments),
        as_optional_number("fps", fps),
        as_bound(bound),
        as_int("first_idx", first_idx, minimum=0),
        as_choice("convention", convention, _ORDERS),
    )


class ImageProcessor:
    """InternVL image preprocessing: dynamic tiles plus thumbnail, normalised, ``(3, S, S)``.

    ``proc(images)`` equals transformers' slow ``GotOcr2ImageProcessor(crop_to_patches=True,
    min_patches=min_num, max_patches=max_num, size={"height": S, "width": S},
    image_mean=..., image_std=...)`` (and OpenGVLab's ``load_image``) within 1e-6 — bit for
    bit for float32 — with ``compat="pillow"`` against Pillow >= 13 and ``"pillow12"``
    against Pillow <= 12. With ``compat="torchvision"`` it equals the fast
    ``GotOcr2ImageProcessorFast`` with the same arguments (torchvision's uint8 antialiased
    resize, fused ``(v - 255·mean) / (255·std)`` in float32), bit for bit for float32.

    Args:
        image_size: tile side ``S`` (a multiple of 28).
        min_num, max_num, use_thumbnail, order: as :func:`plan`.
        image_mean, image_std: per-channel normalisation (ImageNet by default).
        resample: the filter of every resize (``"bicubic"`` upstream), a name or PIL code;
            ``compat="torchvision"`` has only ``"bilinear"`` and ``"bicubic"``.
        compat: ``"pillow"`` / ``"pillow12"`` (slow processor, the Pillow pass-order rule)
            or ``"torchvision"`` (fast processor).
        dtype: ``"float32"``, ``"float16"``, ``"bfloat16"`` or ``"uint8"`` (raw tiles).
    """

    def __init__(
        self,
        image_size: int = 448,
        min_num: int = 1,
        max_num: int = 12,
        use_thumbnail: bool = True,
        image_mean: Sequence[float] = IMAGENET_MEAN,
        image_std: Sequence[float] = IMAGENET_STD,
        order: str = "original",
        compat: str = "pillow",
        dtype: str = "float32",
        resample: Any = "bicubic",
    ) -> None:
        self._params = _params(min_num, max_num, image_size, use_thumbnail, order)
        self.min_num, self.max_num, self.image_size, self.use_thumbnail, self.order = self._params
        _core.internvl_plan(1, 1, *self._params)  # validates every parameter
        self._norm = Normalisation(
            image_mean, image_std, compat, dtype, compats=ALL_COMPATS, resample=resample
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(image_size={self.image_size}, min_num={self.min_num}, "
            f"max_num={self.max_num}, use_thumbnail={self.use_thumbnail}, order={self.order!r}, "
            f"resample={self._norm.resample!r}, compat={self._norm.compat!r}, "
            f"dtype={self._norm.dtype!r})"
        )

    def plan(self, height: int, width: int) -> InternVLPlan:
        """The tiling of one image under this processor's parameters."""
        return plan(
            height,
            width,
            min_num=self.min_num,
            max_num=self.max_num,
            image_size=self.image_size,
            use_thumbnail=self.use_thumbnail,
            order=self.order,
        )

    def __call__(self, images: Any) -> Dict[str, np.ndarray]:
        """Preprocesses one image or a list of images (uint8 arrays and/or PIL images).

        Returns:
            ``pixel_values`` ``(Σ tiles, 3, S, S)`` (each image's tiles row-major, then its
            thumbnail) and ``num_patches`` ``(n,)`` int64 tiles per image.
        """
        arrays = as_image_list(images)
        counts = []
        for i, a in enumerate(arrays):
            try:
                counts.append(self.plan(a.shape[0], a.shape[1]).num_tiles)
            except DynresError as e:
                raise type(e)(f"image {i} of shape {a.shape}: {e}") from None
        s = self.image_size
        out = np.empty((sum(counts), 3, s, s), self._norm.storage)
        n = self._norm
        _core.internvl_pixel_values(arrays, *self._params, n.compat, n.resample, n.table, out)
        return {
            "pixel_values": self._norm.present(out),
            "num_patches": np.asarray(counts, dtype=np.int64),
        }

    def videos(self, videos: Any, *, num_segments: Optional[int] = None) -> Dict[str, Any]:
        """Preprocesses videos as the InternVL README's ``load_video`` does: every frame is
        one ``S × S`` tile (``dynamic_preprocess(max_num=1)``: a bicubic squash, no
        thumbnail), normalised like the images — the same values as
        ``ImageProcessor(max_num=1)`` on each frame. With ``compat="torchvision"`` the
        frames equal transformers' ``InternVLVideoProcessor(size={"height": S, "width": S},
        image_mean=..., image_std=...)`` given the same frames (its RGBA blending is not
        reproduced: 4-channel videos are refused).

        Args:
            videos: one ``(T, H, W, C)`` uint8 array, or a list of videos (arrays or lists of
                frames; a bare list of frames is one video).
            num_segments: ``None`` uses every frame given (already sampled); a number first
                picks the frames :func:`frame_indices` (``get_index`` over the whole clip)
                chooses, duplicates included.

        Returns:
            ``pixel_values_videos``: a list with one ``(T, 3, S, S)`` array per video (the
            README concatenates them and passes ``num_patches_list = [1] * T``);
            ``frame_indices``: the frames used per video; ``num_video_tokens`` ``(n,)`` int64:
            ``T · (tokens_per_tile + 2)``, the ``<img>…</img>`` blocks of the
            ``Frame{i}: <image>`` prompt lines.
        """
        arrays = torchvision_video_channels(as_video_list(videos), self._norm.compat)
        if num_segments is not None:
            num_segments = as_int("num_segments", num_segments)
        arrays, used = sample(arrays, num_segments, lambda n, k: frame_indices(n, k))
        s = self.image_size
        values = squash(arrays, [(s, s)] * len(arrays), self._norm)
        per_frame = plan(s, s, max_num=1, image_size=s).num_tokens
        return {
            "pixel_values_videos": values,
            "frame_indices": used,
            "num_video_tokens": np.asarray([per_frame * len(a) for a in arrays], np.int64),
        }


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
