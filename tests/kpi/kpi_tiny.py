"""A hand-built run of a tiny system whose every KPI value is known by hand.

Timeline: origin 30 January 2025 (one warm-up day), reported 31 January and 1 February (the
window crosses a month end). Minutes from the origin: warm-up [0, 1440), 31 January
[1440, 2880), 1 February [2880, 4320); the run ends at 4320.

Services: NHS 111 phone and online, an ambulance service, hub ``h``, ED site ``a`` (triage,
cubicles, corridor) of trust ``t``, G&A beds of ``t`` and D2A pathway 1 of local authority ``la``.
Patient groups ACUITY@LOCALITY: major@north, minor@south and their admitted twins.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import numpy as np
import pandas as pd

from simcare.engine.result import RunResult
from simcare.model import enums as E
from simcare.scenario.compile import CompiledScenario
from simcare.scenario.timeline import Timeline

NAN = float("nan")
SERVICES = (
    "111_phone",
    "111_online",
    "ambulance",
    "hub:h",
    "ed_triage:a",
    "ed:a",
    "ed_corridor:a",
    "beds:t",
    "d2a:P1:la",
)
GROUPS = ("major@north", "minor@south", "major+adm@north", "minor+adm@south")
S_ = {name: i for i, name in enumerate(SERVICES)}
G_ = {name: i for i, name in enumerate(GROUPS)}
SERVED, ABANDONED, RELEASED = E.OUT_SERVED, E.OUT_ABANDONED, E.OUT_RELEASED
WAITING, IN_SERVICE, BLOCKED = E.OUT_WAITING, E.OUT_IN_SERVICE, E.OUT_BLOCKED

# (patient, group, service, arrival, start, end, departure, outcome), each patient's rows in order
ROWS: list[tuple[int, str, str, float, float, float, float, int]] = [
    # P0: ED walk-in during the warm-up (never reported)
    (0, "minor@south", "ed_triage:a", 100, 100, 110, 110, SERVED),
    (0, "minor@south", "ed:a", 110, 110, 300, 300, SERVED),
    # P1: walk-in, 31 Jan, 200 minutes in the ED
    (1, "minor@south", "ed_triage:a", 1500, 1500, 1510, 1510, SERVED),
    (1, "minor@south", "ed:a", 1510, 1600, 1700, 1700, SERVED),
    # P2: walk-in 31 Jan 22:40, admitted 1 Feb: 300 minutes in the ED, 100 minutes boarding
    (2, "major@north", "ed_triage:a", 2800, 2800, 2810, 2810, SERVED),
    (2, "major@north", "ed:a", 2810, 2900, 3000, 3100, SERVED),
    (2, "major+adm@north", "beds:t", 3000, 3100, NAN, NAN, IN_SERVICE),
    # P3: 999 call answered in 10 minutes, 70-minute handover, 200 minutes in the ED
    (3, "major@north", "ambulance", 2000, 2010, 2100, 2170, SERVED),
    (3, "major@north", "ed:a", 2100, 2170, 2300, 2300, SERVED),
    # P4: crew released to the corridor after 45 minutes; 300 minutes in the ED
    (4, "major@north", "ambulance", 2200, 2200, 2400, 2445, SERVED),
    (4, "major@north", "ed:a", 2400, NAN, NAN, 2445, RELEASED),
    (4, "major@north", "ed_corridor:a", 2445, 2445, 2445, 2445, SERVED),
    (4, "major@north", "ed:a", 2445, 2600, 2700, 2700, SERVED),
    # P5: left without being seen, 1 Feb, after 500 minutes
    (5, "minor@south", "ed_triage:a", 3000, 3000, 3010, 3010, SERVED),
    (5, "minor@south", "ed:a", 3010, NAN, NAN, 3500, ABANDONED),
    # P6: 1 Feb, decided to admit at 3700 and still boarding at the end (820 minutes in the ED)
    (6, "minor@south", "ed_triage:a", 3500, 3500, 3510, 3510, SERVED),
    (6, "minor@south", "ed:a", 3510, 3600, 3700, NAN, BLOCKED),
    (6, "minor+adm@south", "beds:t", 3700, NAN, NAN, NAN, WAITING),
    # P7: 1 Feb, still waiting for a cubicle at the end after 120 minutes (open, not yet a breach)
    (7, "minor@south", "ed_triage:a", 4200, 4200, 4210, 4210, SERVED),
    (7, "minor@south", "ed:a", 4210, NAN, NAN, NAN, WAITING),
    # P8: hub, 31 Jan, 50 minutes; P9: hub in the warm-up
    (8, "minor@south", "hub:h", 1600, 1600, 1650, 1650, SERVED),
    (9, "minor@south", "hub:h", 500, 500, 550, 550, SERVED),
    # 111: P10 answered in 30 s; P11 in 3 min; P12 hung up; P13 online then phone, answered at once
    (10, "minor@south", "111_phone", 1500, 1500.5, 1510, 1510, SERVED),
    (11, "major@north", "111_phone", 1600, 1603, 1610, 1610, SERVED),
    (12, "minor@south", "111_phone", 1700, NAN, NAN, 1705, ABANDONED),
    (13, "minor@south", "111_online", 1800, 1800, 1810, 1810, SERVED),
    (13, "minor@south", "111_phone", 1810, 1810, 1820, 1820, SERVED),
    # P14: GP referral admitted 31 Jan, medically fit at 2000, asks for D2A at 2200, gets it at 2500
    (14, "major+adm@north", "beds:t", 1500, 1500, 2000, 2500, SERVED),
    (14, "major+adm@north", "d2a:P1:la", 2200, 2500, NAN, NAN, IN_SERVICE),
    # P15: in a bed from the start (time 0), discharged home (P0) on 1 Feb
    (15, "major+adm@north", "beds:t", 0, 0, 2900, 3000, SERVED),
]

END = 4320.0
H = 72


def _series() -> dict[str, np.ndarray]:
    """Hourly state (S, H): see the docstring of each value in the tests."""
    S = len(SERVICES)
    z = {k: np.zeros((S, H)) for k in ("in_service", "waiting", "blocked", "capacity")}
    b = S_["beds:t"]
    z["capacity"][b] = 10
    z["in_service"][b, :24], z["blocked"][b, :24] = 5, 0
    z["in_service"][b, 24:48], z["blocked"][b, 24:48] = 7, 2  # 31 Jan: 90 % occupied, NCTR 2
    z["in_service"][b, 48:60], z["blocked"][b, 48:60] = 8, 2  # 1 Feb: 100 % then 90 %; NCTR 2 then 0
    z["in_service"][b, 60:72], z["blocked"][b, 60:72] = 9, 0
    e = S_["ed:a"]
    z["capacity"][e], z["in_service"][e], z["blocked"][e] = 4, 2, 1
    h = S_["hub:h"]
    open_hours = (np.arange(H) % 24 >= 8) & (np.arange(H) % 24 < 20)
    z["capacity"][h] = np.where(open_hours, 2, 0)
    z["in_service"][h] = np.where(open_hours, 1, 0)
    d = S_["d2a:P1:la"]
    z["capacity"][d], z["in_service"][d] = 3, 3
    z["waiting"][d, 24:48] = 1
    z["waiting"][S_["ambulance"]] = 0.5
    z["blocked"][S_["ambulance"], 24:48] = 0.25  # crews waiting to hand over on 31 January
    return z


def tiny_result(
    rows: list[tuple[Any, ...]] = ROWS,
    end: float = END,
    hours: int = H,
    series: dict[str, np.ndarray] | None = None,
) -> RunResult:
    visits = np.array(
        [(p, G_[g], S_[s], a, st, e, d, o) for p, g, s, a, st, e, d, o in rows], dtype=E.VISIT_DTYPE
    )
    z = series if series is not None else _series()
    zeros = np.zeros(len(SERVICES), dtype=np.int64)
    return RunResult(
        service_names=SERVICES,
        group_names=GROUPS,
        visits=visits,
        in_service=z["in_service"][:, :hours],
        waiting=z["waiting"][:, :hours],
        blocked=z["blocked"][:, :hours],
        capacity=z["capacity"][:, :hours],
        final_in_service=zeros,
        final_holding=zeros,
        final_queue=zeros,
        final_pending=zeros,
        arrived=int(visits["patient"].max()) + 1,
        exited=0,
        events=0,
        status="ok",
        end_time=end,
        scheduled_end=np.full(len(visits), np.nan),
    )


def tiny_scenario(timeline: Timeline | None = None) -> CompiledScenario:
    tl = timeline or Timeline(dt.date(2025, 1, 30), dt.date(2025, 1, 31), dt.date(2025, 2, 1))
    return CompiledScenario(
        name="tiny",
        model=cast(Any, None),
        timeline=tl,
        localities=("north", "south"),
        acuities=("major", "minor"),
        ed_sites=("a",),
        ed_trust={"a": "t"},
        trusts=("t",),
        hubs=("h",),
        replications=1,
        seed=1,
    )


def value(table: pd.DataFrame, kpi: str, group: str, period: str) -> float:
    """The single value of (kpi, group, period); fails if missing or repeated."""
    rows = table[(table["kpi"] == kpi) & (table["group"] == group) & (table["period"] == period)]
    assert len(rows) == 1, f"{kpi} {group} {period}: {len(rows)} rows"
    return float(rows["value"].iloc[0])
