"""The calibration specification: the shipped BNSSG file loads; mistakes name the file and field."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from simcare.calibration.spec import SpecError, Target, load_spec
from simcare.cli import build_parser

SPEC = Path(__file__).resolve().parents[2] / "calibration" / "bnssg.yaml"


def test_the_bnssg_spec_loads() -> None:
    spec = load_spec(SPEC)
    assert (spec.fit_from, spec.fit_until, spec.check_until) == ("2022-04", "2024-11", None)
    assert spec.scenario.is_file() and spec.data.is_dir()
    assert spec.overlay.name == "bnssg_fitted.yaml"
    assert {p.name for p in spec.parameters} >= {
        "ed_treatment",
        "bed_request",
        "discharge_process_p0",
        "discharge_process_supported",
        "d2a_capacity",
        "los_trend_rvj",
    }
    assert all(0 < p.low < 1 <= p.high for p in spec.parameters)  # 1: the uncalibrated value
    checked = load_spec(SPEC, fit_until="2024-05", check_until="2024-11")
    assert checked.overlay.name == "bnssg_fitted_check_2024-05.yaml"
    assert checked.last_month == "2024-11"
    shorter = load_spec(SPEC, fit_from="2023-06", fit_until="2024-05", check_until="2024-11")
    assert shorter.fit_from == "2023-06"
    assert shorter.sample.name == "bnssg_fitted_sample_2023-06_check_2024-05.csv"


def _write(tmp_path: Path, **changes: object) -> Path:
    raw = yaml.safe_load(SPEC.read_text())
    raw["scenario"] = str(SPEC.parent / raw["scenario"])
    raw.update(changes)
    f = tmp_path / "spec.yaml"
    f.write_text(yaml.safe_dump(raw))
    return f


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"fit": {"from": "2022-04", "until": "2024-13"}}, "fit.until", "not a month"),
        ({"fit": {"from": "2023-04", "until": "2022-11"}}, "fit.until", "before fit.from"),
        ({"check_until": "2024-01"}, "check_until", "must be after"),
        (
            {"parameters": {"x": {"paths": ["ed.*.cubicles"], "range": [1.2, 0.8]}}},
            "parameters.x.range",
            "low < high",
        ),
        (
            {
                "targets": [
                    {
                        "measure": "nctr",
                        "org": "RVJ",
                        "model": {"kpi": "nctr", "groups": ["rvj"]},
                        "discrepancy": "ten",
                    }
                ]
            },
            "targets[0].discrepancy",
            "neither a percentage",
        ),
        ({"tagrets": []}, "tagrets", "unknown section"),
        ({"rolling": {"origins": ["2023-11", "2023-08"], "horizon": 6}}, "rolling.origins", "ascending"),
        ({"rolling": {"origins": ["2023-13"], "horizon": 6}}, "rolling.origins[0]", "not a month"),
        ({"rolling": {"origins": ["2023-08"], "horizon": 13}}, "rolling.horizon", "1 to 12"),
        ({"rolling": {"origins": ["2023-08"], "horizon": 6, "when": 1}}, "rolling.when", "unknown key"),
        (
            {"rolling": {"origins": ["2023-08"], "horizon": 6, "method": {"design_pts": 3}}},
            "rolling.method.design_pts",
            "unknown setting",
        ),
        (
            {"rolling": {"origins": ["2023-08"], "horizon": 6, "method": {"max_waves": 1.5}}},
            "rolling.method.max_waves",
            "whole number",
        ),
        ({"limits": [{"measure": "nctr", "org": "XYZ", "mae": "8%"}]}, "limits[0]", "no target"),
        ({"limits": [{"measure": "nctr", "org": "RVJ", "mae": 8}]}, "limits[0].mae", "is a count"),
        ({"limits": [{"measure": "ga_occupancy", "org": "RVJ", "mae": "2%"}]}, "limits[0].mae", "percentage"),
        ({"limits": [{"measure": "nctr", "org": "RVJ", "mae": "8%", "x": 1}]}, "limits[0].x", "unknown key"),
        (
            {
                "limits": [
                    {"measure": "nctr", "org": "RVJ", "mae": "8%"},
                    {"measure": "nctr", "org": "RVJ", "mae": "9%"},
                ]
            },
            "limits[1]",
            "a second limit",
        ),
    ],
)
def test_mistakes_name_the_field(tmp_path: Path, changes: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(SpecError) as err:
        load_spec(_write(tmp_path, **changes))
    assert err.value.field == field and words in str(err.value) and str(tmp_path) in str(err.value)


def test_target_model_values_sum_groups_pick_the_first_kpi_and_convert() -> None:
    frame = pd.DataFrame(
        {
            "kpi": ["emergency_admissions"] * 4 + ["dta_over_4h"] * 2,
            "group": ["rvj", "ra7", "rvj", "ra7", "ICB", "ICB"],
            "period": ["2024-02", "2024-02", "2024-03", "2024-03", "2024-02", "2024-03"],
            "value": [290.0, 290.0, 310.0, 0.0, 58.0, 31.0],
        }
    )
    t = Target(
        "discharges_per_day", "RVJ", ("discharges", "emergency_admissions"), ("rvj",), 0.1, True, per_day=True
    )
    assert t.kpi_in(frame) == "emergency_admissions"
    assert t.model_values(frame, ["2024-02", "2024-03", "2024-04"]).tolist()[:2] == [
        10.0,
        10.0,
    ]  # 29 and 31 days
    share = Target(
        "dta_over_4h",
        "E54000039",
        ("dta_over_4h",),
        ("ICB",),
        5,
        False,
        divide_by=("emergency_admissions", ("rvj", "ra7")),
    )
    assert share.model_values(frame, ["2024-02", "2024-03"]).tolist() == [10.0, 10.0]
    assert Target("x", "y", ("missing",), ("ICB",), 1, False).kpi_in(frame) is None


def test_the_bnssg_spec_has_limits_and_a_rolling_check() -> None:
    spec = load_spec(SPEC)
    assert spec.rolling is not None and spec.rolling.origins == ("2023-08", "2023-11", "2024-02", "2024-05")
    assert spec.rolling.horizon == 6
    by_name = {t.name: t for t in spec.targets}
    # percentages in points, counts in % of the published value
    assert (
        spec.limit_of(by_name["ae_within_4h E54000039"]) == 3.0 and by_name["ae_within_4h E54000039"].is_share
    )
    assert spec.limit_of(by_name["nctr E54000039"]) == 8.0 and not by_name["nctr E54000039"].is_share
    assert by_name["dta_over_4h E54000039"].is_share
    assert spec.limit_of(by_name["ae_attendances RVJ"]) is None


def test_calibrate_rolling_flags() -> None:
    args = build_parser().parse_args(["calibrate", "x.yaml", "--rolling", "--out-dir", "/tmp/o"])
    assert args.rolling and not args.rolling_only and args.out_dir == "/tmp/o"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["calibrate", "x.yaml", "--rolling", "--rolling-only"])


def test_calibrate_is_a_subcommand() -> None:
    argv = "calibrate calibration/bnssg.yaml --fit-from 2022-04 --fit-until 2024-05 --check-until 2024-11"
    args = build_parser().parse_args([*argv.split(), "--workers", "2"])
    assert (args.spec, args.fit_from, args.fit_until, args.check_until, args.workers) == (
        "calibration/bnssg.yaml",
        "2022-04",
        "2024-05",
        "2024-11",
        2,
    )


@pytest.mark.parametrize("bad", [6, "18", 12.5, True])
def test_growth_months_must_be_a_whole_number_of_at_least_12(tmp_path: Path, bad: object) -> None:
    raw = yaml.safe_load(SPEC.read_text())
    path = _write(tmp_path, direct={**raw["direct"], "growth_months": bad})
    with pytest.raises(SpecError, match=r"direct\.growth_months"):
        load_spec(path)
