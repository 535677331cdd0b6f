"""Confidence intervals for simulation output: independent replications and batch means.

Both treat their inputs as (approximately) independent, identically distributed, roughly
normal estimates and build Student-t intervals for their mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval for a mean (same units as the samples).

    mean: sample mean; half_width: t quantile x standard error; low, high: the interval;
    n: number of samples (replications or batches); level: confidence level, e.g. 0.999.
    """

    mean: float
    half_width: float
    n: int
    level: float

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def contains(self, value: float) -> bool:
        """True if ``value`` lies in [low, high]."""
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.6g} +- {self.half_width:.3g} ({100 * self.level:g}% t-interval, n={self.n})"


def t_interval(samples: Sequence[float] | np.ndarray, level: float = 0.999) -> Interval:
    """Student-t confidence interval for the mean of independent samples.

    ``samples``: one estimate per independent replication (any unit; the interval has the same
    unit); ``level``: two-sided confidence level in (0, 1). Half-width is
    t_{(1 + level) / 2, n - 1} * s / sqrt(n) with s the sample standard deviation.
    """
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.shape[0] < 2:
        raise ValueError(f"need at least 2 samples for a confidence interval, got {x.shape[0]}")
    if not np.isfinite(x).all():
        raise ValueError("samples must be finite")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    n = x.shape[0]
    sd = float(np.std(x, ddof=1))
    q = float(stats.t.ppf(0.5 + level / 2.0, n - 1))
    return Interval(mean=float(np.mean(x)), half_width=q * sd / math.sqrt(n), n=n, level=level)


def batch_means_interval(
    series: Sequence[float] | np.ndarray, n_batches: int = 20, level: float = 0.999
) -> Interval:
    """Batch-means confidence interval for the long-run mean of one (stationary) series.

    ``series``: observations after the warm-up (e.g. hourly averages, or successive patients'
    waits); it is cut into ``n_batches`` contiguous batches of equal length (leftover
    observations at the end are dropped) whose means are treated as independent. Batches must be
    long compared with the series' correlation time for the interval to be valid.
    """
    x = np.asarray(series, dtype=np.float64).ravel()
    if n_batches < 2 or x.shape[0] < n_batches:
        raise ValueError(
            f"need n_batches >= 2 and at least that many observations, "
            f"got {n_batches} batches for {x.shape[0]} observations"
        )
    size = x.shape[0] // n_batches
    means = x[: size * n_batches].reshape(n_batches, size).mean(axis=1)
    return t_interval(means, level)


def bonferroni_level(level: float, comparisons: int) -> float:
    """Per-comparison confidence level keeping the family-wise level at ``level``."""
    if comparisons < 1:
        raise ValueError(f"comparisons must be >= 1, got {comparisons}")
    return 1.0 - (1.0 - level) / comparisons
