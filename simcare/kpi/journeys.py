"""Patient journeys rebuilt from the visit table: ED attendances and ambulance conveyances.

An ED attendance spans several visit rows: triage (walk-ins and referrals), the cubicles, and for
an ambulance patient released to the corridor (``handover_release``) a second cubicle visit after
the corridor. Times are minutes from the origin; NaN means "not yet" at the end of the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simcare.model import enums as E
from simcare.model import services

if TYPE_CHECKING:
    from simcare.kpi.context import Context


@dataclass(frozen=True, eq=False)
class EdJourneys:
    """One entry per type-1 ED attendance, arrays of shape (n,).

    patient: patient id; site: index into ``cs.ed_sites``; group: patient group during the
    attendance; start: arrival
    (at triage, or at the ED for an ambulance); end: left the ED (NaN if still in); outcome: OUT_*
    of the last cubicle visit (ABANDONED = left without being seen); dta: decision to admit (end of
    treatment; NaN if not admitted); admitted_at: left the ED for a G&A bed (NaN if not admitted
    or still boarding).
    """

    patient: np.ndarray
    site: np.ndarray
    group: np.ndarray
    start: np.ndarray
    end: np.ndarray
    outcome: np.ndarray
    dta: np.ndarray
    admitted_at: np.ndarray


def ed_journeys(ctx: Context) -> EdJourneys:
    """Every type-1 ED attendance of the run (warm-up included)."""
    v = ctx.visits
    svc = v.service
    prev, nxt = ctx.neighbours
    sites = ctx.cs.ed_sites
    ed = ctx.services_of(services.ED, sites)
    triage = ctx.services_of(services.ED_TRIAGE, sites)
    corridor = ctx.services_of(services.ED_CORRIDOR, sites)
    bed = ctx.services_of(services.BEDS, ctx.cs.trusts)
    last = len(ctx.index)  # index of the -1 entry of the look-up arrays

    def service_of(rows: np.ndarray) -> np.ndarray:
        return np.where(rows >= 0, svc[np.maximum(rows, 0)], last)

    rows = np.flatnonzero(ed[svc] >= 0)
    rows = rows[corridor[service_of(prev[rows])] < 0]  # the return from the corridor: same attendance
    p = prev[rows]
    from_triage = triage[service_of(p)] >= 0
    start = np.where(from_triage, v.arrival[np.maximum(p, 0)], v.arrival[rows])
    final = rows.copy()
    released = v.outcome[rows] == E.OUT_RELEASED  # -> corridor -> back in the cubicles
    if released.any():
        corr = nxt[rows[released]]
        final[released] = np.where(corr >= 0, nxt[np.maximum(corr, 0)], -1)
    has = final >= 0
    f = np.maximum(final, 0)
    end = np.where(has, v.departure[f], np.nan)
    outcome = np.where(has, v.outcome[f], E.OUT_WAITING).astype(np.int8)
    after = np.where(has, nxt[f], -1)
    admitted = bed[service_of(after)] >= 0
    dta = np.where(admitted, v.end[f], np.nan)
    admitted_at = np.where(admitted, end, np.nan)

    # walk-ins still in (or queueing for) triage at the end: arrived, not yet in the cubicles
    t_rows = np.flatnonzero(triage[svc] >= 0)
    t_rows = t_rows[ed[service_of(nxt[t_rows])] < 0]
    n_t = t_rows.shape[0]
    return EdJourneys(
        patient=np.concatenate([v.patient[rows], v.patient[t_rows]]),
        site=np.concatenate([ed[svc[rows]], triage[svc[t_rows]]]),
        group=np.concatenate([v.group[rows], v.group[t_rows]]),
        start=np.concatenate([start, v.arrival[t_rows]]),
        end=np.concatenate([end, v.departure[t_rows]]),
        outcome=np.concatenate([outcome, v.outcome[t_rows]]),
        dta=np.concatenate([dta, np.full(n_t, np.nan)]),
        admitted_at=np.concatenate([admitted_at, np.full(n_t, np.nan)]),
    )


@dataclass(frozen=True, eq=False)
class Conveyances:
    """One entry per ambulance conveyance to a type-1 ED, arrays of shape (n,).

    patient: patient id; site: index into ``cs.ed_sites`` of the ED the patient was taken to;
    arrival: arrival at the ED (end of the crew's job cycle); handover: arrival to the crew being
    free (patient accepted into the ED, or released to the corridor), minutes (NaN if the crew
    is still waiting at the end of the run).
    """

    patient: np.ndarray
    site: np.ndarray
    arrival: np.ndarray
    handover: np.ndarray


def conveyances(ctx: Context) -> Conveyances:
    """Every conveyance of the run (warm-up included); empty if there is no ambulance service."""
    v = ctx.visits
    amb = ctx.service(services.AMBULANCE)
    if amb is None:
        empty = np.zeros(0)
        return Conveyances(empty.astype(np.int64), empty.astype(np.int64), empty, empty)
    svc = v.service
    nxt = ctx.neighbours[1]
    ed = ctx.services_of(services.ED, ctx.cs.ed_sites)
    rows = np.flatnonzero(svc == amb)
    after = nxt[rows]
    site = ed[np.where(after >= 0, svc[np.maximum(after, 0)], len(ctx.index))]
    rows, site = rows[site >= 0], site[site >= 0]
    arrival = v.end[rows]
    return Conveyances(
        patient=v.patient[rows],
        site=site,
        arrival=arrival,
        handover=v.departure[rows] - arrival,
    )
