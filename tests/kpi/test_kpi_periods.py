"""Reporting periods: which day and month a time falls in, and the grouped aggregations."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simcare.errors import ModelError
from simcare.kpi.neighbours import neighbours
from simcare.kpi.periods import Block, Calendar, Level, _bin_sums, sorted_group_quantile, stable_argsort
from simcare.scenario.timeline import Timeline

# warm-up 30 Jan; reported 31 Jan (minutes 1440-2880) and 1 Feb (2880-4320)
TL = Timeline(dt.date(2025, 1, 30), dt.date(2025, 1, 31), dt.date(2025, 2, 1))


def test_labels_and_month_of_each_day() -> None:
    cal = Calendar(TL)
    assert list(cal.day_labels) == ["2025-01-31", "2025-02-01"]
    assert list(cal.month_labels) == ["2025-01", "2025-02"]
    assert list(cal.month_of_day) == [0, 1]


def test_times_in_the_warm_up_after_the_end_or_missing_have_no_day() -> None:
    cal = Calendar(TL)
    minutes = np.array([0.0, 1439.99, 1440.0, 2879.99, 2880.0, 4319.99, 4320.0, np.nan])
    assert list(cal.day_of(minutes)) == [-1, -1, 0, 0, 1, 1, -1, -1]


def test_unknown_period_kind_is_refused() -> None:
    with pytest.raises(ModelError, match="periods: expected some of run, month, day; got .*'week'"):
        Calendar(TL, periods=("run", "week"))


def test_ratio_rows_per_day_month_and_run_and_none_for_an_empty_denominator() -> None:
    cal = Calendar(TL)
    level = Level(("x", "y"), np.array([0, 0, 1]))
    minutes = np.array([1500.0, 3000.0, 3000.0])
    num = cal.day_sums(level, minutes, np.array([1.0, 0.0, 1.0]))
    den = cal.day_sums(level, minutes)
    blocks = cal.ratio_blocks("k", "%", level, num, den, 100.0)
    rows = {(g, p): v for b in blocks for g, p, v in zip(b.groups, b.periods, b.values, strict=True)}
    assert rows == {
        ("x", "2025-01-31"): 100.0,
        ("x", "2025-02-01"): 0.0,
        ("y", "2025-02-01"): 100.0,
        ("x", "2025-01"): 100.0,
        ("x", "2025-02"): 0.0,
        ("y", "2025-02"): 100.0,
        ("x", "run"): 50.0,
        ("y", "run"): 100.0,
    }


def test_hourly_series_are_cut_at_the_reported_start() -> None:
    cal = Calendar(TL)
    series = np.arange(72.0)[None, :]  # hour h has value h
    assert cal.hour_sums(series).tolist() == [[sum(range(24, 48)), sum(range(48, 72))]]


def test_daily_summaries() -> None:
    cal = Calendar(TL)
    level = Level(("x",), np.zeros(0, dtype=np.int64))
    daily = np.array([[93.0, np.nan]])
    peak = cal.summary_blocks("k", "%", level, daily, "max")
    assert _by_period(peak) == {"2025-01": 93.0, "run": 93.0}  # February has no value: no row
    over = cal.summary_blocks("k", "days", level, daily, "days_over", 92.0)
    assert _by_period(over) == {"2025-01": 1, "2025-02": 0, "run": 1}


def _by_period(blocks: list[Block]) -> dict[str, float]:
    return {p: v for b in blocks for p, v in zip(b.periods, b.values, strict=True)}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-1, 4), st.floats(-1e3, 1e3)), min_size=1, max_size=60),
    st.sampled_from([0.0, 0.25, 0.5, 0.9, 0.95, 1.0]),
)
def test_grouped_quantile_equals_numpy_quantile_per_group(pairs: list[tuple[int, float]], q: float) -> None:
    keys = np.array([k for k, _ in pairs])
    values = np.array([v for _, v in pairs])
    order = np.argsort(values, kind="stable")
    got = sorted_group_quantile(keys[order], values[order], q, 5)
    for k in range(5):
        mine = values[keys == k]
        if mine.size:
            assert got[k] == pytest.approx(np.quantile(mine, q), rel=1e-12, abs=1e-9)
        else:
            assert np.isnan(got[k])


def _quantile_by_sorting_keys(keys: np.ndarray, values: np.ndarray, q: float, n_keys: int) -> np.ndarray:
    """The sort-based grouped quantile that sorted_group_quantile replaced (issue 15), kept as
    the reference its results must equal bit for bit."""
    order = np.argsort(keys.astype(np.int32), kind="stable")
    k, v = keys[order], values[order]
    bounds = np.searchsorted(k, np.arange(n_keys + 1), side="left")
    start, stop = bounds[:-1], bounds[1:]
    n = stop - start
    out = np.full(n_keys, np.nan)
    has = n > 0
    pos = start[has] + q * (n[has] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, stop[has] - 1)
    out[has] = v[lo] + (v[hi] - v[lo]) * (pos - lo)
    return out


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-1, 6), st.sampled_from([0.1, 1.0 / 3.0, 2.0, 7.25]) | st.floats(-1e6, 1e6)),
        max_size=80,
    ),
    st.sampled_from([0.0, 0.1, 0.5, 0.9, 0.95, 1.0, 1.0 / 3.0]),
)
def test_grouped_quantile_equals_the_sort_based_version_to_the_last_bit(
    pairs: list[tuple[int, float]], q: float
) -> None:
    keys = np.array([k for k, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=np.float64)
    order = np.argsort(values, kind="stable")
    got = sorted_group_quantile(keys[order], values[order], q, 7)
    assert got.tobytes() == _quantile_by_sorting_keys(keys[order], values[order], q, 7).tobytes()


_SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 5e-324, -5e-324, 1.0, -1.0, 1e308]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(_SPECIAL), st.floats(allow_nan=True, allow_infinity=True)),
        max_size=60,
    )
)
def test_radix_argsort_is_numpys_stable_argsort(values: list[float]) -> None:
    # ties (-0.0 with 0.0, every NaN with every NaN, last) in input order, as numpy's timsort
    v = np.array(values, dtype=np.float64)
    assert stable_argsort(v).tolist() == np.argsort(v, kind="stable").tolist()


def test_radix_argsort_on_many_ties_and_a_large_array() -> None:
    rng = np.random.default_rng(4)
    v = rng.integers(-3, 4, 20_000) * rng.choice([1.0, 0.5, 1e-300, 1e300], 20_000)
    v[rng.random(v.shape[0]) < 0.05] = -0.0
    v[rng.random(v.shape[0]) < 0.05] = np.nan
    assert np.array_equal(stable_argsort(v), np.argsort(v, kind="stable"))


def test_grouped_quantile_refuses_keys_beyond_its_range() -> None:
    with pytest.raises(ValueError, match="keys must be below n_keys=2"):
        sorted_group_quantile(np.array([0, 2]), np.array([1.0, 2.0]), 0.5, 2)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=40))
def test_neighbours_link_each_patients_rows_in_order(patients: list[int]) -> None:
    patient = np.array(patients, dtype=np.int64)
    prev, nxt = neighbours(patient)
    for i, p in enumerate(patients):
        before = [j for j in range(i) if patients[j] == p]
        after = [j for j in range(i + 1, len(patients)) if patients[j] == p]
        assert prev[i] == (before[-1] if before else -1)
        assert nxt[i] == (after[0] if after else -1)


@settings(max_examples=60, deadline=None)
@given(
    items=st.lists(
        st.tuples(
            st.integers(-1, 2),
            st.integers(-1, 3),
            st.one_of(
                st.floats(-1e6, 1e6, allow_nan=False),
                st.sampled_from([np.nan, np.inf, -np.inf, 0.1, 1.0 / 3.0]),
            ),
        ),
        max_size=60,
    ),
    finite=st.booleans(),
)
def test_bin_sums_equal_bincount_to_the_last_bit(items: list[tuple[int, int, float]], finite: bool) -> None:
    """The one-pass binning behind day_sums and tally_blocks adds the same numbers in the same
    order as the bincount over a key array it replaced (issue 15): the same bits."""
    G, D = 3, 4
    codes = np.array([c for c, _, _ in items], dtype=np.int64)
    day = np.array([d for _, d, _ in items], dtype=np.int64)
    w = np.array([x for _, _, x in items], dtype=np.float64)
    level = Level(("a", "b", "c"), codes)
    ok = (codes >= 0) & (day >= 0) & ~np.isnan(w)
    ref_w = np.nan_to_num(w[ok], nan=0.0) if finite else w[ok]
    key = codes[ok] * D + day[ok]
    expect = np.bincount(key, weights=ref_w, minlength=G * D).reshape(G, D)
    got = _bin_sums(level, day, D, w, finite=finite)
    assert got.tobytes() == expect.tobytes()
    counts = np.bincount(
        codes[(codes >= 0) & (day >= 0)] * D + day[(codes >= 0) & (day >= 0)], minlength=G * D
    )
    assert (
        _bin_sums(level, day, D, None, finite=finite).tobytes()
        == counts.reshape(G, D).astype(float).tobytes()
    )


def test_bin_sums_refuse_codes_and_weights_of_another_length() -> None:
    level = Level(("a",), np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="level codes have shape"):
        _bin_sums(level, np.zeros(2, dtype=np.int64), 1, None, finite=True)
    with pytest.raises(ValueError, match="weights have shape"):
        _bin_sums(level, np.zeros(3, dtype=np.int64), 1, np.ones(2), finite=True)
