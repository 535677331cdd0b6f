"""Urgent-care measures of one run of a compiled scenario, with NHS definitions.

Computed from a RunResult (never inside the engine). Every function returns a tidy DataFrame
with columns (kpi, group, period, value, unit): ``group`` is a site, trust, hub or "ICB";
``period`` a calendar month ("2024-04") or "run". Visits are assigned to the month in which
they began; time-weighted measures average the hourly series over the month's hours. The
warm-up is cut: only days from the scenario's reported start count.

- ``ae_attendances``: type-1 ED attendances (a patient's ED journey: from arrival at triage, or
  at the cubicles for an ambulance arrival, to leaving the ED), plus hub (UTC/MIU) attendances;
  ``ae_within_4h``: % of attendances that left within 4 hours of arrival (arrival to
  departure; journeys still open at the end of the run count as over 4 hours when they are).
- ``ga_occupancy``: % of G&A beds in force that are occupied (in stay or medically fit).
- ``nctr``: mean patients in an acute bed who no longer meet the criteria to reside (blocked
  in beds: discharge process and waiting for discharge-to-assess capacity).
- ``emergency_admissions``: admissions to G&A beds per month; ``handover_over_60``: ambulance
  handovers over 60 minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from simcare.engine.result import RunResult
from simcare.model import enums as E
from simcare.scenario.compile import CompiledScenario

FOUR_HOURS = 240.0


def _neighbours(patient: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each visit row, the previous and next row of the same patient (-1 if none).
    Rows of one patient are in the order they were created."""
    n = patient.shape[0]
    order = np.lexsort((np.arange(n), patient))
    same = patient[order][1:] == patient[order][:-1]
    prev = np.full(n, -1, dtype=np.int64)
    nxt = np.full(n, -1, dtype=np.int64)
    prev[order[1:][same]] = order[:-1][same]
    nxt[order[:-1][same]] = order[1:][same]
    return prev, nxt


def _months(cs: CompiledScenario, minutes: np.ndarray) -> np.ndarray:
    """'YYYY-MM' of each time (minutes from the origin); '' before the reported start."""
    day = np.floor(minutes / 1440.0).astype(np.int64)
    first = cs.timeline.day_index(cs.timeline.start)
    labels = np.array(
        [
            (cs.timeline.origin + dt.timedelta(days=int(d))).strftime("%Y-%m")
            for d in range(cs.timeline.n_days)
        ]
    )
    out = np.full(minutes.shape[0], "", dtype=labels.dtype)
    ok = (day >= first) & (day < cs.timeline.n_days)
    out[ok] = labels[day[ok]]
    return out


def _rows(kpi: str, unit: str, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index()
    frame.columns = ["group", "period", "value"]
    frame.insert(0, "kpi", kpi)
    frame["unit"] = unit
    return frame


def ed_journeys(result: RunResult, cs: CompiledScenario) -> pd.DataFrame:
    """One row per type-1 ED attendance: site, start and end (minutes; end NaN if still in)."""
    v = result.visits
    names = result.service_names
    prev, nxt = _neighbours(v["patient"])
    svc = v["service"]
    frames = []
    for site in cs.ed_sites:
        ed, triage, corridor = (
            names.index(f"ed:{site}"),
            names.index(f"ed_triage:{site}"),
            names.index(f"ed_corridor:{site}"),
        )
        rows = np.flatnonzero(svc == ed)
        p = prev[rows]
        came_from = np.where(p >= 0, svc[np.maximum(p, 0)], -1)
        rows = rows[came_from != corridor]  # a released handover's return is the same attendance
        p = prev[rows]
        came_from = np.where(p >= 0, svc[np.maximum(p, 0)], -1)
        start = np.where(came_from == triage, v["arrival"][np.maximum(p, 0)], v["arrival"][rows])
        end = v["departure"][rows].copy()
        released = v["outcome"][rows] == E.OUT_RELEASED
        if released.any():
            back = nxt[nxt[rows[released]]]  # released row -> corridor -> back in the cubicles
            end[released] = np.where(back >= 0, v["departure"][np.maximum(back, 0)], np.nan)
        frames.append(pd.DataFrame({"site": site, "start": start, "end": end}))
    triage_only = []
    for site in cs.ed_sites:  # walk-ins who left from the triage queue or are still in it
        triage = names.index(f"ed_triage:{site}")
        rows = np.flatnonzero(svc == triage)
        nx = nxt[rows]
        went_on = (nx >= 0) & (svc[np.maximum(nx, 0)] == names.index(f"ed:{site}"))
        rows = rows[~went_on]
        triage_only.append(
            pd.DataFrame({"site": site, "start": v["arrival"][rows], "end": v["departure"][rows]})
        )
    return pd.concat(frames + triage_only, ignore_index=True)


def ae_measures(result: RunResult, cs: CompiledScenario) -> pd.DataFrame:
    """Attendances and % within 4 hours by ED site, hubs and the ICB, per month and run."""
    horizon = result.end_time
    ed = ed_journeys(result, cs)
    v = result.visits
    hubs = []
    for hub in cs.hubs:
        rows = v[v["service"] == result.service_names.index(f"hub:{hub}")]
        hubs.append(pd.DataFrame({"site": f"hub:{hub}", "start": rows["arrival"], "end": rows["departure"]}))
    allv = pd.concat([ed, *hubs], ignore_index=True)
    allv["period"] = _months(cs, allv["start"].to_numpy())
    allv = allv[allv["period"] != ""]
    open_long = np.isnan(allv["end"]) & (horizon - allv["start"] > FOUR_HOURS)
    done = ~np.isnan(allv["end"])
    allv["within"] = done & (allv["end"] - allv["start"] <= FOUR_HOURS)
    allv["counted"] = done | open_long
    allv["type1"] = ~allv["site"].str.startswith("hub:")
    out = []
    for frame in (allv, allv.assign(site="ICB"), allv[allv["type1"]].assign(site="type1")):
        for period_frame in (frame, frame.assign(period="run")):
            g = period_frame.groupby(["site", "period"])
            out.append(_rows("ae_attendances", "attendances", g.size().to_frame()))
            sums = g[["within", "counted"]].sum()
            pct = 100.0 * sums["within"] / sums["counted"].clip(lower=1)
            out.append(_rows("ae_within_4h", "%", pct.to_frame()))
    return pd.concat(out, ignore_index=True)


def _hour_months(cs: CompiledScenario, n_hours: int) -> np.ndarray:
    return _months(cs, np.arange(n_hours) * 60.0 + 1.0)


def _monthly_mean(series: np.ndarray, months: np.ndarray) -> pd.Series:
    frame = pd.DataFrame({"period": months, "value": series})
    frame = frame[frame["period"] != ""]
    monthly = frame.groupby("period")["value"].mean()
    monthly.loc["run"] = frame["value"].mean()
    return monthly


def bed_measures(result: RunResult, cs: CompiledScenario) -> pd.DataFrame:
    """G&A occupancy (%) and NCTR (patients) per trust and ICB, per month and run."""
    months = _hour_months(cs, result.in_service.shape[1])
    out = []
    occupied_all = np.zeros(result.in_service.shape[1])
    beds_all = np.zeros(result.in_service.shape[1])
    nctr_all = np.zeros(result.in_service.shape[1])
    for trust in cs.trusts:
        s = result.service_names.index(f"beds:{trust}")
        occupied = result.in_service[s] + result.blocked[s]
        occupied_all += occupied
        beds_all += result.capacity[s]
        nctr_all += result.blocked[s]
        occ = _monthly_mean(occupied, months) / _monthly_mean(result.capacity[s], months) * 100
        out.append(
            _rows(
                "ga_occupancy",
                "%",
                pd.DataFrame({"group": trust, "period": occ.index, "value": occ.values}).set_index(
                    ["group", "period"]
                ),
            )
        )
        nctr = _monthly_mean(result.blocked[s], months)
        out.append(
            _rows(
                "nctr",
                "patients",
                pd.DataFrame({"group": trust, "period": nctr.index, "value": nctr.values}).set_index(
                    ["group", "period"]
                ),
            )
        )
    occ = _monthly_mean(occupied_all, months) / _monthly_mean(beds_all, months) * 100
    out.append(
        _rows(
            "ga_occupancy",
            "%",
            pd.DataFrame({"group": "ICB", "period": occ.index, "value": occ.values}).set_index(
                ["group", "period"]
            ),
        )
    )
    nctr = _monthly_mean(nctr_all, months)
    out.append(
        _rows(
            "nctr",
            "patients",
            pd.DataFrame({"group": "ICB", "period": nctr.index, "value": nctr.values}).set_index(
                ["group", "period"]
            ),
        )
    )
    return pd.concat(out, ignore_index=True)


def flow_measures(result: RunResult, cs: CompiledScenario) -> pd.DataFrame:
    """Emergency admissions to G&A beds (per month) and ambulance handovers over 60 minutes."""
    v = result.visits
    out = []
    for trust in cs.trusts:
        rows = v[v["service"] == result.service_names.index(f"beds:{trust}")]
        frame = pd.DataFrame({"group": trust, "period": _months(cs, rows["arrival"])})
        frame = frame[frame["period"] != ""]
        counts = pd.concat([frame, frame.assign(period="run")]).groupby(["group", "period"]).size()
        out.append(_rows("emergency_admissions", "admissions", counts.to_frame()))
    if "ambulance" in result.service_names:
        rows = v[(v["service"] == result.service_names.index("ambulance")) & ~np.isnan(v["end"])]
        handover = np.where(np.isnan(rows["departure"]), result.end_time, rows["departure"]) - rows["end"]
        frame = pd.DataFrame({"group": "ICB", "period": _months(cs, rows["end"]), "over": handover > 60.0})
        frame = frame[frame["period"] != ""]
        counts = pd.concat([frame, frame.assign(period="run")]).groupby(["group", "period"])["over"].sum()
        out.append(_rows("handover_over_60", "handovers", counts.to_frame()))
    return pd.concat(out, ignore_index=True)


def uec_measures(result: RunResult, cs: CompiledScenario) -> pd.DataFrame:
    """All of the above in one tidy table (kpi, group, period, value, unit)."""
    return pd.concat(
        [ae_measures(result, cs), bed_measures(result, cs), flow_measures(result, cs)], ignore_index=True
    )


def headline(
    table: pd.DataFrame,
    kpis: Iterable[str] = ("ae_attendances", "ae_within_4h", "ga_occupancy", "nctr", "handover_over_60"),
) -> pd.DataFrame:
    """The run-level values of the main measures, one row per (kpi, group)."""
    t = table[(table["period"] == "run") & table["kpi"].isin(list(kpis))]
    return t.pivot_table(index=["kpi", "unit"], columns="group", values="value", aggfunc="first")
