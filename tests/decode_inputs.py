"""Encoded test images for the decoder: JPEGs and PNGs written by Pillow or by hand."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Dict, List, Optional

import numpy as np
from PIL import Image

from dynres_fast.cli import sample_images

SUBSAMPLING = {"444": 0, "422": 1, "420": 2}


def _sources() -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    photo = np.asarray(Image.open(sample_images()[1]).convert("RGB"))
    yy, xx = np.mgrid[0:237, 0:311]
    ramp = np.stack([(xx * 0.8) % 256, (yy * 1.1) % 256, ((xx + yy) * 0.5) % 256], -1)
    return {
        "photo": photo,
        "ramp": ramp.astype(np.uint8),
        "noise": rng.integers(0, 256, (97, 131, 3), dtype=np.uint8),
    }


def jpegs() -> Dict[str, bytes]:
    """The bundled samples plus Pillow-encoded JPEGs, by name (``<src>_q<Q>_<sub>``, ...)."""
    out = {p.name: p.read_bytes() for p in sample_images()}
    for name, arr in _sources().items():
        im = Image.fromarray(arr)
        for q in (50, 75, 90, 95):
            for label, ss in SUBSAMPLING.items():
                buf = io.BytesIO()
                im.save(buf, "JPEG", quality=q, subsampling=ss)
                out[f"{name}_q{q}_{label}"] = buf.getvalue()
        for suffix, kw, mode in (("prog", {"progressive": True}, "RGB"), ("gray", {}, "L")):
            buf = io.BytesIO()
            im.convert(mode).save(buf, "JPEG", quality=85, **kw)
            out[f"{name}_{suffix}"] = buf.getvalue()
    return out


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def raw_png(
    width: int,
    height: int,
    depth: int,
    color: int,
    rows: List[bytes],
    plte: Optional[bytes] = None,
    trns: Optional[bytes] = None,
) -> bytes:
    """A PNG written field by field (for bit depths and layouts Pillow cannot save)."""
    out = b"\x89PNG\r\n\x1a\n" + _chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    )
    if plte is not None:
        out += _chunk(b"PLTE", plte)
    if trns is not None:
        out += _chunk(b"tRNS", trns)
    data = zlib.compress(b"".join(b"\x00" + r for r in rows))
    return out + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def _packed_rows(values: np.ndarray, bits: int) -> List[bytes]:
    rows = []
    for r in values:
        s = "".join(format(int(v), f"0{bits}b") for v in r)
        s += "0" * (-len(s) % 8)
        rows.append(int(s, 2).to_bytes(len(s) // 8, "big"))
    return rows


def pngs() -> Dict[str, bytes]:
    """PNGs of every colour type and bit depth, by name."""
    rng = np.random.default_rng(1)
    photo = _sources()["photo"][:101, :77]
    out: Dict[str, bytes] = {}

    def save(name: str, im: Image.Image, **kw: object) -> None:
        buf = io.BytesIO()
        im.save(buf, "PNG", **kw)
        out[name] = buf.getvalue()

    im = Image.fromarray(photo)
    save("rgb8", im)
    save("l8", im.convert("L"))
    save("la8", im.convert("LA"))
    save("one_bit", im.convert("1"))
    save("p8", im.convert("P", palette=Image.Palette.ADAPTIVE, colors=200))
    alpha = rng.integers(0, 256, photo.shape[:2], dtype=np.uint8)
    save("rgba8", Image.fromarray(np.dstack([photo, alpha])))
    save("apng", im, save_all=True, append_images=[Image.fromarray(255 - photo)])
    h, w = 13, 29
    for bits in (1, 2, 4):
        vals = rng.integers(0, 1 << bits, (h, w))
        rows = _packed_rows(vals, bits)
        pal = rng.integers(0, 256, (1 << bits) * 3, dtype=np.uint8).tobytes()
        out[f"gray{bits}"] = raw_png(w, h, bits, 0, rows)
        out[f"pal{bits}"] = raw_png(w, h, bits, 3, rows, plte=pal)
        out[f"pal{bits}_trns"] = raw_png(w, h, bits, 3, rows, plte=pal, trns=bytes([0, 128]))
    g16 = rng.integers(0, 65536, (h, w)).astype(">u2")
    out["gray16"] = raw_png(w, h, 16, 0, [r.tobytes() for r in g16])
    out["gray16_low"] = raw_png(w, h, 16, 0, [(r % 300).astype(">u2").tobytes() for r in g16])
    for name, color, ch in (("la16", 4, 2), ("rgb16", 2, 3), ("rgba16", 6, 4)):
        v = rng.integers(0, 65536, (h, w, ch)).astype(">u2")
        out[name] = raw_png(w, h, 16, color, [r.tobytes() for r in v])
    g8 = rng.integers(0, 256, (h, w), dtype=np.uint8)
    out["gray8_trns"] = raw_png(w, h, 8, 0, [r.tobytes() for r in g8], trns=b"\x00\x05")
    return out


def transparent_pngs() -> Dict[str, bytes]:
    """PNGs whose transparency comes from a tRNS chunk (colour keys that some pixels
    match), beside the alpha-channel and palette ones of :func:`pngs`."""
    rng = np.random.default_rng(2)
    h, w = 11, 17
    out: Dict[str, bytes] = {}
    g = rng.integers(0, 4, (h, w), dtype=np.uint8)
    out["gray8_key"] = raw_png(w, h, 8, 0, [r.tobytes() for r in g], trns=b"\x00\x02")
    out["gray2_key"] = raw_png(w, h, 2, 0, _packed_rows(g, 2), trns=b"\x00\x01")
    out["gray2_key_zero"] = raw_png(w, h, 2, 0, _packed_rows(g, 2), trns=b"\x00\x00")
    out["gray1_key"] = raw_png(w, h, 1, 0, _packed_rows(g % 2, 1), trns=b"\x00\x01")
    g16 = (g.astype(np.int64) * 300).astype(">u2")
    out["gray16_key"] = raw_png(w, h, 16, 0, [r.tobytes() for r in g16], trns=b"\x01\x2c")
    rgb = rng.integers(0, 2, (h, w, 3), dtype=np.uint8) * 200
    key = bytes([0, 200, 0, 0, 0, 200])
    out["rgb8_key"] = raw_png(w, h, 8, 2, [r.tobytes() for r in rgb], trns=key)
    rgb16 = (rng.integers(0, 2, (h, w, 3)) * 0x1234).astype(">u2")
    key16 = bytes([0x12, 0x34, 0, 0, 0x12, 0x34])
    out["rgb16_key"] = raw_png(w, h, 16, 2, [r.tobytes() for r in rgb16], trns=key16)
    pal = rng.integers(0, 256, 16 * 3, dtype=np.uint8).tobytes()
    idx = rng.integers(0, 16, (h, w))
    trns = bytes(rng.integers(0, 256, 10, dtype=np.uint8))
    out["pal4_alphas"] = raw_png(w, h, 4, 3, _packed_rows(idx, 4), plte=pal, trns=trns)
    return out
