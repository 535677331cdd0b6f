"""Published BNSSG figures behind the winter-mechanism diagnosis (issue 13).

Reads only calibration/data/ (SOURCES.md) and prints, month by month:

- ICB attendances a day, % within 4 h, all emergency admissions a day, decision-to-admit (DTA)
  waits over 4 h a day and as NHS England's percentage (over-4h / all emergency admissions);
- per trust: G&A occupancy (%), NCTR (mean daily stock), DTA over 4 h a day;
- the month-to-month relationship of DTA over 4 h with G&A occupancy and NCTR (least squares
  slope, correlation) -- the relationship issue 13's "responds to bed occupancy" test must hold;
- the shares of the discharge-sitrep delay reasons (June-November 2024) by category/pathway;
- a seasonal-naive forecast error (same month last year x recent 12-month trend) per target
  for 6-month horizons from four origins, the baseline skill is measured against.

Run from the repository root (reads CSVs only, no simulation, a few seconds):

    python calibration/analysis/winter_published.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1] / "data"
ICB = "E54000039"


def monthly_icb() -> pd.DataFrame:
    i = pd.read_csv(DATA / "england_icb_accidents_emergency_bnssg.csv", parse_dates=["date"])
    i = i[i.icb22_code == ICB].set_index("date").sort_index()
    days = i.index.days_in_month
    return pd.DataFrame(
        {
            "att_day": i.total_attendances / days,
            "within_4h": 100 * (1 - i.attendances_over_4hours / i.total_attendances),
            "ea_day": i.total_emergency_admissions / days,
            "dta4_day": i.emergency_admissions_over_4hours / days,
            "dta4_pct": 100 * i.emergency_admissions_over_4hours / i.total_emergency_admissions,
        }
    )


def monthly_trust() -> pd.DataFrame:
    t = pd.read_csv(DATA / "england_trust_accidents_emergency_bnssg.csv", parse_dates=["date"])
    b = pd.read_csv(DATA / "england_critical_general_acute_beds_bnssg.csv", parse_dates=["date"])
    n = pd.read_csv(DATA / "england_trust_criteria_to_reside_bnssg.csv", parse_dates=["date"])
    d = pd.read_csv(DATA / "england_trust_discharged_patients_bnssg.csv", parse_dates=["date"])
    n.loc[n.do_not_meet_criteria_to_reside <= 0, "do_not_meet_criteria_to_reside"] = np.nan
    d.loc[d.discharged_total <= 0, "discharged_total"] = np.nan
    n["month"] = n.date.dt.to_period("M").dt.to_timestamp()
    d["month"] = d.date.dt.to_period("M").dt.to_timestamp()
    nctr = n.groupby(["nhs_trust22_code", "month"]).do_not_meet_criteria_to_reside.mean()
    dis = d.groupby(["nhs_trust22_code", "month"]).discharged_total.mean()
    t = t.set_index(["nhs_trust22_code", "date"])
    b = b.set_index(["nhs_trust22_code", "date"])
    days = t.index.get_level_values(1).days_in_month
    out = pd.DataFrame(
        {
            "att_day": t.total_attendances / days,
            "within_4h": 100 * (1 - t.attendances_over_4hours / t.total_attendances),
            "ea_day": t.total_emergency_admissions / days,
            "dta4_day": t.emergency_admissions_over_4hours / days,
            "dta4_pct": 100 * t.emergency_admissions_over_4hours / t.total_emergency_admissions,
        }
    )
    out["occ"] = 100 * b.general_acute_beds_occupied / b.general_acute_beds_available
    out["beds"] = b.general_acute_beds_available
    out["nctr"] = nctr.rename_axis(["nhs_trust22_code", "date"])
    out["discharges_day"] = dis.rename_axis(["nhs_trust22_code", "date"])
    return out.dropna(subset=["occ"])


def relationship(tr: pd.DataFrame) -> None:
    print("\n== DTA over 4 h against bed state, month by month (2022-04 .. 2024-11) ==")
    for code, g in tr.groupby(level=0):
        g = g.dropna()
        for x in ("occ", "nctr"):
            slope, icpt = np.polyfit(g[x], g.dta4_pct, 1)
            r = np.corrcoef(g[x], g.dta4_pct)[0, 1]
            print(
                f"{code}: dta4_pct = {icpt:7.1f} + {slope:6.2f} x {x:5s}  r = {r:5.2f}  "
                f"({x} range {g[x].min():.1f}-{g[x].max():.1f}; n = {len(g)})"
            )
        r4 = np.corrcoef(g.occ, g.within_4h)[0, 1]
        print(
            f"{code}: corr(occupancy, within_4h) = {r4:5.2f}; corr(nctr, within_4h) = "
            f"{np.corrcoef(g.nctr, g.within_4h)[0, 1]:5.2f}"
        )


def delay_reasons() -> None:
    d = pd.read_csv(DATA / "england_delayed_discharge_reasons_bnssg.csv", parse_dates=["date"])

    def category(reason: str) -> str:
        r = reason.replace("–", "-")
        head = r.split("-")[0].strip()
        if head.startswith("Capacity") or head.startswith("Interface"):
            for p in (
                "Pathway 1 or 3",
                "Pathway 0 or 1",
                "Pathway 1-3",
                "Pathway 0",
                "Pathway 1",
                "Pathway 2",
                "Pathway 3",
            ):
                if p in r:
                    return f"{head}: {p}"
            return f"{head}: other"
        return head

    d["cat"] = d.delay_reason.map(category)
    monthly = d.groupby(["cat", "nhs_trust22_code", "date"]).delay_count.sum()  # sum over reasons
    tab = monthly.groupby(level=[0, 1]).mean().unstack().fillna(0)  # then mean over months
    tab["ICB"] = tab.sum(axis=1)
    share = 100 * tab / tab.sum()
    print("\n== Delay reasons, mean count a month-day, Jun-Nov 2024 (share of reasoned delays %) ==")
    print(pd.concat([tab.round(1), share.round(1).add_suffix(" %")], axis=1).to_string())
    d["top"] = d.cat.str.split(":").str[0]
    grp = (
        d.groupby(["top", "nhs_trust22_code", "date"])
        .delay_count.sum()
        .groupby(level=[0, 1])
        .mean()
        .unstack()
    )
    grp["ICB"] = grp.sum(axis=1)
    print("\nby heading (mean a day, and % of reasoned delays):")
    print(pd.concat([grp.round(1), (100 * grp / grp.sum()).round(1).add_suffix(" %")], axis=1).to_string())
    nctr = pd.read_csv(DATA / "england_trust_criteria_to_reside_bnssg.csv", parse_dates=["date"])
    nctr = nctr[(nctr.date >= "2024-06-01") & (nctr.do_not_meet_criteria_to_reside > 0)]
    stock = nctr.groupby("nhs_trust22_code").do_not_meet_criteria_to_reside.mean()
    print(
        f"reasoned delays {grp.sum().round(1).to_dict()} vs NCTR stock Jun-Nov 2024 "
        f"{stock.round(1).to_dict()} (ICB {stock.sum():.0f})"
    )


def seasonal_naive(icb: pd.DataFrame, tr: pd.DataFrame) -> pd.DataFrame:
    """Seasonal naive forecast: the same month last year times the recent trend, where the trend
    is the mean of s[m] / s[m - 12] over the last (up to) 6 months m <= origin that have a value a
    year before (the 2023-08 origin has 5: the data start in 2022-04). Evaluated on the 6 months
    after each origin; MAE in % of the published value ("rel") or in points ("abs")."""
    print("\n== Seasonal naive forecast: MAE over the 6 months after each origin ==")
    series = {
        "ICB attendances %": (icb.att_day, "rel"),
        "ICB 4h pts": (icb.within_4h, "abs"),
        "ICB EA %": (icb.ea_day, "rel"),
        "ICB DTA>4h pts": (icb.dta4_pct, "abs"),
    }
    for code in ("RVJ", "RA7"):
        g = tr.xs(code, level=0)
        series[f"{code} 4h pts"] = (g.within_4h, "abs")
        series[f"{code} occupancy pts"] = (g.occ, "abs")
        series[f"{code} NCTR %"] = (g.nctr, "rel")
        series[f"{code} discharges %"] = (g.discharges_day, "rel")
    origins = [pd.Timestamp(o) for o in ORIGINS]
    out = {}
    for name, (s, kind) in series.items():
        s = s.sort_index()
        per_origin = []
        for o in origins:
            hist = s[s.index <= o]
            ratios = [
                hist[m] / hist[m - pd.DateOffset(years=1)]
                for m in hist.index[::-1]
                if m - pd.DateOffset(years=1) in hist.index
            ][:6]
            trend = float(np.mean(ratios))
            errs = []
            for h in range(1, 7):
                m = o + pd.DateOffset(months=h)
                ref = m - pd.DateOffset(years=1)
                if m not in s.index or ref not in s.index:
                    continue
                f = s[ref] * trend
                errs.append(abs(f - s[m]) / s[m] * 100 if kind == "rel" else abs(f - s[m]))
            per_origin.append(np.mean(errs) if errs else np.nan)
        out[name] = per_origin
    table = pd.DataFrame(out, index=[o[:7] for o in ORIGINS]).T
    table["mean"] = table.mean(axis=1)
    print(table.round(2).to_string())
    return table


ORIGINS = ("2023-08-01", "2023-11-01", "2024-02-01", "2024-05-01")


def main() -> None:
    pd.set_option("display.width", 160)
    icb = monthly_icb()
    tr = monthly_trust()
    print("== ICB by month ==")
    print(icb.round(1).to_string())
    print("\n== Trusts by month ==")
    print(
        tr[["within_4h", "ea_day", "dta4_day", "dta4_pct", "occ", "beds", "nctr", "discharges_day"]]
        .round(1)
        .to_string()
    )
    relationship(tr)
    delay_reasons()
    seasonal_naive(icb, tr)


if __name__ == "__main__":
    main()
