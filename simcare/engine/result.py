"""RunResult: what one replication produced, with its own conservation check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from simcare._jit import cached_njit
from simcare.errors import ConservationError
from simcare.model import enums as E

if TYPE_CHECKING:  # pandas is imported when a frame is asked for: `import simcare` stays fast
    import pandas as pd


@dataclass(frozen=True, eq=False)
class RunResult:
    """One replication's output.

    visits: structured array of VISIT_DTYPE, one row per (patient, service) visit, in the order
        visits began. Times in minutes from the run's start.
    in_service, waiting, blocked, capacity: float64 (S, H) hourly time-averages per service:
        patients in service; patients waiting (queue plus patients blocked upstream who wait for
        this service); patients blocked here after service (holding a server); servers
        (inf for an infinite-server service).
    final_in_service, final_holding, final_queue, final_pending: int64 (S,) counts at the end.
    arrived, exited: patients who entered / left the modelled system.
    events: events processed. status: "ok" | "deadlock" | "routing_loop".
    end_time: minutes, the horizon (or the time the run stopped).
    scheduled_end: float64 (n_visits,), minutes, aligned with ``visits``: for a visit still in
        service at the end of the run (outcome in_service, ``end`` NaN) the time its service
        would have ended (its pending END event, docs/model.md R37); NaN for every other visit,
        including blocked visits and visits in a route delay (their service ended: see ``end``)
        and, after a stopped run, visits whose service time was not drawn yet.
    provenance: seed, replication, engine, version, model digest, horizon, wall time (s), and
        deadlock details if any.
    """

    service_names: tuple[str, ...]
    group_names: tuple[str, ...]
    visits: np.ndarray
    in_service: np.ndarray
    waiting: np.ndarray
    blocked: np.ndarray
    capacity: np.ndarray
    final_in_service: np.ndarray
    final_holding: np.ndarray
    final_queue: np.ndarray
    final_pending: np.ndarray
    arrived: int
    exited: int
    events: int
    status: str
    end_time: float
    scheduled_end: np.ndarray
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def inside(self) -> int:
        """Patients still in the system at the end of the run."""
        return self.arrived - self.exited

    def visits_frame(self) -> pd.DataFrame:
        """The visit table as a DataFrame with service, group and outcome names as categories,
        then ``scheduled_end`` (minutes; see the class docstring) as a last column."""
        import pandas as pd

        v = self.visits
        return pd.DataFrame(
            {
                "patient": v["patient"],
                "group": pd.Categorical.from_codes(v["group"], categories=pd.Index(self.group_names)),
                "service": pd.Categorical.from_codes(v["service"], categories=pd.Index(self.service_names)),
                "arrival": v["arrival"],
                "start": v["start"],
                "end": v["end"],
                "departure": v["departure"],
                "outcome": pd.Categorical.from_codes(
                    v["outcome"],
                    categories=pd.Index([E.OUTCOME_NAMES[i] for i in range(len(E.OUTCOME_NAMES))]),
                ),
                "scheduled_end": self.scheduled_end,
            }
        )

    def state_frame(self) -> pd.DataFrame:
        """Hourly state series, long form: hour, service, in_service, waiting, blocked, capacity."""
        import pandas as pd

        S, H = self.in_service.shape
        return pd.DataFrame(
            {
                "hour": np.tile(np.arange(H), S),
                "service": np.repeat(np.array(self.service_names, dtype=object), H),
                "in_service": self.in_service.ravel(),
                "waiting": self.waiting.ravel(),
                "blocked": self.blocked.ravel(),
                "capacity": self.capacity.ravel(),
            }
        )

    def _service_counts(
        self, open_rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(arrived, departed, inside) visit counts per service, each of shape (S,). ``open_rows``:
        the visits' ``isnan(departure)`` (n,) bool, if already at hand."""
        S = len(self.service_names)
        svc = self.visits["service"]
        if open_rows is None:
            open_rows = np.isnan(self.visits["departure"])
        arrived = np.bincount(svc, minlength=S)
        # departed = bincount(svc[~open_rows]), counted from the few open rows (issue 15)
        departed = arrived - np.bincount(svc[open_rows], minlength=S)
        inside = self.final_in_service + self.final_holding + self.final_queue + self.final_pending
        return arrived, departed, inside

    def service_counts(self) -> pd.DataFrame:
        """Per service: visits begun (arrived), visits ended (departed) and still inside."""
        import pandas as pd

        arrived, departed, inside = self._service_counts()
        return pd.DataFrame(
            {"arrived": arrived, "departed": departed, "inside": inside},
            index=pd.Index(self.service_names, name="service"),
        )

    def check_conservation(self) -> None:
        """Raise ConservationError unless arrived = departed + inside for every service, and
        patients who entered = patients who left + patients inside."""
        v = self.visits
        S = len(self.service_names)
        if v.dtype == E.VISIT_DTYPE and v.ndim == 1 and self.arrived >= 0:
            # One numba pass over the rows counts what the numpy checks below count (issue 15);
            # they run only to word the error when something is off.
            arrived = np.zeros(S, dtype=np.int64)
            open_at = np.zeros(S, dtype=np.int64)
            seen = np.zeros(self.arrived, dtype=np.uint8)
            n_first, patients_inside = _conservation_counts_nb(
                np.ascontiguousarray(v), arrived, open_at, seen
            )
            inside = self.final_in_service + self.final_holding + self.final_queue + self.final_pending
            if (
                n_first >= 0
                and inside.shape == (S,)
                and np.array_equal(arrived, arrived - open_at + inside)
                and self.arrived == self.exited + patients_inside
                and n_first == self.arrived
            ):
                return
        self._check_conservation_numpy()

    def _check_conservation_numpy(self) -> None:
        """:meth:`check_conservation` by numpy passes over the visit columns; raises its errors."""
        open_rows = np.isnan(self.visits["departure"])
        arrived, departed, inside = self._service_counts(open_rows)
        if (arrived != departed + inside).any():  # pandas only to word the error
            counts = self.service_counts()
            bad = counts[counts["arrived"] != counts["departed"] + counts["inside"]]
            raise ConservationError(f"patients not conserved at {list(bad.index)}:\n{bad.to_string()}")
        # Patient ids are the ranks of the arrivals (VISIT_DTYPE), so 0 .. arrived-1: counting
        # them with bincount is O(n) where np.unique sorted the visit table twice (issue 15). A
        # negative id makes bincount refuse, an id of arrived or more lengthens its result: the
        # ids' range is read only to word the error.
        patient = self.visits["patient"]
        try:
            visits_of = np.bincount(patient, minlength=self.arrived)
        except ValueError:
            visits_of = None
        if visits_of is None or visits_of.shape[0] > self.arrived:
            raise ConservationError(
                f"patient ids run from {patient.min()} to {patient.max()}, outside 0..{self.arrived - 1}"
            )
        patients_inside = np.count_nonzero(np.bincount(patient[open_rows], minlength=self.arrived))
        if self.arrived != self.exited + patients_inside:
            raise ConservationError(
                f"patients not conserved: {self.arrived} arrived, {self.exited} left, "
                f"{patients_inside} inside"
            )
        n_first = np.count_nonzero(visits_of)
        if n_first != self.arrived:
            raise ConservationError(f"{self.arrived} patients arrived but {n_first} have visits")


@cached_njit()
def _conservation_counts_nb(
    visits: np.ndarray, arrived: np.ndarray, open_at: np.ndarray, seen: np.ndarray
) -> tuple[int, int]:
    """Count, in one pass over the visit rows (VISIT_DTYPE (n,)): visits begun per service into
    ``arrived`` (int64 (S,)) and visits not departed (departure NaN) into ``open_at`` (int64
    (S,)); patients with a visit and patients with an open visit, marked in ``seen`` (uint8
    (P,), zeros; P patients). Returns (patients with a visit, patients with an open visit), or
    (-1, -1) if a service index is outside 0..S-1 or a patient id outside 0..P-1."""
    S = arrived.shape[0]
    P = seen.shape[0]
    n_first = 0
    n_open = 0
    for i in range(visits.shape[0]):
        row = visits[i]
        s = row.service
        p = row.patient
        if s < 0 or s >= S or p < 0 or p >= P:
            return -1, -1
        arrived[s] += 1
        mark = seen[p]
        if mark == 0:
            n_first += 1
            mark = 1
        if np.isnan(row.departure):
            open_at[s] += 1
            if mark < 2:
                n_open += 1
                mark = 2
        seen[p] = mark
    return n_first, n_open
