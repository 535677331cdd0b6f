"""Paired differences under common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simcare.analysis.compare import paired_differences, verdict
from simcare.errors import SimcareError


def tidy(scenario: str, values: list[float], kpi: str = "ae_within_4h", seed: int = 2025) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scenario": scenario,
            "replication": range(len(values)),
            "kpi": kpi,
            "group": "ICB",
            "period": "run",
            "value": values,
            "unit": "%",
            "seed": seed,
        }
    )


def test_identical_scenario_gives_exactly_zero() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(4201))
    x = list(rng.normal(70, 4, 8))
    d = paired_differences(pd.concat([tidy("base", x), tidy("same", x)]), "base").iloc[0]
    assert d["difference"] == 0.0 and d["half_width"] == 0.0 and d["low"] == 0.0 and d["high"] == 0.0
    assert verdict(d["difference"], d["low"], d["high"], True) == "no difference"


def test_known_difference_and_paired_t_interval() -> None:
    """other_r = base_r + 3 + e_r: the difference is 3 + mean(e), its interval the paired t
    interval of the e_r (scipy.stats.t.interval on the differences), and the base's own noise
    (sd 10) does not widen it."""
    rng = np.random.default_rng(np.random.SeedSequence(4202))
    base = rng.normal(70, 10, 10)
    e = rng.normal(0, 0.5, 10)
    d = paired_differences(
        pd.concat([tidy("base", list(base)), tidy("other", list(base + 3 + e))]), "base"
    ).iloc[0]
    diffs = (base + 3 + e) - base
    low, high = stats.t.interval(0.95, 9, loc=diffs.mean(), scale=stats.sem(diffs))
    assert d["difference"] == pytest.approx(diffs.mean(), rel=1e-12)
    assert d["low"] == pytest.approx(low, rel=1e-12) and d["high"] == pytest.approx(high, rel=1e-12)
    assert d["low"] <= 3.0 <= d["high"]
    assert d["half_width"] < 1.0  # paired: far narrower than the base's spread of 10
    assert d["relative"] == pytest.approx(100 * diffs.mean() / abs(base.mean()))
    assert verdict(d["difference"], d["low"], d["high"], True) == "better"
    assert verdict(d["difference"], d["low"], d["high"], False) == "worse"


def test_pairs_need_common_random_numbers_and_the_same_replications() -> None:
    with pytest.raises(SimcareError, match="different master seeds"):
        paired_differences(pd.concat([tidy("base", [1.0, 2.0]), tidy("o", [1.0, 2.0], seed=7)]), "base")
    with pytest.raises(SimcareError, match="same replications"):
        paired_differences(pd.concat([tidy("base", [1.0, 2.0]), tidy("o", [1.0, 2.0, 3.0])]), "base")
    with pytest.raises(SimcareError, match="not in the KPI table"):
        paired_differences(tidy("base", [1.0]), "nope")
    with pytest.raises(SimcareError, match="nothing to compare"):
        paired_differences(tidy("base", [1.0, 2.0]), "base")


def test_verdict_words() -> None:
    assert verdict(1.0, -0.5, 2.5, True) == "no clear difference"
    assert verdict(-1.0, -2.0, -0.1, None) == "lower"
    assert verdict(1.0, float("nan"), float("nan"), True) == "no clear difference"


def test_parameter_columns_and_row_descriptors_are_kept() -> None:
    base, more = tidy("base", [1.0, 2.0]), tidy("more", [2.0, 4.0])
    base["beds_pct"], more["beds_pct"] = 0.0, 10.0
    for t in (base, more):
        t["label"], t["level"], t["name"], t["period_kind"] = "A&E within 4 h", "ICB", "ICB", "run"
    d = paired_differences(pd.concat([base, more]), "base")
    assert list(d.columns[:2]) == ["scenario", "beds_pct"] and d["beds_pct"].tolist() == [10.0]
    assert d[["level", "period_kind", "confidence"]].iloc[0].tolist() == ["ICB", "run", 0.95]
    more["beds_pct"] = [10.0, 20.0]
    with pytest.raises(SimcareError, match="beds_pct.*within scenario 'more'"):
        paired_differences(pd.concat([base, more]), "base")
