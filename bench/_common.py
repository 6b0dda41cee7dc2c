"""Timing helpers shared by the benchmarks: medians, a machine line, the test photo and
transformers 4.57 timings from a separate virtualenv."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

BENCH = Path(__file__).resolve().parent
SAMPLE = BENCH.parent / "python" / "dynres_fast" / "samples" / "rocket.jpg"
# A virtualenv with transformers 4.57 (no torch), for the 4.57 slow-processor column.
VENV4 = Path(os.environ.get("DYNRES_BENCH_VENV4", "/work/venvs/perf4"))


def median_seconds(
    fn: Callable[[], object],
    repeat: int = 7,
    warmup: int = 1,
    clock: Callable[[], float] = time.thread_time,
) -> float:
    """Median time of ``fn()`` over ``repeat`` runs after ``warmup`` runs.

    The default clock is the calling thread's CPU time (user + kernel, page faults
    included): on a machine shared with other work it does not count the time the thread
    waits for a core, so single-threaded figures stay comparable between runs. Anything
    that runs on other threads must pass ``clock=time.perf_counter`` (wall time)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    times.sort()
    return times[len(times) // 2]


def machine() -> str:
    """One line naming the CPU, core count and Python."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A Markdown table."""
    out: List[str] = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def photo(h: int, w: int) -> Any:
    """The bundled photograph scaled to (h, w) with a little sensor noise (uint8 HWC)."""
    import numpy as np
    from PIL import Image

    with Image.open(SAMPLE) as im:
        base = np.asarray(im.convert("RGB").resize((w, h), Image.BICUBIC), dtype=np.int16)
    noise = np.random.default_rng(0).integers(-3, 4, base.shape, dtype=np.int16)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def ms(seconds: Optional[float]) -> str:
    """Milliseconds with one decimal, or n/a."""
    return "n/a" if seconds is None else f"{seconds * 1e3:.1f}"


def ratio(slow: Optional[float], fast: float) -> str:
    """``slow / fast`` as ``N.Nx``, or n/a."""
    return "n/a" if slow is None else f"{slow / fast:.1f}x"


def transformers4_times(cases: List[Dict[str, Any]], repeat: int) -> List[Optional[float]]:
    """Median seconds of transformers 4.57's slow processors on ``cases`` (see
    ``_upstream457.py``), timed in a subprocess of the ``VENV4`` virtualenv; ``None`` each
    when that virtualenv is missing or fails."""
    python = VENV4 / "bin" / "python"
    if not python.exists():
        print(f"note: no {python}; the 4.57 column is n/a", file=sys.stderr)
        return [None] * len(cases)
    job = json.dumps({"cases": cases, "repeat": repeat})
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    run = subprocess.run(
        [str(python), str(BENCH / "_upstream457.py")],
        input=job,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if run.returncode != 0:
        print(f"note: 4.57 timing failed:\n{run.stderr[-2000:]}", file=sys.stderr)
        return [None] * len(cases)
    return list(json.loads(run.stdout))
