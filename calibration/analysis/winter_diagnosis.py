"""Where the calibrated BNSSG model's ED waits, bed queues and NCTR come from (issue 13).

Runs a scenario (optionally with overrides at dotted paths, as a batch variant) and reads the
visit table and hourly state of each replication. Everything is measured over the reported window
(after the warm-up). Printed per ED site / trust / ICB:

- ED: attendances a day; mean minutes arrival -> cubicle (triage + cubicle queue), in the cubicle
  being treated, and decision to admit (DTA) -> leaving for a bed (boarding); 4-hour breaches split
  by cause (already over 4 h at DTA or at discharge: "before DTA"; crossing 4 h while boarding:
  "boarding"); mean boarding count; DTA waits over 4 h a day and as a % of the model's G&A
  admissions and of the model's "all emergency admissions" (G&A admissions + SDEC attendances);
  left without being seen a day; cubicle occupancy split into treating and boarding.
- Beds: occupancy, % of hours with every bed full (occupied >= beds), mean bed queue (ED
  boarders + SDEC/GP patients waiting for a bed), admissions a day by source (ED, SDEC, GP).
- NCTR make-up: mean patients in the discharge process (all pathways) and waiting for each D2A
  pathway's capacity, per local authority.
- Emergency admissions by month: G&A admissions and SDEC attendances a day.

Run from the repository root with the project's venv (``--reps 1`` is the shortest run):

    python calibration/analysis/winter_diagnosis.py scenarios/bnssg/validation_2024.yaml \
        --reps 2 [--set beds.rvj.beds=880 ...] [--monthly]

``--set PATH=VALUE`` values are parsed as YAML (numbers, strings like ``6d``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from simcare.engine import run
from simcare.kpi.uec import uec_measures
from simcare.pipeline import compiled
from simcare.scenario.load import load_scenario_data

ROOT = Path(__file__).resolve().parents[2]  # the repository (scenario paths of the sibling scripts)

DAY = 1440.0


def _index(names: tuple[str, ...], prefix: str) -> dict[int, str]:
    return {i: n.split(":", 1)[1] for i, n in enumerate(names) if n.split(":", 1)[0] == prefix}


def diagnose(path: str, overrides: dict[str, object], reps: int, monthly: bool) -> dict[str, float]:
    """Run ``reps`` replications and print the diagnosis; returns ICB headline numbers
    (means over replications) for sensitivity tables."""
    cs, _ = compiled(load_scenario_data(path), overrides, path)
    tl = cs.timeline
    t0 = tl.warm_up_hours * 60.0
    t1 = tl.horizon_hours * 60.0
    n_days = (t1 - t0) / DAY
    rows: list[dict[str, float | str]] = []
    month_rows: list[pd.DataFrame] = []
    heads: list[dict[str, float]] = []
    for r in range(reps):
        t_start = time.time()
        res = run(cs.model, seed=cs.seed, replication=r)
        names = res.service_names
        v = res.visits
        svc = v["service"]
        ed = _index(names, "ed")
        triage = _index(names, "ed_triage")
        beds = _index(names, "beds")
        sdec = _index(names, "sdec")
        corridor = _index(names, "ed_corridor")
        d2a = _index(names, "d2a")
        # neighbours: visits of one patient are consecutive in (patient, arrival) order
        order = np.lexsort((v["arrival"], v["patient"]))
        nxt = np.full(len(v), -1)
        prv = np.full(len(v), -1)
        same = v["patient"][order[1:]] == v["patient"][order[:-1]]
        nxt[order[:-1][same]] = order[1:][same]
        prv[order[1:][same]] = order[:-1][same]
        svc_next = np.where(nxt >= 0, svc[np.maximum(nxt, 0)], -1)
        svc_prev = np.where(prv >= 0, svc[np.maximum(prv, 0)], -1)
        head: dict[str, float] = {}
        # --- ED attendances (first cubicle visit; start at triage arrival when via triage) ---
        tot_over4 = tot_adm = 0.0
        for s_idx, site in ed.items():
            cub = np.flatnonzero((svc == s_idx) & ~np.isin(svc_prev, list(corridor)))
            via_triage = np.isin(svc_prev[cub], list(triage))
            arrive = np.where(via_triage, v["arrival"][np.maximum(prv[cub], 0)], v["arrival"][cub])
            keep = (arrive >= t0) & (arrive < t1)
            cub, arrive = cub[keep], arrive[keep]
            start, end, dep = v["start"][cub], v["end"][cub], v["departure"][cub]
            to_bed = np.isin(svc_next[cub], list(beds))
            lwbs = np.isnan(start) & ~np.isnan(dep)
            fin = ~np.isnan(dep)
            wait = start - arrive
            treat = end - start
            board = np.where(to_bed, dep - end, np.nan)
            los = dep - arrive
            breach = fin & (los > 240)
            before = breach & ((end - arrive) > 240)
            boarding_breach = breach & to_bed & ~before
            dta_over4 = to_bed & fin & (board > 240)
            hrs = slice(tl.warm_up_hours, tl.horizon_hours)
            blocked = res.blocked[s_idx, hrs].mean()
            busy = res.in_service[s_idx, hrs].mean()
            cap = res.capacity[s_idx, hrs].mean()
            n_adm = float(to_bed.sum())
            rows.append(
                {
                    "rep": r,
                    "where": site,
                    "att_day": len(cub) / n_days,
                    "wait_to_cubicle_min": np.nanmean(wait),
                    "treat_min": np.nanmean(treat),
                    "board_min": np.nanmean(board[to_bed & fin]),
                    "within_4h": 100 * (1 - breach.sum() / fin.sum()),
                    "breach_before_dta_%": 100 * before.sum() / max(breach.sum(), 1),
                    "breach_boarding_%": 100 * boarding_breach.sum() / max(breach.sum(), 1),
                    "boarding_mean": blocked,
                    "dta4_day": dta_over4.sum() / n_days,
                    "dta4_%_of_ed_adm": 100 * dta_over4.sum() / max(n_adm, 1),
                    "adm_day": n_adm / n_days,
                    "lwbs_day": lwbs.sum() / n_days,
                    "cub_treat_%": 100 * busy / cap,
                    "cub_board_%": 100 * blocked / cap,
                    "mean_wait_lwbs_h": np.nanmean((dep - arrive)[lwbs]) / 60 if lwbs.any() else np.nan,
                }
            )
            tot_over4 += dta_over4.sum()
            tot_adm += n_adm
        # --- beds ---
        hrs = slice(tl.warm_up_hours, tl.horizon_hours)
        all_adm = 0.0
        sdec_day = 0.0
        for s_idx, trust in beds.items():
            occ = res.in_service[s_idx, hrs] + res.blocked[s_idx, hrs]
            cap = res.capacity[s_idx, hrs]
            b = np.flatnonzero((svc == s_idx) & (v["start"] >= t0) & (v["start"] < t1))
            src = svc_prev[b]
            from_ed = np.isin(src, list(ed)).sum() / n_days
            from_sdec = np.isin(src, list(sdec)).sum() / n_days
            direct = (src < 0).sum() / n_days
            all_adm += len(b) / n_days
            # time asked-for-bed -> got bed, for every admission
            bed_wait = (v["start"][b] - v["arrival"][b]) / 60
            # NCTR split: blocked at beds = discharge process + waiting for D2A
            blocked = res.blocked[s_idx, hrs].mean()
            rows.append(
                {
                    "rep": r,
                    "where": trust,
                    "occ_%": 100 * occ.sum() / cap.sum(),
                    "hours_full_%": 100 * (occ >= cap - 0.5).mean(),
                    "bed_queue_mean": res.waiting[s_idx, hrs].mean(),
                    "adm_day": len(b) / n_days,
                    "adm_from_ed_day": from_ed,
                    "adm_from_sdec_day": from_sdec,
                    "adm_direct_day": direct,
                    "bed_wait_h_mean": float(np.nanmean(bed_wait)),
                    "nctr_mean": blocked,
                }
            )
        sdec_rows = np.flatnonzero(np.isin(svc, list(sdec)) & (v["arrival"] >= t0) & (v["arrival"] < t1))
        sdec_day = len(sdec_rows) / n_days
        if monthly:  # SDEC attendances a day by month (no KPI has them)
            day = (v["arrival"][sdec_rows] // DAY).astype(int)
            month = pd.Series([(tl.origin + dt.timedelta(days=int(d))).strftime("%Y-%m") for d in day])
            per = month.value_counts().sort_index()
            month_rows.append(
                pd.DataFrame(
                    {
                        "kpi": "sdec_attendances",
                        "group": "ICB",
                        "period": per.index,
                        "value": per.to_numpy(dtype=float),
                        "rep": r,
                    }
                )
            )
        d2a_wait = {}
        for s_idx, key in d2a.items():
            d2a_wait[key] = res.waiting[s_idx, hrs].mean()
        nctr_total = sum(res.blocked[s, hrs].mean() for s in beds)
        d2a_total = sum(d2a_wait.values())
        for p in ("P1", "P2", "P3"):
            head[f"d2a_wait_{p}"] = sum(w for k, w in d2a_wait.items() if k.startswith(p))
        rows.append(
            {
                "rep": r,
                "where": "NCTR",
                "nctr_mean": nctr_total,
                "d2a_wait": d2a_total,
                "process": nctr_total - d2a_total,
                **{f"wait {k}": w for k, w in d2a_wait.items()},
            }
        )
        head.update(
            {
                "nctr": nctr_total,
                "nctr_d2a": d2a_total,
                "dta4_day": tot_over4 / n_days,
                "ga_adm_day": all_adm,
                "sdec_day": sdec_day,
                "dta4_%_all_ea": 100 * tot_over4 / n_days / (all_adm + sdec_day),
            }
        )
        kp = uec_measures(res, cs)
        run_rows = kp[kp.period == "run"]

        def k(name: str, group: str, run_rows: pd.DataFrame = run_rows) -> float:
            x = run_rows[(run_rows.kpi == name) & (run_rows.group == group)].value
            return float(x.iloc[0]) if len(x) else float("nan")

        head.update(
            {
                "within_4h_icb": k("ae_within_4h", "ICB"),
                "within_4h_type1": k("ae_within_4h", "type1"),
                "att_icb_day": k("ae_attendances", "ICB") / n_days,
                "occ_rvj": k("ga_occupancy", "rvj"),
                "occ_ra7": k("ga_occupancy", "ra7"),
                "boarding_icb": k("ed_boarding", "ICB"),
                "handover_mean": k("handover_mean", "ICB"),
                "lwbs_day": k("lwbs", "ICB") / n_days,
            }
        )
        heads.append(head)
        if monthly:
            m = kp[kp.period.str.len() == 7]
            keep = m.kpi.isin(
                [
                    "emergency_admissions",
                    "ae_attendances",
                    "ae_within_4h",
                    "dta_over_4h",
                    "ga_occupancy",
                    "nctr",
                    "ed_boarding",
                    "lwbs",
                    "sdec_attendances",
                ]
            )
            month_rows.append(m[keep & ~m.group.str.contains(":")].assign(rep=r))
        print(f"  replication {r}: {time.time() - t_start:.0f} s", flush=True)
    table = pd.DataFrame(rows).groupby("where", sort=False).mean(numeric_only=True).drop(columns="rep")
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 40)
    print(
        f"\n{cs.name}: {tl.start} .. {tl.end}, warm-up {tl.warm_up_hours // 24} d, {reps} reps, "
        f"overrides {overrides or '{}'}"
    )
    ed_cols = [
        "att_day",
        "wait_to_cubicle_min",
        "treat_min",
        "board_min",
        "within_4h",
        "breach_before_dta_%",
        "breach_boarding_%",
        "boarding_mean",
        "dta4_day",
        "dta4_%_of_ed_adm",
        "adm_day",
        "lwbs_day",
        "cub_treat_%",
        "cub_board_%",
    ]
    print(table.loc[list(ed.values()), ed_cols].round(1).T.to_string())
    bed_cols = [
        "occ_%",
        "hours_full_%",
        "bed_queue_mean",
        "adm_day",
        "adm_from_ed_day",
        "adm_from_sdec_day",
        "adm_direct_day",
        "bed_wait_h_mean",
        "nctr_mean",
    ]
    print(table.loc[list(beds.values()), bed_cols].round(2).T.to_string())
    print(table.loc[["NCTR"]].dropna(axis=1).round(1).T.to_string())
    h = pd.DataFrame(heads).mean()
    print("ICB:", ", ".join(f"{k} {val:.1f}" for k, val in h.items()))
    if monthly and month_rows:
        m = pd.concat(month_rows).groupby(["kpi", "group", "period"]).value.mean().unstack("period")
        days = {p: pd.Period(p).days_in_month for p in m.columns}
        per_day = m.index.get_level_values(0).isin(
            ["emergency_admissions", "ae_attendances", "dta_over_4h", "lwbs", "sdec_attendances"]
        )
        m.loc[per_day] = m.loc[per_day].div(pd.Series(days), axis=1)
        print("\nby month (counts a day):")
        print(m.round(1).to_string())
    return dict(h)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    ap.add_argument("--monthly", action="store_true")
    a = ap.parse_args()
    overrides = {}
    for item in a.set:
        key, _, value = item.partition("=")
        overrides[key] = yaml.safe_load(value)
    print(f"started {dt.datetime.now(dt.UTC):%H:%M:%S} UTC", flush=True)
    diagnose(a.scenario, overrides, a.reps, a.monthly)


if __name__ == "__main__":
    main()
