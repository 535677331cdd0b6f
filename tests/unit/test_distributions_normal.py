"""The normal laws (Normal, TruncatedNormal) and the table every distribution is defined in.

Tolerances: moments of N = 200,000 keyed draws must lie within Z = 4.5 standard errors of the
exact moments (mean: sqrt(variance / N); variance: sqrt((m4 - s^4) / N), m4 the sample fourth
central moment), two-sided probability 7e-6 for a correct sampler; the law as a whole must pass
a Kolmogorov-Smirnov test against ``scipy.stats.truncnorm`` at ALPHA = 1e-3. Keys and seeds are
fixed, so each test either always passes or always fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit
from scipy import stats

from simcare import Normal, TruncatedNormal
from simcare.engine import run
from simcare.errors import ModelError
from simcare.model import enums as E
from simcare.network import Network
from simcare.sampling import seeds
from simcare.sampling.distributions import (
    DIST_NAMES,
    DISTRIBUTIONS,
    Distribution,
    Empirical,
    Exponential,
    ndtri_nb,
    sample_nb,
)
from simcare.sampling.draws import draw
from simcare.sampling.keys import draw_key, name_key, patient_key

ALPHA = 1e-3
Z = 4.5
N = 200_000
STREAM = np.uint64(name_key("stream:normal"))
SERVICE = np.uint64(name_key("clinic"))
PURPOSE = seeds.purpose_keys(20251202, 0)[0]


@njit(cache=False)
def _samples(kind: int, p0: float, p1: float, p2: float, pool: np.ndarray, n: int) -> np.ndarray:
    """sample_nb for the first-visit keys of patients 0..n-1 of one stream."""
    out = np.empty(n)
    for i in range(n):
        out[i] = sample_nb(kind, p0, p1, p2, pool, draw_key(patient_key(STREAM, i), PURPOSE, SERVICE, 0))
    return out


def _sample(dist: Distribution, n: int = N) -> np.ndarray:
    p0, p1, p2 = dist.params()
    return _samples(dist.kind, p0, p1, p2, dist.empirical(), n)


def _scipy(dist: Normal | TruncatedNormal) -> stats.rv_continuous:
    """The same law in scipy: truncnorm on [low, high] (Normal: [0, inf))."""
    mu, sd = dist.mean_minutes, dist.sd_minutes
    low, high = (0.0, math.inf) if isinstance(dist, Normal) else (dist.low, dist.high)
    return stats.truncnorm((low - mu) / sd, (high - mu) / sd, loc=mu, scale=sd)


CASES = [
    ("normal", Normal(60, 10)),
    ("normal_at_3_sd", Normal(30, 10)),
    ("truncated_low_only", TruncatedNormal(20, 15)),
    ("truncated_both", TruncatedNormal(45, 20, 30, 90)),
    ("truncated_narrow", TruncatedNormal(100, 50, 99, 101)),
    ("truncated_upper_tail", TruncatedNormal(10, 2, 20, 30)),  # 5 sd above the mean
    ("truncated_lower_tail", TruncatedNormal(300, 20, 0, 200)),  # 5 sd below the mean
]


def test_ndtri_matches_scipy() -> None:
    """ndtri_nb (Wichura's AS 241) against scipy.stats.norm.ppf: relative error below 2e-15 (1.1e-15 measured)
    (absolute 1e-15 near p = 0.5, where the quantile is near 0) over p from 1e-300 to
    1 - 1e-16, both tails and the central region included."""
    p = np.concatenate(
        [np.logspace(-300, -1, 3000), np.linspace(0.01, 0.99, 9801), 1 - np.logspace(-16, -1, 1500)]
    )
    got = np.array([ndtri_nb(float(x)) for x in p])
    want = stats.norm.ppf(p)
    err = np.abs(got - want) / np.maximum(np.abs(want), 0.25)
    assert err.max() < 2e-15, (err.max(), p[err.argmax()])


@pytest.mark.parametrize(("name", "dist"), CASES, ids=[n for n, _ in CASES])
def test_exact_moments_match_scipy(name: str, dist: Normal | TruncatedNormal) -> None:
    """.mean and .variance are the truncated law's (scipy's truncnorm), to 1e-9 relative."""
    law = _scipy(dist)
    assert dist.mean == pytest.approx(law.mean(), rel=1e-9)
    assert dist.variance == pytest.approx(law.var(), rel=1e-9)


@pytest.mark.parametrize(("name", "dist"), CASES, ids=[n for n, _ in CASES])
def test_sample_moments_and_law(name: str, dist: Normal | TruncatedNormal) -> None:
    """N keyed draws: finite, inside the support; mean and variance within Z standard errors
    of the exact moments; KS against scipy's truncnorm at ALPHA."""
    x = _sample(dist)
    law = _scipy(dist)
    lo, hi = law.support()
    assert np.isfinite(x).all() and (x >= max(lo, 0.0)).all() and (x <= hi).all()
    assert abs(x.mean() - dist.mean) < Z * math.sqrt(dist.variance / N), (x.mean(), dist.mean)
    s2 = x.var(ddof=1)
    m4 = float(((x - x.mean()) ** 4).mean())
    assert abs(s2 - dist.variance) < Z * math.sqrt((m4 - s2 * s2) / N), (s2, dist.variance)
    assert stats.kstest(x, law.cdf).pvalue > ALPHA


def test_normal_is_refused_when_it_can_go_negative() -> None:
    """A normal duration needs mean >= 3 sd (P(X < 0) <= 0.135 %); truncated_normal has no
    such limit but its interval must hold probability."""
    Normal(30, 10)
    with pytest.raises(ModelError, match=r"needs mean >= 3 sd.*got mean 29 and sd 10 minutes"):
        Normal(29, 10)
    TruncatedNormal(5, 10)  # the half-normal-like case is what truncated_normal is for
    with pytest.raises(ModelError, match="needs high > low, got low 10 and high 10 minutes"):
        TruncatedNormal(20, 5, 10, 10)
    with pytest.raises(ModelError, match="holds less than 1e-12"):
        TruncatedNormal(10, 1, 30, 40)
    with pytest.raises(ModelError, match="truncated_normal.sd"):
        TruncatedNormal(10, 0)
    with pytest.raises(ModelError, match="truncated_normal.low"):
        TruncatedNormal(10, 1, -1)


def test_the_table_defines_every_code_once() -> None:
    """Codes 1 .. N_DIST_KINDS - 1 are each used by one distribution, whose class carries its
    code and name; DIST_NAMES is derived from the table."""
    codes = sorted(k.code for k in DISTRIBUTIONS.values())
    assert codes == list(range(1, E.N_DIST_KINDS))
    for name, k in DISTRIBUTIONS.items():
        assert k.cls.kind == k.code and k.cls.name == name
    assert {0: "none", **{k.code: name for name, k in DISTRIBUTIONS.items()}} == DIST_NAMES
    assert DIST_NAMES[Normal.kind] == "normal"
    assert DIST_NAMES[TruncatedNormal.kind] == "truncated_normal"


def test_pooled_laws_share_the_pool() -> None:
    """An empirical law and truncated normals keep their values in one pool: each gets its own
    offset (p0), and a truncated normal cannot be a route delay."""
    net = Network(horizon_hours=24)
    net.add_service("a", servers=1, service_time=Empirical((5, 10)))
    net.add_service(
        "b", servers=1, service_time=TruncatedNormal(20, 5, 10, 40), patience=TruncatedNormal(30, 10)
    )
    net.add_arrivals("walk_in", to="a", rate_per_hour=1)
    net.add_route("a", [("b", 1.0)])
    m = net.compile()
    b = m.service_names.index("b")
    assert m.service_par[b, 0, 0] == 2.0 and m.patience_par[b, 0, 0] == 5.0
    np.testing.assert_array_equal(m.empirical_values[2:5], TruncatedNormal(20, 5, 10, 40).empirical())
    bad = Network(horizon_hours=24)
    bad.add_service("a", servers=1, service_time=Exponential(5))
    bad.add_route("a", [(None, 1.0, None, TruncatedNormal(10, 2))])
    bad.add_arrivals("walk_in", to="a", rate_per_hour=1)
    with pytest.raises(ModelError, match="truncated_normal delays are not supported"):
        bad.compile()


def test_numba_and_twin_agree_on_normal_laws() -> None:
    """Parity: a small network whose service times and patience are normal and truncated
    normal gives the same visit table (byte for byte) and counts in both engines."""
    net = Network(horizon_hours=72)
    net.add_group("urgent", priority=1)
    net.add_group("routine", priority=0)
    net.add_service("triage", servers=1, service_time=Normal(6, 1.5))
    net.add_service(
        "clinic",
        servers=2,
        service_time={"urgent": TruncatedNormal(40, 25, 10, 90), "*": Normal(25, 6)},
        patience={"routine": TruncatedNormal(60, 40)},
    )
    net.add_route("triage", [("clinic", 0.8), (None, 0.2)])
    net.add_arrivals("walk_in", to="triage", rate_per_hour=5, groups={"urgent": 0.3, "routine": 0.7})
    m = net.compile()
    d = draw(m, 7, 0)
    a = run(m, draws=d, engine="numba")
    b = run(m, draws=d, engine="simpy")
    assert a.visits.tobytes() == b.visits.tobytes()
    assert (a.arrived, a.exited, a.events, a.status) == (b.arrived, b.exited, b.events, b.status)
    assert len(a.visits) > 500 and (a.visits["outcome"] == E.OUT_ABANDONED).any()
