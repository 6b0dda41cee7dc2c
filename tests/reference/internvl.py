"""Readable InternVL reference written from spec/internvl_llava_oryx.md §1 (plain Python)."""

from __future__ import annotations

import numpy as np


def candidates(min_num, max_num, order="original"):
    """Grids (cols, rows) sorted by tile count; ties keep set order or width-major order."""
    if order == "original":
        grids = set(
            (i, j)
            for n in range(min_num, max_num + 1)
            for i in range(1, n + 1)
            for j in range(1, n + 1)
            if min_num <= i * j <= max_num
        )
    else:
        grids = [
            (i, j)
            for i in range(1, max_num + 1)
            for j in range(1, max_num + 1)
            if min_num <= i * j <= max_num
        ]
    return sorted(grids, key=lambda g: g[0] * g[1])


def closest_grid(width, height, grids, image_size=448):
    aspect = width / height
    best_diff, best = float("inf"), (1, 1)
    for i, j in grids:
        diff = abs(aspect - i / j)
        if diff < best_diff:
            best_diff, best = diff, (i, j)
        elif diff == best_diff and width * height > 0.5 * image_size * image_size * i * j:
            best = (i, j)
    return best


def plan(
    height, width, min_num=1, max_num=12, image_size=448, use_thumbnail=True, order="original"
):
    cols, rows = closest_grid(width, height, candidates(min_num, max_num, order), image_size)
    thumb = use_thumbnail and cols * rows != 1
    tiles = cols * rows + int(thumb)
    per_tile = int((image_size // 14) ** 2 * 0.25)
    boxes = [
        (r * image_size, c * image_size, image_size, image_size)
        for r in range(rows)
        for c in range(cols)
    ]
    return {
        "grid": (cols, rows),
        "resized": (rows * image_size, cols * image_size),
        "boxes": boxes,
        "num_tiles": tiles,
        "num_tokens": per_tile * tiles + 2,
    }


def get_index(num_frames, num_segments, fps=None, bound=None, first_idx=0):
    """OpenGVLab's get_index with max_frame = num_frames - 1."""
    max_frame = num_frames - 1
    if fps is None:
        start_idx, end_idx = first_idx, max_frame
    else:
        start, end = bound if bound else (-100000, 100000)
        start_idx = max(first_idx, round(start * fps))
        end_idx = min(round(end * fps), max_frame)
    seg = float(end_idx - start_idx) / num_segments
    return [int(start_idx + seg / 2 + np.round(seg * k)) for k in range(num_segments)]


def hf_sample_frames(num_frames, num_segments):
    """transformers InternVLVideoProcessor.sample_frames(initial_shift=True): float32 arange."""
    step = num_frames / num_segments
    start = step / 2
    count = int(np.ceil((num_frames - start) / step))
    return [int(np.float32(start + step * i)) for i in range(count)]
