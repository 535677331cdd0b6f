"""Time-varying infinite-server queue M_t/G/inf: mean occupancy by hour against the exact
formula.

Formula: E[N(t)] = integral over u >= 0 of lam(t - u) P(S > u) du (Eick, Massey & Whitt 1993),
evaluated exactly for piecewise-constant hourly rates and averaged over each hour
(simcare.analysis.queueing.mtginf_hourly_mean_occupancy), starting from an empty system like
the engine. Arrival rate: 6/h times 1 + 0.5 sin(2 pi (h + 0.5) / 24) in hour of day h, given as
``hour_of_week`` (the 24 h sinusoid repeated 7 times). Stays: lognormal, mean 150 min,
sd 100 min, so the peak occupancy lags the peak arrivals by about two hours and its amplitude is
damped: a model that ignored the lag (lam(t) E[S]) is rejected by the same test.
Estimates, per replication, of the engine's hourly time-average ``in_service``:
  * daily profile: the mean over days 2..224 of a 32-week run, for each of the 24 hours of day
    (R = 30 replications);
  * transient from empty: each of the first 36 hours of a 36 h run (R = 600 replications).
Tolerance: Student-t 99.9% family-wise intervals across replications, Bonferroni-split over the
24 (resp. 36) hours; the exact value must lie inside each. Power: the daily-profile
half-widths are below 2.5% of the mean occupancy (15 patients).
"""

from __future__ import annotations

import math

import numpy as np

from simcare.analysis.confidence import bonferroni_level, t_interval
from simcare.analysis.estimators import replicate
from simcare.analysis.queueing import mtginf_hourly_mean_occupancy
from simcare.engine.result import RunResult
from simcare.network import Network
from simcare.sampling.distributions import Lognormal

SEED = 4505
BASE = 6.0  # patients per hour
DAY = np.array([1.0 + 0.5 * math.sin(2 * math.pi * (h + 0.5) / 24) for h in range(24)])
STAY = Lognormal(150.0, 100.0)


def network(horizon_h: int) -> Network:
    net = Network(horizon_hours=horizon_h)
    net.add_service("observation", servers=math.inf, service_time=STAY)
    net.add_arrivals("arrivals", to="observation", rate_per_hour=BASE, hour_of_week=np.tile(DAY, 7).tolist())
    return net


def test_daily_occupancy_profile_matches_mtginf() -> None:
    days, R = 224, 30
    model = network(24 * days).compile()
    rates = BASE * np.tile(DAY, days)
    np.testing.assert_allclose(model.stream_rate[0], rates)
    exact = mtginf_hourly_mean_occupancy(rates, STAY).reshape(days, 24)[1:].mean(axis=0)

    def profile(res: RunResult) -> np.ndarray:
        assert res.waiting.max() == 0.0  # infinite servers: nobody waits
        return res.in_service[0].reshape(days, 24)[1:].mean(axis=0)

    est = replicate(model, profile, R, SEED)
    level = bonferroni_level(0.999, 24)
    naive = BASE * DAY * STAY.mean / 60.0  # no lag: what a stationary model would say
    rejected_naive = 0
    for h in range(24):
        ci = t_interval(est[:, h], level)
        print(f"hour {h:2d}: exact {exact[h]:.4f}, naive {naive[h]:.3f}, simulated {ci}")
        assert ci.contains(exact[h]), f"hour {h}: M_t/G/inf {exact[h]:.4f} outside {ci}"
        assert ci.half_width < 0.025 * BASE * STAY.mean / 60.0, f"too wide: {ci}"
        rejected_naive += not ci.contains(naive[h])
    # The profile really is time-varying and lagged: the test can tell the difference.
    assert exact.max() - exact.min() > 5.0
    assert rejected_naive >= 20
    assert abs(int(np.argmax(exact)) - int(np.argmax(DAY))) >= 1


def test_occupancy_from_empty_matches_mtginf_hour_by_hour() -> None:
    hours, R = 36, 600
    model = network(hours).compile()
    exact = mtginf_hourly_mean_occupancy(BASE * np.tile(DAY, 2)[:hours], STAY)
    est = replicate(model, lambda res: res.in_service[0], R, SEED)
    level = bonferroni_level(0.999, hours)
    for h in range(hours):
        ci = t_interval(est[:, h], level)
        print(f"hour {h:2d}: exact {exact[h]:.4f}, simulated {ci}")
        assert ci.contains(exact[h]), f"hour {h}: M_t/G/inf {exact[h]:.4f} outside {ci}"
    # the first hour is far below the later ones: the run really starts empty
    assert exact[0] < 0.25 * exact[12]
