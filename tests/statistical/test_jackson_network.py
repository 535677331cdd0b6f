"""Open Jackson networks: mean time in the network and at each node.

Formula: traffic equations lam = gamma + P^T lam, then an M/M/c queue at each node (Jackson's
theorem): L_i from Erlang C, per-visit sojourn W_i = L_i / lam_i, and mean time in the network
per patient W = sum_i L_i / sum_i gamma_i (simcare.analysis.queueing.jackson_network).
Networks: the triage network of the brief (10/h -> triage, 2 servers, exp mean 5 min -> 0.3
minors, 3 servers, exp mean 30 / 0.7 majors, 8 servers, exp mean 45), which is feed-forward;
and the same network with feedback (majors -> triage 0.15, minors -> majors 0.1), where the
flows inside are no longer Poisson but the product form still holds.
Estimate: R = 30 replications of 2000 h; in each, patients whose first arrival is after a
100 h warm-up and at least 50 h before the horizon give the mean time in the network, and
their visits the mean time at each node.
Tolerance: Student-t 99.9% interval across replications, Bonferroni-split over the 4
comparisons (network + 3 nodes, 99.975% each); every theoretical value must lie inside.
Power: half-width of the network sojourn below 3% of its value.
"""

from __future__ import annotations

import numpy as np
import pytest

from simcare.analysis.confidence import bonferroni_level, t_interval
from simcare.analysis.estimators import patient_sojourns, replicate, visit_sojourns
from simcare.analysis.queueing import jackson_network
from simcare.engine.result import RunResult
from simcare.network import Network
from simcare.sampling.distributions import Exponential

SEED = 4404
R = 30
HORIZON_H, WARM_H, TAIL_H = 2000, 100, 50
NODES = ("triage", "minors", "majors")
SERVERS = (2, 3, 8)
MEANS = (5.0, 30.0, 45.0)  # minutes
LEVEL = bonferroni_level(0.999, 4)


def build(feedback: bool, horizon_h: float = HORIZON_H) -> tuple[Network, np.ndarray]:
    """The triage network and its routing matrix (rows: from, columns: to, in NODES order)."""
    net = Network(horizon_hours=horizon_h)
    for name, c, m in zip(NODES, SERVERS, MEANS, strict=True):
        net.add_service(name, servers=c, service_time=Exponential(m))
    net.add_arrivals("walk_in", to="triage", rate_per_hour=10.0)
    net.add_route("triage", [("minors", 0.3), ("majors", 0.7)])
    P = np.array([[0, 0.3, 0.7], [0, 0, 0], [0, 0, 0]])
    if feedback:
        net.add_route("minors", [("majors", 0.1), (None, 0.9)])
        net.add_route("majors", [("triage", 0.15), (None, 0.85)])
        P[1, 2] = 0.1
        P[2, 0] = 0.15
    return net, P


def estimate(res: RunResult) -> np.ndarray:
    lo, hi = WARM_H * 60.0, (HORIZON_H - TAIL_H) * 60.0
    out = [patient_sojourns(res, lo, hi).mean()]
    out += [visit_sojourns(res, s, lo, hi).mean() for s in NODES]
    return np.array(out)


@pytest.mark.parametrize("feedback", [False, True], ids=["feed-forward", "feedback"])
def test_jackson_mean_sojourn(feedback: bool) -> None:
    net, P = build(feedback)
    theory = jackson_network([10.0, 0.0, 0.0], P, [60.0 / m for m in MEANS], SERVERS)
    expected = 60.0 * np.concatenate([[theory.mean_sojourn], theory.mean_sojourn_node])  # min
    est = replicate(net.compile(), estimate, R, SEED)
    names = ("network", *NODES)
    for k, name in enumerate(names):
        ci = t_interval(est[:, k], LEVEL)
        print(f"{name}: Jackson {expected[k]:.3f} min, simulated {ci}")
        assert ci.contains(expected[k]), f"{name}: Jackson {expected[k]:.4f} min outside {ci}"
    ci = t_interval(est[:, 0], LEVEL)
    assert ci.half_width < 0.03 * expected[0], f"interval too wide to be a test: {ci}"
