"""Ambulance: conveyances, handover delays, crew hours lost and response (crew allocation).

NHS definitions: handover time is the time from the ambulance's arrival at the ED to the handover
of the patient to ED staff (the crew is then free); NHS England's UEC sitreps count handovers over
15, 30 and 60 minutes, and "hours lost" is the time each handover takes beyond 15 minutes
(NHS England / AACE ambulance handover guidance, 2023; UEC Recovery Plan, 2023). In the model the
crew's job cycle ends at the ED door, and the handover ends when the ED takes the patient into a
cubicle or the release rule moves the patient to the corridor.

Handovers still under way at the end of the run count against a threshold once they have
exceeded it (and their time so far counts as hours lost); the mean uses finished handovers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simcare.kpi.context import Context
from simcare.kpi.definitions import KPI
from simcare.kpi.journeys import Conveyances, conveyances
from simcare.kpi.periods import Block, Level
from simcare.model import services

HANDOVER_TARGET = 15.0
GROUPS = ("site", "trust", "ICB")
NEEDS = (services.AMBULANCE,)


def _levels(ctx: Context) -> list[Level]:
    """Site, trust and ICB of each conveyance (shared by the handover KPIs)."""
    c = ctx.cached(conveyances)
    return [Level(ctx.cs.ed_sites, c.site), ctx.trust_level(c.site), Level.whole("ICB", c.site.shape[0])]


def _so_far(ctx: Context, c: Conveyances) -> np.ndarray:
    """Handover minutes, to the end of the run for those still waiting."""
    return np.where(np.isnan(c.handover), ctx.end_time - c.arrival, c.handover)


def conveyances_kpi(ctx: Context) -> list[Block]:
    c = ctx.cached(conveyances)
    return ctx.cal.tally_blocks("conveyances", "patients", ctx.cached(_levels), c.arrival)


def handover_mean(ctx: Context) -> list[Block]:
    c = ctx.cached(conveyances)
    ones = np.where(np.isnan(c.handover), np.nan, 1.0)
    return ctx.cal.tally_blocks("handover_mean", "min", ctx.cached(_levels), c.arrival, c.handover, ones)


def _handover_over(minutes: float) -> Callable[[Context], list[Block]]:
    def compute(ctx: Context) -> list[Block]:
        c = ctx.cached(conveyances)
        over = (_so_far(ctx, c) > minutes).astype(float)
        kpi = f"handover_over_{minutes:.0f}"
        return ctx.cal.tally_blocks(kpi, "handovers", ctx.cached(_levels), c.arrival, over)

    compute.__name__ = f"handover_over_{minutes:.0f}"
    return compute


def crew_hours_lost(ctx: Context) -> list[Block]:
    c = ctx.cached(conveyances)
    hours = np.maximum(_so_far(ctx, c) - HANDOVER_TARGET, 0.0) / 60.0
    return ctx.cal.tally_blocks("crew_hours_lost", "h", ctx.cached(_levels), c.arrival, hours)


def _calls(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """(call time, minutes to a crew; NaN if still waiting) of every ambulance request."""
    amb = ctx.service(services.AMBULANCE)
    v = ctx.visits
    rows = ctx.rows_of(amb) if amb is not None else np.zeros(0, dtype=np.int64)
    return v.arrival[rows], v.start[rows] - v.arrival[rows]


def ambulance_response_mean(ctx: Context) -> list[Block]:
    call, wait = ctx.cached(_calls)
    ones = np.where(np.isnan(wait), np.nan, 1.0)
    level = Level.whole("ICB", call.shape[0])
    return ctx.cal.tally_blocks("ambulance_response_mean", "min", [level], call, wait, ones)


def ambulance_response_p90(ctx: Context) -> list[Block]:
    call, wait = ctx.cached(_calls)
    level = Level.whole("ICB", call.shape[0])
    return ctx.cal.quantile_blocks("ambulance_response_p90", "min", [level], call, wait, 0.90)


def crews_at_handover(ctx: Context) -> list[Block]:
    if ctx.service(services.AMBULANCE) is None:
        return []
    waiting = ctx.series("blocked", [services.AMBULANCE])
    return ctx.cal.series_blocks("crews_at_handover", "crews", ["ICB"], waiting)


def ambulance_queue(ctx: Context) -> list[Block]:
    if ctx.service(services.AMBULANCE) is None:
        return []
    return ctx.cal.series_blocks(
        "ambulance_queue", "patients", ["ICB"], ctx.series("waiting", [services.AMBULANCE])
    )


_SOURCE = (
    "NHS England UEC daily situation reports: ambulance handover delays; NHS England/AACE handover guidance"
)
_ARRIVAL = "arrival at the ED"

KPIS: tuple[KPI, ...] = (
    KPI(
        "conveyances",
        "patients",
        "tally",
        "Patients conveyed by ambulance to a type-1 ED (by the ED they were taken to, after any divert).",
        "AmbSYS: incidents with patients conveyed to a type-1 ED",
        _ARRIVAL,
        GROUPS,
        conveyances_kpi,
        requires=NEEDS,
    ),
    KPI(
        "handover_mean",
        "min",
        "tally",
        "Mean ambulance handover time: arrival at the ED to the patient being handed over to ED staff "
        "(or released to the corridor), finished handovers.",
        _SOURCE,
        _ARRIVAL,
        GROUPS,
        handover_mean,
        requires=NEEDS,
    ),
    KPI(
        "handover_over_15",
        "handovers",
        "tally",
        "Handovers taking more than 15 minutes from arrival at the ED (the national standard).",
        _SOURCE,
        _ARRIVAL,
        GROUPS,
        _handover_over(15.0),
        requires=NEEDS,
    ),
    KPI(
        "handover_over_30",
        "handovers",
        "tally",
        "Handovers taking more than 30 minutes from arrival at the ED.",
        _SOURCE,
        _ARRIVAL,
        GROUPS,
        _handover_over(30.0),
        requires=NEEDS,
    ),
    KPI(
        "handover_over_60",
        "handovers",
        "tally",
        "Handovers taking more than 60 minutes from arrival at the ED.",
        _SOURCE,
        _ARRIVAL,
        GROUPS,
        _handover_over(60.0),
        requires=NEEDS,
    ),
    KPI(
        "crew_hours_lost",
        "h",
        "tally",
        "Ambulance crew hours lost to handover delays: the time each handover takes beyond 15 "
        "minutes, summed, in hours.",
        _SOURCE,
        _ARRIVAL,
        GROUPS,
        crew_hours_lost,
        requires=NEEDS,
    ),
    KPI(
        "crews_at_handover",
        "crews",
        "time-weighted",
        "Ambulance crews at an ED waiting to hand their patient over, mean number over the period "
        "(the stock behind crew_hours_lost).",
        "model measure",
        "hourly blocked of the ambulance service",
        ("ICB",),
        crews_at_handover,
        requires=NEEDS,
    ),
    KPI(
        "ambulance_response_mean",
        "min",
        "tally",
        "Mean time from a 999 call needing a crew to a crew being allocated (waiting for a free "
        "crew). Not the AmbSYS response time: the model has no separate travel time (it is part of "
        "the job cycle). Calls still waiting at the end are left out.",
        "model measure, after AmbSYS response times",
        "999 call",
        ("ICB",),
        ambulance_response_mean,
        requires=NEEDS,
    ),
    KPI(
        "ambulance_response_p90",
        "min",
        "tally",
        "90th centile of the time from a 999 call to a crew being allocated (as AmbSYS reports "
        "90th centiles), calls that got a crew.",
        "model measure, after AmbSYS response times",
        "999 call",
        ("ICB",),
        ambulance_response_p90,
        requires=NEEDS,
    ),
    KPI(
        "ambulance_queue",
        "patients",
        "time-weighted",
        "999 calls waiting for a free crew, mean number over the period.",
        "model measure",
        "hourly waiting of the ambulance service",
        ("ICB",),
        ambulance_queue,
        requires=NEEDS,
    ),
)
