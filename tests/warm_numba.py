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
from simcare.kpi import journeys, nhs111
from simcare.kpi.context import Visits, _duration_nb, _rows_in_nb
from simcare.kpi.neighbours import neighbours
from simcare.kpi.periods import (
    Level,
    _bin_sum_pair,
    _bin_sums,
    _day_of_nb,
    sorted_group_quantile,
    stable_argsort,
)


def main() -> None:
    started = time.perf_counter()
    model = reference_network(hours=24)
    for engine in ("numba", "simpy"):
        result = run(model, seed=0, engine=engine)
    neighbours(np.ascontiguousarray(result.visits["patient"]))  # as the KPI context passes it
    Visits(result.visits)
    _bin_sums(Level.whole("all", 1), np.zeros(1, dtype=np.int64), 1, np.ones(1), finite=True)
    sorted_group_quantile(np.zeros(1, dtype=np.int64), np.ones(1), 0.5, 1)
    stable_argsort(np.ones(1))
    # the other KPI passes, with the argument types the KPI context passes them
    i64, i16, f64, i8 = (np.zeros(1, dtype=t) for t in (np.int64, np.int16, np.float64, np.int8))
    look = np.full(2, -1, dtype=np.int64)
    _bin_sum_pair(Level.whole("all", 1), i64, 1, np.ones(1), np.ones(1))
    _day_of_nb(f64, 0.0, 1.0, i64.copy())
    _duration_nb(f64, f64, 1.0, f64.copy())
    _rows_in_nb(i16, look, i64.copy(), i64.copy())
    journeys._ed_journeys_nb(
        i16, i64, i64, look, look, look, look, i64, i64, f64, f64, f64, i8,
        np.zeros((3, 1), dtype=np.int64), np.zeros((4, 1)), i8.copy(),
    )  # fmt: skip
    nhs111._first_contacts_nb(i16, i64, 0, -1, i64.copy())
    nhs111._leaving_111_nb(i16, i64, i8, f64, np.zeros(2, dtype=bool), look, 0, 1, i64.copy(), f64.copy())
    print(f"numba cache warm ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
