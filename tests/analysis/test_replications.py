"""Confidence intervals across replications and the precision advisor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simcare.analysis.replications import (
    precision_advice,
    replication_intervals,
    replications_for_precision,
)
from simcare.errors import SimcareError


def tidy(values: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    rows = [
        {"scenario": s, "replication": r, "kpi": k, "group": "ICB", "period": "run", "value": v, "unit": "%"}
        for (s, k), vs in values.items()
        for r, v in enumerate(vs)
    ]
    return pd.DataFrame(rows)


def test_half_widths_match_scipy_t_interval() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(4101))
    a, b = rng.normal(70, 3, 7), rng.normal(95, 0.5, 12)
    ci = replication_intervals(
        tidy({("base", "ae_within_4h"): list(a), ("base", "ga_occupancy"): list(b)}), level=0.95
    ).set_index("kpi")
    for kpi, x in (("ae_within_4h", a), ("ga_occupancy", b)):
        low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        assert ci.loc[kpi, "n"] == len(x)
        assert ci.loc[kpi, "low"] == pytest.approx(low, rel=1e-12)
        assert ci.loc[kpi, "high"] == pytest.approx(high, rel=1e-12)


def test_one_replication_has_no_interval() -> None:
    ci = replication_intervals(tidy({("base", "nctr"): [600.0]}))
    assert ci["n"].iloc[0] == 1 and np.isnan(ci["half_width"].iloc[0])


def test_replications_for_precision_is_the_smallest_n() -> None:
    """n is the first integer with t_{0.975, n-1} * sd / sqrt(n) <= target (checked against scipy)."""
    sd, target = 4.0, 1.0
    n = replications_for_precision(sd, target, 0.95)
    assert n is not None

    def hw(k: int) -> float:
        return float(stats.t.ppf(0.975, k - 1) * sd / np.sqrt(k))

    assert hw(n) <= target < hw(n - 1)
    assert replications_for_precision(0.0, 1.0) == 2
    assert replications_for_precision(1e6, 1e-3, max_replications=100) is None


def test_precision_advice_relative_and_absolute() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(4102))
    x = list(rng.normal(80, 5, 5))
    adv = precision_advice(tidy({("base", "ae_within_4h"): x}), ["ae_within_4h"], absolute=1.0)
    row = adv.iloc[0]
    assert row["target"] == 1.0
    assert row["needed"] == replications_for_precision(float(np.std(x, ddof=1)), 1.0)
    assert not row["enough"]
    t = tidy({("base", "ae_within_4h"): x})
    strict = precision_advice(t, ["ae_within_4h"], relative=0.5, absolute=1.0)
    assert strict["target"].iloc[0] == 1.0  # the smaller of 50 % of 80 and 1 point
    loose = precision_advice(tidy({("base", "ae_within_4h"): x}), ["ae_within_4h"], relative=0.5)
    assert loose["target"].iloc[0] == pytest.approx(0.5 * np.mean(x))
    assert bool(loose["enough"].iloc[0])


def test_precision_advice_errors_are_clear() -> None:
    t = tidy({("base", "nctr"): [1.0, 2.0]})
    with pytest.raises(SimcareError, match="relative or an absolute"):
        precision_advice(t, ["nctr"])
    with pytest.raises(SimcareError, match="no 'run' values of ae_within_4h"):
        precision_advice(t, ["ae_within_4h"], absolute=1.0)
    with pytest.raises(SimcareError, match="at least 2 replications"):
        precision_advice(tidy({("base", "nctr"): [1.0]}), ["nctr"], absolute=1.0)
    with pytest.raises(SimcareError, match="positive"):
        precision_advice(t, ["nctr"], absolute=-1.0)
    with pytest.raises(SimcareError, match="no column 'value'"):
        replication_intervals(t.drop(columns="value"))
