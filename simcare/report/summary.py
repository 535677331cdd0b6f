"""The report's opening words: the answer in a paragraph, and what the calibration and the
intervals can and cannot say. Plain text (the templates escape it).

:func:`answer` states what was compared and, per scenario, its largest material changes (a
verdict of better/worse/higher/lower, :func:`simcare.report.headline.material_verdict`), the
changes too uncertain to call, and which scenarios make no material difference at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from simcare.pipeline import ScenarioInfo
from simcare.report.headline import NO_MATERIAL, number
from simcare.scenario.calibrated import Calibration

CLEAR = ("better", "worse", "higher", "lower")
MAX_CHANGES = 3  # per scenario in the paragraph; the table has every one
TARGET_WORDS = {
    "ae_attendances": "A&E attendances",
    "ae_within_4h": "4-hour performance",
    "dta_over_4h": "waits over 4 hours from decision to admit",
    "emergency_admissions": "emergency admissions",
    "ga_occupancy": "G&A bed occupancy",
    "nctr": "patients with no criteria to reside",
    "nctr_capacity": "delayed discharges waiting for community capacity",
    "discharges_per_day": "discharges",
}


def measure_words(label: str) -> str:
    """A headline label inside a sentence: its first letter in lower case unless it starts an
    abbreviation ("A&E", "G&A", "NHS")."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _unit(unit: str) -> str:
    return "percentage points" if unit == "%" else unit


def _change(r: pd.Series) -> str:
    """'lowers patients with no criteria to reside by 41.3 patients (36.0 to 46.7; better)'."""
    d = int(r["digits"])
    down = r["difference"] < 0
    size = number(abs(r["difference"]), d)
    if pd.isna(r["low"]):
        interval = "no interval"
    else:
        lo, hi = (-r["high"], -r["low"]) if down else (r["low"], r["high"])
        interval = f"{number(lo, d)} to {number(hi, d)}"
    verdict = "" if r["verdict"] in ("higher", "lower") else f"; {r['verdict']}"
    verb = "lowers" if down else "raises"
    return f"{verb} {measure_words(str(r['label']))} by {size} {_unit(str(r['unit']))} ({interval}{verdict})"


def _capital(text: str) -> str:
    """A scenario's label starting a sentence: its first letter in capitals."""
    return text[:1].upper() + text[1:]


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def answer(impacts: pd.DataFrame, base: str, level: float = 0.95) -> list[str]:
    """Sentences on the impacts (:func:`simcare.report.headline.impact_table`, scenarios by
    their labels) of every scenario against ``base``: the largest material changes of each
    (at most :data:`MAX_CHANGES`, by size against the minimum important difference), changes at
    least that large whose interval includes zero, and the scenarios with no material change."""
    sentences: list[str] = []
    quiet: list[str] = []
    for scenario in dict.fromkeys(impacts["scenario"]):
        g = impacts[(impacts["scenario"] == scenario) & ~impacts["label"].str.startswith("…")]
        clear = g[g["verdict"].isin(CLEAR)]
        unclear = g[g["verdict"] == "no clear difference"]
        if clear.empty and unclear.empty:
            quiet.append(str(scenario))
            continue
        text = _capital(str(scenario))
        if not clear.empty:
            size = (clear["difference"].abs() / clear["mid"].where(clear["mid"] > 0)).fillna(float("inf"))
            top = clear.loc[size.sort_values(ascending=False, kind="stable").index[:MAX_CHANGES]]
            text += " " + _join([_change(r) for _, r in top.iterrows()])
            more = len(clear) - len(top)
            if more:
                text += f", with {more} more material change{'s' if more != 1 else ''} in the table"
        if not unclear.empty:
            what = _join([measure_words(str(x)) for x in unclear["label"]])
            text += (
                "; its" if not clear.empty else ": its"
            ) + f" effect on {what} cannot be told from chance"
        sentences.append(text + ".")
    if quiet:
        many = len(quiet) > 1
        who = (
            f"The other scenario{'s' if many else ''}, {_join(quiet)},"
            if sentences
            else _capital(_join(quiet))
        )
        sentences.append(f"{who} {'make' if many else 'makes'} {NO_MATERIAL} to any headline measure.")
    pct = f"{100 * level:g} %"
    sentences.append(
        f"Figures in brackets are {pct} intervals; a change smaller than the measure's minimum "
        "important difference counts as no material difference."
    )
    return sentences


def opening(infos: Sequence[ScenarioInfo], base: str, others: int, reps: int) -> str:
    """What was compared: 'This report compares 2 scenarios with the base, baseline winter, over
    1 December 2025 to 31 March 2026, 10 replications each.'"""
    window = ""
    if infos:
        window = f" over {infos[0].start:%-d %B %Y} to {infos[0].end:%-d %B %Y}"
        days = infos[0].warm_up_days
        if days:
            window += (
                f" (after a {days}-day warm-up: simulated days before the window, left out while "
                "the model fills up like a real system)"
            )
    reps_text = f"{reps} replication{'s' if reps != 1 else ''}"
    if not others:
        return f"This report shows one scenario, {base}{window}, {reps_text}."
    return (
        f"This report compares {others} scenario{'s' if others != 1 else ''} with the base, "
        f"{base},{window}, {reps_text} each under the same random numbers."
    )


def _month(ym: str) -> str:
    """'2022-04' -> 'April 2022' (as given if not YYYY-MM)."""
    try:
        return dt.date(int(ym[:4]), int(ym[5:7]), 1).strftime("%B %Y")
    except ValueError:
        return ym


def calibration_words(calibration: Calibration | None, with_file: bool = False) -> str:
    """What the calibration does and does not get right, or that there is none; ``with_file``:
    name the fitted overlay's file (for the appendix; the summary leaves paths out)."""
    if calibration is None:
        return (
            "The base scenario is not calibrated: its parameters come from published sources "
            "alone, so read its levels with care and rely on the differences between scenarios."
        )
    window = f"{_month(calibration.fit_from)} to {_month(calibration.fit_until)}"
    where = f" ({calibration.overlay})" if with_file else ""
    text = (
        f"The base scenario is calibrated: it uses the parameters fitted{where} to the published "
        f"monthly figures of {window}."
    )
    if calibration.met or calibration.missed:
        met = _join([TARGET_WORDS.get(m, m.replace("_", " ")) for m in calibration.met])
        missed = _join([TARGET_WORDS.get(m, m.replace("_", " ")) for m in calibration.missed])
        if met:
            text += f" Over those months it is within its stated limits for {met}"
            text += f", but not for {missed}." if missed else "."
        else:
            text += f" Over those months it is outside its stated limits for {missed}."
        if with_file:
            text += " Each error is in the fit report beside the overlay (docs/calibration.md)."
    return (
        text + " It is not a forecast of the published figures: read the results as differences "
        "between scenarios under the same assumptions."
    )


def uncertainty_words(infos: Sequence[ScenarioInfo]) -> str:
    """Whether the intervals include parameter uncertainty (``--parameter-sets``); "" when what
    was run is not known (stored results)."""
    if not infos:
        return ""
    drew = [i for i in infos if i.parameter_sets]
    if len(drew) == len(infos):
        return (
            "The intervals include parameter uncertainty as well as chance: each replication used "
            "one of the calibration's plausible parameter sets (--parameter-sets)."
        )
    if drew:
        return (
            "The intervals of the scenarios that drew parameter sets include parameter uncertainty; "
            "those of the others show chance alone."
        )
    return (
        "The intervals show chance (the random variation between replications) only: they leave "
        "out uncertainty in the parameters themselves, which --parameter-sets adds."
    )
