"""The fitted BNSSG model over the whole fit window, month by month against the published data.

Builds the document the calibration simulates at the fitted point -- the fitted overlay
(calibration/fitted/bnssg_fitted.yaml) with the direct estimates of the fit window (growth over the
whole window, month factors, monthly bed rosters) and the calibration layer (2022-04 .. 2024-11,
bank holidays, no surge) -- runs it, and prints per month: model vs published all emergency
admissions (model: G&A admissions + SDEC attendances - SDEC patients admitted, and G&A alone),
DTA waits over 4 h (% of all emergency admissions), 4-hour % per trust, G&A occupancy per trust;
then the month-to-month slope of DTA > 4 h on occupancy and NCTR, model vs published (the
relationship issue 13's test must hold).

Run from the repository root with the project's venv (``--reps`` runs of the 32-month window;
``--reps 1`` is the shortest):

    python calibration/analysis/winter_window.py [--reps 2] [--set PATH=VALUE ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from winter_published import monthly_icb, monthly_trust  # type: ignore[import-not-found]  # sibling: this folder is sys.path[0]

from simcare.calibration.fit import fitted_window_document
from simcare.calibration.spec import load_spec
from simcare.engine import run
from simcare.kpi.uec import uec_measures
from simcare.pipeline import compiled

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "calibration/bnssg.yaml"
FITTED = ROOT / "calibration/fitted/bnssg_fitted.yaml"


def window_document() -> dict:
    """The fitted overlay as the calibration simulates it over its fit window."""
    return fitted_window_document(load_spec(SPEC), FITTED)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    a = ap.parse_args()
    overrides = {k: yaml.safe_load(v) for k, _, v in (s.partition("=") for s in a.set)}
    doc = window_document()
    cs, _ = compiled(doc, overrides, str(FITTED))
    t0 = cs.timeline.warm_up_hours * 60.0
    frames, sdec_frames = [], []
    for r in range(a.reps):
        res = run(cs.model, seed=cs.seed, replication=r)
        k = uec_measures(res, cs)
        frames.append(k[k.period.str.len() == 7])
        v = res.visits
        names = res.service_names
        sdec = [i for i, n in enumerate(names) if n.startswith("sdec:")]
        beds = [i for i, n in enumerate(names) if n.startswith("beds:")]
        order = np.lexsort((v["arrival"], v["patient"]))
        nxt = np.full(len(v), -1)
        same = v["patient"][order[1:]] == v["patient"][order[:-1]]
        nxt[order[:-1][same]] = order[1:][same]
        rows = np.flatnonzero(np.isin(v["service"], sdec) & (v["arrival"] >= t0))
        admitted = (nxt[rows] >= 0) & np.isin(v["service"][np.maximum(nxt[rows], 0)], beds)
        day = (v["arrival"][rows] // 1440).astype(int)
        month = (np.datetime64(cs.timeline.origin) + day.astype("timedelta64[D]")).astype("datetime64[M]")
        sdec_frames.append(
            pd.DataFrame({"month": month.astype(str), "sdec": 1.0, "sdec_adm": admitted.astype(float)})
            .groupby("month")
            .sum()
        )
    k = pd.concat(frames).groupby(["kpi", "group", "period"]).value.mean()
    sd = pd.concat(sdec_frames).groupby(level=0).mean()
    months = sorted(sd.index)
    days = np.array([pd.Period(m).days_in_month for m in months])

    def kpi(name: str, group: str) -> np.ndarray:
        return np.array([k.get((name, group, m), np.nan) for m in months])

    ga = kpi("emergency_admissions", "ICB") / days
    all_ea = ga + (sd.sdec.to_numpy() - sd.sdec_adm.to_numpy()) / days
    dta = kpi("dta_over_4h", "ICB") / days
    icb = monthly_icb()
    tr = monthly_trust()
    idx = pd.to_datetime([f"{m}-01" for m in months])
    out = pd.DataFrame(
        {
            "EA pub": icb.ea_day.reindex(idx).to_numpy(),
            "EA model": all_ea,
            "G&A model": ga,
            "DTA4% pub": icb.dta4_pct.reindex(idx).to_numpy(),
            "DTA4% model": 100 * dta / all_ea,
            "4h pub": icb.within_4h.reindex(idx).to_numpy(),
            "4h model": kpi("ae_within_4h", "ICB"),
            "RVJ 4h pub": tr.xs("RVJ", level=0).within_4h.reindex(idx).to_numpy(),
            "RVJ 4h mod": kpi("ae_within_4h", "rvj"),
            "RA7 4h pub": tr.xs("RA7", level=0).within_4h.reindex(idx).to_numpy(),
            "RA7 4h mod": kpi("ae_within_4h", "ra7"),
            "RVJ occ pub": tr.xs("RVJ", level=0).occ.reindex(idx).to_numpy(),
            "RVJ occ mod": kpi("ga_occupancy", "rvj"),
            "RA7 occ pub": tr.xs("RA7", level=0).occ.reindex(idx).to_numpy(),
            "RA7 occ mod": kpi("ga_occupancy", "ra7"),
            "NCTR pub": (tr.xs("RVJ", level=0).nctr + tr.xs("RA7", level=0).nctr).reindex(idx).to_numpy(),
            "NCTR mod": kpi("nctr", "ICB"),
            "board mod": kpi("ed_boarding", "ICB"),
        },
        index=months,
    )
    pd.set_option("display.width", 250)
    print(out.round(1).to_string())
    ea_err = 100 * (out["EA model"] / out["EA pub"] - 1)
    ga_err = 100 * (out["G&A model"] / out["EA pub"] - 1)
    print(
        f"\nall emergency admissions: model (G&A + SDEC) MAE {ea_err.abs().mean():.1f} % "
        f"(mean {ea_err.mean():+.1f} %); G&A only MAE {ga_err.abs().mean():.1f} % "
        f"(mean {ga_err.mean():+.1f} %)"
    )
    for name, (m, p) in {
        "ICB 4h": ("4h model", "4h pub"),
        "RVJ 4h": ("RVJ 4h mod", "RVJ 4h pub"),
        "RA7 4h": ("RA7 4h mod", "RA7 4h pub"),
        "DTA4 %": ("DTA4% model", "DTA4% pub"),
        "RVJ occ": ("RVJ occ mod", "RVJ occ pub"),
        "RA7 occ": ("RA7 occ mod", "RA7 occ pub"),
    }.items():
        e = out[m] - out[p]
        years = ", ".join(
            f"{y} {e[[i.startswith(y) for i in out.index]].mean():+.1f}" for y in ("2022", "2023", "2024")
        )
        print(f"{name:8s} MAE {e.abs().mean():5.1f} pts, mean {e.mean():+5.1f}; by year {years}")
    print("\nDTA > 4 h (% of all EA) against occupancy across months: slope (pts per occupancy pt), r")
    for trust, code in (("rvj", "RVJ"), ("ra7", "RA7")):
        mod_dta = 100 * kpi("dta_over_4h", trust) / days / (kpi("emergency_admissions", trust) / days)
        g = tr.xs(code, level=0).reindex(idx)
        pub = np.polyfit(g.occ, g.dta4_pct, 1)[0], np.corrcoef(g.occ, g.dta4_pct)[0, 1]
        occ = kpi("ga_occupancy", trust)
        mod = np.polyfit(occ, mod_dta, 1)[0], np.corrcoef(occ, mod_dta)[0, 1]
        print(
            f"  {code}: published {pub[0]:+.2f} (r {pub[1]:.2f}); model (over G&A admissions) "
            f"{mod[0]:+.2f} (r {mod[1]:.2f}); model occupancy range "
            f"{np.nanmin(occ):.1f}-{np.nanmax(occ):.1f}, published {g.occ.min():.1f}-{g.occ.max():.1f}"
        )


if __name__ == "__main__":
    main()
