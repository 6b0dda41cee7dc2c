"""Readable statement of transformers 4.57.6's *fast* (torchvision) InternVL and
LLaVA-OneVision processors, written from their source, with the resize left to the caller.

``resize(image_hwc_u8, height, width) -> uint8`` must be torchvision's uint8 antialiased
resize (pillow-simd in scripts/gen_family_fast_golden.py, ``ops.resize(...,
compat="torchvision")`` in the tests). Every step below that is not a resize is spelled out
in NumPy:

- GotOcr2ImageProcessorFast(crop_to_patches=True): grid from get_optimal_tiled_canvas, one
  resize of the original to the canvas, row-major crops, a thumbnail resized from the
  original (only when there is more than one tile), then every crop resized to the tile
  size again (the identity), then the fused normalisation.
- LlavaOnevisionImageProcessorFast: base = the original resized to 384²; canvas = the
  aspect-preserving resize padded with 0 (F.pad's default fill), centred with divmod;
  384² crops row-major; every crop resized to 384² again (the identity); fused
  normalisation; crop lists padded with 0.0 to the batch's largest count. Several images in
  one prompt: pad to a square with int(255·mean) centred with (max - side) // 2, resize.
- LlavaOnevisionVideoProcessor / InternVLVideoProcessor: every frame resized to (S, S).
- Fused normalisation (BaseImageProcessorFast.rescale_and_normalize): mean and std become
  float32 tensors times 1/rescale_factor (a float32 255), then (float32(v) - mean) / std.
"""

from __future__ import annotations

import math

import numpy as np

from reference.internvl import candidates, closest_grid
from reference.llava_onevision import PINPOINTS, select_best_resolution
from reference.seeded import noise_image

CROP = 384


def seeded_image(h, w, seed, block=1):
    """RGB hash noise (reference/seeded.py) in ``block × block`` squares (hard edges)."""
    small = noise_image(-(-h // block), -(-w // block), 3, seed)
    return np.ascontiguousarray(np.repeat(np.repeat(small, block, 0), block, 1)[:h, :w])


def fused_normalise(tiles_hwc, mean, std):
    """uint8 (..., H, W, 3) -> float32 (..., 3, H, W): (f32(v) - f32(mean)·255) / (f32(std)·255)."""
    m = np.asarray(mean, np.float32) * np.float32(255)
    s = np.asarray(std, np.float32) * np.float32(255)
    x = (tiles_hwc.astype(np.float32) - m) / s
    return np.moveaxis(x, -1, -3)


def internvl_raw(image, resize, min_num=1, max_num=12, size=448, use_thumbnail=True):
    """GotOcr2ImageProcessorFast(crop_to_patches=True): the uint8 tiles before normalising."""
    h, w = image.shape[:2]
    grids = candidates(min_num, max_num, order="transformers")
    cols, rows = closest_grid(w, h, grids, size)
    canvas = resize(image, rows * size, cols * size)
    tiles = [
        canvas[r * size : (r + 1) * size, c * size : (c + 1) * size]
        for r in range(rows)
        for c in range(cols)
    ]
    if use_thumbnail and len(tiles) != 1:
        tiles.append(resize(image, size, size))
    tiles = [resize(t, size, size) for t in tiles]  # do_resize on the crops: same size
    return np.stack(tiles)


def internvl(image, resize, mean, std, **params):
    """``(pixel_values (n, 3, S, S) float32, n)`` for one image."""
    raw = internvl_raw(image, resize, **params)
    return fused_normalise(raw, mean, std), len(raw)


def llava_ov_raw(image, resize, pinpoints=PINPOINTS):
    """LlavaOnevisionImageProcessorFast, single-image prompt: the uint8 crops (base first)."""
    h, w = image.shape[:2]
    hc, wc = select_best_resolution(h, w, pinpoints, "transformers")
    scale_w, scale_h = wc / w, hc / h
    if scale_w < scale_h:
        nh, nw = min(math.ceil(h * scale_w), hc), wc
    else:
        nh, nw = hc, min(math.ceil(w * scale_h), wc)
    fitted = resize(image, nh, nw)
    left, top = (wc - nw) // 2, (hc - nh) // 2
    canvas = np.zeros((hc, wc, 3), np.uint8)
    canvas[top : top + nh, left : left + nw] = fitted
    crops = [
        canvas[y : y + CROP, x : x + CROP] for y in range(0, hc, CROP) for x in range(0, wc, CROP)
    ]
    crops = [resize(image, CROP, CROP)] + crops
    return np.stack([resize(c, CROP, CROP) for c in crops])


def llava_ov(images, resize, mean, std, pinpoints=PINPOINTS):
    """``pixel_values (n, max_crops, 3, 384, 384)`` float32, zero-padded crop lists."""
    per_image = [fused_normalise(llava_ov_raw(im, resize, pinpoints), mean, std) for im in images]
    most = max(len(p) for p in per_image)
    out = np.zeros((len(images), most, 3, CROP, CROP), np.float32)
    for i, p in enumerate(per_image):
        out[i, : len(p)] = p
    return out


def pad_to_square(image, colour):
    h, w = image.shape[:2]
    if h == w:
        return image
    n = max(h, w)
    square = np.empty((n, n, 3), np.uint8)
    square[:] = colour
    top, left = (n - h) // 2, (n - w) // 2
    square[top : top + h, left : left + w] = image
    return square


def llava_ov_multi_raw(images, resize, mean):
    """Several images in one prompt: padded to squares, resized to 384² (``(n, 1, H, W, 3)``)."""
    colour = [int(m * 255) for m in mean]
    return np.stack([resize(pad_to_square(im, colour), CROP, CROP)[None] for im in images])


def llava_ov_multi(images, resize, mean, std):
    return fused_normalise(llava_ov_multi_raw(images, resize, mean), mean, std)


def video_raw(frames, resize, size):
    """The video processors: every frame resized to ``size`` (height, width)."""
    return np.stack([resize(f, *size) for f in frames])


def video(frames, resize, size, mean, std):
    return fused_normalise(video_raw(frames, resize, size), mean, std)
