"""examples/ray_preprocess.py: its map function always, the whole Ray pipeline when Ray is
installed (``pip install 'ray[data]'``; skipped otherwise)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dynres_fast import io, qwen2vl

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ray_preprocess.py"


def _example():
    spec = importlib.util.spec_from_file_location("ray_preprocess", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _local(paths, **kw):
    """What the pipeline must produce, one direct processor call per image."""
    proc = qwen2vl.ImageProcessor.qwen2_5_vl(**kw)
    return [proc(io.decode(Path(p).read_bytes())) for p in paths]


def test_preprocess_batch_equals_the_processor():
    ex = _example()
    paths = ex.sample_paths(1) + ex.sample_paths(1)[:2]
    batch = {
        "bytes": np.array([Path(p).read_bytes() for p in paths], dtype=object),
        "path": np.array(paths),
    }
    out = ex.preprocess_batch(batch, max_pixels=200_000)
    want = _local(paths, max_pixels=200_000)
    assert len(out["pixel_values"]) == len(paths) == len(out["num_tokens"])
    for i, w in enumerate(want):
        np.testing.assert_array_equal(out["pixel_values"][i], w["pixel_values"])
        np.testing.assert_array_equal(out["image_grid_thw"][i], w["image_grid_thw"][0])
        t, h, gw = w["image_grid_thw"][0]
        assert out["num_tokens"][i] == t * h * gw // 4
    assert out["path"].tolist() == paths
    assert "path" not in ex.preprocess_batch({"bytes": batch["bytes"][:1]})


def test_pipeline_on_a_local_ray_instance():
    pytest.importorskip("ray")
    ex = _example()
    repeat = 3
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), "--repeat", str(repeat), "--batch-size", "5"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    want = _local(ex.sample_paths(1))
    rows = [w["pixel_values"].shape[0] for w in want]
    assert summary["images"] == repeat * len(want)
    assert summary["pixel_rows"] == repeat * sum(rows)
    assert summary["num_tokens"] == repeat * sum(r // 4 for r in rows)
    pixel_sum = repeat * sum(float(w["pixel_values"].sum(dtype=np.float64)) for w in want)
    assert summary["pixel_sum"] == pytest.approx(pixel_sum, rel=1e-12)
