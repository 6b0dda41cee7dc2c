"""Video files in, frames out: probe a clip, pick frames the way upstream loaders do, and
decode only what is needed.

- :func:`probe` reads the stream's header and packet index (no decoding) into a
  :class:`VideoInfo`; its ``num_frames`` is the number of frames a full decode yields.
- :func:`sample_indices` is each upstream frame sampler (qwen-vl-utils 0.0.14 and the
  transformers 5.x video processors), exact to the index.
- :func:`read_frames` decodes the requested frames as ``(T, H, W, 3)`` uint8 RGB, equal bit
  for bit to PyAV's ``frame.to_ndarray(format="rgb24")`` of a full decode. It seeks to the
  keyframe before each run of wanted frames, lets the decoder drop non-reference frames
  nobody asked for, converts only the wanted frames and allocates only the output.
- :func:`iter_frames` / :func:`for_each_group` stream the same frames a group of rows at a
  time in reused buffers (the former decoding ahead in a thread), so a consumer can
  process group k while group k + 1 decodes, in memory bounded by a few groups.

Decoding uses PyAV (FFmpeg ships inside its wheel), an optional dependency:
``pip install av`` (or ``pip install dynres_fast[video]``).
"""

from __future__ import annotations

import io
import os
import queue
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Optional, Tuple, Union

import numpy as np

from . import _core
from ._coerce import as_int, as_int64_array, as_number
from .errors import DynresError, VideoDecodeError

__all__ = [
    "SAMPLING_RULES",
    "Source",
    "VideoInfo",
    "for_each_group",
    "iter_frames",
    "probe",
    "read_frames",
    "sample_indices",
]

#: A video: a filesystem path, the file's bytes, or a seekable binary file object.
Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, io.IOBase]

#: The ``rule`` names :func:`sample_indices` accepts.
SAMPLING_RULES = ("qwen_vl_utils", "qwen2_vl", "qwen3_vl", "llava_onevision", "internvl")

#: The most decoder threads one call may ask for.
_MAX_THREADS = 64


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` learns from a clip's header and packets, without decoding.

    Attributes:
        num_frames: Frames a full decode yields (counted from the demuxed packets).
        fps: The stream's average frame rate (FFmpeg ``avg_frame_rate``; the guessed rate
            or the packets' timestamps when the header has none).
        duration: Seconds: the stream's duration, else the container's, else
            ``num_frames / fps``.
        height: Frame height in pixels.
        width: Frame width in pixels.
        codec: FFmpeg's decoder name (``"h264"``, ``"mpeg4"``, ...).
        num_keyframes: Packets flagged as keyframes (where decoding can start).
    """

    num_frames: int
    fps: float
    duration: float
    height: int
    width: int
    codec: str
    num_keyframes: int


def _av() -> Any:
    try:
        import av
    except ImportError as e:
        raise ImportError(
            "dynres_fast.video needs PyAV to decode video: pip install av "
            "(or pip install 'dynres_fast[video]')"
        ) from e
    return av


def _describe(src: Any) -> str:
    if isinstance(src, (str, os.PathLike)):
        return f"video {os.fspath(src)!r}"
    if isinstance(src, (bytes, bytearray, memoryview)):
        return f"video bytes ({len(src)} bytes)"
    return f"video file object {type(src).__name__}"


def _file_for(src: Any) -> Any:
    """What PyAV opens for ``src``: a path, or a seekable binary stream at its start."""
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        if not isinstance(path, str):
            raise TypeError(f"src must be a str path, got bytes path {path!r}")
        try:
            mode = os.stat(path).st_mode
        except OSError as e:
            raise VideoDecodeError(f"src: cannot read {path!r}: {e.strerror}") from None
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise VideoDecodeError(
                f"src must be a regular video file, got {path!r}, which is {kind}"
            )
        return path
    if isinstance(src, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(src))
    if callable(getattr(src, "read", None)):
        if isinstance(src, io.TextIOBase):
            raise TypeError("src must be a binary file object, got a text stream")
        if not (callable(getattr(src, "seekable", None)) and src.seekable()):
            raise VideoDecodeError(
                "src: the file object is not seekable; pass its bytes (src.read()) instead"
            )
        src.seek(0)
        return src
    raise TypeError("src must be a path, bytes or a binary file object, got " + type(src).__name__)


@contextmanager
def _open(src: Any, desc: str) -> Iterator[Any]:
    """Opens ``src`` with PyAV and yields ``(container, video_stream)``."""
    av = _av()
    file = _file_for(src)
    try:
        # Metadata is never used: undecodable tags must not make a readable video fail.
        container = av.open(file, mode="r", metadata_errors="replace")
    except (av.FFmpegError, OSError, EOFError) as e:
        raise VideoDecodeError(f"{desc}: cannot open it as a video ({e})") from None
    try:
        if not container.streams.video:
            raise VideoDecodeError(f"{desc}: has no video stream")
        yield container, container.streams.video[0]
    finally:
        container.close()


@dataclass(frozen=True)
class _PacketIndex:
    """The video stream's packets in decode order, and its frames in presentation order."""

    pts: list[Optional[int]]  # per packet, decode order
    dts: list[Optional[int]]  # per packet (what MP4 demuxers seek by)
    keyframe: list[bool]  # per packet
    frame_pts: np.ndarray  # int64, per frame (sorted), empty unless ``by_pts``
    frame_packet: np.ndarray  # int64, the packet (decode position) of each frame
    num_frames: int
    by_pts: bool  # frames are identified by unique timestamps (seeking is possible)
    time_span: Optional[tuple[Fraction, Fraction]]  # first pts, last pts + duration (s)


def _scan(container: Any, stream: Any, desc: str) -> _PacketIndex:
    """Demuxes the video stream once (no decoding) to index its packets."""
    av = _av()
    pts: list[Optional[int]] = []
    dts: list[Optional[int]] = []
    keyframe: list[bool] = []
    shown: list[int] = []  # decode positions whose frame the decoder outputs
    end: Optional[int] = None
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            if packet.is_corrupt:
                raise VideoDecodeError(
                    f"{desc}: packet {len(pts)} of its video stream is corrupt or cut short "
                    "(a truncated or damaged file)"
                )
            if not packet.is_discard:
                shown.append(len(pts))
                if packet.pts is not None:
                    stop = packet.pts + (packet.duration or 0)
                    end = stop if end is None else max(end, stop)
            pts.append(packet.pts)
            dts.append(packet.dts)
            keyframe.append(bool(packet.is_keyframe))
    except (av.FFmpegError, OSError, EOFError) as e:
        raise VideoDecodeError(f"{desc}: cannot read its packets ({e})") from None
    if not shown:
        raise VideoDecodeError(f"{desc}: its video stream has no frames")
    shown_pts = [pts[i] for i in shown]
    by_pts = all(p is not None for p in shown_pts) and len(set(shown_pts)) == len(shown_pts)
    if by_pts:
        order = np.argsort(np.asarray(shown_pts, dtype=np.int64), kind="stable")
        frame_pts = np.asarray(shown_pts, dtype=np.int64)[order]
        frame_packet = np.asarray(shown, dtype=np.int64)[order]
        tb = stream.time_base
        span = (Fraction(int(frame_pts[0])) * tb, Fraction(end) * tb) if tb and end else None
    else:
        frame_pts = np.empty(0, dtype=np.int64)
        frame_packet = np.asarray(shown, dtype=np.int64)
        span = None
    return _PacketIndex(pts, dts, keyframe, frame_pts, frame_packet, len(shown), by_pts, span)


def _info(container: Any, stream: Any, index: _PacketIndex, desc: str) -> VideoInfo:
    ctx = stream.codec_context
    if ctx is None:
        raise VideoDecodeError(f"{desc}: no decoder for its video stream (codec unknown)")
    rate = stream.average_rate or stream.guessed_rate
    if rate:
        fps = float(rate)
    elif index.time_span and index.time_span[1] > index.time_span[0]:
        fps = float(index.num_frames / (index.time_span[1] - index.time_span[0]))
    else:
        raise VideoDecodeError(f"{desc}: has no frame rate in its header or timestamps")
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / 1_000_000
    else:
        duration = index.num_frames / fps
    if not (ctx.height > 0 and ctx.width > 0):
        raise VideoDecodeError(f"{desc}: its header has no frame size ({ctx.width}x{ctx.height})")
    return VideoInfo(
        num_frames=index.num_frames,
        fps=fps,
        duration=duration,
        height=ctx.height,
        width=ctx.width,
        codec=ctx.name,
        num_keyframes=sum(index.keyframe),
    )


def probe(src: Source) -> VideoInfo:
    """Frame count, rate, duration, size and codec of a clip, from its packets (no decode).

    Args:
        src: A path to a regular file, the file's bytes, or a seekable binary file object
            (read from its start).

    Raises:
        VideoDecodeError: a missing, non-regular, unreadable or non-video file, no video
            stream, or a stream with no frames.
        TypeError: ``src`` of another type.
        ImportError: PyAV is not installed (``pip install av``).
    """
    desc = _describe(src)
    with _open(src, desc) as (container, stream):
        return _info(container, stream, _scan(container, stream, desc), desc)


def _start_packet(index: _PacketIndex, packet: int, pts: int) -> int:
    """The last keyframe packet at or before ``packet`` (decode order) whose timestamp is
    not after ``pts``: decoding from there reproduces the frame; 0 when there is none."""
    for k in range(packet, -1, -1):
        p = index.pts[k]
        if index.keyframe[k] and p is not None and p <= pts:
            return k
    return 0


class _Decoder:
    """One open container: reads its video packets, seeks, and decodes each packet with
    non-reference frames skipped unless the packet is wanted."""

    def __init__(self, src: Any, desc: str, threads: int, skip_nonref: bool) -> None:
        self.src, self.desc, self.threads, self.skip_nonref = src, desc, threads, skip_nonref
        self.av = _av()
        self.opened: Any = None

    def open(self) -> None:
        self.close()
        self.opened = _open(self.src, self.desc)
        self.container, self.stream = self.opened.__enter__()
        ctx = self.stream.codec_context
        ctx.thread_count = self.threads
        ctx.thread_type = "SLICE" if self.threads == 1 else "AUTO"
        self.ctx = ctx
        self.packets = self._packets()
        self.skipping = False

    def close(self) -> None:
        if self.opened is not None:
            self.opened.__exit__(None, None, None)
            self.opened = None

    def _packets(self) -> Iterator[Any]:
        for packet in self.container.demux(self.stream):
            if packet.size:
                yield packet

    def next_packet(self) -> Any:
        try:
            return next(self.packets, None)
        except (self.av.FFmpegError, OSError, EOFError) as e:
            raise VideoDecodeError(f"{self.desc}: cannot read a packet ({e})") from None

    def seek(self, timestamp: Optional[int]) -> Any:
        """Seeks to the keyframe at or before ``timestamp``; returns the packet there."""
        try:
            self.container.seek(timestamp, stream=self.stream, backward=True, any_frame=False)
        except (self.av.FFmpegError, OSError) as e:
            raise VideoDecodeError(f"{self.desc}: cannot seek ({e})") from None
        self.packets = self._packets()
        return self.next_packet()

    def decode(self, packet: Any, wanted: bool) -> list[Any]:
        skip = self.skip_nonref and not wanted
        if skip != self.skipping:
            self.ctx.skip_frame = "NONREF" if skip else "DEFAULT"
            self.skipping = skip
        try:
            return list(self.ctx.decode(packet))
        except (self.av.FFmpegError, OSError) as e:
            raise VideoDecodeError(f"{self.desc}: decoding failed ({e})") from None


def _as_threads(threads: Optional[int]) -> int:
    if threads is None:
        return 1
    return as_int("threads", threads, minimum=0, maximum=_MAX_THREADS)


def read_frames(
    src: Source,
    indices: Any,
    *,
    threads: Optional[int] = None,
    skip_nonref: bool = True,
) -> np.ndarray:
    """Decodes the frames at ``indices`` (presentation order, 0-based) as RGB.

    Indices may repeat and come in any order; row ``i`` of the result is frame
    ``indices[i]``. Frames equal PyAV's ``frame.to_ndarray(format="rgb24")`` of the same
    frames in a full decode, bit for bit.

    Args:
        src: A path to a regular file, the file's bytes, or a seekable binary file object.
        indices: A 1-D sequence of integer frame indices in ``[0, probe(src).num_frames)``.
        threads: Decoder threads: ``None`` or 1 decodes on the calling thread; ``n > 1``
            uses FFmpeg's frame and slice threads; 0 lets FFmpeg choose.
        skip_nonref: Let the decoder drop non-reference frames that were not asked for
            (no other frame depends on them, so the frames returned do not change).

    Returns:
        ``(len(indices), height, width, 3)`` uint8.

    Raises:
        TypeError: non-integer ``indices`` or ``threads``, or ``src`` of another type.
        DynresError: ``indices`` not 1-D, negative or past the last frame.
        VideoDecodeError: as :func:`probe`, a frame that cannot be decoded, or a frame
            whose size differs from the stream's.
        ImportError: PyAV is not installed (``pip install av``).
    """
    idx = as_int64_array("indices", indices, ndim=1)
    job = _Decode(src, idx, threads, skip_nonref)
    out = np.empty((idx.size, *job.size, 3), dtype=np.uint8)

    def write(rows: np.ndarray, rgb: np.ndarray) -> None:
        out[rows] = rgb

    job.run(write)
    return out


#: Most rows one streamed group may hold.
_MAX_GROUP = 4096


def _grouped(
    src: Source, indices: Any, group: Any, threads: Optional[int], skip_nonref: bool
) -> Tuple[np.ndarray, int, _Decode]:
    """The checked indices and group size, and the decoding job, of a streamed read."""
    idx = as_int64_array("indices", indices, ndim=1)
    g = as_int("group", group, minimum=1, maximum=_MAX_GROUP)
    return idx, g, _Decode(src, idx, threads, skip_nonref)


def iter_frames(
    src: Source,
    indices: Any,
    *,
    group: int = 8,
    threads: Optional[int] = None,
    skip_nonref: bool = True,
) -> Iterator[np.ndarray]:
    """:func:`read_frames` as a stream: the frames at ``indices`` in order, ``group`` rows
    at a time (``(group, H, W, 3)`` uint8; the last group may be shorter), decoded ahead
    in a background thread while the caller works on the previous group (FFmpeg and the
    kernels release the GIL).

    Memory stays at a few groups: the arrays come from a small pool of reused buffers, so
    each one is valid until the next is requested (copy it to keep it). The file is
    indexed and ``indices`` checked before this returns; decoding errors are raised from
    the iteration. Arguments and errors as :func:`read_frames`, plus ``group`` (1 to
    4,096 rows).
    """
    _, g, job = _grouped(src, indices, group, threads, skip_nonref)
    return _stream(job, g)


def for_each_group(
    src: Source,
    indices: Any,
    fn: Callable[[int, np.ndarray], None],
    *,
    group: int = 8,
    threads: Optional[int] = None,
    skip_nonref: bool = True,
) -> None:
    """:func:`iter_frames` on the calling thread: decodes the frames at ``indices`` and
    calls ``fn(first_row, frames)`` for each group of ``group`` consecutive rows as soon as
    it is complete; ``frames`` is a reused buffer, valid during the call."""
    idx, g, job = _grouped(src, indices, group, threads, skip_nonref)
    free: list[np.ndarray] = []

    def emit(start: int, buf: np.ndarray, n: int) -> None:
        fn(start, buf[:n])
        free.append(buf)

    def spare() -> np.ndarray:
        return free.pop() if free else np.empty((g, *job.size, 3), dtype=np.uint8)

    job.run(_Grouper(idx.size, g, emit, spare).write)


class _Grouper:
    """Gathers decoded rows into groups of ``group`` consecutive rows and emits each
    complete group in row order, ``emit(first_row, buffer, rows)``. Rows normally arrive
    in order (indices sorted, frames decoded in presentation order); any that come early
    wait in their own buffer."""

    def __init__(
        self,
        n_rows: int,
        group: int,
        emit: Callable[[int, np.ndarray, int], None],
        spare: Callable[[], np.ndarray],
    ) -> None:
        self.n_rows, self.group, self.emit, self.spare = n_rows, group, emit, spare
        self.pending: dict[int, list[Any]] = {}  # group number -> [buffer, rows filled]
        self.next = 0

    def _rows_in(self, j: int) -> int:
        return min(self.group, self.n_rows - j * self.group)

    def write(self, rows: np.ndarray, rgb: np.ndarray) -> None:
        for r in rows.tolist():
            j, i = divmod(r, self.group)
            slot = self.pending.get(j)
            if slot is None:
                slot = self.pending[j] = [self.spare(), 0]
            slot[0][i] = rgb
            slot[1] += 1
        while self.next in self.pending and self.pending[self.next][1] == self._rows_in(self.next):
            buf, _ = self.pending.pop(self.next)
            self.emit(self.next * self.group, buf, self._rows_in(self.next))
            self.next += 1


class _Stopped(Exception):
    """The consumer of a stream went away; the decoding thread ends."""


def _stream(job: _Decode, g: int) -> Iterator[np.ndarray]:
    ready: queue.Queue[Any] = queue.Queue(maxsize=1)
    free: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
    stop = threading.Event()

    def put(item: Any) -> None:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return
            except queue.Full:
                continue
        raise _Stopped

    def spare() -> np.ndarray:
        try:
            return free.get_nowait()
        except queue.Empty:
            return np.empty((g, *job.size, 3), dtype=np.uint8)

    def produce() -> None:
        try:
            job.run(_Grouper(job.idx.size, g, lambda s, b, n: put((b, n)), spare).write)
            put(None)
        except _Stopped:
            pass
        except BaseException as e:  # handed to the consumer, raised there
            try:
                put(e)
            except _Stopped:
                pass

    thread = threading.Thread(target=produce, name="dynres_fast-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            buf, n = item
            yield buf[:n]
            free.put(buf)
    finally:
        stop.set()
        thread.join()


class _Decode:
    """One decoding job: building it indexes the clip and checks ``idx`` (``size`` is the
    frame size); ``run(write)`` decodes and hands every wanted frame to ``write``."""

    def __init__(
        self, src: Source, idx: np.ndarray, threads: Optional[int], skip_nonref: bool
    ) -> None:
        self.n_threads = _as_threads(threads)
        self.src, self.idx, self.skip_nonref = src, idx, bool(skip_nonref)
        self.desc = desc = _describe(src)
        with _open(self.src, desc) as (container, stream):
            self.index = index = _scan(container, stream, desc)
            self.size = (stream.codec_context.height, stream.codec_context.width)
        if idx.size and idx.min() < 0:
            pos = int(np.argmax(idx < 0))
            raise DynresError(f"indices must be >= 0, got {int(idx[pos])} at position {pos}")
        if idx.size and idx.max() >= index.num_frames:
            pos = int(np.argmax(idx >= index.num_frames))
            raise DynresError(
                f"indices[{pos}] = {int(idx[pos])} is out of range for {desc}, which has "
                f"{index.num_frames} frames (valid: 0 to {index.num_frames - 1})"
            )

    def run(self, write: Callable[[np.ndarray, np.ndarray], None]) -> None:
        if self.idx.size == 0:
            return
        frames, rows = np.unique(self.idx, return_inverse=True)
        sink = _Sink(self.desc, frames, rows, self.size, write)
        dec = _Decoder(self.src, self.desc, self.n_threads, self.skip_nonref)
        try:
            if self.index.by_pts:
                _decode_by_pts(dec, self.index, sink)
            else:
                _decode_in_order(dec, sink)
        finally:
            dec.close()


class _Sink:
    """Converts each wanted decoded frame once and hands it to ``write(rows, rgb)`` with
    every output row that asks for it."""

    def __init__(
        self,
        desc: str,
        frames: np.ndarray,
        rows: np.ndarray,
        size: tuple[int, int],
        write: Callable[[np.ndarray, np.ndarray], None],
    ) -> None:
        self.desc, self.frames, self.size, self.write = desc, frames, size, write
        n_wanted = len(frames)
        order = np.argsort(rows, kind="stable")
        bounds = np.searchsorted(rows[order], np.arange(n_wanted + 1))
        self.rows_of = [order[bounds[k] : bounds[k + 1]] for k in range(n_wanted)]
        self.done = np.zeros(n_wanted, dtype=bool)
        # One converter for the whole clip: FFmpeg reuses its scaler context instead of
        # building one per frame (same conversion, same bytes as ``to_ndarray``).
        self.reformatter = _av().video.reformatter.VideoReformatter()

    def put(self, k: int, frame: Any) -> None:
        if self.done[k]:
            return
        h, w = self.size
        if (frame.height, frame.width) != (h, w):
            raise VideoDecodeError(
                f"{self.desc}: a frame is {frame.width}x{frame.height}, the stream {w}x{h}; "
                "clips that change size are not supported"
            )
        rgb = self.reformatter.reformat(frame, format="rgb24").to_ndarray()
        self.write(self.rows_of[k], rgb)
        self.done[k] = True

    def missing(self) -> VideoDecodeError:
        frame = int(self.frames[int(np.argmin(self.done))])
        return VideoDecodeError(f"{self.desc}: frame {frame} could not be decoded")


def _seek_to(
    dec: _Decoder, index: _PacketIndex, start: int, packet_of_pts: dict[int, int]
) -> tuple[int, Any]:
    """Seeks to the keyframe packet ``start``: by its pts (MP4, Matroska), else by its dts
    (demuxers that index decode times), else decodes from the beginning. Returns the
    decode position and the packet where decoding resumes (at or before ``start``)."""
    for target in (index.pts[start], index.dts[start]):
        if target is None:
            continue
        packet = dec.seek(target)
        landed = packet_of_pts.get(packet.pts) if packet is not None else None
        if landed is not None and landed <= start and index.keyframe[landed]:
            return landed, packet
    dec.open()
    return 0, dec.next_packet()


def _decode_by_pts(dec: _Decoder, index: _PacketIndex, sink: _Sink) -> None:
    """Decodes runs of packets from the keyframe before each wanted frame, seeking over gaps.

    Wanted frames are taken in order of the keyframe they need (then of their own packet),
    so each run of continuous decoding starts at or before the keyframe of every frame it
    yields. A frame is accepted only from a run that started at or before its keyframe: the
    leading B-frames of an open GOP come out of a run started at that GOP's keyframe too,
    but wrong (their references were never decoded)."""
    frames = sink.frames
    want_pts = index.frame_pts[frames]
    slot = {int(p): k for k, p in enumerate(want_pts)}
    need_packet = index.frame_packet[frames].tolist()
    starts = [_start_packet(index, need_packet[k], int(want_pts[k])) for k in range(len(frames))]
    packet_of_pts = {p: i for i, p in enumerate(index.pts) if p is not None}
    wanted_packets = set(need_packet)
    run_start = 0  # decode position where the current run of continuous decoding began

    def take(decoded: list[Any]) -> None:
        for f in decoded:
            k = slot.get(f.pts) if f.pts is not None else None
            if k is not None and starts[k] >= run_start:
                sink.put(k, f)

    dec.open()
    pos = -1  # decode position of the last packet sent
    for start, last in sorted(zip(starts, need_packet)):
        if last <= pos:
            continue  # sent in this run, which began at or before ``start``
        if start > pos + 1:
            if pos >= 0:
                take(dec.decode(None, True))
            run_start, packet = _seek_to(dec, index, start, packet_of_pts)
            pos = run_start - 1
        else:
            packet = dec.next_packet()
        while packet is not None:
            pos += 1
            take(dec.decode(packet, pos in wanted_packets))
            if pos >= last:
                break
            packet = dec.next_packet()
        if packet is None:
            break
    take(dec.decode(None, True))
    if not sink.done.all():
        raise sink.missing()


def _decode_in_order(dec: _Decoder, sink: _Sink) -> None:
    """Decodes from the start, counting output frames (streams without usable timestamps)."""
    frames = sink.frames
    slot = {int(f): k for k, f in enumerate(frames)}
    last = int(frames[-1])
    dec.skip_nonref = False
    dec.open()
    shown = 0

    def take(decoded: list[Any]) -> bool:
        nonlocal shown
        for f in decoded:
            k = slot.get(shown)
            if k is not None:
                sink.put(k, f)
            shown += 1
        return shown > last

    packet = dec.next_packet()
    while packet is not None:
        if take(dec.decode(packet, True)):
            return
        packet = dec.next_packet()
    take(dec.decode(None, True))
    if not sink.done.all():
        raise sink.missing()


def sample_indices(
    total_frames: int,
    *,
    rule: str,
    video_fps: Optional[float] = None,
    fps: Optional[float] = None,
    num_frames: Optional[float] = None,
    min_frames: Optional[float] = None,
    max_frames: Optional[float] = None,
) -> np.ndarray:
    """The frame indices an upstream loader samples from a clip of ``total_frames`` frames.

    Arguments left ``None`` take the upstream class defaults. ``video_fps`` is the clip's
    rate (``VideoMetadata.fps``; :attr:`VideoInfo.fps`).

    Rules:
        ``"qwen_vl_utils"``: qwen-vl-utils 0.0.14 ``smart_nframes`` (fps 2, frames 4..768,
        even counts; needs ``video_fps``) and its decoders' float32
        ``torch.linspace(0, N - 1, n).round()``. ``num_frames`` is its ``nframes``.
        ``"qwen2_vl"``: ``Qwen2VLVideoProcessor.sample_frames``: counts rounded to a
        multiple of 2, ``min_frames`` 4 / ``max_frames`` 768 clamp the fps count, float32
        ``torch.arange(0, N, N / n)`` truncated; needs ``num_frames`` or ``fps``.
        ``"qwen3_vl"``: ``Qwen3VLVideoProcessor.sample_frames``: fps 2 by default, 24 fps
        assumed without ``video_fps``, ``int(N / video_fps * fps)`` clamped to
        ``[min_frames, max_frames]`` (4, 768; as set on the processor) and ``N``, float64
        ``np.linspace(0, N - 1, n).round()``; a given ``num_frames`` is used as is.
        ``"llava_onevision"``: the base processor's sampler, ``arange(n) * N // n`` with
        ``n = max(1, int(N / video_fps * fps))``; every frame by default.
        ``"internvl"``: ``InternVLVideoProcessor.sample_frames`` with ``initial_shift``:
        float32 ``torch.arange(N / n / 2, N, N / n)`` truncated; needs ``num_frames`` or
        ``fps``, and a given ``num_frames`` wins over ``fps`` (upstream does not refuse
        both).

    torch's ranges are reproduced as its CPU kernels compute them in one thread on an AVX2
    (or 256-bit default) build, which covers up to 32,768 sampled frames.

    Raises:
        TypeError: a non-numeric argument, or a non-integer count for the transformers rules.
        DynresError: where upstream raises (``fps`` with ``num_frames`` except for
            ``internvl``, ``fps`` without ``video_fps``, more frames than the clip has) and
            where upstream would crash or sample nothing (neither ``fps`` nor
            ``num_frames`` for ``qwen2_vl`` / ``internvl``, a count of 0, ``total_frames``
            < 1, non-positive rates, ``min_frames`` / ``max_frames`` for a rule without
            that clamp, an unknown ``rule``).
    """
    if not isinstance(rule, str):
        raise TypeError(f"rule must be a str, got {type(rule).__name__} {rule!r}")
    whole = rule != "qwen_vl_utils"

    def count(name: str, v: Any) -> Optional[float]:
        if v is None:
            return None
        return float(as_int(name, v, minimum=0)) if whole else as_number(name, v)

    return _core.sample_indices(
        as_int("total_frames", total_frames),
        rule,
        None if video_fps is None else as_number("video_fps", video_fps),
        None if fps is None else as_number("fps", fps),
        count("num_frames", num_frames),
        count("min_frames", min_frames),
        count("max_frames", max_frames),
    )
