"""One run's results prepared for KPIs: service look-ups, visit neighbours, patient groups, levels.

A ``Context`` is built once per replication; KPIs share its derived tables (ED journeys,
conveyances, ...) through ``cached`` so each is computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, TypeVar

import numpy as np

from simcare._jit import cached_njit
from simcare.engine.result import RunResult
from simcare.errors import ModelError
from simcare.kpi.neighbours import neighbours
from simcare.kpi.periods import PERIOD_KINDS, Calendar, Level
from simcare.model import services
from simcare.model.enums import VISIT_DTYPE
from simcare.scenario.compile import ADMITTED, CompiledScenario

T = TypeVar("T")


class Visits:
    """The visit table as contiguous columns (n,): patient, group, service (int64), arrival,
    start, end, departure (float64 minutes), outcome (int8). Fancy indexing a contiguous column
    is several times faster than a field of the packed structured array.

    ``service_small``: the service column again as int16 (int64 if an index does not fit), for
    the numba passes that scan every row: an eighth of the memory to read (issue 15)."""

    def __init__(self, visits: np.ndarray) -> None:
        n = visits.shape[0]
        self.patient = np.empty(n, dtype=np.int64)
        self.group = np.empty(n, dtype=np.int64)
        self.service = np.empty(n, dtype=np.int64)
        self.arrival = np.empty(n)
        self.start = np.empty(n)
        self.end = np.empty(n)
        self.departure = np.empty(n)
        self.outcome = np.empty(n, dtype=np.int8)
        self.service_small: np.ndarray = np.empty(n, dtype=np.int16)
        if visits.dtype != VISIT_DTYPE:
            raise ModelError("run result", f"visits have dtype {visits.dtype}, expected {VISIT_DTYPE}")
        fits = _split_nb(
            np.ascontiguousarray(visits),
            self.patient,
            self.group,
            self.service,
            self.arrival,
            self.start,
            self.end,
            self.departure,
            self.outcome,
            self.service_small,
        )
        if not fits:
            self.service_small = self.service


@cached_njit()
def _split_nb(
    visits: np.ndarray,
    patient: np.ndarray,
    group: np.ndarray,
    service: np.ndarray,
    arrival: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    departure: np.ndarray,
    outcome: np.ndarray,
    service_small: np.ndarray,
) -> bool:
    """Copy the visit table's fields into the columns, reading each row once (issue 15: a copy
    per field read the packed table eight times, a third of the KPI context's cost), the service
    also into ``service_small`` (int16 (n,)); returns whether every service index fit in it."""
    fits = True
    for i in range(visits.shape[0]):
        row = visits[i]
        patient[i] = row.patient
        group[i] = row.group
        service[i] = row.service
        service_small[i] = row.service
        if row.service < 0 or row.service > 32767:
            fits = False
        arrival[i] = row.arrival
        start[i] = row.start
        end[i] = row.end
        departure[i] = row.departure
        outcome[i] = row.outcome
    return fits


@cached_njit()
def _rows_in_nb(svc: np.ndarray, lookup: np.ndarray, rows: np.ndarray, codes: np.ndarray) -> int:
    """Write the rows i with lookup[svc[i]] >= 0 (svc int (n,), lookup int64 (S + 1,)) and
    their codes into rows and codes (int64 (n,)), in row order; returns how many."""
    m = 0
    for i in range(svc.shape[0]):  # m <= i: writing every row is safe, and has no branch to miss
        c = lookup[svc[i]]
        rows[m] = i
        codes[m] = c
        m += c >= 0
    return m


@cached_njit()
def _duration_nb(start: np.ndarray, stop: np.ndarray, end_time: float, out: np.ndarray) -> None:
    """out[i] = (end_time if stop[i] is NaN else stop[i]) - start[i], minutes; float64 (n,).
    One pass for numpy's three (issue 15)."""
    for i in range(start.shape[0]):
        s = stop[i]
        out[i] = (end_time if np.isnan(s) else s) - start[i]


class Context:
    """result: the replication's RunResult; cs: its CompiledScenario; cal: reported periods.

    Service look-up arrays have S + 1 entries, the last one -1, so that indexing with a missing
    neighbour (-1) gives -1.
    """

    def __init__(
        self, result: RunResult, cs: CompiledScenario, periods: Sequence[str] = PERIOD_KINDS
    ) -> None:
        self.result = result
        self.cs = cs
        self.cal = Calendar(cs.timeline, periods)
        self.visits = Visits(result.visits)
        self.end_time = float(result.end_time)
        self.index = {name: i for i, name in enumerate(result.service_names)}
        H = result.in_service.shape[1]
        if cs.timeline.horizon_hours > H:
            raise ModelError(
                f"{cs.name}: run result",
                f"hourly series cover {H} hours but the scenario's timeline needs "
                f"{cs.timeline.horizon_hours} (a result of another scenario? status {result.status!r})",
            )
        self._cache: dict[Callable[..., Any], Any] = {}

    def cached(self, fn: Callable[[Context], T]) -> T:
        """``fn(self)``, computed once per context."""
        if fn not in self._cache:
            self._cache[fn] = fn(self)
        out: T = self._cache[fn]
        return out

    # --- services ---------------------------------------------------------------------------------
    def service(self, name: str) -> int | None:
        return self.index.get(name)

    def trust_level(self, site: np.ndarray) -> Level:
        """Trusts (no day rows) for items at ED sites ``site`` (n,) (index into cs.ed_sites; -1: none):
        each site counts for the trust that runs it, as in the published A&E statistics."""
        runs = [self.cs.ed_trust[s] for s in self.cs.ed_sites]
        trusts = tuple(dict.fromkeys([t for t in self.cs.trusts if t in runs] + runs))
        of_site = np.array([trusts.index(t) for t in runs] + [-1], dtype=np.int64)
        return Level(trusts, of_site[site], daily=False)

    def has(self, kind: str) -> bool:
        """Whether the run has the fixed-name service ``kind`` or a service ``kind:NAME``."""
        return kind in self.index or any(services.is_kind(n, kind) for n in self.index)

    def services_of(self, kind: str, names: Sequence[str]) -> np.ndarray:
        """(S + 1,) int: for each service, the position in ``names`` of NAME when the service is
        ``kind:NAME`` (:func:`simcare.model.services.name`; ``kind`` takes one part); else -1."""
        out = np.full(len(self.index) + 1, -1, dtype=np.int64)
        for k, name in enumerate(names):
            s = self.index.get(services.name(kind, name))
            if s is not None:
                out[s] = k
        return out

    def rows_in(self, lookup: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, codes): the visit rows (int64, ascending) whose service s has lookup[s] >= 0,
        and those lookup[s] (int64); ``lookup`` (S + 1,) int, as :meth:`services_of` gives.
        That is ``np.flatnonzero(lookup[service] >= 0)`` and its codes, in one numba pass without
        the (n,) temporaries (issue 15)."""
        svc = self.visits.service_small
        rows = np.empty(svc.shape[0], dtype=np.int64)
        codes = np.empty(svc.shape[0], dtype=np.int64)
        m = _rows_in_nb(svc, np.asarray(lookup, dtype=np.int64), rows, codes)
        return rows[:m].copy(), codes[:m].copy()

    def rows_of(self, s: int) -> np.ndarray:
        """The visit rows (int64, ascending) of service ``s``: ``np.flatnonzero(service == s)``."""
        lookup = np.full(len(self.index) + 1, -1, dtype=np.int64)
        lookup[s] = 0
        return self.rows_in(lookup)[0]

    def present(self, kind: str, names: Sequence[str]) -> list[str]:
        """The names for which service ``kind:NAME`` exists in the run."""
        return [n for n in names if services.name(kind, n) in self.index]

    def series(self, field: str, names: Sequence[str]) -> np.ndarray:
        """(len(names), H) hourly series ``field`` (in_service, waiting, blocked, capacity)."""
        data: np.ndarray = getattr(self.result, field)
        return data[[self.index[n] for n in names]]

    # --- visits -------------------------------------------------------------------------------------
    @cached_property
    def neighbours(self) -> tuple[np.ndarray, np.ndarray]:
        """(prev, next): for each visit row, the previous and next row of the same patient (-1 if
        none). Rows of one patient are in the order they were created."""
        return neighbours(self.visits.patient)

    def census(self, rows: np.ndarray) -> np.ndarray:
        """(n,) bool: rows that are patients placed by a census at time 0 (first visit, arrival 0),
        not admissions or referrals made during the run."""
        prev = self.neighbours[0][rows]
        return (prev < 0) & (self.visits.arrival[rows] == 0.0)

    def duration(self, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        """Minutes from ``start`` to ``stop``; to the end of the run where ``stop`` is NaN (still open)."""
        if (
            start.dtype == np.float64
            and stop.dtype == np.float64
            and start.shape == stop.shape
            and start.ndim == 1
        ):
            out = np.empty(start.shape[0])
            _duration_nb(start, stop, self.end_time, out)
            return out
        return np.where(np.isnan(stop), self.end_time, stop) - start

    # --- patient groups -----------------------------------------------------------------------------
    @cached_property
    def _group_parts(self) -> tuple[np.ndarray, np.ndarray]:
        """(acuity, locality) index of each patient group ``ACUITY[+adm]@LOCALITY``; -1 if not so named."""
        acuity = np.full(len(self.result.group_names) + 1, -1, dtype=np.int64)
        locality = acuity.copy()
        a_index = {a: i for i, a in enumerate(self.cs.acuities)}
        l_index = {loc: i for i, loc in enumerate(self.cs.localities)}
        for g, name in enumerate(self.result.group_names):
            a, _, loc = name.partition("@")
            a = a.removesuffix(ADMITTED)
            acuity[g] = a_index.get(a, -1)
            locality[g] = l_index.get(loc, -1)
        return acuity, locality

    def patient_levels(self, groups: np.ndarray, acuity_too: bool = True) -> list[Level]:
        """Acuity (unless not ``acuity_too``) and locality levels (no day rows) for items of patient
        groups ``groups`` (n,); a level is left out when no group name has that part."""
        acuity, locality = self._group_parts
        out = []
        if acuity_too and (acuity >= 0).any():
            out.append(Level(tuple(f"acuity:{a}" for a in self.cs.acuities), acuity[groups], daily=False))
        if (locality >= 0).any():
            names = tuple(f"locality:{x}" for x in self.cs.localities)
            out.append(Level(names, locality[groups], daily=False))
        return out
