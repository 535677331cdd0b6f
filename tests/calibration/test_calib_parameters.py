"""Calibration parameters scale scenario values in their own units; overlays are exact diffs."""

from __future__ import annotations

from pathlib import Path

import pytest

from simcare.calibration.parameters import Parameter, apply, deep_merge, matches, overlay_diff, scale_value
from simcare.scenario.load import load_scenario_data, validate_scenario
from simcare.scenario.units import parse_duration, parse_per_capita_rate

PRIOR = Path(__file__).resolve().parents[2] / "scenarios" / "bnssg" / "uncalibrated_winter.yaml"


def test_scale_value_keeps_the_unit() -> None:
    assert parse_duration(scale_value("3.5h", 1.2)) == pytest.approx(3.5 * 60 * 1.2)
    assert parse_per_capita_rate(scale_value("200/1000/year", 1.1)) == pytest.approx(
        parse_per_capita_rate("220/1000/year")
    )
    assert scale_value(150, 1.1) == 165 and scale_value(1, 0.1) == 1  # counts stay >= 1
    assert scale_value(2.0, 0.5) == 1.0
    roster = {"default": 26, "shifts": [{"days": "all", "from": "08:00", "to": "24:00", "servers": 36}]}
    assert scale_value(roster, 0.5) == {"default": 13, "shifts": [{**roster["shifts"][0], "servers": 18}]}
    with pytest.raises(ValueError, match="yes/no"):
        scale_value(True, 2.0)


def test_paths_with_wildcards_on_the_bnssg_scenario() -> None:
    doc = load_scenario_data(PRIOR)
    found = matches(doc, "ed.*.acuity.*.treatment_time.mean")
    assert len(found) == 9 and ("ed", "southmead", "acuity", "major", "treatment_time", "mean") in found
    assert len(matches(doc, "discharge.d2a.*.*.capacity")) == 9


def test_apply_scales_every_match_and_the_result_validates() -> None:
    doc = load_scenario_data(PRIOR)
    p = [
        Parameter("ed", ("ed.*.acuity.*.treatment_time.mean",), 0.5, 1.5),
        Parameter("cap", ("discharge.d2a.*.*.capacity",), 0.5, 1.5),
    ]
    out = apply(doc, p, [1.1, 0.9])
    before = parse_duration(doc["ed"]["bri"]["acuity"]["minor"]["treatment_time"]["mean"])
    after = parse_duration(out["ed"]["bri"]["acuity"]["minor"]["treatment_time"]["mean"])
    assert after == pytest.approx(1.1 * before)
    assert out["discharge"]["d2a"]["bristol"]["P1"]["capacity"] == round(0.9 * 150)
    assert doc["discharge"]["d2a"]["bristol"]["P1"]["capacity"] == 150  # the input is not changed
    validate_scenario(out)


def test_a_path_matching_nothing_is_named() -> None:
    doc = load_scenario_data(PRIOR)
    with pytest.raises(
        ValueError, match=r"parameter los: path 'beds\.nowhere\.length_of_stay' matches nothing"
    ):
        apply(doc, [Parameter("los", ("beds.nowhere.length_of_stay",), 0.5, 1.5)], [1.0])
    with pytest.raises(ValueError, match=r"parameter t: ed\.bri\.trust: 'ra7' is not a duration"):
        apply(doc, [Parameter("t", ("ed.bri.trust",), 0.5, 1.5)], [1.1])


def test_overlay_diff_merged_back_gives_the_changed_document() -> None:
    doc = load_scenario_data(PRIOR)
    changed = apply(
        doc, [Parameter("d", ("demand.*.rate", "beds.*.discharge_process.*.mean"), 0.5, 1.5)], [1.05]
    )
    diff = overlay_diff(doc, changed)
    assert set(diff) == {"demand", "beds"}
    assert set(diff["beds"]["rvj"]) == {"discharge_process"}  # only changed leaves
    assert deep_merge(doc, diff) == changed
    assert overlay_diff(doc, doc) == {}
