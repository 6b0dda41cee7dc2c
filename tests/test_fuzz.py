"""The short CI run of the hostile-input harness (``tests/fuzz``): every hand-written
reproducer plus a fixed selection of generated and mutated-file probes, each isolated in
its own process. Any outcome but ``clean`` fails, listed with the probe's code."""

import itertools
import os

from fuzz.probes import CLI, HANDWRITTEN, catalogue
from fuzz.runner import Limits, run

#: Probes in the CI run (about two minutes on two cores); the long local run is
#: ``python -m tests.fuzz --probes 20000``.
SHORT_RUN = int(os.environ.get("DYNRES_FUZZ_PROBES", "1200"))


def test_short_fuzz_run_is_clean():
    probes = list(itertools.islice(catalogue(seed=12), len(HANDWRITTEN) + len(CLI) + SHORT_RUN))
    # As the long run: a legitimate output may reach the 4 GiB per-buffer limit (a
    # 65536-frame video of small frames), so "runaway" is peak RSS past 5 GiB.
    report = run(probes, jobs=2, limits=Limits(mem_bytes=6 << 30, rss_bytes=5 << 30, timeout=20))
    bad = report.failures()
    assert not bad, f"{report.counts()}\n" + "\n".join(
        f"[{o.cls}] {o.probe.name}: {o.detail}\n    {o.probe.setup}\n    {o.probe.code}"
        for o in bad
    )
