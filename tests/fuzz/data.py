"""Encoded test files for the decoder probes, and the Pillow oracle they are judged by."""

from __future__ import annotations

import io as _io
import random
from typing import Any, Optional

import numpy as np


def image(seed: int, h: int, w: int, channels: int = 3) -> np.ndarray:
    """A smooth random image (compresses like a photograph, not like noise)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(1, h // 8), max(1, w // 8), channels), dtype=np.uint8)
    big = np.repeat(np.repeat(small, 8, axis=0), 8, axis=1)[:h, :w]
    pad = ((0, h - big.shape[0]), (0, w - big.shape[1]), (0, 0))
    return np.ascontiguousarray(np.pad(big, pad, mode="edge"))


def encoded(seed: int) -> bytes:
    """A JPEG or PNG written by Pillow; format, size and options vary with ``seed``."""
    from PIL import Image

    r = random.Random(seed)
    h, w = r.randint(1, 96), r.randint(1, 96)
    fmt = r.choice(["JPEG", "JPEG", "PNG"])
    mode = r.choice(["RGB", "L", "RGBA", "P"] if fmt == "PNG" else ["RGB", "L"])
    arr = image(seed, h, w, {"L": 1, "RGBA": 4}.get(mode, 3))
    im = Image.fromarray(arr[:, :, 0] if mode == "L" else arr)
    if mode == "P":
        im = im.convert("P")
    buf = _io.BytesIO()
    if fmt == "JPEG":
        im.save(
            buf,
            "JPEG",
            quality=r.choice([50, 75, 95]),
            subsampling=r.choice([0, 1, 2]),
            progressive=r.random() < 0.3,
        )
    else:
        im.save(buf, "PNG", compress_level=r.choice([0, 1, 6, 9]))
    return buf.getvalue()


def mutate(data: bytes, seed: int) -> bytes:
    """Truncates, flips bits, duplicates a span or rewrites the frame size of ``data``."""
    r = random.Random(seed)
    b = bytearray(data)
    how = r.choice(["cut", "cut", "flip", "flip", "span", "size"])
    if how == "cut":
        return bytes(b[: r.randint(0, len(b) - 1)])
    if how == "flip":
        for _ in range(r.randint(1, 4)):
            i = r.randrange(len(b))
            b[i] ^= 1 << r.randrange(8)
        return bytes(b)
    if how == "span":
        i = r.randrange(len(b))
        j = min(len(b), i + r.randint(1, 64))
        return bytes(b[:j] + b[i:j] * r.randint(1, 50) + b[j:])
    return with_size(bytes(b), r.choice([65535, 65500, 30000, 8192]), r.choice([1, 2730, 65535]))


def with_size(data: bytes, height: int, width: int) -> bytes:
    """``data`` with the size in its JPEG frame header or PNG IHDR replaced."""
    b = bytearray(data)
    if b[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(b):
            if b[i] != 0xFF:
                i += 1
                continue
            m = b[i + 1]
            if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):
                b[i + 5 : i + 7] = height.to_bytes(2, "big")
                b[i + 7 : i + 9] = width.to_bytes(2, "big")
                break
            i += 2 + int.from_bytes(b[i + 2 : i + 4], "big")
    elif b[:8] == b"\x89PNG\r\n\x1a\n" and len(b) > 24:
        b[16:20] = width.to_bytes(4, "big")
        b[20:24] = height.to_bytes(4, "big")
    return bytes(b)


def pillow(data: bytes) -> Optional[np.ndarray]:
    """Pillow's ``convert("RGB")`` of ``data``, or ``None`` when Pillow refuses it."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(_io.BytesIO(data)) as im:
                return np.asarray(im.convert("RGB"))
    except Exception:  # noqa: BLE001 - any refusal counts
        return None


def check_decoded(data: bytes, result: Any) -> None:
    """What ``io.decode`` returned must be something Pillow also decodes, of the same
    size, and (PNG) the same pixels."""
    want = pillow(data)
    assert want is not None, "decoded data that Pillow refuses"
    assert result.shape == want.shape, f"shape {result.shape}, Pillow {want.shape}"
    if data[:4] == b"\x89PNG":
        assert np.array_equal(result, want), "PNG pixels differ from Pillow"
