"""Whole-winter benchmark: one replication of the BNSSG baseline (issue 3).

October-March plus the 12-week warm-up, numba engine, after compilation (a warm-up call first).
Prints the numba time (target under 2 s on one core), the SimPy twin's time for the same
replication and their ratio, all measured in this one run. Compilation of the scenario file
(YAML to model) and the drawing of arrivals are timed separately.

Usage: python benchmarks/winter.py [--skip-twin]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from simcare.engine import run
from simcare.pipeline import compiled
from simcare.sampling.draws import draw

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "bnssg" / "baseline_winter.yaml"
TARGET_SECONDS = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-twin", action="store_true", help="time the numba engine only")
    args = parser.parse_args()
    t0 = time.perf_counter()
    cs, _ = compiled(BASELINE)
    t1 = time.perf_counter()
    draws = draw(cs.model, seed=cs.seed)
    t2 = time.perf_counter()
    run(cs.model, draws=draws)  # warm-up call: loads or compiles the kernel
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        result = run(cs.model, draws=draws)
        best = min(best, time.perf_counter() - t)
    print(
        f"BNSSG baseline winter: {cs.timeline.n_days} simulated days, {result.arrived:,} patients, "
        f"{result.events:,} events, {len(cs.model.service_names)} services"
    )
    print(f"scenario file -> model {t1 - t0:.2f} s; arrivals drawn {t2 - t1:.2f} s")
    print(
        f"numba engine: {best:.2f} s per replication ({result.events / best / 1e6:.1f} M events/s)"
        f" (target < {TARGET_SECONDS:.0f} s) {'OK' if best < TARGET_SECONDS else 'SLOW'}"
    )
    if not args.skip_twin:
        t = time.perf_counter()
        twin = run(cs.model, draws=draws, engine="simpy")
        twin_s = time.perf_counter() - t
        same = twin.visits.tobytes() == result.visits.tobytes()
        print(
            f"SimPy twin:   {twin_s:.1f} s per replication; numba is {twin_s / best:.0f}x faster; "
            f"identical visit tables: {same}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
