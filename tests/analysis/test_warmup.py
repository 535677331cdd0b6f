"""Warm-up checks: MSER-5 on series with a known initial transient, the stationary twin, and
the coupling check against a reference run that the report uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simcare.analysis.warmup import (
    coupling_table,
    daily_state_series,
    judge_warmup,
    mser,
    stationary_daily,
    stationary_twin,
    warmup_table,
)
from simcare.batch.backends import InProcessBackend
from simcare.engine import run
from simcare.errors import SimcareError
from simcare.pipeline import compiled, run_files
from simcare.report.build import warmup_check, warmup_text, write_run_set
from simcare.scenario.compile import CompiledScenario


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


# --- the stationary twin and its verdict ---------------------------------------------------------

TOY = Path(__file__).parent / "data" / "long_stay.yaml"


def toy(overrides: dict[str, object] | None = None) -> CompiledScenario:
    cs, _ = compiled(str(TOY), overrides or {}, str(TOY))
    return cs


def test_stationary_twin_repeats_the_first_reported_week_and_changes_nothing_else() -> None:
    cs = toy({"run.warm_up": "30d"})
    start = cs.timeline.warm_up_hours
    twin = stationary_twin(cs.model, start)
    rate, flat = cs.model.stream_rate, twin.stream_rate
    assert flat.shape == rate.shape
    h = np.arange(rate.shape[1])
    assert np.array_equal(flat, rate[:, start + (h - start) % 168])
    assert np.array_equal(flat[:, start : start + 168], rate[:, start : start + 168])
    # the month factors made the original move (Jan 1.1, Feb 1.05, ...); the twin does not
    assert not np.allclose(rate[:, start + 24 * 40], rate[:, start + 24 * 40 - 24 * 35])
    assert np.allclose(flat[:, start + 24 * 40], flat[:, start + 24 * 40 - 24 * 35])
    assert twin.horizon == cs.model.horizon and twin.service_scale is cs.model.service_scale
    with pytest.raises(SimcareError, match="outside the horizon"):
        stationary_twin(cs.model, rate.shape[1])


def test_judge_warmup_ignores_a_chance_over_cut_but_not_a_transient() -> None:
    """A settled N(100, 1) series: whatever MSER-5 cuts, the first 4 weeks after a 10-day warm-up
    are within 1 % of the level, so it is enough. The same series with the first 60 days
    ramping up from 50 is not (the first 4 weeks after day 10 average about 79)."""
    rng = np.random.default_rng(np.random.SeedSequence(4105))
    flat = 100 + rng.normal(size=300)
    v = judge_warmup(flat, 10)
    assert v.enough and abs(v.gap) <= v.tolerance and v.tolerance >= 1.0
    ramp = flat.copy()
    ramp[:60] = 50 + 50 * np.arange(60) / 60 + rng.normal(size=60)
    w = judge_warmup(ramp, 10)
    assert not w.enough and w.mser.truncation >= 55 and w.gap < -15
    assert judge_warmup(ramp, 70).enough


def test_stationary_twin_check_of_a_long_stay_toy() -> None:
    """Stays of 20 days and D2A stays of 4 weeks: from empty the stocks need about two months.
    A 1-day warm-up fails the twin check on every series; a 150-day warm-up passes."""
    short = toy()
    d = stationary_daily(short, 3, short.seed).assign(scenario="short")
    t = warmup_table(d, {"short": 1}).set_index("series")
    assert not t["enough"].any(), t
    long = toy({"run.warm_up": "150d"})
    d = stationary_daily(long, 3, long.seed).assign(scenario="long")
    t = warmup_table(d, {"long": 150}).set_index("series")
    assert t["enough"].all(), t
    assert set(t.index) == {"ga_beds_occupied", "nctr", "d2a_in_service"}


# --- the coupling check (what the report uses) ---------------------------------------------------


def frame(scenario: str, values: np.ndarray, start: str = "2025-01-01") -> pd.DataFrame:
    """Daily rows (one series, nctr) of ``values`` (days, replications)."""
    days, reps = values.shape
    dates = pd.date_range(start, periods=days).strftime("%Y-%m-%d")
    return pd.concat(
        pd.DataFrame(
            {
                "scenario": scenario,
                "replication": r,
                "series": "nctr",
                "day": np.arange(days),
                "date": dates,
                "value": values[:, r],
            }
        )
        for r in range(reps)
    )


def test_coupling_table_arithmetic() -> None:
    """Reference at 200 + noise; the scenario starts 100 below and closes the gap linearly over
    70 days. With a 14-day warm-up the first 4 weeks are about 60 below (far outside 1 % = 2 and
    the noise): not enough; with 100 days they agree. The reference runs 30 days longer before:
    days are matched by date."""
    rng = np.random.default_rng(np.random.SeedSequence(4106))
    n, reps = 200, 4
    noise = rng.normal(scale=0.5, size=(n, reps))
    ref = 200 + noise
    gap = -100 * np.clip(1 - np.arange(n) / 70, 0, None)[:, None]
    scen = ref + gap + rng.normal(scale=0.5, size=(n, reps))
    reference = frame("s", np.vstack([np.full((30, reps), 150.0), ref]), start="2024-12-02")
    for configured, enough in ((14, False), (100, True)):
        t = coupling_table(frame("s", scen), reference, {"s": configured}).iloc[0]
        window = slice(configured, configured + 28)
        assert t["difference"] == pytest.approx((scen[window] - ref[window]).mean())
        assert t["reference_level"] == pytest.approx(ref[window].mean())
        assert t["tolerance"] >= 0.01 * t["reference_level"]
        assert bool(t["enough"]) is enough
        assert t["reference_days"] == 364
    assert 42 <= t["coupled_days"] <= 70 and t["coupled_days"] % 7 == 0
    assert (
        t["coupled_date"] == str(pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(t["coupled_days"])))[:10]
    )


def run_daily(cs: CompiledScenario, reps: int, name: str) -> pd.DataFrame:
    return pd.concat(
        daily_state_series(run(cs.model, seed=cs.seed, replication=r), cs).assign(
            scenario=name, replication=r
        )
        for r in range(reps)
    )


def test_coupling_check_warns_for_a_short_warm_up_of_the_long_stay_toy() -> None:
    """The toy with a 1-day warm-up: every stock is still filling in its first 4 weeks (beds
    about a third below the reference started a year before). A 150-day warm-up agrees."""
    reference = toy({"run.warm_up": "364d"})
    ref = run_daily(reference, 4, "toy")
    short = coupling_table(run_daily(toy(), 4, "toy"), ref, {"toy": 1}).set_index("series")
    assert not short["enough"].any(), short
    assert (short["difference"] < -0.25 * short["reference_level"]).all()
    long = coupling_table(run_daily(toy({"run.warm_up": "150d"}), 4, "toy"), ref, {"toy": 150})
    assert long["enough"].all(), long


def test_the_report_runs_the_coupling_check(tmp_path: Path) -> None:
    """``write_run_set`` (what ``simcare run --out`` calls) judges the base scenario against its
    reference run: the toy's 1-day warm-up is flagged in the printed text and the report."""
    rs = run_files([str(TOY)], 2, InProcessBackend(), progress=False)
    check = warmup_check(rs)
    assert check is not None
    table, reference = check
    assert not table["enough"].any()
    assert reference["date"].min() == "2024-01-03"  # 364 days before 2025-01-01 (2024 is a leap year)
    text = warmup_text(table, "long_stay")
    assert "1 day configured" in text and "check the early weeks" in text
    out = write_run_set(rs, tmp_path / "out")
    assert "check the early weeks" in out.text
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "reference run" in html and 'id="fig-warmup"' in html
