"""Qwen2-VL preprocessing on Ray Data: encoded images in, model-ready features out.

    python examples/ray_preprocess.py [--repeat 64] [--batch-size 16] [--output DIR]

Reads the bundled sample photos (``--repeat`` times each) with ``read_binary_files`` — on
a cluster, point it at ``s3://…`` or any directory instead — and maps them through
:func:`preprocess_batch` with ``map_batches``: one decode per image and one dynres_fast
processor call per batch, the GIL released in both. Ray streams blocks from the read
tasks into the map tasks and spreads both over every CPU of every node it has. Each
output row holds the image's ``pixel_values`` (its own ``(t·h·w, 1176)`` block),
``image_grid_thw`` and ``num_tokens``. ``--output`` writes them as Parquet.

Runs on a local Ray instance (``ray.init(num_cpus=2)``, no dashboard, services on the
loopback address, usage reporting off) and prints one JSON summary line. To join a
running cluster instead, call ``ray.init(address="auto")``. Needs ``pip install 'ray[data]'``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

import dynres_fast
from dynres_fast import io, qwen2vl

SAMPLES = Path(dynres_fast.__file__).parent / "samples"


def preprocess_batch(batch: Dict[str, np.ndarray], **processor_kwargs: Any) -> Dict[str, Any]:
    """``map_batches`` function: a batch of encoded images → their Qwen2-VL features.

    ``batch`` is Ray's NumPy format with a ``bytes`` column (what ``read_binary_files``
    gives) and optionally ``path``. One decode per image and one processor call for the
    whole batch; ``processor_kwargs`` override :meth:`ImageProcessor.qwen2_5_vl`.

    Returns:
        Per image: ``pixel_values`` (its own ``(t·h·w, 1176)`` block), ``image_grid_thw``
        ``(3,)``, ``num_tokens``, and ``path`` when given.
    """
    proc = qwen2vl.ImageProcessor.qwen2_5_vl(**processor_kwargs)  # 7 µs: no need to cache
    out = proc([io.decode(data) for data in batch["bytes"]])
    grid = out["image_grid_thw"]
    rows = grid.prod(axis=1)
    result: Dict[str, Any] = {
        "pixel_values": np.split(out["pixel_values"], np.cumsum(rows)[:-1]),
        "image_grid_thw": grid,
        "num_tokens": rows // proc.merge_size**2,
    }
    if "path" in batch:
        result["path"] = batch["path"]
    return result


def sample_paths(repeat: int) -> List[str]:
    """The bundled sample photos, each listed ``repeat`` times."""
    return [str(p) for p in sorted(SAMPLES.glob("*.jpg"))] * repeat


def main(argv: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=64, help="copies of each sample photo")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--num-cpus", type=int, default=2)
    parser.add_argument("--output", help="write the features as Parquet to this directory")
    args = parser.parse_args(argv)

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves the host
    # A single-machine instance: bind Ray's services to the loopback address (Ray otherwise
    # picks the host's outward-facing address, as a cluster head needs).
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        print("Ray is not installed: pip install 'ray[data]'", file=sys.stderr)
        return 1

    ray.init(
        num_cpus=args.num_cpus,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        t0 = time.perf_counter()
        ds = ray.data.read_binary_files(sample_paths(args.repeat), include_paths=True)
        ds = ds.map_batches(preprocess_batch, batch_size=args.batch_size, batch_format="numpy")
        if args.output:
            ds = ds.materialize()
            ds.write_parquet(args.output)
        images = tokens = rows = 0
        pixel_sum = 0.0
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            images += len(batch["num_tokens"])
            tokens += int(batch["num_tokens"].sum())
            for pv in batch["pixel_values"]:
                rows += pv.shape[0]
                pixel_sum += float(pv.sum(dtype=np.float64))
        seconds = time.perf_counter() - t0
    finally:
        ray.shutdown()
    summary = {
        "images": images,
        "num_tokens": tokens,
        "pixel_rows": rows,
        "pixel_sum": pixel_sum,
        "seconds": round(seconds, 3),
        "images_per_second": round(images / seconds, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
