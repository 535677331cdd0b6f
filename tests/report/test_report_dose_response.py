"""``simcare compare --store`` on a grid over one lever writes the dose-response table and draws
it in the report (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simcare.cli import main
from simcare.report.dose_response import lever_words

GRID = Path(__file__).parents[1] / "batch" / "data" / "plan_grid.yaml"
LEVER = "calendar.growth_pct"


def test_lever_words() -> None:
    assert lever_words("levers.discharge_capacity.increase_pct") == "discharge capacity increase (%)"
    assert lever_words(LEVER) == "calendar growth (%)"
    assert lever_words("run.warm_up_min") == "run warm up (minutes)"
    assert lever_words("calendar.growth") == "calendar growth"


def test_compare_store_over_a_grid_gives_the_dose_response(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, out = tmp_path / "store", tmp_path / "cmp"
    assert main(["batch", str(GRID), "--out", str(store)]) == 0
    labels = pd.read_parquet(next((store / "kpis").glob("p00000-*.parquet")))["scenario"].unique()
    base = str(labels[0])  # the variant at 0%
    assert main(["compare", "--store", str(store), base, "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert f"dose-response against {LEVER}" in text
    dr = pd.read_csv(out / "dose_response.csv")
    run = dr[(dr["kpi"] == "ae_attendances") & (dr["group"] == "ICB") & (dr["period"] == "run")]
    assert run["lever_value"].tolist() == [0.0, 5.0, 10.0, 20.0]  # numeric order, 5 before 20
    assert run["difference"].iloc[0] == 0.0 and (run["n"] == 3).all()
    steps = run.iloc[1:]
    assert steps[["low", "high"]].notna().all().all() and (steps["low"] <= steps["high"]).all()
    assert (steps["high"] > steps["low"]).all()  # real intervals, not points
    assert (run["difference"].diff().iloc[1:] > 0).all()  # more demand, more attendances, every step
    comparison = pd.read_csv(out / "comparison.csv")
    assert LEVER in comparison.columns
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="fig-dose-response"' in report and "Impact against calendar growth (%)" in report
