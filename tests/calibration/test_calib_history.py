"""History matching on a toy simulator whose true parameters are known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simcare.calibration.history import Emulator, Problem, Settings, history_match, latin_hypercube

TRUE = np.array([1.0, 1.2])
LOW, HIGH = np.array([0.5, 0.5]), np.array([1.5, 1.5])
M = 6  # "months" per series
NOISE_SD = 1.0


def toy_mean(thetas: np.ndarray) -> np.ndarray:
    """Two series of M outputs: a trend scaled by theta0, and a curve in theta1 plus theta0."""
    t = np.atleast_2d(thetas)
    m = np.arange(M)
    s1 = 100 * t[:, [0]] * (1 + 0.1 * m)
    s2 = 50 * t[:, [1]] ** 2 + 10 * t[:, [0]] + 0 * m
    return np.hstack([s1, s2])


def make_problem(rng: np.random.Generator) -> Problem:
    z = toy_mean(TRUE)[0] + rng.normal(0, NOISE_SD, 2 * M)  # one noisy "observed history"
    return Problem(
        z=z,
        var_obs=np.full(2 * M, NOISE_SD**2),
        var_md=np.full(2 * M, 1.0),
        series=np.repeat([0, 1], M),
        names=["trend", "curve"],
    )


def test_implausibility_is_the_chi_squared_scaled_sum() -> None:
    p = Problem(
        z=np.array([10.0, 12.0, np.nan]),
        var_obs=np.ones(3),
        var_md=np.ones(3),
        series=np.array([0, 0, 1]),
        names=["a", "b"],
    )
    j = p.implausibility(np.array([[11.0, 10.0, 5.0]]), np.full(3, 2.0), 0.995)
    # (1^2 + 2^2) / (1 + 1 + 2) = 1.25, over the 99.5 % point of chi-squared with 2 dof; b has no data
    assert j[0, 0] == pytest.approx(1.25 / stats.chi2.ppf(0.995, 2))
    assert j[0, 1] == 0.0
    assert np.isinf(p.implausibility(np.array([[np.nan, 10.0, 5.0]]), np.ones(3), 0.995)[0, 0])


def test_quadratic_emulator_is_exact_on_a_quadratic() -> None:
    rng = np.random.default_rng(1)
    x = latin_hypercube(30, LOW, HIGH, rng)
    y = toy_mean(x)
    em = Emulator.fit(x, y, LOW, HIGH)
    test = latin_hypercube(10, LOW, HIGH, rng)
    assert np.allclose(em.predict(test), toy_mean(test), atol=1e-8)
    assert em.variance.max() < 1e-12


def test_waves_keep_the_truth_and_shrink_the_box() -> None:
    rng = np.random.default_rng(2025)
    problem = make_problem(rng)
    sim_rng = np.random.default_rng(11)
    calls = []

    def simulate(thetas: np.ndarray, wave: int) -> np.ndarray:
        calls.append(len(thetas))
        return toy_mean(thetas) + sim_rng.normal(0, NOISE_SD, (len(thetas), 2 * M))

    settings = Settings(design_points=25, max_waves=4, candidates=5000, seed=3)
    result = history_match(problem, simulate, LOW, HIGH, np.full(2 * M, NOISE_SD**2), settings)
    assert result.stop_reason
    assert len(result.waves) >= 2 and sum(calls) == sum(len(w.thetas) for w in result.waves)
    idx, any_ok = result.plausible()
    assert any_ok
    thetas, _, imp, _ = result.all_points()
    sample = thetas[idx]
    # the true point is not ruled out: with the stated variances its J per series exceeds 1 with
    # probability 0.005 (the chi-squared quantile); this seed's draw is checked
    j_true = problem.implausibility(
        toy_mean(TRUE) + sim_rng.normal(0, NOISE_SD, (1, 2 * M)), np.full(2 * M, NOISE_SD**2), 0.995
    )
    assert j_true.max() <= 1.0
    # ... and lies in the region the waves kept: the sample's bounding box widened by the 5 % of
    # the prior range that history_match adds around survivors before sampling the next wave
    margin = 0.05 * (HIGH - LOW)
    assert np.all(sample.min(axis=0) - margin <= TRUE) and np.all(sample.max(axis=0) + margin >= TRUE)
    # the plausible region is much smaller than the prior box in both parameters
    assert np.all(sample.max(axis=0) - sample.min(axis=0) < 0.5 * (HIGH - LOW))
    assert (imp[idx].max(axis=1) <= 1).all()
    # later waves concentrate near the truth
    assert np.abs(result.waves[-1].thetas - TRUE).mean() < np.abs(result.waves[0].thetas - TRUE).mean()


def test_no_plausible_point_falls_back_to_the_least_implausible() -> None:
    rng = np.random.default_rng(5)
    problem = make_problem(rng)
    problem.z = problem.z + 1000.0  # unreachable data

    def simulate(thetas: np.ndarray, wave: int) -> np.ndarray:
        return toy_mean(thetas)

    result = history_match(
        problem,
        simulate,
        LOW,
        HIGH,
        np.ones(2 * M),
        Settings(design_points=10, max_waves=2, candidates=500, seed=1),
    )
    idx, any_ok = result.plausible(at_least=3)
    assert not any_ok and len(idx) == 3
    _, _, imp, _ = result.all_points()
    assert imp[idx].max(axis=1).tolist() == sorted(imp.max(axis=1))[:3]
