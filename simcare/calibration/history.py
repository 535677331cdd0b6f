"""History matching in waves (Vernon, Goldstein & Bower 2010; Andrianakis et al. 2015).

The simulator maps a parameter vector ``theta`` (shape ``(p,)``) to ``k`` outputs (target series x
months, flattened). Observed values ``z`` (``(k,)``, NaN where there is no observation) come with
an observation variance and a model-discrepancy variance per output. A point is *implausible* for
a target series ``s`` (outputs ``m`` in ``s`` with an observation) when its multivariate
implausibility with diagonal variance

    J_s(theta) = sum_m (z_m - f_m(theta))^2 / (V_obs,m + V_md,m + V_pred,m)  /  chi2_{q}(n_s)

exceeds 1, where ``chi2_q(n)`` is the ``q`` quantile (default 0.995) of a chi-squared
distribution with ``n`` degrees of freedom: a calibrated point's sum is chi-squared if the
variances are right. ``V_pred`` is the stochastic variance of a simulated mean (the replicate
variance at the centre of the box divided by the replicates per point) for a simulated point, or
the emulator's residual variance for an emulated one. A point is *not ruled out yet* (NROY) when
``max_s J_s <= 1``.

Waves: wave 1 runs a Latin hypercube (``scipy.stats.qmc``) over the prior box. Before each later
wave an emulator per output (least squares on ``1, x, x^2`` of the parameters scaled to [0, 1])
is fitted to every run so far; a large Latin hypercube of candidates (in the bounding box of the
previous wave's survivors) is screened by every wave's emulator, and the next design is drawn
from the survivors. Stopping rule: stop after ``max_waves``, or when the estimated NROY volume
shrinks by less than ``min_shrink`` in a wave, or when the emulators' variance is below
``emulator_ratio`` times the other variances (more waves cannot then rule out more). The plausible
sample is every *simulated* point that is NROY by its simulated outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from scipy.stats import qmc

#: simulate(thetas (n, p), wave) -> mean outputs (n, k)
Simulator = Callable[[np.ndarray, int], np.ndarray]


@dataclass(frozen=True)
class Settings:
    """Design sizes and the stopping rule."""

    design_points: int = 40
    max_waves: int = 3
    candidates: int = 20000
    quantile: float = 0.995
    min_shrink: float = 0.2
    emulator_ratio: float = 0.1
    seed: int = 2025


@dataclass
class Emulator:
    """Per-output least-squares fit on ``[1, x, x^2]`` (``x`` = theta scaled to [0, 1])."""

    low: np.ndarray
    high: np.ndarray
    coef: np.ndarray  # (1 + 2p, k)
    variance: np.ndarray  # (k,) residual variance

    @staticmethod
    def features(x: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones(len(x)), x, x * x])

    @classmethod
    def fit(cls, thetas: np.ndarray, outputs: np.ndarray, low: np.ndarray, high: np.ndarray) -> Emulator:
        x = (thetas - low) / (high - low)
        X = cls.features(x)
        y = np.where(np.isfinite(outputs), outputs, 0.0)
        coef, *_ = np.linalg.lstsq(X, y, rcond=None)
        resid = y - X @ coef
        dof = max(len(x) - X.shape[1], 1)
        return cls(low, high, coef, (resid * resid).sum(axis=0) / dof)

    def predict(self, thetas: np.ndarray) -> np.ndarray:
        return np.asarray(self.features((thetas - self.low) / (self.high - self.low)) @ self.coef)


@dataclass
class Problem:
    """Observed values and variances, and which target series each output belongs to."""

    z: np.ndarray  # (k,) observed, NaN = no observation (a gap or outside the fit window)
    var_obs: np.ndarray  # (k,)
    var_md: np.ndarray  # (k,)
    series: np.ndarray  # (k,) int, target series of each output
    names: list[str]  # series names

    def implausibility(self, f: np.ndarray, var_pred: np.ndarray, quantile: float) -> np.ndarray:
        """``J`` of shape (n, S): per point and series, 1 = the chi-squared ``quantile``."""
        f = np.atleast_2d(f)
        used = np.isfinite(self.z)
        i2 = (self.z - f) ** 2 / (self.var_obs + self.var_md + var_pred)
        i2 = np.where(used, i2, 0.0)
        i2 = np.where(np.isfinite(i2), i2, np.inf)  # a missing simulated output rules a point out
        out = np.zeros((f.shape[0], len(self.names)))
        for s in range(len(self.names)):
            cols = (self.series == s) & used
            n = int(cols.sum())
            if n:
                out[:, s] = i2[:, cols].sum(axis=1) / stats.chi2.ppf(quantile, n)
        return out


@dataclass
class Wave:
    """One wave: its design, simulated outputs, and what the emulator screening found."""

    thetas: np.ndarray
    outputs: np.ndarray
    implausibility: np.ndarray  # (n, S) from the simulated outputs
    nroy_volume: float  # estimated fraction of the prior box not ruled out before it
    emulator_ratio: float = float("nan")  # median emulator variance / other variances


@dataclass
class Result:
    waves: list[Wave] = field(default_factory=list)
    stop_reason: str = ""
    var_stochastic: np.ndarray | None = None

    def all_points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(thetas, outputs, J, wave number) of every simulated point."""
        thetas = np.vstack([w.thetas for w in self.waves])
        outputs = np.vstack([w.outputs for w in self.waves])
        imp = np.vstack([w.implausibility for w in self.waves])
        wave = np.concatenate([np.full(len(w.thetas), i + 1) for i, w in enumerate(self.waves)])
        return thetas, outputs, imp, wave

    def plausible(self, at_least: int = 1) -> tuple[np.ndarray, bool]:
        """Indices (into :meth:`all_points`) of NROY simulated points, best first, and whether any
        was NROY; with none, the ``at_least`` least implausible are returned instead."""
        _, _, imp, _ = self.all_points()
        worst = imp.max(axis=1)
        order = np.argsort(worst, kind="stable")
        ok = order[worst[order] <= 1.0]
        if len(ok):
            return ok, True
        return order[:at_least], False


def latin_hypercube(n: int, low: np.ndarray, high: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``n`` points of a Latin hypercube in the box ``[low, high]`` (shape (n, p))."""
    sampler = qmc.LatinHypercube(d=len(low), seed=rng)
    return np.asarray(qmc.scale(sampler.random(n), low, high))


def history_match(
    problem: Problem,
    simulate: Simulator,
    low: np.ndarray,
    high: np.ndarray,
    var_stochastic: np.ndarray,
    settings: Settings,
    progress: Callable[[str], None] = lambda _: None,
) -> Result:
    """Run waves until the stopping rule holds; see the module docstring."""
    rng = np.random.default_rng(settings.seed)
    result = Result(var_stochastic=var_stochastic)
    emulators: list[Emulator] = []
    box_low, box_high = low.copy(), high.copy()
    prior_volume = float(np.prod(high - low))
    volume = 1.0
    other = problem.var_obs + problem.var_md + var_stochastic
    used = np.isfinite(problem.z)
    for wave_no in range(1, settings.max_waves + 1):
        ratio = float("nan")
        if wave_no == 1:
            design = latin_hypercube(settings.design_points, low, high, rng)
        else:
            thetas, outputs, _, _ = result.all_points()
            emulators.append(Emulator.fit(thetas, outputs, low, high))
            ratio = float(np.median(emulators[-1].variance[used] / other[used]))
            cand = latin_hypercube(settings.candidates, box_low, box_high, rng)
            keep = np.ones(len(cand), dtype=bool)
            worst = np.zeros(len(cand))
            for em in emulators:
                j = problem.implausibility(em.predict(cand), em.variance, settings.quantile).max(axis=1)
                worst = np.maximum(worst, j)
                keep &= j <= 1.0
            survivors = cand[keep]
            new_volume = keep.mean() * float(np.prod(box_high - box_low)) / prior_volume
            progress(
                f"wave {wave_no}: emulators keep {keep.mean():.1%} of {len(cand):,} candidates "
                f"(NROY volume {new_volume:.2%} of the prior box; emulator/other variance {ratio:.2f})"
            )
            if len(survivors) == 0:
                # Nothing passes the cut-off: the discrepancy is larger than stated. Refocus on the
                # least implausible tenth of the candidates so that later waves still learn where
                # the fit is best (the report says no point was NROY).
                survivors = cand[np.argsort(worst)[: max(settings.design_points, len(cand) // 10)]]
                progress(
                    f"wave {wave_no}: no candidate is NROY; refocusing on the least implausible "
                    f"{len(survivors):,} (max J from {worst.min():.2f})"
                )
            elif volume > 0 and new_volume > (1.0 - settings.min_shrink) * volume:
                result.stop_reason = (
                    f"before wave {wave_no}: NROY volume shrank by less than "
                    f"{settings.min_shrink:.0%} ({volume:.2%} -> {new_volume:.2%})"
                )
                break
            elif ratio < settings.emulator_ratio:
                result.stop_reason = (
                    f"before wave {wave_no}: emulator variance is {ratio:.2f} of the "
                    "observation + discrepancy + stochastic variance"
                )
                break
            volume = new_volume
            pick = rng.choice(len(survivors), size=min(settings.design_points, len(survivors)), replace=False)
            design = survivors[np.sort(pick)]
            span = (high - low) * 0.05
            box_low = np.maximum(low, survivors.min(axis=0) - span)
            box_high = np.minimum(high, survivors.max(axis=0) + span)
        outputs = simulate(design, wave_no)
        imp = problem.implausibility(outputs, var_stochastic, settings.quantile)
        result.waves.append(Wave(design, outputs, imp, volume, ratio))
        worst_of_best = problem.names[int(imp[imp.max(axis=1).argmin()].argmax())]
        progress(
            f"wave {wave_no}: {len(design)} points simulated, {(imp.max(axis=1) <= 1).sum()} not "
            f"ruled out; worst series of the best point: {worst_of_best}"
        )
    else:
        result.stop_reason = f"reached the maximum of {settings.max_waves} waves"
    return result
