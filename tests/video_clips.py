"""Short test clips encoded with PyAV from the bundled photos (nothing is downloaded).

Each :class:`ClipSpec` names a codec, a size (odd ones included), a frame count, a frame
rate (or irregular timestamps), B-frames and the keyframe interval. The frames pan and zoom
across a photo so consecutive frames differ and inter prediction has real work to do.

Use :func:`clip_path` with pytest's ``tmp_path_factory`` (clips are encoded once per test
session and cached there), or :func:`encode_clip` to write one anywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Optional

import numpy as np
from PIL import Image

SAMPLES = Path(__file__).resolve().parents[1] / "python" / "dynres_fast" / "samples"


@dataclass(frozen=True)
class ClipSpec:
    """How to encode one clip."""

    codec: str  # "h264" (libx264 when PyAV has it) or "mpeg4"
    width: int
    height: int
    num_frames: int
    fps: int = 30
    bframes: int = 2
    gop: int = 12
    photo: str = "astronaut.jpg"
    container: str = "mp4"
    vfr: bool = False  # irregular timestamps (durations of 1, 2 or 3 ticks of 1/fps/2)
    pix_fmt: Optional[str] = None  # default yuv420p (yuv444p for odd sizes with H.264)
    faststart: bool = False  # MP4 index (moov) before the data, so a cut file still opens


#: The clips the video tests use, by name.
CLIPS: dict[str, ClipSpec] = {
    "h264_bframes": ClipSpec("h264", 160, 96, 48, bframes=3, gop=10),
    "h264_odd": ClipSpec("h264", 97, 61, 30, bframes=2, gop=8, photo="chelsea.jpg"),
    "h264_vfr": ClipSpec("h264", 128, 80, 40, bframes=2, gop=9, vfr=True, photo="coffee.jpg"),
    "h264_intra": ClipSpec("h264", 64, 48, 12, bframes=0, gop=1, photo="rocket.jpg"),
    "h264_mkv": ClipSpec("h264", 96, 64, 36, bframes=2, gop=12, container="matroska"),
    "mpeg4_bframes": ClipSpec("mpeg4", 144, 112, 40, bframes=2, gop=12, photo="coffee.jpg"),
    "mpeg4_odd": ClipSpec("mpeg4", 75, 53, 25, bframes=1, gop=6, photo="chelsea.jpg"),
    "h264_one_frame": ClipSpec("h264", 64, 48, 1, bframes=0, gop=1),
    "h264_faststart": ClipSpec("h264", 128, 72, 30, bframes=2, gop=10, faststart=True),
}


def h264_encoder() -> str:
    """libx264 when this PyAV build has it, else FFmpeg's own MPEG-4 Part 2 encoder."""
    import av

    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def photo_frames(photo: str, width: int, height: int, num_frames: int) -> list[np.ndarray]:
    """``num_frames`` RGB frames of ``height x width``: a window panning and zooming over
    the photo."""
    img = np.asarray(Image.open(SAMPLES / photo).convert("RGB"))
    ph, pw = img.shape[:2]
    frames = []
    for t in range(num_frames):
        a = t / max(num_frames - 1, 1)
        zoom = 0.55 + 0.35 * a
        ch, cw = max(int(ph * zoom), 8), max(int(pw * zoom), 8)
        y0 = int((ph - ch) * (0.5 + 0.45 * np.sin(3.1 * a)))
        x0 = int((pw - cw) * a)
        crop = Image.fromarray(img[y0 : y0 + ch, x0 : x0 + cw])
        frames.append(np.asarray(crop.resize((width, height), Image.BILINEAR)))
    return frames


def encode_clip(spec: ClipSpec, path: os.PathLike[str] | str, **options: Any) -> Path:
    """Encodes ``spec`` to ``path`` and returns it."""
    import av

    path = Path(path)
    frames = photo_frames(spec.photo, spec.width, spec.height, spec.num_frames)
    name = h264_encoder() if spec.codec == "h264" else spec.codec
    odd = spec.width % 2 or spec.height % 2
    pix_fmt = spec.pix_fmt or ("yuv444p" if odd and name == "libx264" else "yuv420p")
    muxer = {"movflags": "faststart"} if spec.faststart else {}
    with av.open(str(path), mode="w", format=spec.container, options=muxer) as out:
        stream = out.add_stream(name, rate=spec.fps)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, pix_fmt
        stream.codec_context.gop_size = spec.gop
        stream.codec_context.max_b_frames = spec.bframes
        tick = Fraction(1, spec.fps * 2)
        stream.codec_context.time_base = tick
        if name == "libx264":
            stream.options = {"preset": "veryfast", "bf": str(spec.bframes), **options}
        else:
            stream.options = {"qscale": "4", **options}
        pts = 0
        rng = np.random.default_rng(len(frames))
        for rgb in frames:
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = pts, tick
            pts += int(rng.integers(1, 4)) if spec.vfr else 2
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def clip_path(tmp_path_factory: Any, name: str) -> Path:
    """The clip ``name`` of :data:`CLIPS`, encoded once per session into pytest's tmp dir."""
    spec = CLIPS[name]
    directory = tmp_path_factory.getbasetemp() / "video_clips"
    directory.mkdir(exist_ok=True)
    path = directory / f"{name}.{'mkv' if spec.container == 'matroska' else spec.container}"
    if not path.exists():
        encode_clip(spec, path.with_suffix(".tmp" + path.suffix))
        os.replace(path.with_suffix(".tmp" + path.suffix), path)
    return path


def decode_all(src: Any) -> tuple[np.ndarray, list[Optional[int]]]:
    """Every frame of a full PyAV decode as ``(N, H, W, 3)`` RGB, and their timestamps."""
    import av

    with av.open(src) as c:
        frames = [(f.to_ndarray(format="rgb24"), f.pts) for f in c.decode(video=0)]
    return np.stack([f for f, _ in frames]), [p for _, p in frames]
