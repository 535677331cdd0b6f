"""KPI table benchmark: ``uec_measures`` for one BNSSG winter replication (issue 4).

Runs the baseline winter once (numba engine, after a warm-up call), then times
``simcare.kpi.uec.uec_measures`` on that result: all periods (day, month, run) and run totals only.
Prints the engine's time for the replication beside it (the KPI table should cost no more than
the run) and the table's size.

Usage: python benchmarks/kpi.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from simcare.engine import run
from simcare.kpi.uec import uec_measures
from simcare.pipeline import compiled

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "bnssg" / "baseline_winter.yaml"


def _times(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed calls of each (default 5)")
    args = parser.parse_args()
    cs, _ = compiled(BASELINE)
    run(cs.model, seed=cs.seed)  # loads or compiles the kernel
    engine = _times(lambda: run(cs.model, seed=cs.seed), args.repeat)
    result = run(cs.model, seed=cs.seed)
    table = uec_measures(result, cs)
    full = _times(lambda: uec_measures(result, cs), args.repeat)
    totals = _times(lambda: uec_measures(result, cs, periods=("run",)), args.repeat)
    n_run = len(uec_measures(result, cs, periods=("run",)))
    print(f"BNSSG baseline winter: {len(result.visits):,} visits, {cs.timeline.n_days} simulated days")
    print(f"engine run:              median {statistics.median(engine):.2f} s (min {min(engine):.2f})")
    print(
        f"uec_measures, all:       median {statistics.median(full):.2f} s (min {min(full):.2f}); "
        f"{len(table):,} rows, {table['kpi'].nunique()} KPIs"
    )
    print(
        f"uec_measures, run only:  median {statistics.median(totals):.2f} s (min {min(totals):.2f}); "
        f"{n_run:,} rows"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
