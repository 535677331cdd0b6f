"""The headline measures of a winter, in plain words, and the impact table built from them.

Each headline is a (kpi, group) of the tidy KPI table at period "run" (the whole reported window
after the warm-up) with a label, the unit shown to the reader and which direction is better.
Counts are totals over the reported window.

Verdicts (:func:`material_verdict`) take each KPI's minimum important difference (MID,
:mod:`simcare.kpi.mid`): a change smaller than it reads "no material difference".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simcare.analysis.compare import verdict
from simcare.analysis.variance import spread_table
from simcare.kpi.mid import Mid, mids_with
from simcare.pipeline import ScenarioInfo

NO_MATERIAL = "no material difference"
CLEAR = ("better", "worse", "higher", "lower")


def number(x: float, digits: int) -> str:
    """``x`` with thousands separators and ``digits`` decimals, never "-0.0": a value that rounds
    to zero is written without a sign; "n/a" for NaN."""
    if pd.isna(x):
        return "n/a"
    text = f"{x:,.{digits}f}"
    return text[1:] if text.startswith("-") and _is_zero(text) else text


def signed(x: float, digits: int) -> str:
    """:func:`number` with a sign ("+1.2", "-0.4"), except a value that rounds to zero ("0.0")."""
    text = number(x, digits)
    return text if text == "n/a" or text.startswith("-") or _is_zero(text) else "+" + text


def _is_zero(text: str) -> bool:
    """Whether a formatted number has no non-zero digit ("-0.00", "0")."""
    return not any(c in "123456789" for c in text)


def material_verdict(
    difference: float, low: float, high: float, higher_is_better: bool | None, mid: float
) -> str:
    """:func:`simcare.analysis.compare.verdict`, except that a change is "no material difference"
    when its whole interval lies within ±``mid``, the minimum important difference (low >= -mid
    and high <= mid), whatever the interval says about zero: the runs show the change is smaller
    than any a lead would act on. A small estimate with a wide interval is not enough (+0.2
    (-13.4 to +13.7) points could be a material change either way): it keeps the plain verdict,
    "no clear difference". ``mid`` is in the KPI's unit (0: every change counts)."""
    if difference == 0 and low == 0 and high == 0:
        return "no difference"
    within = bool(np.isfinite(low) and np.isfinite(high) and -mid <= low and high <= mid)
    if mid > 0 and within:
        return NO_MATERIAL
    return verdict(difference, low, high, higher_is_better)


@dataclass(frozen=True)
class Headline:
    kpi: str
    group: str
    label: str
    unit: str
    higher_is_better: bool | None
    digits: int = 1


HEADLINES: tuple[Headline, ...] = (
    Headline("ae_within_4h", "ICB", "A&E: % within 4 hours (all types)", "%", True),
    Headline("ae_within_4h", "type1", "Type 1 EDs: % within 4 hours", "%", True),
    Headline("ae_over_12h", "ICB", "A&E: attendances over 12 hours", "patients", False, 0),
    Headline("handover_mean", "ICB", "Ambulance handover: mean time", "min", False),
    Headline("handover_over_60", "ICB", "Ambulance handovers over 60 minutes", "handovers", False, 0),
    Headline("crew_hours_lost", "ICB", "Ambulance crew hours lost to handover", "hours", False, 0),
    Headline("nhs111_answered_60s", "ICB", "NHS 111: % of calls answered within 60 s", "%", True),
    Headline("ga_occupancy", "ICB", "G&A bed occupancy", "%", False),
    Headline("dta_over_4h_pct", "ICB", "Emergency admissions over 4 h from decision to admit", "%", False),
    Headline("nctr", "ICB", "Patients with no criteria to reside (average)", "patients", False),
    Headline("nctr_by_reason", "capacity_P1:ICB", "… of whom waiting for home care (P1)", "patients", False),
    Headline(
        "nctr_by_reason", "capacity_P2:ICB", "… waiting for a rehabilitation bed (P2)", "patients", False
    ),
    Headline("nctr_by_reason", "capacity_P3:ICB", "… waiting for a care home place (P3)", "patients", False),
    Headline("nctr_by_reason", "process:ICB", "… in the hospital's discharge process", "patients", False),
    Headline("lost_bed_days", "ICB", "Bed days lost to delayed discharge", "bed days", False, 0),
    Headline("d2a_wait", "ICB", "Wait for discharge-to-assess (mean)", "days", False),
)


def available_headlines(table: pd.DataFrame) -> list[Headline]:
    """The headlines present in a tidy table (at period "run")."""
    run = table[table["period"] == "run"]
    have = set(zip(run["kpi"], run["group"], strict=True))
    return [h for h in HEADLINES if (h.kpi, h.group) in have]


def headline_spread(table: pd.DataFrame, scenarios: Sequence[ScenarioInfo]) -> pd.DataFrame:
    """:func:`simcare.analysis.variance.spread_table` of the headline measures of the scenarios
    that drew parameter sets (empty when none did)."""
    n_sets = {i.name: i.parameter_sets for i in scenarios if i.parameter_sets}
    return spread_table(table, n_sets, [(h.kpi, h.group, h.label) for h in available_headlines(table)])


def impact_table(
    differences: pd.DataFrame,
    headlines: list[Headline] | None = None,
    mids: Mapping[str, Mid] | None = None,
) -> pd.DataFrame:
    """Headline impacts from :func:`simcare.analysis.compare.paired_differences` (period "run"):
    one row per (scenario, headline) with ``label``, ``unit``, ``base``, ``value``,
    ``difference``, ``low``, ``high``, ``n``, ``mid`` (the minimum important difference in the
    KPI's unit, for this base) and ``verdict`` in plain words (:func:`material_verdict`).
    ``mids``: overrides of the KPIs' own MIDs (:func:`simcare.kpi.mid.parse_mids`)."""
    d = differences[differences["period"] == "run"]
    specs = headlines if headlines is not None else list(HEADLINES)
    every = mids_with(mids)
    rows = []
    for scenario in dict.fromkeys(d["scenario"]):
        for h in specs:
            m = d[(d["scenario"] == scenario) & (d["kpi"] == h.kpi) & (d["group"] == h.group)]
            if m.empty:
                continue
            r = m.iloc[0]
            mid = every[h.kpi].threshold(r["base_mean"]) if h.kpi in every else 0.0
            rows.append(
                {
                    "scenario": scenario,
                    "kpi": h.kpi,
                    "group": h.group,
                    "label": h.label,
                    "unit": h.unit,
                    "digits": h.digits,
                    "base": r["base_mean"],
                    "value": r["mean"],
                    "difference": r["difference"],
                    "low": r["low"],
                    "high": r["high"],
                    "n": r["n"],
                    "mid": mid,
                    "verdict": material_verdict(
                        r["difference"], r["low"], r["high"], h.higher_is_better, mid
                    ),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "kpi",
            "group",
            "label",
            "unit",
            "digits",
            "base",
            "value",
            "difference",
            "low",
            "high",
            "n",
            "mid",
            "verdict",
        ],
    )


_num = number


def interval_text(difference: float, low: float, high: float, digits: int) -> str:
    """'+1.2 (0.8 to 1.6)' or '+1.2 (no interval)' (never "-0.0": :func:`signed`)."""
    d = signed(difference, digits)
    if pd.isna(low) or pd.isna(high):
        return f"{d} (no interval)"
    return f"{d} ({number(low, digits)} to {number(high, digits)})"


def impact_text(impacts: pd.DataFrame, level: float = 0.95) -> str:
    """The impact table as plain text for the terminal."""
    if impacts.empty:
        return "  (no headline measures to compare)"
    width = max(len(s) for s in impacts["label"]) + 2
    lines = [f"  difference from the base, mean over replications ({100 * level:g} % interval)"]
    for scenario, g in impacts.groupby("scenario", sort=False):
        lines.append(f"  {scenario}")
        for _, r in g.iterrows():
            lines.append(
                f"    {r['label']:<{width}} {_num(r['base'], r['digits']):>9} -> "
                f"{_num(r['value'], r['digits']):>9} {r['unit']:<9} "
                f"{interval_text(r['difference'], r['low'], r['high'], r['digits']):<30} "
                f"{r['verdict']}"
            )
    return "\n".join(lines)
