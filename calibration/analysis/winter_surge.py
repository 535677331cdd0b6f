"""The winter counted twice (issue 13): the shipped baseline with and without its 8 % surge.

Calibration runs with ``surges: []`` because the fitted month factors already carry the average
winter; baseline_winter.yaml keeps the uncalibrated file's respiratory surge (peak 2026-01-05,
height 8 %, width 14 d) on top. Prints, by month, ICB attendances a day, emergency (G&A)
admissions a day, 4-hour %, G&A occupancy and DTA waits over 4 h a day, with and without it,
and the surge's extra attendances over the winter.

Run from the repository root with the project's venv (2 x ``--reps`` runs; ``--reps 1`` is the
shortest):

    python calibration/analysis/winter_surge.py [--reps 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from simcare.pipeline import replicate
from simcare.scenario.load import load_scenario_data

ROOT = Path(__file__).resolve().parents[2]
BASE = str(ROOT / "scenarios/bnssg/baseline_winter.yaml")
KPIS = {
    "ae_attendances": "ICB",
    "emergency_admissions": "ICB",
    "ae_within_4h": "ICB",
    "ga_occupancy": "ICB",
    "dta_over_4h": "ICB",
}


def monthly(overrides: dict[str, object], reps: int) -> pd.DataFrame:
    doc = load_scenario_data(BASE)
    t = pd.concat([replicate(doc, r, overrides=overrides).kpis for r in range(reps)])
    t = t[(t.period.str.len() == 7) | (t.period == "run")]
    t = t[[KPIS.get(k) == g for k, g in zip(t.kpi, t.group, strict=True)]]
    m = t.groupby(["kpi", "period"]).value.mean().unstack("period")
    for k in ("ae_attendances", "emergency_admissions", "dta_over_4h"):
        for p in m.columns:
            if p != "run":
                m.loc[k, p] /= pd.Period(p).days_in_month
    return m


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args()
    with_surge = monthly({}, a.reps)
    without = monthly({"calendar.surges": []}, a.reps)
    pd.set_option("display.width", 200)
    print("with the 8 % surge (as shipped):")
    print(with_surge.round(1).to_string())
    print("\nwithout (surges: [], as calibrated):")
    print(without.round(1).to_string())
    print("\ndifference (with - without):")
    print((with_surge - without).round(2).to_string())
    extra = with_surge.loc["ae_attendances", "run"] - without.loc["ae_attendances", "run"]
    print(
        f"\nextra A&E attendances over the window: {extra:,.0f} "
        f"({100 * extra / without.loc['ae_attendances', 'run']:.2f} %)"
    )


if __name__ == "__main__":
    main()
