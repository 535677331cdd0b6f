"""Direct estimates recover what synthetic data were built with (closed-form least squares)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simcare.calibration.direct import (
    bed_roster,
    clip_dated,
    growth_and_seasonality,
    recent_growth,
    without_overrides,
)


def _series(growth: float, factors: np.ndarray, months: pd.DatetimeIndex, noise: np.ndarray) -> pd.DataFrame:
    years = (months - months[0]).days.to_numpy() / 365.25
    per_day = 1000.0 * (1 + growth) ** years * factors[months.month - 1] * np.exp(noise)
    return pd.DataFrame({"month": months, "value": per_day * months.days_in_month.to_numpy()})


def test_noise_free_series_is_recovered_exactly() -> None:
    factors = 1 + 0.08 * np.cos(2 * np.pi * (np.arange(12) - 0) / 12)
    factors /= np.exp(np.log(factors).mean())  # geometric mean 1, as the estimate is normalised
    months = pd.date_range("2022-04-01", "2024-11-01", freq="MS")
    growth, est, sd = growth_and_seasonality(_series(0.05, factors, months, np.zeros(len(months))))
    assert growth == pytest.approx(0.05, rel=1e-9)
    assert sd == pytest.approx(0.0, abs=1e-9)
    keys = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    assert [est[k] for k in keys] == pytest.approx(list(factors), abs=1e-4)


def test_growth_estimate_within_its_confidence_interval() -> None:
    # OLS slope: its 99.9 % interval is +- t(0.9995, dof) * se; the data are built with sd 0.03
    rng = np.random.default_rng(7)
    months = pd.date_range("2022-04-01", "2024-11-01", freq="MS")
    noise = rng.normal(0, 0.03, len(months))
    growth, _, sd = growth_and_seasonality(_series(0.05, np.ones(12), months, noise))
    years = (months - months[0]).days.to_numpy() / 365.25
    X = np.column_stack([years] + [(months.month == m).astype(float) for m in range(1, 13)])
    se = sd * np.sqrt(np.linalg.inv(X.T @ X)[0, 0])
    from scipy import stats

    half = stats.t.ppf(0.9995, len(months) - X.shape[1]) * se
    assert abs(np.log1p(growth) - np.log1p(0.05)) <= half


def test_a_gap_is_left_out_not_read_as_zero() -> None:
    months = pd.date_range("2022-04-01", "2024-11-01", freq="MS")
    s = _series(0.05, np.ones(12), months, np.zeros(len(months)))
    s.loc[5, "value"] = np.nan
    assert growth_and_seasonality(s)[0] == pytest.approx(0.05, rel=1e-9)
    with pytest.raises(ValueError, match="at least 13"):
        growth_and_seasonality(s.head(12))


def test_bed_roster_and_clipping() -> None:
    months = pd.date_range("2024-01-01", "2024-08-01", freq="MS")
    s = pd.DataFrame({"month": months, "value": [900, 910, 920, 930, 940, 950, 960, np.nan]})
    r = bed_roster(s)
    assert r["default"] == 935  # mean of the last six observed months (910 ... 960)
    assert r["overrides"][1] == {"from": "2024-02-01", "to": "2024-02-29", "servers": 910}
    assert len(r["overrides"]) == 7
    doc = {"calendar": {"bank_holidays": ["2023-12-25", "2024-05-06"]}, "beds": {"rvj": {"beds": r}}}
    clipped = clip_dated(doc, "2024-03-01", "2024-12-31")
    assert clipped["calendar"]["bank_holidays"] == ["2024-05-06"]
    assert [o["from"] for o in clipped["beds"]["rvj"]["beds"]["overrides"]][0] == "2024-03-01"
    assert without_overrides({"beds": {"rvj": {"beds": r}}}) == {"beds": {"rvj": {"beds": 935}}}


def test_recent_growth_follows_the_last_months_not_the_whole_window() -> None:
    """A series that grew 15 % a year for 14 months, then 4 % a year (noise free, seasonal): the
    whole window's trend is in between; the last 18 months (all after the change) give 4 %
    exactly once the month factors are removed; a window spanning the change gives more."""
    factors = 1 + 0.08 * np.cos(2 * np.pi * np.arange(12) / 12)
    factors /= np.exp(np.log(factors).mean())
    months = pd.date_range("2022-04-01", "2024-11-01", freq="MS")
    years = (months - months[0]).days.to_numpy() / 365.25
    knot = years[14]
    log_level = np.where(
        years <= knot, np.log(1.15) * years, np.log(1.15) * knot + np.log(1.04) * (years - knot)
    )
    per_day = 1000.0 * np.exp(log_level) * factors[months.month - 1]
    series = pd.DataFrame({"month": months, "value": per_day * months.days_in_month.to_numpy()})
    keys = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    exact = dict(zip(keys, factors, strict=True))
    assert recent_growth(series, exact, 18) == pytest.approx(0.04, rel=1e-9)
    assert 0.04 < recent_growth(series, exact, 30) < 0.15
    whole, _, _ = growth_and_seasonality(series)
    assert 0.04 < whole < 0.15
    with pytest.raises(ValueError, match="at least 12"):
        recent_growth(series, exact, 6)
