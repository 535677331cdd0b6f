"""Queueing formulas of simcare.analysis against textbook values and independent derivations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from simcare.analysis.confidence import batch_means_interval, bonferroni_level, t_interval
from simcare.analysis.queueing import (
    erlang_b,
    erlang_c,
    jackson_mean_sojourn,
    jackson_network,
    mg1_mean_wait,
    mg1_priority_mean_waits,
    mmc_mean_queue_length,
    mmc_mean_sojourn,
    mmc_mean_wait,
    mmc_priority_mean_waits,
    mtginf_hourly_mean_occupancy,
    mtginf_mean_occupancy,
    survival_function,
)
from simcare.sampling.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
    Weibull,
)

# --- Erlang B and C -----------------------------------------------------------------------------


def _erlang_b_direct(c: int, a: float) -> float:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


@pytest.mark.parametrize(
    ("c", "a", "expected"),
    [
        (1, 1.0, 0.5),  # a / (1 + a)
        (2, 1.0, 0.2),  # (1/2) / (1 + 1 + 1/2)
        (5, 3.0, 0.110054347826087),  # Erlang B tables
        (10, 5.0, 0.018384570336648),
        (0, 2.0, 1.0),  # no servers: everyone is lost
        (3, 0.0, 0.0),
    ],
)
def test_erlang_b_textbook(c: int, a: float, expected: float) -> None:
    assert erlang_b(c, a) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("c", "a"), [(1, 0.3), (4, 2.5), (12, 9.7), (30, 31.0)])
def test_erlang_b_matches_direct_sum(c: int, a: float) -> None:
    assert erlang_b(c, a) == pytest.approx(_erlang_b_direct(c, a), rel=1e-12)


def test_erlang_b_is_stable_for_large_systems() -> None:
    # a^c / c! overflows a float for c = 2000; the recursion does not.
    b = erlang_b(2000, 1950.0)
    assert 0.0 < b < 0.05
    assert erlang_b(2000, 1950.0) > erlang_b(2001, 1950.0)  # more servers, fewer losses


@pytest.mark.parametrize(
    ("c", "a", "expected"),
    [
        (1, 0.75, 0.75),  # M/M/1: P(wait) = rho
        (2, 1.0, 1.0 / 3.0),  # 2 rho^2 / (1 + rho) with rho = 1/2
        (3, 2.0, 4.0 / 9.0),
    ],
)
def test_erlang_c_textbook(c: int, a: float, expected: float) -> None:
    assert erlang_c(c, a) == pytest.approx(expected, rel=1e-12)


def test_erlang_c_direct_formula() -> None:
    c, a = 7, 5.6
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    direct = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    assert erlang_c(c, a) == pytest.approx(direct, rel=1e-12)


def test_erlang_c_overloaded_is_one() -> None:
    assert erlang_c(3, 3.0) == 1.0
    assert erlang_c(3, 4.5) == 1.0


@pytest.mark.parametrize("bad", [(-1, 1.0), (2.5, 1.0), (2, -0.1), (2, math.nan), (True, 1.0)])
def test_erlang_rejects_bad_arguments(bad: tuple[float, float]) -> None:
    with pytest.raises(ValueError):
        erlang_b(*bad)  # type: ignore[arg-type]


# --- M/M/c and M/G/1 ----------------------------------------------------------------------------


def test_mm1_mean_wait() -> None:
    lam, mu = 3.0, 4.0  # per hour
    assert mmc_mean_wait(lam, mu, 1) == pytest.approx(lam / (mu * (mu - lam)))  # 0.75 h
    assert mmc_mean_sojourn(lam, mu, 1) == pytest.approx(1.0 / (mu - lam))
    assert mmc_mean_queue_length(lam, mu, 1) == pytest.approx((lam / mu) ** 2 / (1 - lam / mu))


def test_mmc_mean_wait_textbook() -> None:
    # lam = 5/h, mean service 30 min (mu = 2/h), c = 3: a = 2.5, C = 0.702247..., Wq = C / 1 h.
    assert erlang_c(3, 2.5) == pytest.approx(0.702247191011236, rel=1e-12)
    assert mmc_mean_wait(5.0, 2.0, 3) == pytest.approx(0.702247191011236, rel=1e-12)
    # Same system in minutes: rates per minute give a wait in minutes.
    assert mmc_mean_wait(5.0 / 60, 1.0 / 30, 3) == pytest.approx(60 * 0.702247191011236)


def test_mmc_limits() -> None:
    assert mmc_mean_wait(5.0, 2.0, math.inf) == 0.0
    assert mmc_mean_wait(6.0, 2.0, 3) == math.inf
    assert mmc_mean_wait(5.0, 2.0, 3.0) == mmc_mean_wait(5.0, 2.0, 3)
    with pytest.raises(ValueError):
        mmc_mean_wait(1.0, 0.0, 1)


def test_pollaczek_khinchine() -> None:
    lam, m = 0.5, 1.5  # rho = 0.75
    # Exponential service: P-K reduces to M/M/1.
    assert mg1_mean_wait(lam, m, m * m) == pytest.approx(mmc_mean_wait(lam, 1 / m, 1))
    # Deterministic service: half the M/M/1 wait.
    assert mg1_mean_wait(lam, m, 0.0) == pytest.approx(0.5 * mmc_mean_wait(lam, 1 / m, 1))
    # Gamma(2, 15 min), lam = 1.5/h = 0.025/min: Wq = 0.025 * 1350 / (2 * 0.25) = 67.5 min.
    g = Gamma(2.0, 15.0)
    assert mg1_mean_wait(1.5 / 60, g.mean, g.variance) == pytest.approx(67.5)
    assert mg1_mean_wait(1.0, 1.0, 1.0) == math.inf


# --- Jackson networks ---------------------------------------------------------------------------


def test_jackson_feedforward_triage_network() -> None:
    # 10/h into triage (2 servers, mean 5 min), then 0.3 minors (3, mean 30) / 0.7 majors
    # (8, mean 45). Rates per hour, so times in hours.
    P = [[0.0, 0.3, 0.7], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    mu = [12.0, 2.0, 60 / 45]
    net = jackson_network([10.0, 0, 0], P, mu, [2, 3, 8])
    np.testing.assert_allclose(net.arrival_rates, [10, 3, 7])
    np.testing.assert_allclose(net.utilisation, [10 / 24, 0.5, 7 / (8 * 60 / 45)])
    by_hand = (
        mmc_mean_sojourn(10, 12, 2) + 0.3 * mmc_mean_sojourn(3, 2, 3) + 0.7 * mmc_mean_sojourn(7, 60 / 45, 8)
    )
    assert net.mean_sojourn == pytest.approx(by_hand, rel=1e-12)
    assert jackson_mean_sojourn([10.0, 0, 0], P, mu, [2, 3, 8]) == net.mean_sojourn
    # Triage is M/M/2 with a = 5/6: Wq = C / (24 - 10) h, C = a^2 / (2 - a) / (1 + a + ...).
    a = 10 / 12
    c2 = (a**2 / 2 / (1 - a / 2)) / (1 + a + a**2 / 2 / (1 - a / 2))
    assert net.mean_wait[0] == pytest.approx(c2 / 14, rel=1e-12)


def test_jackson_tandem_mm1_with_feedback() -> None:
    # One M/M/1 node with feedback probability q: lam = gamma / (1 - q); mean time in network
    # per arrival = visits x sojourn per visit = (1/(1-q)) / (mu - lam).
    gamma, q, mu = 1.0, 0.25, 2.0
    net = jackson_network([gamma], [[q]], [mu], [1])
    lam = gamma / (1 - q)
    assert net.arrival_rates[0] == pytest.approx(lam)
    assert net.mean_sojourn == pytest.approx(1 / (1 - q) / (mu - lam))
    assert net.visits_per_patient[0] == pytest.approx(1 / (1 - q))


def test_jackson_infinite_server_node_and_errors() -> None:
    net = jackson_network([2.0, 0.0], [[0.0, 1.0], [0.0, 0.0]], [1.0, 0.5], [3, math.inf])
    assert net.mean_wait[1] == 0.0
    assert net.mean_sojourn_node[1] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="circulate"):
        jackson_network([1.0, 0.0], [[0, 1.0], [1.0, 0]], [1.0, 1.0], [1, 1])
    with pytest.raises(ValueError):
        jackson_network([1.0], [[0.5, 0.6]], [1.0], [1])
    unstable = jackson_network([3.0], [[0.0]], [1.0], [2])
    assert unstable.mean_sojourn == math.inf


# --- Survival functions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dist",
    [
        Exponential(30),
        Lognormal(60, 90),
        Gamma(2.0, 15.0),
        Gamma(0.5, 40.0),
        Weibull(1.5, 50.0),
        Triangular(10, 20, 60),
        Uniform(10, 50),
        Fixed(45),
        Empirical((5, 10, 10, 40)),
    ],
    ids=lambda d: type(d).__name__,
)
def test_survival_function_integrates_to_the_mean(dist: object) -> None:
    sf, bp = survival_function(dist)  # type: ignore[arg-type]
    assert sf(0.0) == pytest.approx(1.0)
    # E[S] = integral of P(S > u) over u >= 0, and E[S^2] = 2 * integral of u P(S > u).
    edges = [*sorted({0.0, *bp}), math.inf]
    m1 = sum(integrate.quad(sf, a, b, limit=200)[0] for a, b in zip(edges, edges[1:], strict=False))
    m2 = sum(
        integrate.quad(lambda u: 2 * u * sf(u), a, b, limit=200)[0]
        for a, b in zip(edges, edges[1:], strict=False)
    )
    assert m1 == pytest.approx(dist.mean, rel=1e-7)  # type: ignore[attr-defined]
    var = dist.variance  # type: ignore[attr-defined]
    assert m2 - m1 * m1 == pytest.approx(var, rel=1e-6)


# --- M_t/G/inf ----------------------------------------------------------------------------------


def _rates(n_hours: int) -> np.ndarray:
    h = np.arange(n_hours)
    return 6.0 * (1.0 + 0.6 * np.sin(2 * np.pi * h / 24.0))


def test_mtginf_exponential_matches_ode_solution() -> None:
    # With exponential service of mean m, dE[N]/dt = lam(t)/60 - E[N]/m (minutes): within hour h
    # E[N] relaxes towards lam_h m / 60 exponentially. Solve exactly and average each hour.
    m = 75.0
    r = _rates(72)
    n0 = 0.0
    point = [0.0]
    hourly = []
    for rh in r:
        target = rh * m / 60.0
        # hour average of target + (n0 - target) exp(-t/m), t in [0, 60]
        hourly.append(target + (n0 - target) * m / 60.0 * (1 - math.exp(-60.0 / m)))
        n0 = target + (n0 - target) * math.exp(-60.0 / m)
        point.append(n0)
    np.testing.assert_allclose(mtginf_hourly_mean_occupancy(r, Exponential(m)), hourly, rtol=1e-9)
    times = 60.0 * np.arange(73)
    np.testing.assert_allclose(mtginf_mean_occupancy(r, Exponential(m), times), point, rtol=1e-9, atol=1e-12)


def test_mtginf_deterministic_counts_recent_arrivals() -> None:
    # Service exactly D minutes: N(t) = arrivals in (t - D, t], mean = integral of lam over it.
    D = 100.0
    r = _rates(48)
    cum = np.concatenate([[0.0], np.cumsum(r)])  # expected arrivals by each whole hour

    def arrivals_by(t: float) -> float:
        t = max(t, 0.0)
        h = int(t // 60)
        return float(cum[h] + r[h] * (t - 60 * h) / 60) if h < 48 else float(cum[-1])

    times = np.array([0.0, 10.0, 99.0, 101.0, 365.5, 1000.0, 2879.0])
    expected = [arrivals_by(t) - arrivals_by(t - D) for t in times]
    np.testing.assert_allclose(mtginf_mean_occupancy(r, Fixed(D), times), expected, rtol=1e-9)
    # hour averages: integrate the same expression numerically
    hourly = mtginf_hourly_mean_occupancy(r, Fixed(D))
    for k in (0, 1, 2, 30, 47):
        ref = (
            integrate.quad(
                lambda t: arrivals_by(t) - arrivals_by(t - D),
                60 * k,
                60 * k + 60,
                points=[60 * k + 40],
                limit=200,
            )[0]
            / 60
        )
        assert hourly[k] == pytest.approx(ref, rel=1e-8)


@pytest.mark.parametrize(
    "dist", [Lognormal(150, 100), Uniform(20, 200), Gamma(0.7, 90.0)], ids=lambda d: type(d).__name__
)
def test_mtginf_against_brute_force_integral(dist: object) -> None:
    # E[N(t)] = integral over u in [0, t] of lam(t - u) P(S > u) du, done in one adaptive quad
    # with a breakpoint at every rate change.
    r = _rates(40)
    sf, bp = survival_function(dist)  # type: ignore[arg-type]

    def lam(t: float) -> float:
        return float(r[int(t // 60)]) / 60.0 if 0 <= t < 60 * len(r) else 0.0

    for t in (17.0, 600.0, 1234.5, 2399.0):
        pts = [t - 60 * h for h in range(int(t // 60) + 1) if 0 < t - 60 * h < t]
        pts += [b for b in bp if 0 < b < t]
        ref = integrate.quad(
            lambda u, t=t: lam(t - u) * sf(u), 0, t, points=sorted(pts), limit=500, epsabs=1e-12
        )[0]
        got = mtginf_mean_occupancy(r, dist, [t])[0]  # type: ignore[arg-type]
        assert got == pytest.approx(ref, rel=1e-8)


def test_mtginf_stationary_limit_and_custom_survival() -> None:
    # Constant rate for long: hour averages reach lam E[S] (offered load in erlangs).
    r = np.full(200, 4.0)
    got = mtginf_hourly_mean_occupancy(r, lambda u: math.exp(-u / 90.0))
    assert got[-1] == pytest.approx(4.0 * 90 / 60, rel=1e-10)
    assert got[0] < got[1] < got[5]
    with pytest.raises(ValueError):
        mtginf_hourly_mean_occupancy([-1.0, 2.0], Exponential(10))
    with pytest.raises(ValueError):
        mtginf_mean_occupancy([1.0], Exponential(10), [-5.0])


# --- Confidence intervals -----------------------------------------------------------------------


def test_t_interval_known_values() -> None:
    ci = t_interval([1.0, 2.0, 3.0, 4.0], level=0.95)
    # mean 2.5, sd 1.2910, t_{0.975, 3} = 3.182446
    assert ci.mean == pytest.approx(2.5)
    assert ci.half_width == pytest.approx(3.182446305 * 1.290994449 / 2, rel=1e-8)
    assert ci.contains(2.5) and not ci.contains(5.0)
    assert ci.low < ci.mean < ci.high
    with pytest.raises(ValueError):
        t_interval([1.0])


def test_t_interval_coverage() -> None:
    rng = np.random.default_rng(1)
    hits = sum(t_interval(rng.normal(3.0, 2.0, 10), 0.9).contains(3.0) for _ in range(2000))
    assert 0.87 < hits / 2000 < 0.93


def test_batch_means_and_bonferroni() -> None:
    x = np.arange(103, dtype=float)
    ci = batch_means_interval(x, n_batches=10, level=0.99)
    assert ci.n == 10
    assert ci.mean == pytest.approx(np.arange(100).mean())  # the 3 leftovers are dropped
    assert bonferroni_level(0.999, 24) == pytest.approx(1 - 0.001 / 24)


# --- Priority queues ----------------------------------------------------------------------------


def test_cobham_priority_waits() -> None:
    # Two classes, exponential service mean 1, lam = (0.3, 0.4): W0 = (0.3 * 2 + 0.4 * 2) / 2
    # = 0.7; W1 = 0.7 / (1 * 0.7) = 1, W2 = 0.7 / (0.7 * 0.3) = 10/3.
    w = mg1_priority_mean_waits([0.3, 0.4], [1.0, 1.0], [1.0, 1.0])
    np.testing.assert_allclose(w, [1.0, 10.0 / 3.0])
    # Conservation: the load-weighted mean equals the FIFO (P-K) wait for equal service laws.
    lam = np.array([0.1, 0.25, 0.2])
    w = mg1_priority_mean_waits(lam, [1.2] * 3, [0.5] * 3)
    fifo = mg1_mean_wait(lam.sum(), 1.2, 0.5)
    assert float(np.sum(lam * w) / lam.sum()) == pytest.approx(fifo, rel=1e-12)
    # One class: P-K.
    assert mg1_priority_mean_waits([0.5], [1.5], [2.0])[0] == pytest.approx(mg1_mean_wait(0.5, 1.5, 2.0))
    assert mg1_priority_mean_waits([0.5, 0.5], [1.0, 1.0], [1.0, 1.0])[1] == math.inf


def test_mmc_priority_waits() -> None:
    lam, mu, c = np.array([1.0, 1.5, 2.5]), 2.0, 3
    w = mmc_priority_mean_waits(lam, mu, c)
    # Conservation: the rate-weighted mean wait equals the FIFO M/M/c wait.
    assert float(np.sum(lam * w) / lam.sum()) == pytest.approx(mmc_mean_wait(5.0, mu, c))
    assert w[0] < w[1] < w[2]
    # With one server it is Cobham with exponential service.
    np.testing.assert_allclose(
        mmc_priority_mean_waits([0.3, 0.4], 1.0, 1),
        mg1_priority_mean_waits([0.3, 0.4], [1.0, 1.0], [1.0, 1.0]),
    )
