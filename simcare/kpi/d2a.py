"""Discharge to assess (D2A): queue, wait and occupancy by pathway and local authority.

D2A capacity (pathways 1-3) is commissioned per local authority; services are ``d2a:P:LA``. A
patient on pathway 1-3 who is ready to leave hospital asks for a place and waits in the acute bed
until one is free (DHSC Hospital Discharge Service: Policy and Operating Model, 2022).
Groups: ``P:LA`` (one service; months and run only), ``P`` (the pathway across the ICB) and ``ICB``.
"""

from __future__ import annotations

import numpy as np

from simcare.kpi.context import Context
from simcare.kpi.definitions import KPI
from simcare.kpi.periods import Block, Level
from simcare.model import services
from simcare.scenario.compile import PATHWAYS

MINUTES_PER_DAY = 1440.0
GROUPS = ("d2a", "pathway", "ICB")


def _services(ctx: Context) -> tuple[list[str], list[str], np.ndarray]:
    """(service names d2a:P:LA, group names P:LA, pathway index into PATHWAYS of each)."""
    parsed = {n: services.parse(n) for n in ctx.index}
    d2a = [(n, p.parts) for n, p in parsed.items() if p.kind == services.D2A and p.parts[0] in PATHWAYS]
    names = [n for n, _ in d2a]
    groups = [services.SEP.join(parts) for _, parts in d2a]  # the KPI group PATHWAY:LA
    pathway = np.array([PATHWAYS.index(parts[0]) for _, parts in d2a], dtype=np.int64)
    return names, groups, pathway


def _series_blocks(
    ctx: Context, kpi: str, unit: str, num: np.ndarray, den: np.ndarray | None, scale: float = 1.0
) -> list[Block]:
    """Rows per service (no days), per pathway and for the ICB from hourly series (n_services, H)."""
    _, groups, pathway = ctx.cached(_services)
    one_hot = (pathway[None, :] == np.arange(len(PATHWAYS))[:, None]).astype(float)  # (P, n)
    used = one_hot.sum(1) > 0
    p_names = [p for p, u in zip(PATHWAYS, used, strict=True) if u]
    out = ctx.cal.series_blocks(kpi, unit, groups, num, den, scale, daily=False)
    out += ctx.cal.series_blocks(
        kpi, unit, p_names, (one_hot @ num)[used], None if den is None else (one_hot @ den)[used], scale
    )
    out += ctx.cal.series_blocks(
        kpi,
        unit,
        ["ICB"],
        num.sum(0, keepdims=True),
        None if den is None else den.sum(0, keepdims=True),
        scale,
    )
    return out


def d2a_queue(ctx: Context) -> list[Block]:
    names = ctx.cached(_services)[0]
    if not names:
        return []
    return _series_blocks(ctx, "d2a_queue", "patients", ctx.series("waiting", names), None)


def d2a_occupancy(ctx: Context) -> list[Block]:
    names = ctx.cached(_services)[0]
    if not names:
        return []
    return _series_blocks(
        ctx, "d2a_occupancy", "%", ctx.series("in_service", names), ctx.series("capacity", names), 100.0
    )


def d2a_wait(ctx: Context) -> list[Block]:
    names, groups, pathway = ctx.cached(_services)
    if not names:
        return []
    v = ctx.visits
    code = np.full(len(ctx.index) + 1, -1, dtype=np.int64)
    code[[ctx.index[n] for n in names]] = np.arange(len(names))
    rows = ctx.rows_in(code)[0]
    rows = rows[~ctx.census(rows)]  # census patients were placed, they did not wait
    service = code[v.service[rows]]
    days = (v.start[rows] - v.arrival[rows]) / MINUTES_PER_DAY
    levels = [
        Level(tuple(groups), service, daily=False),
        Level(PATHWAYS, pathway[service]),
        Level.whole("ICB", rows.shape[0]),
        *ctx.patient_levels(v.group[rows], acuity_too=False),
    ]
    ones = np.where(np.isnan(days), np.nan, 1.0)
    return ctx.cal.tally_blocks("d2a_wait", "days", levels, v.start[rows], days, ones)


_SOURCE = "DHSC Hospital Discharge Service: Policy and Operating Model (2022); NHS England discharge sitrep"

KPIS: tuple[KPI, ...] = (
    KPI(
        "d2a_queue",
        "patients",
        "time-weighted",
        "Patients waiting in an acute bed for a discharge-to-assess place (pathways 1-3), mean number.",
        _SOURCE,
        "hourly waiting of d2a:P:LA",
        GROUPS,
        d2a_queue,
        requires=(services.D2A,),
    ),
    KPI(
        "d2a_wait",
        "days",
        "tally",
        "Mean wait for a D2A place, from asking for it (the end of the hospital's discharge process) "
        "to starting in it; patients placed by a starting census are left out. Also by the "
        "patient's locality.",
        _SOURCE,
        "start in the D2A service",
        (*GROUPS, "locality"),
        d2a_wait,
    ),
    KPI(
        "d2a_occupancy",
        "%",
        "time-weighted",
        "D2A places occupied as a percentage of places in force.",
        _SOURCE,
        "hourly in-service and capacity of d2a:P:LA",
        GROUPS,
        d2a_occupancy,
        requires=(services.D2A,),
    ),
)
