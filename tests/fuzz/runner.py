"""Runs probes in isolated processes and classifies what happened (see the package doc).

A worker (``python -m tests.fuzz.runner``) imports NumPy, Pillow and dynres_fast once,
then reads probes as JSON lines on stdin and forks one child per probe. The child lowers
its address-space limit, runs the probe and writes one JSON line about the outcome to a
pipe; the worker waits for it with a timeout, kills it if it hangs, reads its peak RSS
from ``wait4`` and answers with one JSON line on stdout.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, Iterator, List, Optional

CLASSES = ("crash", "hang", "memory", "wrong", "unclear", "broken", "clean")


class Unclear(AssertionError):
    """Raised by a check when the outcome is a refusal whose message is not good enough
    (classified ``unclear``, not ``wrong``)."""


@dataclass(frozen=True)
class Probe:
    """One hostile call.

    ``code`` runs with ``np``, ``dynres_fast`` (and its submodules by name) in scope and
    may set ``result``; ``check`` (optional) runs afterwards with ``result`` in scope and
    raises ``AssertionError`` when the result is wrong. ``names``: words of which at least
    one must appear in an error message (the hostile argument's name); empty = any
    message. ``setup`` runs first; an error there marks the probe ``broken``.
    """

    name: str
    code: str
    names: tuple = ()
    check: str = ""
    setup: str = ""
    #: Needs torch (the transformers drop-ins, ``fetch_video``): runs on the one worker that
    #: has imported transformers and torch (forking a process holding them is slow, so the
    #: others do not, and importing them in every child is slower still).
    heavy: bool = False

    def to_json(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "code": self.code,
                "names": list(self.names),
                "check": self.check,
                "setup": self.setup,
            }
        )


@dataclass
class Outcome:
    probe: Probe
    cls: str
    detail: str
    seconds: float
    rss_mib: float


@dataclass
class Limits:
    """Per-probe limits: address space, runaway RSS threshold, wall time. A probe may
    legitimately fill one buffer of up to the library's 4 GiB limit; under a 4 GiB
    address space that allocation fails cleanly (``MemoryError``)."""

    mem_bytes: int = 4 << 30
    rss_bytes: int = 3 << 30
    timeout: float = 20.0


@dataclass
class Report:
    outcomes: List[Outcome] = field(default_factory=list)

    def counts(self) -> Dict[str, int]:
        c = Counter(o.cls for o in self.outcomes)
        return {k: c.get(k, 0) for k in CLASSES}

    def failures(self) -> List[Outcome]:
        return [o for o in self.outcomes if o.cls != "clean"]


# --------------------------------------------------------------------------- child side


def _namespace() -> dict:
    import numpy as np

    import dynres_fast
    import dynres_fast.auto
    import dynres_fast.pool
    from dynres_fast import (
        batch,
        cache,
        cli,
        errors,
        internvl,
        io,
        llava_onevision,
        models,
        ops,
        oryx,
        pack,
        pixtral,
        qwen2vl,
        rope,
        video,
    )

    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if tests not in sys.path:
        sys.path.insert(0, tests)
    import reference.internvl
    import reference.llava_onevision
    import reference.oryx
    import reference.qwen2vl
    import reference.rope
    from . import data

    return {
        "Unclear": Unclear,
        "data": data,
        "ref_internvl": reference.internvl,
        "ref_llava_onevision": reference.llava_onevision,
        "ref_oryx": reference.oryx,
        "ref_qwen2vl": reference.qwen2vl,
        "ref_rope": reference.rope,
        "np": np,
        "dynres_fast": dynres_fast,
        "batch": batch,
        "cli": cli,
        "errors": errors,
        "internvl": internvl,
        "io": io,
        "llava_onevision": llava_onevision,
        "ov": llava_onevision,
        "models": models,
        "ops": ops,
        "oryx": oryx,
        "pack": pack,
        "qwen2vl": qwen2vl,
        "rope": rope,
        "pixtral": pixtral,
        "video": video,
        "cache": cache,
        "dropins": _DropIns(),
        "upstream": _DropIns(upstream=True),
    }


class _DropIns:
    """The transformers drop-in classes (or upstream's of the same names), imported on
    first use; the worker touches them once before forking so that children share them."""

    def __init__(self, upstream: bool = False):
        self._upstream = upstream

    def __getattr__(self, name: str):
        if self._upstream:
            import transformers as module
        else:
            import dynres_fast.transformers as module  # type: ignore[no-redef]
        return getattr(module, name)


def _classify_exception(e: BaseException, names: List[str]) -> dict:
    from dynres_fast import DynresError

    kind = type(e).__name__
    msg = str(e)
    if isinstance(e, MemoryError):
        return {"cls": "clean", "detail": f"MemoryError: {msg}"[:300]}
    if isinstance(e, (TypeError, DynresError)):
        if names and not any(n.lower() in msg.lower() for n in names):
            return {"cls": "unclear", "detail": f"{kind} not naming {names}: {msg}"[:300]}
        return {"cls": "clean", "detail": f"{kind}: {msg}"[:300]}
    tb = traceback.extract_tb(e.__traceback__)
    where = f" at {tb[-1].filename}:{tb[-1].lineno}" if tb else ""
    return {"cls": "unclear", "detail": f"{kind}{where}: {msg}"[:300]}


def _run_in_child(spec: dict, ns: dict, mem_bytes: int) -> dict:
    resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
    scope = dict(ns)
    try:
        exec(spec["setup"], scope)
    except BaseException as e:  # noqa: BLE001 - the harness reports everything
        return {"cls": "broken", "detail": f"setup: {type(e).__name__}: {e}"[:300]}
    try:
        exec(spec["code"], scope)
    except BaseException as e:  # noqa: BLE001
        return _classify_exception(e, spec["names"])
    if spec["check"]:
        try:
            exec(spec["check"], scope)
        except Unclear as e:
            return {"cls": "unclear", "detail": f"check: {e}"[:300]}
        except AssertionError as e:
            return {"cls": "wrong", "detail": f"check failed: {e}"[:300]}
        except BaseException as e:  # noqa: BLE001
            return {"cls": "broken", "detail": f"check: {type(e).__name__}: {e}"[:300]}
    return {"cls": "clean", "detail": "returned"}


def _fork_probe(spec: dict, ns: dict, limits: Limits) -> dict:
    """Runs one probe in a forked child; returns its classified outcome."""
    r, w = os.pipe()
    err_r, err_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(r)
            os.close(err_r)
            os.dup2(err_w, 2)
            os.dup2(err_w, 1)  # stdout is the worker's answer channel
            out = _run_in_child(spec, ns, limits.mem_bytes)
            os.write(w, json.dumps(out).encode())
        finally:
            os._exit(0)
    os.close(w)
    os.close(err_w)
    chunks: List[bytes] = []
    err: List[bytes] = []
    fds = [r, err_r]
    deadline = start + limits.timeout
    hung = False
    while fds:
        left = deadline - time.monotonic()
        if left <= 0:
            hung = True
            os.kill(pid, signal.SIGKILL)
            break
        ready, _, _ = select.select(fds, [], [], min(left, 0.5))
        for fd in ready:
            data = os.read(fd, 65536)
            if not data:
                fds.remove(fd)
            elif fd == r:
                chunks.append(data)
            elif sum(map(len, err)) < 1 << 16:
                err.append(data)
    _, status, usage = os.wait4(pid, 0)
    os.close(r)
    os.close(err_r)
    seconds = time.monotonic() - start
    rss = usage.ru_maxrss * 1024
    stderr = b"".join(err).decode(errors="replace").strip()
    if hung:
        out = {"cls": "hang", "detail": f"no answer within {limits.timeout:g} s"}
    elif chunks:
        out = json.loads(b"".join(chunks))
    else:
        if os.WIFSIGNALED(status):
            how = f"killed by signal {os.WTERMSIG(status)}"
        else:
            how = f"exit status {os.WEXITSTATUS(status)}"
        out = {"cls": "crash", "detail": f"{how}: {stderr[-300:]}"}
    if out["cls"] in ("clean", "unclear", "wrong") and rss > limits.rss_bytes:
        out = {"cls": "memory", "detail": f"peak RSS {rss >> 20} MiB; {out['detail']}"[:300]}
    out["seconds"] = seconds
    out["rss_mib"] = rss / 2**20
    return out


def worker_main() -> None:
    """The worker loop: one JSON probe per stdin line, one JSON outcome per stdout line."""
    limits = Limits(*json.loads(sys.argv[1])) if len(sys.argv) > 1 else Limits()
    ns = _namespace()
    # Pillow and a decoded sample warm up lazily-imported plugins before forking.
    import PIL.Image  # noqa: F401
    import PIL.JpegImagePlugin  # noqa: F401
    import PIL.PngImagePlugin  # noqa: F401

    ns["data"].video_file(0)  # PyAV loads once here rather than in every child
    if len(sys.argv) > 2 and sys.argv[2] == "heavy":
        for name in ("Qwen2VLImageProcessor", "Qwen2VLVideoProcessor"):
            getattr(ns["dropins"], name)
            getattr(ns["upstream"], name)

    for line in sys.stdin:
        spec = json.loads(line)
        try:
            out = _fork_probe(spec, ns, limits)
        except OSError as e:
            out = {"cls": "broken", "detail": f"harness: {e}", "seconds": 0.0, "rss_mib": 0.0}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


# -------------------------------------------------------------------------- parent side


def run(
    probes: Iterable[Probe],
    *,
    jobs: int = 2,
    limits: Optional[Limits] = None,
    progress: bool = False,
) -> Report:
    """Runs every probe on ``jobs`` workers; returns the classified outcomes."""
    limits = limits or Limits()
    arg = json.dumps([limits.mem_bytes, limits.rss_bytes, limits.timeout])
    env = dict(os.environ, PYTHONHASHSEED="0")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    todo = list(probes)
    light = [p for p in todo if not p.heavy]
    heavy = [p for p in todo if p.heavy]
    kinds = ["light"] * max(1, jobs) + (["heavy"] if heavy else [])
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz.runner", arg, kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
            env=env,
        )
        for kind in kinds
    ]
    report = Report()
    queues: Dict[str, Iterator[Probe]] = {"light": iter(light), "heavy": iter(heavy)}
    busy: Dict[int, Probe] = {}

    def feed(i: int) -> bool:
        p = next(queues[kinds[i]], None)
        if p is None:
            return False
        busy[i] = p
        stdin = workers[i].stdin
        assert stdin is not None
        stdin.write(p.to_json() + "\n")
        stdin.flush()
        return True

    for i in range(len(workers)):
        feed(i)
    by_fd = {w.stdout.fileno(): i for i, w in enumerate(workers) if w.stdout}
    done = 0
    while busy:
        ready, _, _ = select.select([workers[i].stdout for i in busy], [], [])
        for f in ready:
            i = by_fd[f.fileno()]
            line = f.readline()
            probe = busy.pop(i)
            if not line:
                raise RuntimeError(f"fuzz worker {i} died while running {probe.name}")
            out = json.loads(line)
            report.outcomes.append(
                Outcome(probe, out["cls"], out["detail"], out["seconds"], out["rss_mib"])
            )
            done += 1
            if progress and done % 500 == 0:
                print(f"{done} probes: {report.counts()}", file=sys.stderr, flush=True)
            feed(i)
    for w in workers:
        assert w.stdin is not None
        w.stdin.close()
        w.wait()
    return report


if __name__ == "__main__":
    worker_main()
