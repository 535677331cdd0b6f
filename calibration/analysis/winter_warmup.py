"""How long the BNSSG stocks take to settle from empty (issue 13, item 4).

For the shipped baseline (scenarios/bnssg/baseline_winter.yaml) and variants, runs replications
with a long warm-up, then prints per daily series (G&A beds occupied, NCTR, D2A in service):

- MSER-5 truncation on the shipped 12-week warm-up run (what every run prints);
- MSER-5 on a *stationary* variant (no growth, no month factors, no surge, no bank holidays) with
  a 52-week warm-up, and the first day the 7-day mean comes within 1 % (and 2 %) of the
  stationary level (mean of days 250-365): the true settling time from empty;
- the same for the census start (tests/scenario/data/bnssg_census.yaml).

MSER-5 on a seasonal window (October-March, with a January surge) also cuts for the trend, so the
two are reported side by side.

Run from the repository root with the project's venv (4 x ``--reps`` runs, one with a 52-week
warm-up; ``--reps 1`` is the shortest):

    python calibration/analysis/winter_warmup.py [--reps 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from simcare.analysis.warmup import daily_state_series, mser
from simcare.engine import run
from simcare.pipeline import compiled
from simcare.scenario.load import load_scenario_data

ROOT = Path(__file__).resolve().parents[2]
BASE = str(ROOT / "scenarios/bnssg/baseline_winter.yaml")
CENSUS = str(ROOT / "tests/scenario/data/bnssg_census.yaml")
FLAT = {
    "calendar.growth": 0.0,
    "calendar.surges": [],
    "calendar.bank_holidays": [],
    "calendar.monthly": {
        m: 1.0 for m in ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    },
}


def daily(path: str, overrides: dict[str, object], reps: int) -> pd.DataFrame:
    cs, _ = compiled(load_scenario_data(path), overrides, path)
    frames = [
        daily_state_series(run(cs.model, seed=cs.seed, replication=r), cs).assign(rep=r) for r in range(reps)
    ]
    return pd.concat(frames).groupby(["series", "day"]).value.mean().unstack("series")


def settle(x: np.ndarray, level: float, tol: float) -> int:
    """First day whose trailing 7-day mean is within ``tol`` of ``level`` (and stays within
    2 tol for the next 28 days)."""
    m = pd.Series(x).rolling(7).mean().to_numpy()
    for d in range(6, len(m) - 28):
        if abs(m[d] - level) <= tol * level and np.all(np.abs(m[d : d + 28] - level) <= 2 * tol * level):
            return d
    return -1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args()
    shipped = daily(BASE, {}, a.reps)
    flat = daily(BASE, {**FLAT, "run.warm_up": "52w"}, a.reps)
    census_flat = daily(CENSUS, FLAT, a.reps)
    census = daily(CENSUS, {}, a.reps)
    print(
        f"{'series':18s} {'shipped MSER':>12s} {'flat MSER':>10s} {'level':>8s} {'1 % at':>7s} "
        f"{'2 % at':>7s} {'census day0':>11s} {'census 2 %':>10s} {'census MSER':>11s} "
        f"{'census flat MSER':>16s}"
    )
    for s in ("ga_beds_occupied", "nctr", "d2a_in_service"):
        x = flat[s].to_numpy()
        level = x[250:365].mean()
        c = census_flat[s].to_numpy()
        print(
            f"{s:18s} {mser(shipped[s].to_numpy()).truncation:12d} {mser(x).truncation:10d} {level:8.1f} "
            f"{settle(x, level, 0.01):7d} {settle(x, level, 0.02):7d} {c[0]:11.1f} "
            f"{settle(c, level, 0.02):10d} {mser(census[s].to_numpy()).truncation:11d} "
            f"{mser(c).truncation:16d}"
        )
    print("\nweekly means of the flat 52-week-warm-up run (week: beds occupied, NCTR, D2A in service):")
    w = flat.groupby(flat.index // 7).mean()
    for wk in range(0, 40, 2):
        print(
            f"  week {wk:2d}: {w.iloc[wk]['ga_beds_occupied']:7.1f} {w.iloc[wk]['nctr']:6.1f} "
            f"{w.iloc[wk]['d2a_in_service']:6.1f}"
        )


if __name__ == "__main__":
    main()
