"""Compile numba's cache (or check it is fresh) once, before pytest's xdist workers start.

``make test`` and ``make test-fast`` run ``python tests/warm_numba.py`` first: on a cold cache
each xdist worker would otherwise compile the kernel itself (60-90 s each, at the same time, on
the same cores). Numba compiles one machine-code version per argument types, and every model
passes the kernel arrays of the same dtypes, so one small run of each engine compiles what the
tests use: the kernel, the keyed draws the twin calls from Python, and the KPI helpers. Takes a
second or two with a warm cache.
"""

from __future__ import annotations

import time

import numpy as np

from simcare import run
from simcare.examples import reference_network
from simcare.kpi.context import Visits
from simcare.kpi.neighbours import neighbours
from simcare.kpi.periods import Level, _bin_sums, sorted_group_quantile


def main() -> None:
    started = time.perf_counter()
    model = reference_network(hours=24)
    for engine in ("numba", "simpy"):
        result = run(model, seed=0, engine=engine)
    neighbours(np.ascontiguousarray(result.visits["patient"]))  # as the KPI context passes it
    Visits(result.visits)
    _bin_sums(Level.whole("all", 1), np.zeros(1, dtype=np.int64), 1, np.ones(1), finite=True)
    sorted_group_quantile(np.zeros(1, dtype=np.int64), np.ones(1), 0.5, 1)
    print(f"numba cache warm ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
