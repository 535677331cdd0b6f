"""Acute G&A beds: occupancy, beds in force, admissions, NCTR, lost bed days, discharges.

NHS definitions: G&A bed occupancy is occupied G&A beds as a percentage of G&A beds available
(NHS England, UEC daily situation reports and KH03; the sitrep counts at 08:00, the model
averages over the hours); patients with no criteria to reside (NCTR) are those who no longer need
to be in an acute bed but remain there (NHS England, acute discharge situation report); lost bed
days are the bed days those patients occupy. Discharges are counted by pathway 0-3 (Hospital
Discharge Service: Policy and Operating Model, DHSC 2022): P0 home with no new support, P1 home
with support, P2 rehabilitation or step-down bed, P3 care home.

In the model a patient is NCTR from becoming medically fit until leaving the bed: the discharge
process (all pathways) and, on P1-P3, the wait for a discharge-to-assess (D2A) place.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simcare.kpi.context import Context
from simcare.kpi.definitions import KPI
from simcare.kpi.periods import Block, Level
from simcare.model import services
from simcare.scenario.compile import PATHWAYS

ALL_PATHWAYS = ("P0", *PATHWAYS)
GROUPS = ("trust", "ICB")


def _trusts(ctx: Context) -> tuple[list[str], list[str]]:
    trusts = ctx.present(services.BEDS, ctx.cs.trusts)
    return trusts, [services.beds(t) for t in trusts]


def _series(ctx: Context, field: str) -> tuple[list[str], np.ndarray]:
    """Group names (trusts, then "ICB") and hourly series (G, H) of ``field`` at the G&A beds;
    ``occupied`` is in service plus blocked (medically fit patients still in the bed)."""
    trusts, names = _trusts(ctx)
    if field == "occupied":
        data = ctx.series("in_service", names) + ctx.series("blocked", names)
    else:
        data = ctx.series(field, names)
    return [*trusts, "ICB"], np.vstack([data, data.sum(0, keepdims=True)])


def ga_occupancy(ctx: Context) -> list[Block]:
    if not _trusts(ctx)[0]:
        return []
    groups, occupied = _series(ctx, "occupied")
    return ctx.cal.series_blocks("ga_occupancy", "%", groups, occupied, _series(ctx, "capacity")[1], 100.0)


def ga_beds(ctx: Context) -> list[Block]:
    if not _trusts(ctx)[0]:
        return []
    groups, beds = _series(ctx, "capacity")
    return ctx.cal.series_blocks("ga_beds", "beds", groups, beds)


def ga_beds_occupied(ctx: Context) -> list[Block]:
    if not _trusts(ctx)[0]:
        return []
    groups, occupied = _series(ctx, "occupied")
    return ctx.cal.series_blocks("ga_beds_occupied", "beds", groups, occupied)


def _daily_occupancy(ctx: Context) -> tuple[list[str], np.ndarray]:
    """Group names and (G, D) daily occupancy %: the day's occupied bed-hours over bed-hours."""
    groups, occupied = _series(ctx, "occupied")
    beds = ctx.cal.hour_sums(_series(ctx, "capacity")[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = np.where(beds > 0, 100.0 * ctx.cal.hour_sums(occupied) / beds, np.nan)
    return groups, daily


def ga_occupancy_peak(ctx: Context) -> list[Block]:
    if not _trusts(ctx)[0]:
        return []
    groups, daily = ctx.cached(_daily_occupancy)
    level = Level(tuple(groups), np.zeros(0, dtype=np.int64))
    return ctx.cal.summary_blocks("ga_occupancy_peak", "%", level, daily, "max")


def _days_over(kpi: str, threshold: float) -> Callable[[Context], list[Block]]:
    def compute(ctx: Context) -> list[Block]:
        if not _trusts(ctx)[0]:
            return []
        groups, daily = ctx.cached(_daily_occupancy)
        level = Level(tuple(groups), np.zeros(0, dtype=np.int64))
        return ctx.cal.summary_blocks(kpi, "days", level, daily, "days_over", threshold)

    compute.__name__ = kpi
    return compute


def nctr(ctx: Context) -> list[Block]:
    if not _trusts(ctx)[0]:
        return []
    groups, blocked = _series(ctx, "blocked")
    return ctx.cal.series_blocks("nctr", "patients", groups, blocked)


def lost_bed_days(ctx: Context) -> list[Block]:
    if not _trusts(ctx)[0]:
        return []
    groups, blocked = _series(ctx, "blocked")
    level = Level(tuple(groups), np.zeros(0, dtype=np.int64))
    bed_hours = ctx.cal.hour_sums(blocked)
    return ctx.cal.ratio_blocks("lost_bed_days", "bed days", level, bed_hours, scale=1.0 / 24)


REASONS = ("capacity_P1", "capacity_P2", "capacity_P3", "process")
MINUTES_PER_HOUR = 60.0


def interval_stock(
    key: np.ndarray, start: np.ndarray, stop: np.ndarray, n_keys: int, hours: int
) -> np.ndarray:
    """(n_keys, hours) hourly mean number of open intervals per key: interval i, of group
    ``key[i]`` (n,) int in 0..n_keys-1, runs from ``start[i]`` to ``stop[i]`` (n,) minutes from the
    origin; times past the last hour are cut. The same time-average over each hour as the
    engine's hourly series. Vectorised: an interval adds its partial first and last hours by
    ``bincount`` and its whole hours in between by a cumulative sum of +60/-60 steps."""
    span = hours * MINUTES_PER_HOUR
    a = np.clip(start, 0.0, span)
    b = np.clip(stop, 0.0, span)
    ok = b > a
    key, a, b = key[ok], a[ok], b[ok]
    ha = np.minimum(np.floor(a / MINUTES_PER_HOUR).astype(np.int64), hours - 1)
    hb = np.minimum(np.floor(b / MINUTES_PER_HOUR).astype(np.int64), hours)  # hours: ends at the end
    same = ha == hb
    size = n_keys * (hours + 1)
    base = key * (hours + 1)
    minutes = np.bincount(base[same] + ha[same], weights=b[same] - a[same], minlength=size)
    minutes = minutes.astype(np.float64)  # an empty bincount is int64
    apart = ~same
    first_part = (ha[apart] + 1) * MINUTES_PER_HOUR - a[apart]
    last_part = b[apart] - hb[apart] * MINUTES_PER_HOUR
    minutes += np.bincount(base[apart] + ha[apart], weights=first_part, minlength=size)
    minutes += np.bincount(base[apart] + hb[apart], weights=last_part, minlength=size)
    steps = np.bincount(base[apart] + ha[apart] + 1, minlength=size).astype(np.float64)
    steps -= np.bincount(base[apart] + hb[apart], minlength=size)
    whole = np.cumsum(steps.reshape(n_keys, hours + 1), axis=1) * MINUTES_PER_HOUR
    return ((minutes.reshape(n_keys, hours + 1) + whole) / MINUTES_PER_HOUR)[:, :hours]


def _capacity_waits(ctx: Context) -> np.ndarray:
    """(T, 3, H) hourly mean number of medically fit patients in the G&A beds of each trust
    (``cs.trusts``) waiting for discharge-to-assess capacity of pathway P1, P2, P3: from joining
    the queue of ``d2a:Pk:LA`` (the visit's arrival, after the discharge process; the patient is
    blocked in the bed) to starting there, or to the end of the run."""
    v = ctx.visits
    H = ctx.result.blocked.shape[1]
    T = len(ctx.cs.trusts)
    pathway = np.full(len(ctx.index) + 1, -1, dtype=np.int64)
    for name, s in ctx.index.items():
        kind, parts = services.parse(name)
        if kind == services.D2A and parts[0] in PATHWAYS:
            pathway[s] = PATHWAYS.index(parts[0])
    bed = ctx.services_of(services.BEDS, ctx.cs.trusts)
    rows = ctx.rows_in(pathway)[0]
    prev = ctx.neighbours[0][rows]
    trust = bed[np.where(prev >= 0, v.service[np.maximum(prev, 0)], len(ctx.index))]
    rows, trust = rows[trust >= 0], trust[trust >= 0]  # from a bed (not a D2A census place)
    key = trust * len(PATHWAYS) + pathway[v.service[rows]]
    stop = np.where(np.isnan(v.start[rows]), ctx.end_time, v.start[rows])
    stock = interval_stock(key, v.arrival[rows], stop, T * len(PATHWAYS), H)
    return stock.reshape(T, len(PATHWAYS), H)


def nctr_by_reason(ctx: Context) -> list[Block]:
    trusts, names = _trusts(ctx)
    if not trusts:
        return []
    blocked = ctx.series("blocked", names)  # (T', H): the nctr stock of each trust with beds
    capacity = ctx.cached(_capacity_waits)[[ctx.cs.trusts.index(t) for t in trusts]]  # (T', 3, H)
    parts = [capacity[:, k] for k in range(len(PATHWAYS))]
    parts.append(blocked - capacity.sum(axis=1))  # the discharge process: everything else
    out = []
    for reason, part in zip(REASONS, parts, strict=True):
        groups = [f"{reason}:{t}" for t in (*trusts, "ICB")]
        out += ctx.cal.series_blocks(
            "nctr_by_reason", "patients", groups, np.vstack([part, part.sum(0, keepdims=True)])
        )
    return out


def bed_rows(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """(rows, trust index) of every G&A bed visit."""
    return ctx.rows_in(ctx.services_of(services.BEDS, ctx.cs.trusts))


def emergency_admissions(ctx: Context) -> list[Block]:
    rows, trust = ctx.cached(bed_rows)
    keep = ~ctx.census(rows)  # patients placed in beds by a census were not admitted in the run
    rows, trust = rows[keep], trust[keep]
    levels = [
        Level(ctx.cs.trusts, trust),
        Level.whole("ICB", rows.shape[0]),
        *ctx.patient_levels(ctx.visits.group[rows]),
    ]
    return ctx.cal.tally_blocks("emergency_admissions", "admissions", levels, ctx.visits.start[rows])


def discharges(ctx: Context) -> list[Block]:
    rows, trust = ctx.cached(bed_rows)
    v = ctx.visits
    nxt = ctx.neighbours[1][rows]
    pathway_of = np.zeros(len(ctx.index) + 1, dtype=np.int64)  # P0 unless the next service is D2A
    for name, s in ctx.index.items():
        kind, parts = services.parse(name)
        if kind == services.D2A and parts[0] in ALL_PATHWAYS:
            pathway_of[s] = ALL_PATHWAYS.index(parts[0])
    pathway = pathway_of[np.where(nxt >= 0, v.service[np.maximum(nxt, 0)], len(ctx.index))]
    levels = [
        Level(ALL_PATHWAYS, pathway),
        Level(ctx.cs.trusts, trust),
        Level.whole("ICB", rows.shape[0]),
    ]
    return ctx.cal.tally_blocks("discharges", "patients", levels, v.departure[rows])


_SITREP = "NHS England, UEC daily situation reports (G&A beds) and KH03 bed availability and occupancy"
_NCTR = "NHS England, acute discharge situation report (patients no longer meeting the criteria to reside)"
_HOURS = "hourly in-service, blocked and capacity of beds:TRUST"

KPIS: tuple[KPI, ...] = (
    KPI(
        "ga_occupancy",
        "%",
        "time-weighted",
        "General and acute (G&A) bed occupancy: occupied beds (patients in their stay plus medically "
        "fit patients still in a bed) as a percentage of beds in force (escalation beds included "
        "while open). Period value: occupied bed-hours over available bed-hours.",
        _SITREP,
        _HOURS,
        GROUPS,
        ga_occupancy,
        requires=(services.BEDS,),
    ),
    KPI(
        "ga_beds",
        "beds",
        "time-weighted",
        "G&A beds in force (base beds plus open escalation beds), mean over the period.",
        _SITREP,
        _HOURS,
        GROUPS,
        ga_beds,
    ),
    KPI(
        "ga_beds_occupied",
        "beds",
        "time-weighted",
        "G&A beds occupied (patients in their stay plus medically fit patients still in a bed), "
        "mean over the period: the numerator of ga_occupancy.",
        _SITREP,
        _HOURS,
        GROUPS,
        ga_beds_occupied,
        requires=(services.BEDS,),
    ),
    KPI(
        "ga_occupancy_peak",
        "%",
        "time-weighted",
        "Highest daily G&A bed occupancy in the period (each day's occupied bed-hours over its "
        "bed-hours). Months and run only.",
        _SITREP,
        _HOURS,
        GROUPS,
        ga_occupancy_peak,
        ("month", "run"),
        requires=(services.BEDS,),
    ),
    KPI(
        "ga_days_over_92",
        "days",
        "time-weighted",
        "Days in the period whose daily G&A bed occupancy was over 92 % (the level NHS planning "
        "guidance aims to stay below). Months and run only.",
        _SITREP + "; NHS planning guidance 2024/25 (92 %)",
        _HOURS,
        GROUPS,
        _days_over("ga_days_over_92", 92.0),
        ("month", "run"),
    ),
    KPI(
        "ga_days_over_95",
        "days",
        "time-weighted",
        "Days in the period whose daily G&A bed occupancy was over 95 %. Months and run only.",
        _SITREP,
        _HOURS,
        GROUPS,
        _days_over("ga_days_over_95", 95.0),
        ("month", "run"),
        requires=(services.BEDS,),
    ),
    KPI(
        "nctr",
        "patients",
        "time-weighted",
        "Patients in an acute G&A bed who no longer meet the criteria to reside (medically fit: in "
        "the discharge process or waiting for discharge-to-assess capacity), mean number.",
        _NCTR,
        "hourly blocked of beds:TRUST",
        GROUPS,
        nctr,
    ),
    KPI(
        "lost_bed_days",
        "bed days",
        "time-weighted",
        "Bed days occupied by patients with no criteria to reside: the NCTR stock integrated over "
        "the period (patient-hours / 24).",
        _NCTR,
        "hourly blocked of beds:TRUST",
        GROUPS,
        lost_bed_days,
        requires=(services.BEDS,),
    ),
    KPI(
        "nctr_by_reason",
        "patients",
        "time-weighted",
        "NCTR split by reason, mean number; group `REASON:TRUST` or `REASON:ICB`. `capacity_Pk` "
        "(k = 1, 2, 3): medically fit patients in a G&A bed waiting for discharge-to-assess "
        "capacity of pathway k, from joining the queue of `d2a:Pk:LA` (after the discharge "
        "process) to starting there. `process`: nctr minus the capacity parts, the discharge "
        "process (decision, referrals, assessment, transport) of every pathway, with any wait for "
        "the trust's discharge hours (docs/model.md R15a). The four reasons "
        "of a trust or the ICB add up to its nctr. By local authority, the capacity parts are "
        "d2a_queue (P:LA).",
        _NCTR + "; delay reasons of the daily discharge sitrep (mapping in docs/kpis.md)",
        "hourly blocked of beds:TRUST; visits to d2a:P:LA (arrival to start)",
        ("reason",),
        nctr_by_reason,
        requires=(services.BEDS,),
    ),
    KPI(
        "emergency_admissions",
        "admissions",
        "tally",
        "Emergency admissions to G&A beds (via the ED, SDEC or direct GP referral), counted when "
        "the patient gets the bed. Patients placed in beds by a starting census are not admissions.",
        "NHS England, A&E Attendances and Emergency Admissions (emergency admissions)",
        "admission (start of the bed stay)",
        ("trust", "ICB", "acuity", "locality"),
        emergency_admissions,
    ),
    KPI(
        "discharges",
        "patients",
        "tally",
        "Discharges from G&A beds, by pathway (`P0`-`P3`, the ICB's total), by trust and in all.",
        "DHSC Hospital Discharge Service: Policy and Operating Model (2022); NHS England discharge sitrep",
        "leaving the bed",
        ("pathway", "trust", "ICB"),
        discharges,
        requires=(services.BEDS,),
    ),
)
