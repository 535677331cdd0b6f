"""Non-preemptive priority classes: mean wait of each class against Cobham's formula.

Formulas (simcare.analysis.queueing): M/G/1 (Cobham) W_k = W0 / ((1 - sigma_{k-1})(1 - sigma_k)),
W0 = sum_i lam_i E[S_i^2] / 2, sigma_k = cumulated load of classes 1..k; M/M/c with one
service rate: W_k = C(c, a) / (c mu (1 - sigma_{k-1})(1 - sigma_k)).
Cases: M/G/1 with urgent patients 0.9/h, uniform 10-30 min, and routine patients 0.6/h,
gamma mean 40 min (shape 2) (rho = 0.7); M/M/3 with exp mean 30 min, urgent 1.5/h and routine
3/h (rho = 0.75). Groups: "urgent" priority 1 is served before "routine" priority 0.
Estimate: R = 30 replications of 6000 h; in each, the mean wait of each group's patients
arriving after a 200 h warm-up and at least 100 h before the horizon.
Tolerance: Student-t 99.9% interval across replications, Bonferroni-split over the two classes
(99.95% each); both formulas must lie inside. Power: half-widths below 10% of W_k, and the
classes' waits differ by far more than that (so FIFO service would fail).
"""

from __future__ import annotations

import numpy as np
import pytest

from simcare.analysis.confidence import bonferroni_level, t_interval
from simcare.analysis.estimators import in_window, replicate
from simcare.analysis.queueing import mg1_priority_mean_waits, mmc_priority_mean_waits
from simcare.engine.result import RunResult
from simcare.network import Network
from simcare.sampling.distributions import Distribution, Exponential, Gamma, Uniform

SEED = 4808
R = 30
HORIZON_H, WARM_H, TAIL_H = 6000, 200, 100
CLASSES = ("urgent", "routine")
LEVEL = bonferroni_level(0.999, 2)

URGENT_LAW, ROUTINE_LAW = Uniform(10.0, 30.0), Gamma(2.0, 20.0)
CASES: dict[str, tuple[int, dict[str, Distribution], tuple[float, float]]] = {
    "M/G/1-cobham": (1, {"urgent": URGENT_LAW, "routine": ROUTINE_LAW}, (0.9, 0.6)),
    "M/M/3-priority": (3, {"*": Exponential(30.0)}, (1.5, 3.0)),
}


def theory(case: str) -> np.ndarray:
    c, _laws, lams = CASES[case]
    if case == "M/G/1-cobham":
        per_min = [lam / 60.0 for lam in lams]
        laws_k = [URGENT_LAW, ROUTINE_LAW]
        return mg1_priority_mean_waits(per_min, [d.mean for d in laws_k], [d.variance for d in laws_k])
    return 60.0 * mmc_priority_mean_waits(lams, 2.0, c)


@pytest.mark.parametrize("case", list(CASES))
def test_priority_class_waits(case: str) -> None:
    c, laws, lams = CASES[case]
    net = Network(horizon_hours=HORIZON_H)
    net.add_group("urgent", priority=1)
    net.add_group("routine", priority=0)
    net.add_service("clinic", servers=c, service_time=laws)
    for name, lam in zip(CLASSES, lams, strict=True):
        net.add_arrivals(name, to="clinic", rate_per_hour=lam, groups={name: 1.0})
    model = net.compile()

    def estimate(res: RunResult) -> np.ndarray:
        v = res.visits[in_window(res, "clinic", WARM_H * 60.0, (HORIZON_H - TAIL_H) * 60.0)]
        assert not np.isnan(v["start"]).any()
        wait = v["start"] - v["arrival"]
        return np.array([wait[v["group"] == g].mean() for g in range(len(CLASSES))])

    est = replicate(model, estimate, R, SEED)
    expected = theory(case)
    for k, name in enumerate(CLASSES):
        ci = t_interval(est[:, k], LEVEL)
        print(f"{case} {name}: formula {expected[k]:.3f} min, simulated {ci}")
        assert ci.contains(expected[k]), f"{name}: {expected[k]:.4f} min outside {ci}"
        assert ci.half_width < 0.10 * expected[k], f"interval too wide to be a test: {ci}"
    assert expected[1] > 2 * expected[0]
