"""The one-way random-effects split of replications into parameter and stochastic variance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simcare.analysis.variance import spread_by_source, variance_split


def _balanced(effects: np.ndarray, noise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """values[r] = effects[r mod k] + noise[r // k, r mod k]: replication r in set r mod k."""
    reps, k = noise.shape
    sets = np.tile(np.arange(k), reps)
    return effects[sets] + noise.ravel(), sets


def test_exact_components_of_a_constructed_case() -> None:
    """Set effects with sample variance exactly 4 and within-set deviations with pooled variance
    exactly 1 (each set's deviations are +-1 scaled, mean 0): the formulas give 4 - 1/m and 1 up
    to floating-point rounding (tolerance 1e-12 relative)."""
    k, m = 4, 6
    effects = np.array([-3.0, -1.0, 1.0, 3.0]) * np.sqrt(4.0 / np.var([-3, -1, 1, 3], ddof=1))
    dev = np.array([1.0, -1.0] * (m // 2)) * np.sqrt((m - 1) / m)  # sum of squares m - 1
    noise = np.column_stack([dev] * k)
    values, sets = _balanced(effects, noise)
    split = variance_split(values, sets, k)
    assert split.within == pytest.approx(1.0, rel=1e-12)
    assert split.between == pytest.approx(4.0 - 1.0 / m, rel=1e-12)
    assert split.parameter_share == pytest.approx((4 - 1 / m) / (5 - 1 / m), rel=1e-12)
    assert split.sets == k and split.min_reps == m and split.needed == 0


def test_random_effects_recovered_within_four_standard_errors() -> None:
    """k = 100 sets x m = 10 replications, between variance 4, within variance 9. Tolerances are
    4 standard errors of the estimators under normality: MSW ~ 9 chi2(N-k)/(N-k) has SE
    9 sqrt(2/(N-k)) = 0.42; (MSB - MSW)/m has SE sqrt(2 (m 4 + 9)^2/(k-1) + 2 81/(N-k))/m = 0.70.
    A fixed seed makes the test deterministic; 4 SE makes a false failure unlikely (< 1e-4) for
    any seed."""
    k, m, vb, vw = 100, 10, 4.0, 9.0
    rng = np.random.default_rng(20261202)
    values, sets = _balanced(rng.normal(0, np.sqrt(vb), k), rng.normal(0, np.sqrt(vw), (m, k)))
    split = variance_split(values, sets, k)
    n = k * m
    se_w = vw * np.sqrt(2 / (n - k))
    se_b = np.sqrt(2 * (m * vb + vw) ** 2 / (k - 1) + 2 * vw**2 / (n - k)) / m
    assert abs(split.within - vw) < 4 * se_w
    assert abs(split.between - vb) < 4 * se_b
    assert 0.15 < split.parameter_share < 0.45  # true 4 / 13 = 0.31


def test_no_parameter_effect() -> None:
    """Sets that change nothing: with identical values per set the set means are equal, so the
    between component is floored at exactly 0; with independent noise it is within 4 SE of 0."""
    k, m = 8, 5
    noise = np.random.default_rng(7).normal(0, 2.0, m)
    values, sets = _balanced(np.zeros(k), np.column_stack([noise] * k))
    exact = variance_split(values, sets, k)
    assert exact.between == 0.0 and exact.parameter_share == 0.0
    assert exact.within == pytest.approx(np.var(noise, ddof=1), rel=1e-12)

    k, m, vw = 50, 10, 4.0
    values, sets = _balanced(np.zeros(k), np.random.default_rng(8).normal(0, 2.0, (m, k)))
    split = variance_split(values, sets, k)
    se_b = np.sqrt(2 * vw**2 / (k - 1) + 2 * vw**2 / (k * m - k)) / m
    assert 0.0 <= split.between < 4 * se_b
    assert split.parameter_share < 0.2


def test_too_few_replications_say_how_many_are_needed() -> None:
    values = np.arange(12.0)
    split = variance_split(values, values.astype(int) % 8, 8)  # sets 0-3 twice, 4-7 once
    assert split.needed == 16 and np.isnan(split.parameter_share)
    assert variance_split(values[:4], np.arange(4) % 8, 8).needed == 16  # sets 4-7 never ran
    assert variance_split(values, values.astype(int) % 6, 6).needed == 0
    with pytest.raises(ValueError, match="same 1-d shape"):
        variance_split(values, np.arange(3))


def test_spread_by_source_uses_replication_mod_n() -> None:
    """Replication r of a drawing scenario is in set r mod n; a scenario that did not draw
    (n = 0) gets no rows."""
    effects = {0: 0.0, 1: 10.0}
    rows = [
        {
            "scenario": s,
            "replication": r,
            "kpi": "nctr",
            "group": "ICB",
            "period": "run",
            "unit": "patients",
            "value": effects[r % 2] + (r // 2) * 0.5,
        }
        for s in ("drew", "plain")
        for r in range(6)
    ]
    split = spread_by_source(pd.DataFrame(rows), {"drew": 2, "plain": 0}, [("nctr", "ICB")])
    assert list(split["scenario"]) == ["drew"]
    r = split.iloc[0]
    assert r["sets"] == 2 and r["replications"] == 6 and r["needed"] == 0
    assert r["within"] == pytest.approx(0.25)  # 0, 0.5, 1.0 in each set
    assert r["between"] == pytest.approx(50.0 - 0.25 / 3)  # var(0, 10) - within / 3
