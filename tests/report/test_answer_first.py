"""The report opens with the answer: a plain paragraph and the headline table on the first
screen (the content before the first figure), the run's details in an appendix at the end, and
true words on calibration and uncertainty."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
from report_synthetic import synthetic_table
from test_html_report import info
from visible import parts, text

from simcare.report.html import build_report
from simcare.report.summary import answer
from simcare.scenario.calibrated import Calibration, fitted_overlay

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("bnssg_base", "bnssg_combined", "bnssg_same")


def _report(**info_changes: object) -> str:
    t = synthetic_table({"bnssg_base": 0.0, "bnssg_combined": 2.0, "bnssg_same": 0.0})
    infos = [dataclasses.replace(info(n), **info_changes) for n in NAMES]  # type: ignore[arg-type]
    return build_report(t, "bnssg_base", scenarios=infos).html


def test_first_screen_holds_the_summary_and_the_headline_table() -> None:
    p = parts(_report())
    first = text(p.first_screen)
    assert "This report compares 2 scenarios with the base, base, over 15 December 2025" in first
    assert "Combined raises " in first
    assert "raises A&E: % within 4 hours (all types) by 2.0 percentage points (2.0 to 2.0; better)" in first
    assert "The other scenario, same, makes no material difference to any headline measure." in first
    assert p.first_screen_tables == ["headline"]
    for detail in ("scenario hash", "Master seed", "MSER-5", ".yaml", "0123456789ab", "replications needed"):
        assert detail not in first, detail
    # the appendix comes last and holds the details
    assert p.section_order[0] == "summary" and p.section_order[1] == "headline"
    assert p.section_order.index("appendix") > p.section_order.index("published")
    appendix = text(p.appendix)
    for detail in ("How this was run", "scenario hash", "Master seed", "bnssg_base.yaml", "Reproduce"):
        assert detail in appendix, detail
    assert "How precise are these numbers?" in appendix


def test_answer_names_material_changes_with_intervals_and_the_quiet_scenarios() -> None:
    rows = [
        (
            "discharge",
            "Patients with no criteria to reside (average)",
            "patients",
            -41.3,
            -46.7,
            -36.0,
            30.0,
            "better",
        ),
        ("discharge", "G&A bed occupancy", "%", -0.1, -0.12, -0.08, 1.0, "no material difference"),
        ("discharge", "Ambulance handover: mean time", "min", 5.0, -1.0, 11.0, 2.0, "no clear difference"),
        ("digital", "G&A bed occupancy", "%", 0.2, -0.1, 0.5, 1.0, "no material difference"),
        ("flu", "G&A bed occupancy", "%", 0.0, 0.0, 0.0, 1.0, "no difference"),
    ]
    impacts = pd.DataFrame(
        rows, columns=["scenario", "label", "unit", "difference", "low", "high", "mid", "verdict"]
    )
    impacts["digits"] = 1
    words = " ".join(answer(impacts, "baseline"))
    assert (
        "Discharge lowers patients with no criteria to reside (average) by 41.3 patients "
        "(36.0 to 46.7; better); its effect on ambulance handover: mean time cannot be told from chance."
    ) in words
    assert "The other scenarios, digital and flu, make no material difference" in words
    assert "-0." not in words


def test_calibrated_base_says_what_the_calibration_gets_right() -> None:
    fitted = Calibration(
        "calibration/fitted/x.yaml", "2022-04", "2024-11", ("ae_attendances",), ("ae_within_4h",)
    )
    html = text(parts(_report(calibration=fitted)).outside_appendix)
    said = "The base scenario is calibrated: it uses the parameters fitted to the published monthly "
    assert said + "figures of April 2022 to November 2024" in html
    assert "calibration/fitted/x.yaml" not in html  # the file: in the appendix only
    assert "fitted (calibration/fitted/x.yaml)" in text(parts(_report(calibration=fitted)).appendix)
    assert "within its stated limits for A&E attendances, but not for 4-hour performance" in html
    assert "not calibrated" not in html
    plain = text(parts(_report()).outside_appendix)
    assert "The base scenario is not calibrated" in plain and "is calibrated:" not in plain
    assert "not yet calibrated" not in plain and "uncalibrated" not in plain


def test_the_shipped_baseline_extends_the_fitted_overlay() -> None:
    fitted = fitted_overlay(ROOT / "scenarios/bnssg/baseline_winter.yaml")
    assert fitted is not None and fitted.overlay.endswith("calibration/fitted/bnssg_fitted.yaml")
    assert (fitted.fit_from, fitted.fit_until) == ("2022-04", "2024-11")
    assert "ae_within_4h" in fitted.missed + fitted.met
    assert fitted_overlay(ROOT / "scenarios/bnssg/uncalibrated_winter.yaml") is None


def test_intervals_say_whether_they_include_parameter_uncertainty() -> None:
    chance = text(parts(_report()).first_screen)
    assert "leave out uncertainty in the parameters themselves, which --parameter-sets adds" in chance
    sets = text(parts(_report(parameter_sets=8)).first_screen)
    assert "The intervals include parameter uncertainty as well as chance" in sets


def test_title_follows_the_system() -> None:
    t = synthetic_table({"demo_a": 0.0, "demo_b": 1.0}, reps=2)
    html = build_report(t, "demo_a").html
    assert "<title>DEMO: 1 scenario compared with a</title>" in html and "Winter scenarios" not in html
    assert "<h1>BNSSG: 2 scenarios compared with base</h1>" in _report()


def test_published_caption_says_whether_the_months_are_after_the_data() -> None:
    from simcare.icb.lookup import find_icb
    from simcare.report.published_context import published_for_system

    t = synthetic_table({"bnssg_base": 0.0, "bnssg_combined": 2.0}, reps=2)
    future = build_report(t, "bnssg_base", published=published_for_system(find_icb("E54000039"))).html
    assert "The model runs months after the last published figures" in future
    past = t.assign(period=t["period"].str.replace("2025-12", "2023-12").str.replace("2026-01", "2024-01"))
    then = build_report(past, "bnssg_base", published=published_for_system(find_icb("E54000039"))).html
    assert "months after the last published figures" not in then
    assert "Some of the model's months have published figures of their own" in then
