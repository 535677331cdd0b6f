"""Overloaded services: where demand is at or above capacity for the whole reported window.

A service is *saturated* in an hour when every server is occupied (in service or holding a
patient it cannot pass on: ``in_service + blocked >= capacity - 0.5``, the hourly time-averages
of :class:`~simcare.engine.result.RunResult`) and patients are waiting (``waiting >= 1``). A
service saturated in at least :data:`SATURATED_SHARE` of the reported hours is *overloaded*: its
offered load is at or above its capacity, so its queue grows until patients leave or the winter
ends (an ED queue cut only by patients leaving unseen counts too). Computed from the hourly series
the run already has: no extra simulation.

:func:`queue_evidence` gives the evidence of one run (one row per finite-capacity service);
:func:`overloaded` the overloaded services of many runs; :func:`warning_lines` the words for
``simcare run`` and ``compare`` (stderr) and the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simcare.engine.result import RunResult
from simcare.model import services
from simcare.scenario.compile import CompiledScenario

__all__ = [
    "EVIDENCE_COLUMNS",
    "SATURATED_SHARE",
    "Overload",
    "overloaded",
    "queue_evidence",
    "service_words",
    "warning_lines",
]

#: share of the reported hours a service must be saturated in to count as overloaded
SATURATED_SHARE = 0.95
#: columns of :func:`queue_evidence`
EVIDENCE_COLUMNS = ["service", "servers", "saturated_share", "queue_mean", "queue_start", "queue_end"]

_WORDS = {
    services.ED: "the ED cubicles at {}",
    services.ED_TRIAGE: "ED triage at {}",
    services.ED_CORRIDOR: "the ED corridor at {}",
    services.ED_HOURS: "the ED opening hours at {}",
    services.BEDS: "the G&A beds of trust {}",
    services.HUB: "the urgent community hub {}",
    services.SDEC: "same-day emergency care at {}",
    services.SDEC_REFERRAL: "referrals to same-day emergency care at {}",
    services.D2A: "discharge to assess {}",
}
_SINGLE = {
    services.AMBULANCE: "ambulance crews",
    services.PHONE_111: "NHS 111 call handlers",
    services.RETRY_111: "NHS 111 callers ringing again",
    services.ONLINE_111: "NHS 111 online",
    services.CAS: "the clinical assessment service",
}


def service_words(service: str) -> str:
    """A service's name in plain words (``ed:bri`` -> ``the ED cubicles at bri``,
    ``d2a:P3:bristol`` -> ``discharge to assess P3 in bristol``); an unknown name as it is."""
    if service in _SINGLE:
        return _SINGLE[service]
    kind, parts = services.parse(service)
    if kind == services.D2A and parts[1]:
        return f"discharge to assess {parts[0]} in {parts[1]}"
    return _WORDS[kind].format(parts[0]) if kind in _WORDS and parts[0] else service


def queue_evidence(result: RunResult, cs: CompiledScenario) -> pd.DataFrame:
    """The queue evidence of one run over its reported window (hours from the warm-up's end):
    one row per service with finite servers, columns :data:`EVIDENCE_COLUMNS`: servers (mean
    number), saturated_share (share of the hours the service is saturated, 0-1), queue_mean
    (patients waiting, mean over the window), queue_start and queue_end (mean over the first
    and the last 7 days of the window, or its first and last quarter if shorter than 4 weeks)."""
    start = min(cs.timeline.warm_up_hours, result.capacity.shape[1])
    cap = np.asarray(result.capacity)[:, start:]
    occupied = np.asarray(result.in_service)[:, start:] + np.asarray(result.blocked)[:, start:]
    waiting = np.asarray(result.waiting)[:, start:]
    hours = cap.shape[1]
    edge = max(1, min(7 * 24, hours // 4))
    finite = np.isfinite(cap).all(axis=1) & (cap.max(axis=1, initial=0.0) > 0) if hours else np.zeros(0, bool)
    rows = []
    for i in np.flatnonzero(finite):
        saturated = (occupied[i] >= cap[i] - 0.5) & (waiting[i] >= 1.0)
        rows.append(
            (
                result.service_names[i],
                float(cap[i].mean()),
                float(saturated.mean()),
                float(waiting[i].mean()),
                float(waiting[i, :edge].mean()),
                float(waiting[i, -edge:].mean()),
            )
        )
    return pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)


@dataclass(frozen=True)
class Overload:
    """One overloaded service of one scenario: means over its replications (patients,
    servers; saturated_share 0-1)."""

    scenario: str
    service: str
    servers: float
    saturated_share: float
    queue_start: float
    queue_end: float
    replications: int

    @property
    def text(self) -> str:
        """The warning in plain words, with the evidence."""
        return (
            f"{self.scenario}: {service_words(self.service)} look overloaded: every place "
            f"({self.servers:.3g} on average) was taken with patients waiting in "
            f"{100 * self.saturated_share:.0f}% of the reported hours (mean of "
            f"{self.replications} replication{'s' * (self.replications != 1)}); the queue went "
            f"from {self.queue_start:.0f} to {self.queue_end:.0f} patients between the first and "
            "the last week. Demand is at or above capacity there, so its waits keep growing"
        )


def overloaded(evidence: pd.DataFrame, share: float = SATURATED_SHARE) -> list[Overload]:
    """The overloaded services in ``evidence`` (:func:`queue_evidence` rows with ``scenario``
    and ``replication`` columns): those whose saturated share, averaged over the replications,
    is at least ``share``; in the order of the table's scenarios, then services."""
    if evidence.empty:
        return []
    g = evidence.groupby(["scenario", "service"], sort=False)
    means = g[["servers", "saturated_share", "queue_start", "queue_end"]].mean()
    means["replications"] = g["replication"].nunique()
    records: list[dict[Any, Any]] = means.reset_index().to_dict("records")
    return [
        Overload(
            str(r["scenario"]),
            str(r["service"]),
            float(r["servers"]),
            float(r["saturated_share"]),
            float(r["queue_start"]),
            float(r["queue_end"]),
            int(r["replications"]),
        )
        for r in records
        if float(r["saturated_share"]) >= share
    ]


def warning_lines(overloads: list[Overload]) -> list[str]:
    """``warning: ...`` lines for stderr, one per overloaded service."""
    return [f"warning: {o.text}" for o in overloads]
