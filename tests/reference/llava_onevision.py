"""Readable LLaVA-OneVision reference written from spec/internvl_llava_oryx.md §2."""

from __future__ import annotations

import math

import numpy as np

PINPOINTS = [[384 * i, 384 * j] for i in range(1, 7) for j in range(1, 7)]


def select_best_resolution(height, width, pinpoints=PINPOINTS, convention="transformers"):
    best, max_eff, min_waste = None, 0, float("inf")
    for a, b in pinpoints:
        ch, cw = (a, b) if convention == "transformers" else (b, a)
        scale = min(cw / width, ch / height)
        eff = min(int(width * scale) * int(height * scale), width * height)
        waste = cw * ch - eff
        if eff > max_eff or (eff == max_eff and waste < min_waste):
            best, max_eff, min_waste = (ch, cw), eff, waste
    return best


def plan(height, width, convention="transformers", pinpoints=PINPOINTS):
    hc, wc = select_best_resolution(height, width, pinpoints, convention)
    sw, sh = wc / width, hc / height
    if sw < sh:
        nw, nh = wc, min(math.ceil(height * sw), hc)
    else:
        nh, nw = hc, min(math.ceil(width * sh), wc)
    rows, cols = hc // 384, wc // 384
    ch, cw = 27 * rows, 27 * cols

    def trunc(x):
        return int(x) if convention == "original" else int(round(x, 7))

    if width / height > cw / ch:
        new_h = trunc(height * (cw / width))
        ch -= 2 * ((ch - new_h) // 2)
    else:
        new_w = trunc(width * (ch / height))
        cw -= 2 * ((cw - new_w) // 2)
    times = math.sqrt(ch * cw / (9 * 27**2))
    fh, fw = (int(ch // times), int(cw // times)) if times > 1.1 else (ch, cw)
    return {
        "canvas": (hc, wc),
        "resized": (nh, nw),
        "paste": ((hc - nh) // 2, (wc - nw) // 2),
        "grid": (cols, rows),
        "unpadded": (ch, cw),
        "times": times,
        "final": (fh, fw),
        "num_tokens": 729 + fh * (fw + 1),
    }


def bilinear_weights(in_size, out_size, dtype=np.float32):
    """F.interpolate(bilinear, align_corners=False) 1-D taps computed in ``dtype``."""
    one, zero = dtype(1), dtype(0)
    if in_size == out_size:
        return [(o, o, one, zero) for o in range(out_size)]
    scale = dtype(in_size) / dtype(out_size)
    taps = []
    for o in range(out_size):
        # one rounding of scale·(o + 0.5) - 0.5 (torch's float kernel fuses it)
        src = max(dtype(np.float64(scale) * (o + 0.5) - 0.5), zero)
        i0 = min(int(np.floor(src)), in_size - 1)
        w1 = min(max(src - dtype(i0), zero), one)
        taps.append((i0, min(i0 + 1, in_size - 1), one - w1, w1))
    return taps


def pool(features, out_hw):
    """(..., H, W, C) bilinear resize: h0·(w0·x00 + w1·x01) + h1·(w0·x10 + w1·x11)."""
    dtype = features.dtype.type
    h, w = features.shape[-3], features.shape[-2]
    ty, tx = bilinear_weights(h, out_hw[0], dtype), bilinear_weights(w, out_hw[1], dtype)
    out = np.empty(features.shape[:-3] + (out_hw[0], out_hw[1], features.shape[-1]), dtype)
    for oy, (y0, y1, h0, h1) in enumerate(ty):
        for ox, (x0, x1, w0, w1) in enumerate(tx):
            top = w0 * features[..., y0, x0, :] + w1 * features[..., y0, x1, :]
            bottom = w0 * features[..., y1, x0, :] + w1 * features[..., y1, x1, :]
            out[..., oy, ox, :] = h0 * top + h1 * bottom
    return out
