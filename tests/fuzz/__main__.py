"""``python -m tests.fuzz --probes 20000``: the long local run of the hostile-input harness.

Prints the count per class and every probe that was not clean; ``--json`` writes the
full outcomes. The exit status is 1 when anything was not clean.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time

from .probes import catalogue
from .runner import CLASSES, Limits, run


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    ap.add_argument("--probes", type=int, default=2000, help="how many probes (default 2000)")
    ap.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel workers (default 2)")
    ap.add_argument("--mem-gb", type=float, default=6.0, help="address-space limit per probe")
    ap.add_argument(
        "--rss-gb",
        type=float,
        default=5.0,
        help="peak RSS counted as runaway (default 5: past the 4 GiB per-buffer limit)",
    )
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per probe")
    ap.add_argument("--json", help="write every outcome to this file")
    a = ap.parse_args(argv)
    limits = Limits(int(a.mem_gb * 2**30), int(a.rss_gb * 2**30), a.timeout)
    start = time.monotonic()
    probes = itertools.islice(catalogue(a.seed), a.probes)
    report = run(probes, jobs=a.jobs, limits=limits, progress=True)
    took = time.monotonic() - start
    for o in report.failures():
        print(f"[{o.cls}] {o.probe.name}: {o.detail}")
    counts = report.counts()
    print(
        f"{len(report.outcomes)} probes in {took:.0f} s (seed {a.seed}): "
        + ", ".join(f"{k} {counts[k]}" for k in CLASSES)
    )
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(
                [
                    {
                        "name": o.probe.name,
                        "class": o.cls,
                        "detail": o.detail,
                        "seconds": round(o.seconds, 3),
                        "rss_mib": round(o.rss_mib, 1),
                        "code": o.probe.code,
                        "setup": o.probe.setup,
                    }
                    for o in report.outcomes
                ],
                f,
                indent=1,
            )
    return 0 if counts["clean"] == len(report.outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
