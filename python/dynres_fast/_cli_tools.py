"""``dynres-fast plan | count | show``: token planning for people at work.

Every failure is a one-line message (never a traceback); ``plan`` keeps going after a bad
file and exits with 2 at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import _manifest, io, models
from .errors import DynresError

VIDEO_SUFFIXES = {
    ".mp4",
    ".mov",
    ".avi",
    ".mkv",
    ".webm",
    ".m4v",
    ".flv",
    ".wmv",
    ".mpg",
    ".mpeg",
    ".3gp",
    ".ts",
}


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A plain-text table with a header rule."""
    cells = [list(map(str, header))] + [list(map(str, r)) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def add_subcommands(sub: Any) -> None:
    """Adds ``plan``, ``count`` and ``show`` to the CLI's subparsers."""
    model_help = f"model name; one of: {', '.join(models.names())}"

    def budget_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", "-m", required=True, help=model_help)
        p.add_argument("--min-pixels", type=float, help="override the model's minimum pixels")
        p.add_argument("--max-pixels", type=float, help="override the model's maximum pixels")
        p.add_argument("--max-num", type=int, help="InternVL: override the maximum tile count")

    p = sub.add_parser("plan", help="resized size, grid and token count for image/video files")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    budget_flags(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    c = sub.add_parser("count", help="token counts for a CSV / JSONL / Parquet size manifest")
    c.add_argument("manifest", type=Path, metavar="MANIFEST")
    budget_flags(c)
    c.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.csv")
    c.add_argument("--budget", type=int, help="report how many rows exceed this many tokens")

    s = sub.add_parser(
        "show",
        help="draw the image (or the video's sampled frames) as the model sees it, with its "
        "patch grid",
    )
    s.add_argument("file", type=Path, metavar="FILE")
    budget_flags(s)
    s.add_argument("-o", "--output", type=Path, required=True, metavar="out.png")
    s.add_argument("--patches", action="store_true", help="also draw thin lines every patch")


def _overrides(args: argparse.Namespace) -> Dict[str, Any]:
    return {"min_pixels": args.min_pixels, "max_pixels": args.max_pixels, "max_num": args.max_num}


def _spec(args: argparse.Namespace) -> Tuple[models.ModelSpec, Dict[str, Any]]:
    spec = models.get(args.model)
    return spec, spec.check_options(_overrides(args))


# --------------------------------------------------------------------------------- plan


def image_size(path: Path) -> Tuple[int, int]:
    """``(height, width)`` from the image header; InvalidImageError-style DynresError."""
    from PIL import Image, UnidentifiedImageError

    io.check_regular_file(path, "image")  # never open a FIFO or device (it would block)
    try:
        with Image.open(path) as im:
            w, h = im.size
    except UnidentifiedImageError:
        raise DynresError(f"{path}: not an image Pillow can read") from None
    except Image.DecompressionBombError as e:
        raise DynresError(f"{path}: refused by Pillow's decompression-bomb check ({e})") from None
    except (OSError, ValueError, SyntaxError) as e:  # Pillow's header parsers raise these
        raise DynresError(f"{path}: unreadable image ({e})") from None
    return h, w


def video_info(path: Path) -> Tuple[int, int, int, float]:
    """``(total_frames, height, width, fps)`` of a video through PyAV, decord or OpenCV."""
    io.check_regular_file(path, "video")
    probes: List[Callable[[Path], Tuple[int, int, int, float]]] = []
    for module, probe in (("av", _probe_av), ("decord", _probe_decord), ("cv2", _probe_cv2)):
        try:
            __import__(module)
        except ImportError:
            continue
        probes.append(probe)
    if not probes:
        raise DynresError(
            f"{path}: cannot read video: no video decoder is installed (install one of av, "
            "decord, opencv-python); or put its frames, fps, height and width in a manifest "
            "for 'dynres-fast count'"
        )
    try:
        return probes[0](path)
    except Exception as e:  # decoders raise their own types
        raise DynresError(f"{path}: unreadable video ({e})") from None


def _probe_av(path: Path) -> Tuple[int, int, int, float]:
    # The frames a full decode yields (counted from the packets), not the header's count.
    from . import video

    info = video.probe(path)
    return info.num_frames, info.height, info.width, info.fps


def _probe_decord(path: Path) -> Tuple[int, int, int, float]:
    import decord

    vr = decord.VideoReader(str(path))
    h, w = vr[0].shape[:2]
    return len(vr), int(h), int(w), float(vr.get_avg_fps())


def _probe_cv2(path: Path) -> Tuple[int, int, int, float]:
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise OSError("OpenCV cannot open it")
    try:
        return (
            int(cap.get(cv2.CAP_PROP_FRAME_COUNT)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            float(cap.get(cv2.CAP_PROP_FPS)),
        )
    finally:
        cap.release()


def plan_file(spec: models.ModelSpec, path: Path, overrides: Dict[str, Any]) -> Dict[str, Any]:
    """The plan of one file as a JSON-ready dict (``file``, input size, plan fields)."""
    if path.suffix.lower() in VIDEO_SUFFIXES:
        if "total_frames" not in spec.options:
            raise DynresError(f"{path}: model {spec.name!r} does not plan video files here")
        frames, h, w, fps = video_info(path)
        plan = spec.plan(h, w, total_frames=frames, video_fps=fps, **overrides)
        extra: Dict[str, Any] = {"total_frames": frames, "video_fps": fps}
    else:
        h, w = image_size(path)
        plan = spec.plan(h, w, **overrides)
        extra = {}
    fields = models.plan_fields(plan)
    return {"file": str(path), "model": spec.name, "height": h, "width": w, **extra, **fields}


def cmd_plan(args: argparse.Namespace) -> int:
    """``dynres-fast plan FILE...``."""
    spec, overrides = _spec(args)
    rows, failed = [], 0
    for path in args.files:
        try:
            rec = plan_file(spec, path, overrides)
        except DynresError as e:
            failed += 1
            msg = str(e) if str(e).startswith(str(path)) else f"{path}: {e}"
            print(f"dynres-fast: error: {msg}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps(rec), flush=True)
        else:
            rows.append(rec)
    if rows:
        _print_plan_table(rows)
    return 2 if failed else 0


def _print_plan_table(rows: List[Dict[str, Any]]) -> None:
    def resized(r: Dict[str, Any]) -> str:
        for key in ("resized", "highres"):  # InternVL / LLaVA-OV canvas, Oryx native size
            if key in r:
                return "x".join(map(str, r[key]))
        return "-"

    def grid(r: Dict[str, Any]) -> str:
        for key in ("grid_thw", "grid", "highres_grid"):
            if key in r:
                return "x".join(map(str, r[key]))
        return "-"

    rows_out = [
        (
            r["file"],
            f"{r['height']}x{r['width']}",
            resized(r),
            grid(r),
            r.get("num_frames") or "-",
            r["num_tokens"],
        )
        for r in rows
    ]
    print(table(rows_out, ("file", "input HxW", "resized HxW", "grid", "frames", "tokens")))


# -------------------------------------------------------------------------------- count


def _stage(what: str, show: bool) -> Callable[..., None]:
    t0 = time.perf_counter()
    if show:
        print(f"dynres-fast: {what}...", file=sys.stderr, flush=True)

    def done(detail: str = "") -> None:
        if show:
            dt = time.perf_counter() - t0
            print(
                f"dynres-fast: {what}: done in {dt:.2f} s {detail}".rstrip(),
                file=sys.stderr,
                flush=True,
            )

    return done


def cmd_count(args: argparse.Namespace) -> int:
    """``dynres-fast count MANIFEST -o OUT.csv``."""
    spec, overrides = _spec(args)
    io.check_regular_file(args.manifest, "manifest")
    if args.budget is not None and args.budget < 1:
        raise DynresError(f"--budget must be a positive number of tokens, got {args.budget}")
    long_input = args.manifest.stat().st_size > 4 << 20
    done = _stage(f"reading {args.manifest}", long_input)
    m = _manifest.read(args.manifest, progress=long_input)
    done(f"({len(m):,} rows)")
    if len(m) == 0:
        raise DynresError(f"{args.manifest}: no rows")
    done = _stage(f"counting tokens ({spec.name})", long_input)
    video = m.frames is not None and bool((m.frames > 0).any())
    if video:
        if m.fps is None:
            raise DynresError(f"{args.manifest}: rows with frames need an fps column")
        if "total_frames" not in spec.options:
            raise DynresError(f"model {spec.name!r} does not plan videos; remove the frames column")
        overrides = {**overrides, "total_frames": m.frames, "video_fps": m.fps}
    tokens = spec.num_tokens_many(m.height, m.width, errors="mask", **overrides)
    done()
    done = _stage(f"writing {args.output}", long_input)
    _write_csv(args.output, m, tokens)
    done()
    _summary(spec, m, tokens, overrides, args.budget)
    return 0


def _write_csv(path: Path, m: _manifest.Manifest, tokens: np.ndarray) -> None:
    cols: List[Tuple[str, List[Any]]] = [("height", m.height.tolist()), ("width", m.width.tolist())]
    if m.frames is not None:
        cols.append(("frames", m.frames.tolist()))
    if m.fps is not None:
        cols.append(("fps", [repr(float(v)) for v in m.fps]))
    cols.append(("num_tokens", tokens.tolist()))
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(name for name, _ in cols) + "\n")
        values = [v for _, v in cols]
        chunk = 200_000
        for start in range(0, len(m), chunk):
            part = [v[start : start + chunk] for v in values]
            f.write("\n".join(",".join(map(str, row)) for row in zip(*part)))
            f.write("\n")


def _summary(
    spec: models.ModelSpec,
    m: _manifest.Manifest,
    tokens: np.ndarray,
    overrides: Dict[str, Any],
    budget: Optional[int],
) -> None:
    ok = tokens >= 0
    good = tokens[ok]
    n_video = int((m.frames > 0).sum()) if m.frames is not None else 0
    lines = [
        f"model      {spec.name}",
        f"rows       {len(m):,} ({len(m) - n_video:,} images, {n_video:,} videos)",
    ]
    if good.size:
        p50, p90, p99 = np.percentile(good, [50, 90, 99], method="nearest")
        lines += [
            f"tokens     total {int(good.sum()):,}, mean {good.mean():,.1f}",
            f"           p50 {int(p50):,}  p90 {int(p90):,}  p99 {int(p99):,}  "
            f"max {int(good.max()):,}  min {int(good.min()):,}",
        ]
    if budget is not None:
        over = int((good > budget).sum())
        lines.append(
            f"over budget {over:,} rows exceed {budget:,} tokens "
            f"({100.0 * over / max(len(m), 1):.2f} %)"
        )
    refused = np.flatnonzero(~ok)
    if refused.size:
        i = int(refused[0])
        try:
            kw = {k: v for k, v in overrides.items() if k not in ("total_frames", "video_fps")}
            if m.frames is not None and m.frames[i] > 0:
                kw.update(total_frames=int(m.frames[i]), video_fps=float(m.fps[i]))  # type: ignore[index]
            spec.plan(int(m.height[i]), int(m.width[i]), **kw)
            why = ""
        except DynresError as e:
            why = f": {e}"
        lines.append(
            f"refused    {refused.size:,} rows (num_tokens = -1), first is row {i} "
            f"(0-based, {m.height[i]}x{m.width[i]}){why}"
        )
    print("\n".join(lines))


# --------------------------------------------------------------------------------- show


def cmd_show(args: argparse.Namespace) -> int:
    """``dynres-fast show FILE -o out.png``: an image, or a video file as a contact sheet
    of the frames the model samples."""
    from . import _show

    spec, overrides = _spec(args)
    if args.file.suffix.lower() in VIDEO_SUFFIXES:
        canvas, plan = show_video(spec, args.file, overrides, patches=args.patches)
    else:
        h, w = image_size(args.file)
        plan = spec.plan(h, w, **overrides)
        canvas = _show.render(args.file, plan, spec, patches=args.patches)
    try:
        canvas.save(args.output)
    except (OSError, ValueError) as e:
        raise DynresError(f"{args.output}: cannot write the picture ({e})") from None
    print(f"{args.output}: {canvas.width}x{canvas.height} picture, {plan.num_tokens} tokens")
    return 0


def show_video(
    spec: models.ModelSpec, path: Path, overrides: Dict[str, Any], *, patches: bool
) -> Tuple[Any, Any]:
    """``(contact sheet, plan)`` of a video file: probed, sampled as ``plan`` samples it
    (qwen-vl-utils' rule at the model's fps), only those frames decoded, drawn by the
    family's ``draw_video``."""
    draw = getattr(spec.family, "draw_video", None)
    if "total_frames" not in spec.options or draw is None:
        raise DynresError(f"{path}: model {spec.name!r} does not plan video files here")
    io.check_regular_file(path, "video")
    try:
        from . import video

        info = video.probe(path)
    except ImportError as e:
        raise DynresError(f"{path}: cannot read video: {e}") from None
    plan = spec.plan(
        info.height, info.width, total_frames=info.num_frames, video_fps=info.fps, **overrides
    )
    proc = spec.processor(**overrides)
    idx = video.sample_indices(
        info.num_frames, rule="qwen_vl_utils", video_fps=info.fps, fps=proc.fps
    )
    frames = video.read_frames(path, idx)
    canvas = draw(
        frames,
        plan,
        spec.name,
        frame_indices=idx,
        video_fps=info.fps,
        temporal_patch_size=proc.temporal_patch_size,
        patches=patches,
    )
    return canvas, plan


COMMANDS: Dict[str, Callable[[argparse.Namespace], int]] = {
    "plan": cmd_plan,
    "count": cmd_count,
    "show": cmd_show,
}
