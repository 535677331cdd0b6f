"""Statistical tests of the random inputs: keyed uniforms, arrivals, distributions.

Every test uses fixed seeds and fixed keys, so its p-values are fixed numbers: a test either
always passes or always fails. Each states its tolerance. Hypothesis tests use ALPHA = 1e-3 (a
correct generator fails a given test with probability 1e-3, over the choice of seed);
confidence intervals for moments use Z = 4.5 standard errors (two-sided 7e-6).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit
from scipy import stats

from simcare.network import Network
from simcare.sampling import seeds
from simcare.sampling.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
    Weibull,
    sample_nb,
)
from simcare.sampling.draws import _time_order_nb, draw, draws_from_arrivals
from simcare.sampling.keys import draw_key, name_key, patient_key, uniform

ALPHA = 1e-3
Z = 4.5
N = 200_000

STREAM = np.uint64(name_key("stream:walk_in"))
SERVICE = np.uint64(name_key("ed"))
OTHER_SERVICE = np.uint64(name_key("ward"))
PURPOSES = seeds.purpose_keys(20240601, 0)
PURPOSES_REP1 = seeds.purpose_keys(20240601, 1)


@njit(cache=False)
def _uniforms(
    stream: np.uint64, purpose: np.uint64, service: np.uint64, n: int, first: int, occ: int, j: int
) -> np.ndarray:
    """uniform(draw_key(patient first+i of the stream, purpose, service, occ), j), i < n."""
    out = np.empty(n)
    for i in range(n):
        out[i] = uniform(draw_key(patient_key(stream, first + i), purpose, service, occ), j)
    return out


@njit(cache=False)
def _occurrence_uniforms(pkey: np.uint64, purpose: np.uint64, service: np.uint64, n: int) -> np.ndarray:
    """The first uniform of one patient's occurrences 0..n-1 of one (purpose, service)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = uniform(draw_key(pkey, purpose, service, i), 0)
    return out


@njit(cache=False)
def _samples(
    kind: int,
    p0: float,
    p1: float,
    p2: float,
    pool: np.ndarray,
    stream: np.uint64,
    purpose: np.uint64,
    service: np.uint64,
    n: int,
) -> np.ndarray:
    """sample_nb for the first-visit service-time keys of patients 0..n-1 of a stream."""
    out = np.empty(n)
    for i in range(n):
        out[i] = sample_nb(kind, p0, p1, p2, pool, draw_key(patient_key(stream, i), purpose, service, 0))
    return out


def chi2_uniform_bins(u: np.ndarray, bins: int = 64) -> float:
    """p-value of the chi-square test that u is uniform over ``bins`` equal bins of (0, 1)."""
    counts = np.bincount(np.minimum((u * bins).astype(np.int64), bins - 1), minlength=bins)
    return float(stats.chisquare(counts).pvalue)


def chi2_independent_grid(u: np.ndarray, w: np.ndarray, bins: int = 8) -> float:
    """p-value of the chi-square test that (u, w) is uniform on a bins x bins grid of the unit
    square (uniform margins and independence together)."""
    cell = np.minimum((u * bins).astype(np.int64), bins - 1) * bins + np.minimum(
        (w * bins).astype(np.int64), bins - 1
    )
    return float(stats.chisquare(np.bincount(cell, minlength=bins * bins)).pvalue)


# --- keyed uniforms -----------------------------------------------------------------------------


@pytest.mark.parametrize("j", [0, 1, 7])
@pytest.mark.parametrize("purpose", range(len(PURPOSES)))
def test_keyed_uniforms_are_uniform(purpose: int, j: int) -> None:
    """Uniform j of the keys of N consecutive patients (one purpose, one service) is U(0, 1):
    KS and 64-bin chi-square tests at ALPHA, and every value strictly inside (0, 1)."""
    u = _uniforms(STREAM, PURPOSES[purpose], SERVICE, N, 0, 0, j)
    assert u.min() > 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > ALPHA
    assert chi2_uniform_bins(u) > ALPHA


def test_keyed_uniforms_over_occurrences_are_uniform() -> None:
    """One patient's draws over N successive occurrences of the same (purpose, service) are
    U(0, 1) (KS and chi-square at ALPHA) and serially uncorrelated (lag-1 Pearson at ALPHA)."""
    # patient_key called from Python returns a Python int: re-wrap it as uint64, or numba
    # types it int64 and the key arithmetic changes (all uniforms then fall below 0.5).
    u = _occurrence_uniforms(np.uint64(patient_key(STREAM, 0)), PURPOSES[0], SERVICE, N)
    assert stats.kstest(u, "uniform").pvalue > ALPHA
    assert chi2_uniform_bins(u) > ALPHA
    assert stats.pearsonr(u[:-1], u[1:]).pvalue > ALPHA


def _pair(kind: str) -> tuple[np.ndarray, np.ndarray]:
    a = _uniforms(STREAM, PURPOSES[0], SERVICE, N, 0, 0, 0)
    if kind == "purpose":
        b = _uniforms(STREAM, PURPOSES[1], SERVICE, N, 0, 0, 0)
    elif kind == "service":
        b = _uniforms(STREAM, PURPOSES[0], OTHER_SERVICE, N, 0, 0, 0)
    elif kind == "occurrence":
        b = _uniforms(STREAM, PURPOSES[0], SERVICE, N, 0, 1, 0)
    elif kind == "next_patient":
        b = _uniforms(STREAM, PURPOSES[0], SERVICE, N, 1, 0, 0)
    elif kind == "other_stream":
        b = _uniforms(np.uint64(name_key("stream:ambulance")), PURPOSES[0], SERVICE, N, 0, 0, 0)
    elif kind == "second_uniform":
        b = _uniforms(STREAM, PURPOSES[0], SERVICE, N, 0, 0, 1)
    elif kind == "replication":
        b = _uniforms(STREAM, PURPOSES_REP1[0], SERVICE, N, 0, 0, 0)
    else:
        raise ValueError(kind)
    return a, b


@pytest.mark.parametrize(
    "kind",
    ["purpose", "service", "occurrence", "next_patient", "other_stream", "second_uniform", "replication"],
)
def test_keyed_uniforms_independent_across_keys(kind: str) -> None:
    """Uniforms whose keys differ in one component (purpose, service, occurrence, patient,
    stream, the uniform's index j, or the replication) are independent: Pearson and Spearman
    correlations are not significant at ALPHA (|r| < ~0.0074 for N = 200 000), and the pairs
    are uniform on an 8 x 8 grid (chi-square at ALPHA)."""
    a, b = _pair(kind)
    assert stats.pearsonr(a, b).pvalue > ALPHA
    assert stats.spearmanr(a, b).pvalue > ALPHA
    assert chi2_independent_grid(a, b) > ALPHA


def test_purpose_keys_differ_by_seed_replication_and_purpose() -> None:
    """The per-replication purpose keys are distinct across purposes, replications and seeds."""
    keys = {int(k) for seed in (0, 1) for rep in (0, 1, 2) for k in seeds.purpose_keys(seed, rep)}
    assert len(keys) == 2 * 3 * len(PURPOSES)


# --- arrivals ----------------------------------------------------------------------------------------


def _arrivals(rate_per_hour: float, hours: float, seed: int = 11, **kw: object) -> np.ndarray:
    net = Network(horizon_hours=hours, start_hour_of_week=int(kw.pop("start", 0)))  # type: ignore[call-overload]
    net.add_service("ed", servers=1, service_time=Fixed(1))
    net.add_arrivals("walk_in", to="ed", rate_per_hour=rate_per_hour, **kw)  # type: ignore[arg-type]
    m = net.compile()
    return np.asarray(draw(m, seed).arrival_time)


def _poisson_gof(counts: np.ndarray, mean: float) -> float:
    """p-value of the chi-square goodness of fit of counts to Poisson(mean), pooling tail
    classes so every expected frequency is >= 5."""
    n = counts.shape[0]
    k_max = int(stats.poisson.ppf(1 - 1e-9, mean)) + 1
    observed = np.bincount(np.minimum(counts, k_max), minlength=k_max + 1).astype(float)
    expected = n * stats.poisson.pmf(np.arange(k_max + 1), mean)
    expected[-1] = n * stats.poisson.sf(k_max - 1, mean)
    lo = int(np.argmax(np.cumsum(expected) >= 5))  # pool the left tail into class lo
    hi = int(len(expected) - 1 - np.argmax(np.cumsum(expected[::-1]) >= 5))
    obs = np.concatenate(([observed[: lo + 1].sum()], observed[lo + 1 : hi], [observed[hi:].sum()]))
    exp = np.concatenate(([expected[: lo + 1].sum()], expected[lo + 1 : hi], [expected[hi:].sum()]))
    return float(stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue)


@pytest.mark.parametrize("seed", [11, 12])
def test_homogeneous_arrivals_are_a_poisson_process(seed: int) -> None:
    """A 7.5/h stream over 2 000 hours: hourly counts fit Poisson(7.5) (chi-square at ALPHA);
    their dispersion index is consistent with 1 (two-sided chi-square(n-1) at ALPHA); the total
    is within Z standard errors of 15 000; gaps are Exp(mean 8 min) (KS at ALPHA); positions
    within the hour are uniform (KS at ALPHA); times increase and lie in [0, horizon)."""
    hours, rate = 2000, 7.5
    t = _arrivals(rate, hours, seed=seed)
    assert (np.diff(t) >= 0).all() and t[0] >= 0 and t[-1] < hours * 60
    counts = np.bincount((t // 60).astype(np.int64), minlength=hours)
    assert abs(counts.sum() - rate * hours) < Z * math.sqrt(rate * hours)
    assert _poisson_gof(counts, rate) > ALPHA
    dispersion = ((counts - counts.mean()) ** 2).sum() / counts.mean()
    cdf = stats.chi2.cdf(dispersion, hours - 1)
    assert ALPHA / 2 < cdf < 1 - ALPHA / 2
    assert stats.kstest(np.diff(t), "expon", args=(0, 60 / rate)).pvalue > ALPHA
    assert stats.kstest((t % 60) / 60, "uniform").pvalue > ALPHA


def test_nonhomogeneous_arrivals_follow_the_hourly_rate() -> None:
    """Rates from hour_of_week x daily (start hour 5): each hour's expected count is
    rate x hour_of_week[(5 + h) % 168] x daily[h // 24] (checked against the compiled model);
    hours with rate 0 get no arrivals; the counts per pattern phase (summed over the horizon)
    fit their expectations given the total (chi-square at ALPHA), and so do the counts of
    every hour of the horizon (pooled over 20 seeds); the total is within Z standard errors."""
    pattern = [0.0, 0.5, 1.0, 2.0, 4.0, 1.5]
    how = pattern * 28
    daily = [1.0, 0.5, 2.0] * 20
    hours = 24 * 21
    rate = 3.0
    expected = np.array([rate * how[(5 + h) % 168] * daily[h // 24] for h in range(hours)])
    net = Network(horizon_hours=hours, start_hour_of_week=5)
    net.add_service("ed", servers=1, service_time=Fixed(1))
    net.add_arrivals("walk_in", to="ed", rate_per_hour=rate, hour_of_week=how, daily=daily)
    m = net.compile()
    np.testing.assert_allclose(m.stream_rate[0], expected, rtol=1e-12)
    counts = np.zeros(hours)
    for seed in range(20):
        t = draw(m, seed).arrival_time
        counts += np.bincount((t // 60).astype(np.int64), minlength=hours)
    total = expected * 20
    assert (counts[total == 0] == 0).all()
    live = total > 0
    assert stats.chisquare(counts[live], total[live] * counts.sum() / total.sum()).pvalue > ALPHA
    phase = (5 + np.arange(hours)) % len(pattern)
    by_phase = np.bincount(phase, weights=counts)
    expected_phase = np.bincount(phase, weights=total)
    live = expected_phase > 0
    assert (by_phase[~live] == 0).all()
    scale = by_phase.sum() / expected_phase.sum()
    assert stats.chisquare(by_phase[live], expected_phase[live] * scale).pvalue > ALPHA
    assert abs(counts.sum() - total.sum()) < Z * math.sqrt(total.sum())


def test_partial_last_hour_has_its_share_of_arrivals() -> None:
    """With a horizon of 10.25 h at 20/h, the last quarter hour gets Poisson(5) arrivals per
    run: over 400 seeds, the mean count is within Z standard errors of 5, and no arrival is at
    or after the horizon."""
    counts = []
    for seed in range(400):
        t = _arrivals(20.0, 10.25, seed=seed)
        assert t.size == 0 or t[-1] < 615.0
        counts.append(int((t >= 600.0).sum()))
    c = np.array(counts, dtype=float)
    assert abs(c.mean() - 5.0) < Z * math.sqrt(5.0 / len(c))


def test_arrival_groups_are_multinomial() -> None:
    """Groups drawn with probabilities 0.2 / 0.5 / 0.3 over ~20 000 arrivals of two streams:
    the counts fit the probabilities (chi-square at ALPHA per stream), and a stream with one
    group gives only that group."""
    net = Network(horizon_hours=2000)
    for g in ("a", "b", "c"):
        net.add_group(g)
    net.add_service("ed", servers=1, service_time=Fixed(1))
    net.add_arrivals("walk_in", to="ed", rate_per_hour=10, groups={"a": 0.2, "b": 0.5, "c": 0.3})
    net.add_arrivals("ambulance", to="ed", rate_per_hour=2, groups={"c": 1.0})
    m = net.compile()
    d = draw(m, 5)
    walk = d.arrival_stream == 0
    counts = np.bincount(d.arrival_group[walk], minlength=3)
    assert stats.chisquare(counts, walk.sum() * np.array([0.2, 0.5, 0.3])).pvalue > ALPHA
    assert (d.arrival_group[~walk] == 2).all()
    # patient ids are the ranks of (time, stream, index): times non-decreasing
    assert (np.diff(d.arrival_time) >= 0).all()


def test_patients_are_ranked_by_time_then_stream_then_index_with_ties() -> None:
    """Patient ids are the ranks of (time, stream, index within stream), ties included: two
    censuses at time 0 and traces sharing times across streams give np.lexsort's order."""
    net = Network(horizon_hours=48)
    net.add_group("a")
    net.add_service("ed", servers=1, service_time=Fixed(1))
    net.add_arrivals("walk_in", to="ed", rate_per_hour=3, groups={"a": 1.0})
    net.add_census("first", to="ed", count=5, groups={"a": 1.0}, remaining=Fixed(1))
    net.add_arrivals("ambulance", to="ed", rate_per_hour=1, groups={"a": 1.0})
    net.add_census("second", to="ed", count=4, groups={"a": 1.0}, remaining=Fixed(1))
    m = net.compile()
    shared = [0.0, 0.0, 60.0, 60.0, 61.5, 120.0]
    drawn = draw(m, 11)
    traced = draws_from_arrivals(
        m, {"walk_in": shared, "ambulance": shared[1:], "first": [0.0] * 3, "second": [0.0, 60.0]}, 11
    )
    for d in (drawn, traced):
        expect = np.lexsort((d.arrival_index, d.arrival_stream, d.arrival_time))
        assert (expect == np.arange(d.n_patients)).all()
    assert m.stream_names == ("first", "second", "walk_in", "ambulance")  # censuses first
    assert list(drawn.arrival_stream[:9]) == [0] * 5 + [1] * 4  # both censuses at time 0
    assert list(traced.arrival_stream[:7]) == [0, 0, 0, 1, 2, 2, 3]  # all at time 0
    assert list(traced.arrival_index[:7]) == [0, 1, 2, 0, 0, 1, 0]


def test_bucket_sort_of_the_streams_is_numpys_stable_argsort() -> None:
    """The tiled bucket sort draw uses (issue 15) orders sorted runs exactly as
    np.argsort(kind="stable"): heavy ties (crowded buckets), constant runs, clustered times,
    -0.0; and refuses (returns False) a decreasing run or a NaN."""
    rng = np.random.default_rng(9)
    for trial in range(200):
        runs = []
        for _ in range(int(rng.integers(1, 10))):
            m = int(rng.integers(0, 300))
            kind = trial % 4
            if kind == 0:
                r = np.sort(rng.integers(0, 20, m).astype(float))
            elif kind == 1:
                r = np.sort(rng.random(m) * 1000)
            elif kind == 2:
                r = np.full(m, 5.0)
            else:
                r = np.sort(np.concatenate([rng.random(m // 2) * 1e-9, rng.random(m - m // 2) * 1e6]))
            if m and trial % 7 == 0:
                r[0] = -0.0
            runs.append(r)
        t = np.concatenate(runs)
        starts = np.concatenate([[0], np.cumsum([r.size for r in runs])]).astype(np.int64)
        order = np.empty(t.size, dtype=np.int64)
        assert _time_order_nb(t, starts, order)
        assert np.array_equal(order, np.argsort(t, kind="stable")), trial
    assert not _time_order_nb(np.array([1.0, 0.5]), np.array([0, 2]), np.empty(2, dtype=np.int64))
    assert not _time_order_nb(np.array([1.0, np.nan]), np.array([0, 1, 2]), np.empty(2, dtype=np.int64))


# --- distributions -------------------------------------------------------------------------------------

DISTRIBUTIONS: list[tuple[str, Distribution]] = [
    ("exponential", Exponential(20)),
    ("lognormal", Lognormal(40, 20)),
    ("lognormal_cv1", Lognormal(5, 5)),
    ("gamma_shape_lt_1", Gamma(0.4, 25)),
    ("gamma_shape_1", Gamma(1.0, 10)),
    ("gamma", Gamma(2.5, 8)),
    ("gamma_large_shape", Gamma(9, 3)),
    ("gamma_from_mean_sd", Gamma.from_mean_sd(60, 30)),
    ("weibull_lt_1", Weibull(0.7, 30)),
    ("weibull", Weibull(1.5, 60)),
    ("weibull_gt_1", Weibull(3, 10)),
    ("triangular", Triangular(5, 10, 30)),
    ("triangular_mode_low", Triangular(0, 0, 20)),
    ("triangular_mode_high", Triangular(2, 8, 8)),
    ("uniform", Uniform(10, 50)),
    ("fixed", Fixed(30)),
    ("empirical", Empirical((5, 10, 10, 40, 0))),
]


def _sample(dist: Distribution, n: int = N) -> np.ndarray:
    p0, p1, p2 = dist.params()
    return _samples(dist.kind, p0, p1, p2, dist.empirical(), STREAM, PURPOSES[0], SERVICE, n)


def _scipy(dist: Distribution) -> stats.rv_continuous | None:
    """The same law in scipy, for the continuous kinds."""
    if isinstance(dist, Exponential):
        return stats.expon(scale=dist.mean_minutes)
    if isinstance(dist, Lognormal):
        mu, sigma, _ = dist.params()
        return stats.lognorm(s=sigma, scale=math.exp(mu))
    if isinstance(dist, Gamma):
        return stats.gamma(a=dist.shape, scale=dist.scale_minutes)
    if isinstance(dist, Weibull):
        return stats.weibull_min(c=dist.shape, scale=dist.scale_minutes)
    if isinstance(dist, Triangular):
        width = dist.high - dist.low
        return stats.triang(c=(dist.mode - dist.low) / width, loc=dist.low, scale=width)
    if isinstance(dist, Uniform):
        return stats.uniform(loc=dist.low, scale=dist.high - dist.low)
    return None


@pytest.mark.parametrize(("name", "dist"), DISTRIBUTIONS, ids=[n for n, _ in DISTRIBUTIONS])
def test_distribution_mean_and_variance(name: str, dist: Distribution) -> None:
    """sample_nb over N keys: all values finite and >= 0; the sample mean is within Z standard
    errors (sqrt(variance / N)) of ``.mean``; the sample variance within Z standard errors
    (sqrt((m4 - s^4) / N), m4 the sample fourth central moment) of ``.variance``. A fixed law
    returns exactly its value."""
    x = _sample(dist)
    assert np.isfinite(x).all() and (x >= 0).all()
    if dist.variance == 0:
        assert (x == dist.mean).all()
        return
    assert abs(x.mean() - dist.mean) < Z * math.sqrt(dist.variance / N), (x.mean(), dist.mean)
    s2 = x.var(ddof=1)
    m4 = float(((x - x.mean()) ** 4).mean())
    assert abs(s2 - dist.variance) < Z * math.sqrt((m4 - s2 * s2) / N), (s2, dist.variance)


@pytest.mark.parametrize(("name", "dist"), DISTRIBUTIONS, ids=[n for n, _ in DISTRIBUTIONS])
def test_distribution_matches_its_law(name: str, dist: Distribution) -> None:
    """The N samples follow the law exactly, not just in mean and variance: KS test against
    scipy's distribution at ALPHA for the continuous kinds; for the empirical law, chi-square
    of the value frequencies against the multiplicities at ALPHA (duplicated values count
    twice); samples lie within the support."""
    x = _sample(dist)
    law = _scipy(dist)
    if law is not None:
        assert stats.kstest(x, law.cdf).pvalue > ALPHA
        lo, hi = law.support()
        assert (x >= lo).all() and (x <= hi).all()
    elif isinstance(dist, Empirical):
        values, multiplicity = np.unique(np.array(dist.values), return_counts=True)
        assert np.isin(x, values).all()
        observed = np.array([(x == v).sum() for v in values])
        expected = N * multiplicity / multiplicity.sum()
        assert stats.chisquare(observed, expected).pvalue > ALPHA


def test_distribution_draws_depend_only_on_the_key() -> None:
    """The same keys give the same samples (sample_nb is a pure function of its key), and the
    service-time samples of patients 0..n-1 do not depend on how many patients are drawn."""
    for _, dist in DISTRIBUTIONS:
        a = _sample(dist, 1000)
        b = _sample(dist, 2000)
        assert np.array_equal(a, b[:1000])
