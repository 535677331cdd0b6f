"""The all-England summary (`simcare national`): numbers from a hand-made table, then a small
store of two ICBs run through `simcare batch` and `simcare national`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simcare.cli import main
from simcare.errors import SimcareError
from simcare.icb.lookup import find_icb
from simcare.icb.summary import national_summary, published_reference

PLAN = """name: two_icbs
seed: 2025
replications: 3
scenarios:
  - icbs/somerset/baseline_winter.yaml
  - icbs/somerset/combined.yaml
  - icbs/gloucestershire/baseline_winter.yaml
  - icbs/gloucestershire/combined.yaml
grid:
  run.start: [2026-01-01]
  run.warm_up: [4w]
"""


def _table(values: dict[str, list[float]]) -> pd.DataFrame:
    rows = [
        {
            "scenario": s,
            "replication": r,
            "seed": 1,
            "kpi": "ae_within_4h",
            "group": "ICB",
            "period": "run",
            "unit": "%",
            "value": v,
        }
        for s, vs in values.items()
        for r, v in enumerate(vs)
    ]
    rows.append({**rows[0], "group": "somewhere_else"})  # not the ICB row: ignored
    return pd.DataFrame(rows)


def test_baseline_interval_and_paired_difference_by_hand() -> None:
    base, comb = [70.0, 72.0, 74.0], [71.0, 74.5, 75.5]
    summary = national_summary(_table({"somerset_uncalibrated_winter": base, "somerset_combined": comb}))
    b = summary[(summary["what"] == "baseline")].iloc[0]
    t = stats.t.ppf(0.975, 2)
    assert b["mean"] == pytest.approx(72.0) and b["high"] - b["mean"] == pytest.approx(t * 2.0 / np.sqrt(3))
    assert b["published"] == pytest.approx(published_reference(find_icb("somerset"))["ae_within_4h"])
    d = summary[(summary["what"] == "combined")].iloc[0]
    diffs = np.subtract(comb, base)
    assert d["mean"] == pytest.approx(diffs.mean())
    assert d["high"] - d["mean"] == pytest.approx(t * diffs.std(ddof=1) / np.sqrt(3))
    assert set(summary["icb"]) == {"Somerset"} and len(summary) == 2


def test_published_reference_is_the_icb_figure_of_april_to_november_2024() -> None:
    ref = published_reference(find_icb("E54000039"))
    # BNSSG: about 73 % within 4 h and ~605 NCTR a day in those months (calibration/data/SOURCES.md)
    assert ref["ae_within_4h"] == pytest.approx(73, abs=1.5) and ref["nctr"] == pytest.approx(605, abs=5)
    assert 85 < ref["ga_occupancy"] < 100


def test_a_table_without_icb_baselines_is_refused() -> None:
    with pytest.raises(SimcareError, match="no ICB baseline in the store"):
        national_summary(_table({"bnssg_baseline_winter": [1.0, 2.0]}))


def test_batch_then_national_writes_table_charts_and_a_safe_page(tmp_path: Path) -> None:
    assert main(["new-icb", "--all", "--out", str(tmp_path / "icbs")]) == 0
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    assert main(["batch", str(plan), "--out", str(tmp_path / "store"), "--no-progress"]) == 0
    assert main(["national", str(tmp_path / "store"), "--out", str(tmp_path / "out")]) == 0
    summary = pd.read_csv(tmp_path / "out" / "national_summary.csv.gz")
    assert set(summary["icb"]) == {"Somerset", "Gloucestershire"}
    assert set(summary["what"]) == {"baseline", "combined"}
    assert summary.loc[summary["measure"] == "ae_within_4h", "published"].notna().sum() == 2
    html = (tmp_path / "out" / "national.html").read_text(encoding="utf-8")
    assert 'http-equiv="Content-Security-Policy"' in html and "<script" not in html
    assert html.count("data:image/png;base64,") == len(list((tmp_path / "out").glob("national_*.png")))
