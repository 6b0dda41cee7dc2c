"""The GIL is released around kernels, the opt-in pool agrees with one thread, fork is safe."""

import multiprocessing as mp
import os
import threading
import time

import numpy as np
import pytest

import dynres_fast
from dynres_fast import qwen2vl

from conftest import gil_free_fraction


def test_the_gil_probe_sees_a_held_gil():
    """A call that never releases the GIL reads exactly 0, so the 0.05 bar below can fail."""
    def held():
        t = time.perf_counter()
        while time.perf_counter() - t < 0.2:
            pass

    assert gil_free_fraction(held) == 0.0


def test_plans_release_the_gil():
    hs = np.random.default_rng(0).integers(64, 4000, 3_000_000)

    def call():
        for _ in range(3):
            qwen2vl.smart_resize_many(hs, hs[::-1].copy())

    assert gil_free_fraction(call) > 0.05


def test_pixels_release_the_gil():
    img = np.random.default_rng(1).integers(0, 256, (2000, 3000, 3), dtype=np.uint8)
    proc = qwen2vl.ImageProcessor.qwen2_5_vl()
    assert gil_free_fraction(lambda: [proc(img) for _ in range(3)]) > 0.05


def test_threads_give_the_same_numbers():
    rng = np.random.default_rng(2)
    images = [
        rng.integers(0, 256, (rng.integers(30, 400), rng.integers(30, 400), 3), np.uint8)
        for _ in range(12)
    ]
    big = rng.integers(0, 256, (1500, 2100, 3), np.uint8)  # one image: banded kernels
    images.append(big)
    proc = qwen2vl.ImageProcessor.qwen2_5_vl()
    one = proc(images)["pixel_values"]
    try:
        dynres_fast.set_num_threads(2)
        assert dynres_fast.get_num_threads() == 2
        np.testing.assert_array_equal(proc(images)["pixel_values"], one)
        results = [None] * 4

        def run(i):
            results[i] = proc(images)["pixel_values"]

        threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            np.testing.assert_array_equal(r, one)
    finally:
        dynres_fast.set_num_threads(1)


def _child(queue):
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (200, 300, 3), np.uint8) for _ in range(6)]
    out = qwen2vl.ImageProcessor()(images)["pixel_values"]
    queue.put(float(out.sum()))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_pool_survives_fork():
    dynres_fast.set_num_threads(2)
    try:
        ctx = mp.get_context("fork")
        queue = ctx.Queue()
        _child(queue)  # builds the pool in the parent
        want = queue.get(timeout=30)
        p = ctx.Process(target=_child, args=(queue,))
        p.start()
        p.join(timeout=120)
        assert p.exitcode == 0, "child hung or crashed after fork"
        assert queue.get(timeout=30) == want
    finally:
        dynres_fast.set_num_threads(1)


def test_set_num_threads_checks_its_argument():
    with pytest.raises(TypeError):
        dynres_fast.set_num_threads(1.5)
    with pytest.raises(dynres_fast.DynresError):
        dynres_fast.set_num_threads(0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_while_other_threads_resize_the_pool():
    """Forks land at arbitrary moments while two threads change the thread count and run
    pooled kernels; every child gets the parent's numbers in bounded time (no lock left
    held, no stale pool) and the parent keeps working."""
    img = np.random.default_rng(4).integers(0, 256, (600, 500, 3), np.uint8)
    want = dynres_fast.ops.resize(img, 211, 163)
    stop = threading.Event()

    def churn(k):
        i = 0
        while not stop.is_set():
            dynres_fast.set_num_threads(2 + (i + k) % 3)
            np.testing.assert_array_equal(dynres_fast.ops.resize(img, 211, 163), want)
            i += 1

    threads = [threading.Thread(target=churn, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    bad = []
    try:
        for n in range(40):
            pid = os.fork()
            if pid == 0:  # child: one pooled call, a bounded wait via alarm
                import signal

                signal.alarm(20)
                dynres_fast.set_num_threads(2 + n % 2)
                ok = np.array_equal(dynres_fast.ops.resize(img, 211, 163), want)
                os._exit(0 if ok else 1)
            _, status = os.waitpid(pid, 0)
            if status != 0:
                bad.append((n, status))
    finally:
        stop.set()
        for t in threads:
            t.join()
        dynres_fast.set_num_threads(1)
    assert not bad, f"children that hung (signal 14) or differed: {bad}"
