"""Engine benchmark: the numba kernel against the SimPy twin on the reference network.

Reference network (issue 2): Poisson arrivals 10/h -> triage (2 servers, exponential mean
5 min) -> minors with probability 0.3 (3 servers, mean 30 min), else majors (8 servers, mean
45 min) -> out; 100,000 simulated hours (about a million patients); once with a constant rate
and once with a sinusoidal hour-of-day rate of the same mean.

Printed, all measured in this one run (machines are noisy; compare ratios, not absolutes):
- events per second of ``run(model, draws=..., check=False)`` for each engine (draws made
  beforehand and timed separately), after a warm-up call so numba compilation is excluded;
- the ratio numba / SimPy twin (events per second; the twin runs a shorter horizon,
  ``--twin-hours``, because it is slow — events per second do not depend on the horizon);
- the wall time of a first call in a fresh Python process with numba's cache warm: interpreter
  start, import, building the model, drawing and running a one-week network.

Usage: python benchmarks/engine.py [--hours 100000] [--twin-hours 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from simcare.engine import run
from simcare.examples import reference_network
from simcare.sampling.draws import draw

TARGET_EVENTS_PER_SECOND = 8e6
TARGET_RATIO = 50.0
TARGET_FIRST_CALL_SECONDS = 2.0

FRESH_PROCESS = """
import time
t0 = time.perf_counter()
from simcare.examples import reference_network
from simcare.engine import run
result = run(reference_network(hours=168), seed=1)
print(time.perf_counter() - t0)
"""


def time_engine(hours: float, sinusoidal: bool, engine: str, repeats: int) -> tuple[float, int, float]:
    """Best-of-``repeats`` (seconds, events) of one run, and the draw time (seconds)."""
    model = reference_network(hours=hours, sinusoidal=sinusoidal)
    t0 = time.perf_counter()
    draws = draw(model, seed=1)
    draw_seconds = time.perf_counter() - t0
    run(reference_network(hours=24, sinusoidal=sinusoidal), seed=1, engine=engine)  # warm-up
    best = float("inf")
    events = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run(model, draws=draws, engine=engine, check=False)
        best = min(best, time.perf_counter() - t0)
        events = result.events
    return best, events, draw_seconds


def fresh_process_seconds() -> tuple[float, float]:
    """(wall time of the whole fresh process, time from its first line to the result)."""
    subprocess.run([sys.executable, "-c", FRESH_PROCESS], check=True, capture_output=True)  # warm cache
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", FRESH_PROCESS], check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, float(out.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hours", type=float, default=100_000)
    parser.add_argument("--twin-hours", type=float, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    print(
        f"{'arrivals':<11} {'engine':<6} {'hours':>8} {'events':>11} {'seconds':>8} "
        f"{'events/s':>11} {'draw s':>7}"
    )
    ratios = []
    for sinusoidal in (False, True):
        label = "sinusoidal" if sinusoidal else "constant"
        sec_nb, ev_nb, draw_nb = time_engine(args.hours, sinusoidal, "numba", args.repeats)
        sec_tw, ev_tw, draw_tw = time_engine(args.twin_hours, sinusoidal, "simpy", 1)
        rate_nb, rate_tw = ev_nb / sec_nb, ev_tw / sec_tw
        ratios.append((label, rate_nb, rate_nb / rate_tw))
        print(
            f"{label:<11} {'numba':<6} {args.hours:>8.0f} {ev_nb:>11,} {sec_nb:>8.3f} "
            f"{rate_nb:>11,.0f} {draw_nb:>7.3f}"
        )
        print(
            f"{label:<11} {'simpy':<6} {args.twin_hours:>8.0f} {ev_tw:>11,} {sec_tw:>8.3f} "
            f"{rate_tw:>11,.0f} {draw_tw:>7.3f}"
        )
    wall, inside = fresh_process_seconds()
    print()
    for label, rate, ratio in ratios:
        target = TARGET_EVENTS_PER_SECOND / 1e6
        print(
            f"{label:<11} numba {rate / 1e6:5.2f} M events/s (target >= {target:.0f} M) "
            f"{'OK ' if rate >= TARGET_EVENTS_PER_SECOND else 'LOW'}; "
            f"numba/twin = {ratio:,.0f}x (target >= {TARGET_RATIO:.0f}x) "
            f"{'OK' if ratio >= TARGET_RATIO else 'LOW'}"
        )
    print(
        f"first call in a fresh process (cache warm): {wall:.2f} s wall including interpreter "
        f"start, {inside:.2f} s from import to result (target < {TARGET_FIRST_CALL_SECONDS:.0f} s) "
        f"{'OK' if wall < TARGET_FIRST_CALL_SECONDS else 'SLOW'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
