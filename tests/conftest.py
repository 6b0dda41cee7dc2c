"""Shared test configuration: Hypothesis profiles and paths to the test data."""

import json
import os
import sys
import threading
import time
from pathlib import Path

from hypothesis import HealthCheck, settings

DATA = Path(__file__).parent / "data"


def golden_cases(name: str) -> dict:
    """The cases of a golden JSON file in tests/data (its ``_env``-style keys left out)."""
    return {k: v for k, v in json.loads((DATA / name).read_text()).items() if not k.startswith("_")}


settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _count_until(stop: threading.Event, counter: list) -> None:
    while not stop.is_set():
        counter[0] += 1
        if counter[0] % 256 == 0:
            time.sleep(0)  # hand the GIL over if the worker is waiting for it


def gil_free_fraction(call) -> float:
    """The share of ``call``'s run time during which the main thread kept running Python.

    ``call`` runs in a worker thread while the main thread counts; the worker reads the
    count just before and just after ``call``. The counting rate is calibrated first, so the
    result does not depend on the machine's speed. While ``call`` runs, the interpreter's
    switch interval is raised to 2 s and the counting loop hands the GIL over every 256
    counts, so the worker gets the GIL whenever it asks and the main thread can never take it
    from the worker: a kernel that holds the GIL leaves the count exactly still (0), one that
    releases it lets the main thread count at once — about 1 on an idle machine, less the
    more other jobs share the cores.
    """
    stop, counter = threading.Event(), [0]
    timer = threading.Timer(0.05, stop.set)
    t0 = time.perf_counter()
    timer.start()
    _count_until(stop, counter)
    rate = counter[0] / (time.perf_counter() - t0)

    stop, counter, result = threading.Event(), [0], {}

    def worker():
        before, t = counter[0], time.perf_counter()
        call()
        result["dt"], result["count"] = time.perf_counter() - t, counter[0] - before
        stop.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(2.0)
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        _count_until(stop, counter)
        thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert result["dt"] > 0.05, f"call took {result['dt']:.3f} s, too short to tell"
    return result["count"] / (rate * result["dt"])
