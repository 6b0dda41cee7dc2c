"""Video placeholders in tokenized Qwen-VL prompts: the expansion the processors do on
text, done on token ids, and the ``mm_token_type_ids`` transformers 5.x models need.

Qwen2-VL / Qwen2.5-VL write ``t·h·w / merge²`` ``<|video_pad|>`` tokens per video. Qwen3-VL
writes, per temporal patch ``k``, ``<{t_k:.1f} seconds>`` then ``<|vision_start|>``,
``h·w / merge²`` pads and ``<|vision_end|>``. Where the chat template wrote
``<|vision_start|><|video_pad|><|vision_end|>``, transformers 5.x replaces only the pad
(the outer start/end pair stays: ``layout="transformers5"``); 4.57 replaced the whole
triple (``layout="transformers4"``).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ._choices import as_choice
from ._coerce import as_int, as_int64_array
from .errors import DynresError, GridMismatchError

IMAGE_PAD_ID = 151655
VIDEO_PAD_ID = 151656
VISION_START_ID = 151652
VISION_END_ID = 151653
LAYOUTS = ("transformers5", "transformers4")
MAX_BATCH_LENGTH = 2**24
"""Longest row the token expansions and :func:`~dynres_fast.batch.collate_features` build
(tokens, after ``pad_to_multiple_of``): 16 Mi tokens, far beyond any context window."""


def timestamp_text(seconds: float) -> str:
    """The text Qwen3-VL writes before a temporal patch: ``<{seconds:.1f} seconds>``."""
    return f"<{seconds:.1f} seconds>"


def mm_token_type_ids(
    input_ids: Any, *, image_token_id: int = IMAGE_PAD_ID, video_token_id: int = VIDEO_PAD_ID
) -> np.ndarray:
    """0 for text, 1 for image pads, 2 for video pads (int64, the shape of
    ``input_ids``), as transformers 5.x processors' ``create_mm_token_type_ids``."""
    ids = as_int64_array("input_ids", input_ids)
    out = np.zeros(ids.shape, np.int64)
    out[ids == as_int("image_token_id", image_token_id, minimum=-(2**63))] = 1
    out[ids == as_int("video_token_id", video_token_id, minimum=-(2**63))] = 2
    return out


def _blocks(
    grids: np.ndarray,
    grid_timestamps: Optional[Sequence[Any]],
    merge: int,
    tokenize: Optional[Callable[[str], Any]],
    ids: Tuple[int, int, int],
) -> List[np.ndarray]:
    """Each video's replacement tokens."""
    pad, start, end = ids
    if grid_timestamps is None:
        return [np.full(t * h * w // merge**2, pad, np.int64) for t, h, w in grids.tolist()]
    if tokenize is None:
        raise DynresError(
            "grid_timestamps need tokenize (text → token ids) to write the Qwen3-VL "
            "'<t seconds>' tokens"
        )
    if len(grid_timestamps) != len(grids):
        raise GridMismatchError(
            f"{len(grids)} video grids but {len(grid_timestamps)} grid_timestamps entries"
        )
    cache: Dict[str, np.ndarray] = {}
    out = []
    for i, ((t, h, w), seconds) in enumerate(zip(grids.tolist(), grid_timestamps)):
        seconds = np.asarray(seconds, dtype=np.float64).reshape(-1)
        if len(seconds) != t:
            raise GridMismatchError(
                f"video {i} has grid t={t} but {len(seconds)} grid timestamps; give one per "
                "temporal patch (qwen2vl.grid_timestamps)"
            )
        frame = np.concatenate([[start], np.full(h * w // merge**2, pad), [end]])
        parts = []
        for s in seconds:
            text = timestamp_text(float(s))
            if text not in cache:
                cache[text] = as_int64_array(f"tokenize({text!r})", tokenize(text), ndim=1)
            parts += [cache[text], frame]
        out.append(np.concatenate(parts).astype(np.int64))
    return out


def expand_video_tokens(
    input_ids: Any,
    video_grid_thw: Any,
    *,
    merge_size: int = 2,
    grid_timestamps: Optional[Sequence[Any]] = None,
    tokenize: Optional[Callable[[str], Any]] = None,
    layout: str = "transformers5",
    labels: Any = None,
    video_token_id: int = VIDEO_PAD_ID,
    vision_start_token_id: int = VISION_START_ID,
    vision_end_token_id: int = VISION_END_ID,
    ignore_index: int = -100,
) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Expands the ``i``-th ``<|video_pad|>`` of ``input_ids`` for video ``i``.

    Without ``grid_timestamps`` (Qwen2-VL, Qwen2.5-VL): ``t·h·w / merge²`` pads. With them
    (Qwen3-VL, one array of seconds per video, :func:`qwen2vl.grid_timestamps`): the
    timestamped blocks of the module docstring, the timestamp text turned into ids by
    ``tokenize`` (e.g. ``lambda s: tok(s, add_special_tokens=False)["input_ids"]``).
    Under ``"transformers5"`` each timestamp follows a special token, so tokenizing it
    alone equals tokenizing the expanded prompt. Under ``"transformers4"`` the first one
    follows the prompt text before the video; it equals the processor's tokenization when
    that text ends at a pre-tokenizer boundary (a newline or a special token, as in the
    chat template).

    Returns:
        ``(input_ids, labels)`` int64 (``labels`` None if not given; ``ignore_index`` on
        every token the expansion wrote).

    Raises:
        GridMismatchError: pads and grids (or timestamps) disagree, or under
            ``"transformers4"`` a pad not between ``<|vision_start|>`` and
            ``<|vision_end|>``.
        DynresError: bad arguments, timestamps without ``tokenize``, an expansion past
            :data:`MAX_BATCH_LENGTH` tokens.
    """
    ids = as_int64_array("input_ids", input_ids, ndim=1)
    grids = as_int64_array("video_grid_thw", video_grid_thw, ndim=2)
    if grids.shape[1:] != (3,) and grids.size:
        raise DynresError(f"video_grid_thw must be (n, 3) rows of (t, h, w), got {grids.shape}")
    grids = grids.reshape(-1, 3)
    merge = as_int("merge_size", merge_size)
    layout = as_choice("layout", layout, LAYOUTS)
    pad = as_int("video_token_id", video_token_id, minimum=-(2**63))
    start = as_int("vision_start_token_id", vision_start_token_id, minimum=-(2**63))
    end = as_int("vision_end_token_id", vision_end_token_id, minimum=-(2**63))
    where = np.flatnonzero(ids == pad)
    if where.size != len(grids):
        raise GridMismatchError(
            f"input_ids hold {where.size} video tokens ({pad}) but there are {len(grids)} "
            "videos; give one unexpanded video token per video, in video order"
        )
    if grids.size and grids.min() < 0:
        raise DynresError(f"video_grid_thw values must be >= 0, got {grids.min()}")
    # Exact Python ints: t·h·w of a hostile grid overflows int64.
    pads = sum(int(t) * int(h) * int(w) // merge**2 for t, h, w in grids.tolist())
    if ids.size + pads > MAX_BATCH_LENGTH:
        raise DynresError(
            f"video_grid_thw expands input_ids to more than {MAX_BATCH_LENGTH} tokens "
            f"(MAX_BATCH_LENGTH): {pads} video pads"
        )
    blocks = _blocks(grids, grid_timestamps, merge, tokenize, (pad, start, end))
    outer = layout == "transformers4" and grid_timestamps is not None
    lab = None
    if labels is not None:
        lab = as_int64_array("labels", labels, ndim=1)
        if lab.size != ids.size:
            raise DynresError(f"labels have {lab.size} tokens but input_ids have {ids.size}")
    fill = as_int("ignore_index", ignore_index, minimum=-(2**63))
    out_ids, out_lab, at = [], [], 0
    for i, (w, block) in enumerate(zip(where, blocks)):
        lo, hi = int(w), int(w) + 1
        if outer:
            if lo == 0 or hi == ids.size or ids[lo - 1] != start or ids[hi] != end:
                raise GridMismatchError(
                    f"video {i}: layout 'transformers4' replaces <|vision_start|><|video_pad|>"
                    f"<|vision_end|>, but the pad at position {lo} is not between them"
                )
            lo, hi = lo - 1, hi + 1
        out_ids += [ids[at:lo], block]
        if lab is not None:
            out_lab += [lab[at:lo], np.full(block.size, fill, np.int64)]
        at = hi
    out_ids.append(ids[at:])
    if lab is not None:
        out_lab.append(lab[at:])
    return (
        np.concatenate(out_ids).astype(np.int64),
        None if lab is None else np.concatenate(out_lab).astype(np.int64),
    )
