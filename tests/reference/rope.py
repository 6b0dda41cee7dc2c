"""Readable statement of Qwen2-VL M-RoPE position ids and the vision-tower ids.

Written from the spec (``spec/qwen2vl.md`` sections 4 and 5), one token at a time, with
no attempt at speed. The tests compare ``dynres_fast.rope`` with these functions.

Conventions (``convention=``):

* ``"transformers4"``: transformers 4.57.6 ``get_rope_index``. Text after a vision block
  resumes at the block's largest position (over all three axes) + 1. A video's temporal
  id is ``k * int(s) * tps``. Padding positions are 1; deltas use the padded length.
* ``"qwen"``: as transformers4, but the temporal id is ``int(f32(f32(k * s) * tps))``.
* ``"transformers5"``: transformers 5.x. Text resumes at block start + max(h, w) / merge;
  the temporal id is ``int(f32(k * f32(tps * s)))`` for videos and ``k`` for images;
  padding positions are 0; deltas use the unpadded length.

Validation is strict: every run of image (video) pad tokens is one block, must follow a
vision-start token (except for transformers5, which groups runs by token type only) and
must hold exactly ``t * h * w / merge**2`` tokens; every grid row must be used.
"""

from __future__ import annotations

import numpy as np

IMAGE, VIDEO, VISION_START = 151655, 151656, 151652


class RefMismatch(ValueError):
    """Grids and vision tokens disagree (the reference's only error)."""


def _temporal(k, is_video, s, tps, convention):
    if tps is None:
        return k
    f32 = np.float32
    if convention == "transformers5":
        return int(f32(k) * f32(tps * f32(s))) if is_video else k
    if not is_video:
        return 0
    if convention == "transformers4":
        return k * int(f32(s)) * tps
    return int(f32(f32(k) * f32(s)) * f32(tps))


def mrope_position_ids(
    input_ids,
    image_grid_thw=None,
    video_grid_thw=None,
    attention_mask=None,
    *,
    spatial_merge_size=2,
    image_token_id=IMAGE,
    video_token_id=VIDEO,
    vision_start_token_id=VISION_START,
    second_per_grid_ts=None,
    tokens_per_second=None,
    convention="qwen",
):
    ids = np.asarray(input_ids, dtype=np.int64)
    batch, length = ids.shape
    mask = np.ones_like(ids) if attention_mask is None else np.asarray(attention_mask)
    t5 = convention == "transformers5"
    m = spatial_merge_size

    if image_grid_thw is None and video_grid_thw is None:
        # No vision: positions count the unmasked tokens.
        if np.isin(ids[mask == 1], (image_token_id, video_token_id)).any():
            raise RefMismatch("vision tokens but no grids")
        pos = np.cumsum(mask, axis=1) - 1
        pos[mask == 0] = 0 if t5 else 1
        if t5:
            delta = np.zeros((batch, 1), np.int64)
        elif attention_mask is None:
            delta = np.zeros((batch, 1), np.int64)
        else:
            delta = pos.max(axis=1, keepdims=True, initial=-1) + 1 - length
        return np.broadcast_to(pos, (3, batch, length)).astype(np.int64), delta.astype(np.int64)

    def rows(grid):
        return [tuple(int(v) for v in g) for g in (grid if grid is not None else [])]

    grids = {image_token_id: rows(image_grid_thw), video_token_id: rows(video_grid_thw)}
    used = {image_token_id: 0, video_token_id: 0}
    n_videos = len(grids[video_token_id])
    seconds = [1.0] * n_videos if second_per_grid_ts is None else list(second_per_grid_ts)

    pos = np.full((3, batch, length), 0 if t5 else 1, dtype=np.int64)
    deltas = np.zeros((batch, 1), dtype=np.int64)
    for b in range(batch):
        slots = np.flatnonzero(mask[b] == 1)
        toks = ids[b, slots].tolist()
        out = []  # (t, h, w) per unmasked token
        nxt = 0
        i = 0
        while i < len(toks):
            tok = toks[i]
            if tok not in (image_token_id, video_token_id):
                out.append((nxt, nxt, nxt))
                nxt += 1
                i += 1
                continue
            j = i
            while j < len(toks) and toks[j] == tok:
                j += 1
            if not t5 and (i == 0 or toks[i - 1] != vision_start_token_id):
                raise RefMismatch(f"row {b}: pad run at {i} has no vision start before it")
            if used[tok] >= len(grids[tok]):
                raise RefMismatch(f"row {b}: more blocks than grid rows")
            index = used[tok]
            t, h, w = grids[tok][index]
            used[tok] += 1
            if h % m or w % m:
                raise RefMismatch("grid side not divisible by merge size")
            lh, lw = h // m, w // m
            if j - i != t * lh * lw:
                raise RefMismatch(f"row {b}: run of {j - i} tokens, grid wants {t * lh * lw}")
            is_video = tok == video_token_id
            s = seconds[index] if is_video else 0.0
            block = []
            for k in range(t):
                tk = _temporal(k, is_video, s, tokens_per_second, convention)
                for y in range(lh):
                    for x in range(lw):
                        block.append((nxt + tk, nxt + y, nxt + x))
            out.extend(block)
            nxt = nxt + max(h, w) // m if t5 else max(max(p) for p in block) + 1
            i = j
        for n, slot in enumerate(slots):
            pos[:, b, slot] = out[n]
        top = max((max(p) for p in out), default=-1)
        deltas[b, 0] = top + 1 - (len(toks) if t5 else length)
    for tok, name in ((image_token_id, "image"), (video_token_id, "video")):
        if used[tok] != len(grids[tok]):
            raise RefMismatch(f"{name} grid rows left unused")
    return pos, deltas


def vision_position_ids(grid_thw, spatial_merge_size=2):
    """(row, col) of every patch in the merge-window order, frames repeated."""
    m = spatial_merge_size
    rows = []
    for t, h, w in np.asarray(grid_thw).tolist():
        one = [
            (by * m + dy, bx * m + dx)
            for by in range(h // m)
            for bx in range(w // m)
            for dy in range(m)
            for dx in range(m)
        ]
        rows.extend(one * t)
    return np.asarray(rows, dtype=np.int64).reshape(-1, 2)


def cu_seqlens(grid_thw):
    """[0, then the cumulative patch count after every frame of every grid]."""
    out = [0]
    for t, h, w in np.asarray(grid_thw).tolist():
        for _ in range(t):
            out.append(out[-1] + h * w)
    return np.asarray(out, dtype=np.int64)


def window_index(grid_thw, window_size=112, patch_size=14, spatial_merge_size=2):
    """Qwen2.5-VL window order of merged tokens and raw window boundaries (in patches)."""
    m = spatial_merge_size
    ws = window_size // m // patch_size
    index, cu = [], [0]
    offset = 0
    for t, h, w in np.asarray(grid_thw).tolist():
        lh, lw = h // m, w // m
        # Padding adds ws - (n % ws) empty cells, a whole empty window when n % ws == 0.
        nwh, nww = (lh + ws - lh % ws) // ws, (lw + ws - lw % ws) // ws
        for f in range(t):
            for wy in range(nwh):
                for wx in range(nww):
                    cells = [
                        offset + f * lh * lw + y * lw + x
                        for y in range(wy * ws, wy * ws + ws)
                        for x in range(wx * ws, wx * ws + ws)
                        if y < lh and x < lw
                    ]
                    index.extend(cells)
                    cu.append(cu[-1] + len(cells) * m * m)
        offset += t * lh * lw
    return np.asarray(index, dtype=np.int64), np.asarray(cu, dtype=np.int64)
