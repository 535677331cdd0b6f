"""NHS 111: calls offered, answered within 60 seconds, abandonment, online share, dispositions.

NHS definitions follow the NHS 111 Minimum Data Set and its successor, the Integrated Urgent Care
Aggregate Data Collection (IUC ADC, NHS England): calls received (offered), calls answered within
60 seconds of queueing, calls abandoned. Every phone call counts, including repeat calls after an
abandoned one and online users falling back to the phone. The model's abandonment has no
30-second grace period (IUC ADC counts calls abandoned after 30 seconds): every caller who hangs
up before being answered counts.

Calls still queueing at the end of the run are left out of the percentages.
"""

from __future__ import annotations

import numpy as np

from simcare._jit import cached_njit
from simcare.kpi.context import Context
from simcare.kpi.definitions import KPI
from simcare.kpi.periods import Block, Level
from simcare.model import enums as E
from simcare.model import services

PHONE, RETRY, ONLINE, CAS = services.PHONE_111, services.RETRY_111, services.ONLINE_111, services.CAS
ANSWER_TARGET = 1.0  # minutes
DISPOSITIONS = ("ambulance", "ed", "hub", "sdec", "home_or_primary_care", "abandoned")
#: the disposition of a patient leaving 111 for a service of each kind
_DISPOSITION_OF = {
    services.AMBULANCE: "ambulance",
    services.ED_TRIAGE: "ed",
    services.ED: "ed",
    services.HUB: "hub",
    services.SDEC: "sdec",
}


def _rows_of(ctx: Context, name: str) -> np.ndarray:
    s = ctx.service(name)
    return ctx.rows_of(s) if s is not None else np.zeros(0, dtype=np.int64)


def _levels(ctx: Context, rows: np.ndarray) -> list[Level]:
    return [Level.whole("ICB", rows.shape[0]), *ctx.patient_levels(ctx.visits.group[rows])]


def _phone(ctx: Context) -> tuple[np.ndarray, list[Level]]:
    rows = _rows_of(ctx, PHONE)
    return rows, _levels(ctx, rows)


def nhs111_calls(ctx: Context) -> list[Block]:
    rows, levels = ctx.cached(_phone)
    return ctx.cal.tally_blocks("nhs111_calls", "calls", levels, ctx.visits.arrival[rows])


def nhs111_answered_60s(ctx: Context) -> list[Block]:
    rows, levels = ctx.cached(_phone)
    v = ctx.visits
    wait = v.start[rows] - v.arrival[rows]
    answered = ~np.isnan(wait)
    fast = (answered & (wait <= ANSWER_TARGET)).astype(float)
    return ctx.cal.tally_blocks(
        "nhs111_answered_60s", "%", levels, v.arrival[rows], fast, answered.astype(float), 100.0
    )


def nhs111_answer_mean(ctx: Context) -> list[Block]:
    rows, levels = ctx.cached(_phone)
    v = ctx.visits
    seconds = 60.0 * (v.start[rows] - v.arrival[rows])
    ones = np.where(np.isnan(seconds), np.nan, 1.0)
    return ctx.cal.tally_blocks("nhs111_answer_mean", "s", levels, v.arrival[rows], seconds, ones)


def nhs111_abandoned(ctx: Context) -> list[Block]:
    rows, levels = ctx.cached(_phone)
    v = ctx.visits
    gone = (v.outcome[rows] == E.OUT_ABANDONED).astype(float)
    known = (~np.isnan(v.start[rows]) | (gone > 0)).astype(float)
    return ctx.cal.tally_blocks("nhs111_abandoned", "%", levels, v.arrival[rows], gone, known, 100.0)


def _first_contacts(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """(rows, online 0/1) of patients' first 111 contact (phone or online, not a repeat call):
    the phone rows, then the online rows, each in row order."""
    phone, online = ctx.service(PHONE), ctx.service(ONLINE)
    svc = ctx.visits.service_small
    rows = np.empty(svc.shape[0], dtype=np.int64)
    n_phone, n = _first_contacts_nb(
        svc, ctx.neighbours[0], -1 if phone is None else phone, -1 if online is None else online, rows
    )
    is_online = np.zeros(n)
    is_online[n_phone:] = 1.0
    return rows[:n].copy(), is_online


@cached_njit()
def _first_contacts_nb(
    svc: np.ndarray, prev: np.ndarray, phone: int, online: int, rows: np.ndarray
) -> tuple[int, int]:
    """Write into ``rows`` (int64 (n,)) the rows of service ``phone``, then of ``online`` (-1:
    none), that are the patient's first visit (prev < 0); svc int (n,), prev int64 (n,). Returns (phone
    rows, all rows) written. Two passes in place of concatenating and gathering (issue 15)."""
    m = _append_first_rows(svc, prev, phone, rows, 0)
    return m, _append_first_rows(svc, prev, online, rows, m)


@cached_njit()
def _append_first_rows(svc: np.ndarray, prev: np.ndarray, s: int, rows: np.ndarray, m: int) -> int:
    """Write the rows of service ``s`` (-1: none) with prev < 0 into rows[m:]; returns the new m."""
    if s < 0:
        return m
    for i in range(svc.shape[0]):
        if svc[i] == s and prev[i] < 0:
            rows[m] = i
            m += 1
    return m


def nhs111_online(ctx: Context) -> list[Block]:
    rows = _rows_of(ctx, ONLINE)
    return ctx.cal.tally_blocks("nhs111_online", "contacts", _levels(ctx, rows), ctx.visits.arrival[rows])


def nhs111_online_share(ctx: Context) -> list[Block]:
    rows, online = ctx.cached(_first_contacts)
    return ctx.cal.tally_blocks(
        "nhs111_online_share",
        "%",
        _levels(ctx, rows),
        ctx.visits.arrival[rows],
        online,
        np.ones_like(online),
        100.0,
    )


def nhs111_dispositions(ctx: Context) -> list[Block]:
    """Share of 111 contacts ending in each disposition, at the time the patient left 111."""
    names = [n for n in (PHONE, RETRY, ONLINE, CAS) if ctx.service(n) is not None]
    if PHONE not in names and ONLINE not in names:
        return []
    v = ctx.visits
    svc = v.service
    nxt = ctx.neighbours[1]
    in_111 = np.zeros(len(ctx.index) + 1, dtype=bool)
    in_111[[ctx.index[n] for n in names]] = True
    kind = np.full(len(ctx.index) + 1, -1, dtype=np.int64)
    for name, s in ctx.index.items():
        disposition = _DISPOSITION_OF.get(services.kind_of(name))
        if disposition is not None:
            kind[s] = DISPOSITIONS.index(disposition)
    n = svc.shape[0]
    code = np.empty(n, dtype=np.int64)
    when = np.empty(n)
    m = _leaving_111_nb(
        v.service_small,
        nxt,
        v.outcome,
        v.departure,
        in_111,
        kind,
        DISPOSITIONS.index("abandoned"),
        DISPOSITIONS.index("home_or_primary_care"),
        code,
        when,
    )
    code, when = code[:m].copy(), when[:m].copy()
    level = Level(tuple(f"disposition:{d}" for d in DISPOSITIONS), code)
    whole = Level.whole("ICB", code.shape[0])
    whole = Level(whole.names, np.where(code >= 0, 0, -1))
    num = ctx.cal.day_sums(level, when)
    den = np.repeat(ctx.cal.day_sums(whole, when), len(DISPOSITIONS), axis=0)
    return ctx.cal.ratio_blocks("nhs111_dispositions", "%", level, num, den, 100.0)


@cached_njit()
def _leaving_111_nb(
    svc: np.ndarray,
    nxt: np.ndarray,
    outcome: np.ndarray,
    departure: np.ndarray,
    in_111: np.ndarray,
    kind: np.ndarray,
    abandoned: int,
    home: int,
    code: np.ndarray,
    when: np.ndarray,
) -> int:
    """Each visit leaving 111, in row order: a visit (svc int (n,), nxt int64 (n,); outcome int8 (n,);
    departure float64 (n,) minutes) to a 111 service (``in_111`` bool (S + 1,)) whose next
    visit, if any, is not in 111. Writes its disposition into ``code`` (int64 (n,)): ``kind``
    (int64 (S + 1,)) of the next service, or for a patient leaving the system ``abandoned`` or
    ``home`` by outcome (else -1), and its departure into ``when`` (n,). Returns how many.
    One pass in place of a dozen (n,) temporaries (issue 15)."""
    out_of = in_111.shape[0] - 1  # the "no next visit" entry
    m = 0
    for i in range(svc.shape[0]):
        if not in_111[svc[i]]:
            continue
        a = nxt[i]
        after = svc[a] if a >= 0 else out_of
        if in_111[after]:
            continue
        c = kind[after]
        if after == out_of:
            if outcome[i] == E.OUT_ABANDONED:
                c = abandoned
            elif outcome[i] == E.OUT_SERVED:
                c = home
        code[m] = c
        when[m] = departure[i]
        m += 1
    return m


_SOURCE = "NHS England, Integrated Urgent Care Aggregate Data Collection (IUC ADC; formerly NHS 111 MDS)"
_CALL = "call joining the queue for a call handler"

KPIS: tuple[KPI, ...] = (
    KPI(
        "nhs111_calls",
        "calls",
        "tally",
        "NHS 111 calls received (offered) by the call handlers, repeat calls included.",
        _SOURCE,
        _CALL,
        ("ICB", "acuity", "locality"),
        nhs111_calls,
        requires=(PHONE,),
    ),
    KPI(
        "nhs111_answered_60s",
        "%",
        "tally",
        "Percentage of answered 111 calls answered within 60 seconds of joining the queue.",
        _SOURCE,
        _CALL,
        ("ICB", "acuity", "locality"),
        nhs111_answered_60s,
        requires=(PHONE,),
    ),
    KPI(
        "nhs111_answer_mean",
        "s",
        "tally",
        "Mean time to answer a 111 call, in seconds, from joining the queue to a call handler "
        "answering (answered calls).",
        _SOURCE,
        _CALL,
        ("ICB", "acuity", "locality"),
        nhs111_answer_mean,
        requires=(PHONE,),
    ),
    KPI(
        "nhs111_abandoned",
        "%",
        "tally",
        "Percentage of 111 calls abandoned (the caller hung up before being answered), of calls "
        "answered or abandoned.",
        _SOURCE,
        _CALL,
        ("ICB", "acuity", "locality"),
        nhs111_abandoned,
        requires=(PHONE,),
    ),
    KPI(
        "nhs111_online",
        "contacts",
        "tally",
        "NHS 111 online assessments started (patients using 111 online, some of whom then call).",
        _SOURCE + " (111 online)",
        "start of the online assessment",
        ("ICB", "acuity", "locality"),
        nhs111_online,
        requires=(ONLINE,),
    ),
    KPI(
        "nhs111_online_share",
        "%",
        "tally",
        "Percentage of patients' first 111 contacts made online rather than by phone.",
        "model measure (digital-first lever)",
        "first 111 contact",
        ("ICB", "acuity", "locality"),
        nhs111_online_share,
        requires=(PHONE, ONLINE),
    ),
    KPI(
        "nhs111_dispositions",
        "%",
        "tally",
        "Disposition mix: share of patients leaving 111 (phone, online or the clinical assessment "
        "service) for each outcome: `disposition:ambulance`, `disposition:ed`, `disposition:hub`, "
        "`disposition:sdec`, `disposition:home_or_primary_care` (self-care, pharmacy or GP; the model "
        "does not separate them) and `disposition:abandoned` (hung up and did not call again).",
        _SOURCE + " (dispositions)",
        "leaving 111",
        ("disposition",),
        nhs111_dispositions,
        requires=(PHONE, ONLINE),
    ),
)
