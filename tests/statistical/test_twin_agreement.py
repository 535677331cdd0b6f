"""The SimPy twin against queueing theory, and against the numba engine, on short runs.

The twin is the engine's executable specification; these tests check that it, too, reproduces
theory (so the two engines are not merely equal but right), with runs short enough for it.

1. M/G/c/c with lognormal stays (c = 5, a = 4 erlangs, cv 1.5): fraction turned away against
   Erlang B(5, 4) = 0.1991. R = 20 replications of 1500 h, 100 h warm-up.
2. Feed-forward Jackson network (10/h -> triage 2 x exp 5 min -> 0.3 minors 3 x exp 30 /
   0.7 majors 8 x exp 45): mean time in the network per patient against 50.34 min.
   R = 20 replications of 400 h, patients first arriving in [50 h, 350 h).
Tolerance: Student-t 99.9% interval across replications for the twin's estimate, which must
contain the formula; power: half-width below 8% (loss) / 4% (sojourn) of the formula. The
twin and numba estimates of the same replications must also agree: the 99.9% interval of
their paired difference must contain 0 and be narrower than the theory interval.
Both are marked slow (the twin takes a few seconds each); they still run in CI.
"""

from __future__ import annotations

import numpy as np
import pytest

from simcare.analysis.confidence import t_interval
from simcare.analysis.estimators import loss_fraction, patient_sojourns, replicate
from simcare.analysis.queueing import erlang_b, jackson_mean_sojourn
from simcare.engine.result import RunResult
from simcare.network import Network
from simcare.sampling.distributions import Exponential, Lognormal

SEED = 4707
R = 20


def _check(twin: np.ndarray, fast: np.ndarray, theory: float, power: float) -> None:
    ci = t_interval(twin, 0.999)
    diff = t_interval(twin - fast, 0.999)
    print(f"theory {theory:.5f}; twin {ci}; twin - numba {diff}")
    assert ci.contains(theory), f"twin: theory {theory:.5f} outside {ci}"
    assert ci.half_width < power * theory, f"interval too wide to be a test: {ci}"
    assert diff.contains(0.0) and diff.half_width <= ci.half_width, f"engines differ: {diff}"


@pytest.mark.slow
def test_twin_erlang_b_loss() -> None:
    horizon_h, warm_h = 1500, 100
    net = Network(horizon_hours=horizon_h)
    net.add_service("cubicles", servers=5, service_time=Lognormal(60.0, 90.0), queue_limit=0)
    net.add_arrivals("ambulance", to="cubicles", rate_per_hour=4.0)
    model = net.compile()

    def estimate(res: RunResult) -> float:
        return loss_fraction(res, "cubicles", warm_h * 60.0, horizon_h * 60.0)

    twin = replicate(model, estimate, R, SEED, engine="simpy")
    fast = replicate(model, estimate, R, SEED, engine="numba")
    _check(twin, fast, erlang_b(5, 4.0), power=0.08)


@pytest.mark.slow
def test_twin_jackson_sojourn() -> None:
    horizon_h, lo_h, hi_h = 400, 50, 350
    net = Network(horizon_hours=horizon_h)
    net.add_service("triage", servers=2, service_time=Exponential(5.0))
    net.add_service("minors", servers=3, service_time=Exponential(30.0))
    net.add_service("majors", servers=8, service_time=Exponential(45.0))
    net.add_arrivals("walk_in", to="triage", rate_per_hour=10.0)
    net.add_route("triage", [("minors", 0.3), ("majors", 0.7)])
    model = net.compile()
    P = [[0.0, 0.3, 0.7], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    theory = 60.0 * jackson_mean_sojourn([10.0, 0, 0], P, [12.0, 2.0, 60 / 45], [2, 3, 8])

    def estimate(res: RunResult) -> float:
        return float(patient_sojourns(res, lo_h * 60.0, hi_h * 60.0).mean())

    twin = replicate(model, estimate, R, SEED, engine="simpy")
    fast = replicate(model, estimate, R, SEED, engine="numba")
    _check(twin, fast, theory, power=0.04)
