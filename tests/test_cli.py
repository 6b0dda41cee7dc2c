"""The ``dynres-fast`` command line, run as a subprocess on real files."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dynres_fast import internvl, llava_onevision, models, oryx, qwen2vl
from dynres_fast.cli import sample_images

SAMPLES = sample_images()
PYTHONPATH = str(Path(qwen2vl.__file__).parent.parent)


def run(*args: object, ok: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": PYTHONPATH}
    r = subprocess.run(
        [sys.executable, "-m", "dynres_fast", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in r.stderr, r.stderr
    if ok:
        assert r.returncode == 0, r.stderr
    return r


BUDGETS = {  # name -> (factor, min_pixels, max_pixels, patch)
    "qwen2-vl": (28, 3136, 12845056, 14),
    "qwen2.5-vl": (28, 3136, 12845056, 14),
    "qwen3-vl": (32, 65536, 16777216, 16),
    "qwen2-vl-default": (28, 3136, 1003520, 14),
}


@pytest.mark.parametrize("model", sorted(BUDGETS))
def test_plan_json_matches_smart_resize(model: str) -> None:
    r = run("plan", *SAMPLES, "--model", model, "--json")
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [rec["file"] for rec in recs] == [str(p) for p in SAMPLES]
    factor, lo, hi, patch = BUDGETS[model]
    for rec, path in zip(recs, SAMPLES):
        with Image.open(path) as im:
            assert (rec["height"], rec["width"]) == (im.height, im.width)
        rh, rw = qwen2vl.smart_resize(
            rec["height"], rec["width"], factor=factor, min_pixels=lo, max_pixels=hi
        )
        assert rec["resized"] == [rh, rw]
        assert rec["grid_thw"] == [1, rh // patch, rw // patch]
        assert rec["num_tokens"] == (rh // patch) * (rw // patch) // 4


def test_plan_budget_override_and_table() -> None:
    r = run("plan", SAMPLES[0], "--model", "qwen2.5-vl", "--max-pixels", "50000", "--json")
    rec = json.loads(r.stdout)
    assert tuple(rec["resized"]) == qwen2vl.smart_resize(
        rec["height"], rec["width"], min_pixels=3136, max_pixels=50000
    )
    table = run("plan", *SAMPLES, "--model", "qwen3-vl").stdout
    assert "tokens" in table.splitlines()[0] and len(table.splitlines()) == 2 + len(SAMPLES)


def test_plan_bad_files_are_messages(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg" * 3)
    text = tmp_path / "notes.png"
    text.write_text("hello")
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    r = run(
        "plan",
        SAMPLES[0],
        corrupt,
        text,
        tmp_path / "missing.jpg",
        video,
        "--model",
        "qwen2-vl",
        "--json",
        ok=False,
    )
    assert r.returncode == 2
    assert len(r.stdout.splitlines()) == 1  # the good file still planned
    err = r.stderr
    assert f"{corrupt}:" in err and f"{text}:" in err and "missing.jpg: no such file" in err
    assert f"{video}:" in err and "video" in err


def test_unknown_model_lists_known_ones() -> None:
    r = run("plan", SAMPLES[0], "--model", "llava-9000", ok=False)
    assert r.returncode == 2
    for name in models.names():
        assert name in r.stderr


def test_show_draws_resized_canvas(tmp_path: Path) -> None:
    out = tmp_path / "grid.png"
    r = run("show", SAMPLES[1], "--model", "qwen2.5-vl", "-o", out, "--patches")
    plan = models.get("qwen2.5-vl").plan(*Image.open(SAMPLES[1]).size[::-1])
    assert f"{plan.num_tokens} tokens" in r.stdout
    with Image.open(out) as im:
        zoom = max(1, -(-320 // min(plan.resized)))
        assert im.width == plan.resized[1] * zoom
        assert im.height > plan.resized[0] * zoom  # the caption band
        px = np.asarray(im.convert("RGB"))
    # merge-window lines (yellow) sit every 28 resized pixels
    line = px[: plan.resized[0] * zoom, 28 * zoom]
    assert (line[:, 0] > 200).mean() > 0.9 and (line[:, 2] < 150).mean() > 0.9


def test_show_bad_inputs(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 10)
    r = run("show", bad, "--model", "qwen3-vl", "-o", tmp_path / "x.png", ok=False)
    assert r.returncode == 2 and "bad.png" in r.stderr


def _write_csv(path: Path, header: str, rows: list) -> None:
    path.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")


def test_count_csv_images_and_videos(tmp_path: Path) -> None:
    rows = [
        (480, 640, "", ""),
        (1080, 1920, 300, 30.0),
        (1, 200, 0, 0),
        (4000, 3000, "", ""),
        (720, 1280, 7200, 29.97),
    ]
    man, out = tmp_path / "m.csv", tmp_path / "o.csv"
    _write_csv(man, "height,width,frames,fps", rows)
    r = run("count", man, "--model", "qwen2.5-vl", "-o", out, "--budget", "1000")
    with open(out, newline="") as f:
        got = [int(rec["num_tokens"]) for rec in csv.DictReader(f)]
    spec = models.get("qwen2.5-vl")
    want = [
        spec.plan(h, w, total_frames=fr, video_fps=fp).num_tokens
        if fr
        else spec.plan(h, w).num_tokens
        for h, w, fr, fp in rows
    ]
    assert got == want
    assert f"{sum(want):,}" in r.stdout
    assert f"{sum(t > 1000 for t in want):,} rows exceed 1,000 tokens" in r.stdout


def test_count_jsonl(tmp_path: Path) -> None:
    man, out = tmp_path / "m.jsonl", tmp_path / "o.csv"
    man.write_text('{"height": 500, "width": 14}\n{"height": 98, "width": 98, "frames": null}\n')
    run("count", man, "--model", "qwen2-vl", "-o", out)
    got = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)[:, -1]
    assert got.tolist() == [models.get("qwen2-vl").plan(500, 14).num_tokens, 16]


@pytest.mark.parametrize(
    "header,rows,where",
    [
        ("height,width", [(480, 640), (480, "abc")], "line 3, column 'width'"),
        ("height,width", [(480, 640), ("", 640)], "line 3, column 'height'"),
        ("height,width", [(480, 640), (480.5, 640)], "line 3, column 'height'"),
        ("height,width", [(0, 640)], "line 2, column 'height'"),
        ("h,w", [(480, 640)], "missing column(s) height, width"),
    ],
)
def test_count_bad_manifest(tmp_path: Path, header: str, rows: list, where: str) -> None:
    man = tmp_path / "m.csv"
    _write_csv(man, header, rows)
    r = run("count", man, "--model", "qwen2-vl", "-o", tmp_path / "o.csv", ok=False)
    assert r.returncode == 2
    assert where in r.stderr


def test_count_bad_jsonl_and_types(tmp_path: Path) -> None:
    man = tmp_path / "m.jsonl"
    man.write_text('{"height": 5, "width": 5}\n{"height": "x", "width": 5}\n')
    r = run("count", man, "--model", "qwen2-vl", "-o", tmp_path / "o.csv", ok=False)
    assert r.returncode == 2 and "line 2, column 'height'" in r.stderr
    other = tmp_path / "m.xlsx"
    other.write_text("x")
    r = run("count", other, "--model", "qwen2-vl", "-o", tmp_path / "o.csv", ok=False)
    assert r.returncode == 2 and "unknown manifest type" in r.stderr


def test_count_parquet(tmp_path: Path) -> None:
    man = tmp_path / "m.parquet"
    man.write_bytes(b"PAR1")
    r = run("count", man, "--model", "qwen2-vl", "-o", tmp_path / "o.csv", ok=False)
    assert r.returncode == 2
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        assert "needs pyarrow" in r.stderr
    else:
        assert "not a readable Parquet file" in r.stderr


def test_count_one_million_rows(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rng = np.random.default_rng(7)
    n = 1_000_000
    hs, ws = rng.integers(16, 6000, n), rng.integers(16, 6000, n)
    man, out = tmp_path / "big.csv", tmp_path / "out.csv"
    man.write_text(
        "height,width\n" + "\n".join(f"{h},{w}" for h, w in zip(hs.tolist(), ws.tolist())) + "\n"
    )
    t0 = time.perf_counter()
    run("count", man, "--model", "qwen2.5-vl", "-o", out)
    elapsed = time.perf_counter() - t0
    got = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.int64)
    assert got[:, :2].tolist() == np.stack([hs, ws], 1).tolist()
    rh, rw = qwen2vl.smart_resize_many(hs, ws, min_pixels=3136, max_pixels=12845056, errors="mask")
    refused = np.maximum(hs, ws) / np.minimum(hs, ws) > 200
    assert refused.any() and np.array_equal(rh < 0, refused)
    assert np.array_equal(got[:, 2], np.where(refused, -1, (rh // 14) * (rw // 14) // 4))
    for i in rng.choice(np.flatnonzero(~refused), 200, replace=False):  # scalar reference
        h, w = qwen2vl.smart_resize(int(hs[i]), int(ws[i]), min_pixels=3136, max_pixels=12845056)
        assert got[i, 2] == (h // 14) * (w // 14) // 4
    with capsys.disabled():
        print(f"\n[count] 1,000,000-row CSV end to end (subprocess): {elapsed:.2f} s")


FAMILIES = {
    "internvl": internvl.plan,
    "llava-onevision": llava_onevision.plan,
    "oryx": oryx.plan,
}


@pytest.mark.parametrize("model", sorted(FAMILIES))
def test_family_plans_and_counts(model: str, tmp_path: Path) -> None:
    r = run("plan", *SAMPLES, "--model", model, "--json")
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    for rec in recs:
        assert rec["num_tokens"] == FAMILIES[model](rec["height"], rec["width"]).num_tokens
    manifest = tmp_path / "m.csv"
    manifest.write_text("height,width\n480,640\n1080,1920\n30,4000\n")
    out = tmp_path / "out.csv"
    run("count", manifest, "--model", model, "-o", out)
    got = [int(row["num_tokens"]) for row in csv.DictReader(out.open())]
    spec = models.get(model)
    assert got == spec.num_tokens_many([480, 1080, 30], [640, 1920, 4000], errors="mask").tolist()


@pytest.mark.parametrize("model", sorted(FAMILIES))
def test_family_show(model: str, tmp_path: Path) -> None:
    out = tmp_path / f"{model}.png"
    r = run("show", SAMPLES[2], "--model", model, "-o", out)
    plan = FAMILIES[model](*Image.open(SAMPLES[2]).size[::-1])
    assert f"{plan.num_tokens} tokens" in r.stdout
    with Image.open(out) as im:
        assert im.width > 300 and im.height > 300


def test_family_model_refuses_qwen_flags_and_videos(tmp_path: Path) -> None:
    r = run("plan", SAMPLES[0], "--model", "internvl", "--max-pixels", "1000", ok=False)
    assert r.returncode == 2 and "max_pixels" in r.stderr
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 64)
    r = run("plan", clip, "--model", "oryx", ok=False)
    assert r.returncode == 2 and "video" in r.stderr
    r = run("plan", SAMPLES[0], "--model", "internvl", "--max-num", "6", "--json")
    assert json.loads(r.stdout)["num_tokens"] > 0


def test_demo_runs_every_family_and_writes_pictures(tmp_path: Path) -> None:
    r = run("demo", "--out", tmp_path)
    for name in ("qwen2.5-vl", "internvl", "llava-onevision", "oryx", "M-RoPE"):
        assert name in r.stdout
    for path in SAMPLES:
        assert path.name in r.stdout
    pictures = sorted(tmp_path.glob("*.png"))
    assert len(pictures) == 4
    for p in pictures:
        assert str(p) in r.stdout
        with Image.open(p) as im:
            assert im.width > 300


def test_plan_video_files_counts_decoded_frames(tmp_path_factory) -> None:
    """Matroska has no frame count in its header; the plan uses the packets' count."""
    from video_clips import clip_path, decode_all

    clip = clip_path(tmp_path_factory, "h264_mkv")
    frames, _ = decode_all(str(clip))
    row = json.loads(run("plan", clip, "--model", "qwen2.5-vl", "--json").stdout)
    assert row["total_frames"] == len(frames)
    assert row["video_fps"] == float(30)


@pytest.mark.parametrize("model", ["qwen2.5-vl", "qwen3-vl"])
def test_show_video_draws_the_sampled_frames(model: str, tmp_path: Path, tmp_path_factory) -> None:
    """``show`` on a video: the frames qwen-vl-utils samples (decoded from the file),
    resized as the plan says, grouped by temporal patch, and the plan's token count."""
    from video_clips import clip_path, decode_all

    from dynres_fast import video

    clip = clip_path(tmp_path_factory, "h264_bframes")
    out = tmp_path / "sheet.png"
    r = run("show", clip, "--model", model, "-o", out, "--patches")
    info = video.probe(clip)
    plan = models.get(model).plan(
        info.height, info.width, total_frames=info.num_frames, video_fps=info.fps
    )
    assert f"{plan.num_tokens} tokens" in r.stdout
    idx = video.sample_indices(info.num_frames, rule="qwen_vl_utils", video_fps=info.fps, fps=2)
    assert len(idx) == plan.num_frames and plan.grid_thw[0] == -(-len(idx) // 2)
    frames = decode_all(str(clip))[0][idx]
    want = qwen2vl.draw_video(
        frames, plan, model, frame_indices=idx, video_fps=info.fps, patches=True
    )
    with Image.open(out) as im:
        np.testing.assert_array_equal(np.asarray(im.convert("RGB")), np.asarray(want))


def test_show_video_thumbnails_and_groups() -> None:
    """Each sampled frame is drawn resized to the plan's size (scaled to its cell) with
    its merge windows, and frames are boxed in temporal-patch groups."""
    from dynres_fast import _show

    plan = qwen2vl.plan(96, 160, total_frames=8, video_fps=2.0)
    rh, rw = plan.resized
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (plan.num_frames, 96, 160, 3), dtype=np.uint8)
    sheet = qwen2vl.draw_video(frames, plan, "q", frame_indices=range(8), video_fps=2.0)
    px = np.asarray(sheet)
    assert (px == _show.TILE_LINE[:3]).all(axis=2).sum() > 0  # group boxes
    frame0 = Image.fromarray(frames[0]).resize((rw, rh), Image.Resampling.BICUBIC)
    thumb = np.asarray(_show.thumbnail(frame0, [(28, _show.MERGE_LINE, 2)]))
    s = min(240 / max(rh, rw), max(1, -(-240 // max(rh, rw))))
    assert thumb.shape[:2] == (round(rh * s), round(rw * s))
    found = [
        (y, x)
        for y in range(px.shape[0] - thumb.shape[0])
        for x in range(px.shape[1] - thumb.shape[1])
        if px[y, x, 0] == thumb[0, 0, 0]
        and np.array_equal(px[y : y + 2, x : x + 2], thumb[:2, :2])
        and np.array_equal(px[y : y + thumb.shape[0], x : x + thumb.shape[1]], thumb)
    ]
    assert len(found) == 1  # frame 0's cell, once
    assert plan.grid_thw[0] == 4


def test_show_video_refused_by_image_only_models(tmp_path: Path, tmp_path_factory) -> None:
    from video_clips import clip_path

    clip = clip_path(tmp_path_factory, "h264_bframes")
    r = run("show", clip, "--model", "internvl", "-o", tmp_path / "x.png", ok=False)
    assert r.returncode == 2 and "does not plan video files" in r.stderr
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 64)
    r = run("show", bad, "--model", "qwen3-vl", "-o", tmp_path / "x.png", ok=False)
    assert r.returncode == 2 and "bad.mp4" in r.stderr
