"""Minimum important differences: the verdict rule, the overrides, and numbers never "-0.0"."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from report_synthetic import synthetic_table

from simcare.analysis.compare import paired_differences
from simcare.cli import main
from simcare.errors import SimcareError
from simcare.kpi.mid import MIDS, parse_mids
from simcare.kpi.registry import KPIS, REGISTRY
from simcare.report.headline import (
    NO_MATERIAL,
    available_headlines,
    impact_table,
    interval_text,
    material_verdict,
    number,
    signed,
)
from simcare.report.html import build_report


@pytest.mark.parametrize(
    ("x", "digits", "plain", "with_sign"),
    [
        (-0.04, 1, "0.0", "0.0"),
        (-0.0, 1, "0.0", "0.0"),
        (0.04, 1, "0.0", "0.0"),
        (-0.4, 0, "0", "0"),
        (0.06, 1, "0.1", "+0.1"),
        (-0.06, 1, "-0.1", "-0.1"),
        (-1234.4, 0, "-1,234", "-1,234"),
        (1e-17, 2, "0.00", "0.00"),
        (float("nan"), 1, "n/a", "n/a"),
    ],
)
def test_numbers_are_never_minus_zero(x: float, digits: int, plain: str, with_sign: str) -> None:
    assert number(x, digits) == plain
    assert signed(x, digits) == with_sign


def test_interval_text_has_no_minus_zero() -> None:
    assert interval_text(-0.01, -0.04, 0.02, 1) == "0.0 (0.0 to 0.0)"
    assert interval_text(-1.0, -1.5, -0.5, 1) == "-1.0 (-1.5 to -0.5)"


def test_material_verdict_rule() -> None:
    # a clear but small change (the interval excludes 0) is not material
    assert material_verdict(-0.1, -0.12, -0.08, False, 1.0) == NO_MATERIAL
    # an estimate under the MID whose interval reaches past it: the runs cannot rule out a
    # material change, so the plain verdict (the rule the report states, docs/kpis.md)
    assert material_verdict(0.8, -0.5, 2.1, True, 1.0) == "no clear difference"
    assert material_verdict(0.2, -13.4, 13.7, True, 1.0) == "no clear difference"
    assert material_verdict(0.8, 0.3, 1.3, True, 1.0) == "better"
    # an interval inside ±MID with the estimate at the MID
    assert material_verdict(1.0, 0.95, 1.0, True, 1.0) == NO_MATERIAL
    # at least the MID: judged by the interval
    assert material_verdict(2.0, 1.5, 2.5, True, 1.0) == "better"
    assert material_verdict(2.0, 1.5, 2.5, False, 1.0) == "worse"
    assert material_verdict(2.0, -0.5, 4.5, False, 1.0) == "no clear difference"
    # MID 0: every change counts
    assert material_verdict(-0.1, -0.12, -0.08, False, 0.0) == "better"
    assert material_verdict(0.0, 0.0, 0.0, True, 1.0) == "no difference"


def test_every_kpi_has_a_mid_with_a_reason() -> None:
    assert set(MIDS) == set(REGISTRY)
    for k in KPIS:
        assert k.mid is not None and k.mid.reason and k.mid.value > 0, k.name


def test_impact_table_uses_the_mid_and_its_overrides() -> None:
    t = synthetic_table({"bnssg_base": 0.0, "bnssg_up": 2.0})
    d = paired_differences(t, "bnssg_base", 0.95, periods=["run"])
    heads = available_headlines(t)

    def row(mids: dict | None) -> pd.Series:
        imp = impact_table(d, heads, mids)
        return imp[imp["label"] == "G&A bed occupancy"].iloc[0]

    default = row(None)  # +2 points against an MID of 1 point
    assert default["mid"] == 1.0 and default["verdict"] == "worse"
    wide = row(parse_mids(["ga_occupancy=3"], REGISTRY))
    assert wide["mid"] == 3.0 and wide["verdict"] == NO_MATERIAL
    relative = row(parse_mids(["ga_occupancy=10%"], REGISTRY))  # 10 % of about 95 %
    assert relative["mid"] == pytest.approx(0.1 * default["base"]) and relative["verdict"] == NO_MATERIAL
    html = build_report(t, "bnssg_base", mids=parse_mids(["ga_occupancy=3"], REGISTRY)).html
    assert NO_MATERIAL in html
    assert not re.search(r"-0\.0+(?![0-9])", html)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["ga_occupancy"], "write KPI=VALUE"),
        (["ga_ocupancy=2"], "did you mean 'ga_occupancy'"),
        (["ga_occupancy=two"], "must be a number"),
        (["ga_occupancy=-1"], "zero or more"),
        (["ga_occupancy=nan"], "zero or more"),
        (["nctr=150%"], "at most 100%"),
        (["nctr=5%", "nctr=1"], "given twice"),
    ],
)
def test_bad_mid_overrides_are_refused(items: list[str], message: str) -> None:
    with pytest.raises(SimcareError, match=re.escape(message)):
        parse_mids(items, REGISTRY)


def test_compare_refuses_a_bad_mid_before_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", "a.yaml", "b.yaml", "--out", str(tmp_path / "out"), "--mid", "ga_occupancy=x"])
    assert code == 2
    assert "--mid 'ga_occupancy=x'" in capsys.readouterr().err
