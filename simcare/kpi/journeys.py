"""Patient journeys rebuilt from the visit table: ED attendances and ambulance conveyances.

An ED attendance spans several visit rows: triage (walk-ins and referrals), the cubicles, and for
an ambulance patient released to the corridor (``handover_release``) a second cubicle visit after
the corridor. Times are minutes from the origin; NaN means "not yet" at the end of the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simcare._jit import cached_njit
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
    prev, nxt = ctx.neighbours
    sites = ctx.cs.ed_sites
    n = v.service.shape[0]
    out_i = np.empty((3, n), dtype=np.int64)  # patient, site, group
    out_f = np.empty((4, n))  # start, end, dta, admitted_at
    out_o = np.empty(n, dtype=np.int8)
    m = _ed_journeys_nb(
        v.service_small,
        prev,
        nxt,
        ctx.services_of(services.ED, sites),
        ctx.services_of(services.ED_TRIAGE, sites),
        ctx.services_of(services.ED_CORRIDOR, sites),
        ctx.services_of(services.BEDS, ctx.cs.trusts),
        v.patient,
        v.group,
        v.arrival,
        v.end,
        v.departure,
        v.outcome,
        out_i,
        out_f,
        out_o,
    )
    return EdJourneys(
        patient=out_i[0, :m].copy(),
        site=out_i[1, :m].copy(),
        group=out_i[2, :m].copy(),
        start=out_f[0, :m].copy(),
        end=out_f[1, :m].copy(),
        outcome=out_o[:m].copy(),
        dta=out_f[2, :m].copy(),
        admitted_at=out_f[3, :m].copy(),
    )


@cached_njit()
def _ed_journeys_nb(
    svc: np.ndarray,
    prev: np.ndarray,
    nxt: np.ndarray,
    ed: np.ndarray,
    triage: np.ndarray,
    corridor: np.ndarray,
    bed: np.ndarray,
    patient: np.ndarray,
    group: np.ndarray,
    arrival: np.ndarray,
    end: np.ndarray,
    departure: np.ndarray,
    outcome: np.ndarray,
    out_i: np.ndarray,
    out_f: np.ndarray,
    out_o: np.ndarray,
) -> int:
    """The ED attendances of :func:`ed_journeys` from the visit columns (n,) (service, prev and
    next row of the patient, patient, group, arrival, end, departure, outcome) and the look-ups
    (S + 1,) of ED cubicles, triage, corridor (sites) and beds (trusts), -1 for other services
    and in the last entry. Fills out_i (3, n) int64 (patient, site, group), out_f (4, n) float64
    (start, end, dta, admitted_at) and out_o (n,) int8 (outcome) in its first m columns and
    returns m: first every cubicle attendance in row order, then every walk-in still in triage.

    Two passes over the rows where the vectorised version made about thirty, each gathering
    through a look-up (issue 15); each value is the same read of the same row."""
    last = ed.shape[0] - 1  # the -1 entry of the look-ups

    def service_of(r: int) -> int:
        return svc[r] if r >= 0 else last

    m = 0
    for i in range(svc.shape[0]):
        site = ed[svc[i]]
        if site < 0:
            continue
        p = prev[i]
        if corridor[service_of(p)] >= 0:  # the return from the corridor: same attendance
            continue
        start = arrival[p] if triage[service_of(p)] >= 0 else arrival[i]
        final = i
        if outcome[i] == E.OUT_RELEASED:  # -> corridor -> back in the cubicles
            corr = nxt[i]
            final = nxt[corr] if corr >= 0 else -1
        stop = np.nan
        dta = np.nan
        admitted_at = np.nan
        how = np.int8(E.OUT_WAITING)
        if final >= 0:
            stop = departure[final]
            how = outcome[final]
            if bed[service_of(nxt[final])] >= 0:
                dta = end[final]
                admitted_at = stop
        out_i[0, m] = patient[i]
        out_i[1, m] = site
        out_i[2, m] = group[i]
        out_f[0, m] = start
        out_f[1, m] = stop
        out_f[2, m] = dta
        out_f[3, m] = admitted_at
        out_o[m] = how
        m += 1
    # walk-ins still in (or queueing for) triage at the end: arrived, not yet in the cubicles
    for i in range(svc.shape[0]):
        site = triage[svc[i]]
        if site < 0 or ed[service_of(nxt[i])] >= 0:
            continue
        out_i[0, m] = patient[i]
        out_i[1, m] = site
        out_i[2, m] = group[i]
        out_f[0, m] = arrival[i]
        out_f[1, m] = departure[i]
        out_f[2, m] = np.nan
        out_f[3, m] = np.nan
        out_o[m] = outcome[i]
        m += 1
    return m


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
    rows = ctx.rows_of(amb)
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
