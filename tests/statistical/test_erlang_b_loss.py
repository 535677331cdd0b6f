"""M/G/c/c loss system with lognormal stays: loss probability against Erlang B.

Formula: P(turned away) = B(c, a) (Erlang B, a = lam E[S] erlangs), which by insensitivity
holds for any service law with mean E[S]; and the carried load, the mean number in service,
is a (1 - B(c, a)) (simcare.analysis.queueing.erlang_b). The service has queue_limit=0, so a
patient who finds every server busy is turned away (OUT_TURNED_AWAY).
Estimate: R = 30 independent replications; in each, the fraction of patients turned away among
those arriving after a 100 h warm-up, and the time-average number in service over the same
hours.
Tolerance: Student-t 99.9% interval across replications, Bonferroni-split between the two
quantities (99.95% each); the theoretical value must lie inside. Power: half-widths below 10%
of B and 2% of the carried load.
The lognormal laws are far from exponential (coefficient of variation 1.5 and 2), so an
engine that, say, resampled or truncated stays would not pass by luck.
"""

from __future__ import annotations

import numpy as np
import pytest

from simcare.analysis.confidence import bonferroni_level, t_interval
from simcare.analysis.estimators import loss_fraction, replicate
from simcare.analysis.queueing import erlang_b
from simcare.engine.result import RunResult
from simcare.network import Network
from simcare.sampling.distributions import Lognormal

SEED = 4202
R = 30
WARM_H = 100
LEVEL = bonferroni_level(0.999, 2)


@pytest.mark.parametrize(
    ("c", "lam", "mean_min", "sd_min", "horizon_h"),
    [
        pytest.param(5, 4.0, 60.0, 90.0, 3000, id="c5-a4-cv1.5"),
        pytest.param(12, 20.0, 30.0, 60.0, 1500, id="c12-a10-cv2"),
    ],
)
def test_loss_probability_matches_erlang_b(
    c: int, lam: float, mean_min: float, sd_min: float, horizon_h: int
) -> None:
    net = Network(horizon_hours=horizon_h)
    net.add_service("cubicles", servers=c, service_time=Lognormal(mean_min, sd_min), queue_limit=0)
    net.add_arrivals("ambulance", to="cubicles", rate_per_hour=lam)
    model = net.compile()
    a = lam * mean_min / 60.0

    def estimate(res: RunResult) -> np.ndarray:
        lost = loss_fraction(res, "cubicles", WARM_H * 60.0, horizon_h * 60.0)
        assert res.waiting.max() == 0.0  # nobody ever waits in a loss system
        return np.array([lost, res.in_service[0, WARM_H:].mean()])

    est = replicate(model, estimate, R, SEED)
    b = erlang_b(c, a)
    ci_b = t_interval(est[:, 0], LEVEL)
    ci_l = t_interval(est[:, 1], LEVEL)
    print(f"B = {b:.5f}, simulated {ci_b}; carried {a * (1 - b):.4f}, simulated {ci_l}")
    assert ci_b.contains(b), f"Erlang B = {b:.5f} outside {ci_b}"
    assert ci_l.contains(a * (1 - b)), f"carried load {a * (1 - b):.4f} outside {ci_l}"
    assert ci_b.half_width < 0.10 * b, f"interval too wide to be a test: {ci_b}"
    assert ci_l.half_width < 0.02 * a * (1 - b), f"interval too wide to be a test: {ci_l}"
