"""All-England benchmark: one winter replication of every ICB's baseline (42 of them) on 2 cores.

The baselines are written by ``simcare new-icb --all`` into a temporary folder. The whole
2025/26 winter (October-March after the 52-week warm-up; ``--weeks N`` cuts each to N reported
weeks after 2 weeks' warm-up for a quick look) of each ICB is one task of a process pool of
``--workers`` processes, as a batch run makes it (``pipeline.replicate``: file -> KPI table).
Each worker first runs the BNSSG-sized ICB once so that numba's load and the first scenario
compile are not timed. In the same run, one replication of the shipped BNSSG baseline
(scenarios/bnssg/baseline_winter.yaml) in this process gives the ratio the issue asks for:
all England / BNSSG. Target (issue 14): all England under 60 s on 2 cores.

Usage: python benchmarks/all_england.py [--workers 2] [--weeks N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from simcare.icb.lookup import icbs
from simcare.icb.new import BASELINE, new_icb
from simcare.pipeline import replicate

BNSSG = Path(__file__).resolve().parents[1] / "scenarios" / "bnssg" / "baseline_winter.yaml"
TARGET_SECONDS = 60.0


def short(path: Path, weeks: int, name: str, out: Path) -> Path:
    """A file ``out`` extending ``path`` cut to ``weeks`` reported weeks ending 11 January 2026."""
    end = dt.date(2026, 1, 11)
    start = end - dt.timedelta(days=7 * weeks - 1)
    out.write_text(
        f"extends: {path}\nname: {name}\nrun:\n  start: {start}\n  end: {end}\n  warm_up: 2w\n",
        encoding="utf-8",
    )
    return out


def one(path: str) -> tuple[str, float, int]:
    """(file, seconds, KPI rows) of one replication."""
    started = time.perf_counter()
    rows = len(replicate(path, replication=0, seed=2025).kpis)
    return path, time.perf_counter() - started, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--weeks", type=int, default=None, help="reported weeks per ICB (default the whole winter)"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        new_icb(None, root / "icbs", every=True)
        files = []
        for icb in icbs():
            path = root / "icbs" / icb.key / BASELINE
            if args.weeks:
                path = short(path, args.weeks, f"bench_{icb.key}", path.with_name("bench.yaml"))
            files.append(path)
        bnssg = short(BNSSG, args.weeks, "bench_bnssg", root / "bnssg.yaml") if args.weeks else BNSSG
        one(str(bnssg))  # this process: compile and load once
        _, bnssg_seconds, _ = one(str(bnssg))
        warm = [str(f) for f in files if "bristol" in str(f)] * args.workers
        with ProcessPoolExecutor(args.workers) as pool:
            list(pool.map(one, warm))  # each worker loads numba's cache and compiles once
            started = time.perf_counter()
            results = list(pool.map(one, [str(f) for f in files]))
            wall = time.perf_counter() - started
    slowest = sorted(results, key=lambda r: -r[1])[:3]
    window = f"{args.weeks} reported weeks" if args.weeks else "the whole winter (Oct-Mar, 52-week warm-up)"
    print(
        f"all England: {len(results)} ICB baselines, one replication each, {window}, {args.workers} workers"
    )
    print(f"  wall {wall:.1f} s; sum of tasks {sum(r[1] for r in results):.1f} s")
    print("  slowest: " + ", ".join(f"{Path(p).parent.name} {s:.1f} s" for p, s, _ in slowest))
    print(f"one BNSSG baseline replication (this process): {bnssg_seconds:.2f} s")
    print(f"ratio all England / BNSSG: {wall / bnssg_seconds:.1f}x")
    verdict = "met" if wall < TARGET_SECONDS else "NOT met"
    print(f"target: all England under {TARGET_SECONDS:.0f} s on 2 cores: {verdict} ({wall:.1f} s)")


if __name__ == "__main__":
    main()
