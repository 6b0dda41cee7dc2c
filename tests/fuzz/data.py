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


def video_file(seed: int) -> bytes:
    """A short MPEG-4 clip written by PyAV; size, length and codec vary with ``seed``."""
    import av

    r = random.Random(seed)
    h, w = 2 * r.randint(4, 24), 2 * r.randint(4, 24)
    buf = _io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream(r.choice(["mpeg4", "libx264"]), rate=r.choice([10, 24, 30]))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for i in range(r.randint(1, 12)):
            frame = av.VideoFrame.from_ndarray(image(seed + i, h, w), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def audio_file() -> bytes:
    """A tenth of a second of silence in an MP4 with one AAC stream and no video."""
    import av

    buf = _io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 800), np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def video_with_size(data: bytes, height: int, width: int) -> bytes:
    """``data`` with the sizes in its MP4 track header (``tkhd``) and sample entry replaced
    (a file that declares a huge frame)."""
    b = bytearray(data)
    i = b.find(b"tkhd")
    if i > 0:
        # Version 0 tkhd: the 16.16 fixed-point width and height close the box.
        end = i - 4 + int.from_bytes(b[i - 4 : i], "big")
        b[end - 8 : end - 4] = (width << 16 & 0xFFFFFFFF).to_bytes(4, "big")
        b[end - 4 : end] = (height << 16 & 0xFFFFFFFF).to_bytes(4, "big")
    for tag in (b"mp4v", b"avc1"):
        j = b.find(tag)
        if j > 0:
            # Visual sample entry: width and height (16 bits each) 24 bytes after the tag.
            b[j + 28 : j + 30] = (width & 0xFFFF).to_bytes(2, "big")
            b[j + 30 : j + 32] = (height & 0xFFFF).to_bytes(2, "big")
    return bytes(b)


def files_dir() -> str:
    """A fresh temporary directory for a probe's files."""
    import tempfile

    return tempfile.mkdtemp(prefix="dynres-fuzz-")


def put(d: str, name: str, content: Any) -> str:
    """Writes ``content`` (bytes or text) to ``d/name``; returns the path."""
    import os

    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(content if isinstance(content, bytes) else content.encode())
    return path


def config_dir(d: str, text: Any, name: str = "preprocessor_config.json") -> str:
    """A model directory under ``d`` holding one config file with ``text``."""
    import tempfile

    sub = tempfile.mkdtemp(dir=d)
    put(sub, name, text)
    return sub


def odd_config_dir(d: str, kind: str) -> str:
    """A model directory whose ``preprocessor_config.json`` is a directory or a FIFO."""
    import os
    import tempfile

    sub = tempfile.mkdtemp(dir=d)
    path = os.path.join(sub, "preprocessor_config.json")
    os.mkdir(path) if kind == "dir" else os.mkfifo(path)
    return sub


UPSTREAM_RAISED = object()


def same_as_upstream(ours: Any, upstream: Any) -> Any:
    """``ours()``; an error that is not a ``DynresError`` / ``MemoryError`` is accepted only
    when ``upstream()`` raises the same type (a drop-in behaves as upstream: its foreign
    errors are upstream's), and then :data:`UPSTREAM_RAISED` is returned."""
    from dynres_fast import DynresError

    try:
        return ours()
    except (DynresError, MemoryError):
        raise
    except Exception as e:  # noqa: BLE001 - compared with upstream's
        try:
            upstream()
        except type(e):
            return UPSTREAM_RAISED
        except Exception:  # noqa: BLE001
            pass
        raise
