"""Queueing-theory results used as ground truth for the engines.

Units. Every function states its units. The general rule: rates and times must use the same
time unit (a rate per hour goes with times in hours; a rate per minute with times in minutes),
and results come back in that unit. The exceptions are the time-varying infinite-server
functions (``mtginf_*``), which follow the engine's own conventions: arrival rates in patients per
hour for each hour of the run, service durations and times in minutes.

Contents
    erlang_b, erlang_c           blocking / waiting probability of M/G/c/c and M/M/c
    mmc_mean_wait, mmc_mean_sojourn, mmc_mean_queue_length
    mg1_mean_wait                Pollaczek-Khinchine mean wait of M/G/1
    mg1_priority_mean_waits      Cobham: M/G/1 with non-preemptive priority classes
    mmc_priority_mean_waits      M/M/c with non-preemptive priority classes (same service rate)
    jackson_network              open Jackson network: traffic equations + M/M/c per node
    jackson_mean_sojourn         its mean time in the network per external arrival
    survival_function            P(S > u) of a simcare service-time distribution
    mtginf_mean_occupancy        E[N(t)] of M_t/G/inf with piecewise-constant hourly rates
    mtginf_hourly_mean_occupancy the same, time-averaged over each hour of the run
    leave_window_wait            mean wait, and when patients leave, under a leave window (R15a)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import integrate, special

from simcare.model.leave_window import LeaveWindowWait as LeaveWindowWait  # re-exported
from simcare.model.leave_window import leave_window_wait as leave_window_wait
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
)

Survival = Callable[[float], float]

# --- Erlang formulas ----------------------------------------------------------------------------


def _check_servers(c: int | float, allow_zero: bool) -> int:
    if isinstance(c, bool) or int(c) != c or c < (0 if allow_zero else 1):
        bound = 0 if allow_zero else 1
        raise ValueError(f"number of servers must be an integer >= {bound}, got {c!r}")
    return int(c)


def _check_load(a: float) -> float:
    a = float(a)
    if not (a >= 0 and math.isfinite(a)):
        raise ValueError(f"offered load must be a finite number >= 0 erlangs, got {a!r}")
    return a


def erlang_b(c: int, a: float) -> float:
    """Erlang B: probability that an arrival finds all ``c`` servers busy in M/G/c/c.

    ``c``: servers (integer >= 0); ``a``: offered load in erlangs (arrival rate times mean
    service time, dimensionless). By insensitivity the result holds for any service-time law
    with that mean. Computed by the stable recursion B(0) = 1,
    B(k) = a B(k-1) / (k + a B(k-1)), which never overflows (unlike a^c / c!).
    """
    c = _check_servers(c, allow_zero=True)
    a = _check_load(a)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C: probability that an arrival has to wait in M/M/c (infinite queue, FIFO).

    ``c``: servers (integer >= 1); ``a``: offered load in erlangs. Computed from Erlang B as
    C = c B / (c - a (1 - B)). Returns 1.0 when a >= c (no steady state: everyone eventually
    waits).
    """
    c = _check_servers(c, allow_zero=False)
    a = _check_load(a)
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def _check_rate(name: str, x: float) -> float:
    x = float(x)
    if not (x >= 0 and math.isfinite(x)):
        raise ValueError(f"{name} must be a finite number >= 0, got {x!r}")
    return x


def mmc_mean_wait(lam: float, mu: float, c: int | float) -> float:
    """Mean time in queue (before service starts), Wq, of a stationary M/M/c queue.

    ``lam``: arrival rate; ``mu``: service rate of one server (1 / mean service time), both per
    the same time unit; ``c``: servers (integer >= 1, or ``math.inf``: no wait). The result is
    in that time unit: Wq = C(c, lam/mu) / (c mu - lam). Returns ``math.inf`` if lam >= c mu.
    """
    lam = _check_rate("lam", lam)
    mu = _check_rate("mu", mu)
    if mu <= 0:
        raise ValueError(f"mu must be > 0, got {mu!r}")
    if c == math.inf:
        return 0.0
    n = _check_servers(c, allow_zero=False)
    if lam >= n * mu:
        return math.inf
    return erlang_c(n, lam / mu) / (n * mu - lam)


def mmc_mean_sojourn(lam: float, mu: float, c: int | float) -> float:
    """Mean time in system (queue plus service) of M/M/c: Wq + 1/mu, in the unit of 1/mu."""
    return mmc_mean_wait(lam, mu, c) + 1.0 / float(mu)


def mmc_mean_queue_length(lam: float, mu: float, c: int | float) -> float:
    """Mean number waiting (not in service) of M/M/c: Lq = lam Wq (Little), dimensionless."""
    w = mmc_mean_wait(lam, mu, c)
    return 0.0 if w == 0.0 else float(lam) * w


def mg1_mean_wait(lam: float, mean_s: float, var_s: float) -> float:
    """Pollaczek-Khinchine mean time in queue of a stationary M/G/1 (FIFO) queue.

    ``lam``: arrival rate per time unit; ``mean_s``: mean service time and ``var_s``: its
    variance, in that time unit (squared for the variance). Result in that time unit:
    Wq = lam E[S^2] / (2 (1 - rho)), E[S^2] = var_s + mean_s^2, rho = lam mean_s.
    Returns ``math.inf`` if rho >= 1.
    """
    lam = _check_rate("lam", lam)
    mean_s = _check_rate("mean_s", mean_s)
    var_s = _check_rate("var_s", var_s)
    rho = lam * mean_s
    if rho >= 1.0:
        return math.inf
    return lam * (var_s + mean_s * mean_s) / (2.0 * (1.0 - rho))


def _classes(lams: npt.ArrayLike) -> np.ndarray:
    lam = np.asarray(lams, dtype=np.float64)
    if lam.ndim != 1 or lam.shape[0] == 0 or (lam < 0).any() or not np.isfinite(lam).all():
        raise ValueError("class arrival rates must be a non-empty list of finite rates >= 0")
    return lam


def mg1_priority_mean_waits(
    lams: npt.ArrayLike, means: npt.ArrayLike, variances: npt.ArrayLike
) -> np.ndarray:
    """Cobham's mean time in queue of each class of an M/G/1 queue with non-preemptive
    priorities (classes listed from the highest priority down, FIFO within a class).

    ``lams[k]``: arrival rate of class k per time unit; ``means[k]``, ``variances[k]``: its
    service-time mean and variance in that time unit. Result in that time unit:
    W_k = W0 / ((1 - sigma_{k-1}) (1 - sigma_k)), W0 = sum_i lam_i E[S_i^2] / 2 (the mean
    residual work in service), sigma_k = sum_{i <= k} lam_i E[S_i]. ``inf`` for the classes
    whose cumulated load reaches 1.
    """
    lam = _classes(lams)
    m = np.asarray(means, dtype=np.float64)
    v = np.asarray(variances, dtype=np.float64)
    if m.shape != lam.shape or v.shape != lam.shape or (m < 0).any() or (v < 0).any():
        raise ValueError("means and variances must be >= 0, one per class")
    w0 = float(np.sum(lam * (v + m * m))) / 2.0
    sigma = np.cumsum(lam * m)
    before = np.concatenate([[0.0], sigma[:-1]])
    with np.errstate(divide="ignore"):
        w = np.where(sigma < 1.0, w0 / ((1.0 - before) * (1.0 - sigma)), math.inf)
    return np.asarray(w)


def mmc_priority_mean_waits(lams: npt.ArrayLike, mu: float, c: int) -> np.ndarray:
    """Mean time in queue of each class of an M/M/c queue with non-preemptive priorities
    (classes from the highest priority down, FIFO within a class, one service rate ``mu`` for
    all classes).

    ``lams[k]``: arrival rate of class k and ``mu``: service rate of one server, per the same
    time unit; result in that unit: W_k = C(c, a) / (c mu (1 - sigma_{k-1}) (1 - sigma_k)),
    a = sum lam / mu, sigma_k = sum_{i <= k} lam_i / (c mu). ``inf`` where sigma_k >= 1.
    """
    lam = _classes(lams)
    mu = _check_rate("mu", mu)
    if mu <= 0:
        raise ValueError(f"mu must be > 0, got {mu!r}")
    n = _check_servers(c, allow_zero=False)
    sigma = np.cumsum(lam) / (n * mu)
    before = np.concatenate([[0.0], sigma[:-1]])
    pw = erlang_c(n, float(lam.sum()) / mu)
    with np.errstate(divide="ignore"):
        w = np.where(sigma < 1.0, pw / (n * mu * (1.0 - before) * (1.0 - sigma)), math.inf)
    return np.asarray(w)


# --- Open Jackson networks ----------------------------------------------------------------------


@dataclass(frozen=True)
class JacksonNetwork:
    """Stationary means of an open Jackson network (every node an M/M/c queue).

    All arrays have one entry per node. Times are in the time unit of the rates given to
    :func:`jackson_network`.

    arrival_rates: total arrival rate at each node (solution of the traffic equations)
    utilisation: arrival rate / (servers x service rate) (0 for an infinite-server node)
    mean_wait: mean time in queue per visit
    mean_sojourn_node: mean time at the node per visit (queue plus service)
    mean_number: mean number at the node (queue plus service)
    visits_per_patient: mean visits to the node per external arrival
    mean_sojourn: mean time in the network per external arrival (sum of mean_number divided by
        the total external arrival rate, Little's law)
    """

    arrival_rates: np.ndarray
    utilisation: np.ndarray
    mean_wait: np.ndarray
    mean_sojourn_node: np.ndarray
    mean_number: np.ndarray
    visits_per_patient: np.ndarray
    mean_sojourn: float


def jackson_network(
    external_rates: npt.ArrayLike,
    routing: npt.ArrayLike,
    service_rates: npt.ArrayLike,
    servers: Sequence[int | float],
) -> JacksonNetwork:
    """Solve an open Jackson network: traffic equations, then an M/M/c queue at each node.

    ``external_rates[i]``: Poisson arrival rate from outside into node i (per time unit);
    ``routing[i][j]``: probability that a patient finishing at i goes next to j (rows may sum to
    less than 1: the rest leaves); ``service_rates[i]``: rate of one server at i (1 / mean
    service time, per the same time unit); ``servers[i]``: integer >= 1 or ``math.inf``.
    The traffic equations lam = gamma + P^T lam are solved directly. Jackson's theorem makes the
    stationary joint law a product of M/M/c marginals, so the per-node means are exact (with or
    without feedback). Times in the result are in the rates' time unit; an unstable node
    (lam >= c mu) gives ``inf`` waits.
    """
    gamma = np.asarray(external_rates, dtype=np.float64)
    P = np.asarray(routing, dtype=np.float64)
    mu = np.asarray(service_rates, dtype=np.float64)
    n = gamma.shape[0]
    if gamma.ndim != 1 or P.shape != (n, n) or mu.shape != (n,) or len(servers) != n:
        raise ValueError("external_rates, routing (n x n), service_rates and servers must agree")
    if (gamma < 0).any() or not np.isfinite(gamma).all() or gamma.sum() <= 0:
        raise ValueError("external rates must be finite, >= 0 and not all zero")
    if (P < 0).any() or (P.sum(axis=1) > 1 + 1e-12).any():
        raise ValueError("routing probabilities must be >= 0 with rows summing to at most 1")
    if (mu <= 0).any() or not np.isfinite(mu).all():
        raise ValueError("service rates must be finite and > 0")
    if np.max(np.abs(np.linalg.eigvals(P))) >= 1 - 1e-12:
        raise ValueError("routing matrix lets patients circulate for ever (spectral radius >= 1)")
    lam = np.linalg.solve(np.eye(n) - P.T, gamma)
    lam = np.maximum(lam, 0.0)  # remove -0.0 / round-off on unreachable nodes
    util = np.zeros(n)
    wait = np.zeros(n)
    for i in range(n):
        c = servers[i]
        wait[i] = mmc_mean_wait(lam[i], mu[i], c)
        util[i] = 0.0 if c == math.inf else lam[i] / (float(c) * mu[i])
    sojourn_node = wait + 1.0 / mu
    number = lam * sojourn_node
    return JacksonNetwork(
        arrival_rates=lam,
        utilisation=util,
        mean_wait=wait,
        mean_sojourn_node=sojourn_node,
        mean_number=number,
        visits_per_patient=lam / gamma.sum(),
        mean_sojourn=float(number.sum() / gamma.sum()),
    )


def jackson_mean_sojourn(
    external_rates: npt.ArrayLike,
    routing: npt.ArrayLike,
    service_rates: npt.ArrayLike,
    servers: Sequence[int | float],
) -> float:
    """Mean time in an open Jackson network per external arrival (units: the rates' time unit).

    See :func:`jackson_network` for the arguments. For a feed-forward network this equals the
    visit-probability-weighted sum of the nodes' M/M/c mean sojourns.
    """
    return jackson_network(external_rates, routing, service_rates, servers).mean_sojourn


# --- The time-varying infinite-server queue M_t/G/inf -------------------------------------------


def survival_function(dist: Distribution) -> tuple[Survival, tuple[float, ...]]:
    """P(S > u) for a simcare service-time distribution (u in minutes), and its kinks.

    Returns ``(survival, breakpoints)``: breakpoints are the durations (minutes) where the
    survival function is not smooth (jumps or kinks), to help numerical integration.
    """
    if isinstance(dist, Exponential):
        m = dist.mean_minutes
        return (lambda u: math.exp(-u / m) if u > 0 else 1.0), ()
    if isinstance(dist, Lognormal):
        mu, sigma, _ = dist.params()
        return (
            lambda u: 0.5 * math.erfc((math.log(u) - mu) / (sigma * math.sqrt(2.0))) if u > 0 else 1.0
        ), ()
    if isinstance(dist, Gamma):
        k, theta = dist.shape, dist.scale_minutes
        return (lambda u: float(special.gammaincc(k, u / theta)) if u > 0 else 1.0), ()
    if isinstance(dist, Weibull):
        k, scale = dist.shape, dist.scale_minutes
        return (lambda u: math.exp(-((u / scale) ** k)) if u > 0 else 1.0), ()
    if isinstance(dist, Triangular):
        a, c, b = dist.low, dist.mode, dist.high

        def tri(u: float) -> float:
            if u <= a:
                return 1.0
            if u >= b:
                return 0.0
            if u <= c:
                return 1.0 - (u - a) ** 2 / ((b - a) * (c - a))
            return (b - u) ** 2 / ((b - a) * (b - c))

        return tri, (a, c, b)
    if isinstance(dist, Uniform):
        lo, hi = dist.low, dist.high
        return (lambda u: 1.0 if u <= lo else (0.0 if u >= hi else (hi - u) / (hi - lo))), (lo, hi)
    if isinstance(dist, Fixed):
        v = dist.value
        return (lambda u: 1.0 if u < v else 0.0), (v,)
    if isinstance(dist, Empirical):
        values = np.sort(np.asarray(dist.values, dtype=np.float64))
        n = values.shape[0]
        return (lambda u: float(n - np.searchsorted(values, u, side="right")) / n), tuple(
            float(x) for x in np.unique(values)
        )
    raise TypeError(f"no survival function for {dist!r}")


def _as_survival(
    service: Distribution | Survival, breakpoints: Sequence[float]
) -> tuple[Survival, tuple[float, ...]]:
    if isinstance(service, Distribution):
        sf, bp = survival_function(service)
        return sf, tuple(sorted(set(bp) | {float(b) for b in breakpoints}))
    if callable(service):
        return service, tuple(sorted({float(b) for b in breakpoints}))
    raise TypeError(f"service must be a Distribution or a survival function, got {service!r}")


def _quad(f: Callable[[float], float], a: float, b: float, bp: tuple[float, ...]) -> float:
    """Integral of f over [a, b] (scipy quad), splitting at breakpoints inside the interval."""
    if b <= a:
        return 0.0
    points = [p for p in bp if a < p < b]
    value, _err = integrate.quad(f, a, b, points=points or None, limit=200, epsabs=1e-13, epsrel=1e-12)
    return float(value)


_TAIL = 1e-15  # lags where P(S > u) < _TAIL contribute nothing


def _weighted(sf: Survival, b: float) -> Survival:
    """u -> (b - u) P(S > u)."""
    return lambda u: (b - u) * sf(u)


class _LagIntegrals:
    """Integrals of the survival function over hour-long lags [60 j, 60 j + 60] (minutes)."""

    def __init__(self, sf: Survival, bp: tuple[float, ...], n: int) -> None:
        self.sf, self.bp = sf, bp
        # G0[j] = integral of sf over [0, 60 j]; K[j] = integral of G over [60 j, 60 j + 60].
        self.G0 = np.zeros(n + 1)
        self.K = np.zeros(n)
        tail_from = n
        for j in range(n):
            a, b = 60.0 * j, 60.0 * (j + 1)
            if sf(a) < _TAIL:
                tail_from = j
                break
            self.G0[j + 1] = self.G0[j] + _quad(sf, a, b, bp)
            self.K[j] = 60.0 * self.G0[j] + _quad(_weighted(sf, b), a, b, bp)
        if tail_from < n:
            self.G0[tail_from + 1 :] = self.G0[tail_from]
            self.K[tail_from:] = 60.0 * self.G0[tail_from]
        self.tail_from = tail_from

    def integral(self, j: int, frac: float) -> float:
        """Integral of sf over [0, 60 j + frac], 0 <= frac < 60."""
        if frac == 0.0 or j >= self.tail_from:
            return float(self.G0[j]) if j < self.G0.shape[0] else float(self.G0[-1])
        return float(self.G0[j]) + _quad(self.sf, 60.0 * j, 60.0 * j + frac, self.bp)


def _hourly(hourly_rates: npt.ArrayLike) -> np.ndarray:
    r = np.asarray(hourly_rates, dtype=np.float64)
    if r.ndim != 1 or r.shape[0] == 0 or (r < 0).any() or not np.isfinite(r).all():
        raise ValueError("hourly_rates must be a non-empty 1-d array of finite rates >= 0")
    return r


def mtginf_mean_occupancy(
    hourly_rates: npt.ArrayLike,
    service: Distribution | Survival,
    times: npt.ArrayLike,
    *,
    breakpoints: Sequence[float] = (),
) -> np.ndarray:
    """Expected number in service E[N(t)] of an M_t/G/inf queue, empty at time 0.

    E[N(t)] = integral over u in [0, t] of lam(t - u) P(S > u) du (Eick, Massey & Whitt 1993).
    ``hourly_rates[h]``: Poisson arrival rate in patients per hour during minutes
    [60 h, 60 h + 60) (zero after the last hour: like the engine's ``stream_rate`` row);
    ``service``: a simcare Distribution or a survival function u -> P(S > u), u in minutes;
    ``times``: minutes since the start; ``breakpoints``: durations (minutes) where a custom
    survival function jumps. With piecewise-constant rates the integral splits into hour-long
    lags of the survival function, each computed with scipy's adaptive quadrature, so the
    result is exact to quadrature accuracy (~1e-10 relative). Returns an array like ``times``
    (patients).
    """
    r = _hourly(hourly_rates)
    sf, bp = _as_survival(service, breakpoints)
    t = np.asarray(times, dtype=np.float64)
    if (t < 0).any() or not np.isfinite(t).all():
        raise ValueError("times must be finite and >= 0 minutes")
    H = r.shape[0]
    m_max = int(np.floor(t.max() / 60.0)) if t.size else 0
    lags = _LagIntegrals(sf, bp, max(m_max + 1, 1))
    out = np.empty(t.shape)
    for idx, ti in np.ndenumerate(t):
        m = int(math.floor(ti / 60.0))
        frac = ti - 60.0 * m
        total = 0.0
        prev = 0.0  # integral of sf over [0, 60 (j - 1) + frac] (0 for j = 0)
        for j in range(m + 1):  # arrivals during hour m - j, which ended 60 j + frac ago
            g = lags.integral(j, frac)
            h = m - j
            if h < H:
                total += r[h] / 60.0 * (g - prev)
            prev = g
        out[idx] = total
    return out


def mtginf_hourly_mean_occupancy(
    hourly_rates: npt.ArrayLike,
    service: Distribution | Survival,
    *,
    breakpoints: Sequence[float] = (),
) -> np.ndarray:
    """Time-average of E[N(t)] over each hour of an M_t/G/inf queue that starts empty.

    Same model and units as :func:`mtginf_mean_occupancy`; returns one value (patients) per
    hour of ``hourly_rates``: (1/60) * integral of E[N(t)] over minutes [60 k, 60 k + 60), the
    quantity the engine's hourly ``in_service`` estimates. Exact for piecewise-constant rates:
    the hour averages are a discrete convolution of the rates with
    D(j) = K(j) - K(j - 1), K(j) = integral over [60 j, 60 j + 60] of
    G(y) = integral of P(S > u) over [0, y]. Each K(j) is one adaptive scipy quadrature.
    """
    r = _hourly(hourly_rates)
    sf, bp = _as_survival(service, breakpoints)
    H = r.shape[0]
    K = _LagIntegrals(sf, bp, H).K
    D = np.diff(K, prepend=0.0)
    return np.convolve(r, D)[:H] / 3600.0
