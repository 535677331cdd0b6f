"""Same-day emergency care (SDEC) and all emergency admissions, as NHS England counts them.

NHS definitions (NHS England, "A&E Attendances and Emergency Admissions" monthly statistics and
their technical guidance): *total emergency admissions* counts every emergency admission of the
trust, via A&E or not (GP referrals, SDEC), including zero-length stays. Since 2019/20 patients
seen in a same-day emergency care unit are recorded as emergency admissions with a zero-night stay
(NHS England, "Same Day Emergency Care: clinical definition, patient selection and metrics", 2018;
the "admitted patient care" coding of SDEC activity). *Emergency admissions over 4 hours from
decision to admit* are divided by total emergency admissions in the published trolley-wait rate.

In the model an emergency admission is either

- a G&A bed admission (``beds:TRUST``, as ``emergency_admissions`` counts it: a patient placed
  in a bed by a starting census is not an admission), counted when the patient gets the bed; or
- an SDEC visit (``sdec:SITE``) whose patient is *not* then admitted to a bed, counted when the
  SDEC episode starts. A patient who goes SDEC -> bed is counted once, at the bed.

SDEC units are named by the ED site they belong to; an SDEC visit counts for the trust that runs
that site's ED (``cs.ed_trust``), or only for the ICB when the site has no ED.
"""

from __future__ import annotations

import numpy as np

from simcare.kpi.ae import FOUR_HOURS
from simcare.kpi.beds import bed_rows
from simcare.kpi.context import Context
from simcare.kpi.definitions import KPI
from simcare.kpi.journeys import ed_journeys
from simcare.kpi.periods import Block, Level
from simcare.model import services


def _sdec_sites(ctx: Context) -> list[str]:
    """Sites with an SDEC unit (service ``sdec:SITE``), in the run's service order."""
    return [services.parse(n).parts[0] for n in ctx.index if services.is_kind(n, services.SDEC)]


def _trust_names(ctx: Context) -> tuple[str, ...]:
    """Trusts that have beds or run an ED: ``cs.trusts`` first, then any other ED trust."""
    return tuple(dict.fromkeys([*ctx.cs.trusts, *(ctx.cs.ed_trust[s] for s in ctx.cs.ed_sites)]))


def _site_trust(ctx: Context, sites: list[str]) -> np.ndarray:
    """(len(sites) + 1,) int: index into ``_trust_names`` of the trust running each site's ED
    (-1 for a site with no ED, and for the trailing "no site" entry)."""
    trusts = _trust_names(ctx)
    code = [trusts.index(ctx.cs.ed_trust[s]) if s in ctx.cs.ed_trust else -1 for s in sites]
    return np.array([*code, -1], dtype=np.int64)


def _sdec_rows(ctx: Context) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(rows, SDEC site index into the returned names, site names) of every SDEC visit."""
    sites = _sdec_sites(ctx)
    rows, site = ctx.rows_in(ctx.services_of(services.SDEC, sites))
    return rows, site, sites


def sdec_attendances(ctx: Context) -> list[Block]:
    rows, site, sites = ctx.cached(_sdec_rows)
    v = ctx.visits
    levels = [
        Level(tuple(services.sdec(s) for s in sites), site),
        Level(_trust_names(ctx), _site_trust(ctx, sites)[site]),
        Level.whole("ICB", rows.shape[0]),
        *ctx.patient_levels(v.group[rows]),
    ]
    return ctx.cal.tally_blocks("sdec_attendances", "attendances", levels, v.arrival[rows])


def _all_admissions(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """(moment, trust) of every emergency admission, arrays (n,): G&A bed admissions (not census
    patients) at the start of the bed stay, then SDEC visits not followed by a bed at the start of
    the SDEC episode (NaN if it never started: not counted). ``trust`` indexes ``_trust_names``
    (-1: counted for the ICB only)."""
    v = ctx.visits
    rows, trust = ctx.cached(bed_rows)
    keep = ~ctx.census(rows)
    b_rows, b_trust = rows[keep], trust[keep]  # cs.trusts lead _trust_names: same indices
    s_rows, site, sites = ctx.cached(_sdec_rows)
    nxt = ctx.neighbours[1][s_rows]
    is_bed = ctx.services_of(services.BEDS, ctx.cs.trusts)
    to_bed = is_bed[np.where(nxt >= 0, v.service[np.maximum(nxt, 0)], len(ctx.index))] >= 0
    same_day = ~to_bed & ~ctx.census(s_rows)
    s_rows = s_rows[same_day]
    s_trust = _site_trust(ctx, sites)[site[same_day]]
    return np.concatenate([v.start[b_rows], v.start[s_rows]]), np.concatenate([b_trust, s_trust])


def _admission_days(ctx: Context) -> tuple[Level, np.ndarray]:
    """Trusts then "ICB", and (T + 1, D) emergency admissions per group and reported day."""
    moment, trust = ctx.cached(_all_admissions)
    names = _trust_names(ctx)
    by_trust = ctx.cal.day_sums(Level(names, trust), moment)
    icb = ctx.cal.day_sums(Level.whole("ICB", moment.shape[0]), moment)
    return Level((*names, "ICB"), np.zeros(0, dtype=np.int64)), np.vstack([by_trust, icb])


def emergency_admissions_all(ctx: Context) -> list[Block]:
    level, days = ctx.cached(_admission_days)
    return ctx.cal.ratio_blocks("emergency_admissions_all", "admissions", level, days)


def dta_over_4h_pct(ctx: Context) -> list[Block]:
    """100 x dta_over_4h / emergency_admissions_all per trust and ICB (numerator counted at the
    decision to admit, denominator at admission, each in its own day)."""
    j = ctx.cached(ed_journeys)
    over = ((ctx.duration(j.dta, j.admitted_at) > FOUR_HOURS) & ~np.isnan(j.dta)).astype(float)
    trust = _site_trust(ctx, list(ctx.cs.ed_sites))[j.site]
    level, admissions = ctx.cached(_admission_days)
    names = level.names[:-1]
    waits = ctx.cal.day_sums(Level(names, trust), j.dta, over)
    icb_waits = ctx.cal.day_sums(Level.whole("ICB", j.site.shape[0]), j.dta, over)
    by_trust = Level(names, np.zeros(0, dtype=np.int64), daily=False)  # as the ED KPIs: no day rows
    return [
        *ctx.cal.ratio_blocks("dta_over_4h_pct", "%", by_trust, waits, admissions[:-1], 100.0),
        *ctx.cal.ratio_blocks(
            "dta_over_4h_pct", "%", Level.whole("ICB", 0), icb_waits, admissions[-1:], 100.0
        ),
    ]


_AE_SOURCE = (
    "NHS England, A&E Attendances and Emergency Admissions: monthly statistics and technical guidance"
)

KPIS: tuple[KPI, ...] = (
    KPI(
        "sdec_attendances",
        "attendances",
        "tally",
        "Attendances at same-day emergency care units (`sdec:SITE`): patients referred from the ED, "
        "by NHS 111 or by their GP, counted when they join the unit's queue. By SDEC unit, by the "
        "trust running the unit's ED site, for the ICB, by acuity and locality. No national series "
        "publishes SDEC attendances (they are inside total emergency admissions).",
        "NHS England, Same Day Emergency Care: clinical definition, patient selection and metrics (2018)",
        "arrival at the SDEC unit",
        ("sdec", "trust", "ICB", "acuity", "locality"),
        sdec_attendances,
        requires=(services.SDEC,),
    ),
    KPI(
        "emergency_admissions_all",
        "admissions",
        "tally",
        "All emergency admissions as NHS England counts them (total emergency admissions): G&A bed "
        "admissions (as emergency_admissions: census patients are not admissions), counted when the "
        "patient gets the bed, plus SDEC episodes whose patient is not then admitted to a bed "
        "(same-day emergency care, a zero-night emergency admission), counted when the SDEC "
        "episode starts. A patient who goes from SDEC to a bed is counted once, at the bed. An "
        "SDEC episode counts for the trust running the ED of its site.",
        _AE_SOURCE + " (total emergency admissions)",
        "admission: start of the bed stay, or start of the SDEC episode",
        ("trust", "ICB"),
        emergency_admissions_all,
    ),
    KPI(
        "dta_over_4h_pct",
        "%",
        "tally",
        "Patients waiting more than 4 hours from decision to admit to admission (dta_over_4h, by the "
        "trust running the ED, counted on the day of the decision) as a percentage of all emergency "
        "admissions (emergency_admissions_all, counted on the day of admission): the published "
        "emergency_admissions_over_4hours / total_emergency_admissions. The wait runs from the end "
        "of ED treatment to leaving the ED for the bed, so it includes any bed-request delay on the "
        "ED -> beds route (the patient holds the cubicle, counted as boarding) as well as the wait "
        "for a free bed.",
        _AE_SOURCE + " (emergency admissions over 4 hours from decision to admit / total emergency "
        "admissions)",
        "decision to admit (numerator); admission (denominator)",
        ("trust", "ICB"),
        dta_over_4h_pct,
        requires=(services.ED,),
    ),
)
