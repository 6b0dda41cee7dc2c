"""Position ids of Qwen2-VL / Qwen2.5-VL / Qwen3-VL: M-RoPE ids and vision-tower ids.

:func:`mrope_position_ids` is ``get_rope_index``: the 3-D (temporal, height, width)
position ids of every token and the per-row delta that decoding adds to the cache
position. Implementations disagree, so ``convention`` picks one; each is exact:

===================  ================================  ==========================  ===  ==========
convention           text after a vision block at      video temporal id           pad  delta base
===================  ================================  ==========================  ===  ==========
``"qwen"``           block max(t, h, w) + 1            ``int(f32(f32(k*s)*tps))``  1    padded L
``"transformers4"``  block max(t, h, w) + 1            ``k * int(s) * tps``        1    padded L
``"transformers5"``  block start + max(h, w) // merge  ``int(f32(k*f32(tps*s)))``  0    unpadded L
===================  ================================  ==========================  ===  ==========

``k`` is the frame-group index inside the video, ``s`` its ``second_per_grid_ts`` entry
(as float32, 1 when not given), ``tps`` is ``tokens_per_second``. Without
``tokens_per_second`` (Qwen2-VL, Qwen3-VL) the temporal id is ``k`` in every convention.
Images with ``tokens_per_second`` get temporal id 0 (``k`` under ``"transformers5"``;
images have ``t = 1`` in practice, so 0 either way). ``"transformers4"`` is transformers
4.57.6 ``Qwen2VLModel.get_rope_index`` / ``Qwen2_5_VLModel.get_rope_index``;
``"transformers5"`` is transformers 5.x (checked against 5.18.0); ``"qwen"`` is the
original Qwen2.5-VL rule (fractional seconds kept, float32 arithmetic in that order).

The vision-tower helpers return what ``Qwen2VisionTransformer.rot_pos_emb``,
``get_window_index`` and the ``cu_seqlens`` computation of Qwen2/2.5-VL build inside the
model.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._coerce import as_int, as_int64_array
from .errors import DynresError, GridMismatchError

__all__ = [
    "CONVENTIONS",
    "cu_seqlens",
    "mrope_position_ids",
    "vision_position_ids",
    "window_index",
]

CONVENTIONS = ("qwen", "transformers4", "transformers5")


def _grids(name: str, value: Any) -> Optional[np.ndarray]:
    if value is None:
        return None
    arr = as_int64_array(name, value)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise DynresError(f"{name} must have shape (N, 3), got {arr.shape}")
    return arr


def _mask(value: Any, shape: Tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.int64)
    elif not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"attention_mask must hold integers or bools, got dtype {arr.dtype}")
    if arr.shape != shape:
        raise DynresError(
            f"attention_mask has shape {arr.shape} but input_ids has {shape}; they must match"
        )
    return np.ascontiguousarray(arr, dtype=np.int64)


def _seconds(value: Any) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(f"second_per_grid_ts must hold numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise DynresError(
            f"second_per_grid_ts must be 1-D (one value per video), got shape {arr.shape}"
        )
    # The processors hand these to the model as a float32 tensor.
    return np.ascontiguousarray(arr, dtype=np.float32)


def mrope_position_ids(
    input_ids: Any,
    image_grid_thw: Any = None,
    video_grid_thw: Any = None,
    attention_mask: Any = None,
    *,
    spatial_merge_size: int = 2,
    image_token_id: int = 151655,
    video_token_id: int = 151656,
    vision_start_token_id: int = 151652,
    second_per_grid_ts: Optional[Sequence[float]] = None,
    tokens_per_second: Optional[int] = None,
    convention: str = "qwen",
    split_video_frames: bool = False,
) -> Tuple[np.ndarray, np.ndarray]:
    """3-D M-RoPE position ids and decode deltas (``get_rope_index``), one pass in Rust.

    Args:
        input_ids: ``(B, L)`` integer token ids; a 1-D ``(L,)`` array is one row (B = 1).
        image_grid_thw, video_grid_thw: ``(N, 3)`` integer grids in patch units, used in
            order across the whole batch (row 0 first). ``None`` when there are none.
        attention_mask: ``(B, L)`` (or ``(L,)``) of 0/1 or bools; ``None`` = all tokens.
        spatial_merge_size: the vision merger's patches per side (2).
        image_token_id, video_token_id, vision_start_token_id: the model's special ids.
        second_per_grid_ts: seconds per temporal grid, one per video row (float32);
            ``None`` means 1.0 each. Only used when ``tokens_per_second`` is given.
        tokens_per_second: Qwen2.5-VL's ``vision_config.tokens_per_second`` (2 on the hub);
            ``None`` for Qwen2-VL and Qwen3-VL.
        convention: ``"qwen"``, ``"transformers4"`` or ``"transformers5"`` (module table).
        split_video_frames: Qwen3-VL: each video grid row ``(t, h, w)`` is ``t`` blocks
            ``(1, h, w)`` in the text (one per timestamp), as Qwen3-VL's processor writes
            them.

    Returns:
        ``position_ids`` ``(3, B, L)`` int64 and ``mrope_position_deltas`` ``(B, 1)`` int64.

    Without any grid every row gets 1-D positions over its unmasked tokens: under
    ``"qwen"``/``"transformers4"`` padding holds 1 and the delta is the row maximum
    (padding's 1 included) + 1 - L (0 without a mask), as transformers 4's text-only
    branch; under ``"transformers5"`` padding holds 0 and deltas are 0 (what 5.18's
    ``get_rope_index`` returns without grids; the 5.18 model itself skips it for text-only
    input and uses ``arange(L)``, which is what you get without a mask). A row whose mask
    is all 0 (upstream crashes) gets padding everywhere and the delta of an empty
    sequence (``-L``, or 0 for ``"transformers5"``).

    Validation is stricter than upstream, which silently misplaces ids on bad input:
    every maximal run of image (video) tokens is one block; it must follow
    ``vision_start_token_id`` (not required by ``"transformers5"``, which groups runs by
    token type); it must hold exactly ``t*h*w / merge**2`` tokens of the next unused grid
    row; ``h`` and ``w`` must be multiples of ``spatial_merge_size``; every grid row must
    be used by the end of the batch. When all of that holds the result equals upstream's.

    Raises:
        GridMismatchError: grids and vision tokens disagree (the message names the row,
            token position and grid row).
        DynresError: shapes that do not match, mask values other than 0/1, non-positive
            sizes, negative or non-finite seconds, a ``second_per_grid_ts`` length other
            than the number of video rows, overflowing ids, unknown ``convention``.
        TypeError: non-integer ids, grids or masks, non-numeric seconds.
    """
    ids = as_int64_array("input_ids", input_ids)
    if ids.ndim == 1:
        ids = ids.reshape(1, -1)
        mask_shape: Tuple[int, ...] = (ids.shape[1],)
    elif ids.ndim == 2:
        mask_shape = ids.shape
    else:
        raise DynresError(f"input_ids must be (B, L) or (L,), got shape {ids.shape}")
    mask = None
    if attention_mask is not None:
        mask = _mask(attention_mask, mask_shape).reshape(ids.shape)
    if convention not in CONVENTIONS:
        raise DynresError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    images = _grids("image_grid_thw", image_grid_thw)
    videos = _grids("video_grid_thw", video_grid_thw)
    seconds = None if second_per_grid_ts is None else _seconds(second_per_grid_ts)
    tps = None if tokens_per_second is None else as_int("tokens_per_second", tokens_per_second)
    if split_video_frames and videos is not None:
        if seconds is not None and len(seconds) != len(videos):
            raise DynresError(
                f"second_per_grid_ts has {len(seconds)} values but video_grid_thw has "
                f"{len(videos)} rows; give one per video"
            )
        frames = videos[:, 0]
        bad = np.flatnonzero((frames < 1) | (frames > 2**20))
        if bad.size:
            raise DynresError(
                f"video_grid_thw[{bad[0]}] = {tuple(videos[bad[0]])}: t must be between 1 and 2**20"
            )
        # Every (1, h, w) block holds at least one video token: more blocks than video
        # tokens can never match, and would only be repeated to be refused.
        blocks = sum(frames.tolist())
        vid = as_int("video_token_id", video_token_id, minimum=-(2**63))
        tokens = int(np.count_nonzero(ids == vid))
        if blocks > tokens:
            raise GridMismatchError(
                f"video_grid_thw (split_video_frames) describes {blocks} frame blocks but "
                f"input_ids hold only {tokens} video tokens ({vid})"
            )
        videos = np.repeat(videos, frames, axis=0)
        videos[:, 0] = 1
        if seconds is not None:
            seconds = np.repeat(seconds, frames)
    return _core.mrope_position_ids(
        ids,
        mask,
        images,
        videos,
        seconds,
        as_int("spatial_merge_size", spatial_merge_size),
        as_int("image_token_id", image_token_id, minimum=-(2**63)),
        as_int("video_token_id", video_token_id, minimum=-(2**63)),
        as_int("vision_start_token_id", vision_start_token_id, minimum=-(2**63)),
        tps,
        convention,
    )


def vision_position_ids(grid_thw: Any, spatial_merge_size: int = 2) -> np.ndarray:
    """``(N, 2)`` int64 (row, col) of every patch, in the vision tower's patch order.

    The order is the processor's: merge window by merge window (``m x m`` patches,
    raster inside), windows in raster order, frames repeated, grids concatenated. These
    are the ids ``rot_pos_emb`` looks up (``N = Σ t·h·w``).

    Raises:
        GridMismatchError: ``h`` or ``w`` not a multiple of ``spatial_merge_size``.
        DynresError: grids not ``(N, 3)``, sides outside ``1..2**20``, too many patches.
        TypeError: non-integer grids.
    """
    return _core.vision_position_ids(
        _grid_arg(grid_thw), as_int("spatial_merge_size", spatial_merge_size)
    )


def cu_seqlens(grid_thw: Any) -> np.ndarray:
    """int32 ``[0, cumulative patches after each frame]``: one attention segment per frame.

    int32 as upstream builds it (and as flash-attention's ``cu_seqlens`` wants it).

    Raises:
        DynresError: grids not ``(N, 3)``, sides outside ``1..2**20``, a total beyond int32.
        TypeError: non-integer grids.
    """
    return _core.cu_seqlens(_grid_arg(grid_thw))


def window_index(
    grid_thw: Any,
    *,
    window_size: int = 112,
    patch_size: int = 14,
    spatial_merge_size: int = 2,
) -> Tuple[np.ndarray, np.ndarray]:
    """Qwen2.5-VL ``get_window_index``: ``(window_index, cu_window_seqlens)``, both int64.

    ``window_index`` orders the merged tokens window by window (windows of
    ``window_size // spatial_merge_size // patch_size`` merged tokens per side, per frame,
    raster order) with grids offset by the tokens before them. ``cu_window_seqlens`` is
    the **raw** list upstream builds, in patch units, one entry per window including the
    empty windows its padding creates (a whole extra row/column of windows when a side is
    a multiple of the window); the model then drops the repeats with
    ``unique_consecutive``, which equals ``np.unique`` here since the values never
    decrease.

    Raises:
        GridMismatchError: ``h`` or ``w`` not a multiple of ``spatial_merge_size``.
        DynresError: bad grids, or a window smaller than one merged token.
        TypeError: non-integer arguments.
    """
    return _core.window_index(
        _grid_arg(grid_thw),
        as_int("window_size", window_size),
        as_int("patch_size", patch_size),
        as_int("spatial_merge_size", spatial_merge_size),
    )


def _grid_arg(grid_thw: Any) -> np.ndarray:
    grids = _grids("grid_thw", grid_thw)
    if grids is None:
        raise TypeError("grid_thw must be an (N, 3) integer array, got None")
    return grids
