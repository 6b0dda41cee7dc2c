"""The call flow transformers 5.x's torchvision video processors share: input reading,
per-video metadata, optional frame sampling (``video.sample_indices``), config loading.

The family modules subclass :class:`VideoProcessorBase` with their resize/layout step.
"""

from __future__ import annotations

import enum
import json
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ._choices import Normalisation, as_bool, as_choice, as_optional_number
from ._coerce import as_int, checked_empty
from ._family import _rebuild, check_fixed, pick
from ._frames import as_video_list, squash, squash_len, torchvision_video_channels
from .errors import DynresError
from .pool import OutputPool


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = "UNSET"


#: The default of a call's ``fps`` / ``num_frames``: "not given", so the processor's own
#: setting applies, as transformers fills a call's missing keywords from the processor
#: (an explicit ``None`` is a value: it clears the processor's setting for the call).
UNSET = Unset.UNSET

#: A call-time ``fps`` / ``num_frames``: a number, ``None`` or :data:`UNSET`.
CallFps = Union[float, None, Unset]
CallCount = Union[int, None, Unset]

#: The upstream class whose ``sample_frames`` each rule is, for messages.
_SAMPLER_OF = {
    "qwen2_vl": "Qwen2VLVideoProcessor",
    "qwen3_vl": "Qwen3VLVideoProcessor",
    "llava_onevision": "LlavaOnevisionVideoProcessor",
    "internvl": "InternVLVideoProcessor",
}

#: The only backend transformers' video processors have.
VIDEO_COMPATS = ("torchvision",)

#: Config files ``from_pretrained`` reads, in transformers 5.x's order of preference
#: (``processor_config.json`` only where it nests a ``"video_processor"`` entry).
_CONFIG_FILES = ("video_preprocessor_config.json", "preprocessor_config.json")


def _optional_count(num_frames: Any) -> Optional[int]:
    return None if num_frames is None else as_int("num_frames", num_frames)


def _meta_get(meta: Any, key: str) -> Any:
    if isinstance(meta, Mapping):
        return meta.get(key)
    return getattr(meta, key, None)


def clip_metadata(video_metadata: Any, counts: Sequence[int]) -> List[Tuple[int, Optional[float]]]:
    """``(total_num_frames, fps)`` per video, read as ``make_batched_metadata`` reads
    ``video_metadata``: ``None`` (the frame counts, no fps), one mapping/object for one
    video, or a list (nested lists flattened) with one entry per video. A missing
    ``total_num_frames`` is the video's frame count."""
    if video_metadata is None:
        return [(n, None) for n in counts]
    if isinstance(video_metadata, (list, tuple)):
        flat: List[Any] = []
        for m in video_metadata:
            flat.extend(m if isinstance(m, (list, tuple)) else [m])
    else:
        flat = [video_metadata]
    if len(flat) != len(counts):
        raise DynresError(
            f"received {len(counts)} videos but {len(flat)} video_metadata entries; pass one "
            "entry per video"
        )
    out = []
    for i, (m, n) in enumerate(zip(flat, counts)):
        total = _meta_get(m, "total_num_frames")
        total = n if total is None else as_int(f"video_metadata[{i}].total_num_frames", total)
        fps = as_optional_number(f"video_metadata[{i}].fps", _meta_get(m, "fps"))
        if fps is not None and not fps > 0:
            raise DynresError(f"video_metadata[{i}].fps must be > 0, got {fps}")
        out.append((total, fps))
    return out


def load_config(path: Union[str, os.PathLike]) -> Dict[str, Any]:
    """The video processor entries of a model directory (or of one JSON file), in
    transformers 5.x's order: ``processor_config.json["video_processor"]``, then
    ``video_preprocessor_config.json``, then ``preprocessor_config.json``."""
    path = os.fspath(path)
    if os.path.isfile(path):
        return _read_json(path)
    if not os.path.isdir(path):
        raise DynresError(f"from_pretrained needs a model directory or a JSON file, got {path!r}")
    nested = os.path.join(path, "processor_config.json")
    if os.path.isfile(nested):
        entry = _read_json(nested).get("video_processor")
        if isinstance(entry, dict):
            return entry
    for name in _CONFIG_FILES:
        file = os.path.join(path, name)
        if os.path.isfile(file):
            return _read_json(file)
    raise DynresError(
        f"no video processor config in {path!r}: looked for processor_config.json "
        f"(with a 'video_processor' entry), {' and '.join(_CONFIG_FILES)}"
    )


def _read_json(file: str) -> Dict[str, Any]:
    try:
        with open(file, encoding="utf-8") as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        raise DynresError(f"cannot read the config {file!r}: {e}") from None
    if not isinstance(cfg, dict):
        raise DynresError(f"config {file!r} must hold a JSON object, got {type(cfg).__name__}")
    return cfg


def decode_sampled(
    src: Any, pick: Callable[[Any], np.ndarray], threads: Optional[int]
) -> Tuple[np.ndarray, np.ndarray, Any]:
    """Probes ``src``, picks frame indices from its :class:`~dynres_fast.video.VideoInfo`
    and decodes only those frames: ``(frames (T, H, W, 3), indices, info)``."""
    from . import video

    info = video.probe(src)
    idx = np.asarray(pick(info), dtype=np.int64)
    return video.read_frames(src, idx, threads=threads), idx, info


def clip_timing(
    used: Sequence[np.ndarray], clips: Sequence[Tuple[int, Optional[float]]]
) -> Dict[str, Any]:
    """What transformers' ``VideoMetadata`` derives per video from the frames used:
    ``frame_indices``, ``video_fps`` (None where unknown), ``sample_fps``
    (``VideoMetadata.sampled_fps``: ``len(idx) / N · fps``, 24 without a rate) and
    ``timestamps`` (``idx / fps`` seconds in float64; None without a rate)."""
    return {
        "frame_indices": list(used),
        "video_fps": [fps for _, fps in clips],
        "sample_fps": [
            24.0 if fps is None else len(idx) / total * fps
            for idx, (total, fps) in zip(used, clips)
        ],
        "timestamps": [None if fps is None else idx / fps for idx, (_, fps) in zip(used, clips)],
    }


_SQUASH_WHAT = "video frames (num_frames x 3 x h x w)"


class _SquashSink:
    """Each group of frames squashed straight into its rows of the ``(T, 3, h, w)``
    output (frames are resized independently, so this equals one call on all of them)."""

    group = 8

    def __init__(self, proc: Any, num_frames: int) -> None:
        self.proc, (h, w) = proc, proc.size
        self.frame_len = 3 * h * w
        self.buf = proc._output((num_frames * self.frame_len,), _SQUASH_WHAT)
        self.shape = (num_frames, 3, h, w)

    def put(self, start: int, frames: np.ndarray) -> None:
        at = start * self.frame_len
        part = self.buf[at : at + len(frames) * self.frame_len]
        p = self.proc
        p._config.squash_frames([frames], [p.size], p._norm.table, part)

    def finish(self) -> Dict[str, Any]:
        return {"pixel_values_videos": [self.proc._norm.present(self.buf.reshape(self.shape))]}


class VideoProcessorBase:
    """Reading, metadata and frame sampling of one transformers 5.x video processor.

    Subclasses set ``_rule`` (the ``video.sample_indices`` rule of their upstream
    ``sample_frames``) and implement ``_process(arrays)``.
    """

    _rule = ""
    _kwargs: Dict[str, Any]
    _pool: Optional[OutputPool] = None

    def __new__(cls, **kwargs: Any) -> Any:
        # The constructor keywords, so a processor pickles (DataLoader workers, Ray) by
        # being built again: the Rust config it holds has no other state.
        self = super().__new__(cls)
        self._kwargs = dict(kwargs)
        return self

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_rebuild, (type(self), self._kwargs))

    def _init_sampling(
        self,
        *,
        do_sample_frames: Any,
        fps: Any,
        num_frames: Any,
        min_frames: Any = None,
        max_frames: Any = None,
    ) -> None:
        self.do_sample_frames = as_bool("do_sample_frames", do_sample_frames)
        self.fps = as_optional_number("fps", fps)
        self.num_frames = None if num_frames is None else as_int("num_frames", num_frames)
        self.min_frames = None if min_frames is None else as_int("min_frames", min_frames)
        self.max_frames = None if max_frames is None else as_int("max_frames", max_frames)

    def _init_output(self, reuse_output: Any) -> None:
        self.reuse_output = as_bool("reuse_output", reuse_output)
        self._pool = OutputPool() if self.reuse_output else None

    def _output(self, shape: Tuple[int, ...], what: str) -> np.ndarray:
        """A call's ``pixel_values_videos`` storage: the reused buffer with
        ``reuse_output=True`` (each call then overwrites the previous call's output, see
        :mod:`dynres_fast.pool`), else a fresh array."""
        storage = self._norm.storage
        if self._pool is not None:
            return self._pool.take(shape, storage)
        return checked_empty(shape, storage, what)

    def _init_norm(
        self, image_mean: Any, image_std: Any, resample: Any, dtype: Any, compat: Any
    ) -> Normalisation:
        as_choice("compat", compat, VIDEO_COMPATS)
        self._norm = Normalisation(
            image_mean, image_std, compat, dtype, compats=VIDEO_COMPATS, resample=resample
        )
        self.image_mean, self.image_std = self._norm.image_mean, self._norm.image_std
        self.resample, self.compat, self.dtype = (
            self._norm.resample,
            self._norm.compat,
            self._norm.dtype,
        )
        return self._norm

    def resolve_sampling(
        self, total_frames: int, *, fps: CallFps = UNSET, num_frames: CallCount = UNSET
    ) -> Tuple[Optional[float], Optional[int]]:
        """The ``(fps, num_frames)`` this processor's upstream ``sample_frames`` acts on
        for a call given ``fps`` / ``num_frames`` (:data:`UNSET`: not given), at most one
        of them not None (a count wins over a rate).

        As upstream: a call's missing keyword takes the processor's setting; both then
        set is refused (except by InternVL's sampler, where the count wins); a ``None``
        left after that falls back to the processor's setting where its ``sample_frames``
        does so (the count for Qwen2-VL, LLaVA-OneVision and InternVL, the rate for
        Qwen2-VL, Qwen3-VL and LLaVA-OneVision); Qwen3-VL with neither samples
        ``min(max(total_frames, min_frames), max_frames)`` frames.

        Raises:
            DynresError: both set where upstream raises, naming where each came from.
            TypeError: a non-numeric value.
        """
        f = self.fps if fps is UNSET else as_optional_number("fps", fps)
        n = self.num_frames if num_frames is UNSET else _optional_count(num_frames)
        rule = self._rule
        if rule != "internvl" and f is not None and n is not None:
            src_f = "the processor's fps" if fps is UNSET else "fps"
            src_n = "the processor's num_frames" if num_frames is UNSET else "num_frames"
            raise DynresError(
                f"{src_f}={f} and {src_n}={n} are both set, and {_SAMPLER_OF[rule]}"
                ".sample_frames takes one of them (fps and num_frames are mutually "
                f"exclusive): pass num_frames={n}, fps=None to sample {n} frames, or "
                f"fps={f}, num_frames=None to sample at {f} fps"
            )
        if rule != "qwen3_vl" and n is None:
            n = self.num_frames
        if rule != "internvl" and f is None:
            f = self.fps
        if n is not None:
            return None, n
        if rule == "qwen3_vl" and f is None:
            lo = 4 if self.min_frames is None else self.min_frames
            hi = 768 if self.max_frames is None else self.max_frames
            return None, min(max(as_int("total_frames", total_frames), lo), hi)
        return f, None

    def sample_indices(
        self,
        total_frames: int,
        *,
        video_fps: Optional[float] = None,
        fps: CallFps = UNSET,
        num_frames: CallCount = UNSET,
    ) -> np.ndarray:
        """The frames this processor's upstream ``__call__`` samples from a clip of
        ``total_frames`` frames at ``video_fps`` (None: unknown), the call giving ``fps``
        / ``num_frames`` (:data:`UNSET`: not given; see :meth:`resolve_sampling`)."""
        from . import video

        rate, count = self.resolve_sampling(total_frames, fps=fps, num_frames=num_frames)
        return video.sample_indices(
            total_frames,
            rule=self._rule,
            video_fps=video_fps,
            fps=rate,
            num_frames=count,
            min_frames=self.min_frames,
            max_frames=self.max_frames,
        )

    def from_file(
        self,
        src: Any,
        *,
        do_sample_frames: Optional[bool] = None,
        fps: CallFps = UNSET,
        num_frames: CallCount = UNSET,
        threads: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Decodes a video file and preprocesses it, as the processor given the path.

        The frames are the ones the processor's ``sample_frames`` picks from the file's
        metadata (:func:`dynres_fast.video.probe`: frame count and average rate), or every
        frame when sampling is off; only those are decoded (as
        :func:`dynres_fast.video.read_frames`). The decoded frames reach the kernels a
        group at a time, written straight into the output, so memory stays at the output
        plus a few frames; with ``threads`` > 1 the next group is decoded in a background
        thread while the kernels work on this one. Outputs equal :meth:`__call__` on the
        decoded frames, bit for bit.

        Args:
            src: a path, the file's bytes or a seekable binary file object.
            do_sample_frames, fps, num_frames: as :meth:`__call__` (:data:`UNSET`: the
                processor's setting).
            threads: decoder threads (None or 1: one, decoding and processing in turn on
                the calling thread; 0: FFmpeg's choice).

        Returns:
            The outputs of :meth:`__call__` for the one video, ``frame_indices`` being the
            file's frame numbers and ``video_fps`` its average rate.

        Raises:
            VideoDecodeError: unreadable, truncated or non-video files.
            DynresError, TypeError: as :meth:`__call__`.
        """
        sampling = (
            self.do_sample_frames
            if do_sample_frames is None
            else as_bool("do_sample_frames", do_sample_frames)
        )
        from . import video

        info = video.probe(src)
        if sampling:
            idx = self.sample_indices(
                info.num_frames, video_fps=info.fps, fps=fps, num_frames=num_frames
            )
        else:
            idx = np.arange(info.num_frames, dtype=np.int64)
        idx = np.asarray(idx, dtype=np.int64)
        sink = self._stream_sink(len(idx), info.height, info.width)
        if threads is None or threads == 1:
            video.for_each_group(src, idx, sink.put, group=sink.group, threads=threads)
        else:  # decode the next group while the kernels process this one
            frames = video.iter_frames(src, idx, group=sink.group, threads=threads)
            for k, group in enumerate(frames):
                sink.put(k * sink.group, group)
        out = sink.finish()
        out.update(self._timing([idx], [(info.num_frames, info.fps)]))
        return out

    def _stream_sink(self, num_frames: int, height: int, width: int) -> Any:
        """Where :meth:`from_file` hands the decoded frames, group by group: an object
        with ``group`` (rows per call), ``put(first_row, frames)`` (the kernels write the
        group straight into its part of the output) and ``finish()`` (the outputs of
        :meth:`_process` for the one video)."""
        raise NotImplementedError

    def _process(self, arrays: List[np.ndarray]) -> Dict[str, Any]:
        raise NotImplementedError

    def _timing(
        self, used: Sequence[np.ndarray], clips: Sequence[Tuple[int, Optional[float]]]
    ) -> Dict[str, Any]:
        """The per-video timing outputs (:func:`clip_timing`; families add theirs)."""
        return clip_timing(used, clips)

    def _run(
        self,
        videos: Any,
        video_metadata: Any,
        do_sample_frames: Optional[bool],
        fps: CallFps,
        num_frames: CallCount,
    ) -> Dict[str, Any]:
        arrays, used, clips = self._read(videos, video_metadata, do_sample_frames, fps, num_frames)
        out = self._process(arrays)
        out.update(self._timing(used, clips))
        return out

    def _read(
        self,
        videos: Any,
        video_metadata: Any,
        do_sample_frames: Optional[bool],
        fps: CallFps,
        num_frames: CallCount,
    ) -> Tuple[List[np.ndarray], List[np.ndarray], List[Tuple[int, Optional[float]]]]:
        """The videos (sampled if asked), the frame indices used and each clip's
        ``(total_num_frames, fps)`` — fps 24 where Qwen3-VL's sampler assumes it."""
        arrays = torchvision_video_channels(as_video_list(videos), self.compat)
        clips = clip_metadata(video_metadata, [len(a) for a in arrays])
        sampling = (
            self.do_sample_frames
            if do_sample_frames is None
            else as_bool("do_sample_frames", do_sample_frames)
        )
        picked, used, timed = [], [], []
        for i, (a, (total, vfps)) in enumerate(zip(arrays, clips)):
            if not sampling:
                picked.append(a)
                used.append(np.arange(len(a), dtype=np.int64))
                timed.append((total, vfps))
                continue
            try:
                rate, _ = self.resolve_sampling(total, fps=fps, num_frames=num_frames)
                if vfps is None and self._rule == "qwen3_vl" and rate is not None:
                    vfps = 24.0  # its sampler writes this into the metadata
                idx = self.sample_indices(total, video_fps=vfps, fps=fps, num_frames=num_frames)
            except DynresError as e:
                raise type(e)(f"video {i}: {e}") from None
            if len(idx) and (idx.min() < 0 or idx.max() >= len(a)):
                raise DynresError(
                    f"video {i}: sampled frame {int(idx.max())} but the video has {len(a)} "
                    f"frames (video_metadata says total_num_frames={total})"
                )
            picked.append(np.ascontiguousarray(a[idx]))
            used.append(idx)
            timed.append((total, vfps))
        return picked, used, timed


_SQUASH_KEYS = ("image_mean", "image_std", "resample", "do_sample_frames", "fps", "num_frames")


class SquashVideoProcessor(VideoProcessorBase):
    """transformers 5.x's ``BaseVideoProcessor`` flow with a fixed ``size={"height": h,
    "width": w}``: every frame bicubic-squashed to ``(h, w)`` by torchvision's uint8
    antialiased resize, then the fused ``(v - 255·mean) / (255·std)`` in float32.

    Args:
        size: ``(height, width)`` of every output frame.
        image_mean, image_std, resample, dtype: as the family image processors.
        do_sample_frames, fps, num_frames: the upstream ``sample_frames`` settings.
        compat: ``"torchvision"`` only.
        reuse_output: write every call's ``pixel_values_videos`` into one reused buffer
            (each call overwrites the previous call's output; see
            :mod:`dynres_fast.pool`).
    """

    _rule = ""
    _family = ""

    def __init__(
        self,
        *,
        size: Tuple[int, int] = (384, 384),
        image_mean: Sequence[float] = (0.48145466, 0.4578275, 0.40821073),
        image_std: Sequence[float] = (0.26862954, 0.26130258, 0.27577711),
        resample: Any = "bicubic",
        do_sample_frames: bool = False,
        fps: Optional[float] = None,
        num_frames: Optional[int] = None,
        compat: str = "torchvision",
        dtype: str = "float32",
        reuse_output: bool = False,
    ) -> None:
        if isinstance(size, (str, bytes)) or not hasattr(size, "__len__") or len(size) != 2:
            raise TypeError(f"size must be a (height, width) pair, got {size!r}")
        self.size = (as_int("size[0]", size[0]), as_int("size[1]", size[1]))
        self._init_sampling(do_sample_frames=do_sample_frames, fps=fps, num_frames=num_frames)
        n = self._init_norm(image_mean, image_std, resample, dtype, compat)
        self._init_output(reuse_output)
        self._config = self._squash_config(n.resample, n.compat)

    @staticmethod
    def _squash_config(resample: str, compat: str) -> Any:
        """The family's ``_core`` config, whose ``squash_frames`` kernel resizes the frames."""
        raise NotImplementedError

    @classmethod
    def from_pretrained(cls, path: Union[str, os.PathLike], **overrides: Any) -> Any:
        """Builds the processor from a model directory's video processor config (or one
        JSON file), the config's entries over the class defaults; ``size`` must be
        ``{"height": h, "width": w}``."""
        cfg = load_config(path)
        check_fixed(cfg)
        if cfg.get("do_center_crop"):
            raise DynresError("config sets do_center_crop=true; center cropping is not supported")
        kw = pick(cfg, _SQUASH_KEYS)
        size = cfg.get("size")
        if size is not None:
            if not isinstance(size, dict) or set(size) - {"height", "width"} or len(size) != 2:
                raise DynresError(
                    f"config size must be {{'height': h, 'width': w}} for {cls._family}, "
                    f"got {size!r}"
                )
            kw["size"] = (size["height"], size["width"])
        return cls(**{**kw, **overrides})

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(size={self.size}, do_sample_frames={self.do_sample_frames}, "
            f"fps={self.fps}, num_frames={self.num_frames}, dtype={self.dtype!r})"
        )

    def __call__(
        self,
        videos: Any,
        *,
        video_metadata: Any = None,
        do_sample_frames: Optional[bool] = None,
        fps: CallFps = UNSET,
        num_frames: CallCount = UNSET,
    ) -> Dict[str, Any]:
        """Preprocesses videos as the upstream processor's ``__call__`` (arguments as
        ``qwen2vl.VideoProcessor.__call__``).

        Returns:
            ``pixel_values_videos`` (a list with one ``(T, 3, h, w)`` array per video, as
            upstream without ``return_tensors``) and, per video, ``frame_indices``,
            ``video_fps``, ``sample_fps`` and ``timestamps`` (:func:`clip_timing`).
        """
        return self._run(videos, video_metadata, do_sample_frames, fps, num_frames)

    def _stream_sink(self, num_frames: int, height: int, width: int) -> Any:
        return _SquashSink(self, num_frames)

    def _process(self, arrays: List[np.ndarray]) -> Dict[str, Any]:
        sizes = [self.size] * len(arrays)
        buf = self._output((squash_len(arrays, sizes),), f"{_SQUASH_WHAT} of size {self.size}")
        return {"pixel_values_videos": squash(arrays, sizes, self._norm, self._config, buf)}
