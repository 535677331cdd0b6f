"""A&E: type-1 ED attendances and urgent community hubs (UTC/MIU, type 3).

NHS definitions (NHS England, "A&E Attendances and Emergency Admissions" monthly statistics and
their technical guidance; ECDS for time in department):

- the 4-hour standard: an attendance's total time in A&E, from arrival to departure (admission,
  transfer or discharge), at most 4 hours;
- 12 hours from arrival: total time in A&E over 12 hours (ECDS);
- decision to admit to admission ("trolley waits"): over 4 hours and over 12 hours;
- left without being seen: the patient left before assessment and treatment.

Open attendances (still in the ED at the end of the run) count against a threshold once they have
exceeded it, and are otherwise left out of percentages; means and centiles use finished ones.
"""

from __future__ import annotations

import numpy as np

from simcare.kpi.context import Context
from simcare.kpi.definitions import KPI
from simcare.kpi.journeys import ed_journeys
from simcare.kpi.periods import Block, Level
from simcare.model import enums as E
from simcare.model import services

FOUR_HOURS = 240.0
TWELVE_HOURS = 720.0
ED_GROUPS = ("site", "trust", "ICB", "acuity", "locality")


def _ed_levels(ctx: Context) -> list[Level]:
    """Sites, trusts, ICB, acuity and locality of each ED attendance (shared by the ED KPIs)."""
    j = ctx.cached(ed_journeys)
    return [
        Level(ctx.cs.ed_sites, j.site),
        ctx.trust_level(j.site),
        Level.whole("ICB", j.site.shape[0]),
        *ctx.patient_levels(j.group),
    ]


def _hub_visits(ctx: Context) -> tuple[np.ndarray, ...]:
    """(hub index, patient group, arrival, departure) of every hub visit, arrays (n,)."""
    v = ctx.visits
    rows, hub = ctx.rows_in(ctx.services_of(services.HUB, ctx.cs.hubs))
    return hub, v.group[rows], v.arrival[rows], v.departure[rows]


def _attendances(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Level]]:
    """Type-1 attendances and hub visits together: (start, end, duration so far, levels)."""
    j = ctx.cached(ed_journeys)
    hub, group, h_start, h_end = ctx.cached(_hub_visits)
    n_ed, n_hub = j.site.shape[0], hub.shape[0]
    start = np.concatenate([j.start, h_start])
    end = np.concatenate([j.end, h_end])
    minus = np.full(n_hub, -1, dtype=np.int64)
    levels = [
        Level(ctx.cs.ed_sites, np.concatenate([j.site, minus])),
        ctx.trust_level(np.concatenate([j.site, minus])),
        Level(tuple(services.hub(h) for h in ctx.cs.hubs), np.concatenate([np.full(n_ed, -1), hub])),
        Level(("type1", "type3"), np.repeat(np.array([0, 1]), [n_ed, n_hub])),
        Level.whole("ICB", n_ed + n_hub),
        *ctx.patient_levels(np.concatenate([j.group, group])),
    ]
    return start, end, ctx.duration(start, end), levels


def _within(end: np.ndarray, duration: np.ndarray, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """(within, counted) 0/1 weights: finished within ``limit``; finished or already over it."""
    done = ~np.isnan(end)
    within = done & (duration <= limit)
    return within.astype(float), (done | (duration > limit)).astype(float)


def ae_attendances(ctx: Context) -> list[Block]:
    start, _, _, levels = ctx.cached(_attendances)
    return ctx.cal.tally_blocks("ae_attendances", "attendances", levels, start)


def ae_within_4h(ctx: Context) -> list[Block]:
    start, end, duration, levels = ctx.cached(_attendances)
    within, counted = _within(end, duration, FOUR_HOURS)
    return ctx.cal.tally_blocks("ae_within_4h", "%", levels, start, within, counted, 100.0)


def ae_over_12h(ctx: Context) -> list[Block]:
    j = ctx.cached(ed_journeys)
    over = (ctx.duration(j.start, j.end) > TWELVE_HOURS).astype(float)
    return ctx.cal.tally_blocks("ae_over_12h", "attendances", ctx.cached(_ed_levels), j.start, over)


def _dta_over(ctx: Context, kpi: str, limit: float) -> list[Block]:
    j = ctx.cached(ed_journeys)
    admitted = ~np.isnan(j.dta)
    over = (ctx.duration(j.dta, j.admitted_at) > limit) & admitted
    return ctx.cal.tally_blocks(kpi, "patients", ctx.cached(_ed_levels), j.dta, over.astype(float))


def dta_over_4h(ctx: Context) -> list[Block]:
    return _dta_over(ctx, "dta_over_4h", FOUR_HOURS)


def dta_over_12h(ctx: Context) -> list[Block]:
    return _dta_over(ctx, "dta_over_12h", TWELVE_HOURS)


def lwbs(ctx: Context) -> list[Block]:
    j = ctx.cached(ed_journeys)
    left = (j.outcome == E.OUT_ABANDONED).astype(float)
    return ctx.cal.tally_blocks("lwbs", "attendances", ctx.cached(_ed_levels), j.start, left)


def time_in_dept_mean(ctx: Context) -> list[Block]:
    j = ctx.cached(ed_journeys)
    minutes = j.end - j.start
    ones = np.where(np.isnan(minutes), np.nan, 1.0)
    return ctx.cal.tally_blocks("time_in_dept_mean", "min", ctx.cached(_ed_levels), j.start, minutes, ones)


def time_in_dept_p95(ctx: Context) -> list[Block]:
    j = ctx.cached(ed_journeys)
    levels = ctx.cached(_ed_levels)
    return ctx.cal.quantile_blocks("time_in_dept_p95", "min", levels, j.start, j.end - j.start, 0.95)


def _ed_series(ctx: Context) -> tuple[list[str], list[str]]:
    sites = ctx.present(services.ED, ctx.cs.ed_sites)
    return sites, [services.ed(s) for s in sites]


def ed_occupancy(ctx: Context) -> list[Block]:
    sites, names = _ed_series(ctx)
    if not sites:
        return []
    occupied = ctx.series("in_service", names) + ctx.series("blocked", names)
    cubicles = ctx.series("capacity", names)
    cal = ctx.cal
    return [
        *cal.series_blocks("ed_occupancy", "%", sites, occupied, cubicles, 100.0),
        *cal.series_blocks(
            "ed_occupancy",
            "%",
            ["ICB"],
            occupied.sum(0, keepdims=True),
            cubicles.sum(0, keepdims=True),
            100.0,
        ),
    ]


def ed_boarding(ctx: Context) -> list[Block]:
    sites, names = _ed_series(ctx)
    if not sites:
        return []
    boarding = ctx.series("blocked", names)
    return [
        *ctx.cal.series_blocks("ed_boarding", "patients", sites, boarding),
        *ctx.cal.series_blocks("ed_boarding", "patients", ["ICB"], boarding.sum(0, keepdims=True)),
    ]


# --- hubs (UTC / MIU) ---------------------------------------------------------------------------------
def _hub_levels(ctx: Context) -> list[Level]:
    hub = ctx.cached(_hub_visits)[0]
    return [Level(tuple(services.hub(h) for h in ctx.cs.hubs), hub), Level.whole("ICB", hub.shape[0])]


def hub_attendances(ctx: Context) -> list[Block]:
    hub, _, start, _ = ctx.cached(_hub_visits)
    return ctx.cal.tally_blocks("hub_attendances", "attendances", ctx.cached(_hub_levels), start)


def hub_within_4h(ctx: Context) -> list[Block]:
    hub, _, start, end = ctx.cached(_hub_visits)
    within, counted = _within(end, ctx.duration(start, end), FOUR_HOURS)
    return ctx.cal.tally_blocks("hub_within_4h", "%", ctx.cached(_hub_levels), start, within, counted, 100.0)


def hub_utilisation(ctx: Context) -> list[Block]:
    hubs = ctx.present(services.HUB, ctx.cs.hubs)
    if not hubs:
        return []
    names = [services.hub(h) for h in hubs]
    busy, staffed = ctx.series("in_service", names), ctx.series("capacity", names)
    return [
        *ctx.cal.series_blocks("hub_utilisation", "%", names, busy, staffed, 100.0),
        *ctx.cal.series_blocks(
            "hub_utilisation", "%", ["ICB"], busy.sum(0, keepdims=True), staffed.sum(0, keepdims=True), 100.0
        ),
    ]


_ARRIVAL = "arrival at triage, or at the ED for an ambulance patient"
_AE_SOURCE = (
    "NHS England, A&E Attendances and Emergency Admissions: monthly statistics and technical guidance"
)

KPIS: tuple[KPI, ...] = (
    KPI(
        "ae_attendances",
        "attendances",
        "tally",
        "A&E attendances: type-1 ED attendances (a patient's journey from arrival at triage, or at "
        "the ED for an ambulance patient, until leaving the ED; a handover released to the corridor "
        "is the same attendance) and urgent community hub (UTC/MIU, type 3) visits. `ICB` counts "
        "both types; `type1` and `type3` each.",
        _AE_SOURCE,
        _ARRIVAL,
        ("site", "trust", "hub", "type", "ICB", "acuity", "locality"),
        ae_attendances,
        requires=(services.ED, services.HUB),
    ),
    KPI(
        "ae_within_4h",
        "%",
        "tally",
        "Percentage of A&E attendances with a total time in A&E (arrival to departure) of 4 hours or "
        "less: the 4-hour standard. Attendances still open at the end of the run count as over 4 "
        "hours once they have passed 4 hours, and are otherwise left out.",
        _AE_SOURCE,
        _ARRIVAL,
        ("site", "trust", "hub", "type", "ICB", "acuity", "locality"),
        ae_within_4h,
        requires=(services.ED, services.HUB),
    ),
    KPI(
        "ae_over_12h",
        "attendances",
        "tally",
        "Type-1 attendances with a total time in the ED over 12 hours from arrival (including those "
        "still in the ED 12 hours after arrival at the end of the run).",
        "NHS England, A&E statistics: 12 hours from arrival (ECDS)",
        _ARRIVAL,
        ED_GROUPS,
        ae_over_12h,
        requires=(services.ED,),
    ),
    KPI(
        "dta_over_4h",
        "patients",
        "tally",
        "Type-1 ED patients waiting more than 4 hours from the decision to admit (the end of their "
        "ED treatment, when they need a G&A bed) to admission (leaving the ED for the bed): "
        "'trolley waits'. Those still boarding at the end count once over 4 hours.",
        _AE_SOURCE + " (decision to admit to admission)",
        "decision to admit",
        ED_GROUPS,
        dta_over_4h,
        requires=(services.ED,),
    ),
    KPI(
        "dta_over_12h",
        "patients",
        "tally",
        "As dta_over_4h, over 12 hours from decision to admit to admission (12-hour trolley waits).",
        _AE_SOURCE + " (decision to admit to admission)",
        "decision to admit",
        ED_GROUPS,
        dta_over_12h,
        requires=(services.ED,),
    ),
    KPI(
        "lwbs",
        "attendances",
        "tally",
        "Type-1 attendances that left without being seen: the patient's patience ran out while "
        "waiting for a cubicle (only acuities with `lwbs_patience`).",
        "ECDS discharge status 'left department before being treated'",
        _ARRIVAL,
        ED_GROUPS,
        lwbs,
        requires=(services.ED,),
    ),
    KPI(
        "time_in_dept_mean",
        "min",
        "tally",
        "Mean total time in the type-1 ED, arrival to departure, of finished attendances.",
        "ECDS / A&E clinical quality indicators: time in department",
        _ARRIVAL,
        ED_GROUPS,
        time_in_dept_mean,
        requires=(services.ED,),
    ),
    KPI(
        "time_in_dept_p95",
        "min",
        "tally",
        "95th centile of total time in the type-1 ED (arrival to departure) of finished attendances "
        "(linear interpolation between order statistics).",
        "ECDS / A&E clinical quality indicators: time in department",
        _ARRIVAL,
        ED_GROUPS,
        time_in_dept_p95,
        requires=(services.ED,),
    ),
    KPI(
        "ed_occupancy",
        "%",
        "time-weighted",
        "ED cubicles occupied (patients being assessed or treated, plus admitted patients boarding "
        "in a cubicle) as a percentage of cubicles in force; ICB: all sites' occupied over all "
        "sites' cubicles.",
        "model measure (no national statistic)",
        "hourly in-service, blocked and capacity of ed:SITE",
        ("site", "ICB"),
        ed_occupancy,
        requires=(services.ED,),
    ),
    KPI(
        "ed_boarding",
        "patients",
        "time-weighted",
        "Admitted patients boarding in the ED (decided to admit, waiting for a G&A bed), mean number "
        "over the period.",
        "model measure (the stock behind dta_over_4h)",
        "hourly blocked of ed:SITE",
        ("site", "ICB"),
        ed_boarding,
        requires=(services.ED,),
    ),
    KPI(
        "hub_attendances",
        "attendances",
        "tally",
        "Attendances at urgent community hubs (UTC/MIU; type 3 A&E), walk-in and booked by 111.",
        _AE_SOURCE + " (type 3)",
        "arrival at the hub",
        ("hub", "ICB"),
        hub_attendances,
        requires=(services.HUB,),
    ),
    KPI(
        "hub_within_4h",
        "%",
        "tally",
        "Percentage of hub attendances completed within 4 hours of arrival (type-3 4-hour standard; "
        "open ones as for ae_within_4h).",
        _AE_SOURCE + " (type 3)",
        "arrival at the hub",
        ("hub", "ICB"),
        hub_within_4h,
        requires=(services.HUB,),
    ),
    KPI(
        "hub_utilisation",
        "%",
        "time-weighted",
        "Clinician utilisation at the hubs: clinician-hours busy with a patient as a percentage of "
        "clinician-hours rostered (opening hours only).",
        "model measure",
        "hourly in-service and capacity of hub:NAME",
        ("hub", "ICB"),
        hub_utilisation,
        requires=(services.HUB,),
    ),
)
