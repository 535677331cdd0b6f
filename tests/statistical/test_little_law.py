"""Little's law on every service of a network that uses every engine feature.

The network: a phone line with a weekly roster, limited waiting places and patience; triage
that blocks after service (with a maximum blocked time and an overflow corridor); majors that
block waiting for a ward bed; two priority groups; a sinusoidal weekly arrival pattern.

(a) Sample-path identity, exact for every run: for each service, the area under the number
    present (in service + waiting + blocked), i.e. sum over hours of the hourly average times
    the hour's simulated length, equals the sum over its visits of
    min(departure, end of run) - arrival. Also componentwise: in service <-> [start, end),
    waiting <-> [arrival, start or departure), blocked <-> [end, departure). Tolerance: float
    round-off only, relative 1e-9 (the sums are of order 1e6 patient-minutes). Checked for both
    engines.
(b) L = lam W in the long run: per replication, over a window of whole weeks after a two-week
    warm-up, L = time-average number present, lam = visits arriving in the window per minute,
    W = their mean time at the service (every one has left by the end of the run, which is a
    week after the window). L - lam W has expectation 0 (edge effects cancel because the window
    starts and ends at the same hour of the week). Tolerance: Student-t 99.9% interval of the
    mean of L - lam W across R = 20 replications, Bonferroni-split over the services; 0 must
    lie inside. Power: each half-width below 1% of L.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simcare.analysis.confidence import bonferroni_level, t_interval
from simcare.analysis.estimators import hour_lengths, number_present, replicate, visit_sojourns
from simcare.engine import EngineName, run
from simcare.engine.result import RunResult
from simcare.model.enums import OUT_ABANDONED, OUT_RELEASED, OUT_TURNED_AWAY
from simcare.network import Network, Roster
from simcare.sampling.distributions import Exponential, Gamma, Lognormal, Uniform

SEED = 4606
WEEK = 168


def network(horizon_h: float) -> Network:
    net = Network(horizon_hours=horizon_h)
    net.add_group("urgent", priority=1)
    net.add_group("routine", priority=0)
    day = [1.0 + 0.6 * math.sin(2 * math.pi * (h - 8) / 24) for h in range(24)]
    net.add_arrivals(
        "calls", to="phone", rate_per_hour=12.0, hour_of_week=day * 7, groups={"urgent": 0.2, "routine": 0.8}
    )
    net.add_arrivals("walk_in", to="triage", rate_per_hour=3.0, groups={"urgent": 0.3, "routine": 0.7})
    staff = [4 if 8 <= h % 24 < 20 else 2 for h in range(WEEK)]
    net.add_service(
        "phone",
        servers=Roster(staff),
        service_time=Exponential(8.0),
        queue_limit=6,
        patience={"routine": Exponential(15.0)},
    )  # urgent: no patience
    net.add_route("phone", [("triage", 0.5), (None, 0.5)])
    net.add_route("phone", [("triage", 1.0)], kind="turned_away")
    net.add_route("phone", [(None, 1.0)], kind="abandoned")
    net.add_service(
        "triage", servers=2, service_time=Exponential(10.0), blocks=True, block_max=20.0, overflow="corridor"
    )
    net.add_route("triage", [("majors", 0.7), (None, 0.3)])
    net.add_service("corridor", servers=math.inf, service_time=Uniform(20.0, 60.0))
    net.add_route("corridor", [("majors", 1.0)])
    net.add_service("majors", servers=8, service_time=Lognormal(60.0, 40.0), blocks=True)
    net.add_route("majors", [("ward", 0.3), (None, 0.7)])
    net.add_service("ward", servers=5, service_time=Gamma(2.0, 60.0))
    return net


def _censor(x: np.ndarray, end: float) -> np.ndarray:
    return np.where(np.isnan(x), end, np.minimum(x, end))


@pytest.mark.parametrize(("engine", "horizon_h"), [("numba", 1000.5), ("simpy", 120.5)])
def test_little_sample_path_identity(engine: EngineName, horizon_h: float) -> None:
    res = run(network(horizon_h).compile(), seed=SEED, replication=0, engine=engine)
    T = res.end_time
    assert horizon_h * 60.0 == T
    length = hour_lengths(res)
    assert length[-1] == 30.0  # the run ends half way through its last hour
    v = res.visits
    outcomes = set(np.unique(v["outcome"]).tolist())
    # the run really exercises queues, losses, abandonment, blocking and release
    assert {OUT_TURNED_AWAY, OUT_ABANDONED, OUT_RELEASED} <= outcomes
    assert res.blocked.sum() > 0 and res.waiting.sum() > 0
    for s, name in enumerate(res.service_names):
        w = v[v["service"] == s]
        arrival, start, end, dep = w["arrival"], w["start"], w["end"], w["departure"]
        area = {
            "present": (number_present(res)[s] * length).sum(),
            "in_service": (res.in_service[s] * length).sum(),
            "waiting": (res.waiting[s] * length).sum(),
            "blocked": (res.blocked[s] * length).sum(),
        }
        started = ~np.isnan(start)
        ended = ~np.isnan(end)
        left_queue = np.where(started, start, dep)  # start of service, or abandoned/released
        paths = {
            "present": (_censor(dep, T) - arrival).sum(),
            "in_service": (_censor(end[started], T) - start[started]).sum(),
            "waiting": (_censor(left_queue, T) - arrival).sum(),
            "blocked": (_censor(dep[ended], T) - end[ended]).sum(),
        }
        for key in area:
            assert area[key] == pytest.approx(paths[key], rel=1e-9, abs=1e-6), (
                f"{name}: hourly {key} area {area[key]:.6f} != visit total {paths[key]:.6f}"
            )
        assert area["present"] > 0


def test_little_law_statistical() -> None:
    warm_w, window_w, R = 2, 6, 20
    horizon_h = WEEK * (warm_w + window_w + 1)
    model = network(horizon_h).compile()
    lo_h, hi_h = WEEK * warm_w, WEEK * (warm_w + window_w)
    S = len(model.service_names)

    def estimate(res: RunResult) -> np.ndarray:
        out = np.empty((S, 2))
        for s in range(S):
            L = number_present(res)[s, lo_h:hi_h].mean()
            w = visit_sojourns(res, s, lo_h * 60.0, hi_h * 60.0)
            lam = w.shape[0] / ((hi_h - lo_h) * 60.0)
            out[s] = (L, L - lam * w.mean())
        return out

    est = replicate(model, estimate, R, SEED)
    level = bonferroni_level(0.999, S)
    for s, name in enumerate(model.service_names):
        ci = t_interval(est[:, s, 1], level)
        L = est[:, s, 0].mean()
        print(f"{name}: L = {L:.4f}, L - lam W: {ci}")
        assert ci.contains(0.0), f"{name}: L - lam W = {ci} excludes 0 (L = {L:.4f})"
        assert ci.half_width < 0.01 * L, f"{name}: interval too wide to be a test: {ci}"
