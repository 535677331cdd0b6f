"""YAML-only sensitivity of boarding and decision-to-admit waits (issue 13 diagnosis).

Runs calibration/analysis/winter_diagnosis.py's measurements on the calibrated in-sample window
(scenarios/bnssg/validation_2024.yaml, April-November 2024) under overrides at dotted paths and
prints one line per setting: ICB 4-hour %, boarding, DTA waits over 4 h a day (and as NHS
England's % of all emergency admissions, here G&A admissions + SDEC attendances), LWBS, bed
occupancy, handover mean and the NCTR split. Published April-November 2024 for comparison:
ICB 4 h 73 %, DTA > 4 h 78 a day (21 % of all emergency admissions), occupancy RVJ 97.5 % /
RA7 92.6 %, NCTR 605.

Run from the repository root with the project's venv (15 settings x ``--reps`` runs of the
eight-month window; ``--reps 1 --only 'fitted (as shipped)'`` is the shortest):

    python calibration/analysis/winter_sensitivity.py [--reps 2] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import io

from winter_diagnosis import ROOT, diagnose  # type: ignore[import-not-found]  # sibling: this folder is sys.path[0]

from simcare.scenario.load import load_scenario_data

SCENARIO = str(ROOT / "scenarios/bnssg/validation_2024.yaml")


def settings() -> dict[str, dict[str, object]]:
    doc = load_scenario_data(SCENARIO)
    beds = {t: int(doc["beds"][t]["beds"]) for t in ("rvj", "ra7")}
    los = {t: doc["beds"][t]["length_of_stay"]["default"] for t in ("rvj", "ra7")}
    cub = {s: int(doc["ed"][s]["cubicles"]) for s in doc["ed"]}

    def scale_beds(f: float) -> dict[str, object]:
        return {f"beds.{t}.beds": round(n * f) for t, n in beds.items()}

    def scale_los(f: float) -> dict[str, object]:
        out: dict[str, object] = {}
        for t, spec in los.items():
            for k in ("mean", "sd"):
                out[f"beds.{t}.length_of_stay.default.{k}"] = f"{_minutes(spec[k]) * f:.1f}min"
        return out

    def scale_cub(f: float) -> dict[str, object]:
        return {f"ed.{s}.cubicles": round(n * f) for s, n in cub.items()}

    def morning(n_off: int) -> dict[str, object]:
        # beds freed by the day's discharges only from midday: n_off fewer beds 00:00-12:00
        return {
            f"beds.{t}.beds": {
                "default": n,
                "shifts": [{"days": "all", "from": "00:00", "to": "12:00", "servers": n - n_off}],
            }
            for t, n in beds.items()
        }

    d2a = {}
    for la, pw in doc["discharge"]["d2a"].items():
        for p, spec in pw.items():
            d2a[f"discharge.d2a.{la}.{p}.capacity"] = int(spec["capacity"])

    return {
        "fitted (as shipped)": {},
        "beds -3%": scale_beds(0.97),
        "beds -6%": scale_beds(0.94),
        "LoS +5%": scale_los(1.05),
        "D2A capacity -20%": {k: round(v * 0.8) for k, v in d2a.items()},
        "D2A capacity +15%": {k: round(v * 1.15) for k, v in d2a.items()},
        "cubicles +20%": scale_cub(1.2),
        "cubicles +20%, beds -3%": {**scale_cub(1.2), **scale_beds(0.97)},
        "cubicles +20%, beds -6%": {**scale_cub(1.2), **scale_beds(0.94)},
        "cubicles +20%, 40 beds shut 00-12h": {**scale_cub(1.2), **morning(40)},
        "cubicles +20%, 80 beds shut 00-12h": {**scale_cub(1.2), **morning(80)},
        "cubicles +40%": scale_cub(1.4),
        "cubicles +40%, beds -4%": {**scale_cub(1.4), **scale_beds(0.96)},
        "cubicles +40%, 80 beds shut 00-12h": {**scale_cub(1.4), **morning(80)},
        "cubicles +40%, D2A capacity -20%": {**scale_cub(1.4), **{k: round(v * 0.8) for k, v in d2a.items()}},
    }


def _minutes(value: object) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    s = str(value)
    for unit, m in (("min", 1.0), ("h", 60.0), ("d", 1440.0)):
        if s.endswith(unit):
            return float(s[: -len(unit)]) * m
    return float(s)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    cols = (
        "within_4h_icb",
        "boarding_icb",
        "dta4_day",
        "dta4_%_all_ea",
        "lwbs_day",
        "occ_rvj",
        "occ_ra7",
        "handover_mean",
        "nctr",
        "nctr_d2a",
    )
    print(f"{'setting':38s} " + " ".join(f"{c[:12]:>12s}" for c in cols), flush=True)
    for name, ov in settings().items():
        if a.only and name not in a.only:
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            h = diagnose(SCENARIO, ov, a.reps, monthly=False)
        print(f"{name:38s} " + " ".join(f"{h[c]:12.1f}" for c in cols), flush=True)


if __name__ == "__main__":
    main()
