"""The all-England summary: each ICB's baseline and intervention impacts on the headline measures,
beside its own published months (``simcare national STORE``).

Input: the tidy KPI table of a store of the plan ``simcare new-icb --all`` writes (scenario names
``<icb key>_uncalibrated_winter`` and ``<icb key>_<intervention>``). Output: one row per (ICB,
measure) with the baseline's mean over the replications and its 95 % interval, the published
figure of the reference months (April-November 2024) where one is published, and each
intervention's paired difference with its interval (:func:`simcare.analysis.compare.paired_differences`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simcare.analysis.compare import paired_differences
from simcare.analysis.replications import t_quantile
from simcare.errors import SimcareError
from simcare.icb.interventions import NAMES as INTERVENTION_NAMES
from simcare.icb.lookup import Icb, icbs
from simcare.icb.national import WINDOW, tables


@dataclass(frozen=True)
class Measure:
    """A headline measure: the KPI (ICB group, whole run), its label and unit, and which way is better."""

    kpi: str
    label: str
    unit: str
    higher_is_better: bool


#: the measures summarised, in order
MEASURES: tuple[Measure, ...] = (
    Measure("ae_within_4h", "A&E within 4 hours", "%", True),
    Measure("ae_over_12h", "A&E over 12 hours", "attendances", False),
    Measure("ga_occupancy", "G&A bed occupancy", "%", False),
    Measure("nctr", "patients not meeting the criteria to reside", "patients", False),
    Measure("ambulance_response_mean", "ambulance response, mean", "min", False),
)
BASELINE_SUFFIX = "_uncalibrated_winter"


def published_reference(icb: Icb) -> dict[str, float]:
    """The ICB's published figures of the reference months, in the KPIs' units: A&E within 4 h
    (%, all types), G&A occupancy (%, its acute trusts' occupied over available beds) and NCTR
    (patients, mean of the days)."""
    tb = tables()
    ae = tb.icb_ae[(tb.icb_ae["icb"] == icb.code) & tb.icb_ae["month"].between(*WINDOW)]
    beds = tb.beds[tb.beds["trust"].isin([t.code for t in icb.acute]) & tb.beds["month"].between(*WINDOW)]
    nctr = tb.nctr[(tb.nctr["icb"] == icb.code) & (tb.nctr["date"] >= WINDOW[0])]
    nctr = nctr[nctr["date"] < pd.Timestamp(WINDOW[1]) + pd.offsets.MonthBegin(1)]
    out = {
        "ae_within_4h": 100.0 * (1.0 - ae["attendances_over_4h"].sum() / ae["attendances"].sum()),
        "ga_occupancy": 100.0 * beds["beds_occupied"].sum() / beds["beds_available"].sum(),
        "nctr": float(nctr["nctr"].mean()),
    }
    return {k: float(v) for k, v in out.items() if np.isfinite(v)}


def _icb_of(scenario: str, by_key: dict[str, Icb]) -> tuple[Icb, str] | None:
    """(ICB, ``baseline`` or the intervention) of a scenario name, or None if it is neither."""
    if scenario.endswith(BASELINE_SUFFIX) and scenario.removesuffix(BASELINE_SUFFIX) in by_key:
        return by_key[scenario.removesuffix(BASELINE_SUFFIX)], "baseline"
    for name in INTERVENTION_NAMES:
        key = scenario.removesuffix(f"_{name}")
        if key != scenario and key in by_key:
            return by_key[key], name
    return None


def national_summary(table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per (ICB, measure, what): ``what`` is ``baseline`` (``mean``, ``low``, ``high``
    over the replications, ``published`` beside it) or an intervention (its paired difference
    from the baseline: ``mean``, ``low``, ``high``). Columns: icb_code, icb, variant (a plan's
    grid settings, ``[...]``, empty without a grid), measure, label, unit, what, n, mean, low,
    high, published. ICBs whose baseline is not in ``table`` are left
    out; a table with none is an error."""
    by_key = {i.key: i for i in icbs()}
    run = table[(table["group"] == "ICB") & (table["period"] == "run")]
    run = run[run["kpi"].isin([m.kpi for m in MEASURES])]
    found: dict[tuple[str, str], dict[str, str]] = {}
    for scenario in pd.unique(run["scenario"]):
        name, bracket, rest = str(scenario).partition("[")  # a plan's grid variant: name[settings]
        hit = _icb_of(name, by_key)
        if hit:
            found.setdefault((hit[0].code, bracket + rest), {})[hit[1]] = str(scenario)
    rows = []
    for (code, variant), names in sorted(found.items()):
        icb = next(i for i in icbs() if i.code == code)
        if "baseline" not in names:
            continue
        published = published_reference(icb)
        part = run[run["scenario"].isin(list(names.values()))]
        base = part[part["scenario"] == names["baseline"]]
        for m in MEASURES:
            v = base.loc[base["kpi"] == m.kpi, "value"].to_numpy(dtype=float)
            if len(v) == 0:
                continue
            half = (
                float(t_quantile(level, len(v)) * v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else np.nan
            )
            rows.append(
                _row(icb, variant, m, "baseline", len(v), v.mean(), half, published.get(m.kpi, np.nan))
            )
        if len(names) > 1:
            diff = paired_differences(part, names["baseline"], level=level, periods=["run"])
            for what, scenario in names.items():
                if what == "baseline":
                    continue
                for m in MEASURES:
                    d = diff[(diff["scenario"] == scenario) & (diff["kpi"] == m.kpi)]
                    if len(d):
                        r = d.iloc[0]
                        rows.append(
                            _row(icb, variant, m, what, int(r["n"]), r["difference"], r["half_width"], np.nan)
                        )
    if not rows:
        raise SimcareError(
            "no ICB baseline in the store: run the plan `simcare new-icb --all` writes (all_england.yaml)"
        )
    return pd.DataFrame(rows)


def _row(
    icb: Icb, variant: str, m: Measure, what: str, n: int, mean: float, half: float, published: float
) -> dict[str, object]:
    return {
        "icb_code": icb.code,
        "icb": icb.name,
        "variant": variant,
        "measure": m.kpi,
        "label": m.label,
        "unit": m.unit,
        "what": what,
        "n": n,
        "mean": float(mean),
        "low": float(mean - half),
        "high": float(mean + half),
        "published": float(published),
    }
