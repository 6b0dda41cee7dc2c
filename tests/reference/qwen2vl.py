"""Readable statements of the Qwen2-VL planning rules (spec: qwen2vl.md §1, §3).

Plain Python floats are IEEE doubles and ``round`` is half-to-even, as in the references.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np


def smart_resize(h, w, factor=28, min_pixels=3136, max_pixels=1003520, rule="transformers"):
    if rule == "qwen_vl_utils" and min_pixels > max_pixels:
        raise ValueError("qwen-vl-utils asserts max_pixels >= min_pixels")
    if max(h, w) / min(h, w) > 200:
        raise ValueError("aspect")
    hb, wb = round(h / factor) * factor, round(w / factor) * factor
    if rule == "qwen_vl_utils":
        hb, wb = max(factor, hb), max(factor, wb)
    if hb * wb > max_pixels:
        beta = math.sqrt((h * w) / max_pixels)
        hb = math.floor(h / beta / factor) * factor
        wb = math.floor(w / beta / factor) * factor
        if rule == "transformers":
            hb, wb = max(factor, hb), max(factor, wb)
    elif hb * wb < min_pixels:
        beta = math.sqrt(min_pixels / (h * w))
        hb = math.ceil(h * beta / factor) * factor
        wb = math.ceil(w * beta / factor) * factor
    return hb, wb


def smart_nframes(total, video_fps, fps=2.0, min_frames=4, max_frames=None, nframes=None):
    if nframes is not None:
        n = round(nframes / 2) * 2
    else:
        minf = math.ceil(min_frames / 2) * 2
        maxf = math.floor((min(768, total) if max_frames is None else max_frames) / 2) * 2
        n = total / video_fps * fps
        n = min(min(max(n, minf), maxf), total)
        n = math.floor(n / 2) * 2
    if not 2 <= n <= total:
        raise ValueError(f"nframes should in interval [2, {total}], but got {n}.")
    return int(n)


def fma_f32(a, b, c):
    """``a * b + c`` rounded once to float32 (what a fused multiply-add instruction gives)."""
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    near = np.float32(float(exact))
    # float(exact) rounds to float64 first; pick the float32 neighbour truly nearest.
    cands = [np.nextafter(near, np.float32(-np.inf)), near, np.nextafter(near, np.float32(np.inf))]
    return min(cands, key=lambda v: (abs(Fraction(float(v)) - exact), int(v.view(np.int32)) & 1))


def linspace_f32(start, end, n):
    """torch.linspace in float32 as its AVX2 CPU kernel computes it: the first half
    ``start + step * i``, the second ``end - step * (n - 1 - i)``, each a fused multiply-add."""
    s, e = np.float32(start), np.float32(end)
    step = (e - s) / np.float32(n - 1) if n > 1 else np.float32(0)
    vals = [fma_f32(step, i, s) if i < n // 2 else fma_f32(-step, n - 1 - i, e) for i in range(n)]
    return np.round(np.array(vals, dtype=np.float32)).astype(np.int64)


def sample_frames(total, video_fps, **kw):
    return linspace_f32(0, total - 1, smart_nframes(total, video_fps, **kw))


def video_budget(
    num_frames,
    h,
    w,
    image_patch_size=14,
    min_pixels=None,
    max_pixels=None,
    total_pixels=None,
    model_seq_len=128000,
):
    f = image_patch_size * 2
    min_pixels = 128 * f * f if min_pixels is None else min_pixels
    total_pixels = model_seq_len * f * f * 0.9 if total_pixels is None else total_pixels
    cap = max(min(768 * f * f, total_pixels / num_frames * 2), int(min_pixels * 1.05))
    cap = cap if max_pixels is None else min(max_pixels, cap)
    return smart_resize(h, w, f, min_pixels, cap, rule="qwen_vl_utils")
