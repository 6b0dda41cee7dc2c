"""Readable Oryx reference written from spec/internvl_llava_oryx.md §3 (official env)."""

from __future__ import annotations

import math


def _budget_scale(w, h, max_res, min_res):
    """The factor that brings ``w × h`` inside ``[min_res², max_res²]``; None if inside."""
    if w * h > max_res * max_res:
        return math.sqrt(max_res * max_res / (w * h))
    if w * h < min_res * min_res:
        return math.sqrt(min_res * min_res / (w * h))
    return None


def _resize(w, h, patch, scale):
    """resize_images: int(side·scale / patch)·patch for (width, height); None if a side is 0."""
    s = 1.0 if scale is None else scale
    nw, nh = int(w * s / patch) * patch, int(h * s / patch) * patch
    return None if nw == 0 or nh == 0 else (nw, nh)


def plan(height, width, max_res=1536, min_res=0, base=384, low_patch=32, high_patch=32):
    """Returns (highres (h, w), lowres (h, w), tokens) or None where the reference raises."""
    w, h = width, height
    if w < 32 and h < 32:
        r = 64 / min(w, h)
        w, h = int(w * r), int(h * r)
    elif w < 32:
        r = 64 / w
        w, h = int(w * r), int(h * r)
    elif h < 32:
        r = 64 / h
        w, h = int(w * r), int(h * r)
    high = _resize(w, h, high_patch, _budget_scale(w, h, max_res, min_res))
    if high is None:
        return None
    low = _resize(*high, low_patch, math.sqrt(base * base / (high[0] * high[1])))
    if low is None:
        return None
    (hw, hh), (lw, lh) = high, low
    tokens = (lh // 16) * (lw // 16 + 1) + (hh // 16) * (hw // 16 + 1) + 3
    return (hh, hw), (lh, lw), tokens


def video_frame(height, width, long=False, max_res=480, min_res=288, patch=64):
    """Returns ((h, w), tokens per frame) or None where the reference raises."""
    patch = patch * 2 if long else patch
    size = _resize(width, height, patch, _budget_scale(width, height, max_res, min_res))
    if size is None:
        return None
    fw, fh = size
    cell = 16 * (4 if long else 2)
    return (fh, fw), (fh // cell) * (fw // cell + 1) + 1


def fps_indices(total, avg_fps, fps=1.0, max_frames=64, force_sample=False):
    import numpy as np

    idx = list(range(0, total, round(avg_fps / fps)))
    if len(idx) > max_frames or force_sample:
        idx = np.linspace(0, total - 1, max_frames, dtype=int).tolist()
    return idx


def resized_images(image):
    """process_anyres_highres_image_genli's two PIL images (high-res, low-res) for a PIL
    RGB image: tiny-side up-scale, squash to the high-res size, low-res from the high-res."""
    from PIL import Image

    w, h = image.size
    if w < 32 or h < 32:
        r = 64 / min(w, h) if (w < 32 and h < 32) else (64 / w if w < 32 else 64 / h)
        image = image.resize((int(w * r), int(h * r)), Image.BICUBIC)
    (hh, hw), (lh, lw), _ = plan(h, w)
    high = image.resize((hw, hh), Image.BICUBIC)
    return high, high.resize((lw, lh), Image.BICUBIC)


def normalise(image, mean, std):
    """CLIP processor without resize/crop: float32 ``(x/255 - mean) / std``, planar (3, h, w)."""
    import numpy as np

    x = (np.asarray(image).astype(np.float64) * (1 / 255)).astype(np.float32)
    m, s = np.asarray(mean, np.float32), np.asarray(std, np.float32)
    return ((x - m) / s).transpose(2, 0, 1)


def pixels(image, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)):
    """(high-res, low-res) normalised float32 arrays for a PIL image."""
    high, low = resized_images(image.convert("RGB"))
    return normalise(high, mean, std), normalise(low, mean, std)


def video_pixels(frames, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), **kw):
    """``process_anyres_video_genli`` + CLIP normalisation: every frame (a uint8 HWC array)
    squashed to the first frame's ``video_frame`` size; returns (T, 3, h, w) float32."""
    import numpy as np
    from PIL import Image

    h, w = frames[0].shape[:2]
    (fh, fw), _ = video_frame(h, w, **kw)
    out = [
        normalise(Image.fromarray(f).convert("RGB").resize((fw, fh), Image.BICUBIC), mean, std)
        for f in frames
    ]
    return np.stack(out)
