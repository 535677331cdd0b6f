"""MSER-5 warm-up detection on series with a known initial transient."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simcare.analysis.warmup import mser, warmup_table
from simcare.errors import SimcareError


def test_deterministic_transient_is_cut_exactly() -> None:
    """A linear ramp over the first 37 days, then a constant: every batch touching the ramp
    raises MSER above 0, every later truncation gives MSER = 0, so MSER-5 cuts 40 days (the
    ramp rounded up to whole batches of 5)."""
    x = np.concatenate([np.linspace(0, 100, 37, endpoint=False), np.full(163, 100.0)])
    m = mser(x)
    assert m.truncation == 40
    assert m.statistic[8] == 0.0 and (m.statistic[:8] > 0).all()
    assert not m.at_limit


def test_noisy_step_transient() -> None:
    """30 days 20 standard deviations above the steady level (0), then 270 days of N(0, 1)
    noise. Cutting less than 30 days leaves a batch whose mean is ~20 sd off (MSER grows by
    ~400/k^2, far more than noise can offset), so MSER-5 never cuts less than the transient; it may
    cut more (it over-truncates by chance), which costs data but not bias: the mean after the cut
    lies in the 99.9 % interval 0 +- t_{0.9995, m-1} / sqrt(m) of the steady level (m days kept),
    while the uncut mean (about 2) is far outside it. 20 seeded series."""
    for i in range(20):
        rng = np.random.default_rng(np.random.SeedSequence([4103, i]))
        x = np.concatenate([20 + rng.normal(size=30), rng.normal(size=270)])
        m = mser(x)
        kept = x[m.truncation :]
        bound = stats.t.ppf(0.9995, kept.size - 1) / np.sqrt(kept.size)
        assert m.truncation >= 30, (i, m.truncation)
        assert abs(kept.mean()) <= bound, (i, m.truncation)
        assert abs(x.mean()) > 5 * bound


def test_stationary_series_needs_little_warm_up_and_a_trend_hits_the_limit() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(4104))
    flat = mser(rng.normal(size=400))
    assert not flat.at_limit and flat.truncation < 200
    trend = mser(np.arange(100.0))
    assert trend.at_limit  # a series that never settles: the cut runs to half the series


def test_mser_needs_enough_finite_observations() -> None:
    with pytest.raises(SimcareError, match="at least 20"):
        mser(np.ones(19))
    with pytest.raises(SimcareError, match="missing values"):
        mser(np.array([1.0, np.nan] * 20))


def test_warmup_table_judges_the_configured_warm_up() -> None:
    """Mean over replications of each scenario's series: a 30-day ramp is covered by a 40-day
    warm-up, not by a 10-day one; a series rising to the end hits the search limit."""
    days = np.arange(200)
    ramp = np.minimum(days, 30) * 10.0
    rows = []
    for scenario in ("long", "short"):
        for r in range(2):
            rows.append(
                pd.DataFrame(
                    {
                        "scenario": scenario,
                        "replication": r,
                        "series": "nctr",
                        "day": days,
                        "date": [f"d{d}" for d in days],
                        "value": ramp + r,
                    }
                )
            )
    rows.append(
        pd.DataFrame(
            {
                "scenario": "trend",
                "replication": 0,
                "series": "nctr",
                "day": days,
                "date": [f"d{d}" for d in days],
                "value": days * 1.0,
            }
        )
    )
    t = warmup_table(pd.concat(rows), {"long": 40, "short": 10, "trend": 40}).set_index("scenario")
    assert t.loc["long", "mser5_days"] == 30 and bool(t.loc["long", "enough"])
    assert t.loc["short", "mser5_days"] == 30 and not t.loc["short", "enough"]
    assert t.loc["short", "mser5_date"] == "d30"
    assert bool(t.loc["trend", "at_limit"]) and not t.loc["trend", "enough"]
    assert t.loc["long", "label"] == "patients with no criteria to reside (ICB)"
