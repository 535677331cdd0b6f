"""The uncalibrated BNSSG model lands in the right region of the published figures.

``scenarios/bnssg/validation_2024_uncalibrated.yaml`` is the model built from published
parameters alone (``uncalibrated_winter.yaml``, before any fitting) run over April-November 2024
(only the window and the dated events differ). Two replications (master seed 2025) are averaged
and compared with the published figures in calibration/data (issue 3):

- ICB A&E attendances (type 1 + UTC/MIU), every month within 10 % of the published count;
- ICB % within 4 hours, every month but one within 10 percentage points (that one within 13),
  the window's mean within 5;
- G&A bed occupancy per trust (RVJ, RA7), mean over the window within 5 percentage points;
- no-criteria-to-reside stock (ICB), mean over the window within 25 %.

The monthly checks are made month by month; occupancy and NCTR are compared as window means
because a single model month still carries the warm-up's slow build-up of D2A queues. The
calibrated baseline is held to the fit report's own stated errors instead
(tests/calibration/test_calib_fitted_2024.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simcare.calibration.published import targets_apr_nov_2024
from simcare.pipeline import replicate

ROOT = Path(__file__).resolve().parents[2]
REPLICATIONS = 2


@pytest.fixture(scope="module")
def comparison() -> tuple[pd.DataFrame, pd.DataFrame]:
    path = ROOT / "scenarios" / "bnssg" / "validation_2024_uncalibrated.yaml"
    table = pd.concat([replicate(path, r, seed=2025).kpis for r in range(REPLICATIONS)], ignore_index=True)
    model = table.groupby(["kpi", "group", "period"])["value"].mean().reset_index()
    published = targets_apr_nov_2024()
    published["period"] = pd.to_datetime(published["month"]).dt.strftime("%Y-%m")
    return model, published


def _monthly(
    model: pd.DataFrame, published: pd.DataFrame, kpi: str, group: str, measure: str, org: str
) -> pd.DataFrame:
    a = model[(model.kpi == kpi) & (model.group == group) & (model.period != "run")]
    b = published[(published.measure == measure) & (published.org == org)]
    both = pd.DataFrame(
        {"model": a.set_index("period")["value"], "published": b.set_index("period")["value"]}
    ).dropna()
    assert len(both) == 8, f"expected April-November 2024, got {list(both.index)}"
    return both


def test_monthly_icb_attendances_within_10_percent(comparison) -> None:  # type: ignore[no-untyped-def]
    both = _monthly(*comparison, "ae_attendances", "ICB", "ae_attendances", "E54000039")
    ratio = both["model"] / both["published"]
    assert ratio.between(0.90, 1.10).all(), ratio.round(3).to_dict()


def test_monthly_four_hour_performance_within_10_points(comparison) -> None:  # type: ignore[no-untyped-def]
    """Within 10 points every month but the fullest: with exit block (docs/model.md R39) the
    uncalibrated model's month at North Bristol's highest occupancy (November 2024, 98 %
    published) is the most sensitive to its fixed bed pool and falls up to 13 points short; the
    window's mean gap stays within 5 points."""
    both = _monthly(*comparison, "ae_within_4h", "ICB", "ae_within_4h", "E54000039")
    gap = both["model"] - 100 * both["published"]
    assert (gap.abs() > 10).sum() <= 1 and gap.abs().max() <= 13, gap.round(1).to_dict()
    assert abs(gap.mean()) <= 5, gap.round(1).to_dict()


@pytest.mark.parametrize(("group", "org"), [("rvj", "RVJ"), ("ra7", "RA7")])
def test_bed_occupancy_per_trust_within_5_points(comparison, group: str, org: str) -> None:  # type: ignore[no-untyped-def]
    both = _monthly(*comparison, "ga_occupancy", group, "ga_occupancy", org)
    gap = both["model"].mean() - 100 * both["published"].mean()
    assert abs(gap) <= 5, (
        f"{org}: model {both['model'].mean():.1f} % vs published {100 * both['published'].mean():.1f} %"
    )


def test_nctr_stock_within_25_percent(comparison) -> None:  # type: ignore[no-untyped-def]
    both = _monthly(*comparison, "nctr", "ICB", "nctr", "E54000039")
    ratio = both["model"].mean() / both["published"].mean()
    assert 0.75 <= ratio <= 1.25, f"model {both['model'].mean():.0f} vs {both['published'].mean():.0f}"
