"""M/M/c: mean wait in queue and probability of waiting against Erlang C.

Formula: P(wait) = C(c, a) (Erlang C, a = lam E[S] erlangs) and Wq = C(c, a) / (c mu - lam)
(simcare.analysis.queueing.erlang_c / mmc_mean_wait).
Estimate: R = 30 independent replications (seed fixed, replication = 0..29); in each, the
patients arriving after a 200 h warm-up and at least 50 h before the horizon (so all of them
have started service) give one mean wait and one fraction of patients who waited.
Tolerance: a Student-t 99.9% confidence interval of the mean across replications, split by
Bonferroni between the two quantities (99.95% each); the theoretical value must lie inside.
Power: the interval's half-width must be below 10% of Wq (2.5 points for P(wait)), so that a
real error of that size would be caught.
"""

from __future__ import annotations

import numpy as np
import pytest

from simcare.analysis.confidence import bonferroni_level, t_interval
from simcare.analysis.estimators import mean_wait, replicate, wait_probability
from simcare.analysis.queueing import erlang_c, mmc_mean_wait
from simcare.engine.result import RunResult
from simcare.network import Network
from simcare.sampling.distributions import Exponential

SEED = 4101
R = 30
WARM_H, TAIL_H = 200, 50
LEVEL = bonferroni_level(0.999, 2)


@pytest.mark.parametrize(
    ("c", "lam", "mean_min", "horizon_h"),
    [
        pytest.param(1, 1.5, 30.0, 8000, id="M/M/1-rho0.75"),
        pytest.param(3, 5.0, 30.0, 5000, id="M/M/3-rho0.83"),
        pytest.param(10, 16.0, 30.0, 3000, id="M/M/10-rho0.80"),
    ],
)
def test_mmc_wait_matches_erlang_c(c: int, lam: float, mean_min: float, horizon_h: int) -> None:
    net = Network(horizon_hours=horizon_h)
    net.add_service("s", servers=c, service_time=Exponential(mean_min))
    net.add_arrivals("walk_in", to="s", rate_per_hour=lam)
    model = net.compile()
    lo, hi = WARM_H * 60.0, (horizon_h - TAIL_H) * 60.0

    def estimate(res: RunResult) -> np.ndarray:
        return np.array([mean_wait(res, "s", lo, hi), wait_probability(res, "s", lo, hi)])

    est = replicate(model, estimate, R, SEED)
    wq = 60.0 * mmc_mean_wait(lam, 60.0 / mean_min, c)  # minutes
    pw = erlang_c(c, lam * mean_min / 60.0)
    ci_w = t_interval(est[:, 0], LEVEL)
    ci_p = t_interval(est[:, 1], LEVEL)
    print(f"Wq = {wq:.3f} min, simulated {ci_w}; P(wait) = {pw:.4f}, simulated {ci_p}")
    assert ci_w.contains(wq), f"Wq = {wq:.4f} min outside {ci_w}"
    assert ci_p.contains(pw), f"P(wait) = {pw:.4f} outside {ci_p}"
    assert ci_w.half_width < 0.10 * wq, f"interval too wide to be a test: {ci_w}"
    assert ci_p.half_width < 0.025, f"interval too wide to be a test: {ci_p}"
