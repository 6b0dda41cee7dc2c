"""Video decode speed and memory: dynres_fast.video against qwen-vl-utils' readers.

Two 60 s 30 fps H.264 clips with B-frames (1280x720 and 1920x1080, x264 defaults: keyint
250, 3 B-frames, preset fast) are encoded once from a bundled photo into a cache directory.
Each path samples at fps 2 and returns the sampled frames as uint8:

- ``ours``: ``probe`` + ``sample_indices`` + ``read_frames`` (Qwen2.5-VL: rule
  ``qwen_vl_utils``; Qwen3-VL: rule ``qwen3_vl``), and ``ours, no skip`` with
  ``skip_nonref=False`` to show what skipping non-reference frames buys;
- ``torchcodec``: qwen-vl-utils 0.0.14's torchcodec reader (``TORCHCODEC_NUM_THREADS``);
- ``decord``: its decord reader's calls, with ``num_threads`` set (it passes none);
- ``PyAV full decode``: every frame decoded and converted to RGB, the sampled ones kept
  (the classic path, e.g. torchvision's ``read_video`` without holding every frame);
- ``fetch_video``: qwen-vl-utils' whole ``fetch_video`` (decode + torchvision resize) with
  its default backend, and ``from_file``: dynres_fast's ``VideoProcessor.from_file`` when it
  exists, both for reference.

Each measurement runs in a fresh process: wall and CPU time of the call (CPU time sums the
process's threads; on a shared machine it is the steadier number) and its peak RSS above
the process's RSS just before it (``ru_maxrss``), median of ``--repeat`` runs.

Run: PYTHONPATH=python:tests python bench/bench_video.py [--repeat 3] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from _common import machine, table

CLIPS = {"720p": (1280, 720), "1080p": (1920, 1080)}
SECONDS, FPS, SAMPLE_FPS = 60, 30, 2.0
SETTINGS = {"Qwen2.5-VL": "qwen_vl_utils", "Qwen3-VL": "qwen3_vl"}


def clip(cache: Path, name: str) -> Path:
    """The benchmark clip ``name``, encoded on first use."""
    import av
    from video_clips import photo_frames

    path = cache / f"bench_{name}_{SECONDS}s.mp4"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    width, height = CLIPS[name]
    tmp = path.with_suffix(".tmp.mp4")
    n = SECONDS * FPS
    print(f"encoding {path} ({n} frames) ...", file=sys.stderr)
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = 250
        stream.options = {"preset": "fast", "bf": "3"}
        step = 150  # frames per photo-pan segment, generated lazily to bound memory
        for start in range(0, n, step):
            photo = ["astronaut.jpg", "chelsea.jpg", "coffee.jpg", "rocket.jpg"][start // step % 4]
            for k, rgb in enumerate(photo_frames(photo, width, height, step)):
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts = start + k
                out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    os.replace(tmp, path)
    return path


def _ours(path: str, threads: int, rule: str, skip: bool = True) -> np.ndarray:
    from dynres_fast import video

    info = video.probe(path)
    idx = video.sample_indices(info.num_frames, rule=rule, video_fps=info.fps, fps=SAMPLE_FPS)
    return video.read_frames(path, idx, threads=threads, skip_nonref=skip)


def _torchcodec(path: str, threads: int) -> Any:
    os.environ["TORCHCODEC_NUM_THREADS"] = str(threads)
    from qwen_vl_utils import vision_process as vp

    return vp._read_video_torchcodec({"video": path, "fps": SAMPLE_FPS})[0]


def _decord(path: str, threads: int) -> Any:
    import decord
    import torch
    from qwen_vl_utils import vision_process as vp

    vr = decord.VideoReader(path, num_threads=threads)
    total, video_fps = len(vr), vr.get_avg_fps()
    n = vp.smart_nframes({"fps": SAMPLE_FPS}, total_frames=total, video_fps=video_fps)
    idx = torch.linspace(0, total - 1, n).round().long().tolist()
    return torch.tensor(vr.get_batch(idx).asnumpy()).permute(0, 3, 1, 2)


def _pyav_full(path: str, threads: int) -> np.ndarray:
    import av

    from dynres_fast import video

    info = video.probe(path)
    want = set(video.sample_indices(info.num_frames, rule="qwen_vl_utils", video_fps=info.fps))
    kept = []
    with av.open(path) as c:
        ctx = c.streams.video[0].codec_context
        ctx.thread_count, ctx.thread_type = threads, "AUTO"
        for i, frame in enumerate(c.decode(video=0)):
            rgb = frame.to_ndarray(format="rgb24")
            if i in want:
                kept.append(rgb)
    return np.stack(kept)


def _fetch_video(path: str, threads: int) -> Any:
    os.environ["TORCHCODEC_NUM_THREADS"] = str(threads)
    from qwen_vl_utils import vision_process as vp

    return vp.fetch_video({"video": path, "fps": SAMPLE_FPS})


def _from_file(path: str, threads: int) -> Any:
    from dynres_fast import qwen2vl

    return qwen2vl.VideoProcessor().from_file(path, fps=SAMPLE_FPS)


PATHS: dict[str, Callable[[str, int], Any]] = {
    "ours Qwen2.5-VL": lambda p, t: _ours(p, t, "qwen_vl_utils"),
    "ours Qwen3-VL": lambda p, t: _ours(p, t, "qwen3_vl"),
    "ours, no skip": lambda p, t: _ours(p, t, "qwen_vl_utils", skip=False),
    "torchcodec": _torchcodec,
    "decord": _decord,
    "PyAV full decode": _pyav_full,
    "fetch_video (decode+resize)": _fetch_video,
    "from_file (decode+process)": _from_file,
}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def worker(method: str, path: str, threads: int) -> None:
    """Runs one measurement and prints it as JSON (in a fresh process)."""
    import torch

    import dynres_fast  # noqa: F401  (imports paid before the clock starts)

    torch.set_num_threads(threads)
    fn = PATHS[method]
    before = _rss_bytes()
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(path, threads)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if isinstance(out, tuple):
        out = out[0]
    arr = out if isinstance(out, np.ndarray) else getattr(out, "numpy", lambda: None)()
    if isinstance(out, dict):
        arr = out.get("pixel_values_videos")
    nbytes = int(arr.nbytes) if arr is not None else 0
    frames = int(arr.shape[0]) if arr is not None and arr.ndim == 4 else -1
    row = {"s": seconds, "cpu": cpu, "peak": peak - before, "bytes": nbytes, "frames": frames}
    print(json.dumps(row))


def measure(method: str, path: Path, threads: int, repeat: int) -> dict | None:
    runs = []
    for _ in range(repeat):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", method, str(path), str(threads)],
            capture_output=True,
            text=True,
            env=env,
        )
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            print(f"  {method}: unavailable ({last[:120]})", file=sys.stderr)
            return None
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    runs.sort(key=lambda r: r["s"])
    best = runs[len(runs) // 2]
    best["peak"] = max(r["peak"] for r in runs)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--slow-repeat", type=int, default=1, help="runs of paths over 10 s")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--clips", nargs="+", default=list(CLIPS))
    ap.add_argument("--paths", nargs="+", default=list(PATHS))
    default_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    ap.add_argument("--cache", type=Path, default=default_cache / "dynres_fast" / "bench_video")
    args = ap.parse_args()

    print(f"Machine: {machine()}\n")
    rows = []
    for name in args.clips:
        path = clip(args.cache, name)
        for threads in args.threads:
            results = {}
            for method in args.paths:
                r = measure(method, path, threads, 1)
                if r is not None and r["s"] < 10 and args.repeat > 1:
                    r = measure(method, path, threads, args.repeat) or r
                elif r is not None and args.slow_repeat > 1:
                    r = measure(method, path, threads, args.slow_repeat) or r
                if r is not None:
                    results[method] = r
                    print(f"  {name} {threads}t {method}: {r}", file=sys.stderr)
            ours = results.get("ours Qwen2.5-VL")
            for method, r in results.items():
                ratio = f"{r['s'] / ours['s']:.1f}x" if ours else "-"
                cpu_ratio = f"{r['cpu'] / ours['cpu']:.1f}x" if ours else "-"
                mem = r["peak"] / r["bytes"] if r["bytes"] else float("nan")
                rows.append(
                    [
                        name,
                        threads,
                        method,
                        r["frames"],
                        f"{r['s']:.2f}",
                        ratio,
                        f"{r['cpu']:.2f}",
                        cpu_ratio,
                        f"{r['peak'] / 2**20:.0f}",
                        f"{r['bytes'] / 2**20:.0f}",
                        f"{mem:.2f}",
                    ]
                )
    header = [
        "clip",
        "threads",
        "path",
        "frames",
        "wall s",
        "wall / ours",
        "CPU s",
        "CPU / ours",
        "peak RSS Δ MB",
        "output MB",
        "peak / output",
    ]
    print(table(rows, header))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
