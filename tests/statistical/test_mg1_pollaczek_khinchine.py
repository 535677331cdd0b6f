"""M/G/1 mean wait in queue against the Pollaczek-Khinchine formula, for non-exponential laws.

Formula: Wq = lam E[S^2] / (2 (1 - rho)), E[S^2] = Var S + E[S]^2, rho = lam E[S]
(simcare.analysis.queueing.mg1_mean_wait). All laws have mean 30 min and lam = 1.4/h
(rho = 0.7), so they differ only through Var S: Wq ranges from 35 min (fixed) to 105 min
(gamma shape 0.5). Each law exercises a different sampler in the engine.
Estimate: R = 30 independent replications of 8000 h; in each, the mean wait of the patients
arriving after a 200 h warm-up and at least 50 h before the horizon.
Tolerance: Student-t 99.9% interval across replications; the formula must lie inside.
Power: half-width below 10% of Wq. Wq is proportional to E[S^2], so a sampler with the right
mean but a second moment off by 20% or more would fail.
"""

from __future__ import annotations

import math

import pytest

from simcare.analysis.confidence import t_interval
from simcare.analysis.estimators import mean_wait, replicate
from simcare.analysis.queueing import mg1_mean_wait
from simcare.engine.result import RunResult
from simcare.network import Network
from simcare.sampling.distributions import (
    Distribution,
    Fixed,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
    Weibull,
)

SEED = 4303
R = 30
HORIZON_H, WARM_H, TAIL_H = 8000, 200, 50
LAM = 1.4  # patients per hour


@pytest.mark.parametrize(
    "law",
    [
        pytest.param(Gamma(2.0, 15.0), id="gamma-k2"),
        pytest.param(Gamma(0.5, 60.0), id="gamma-k0.5"),
        pytest.param(Uniform(10.0, 50.0), id="uniform"),
        pytest.param(Triangular(5.0, 15.0, 70.0), id="triangular"),
        pytest.param(Fixed(30.0), id="fixed"),
        pytest.param(Weibull(1.5, 30.0 / math.gamma(1 + 1 / 1.5)), id="weibull-k1.5"),
        pytest.param(Lognormal(30.0, 20.0), id="lognormal"),
    ],
)
def test_mg1_wait_matches_pollaczek_khinchine(law: Distribution) -> None:
    assert law.mean == pytest.approx(30.0)
    net = Network(horizon_hours=HORIZON_H)
    net.add_service("clinician", servers=1, service_time=law)
    net.add_arrivals("walk_in", to="clinician", rate_per_hour=LAM)
    model = net.compile()

    def estimate(res: RunResult) -> float:
        return mean_wait(res, "clinician", WARM_H * 60.0, (HORIZON_H - TAIL_H) * 60.0)

    est = replicate(model, estimate, R, SEED)
    wq = mg1_mean_wait(LAM / 60.0, law.mean, law.variance)  # per minute -> minutes
    ci = t_interval(est, 0.999)
    print(f"{law}: P-K Wq = {wq:.3f} min, simulated {ci}")
    assert ci.contains(wq), f"P-K Wq = {wq:.4f} min outside {ci}"
    assert ci.half_width < 0.10 * wq, f"interval too wide to be a test: {ci}"
