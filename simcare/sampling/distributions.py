"""Service-time and patience distributions (minutes): Python descriptions and a numba sampler.

Each distribution is a frozen dataclass that validates its parameters, knows its mean and
variance (used by the queueing-theory tests and by documentation), and encodes itself as a
``(kind, params)`` pair for the CompiledModel. :func:`sample_nb` turns a draw key into a variate
by inversion where a closed form exists, and by Marsaglia & Tsang's (2000) method for gamma
(its uniforms are the successive uniforms of the same key, so the draw is still keyed).
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field

import numpy as np

from simcare._jit import kernel_jit
from simcare.errors import ModelError
from simcare.model import enums as E
from simcare.sampling.keys import uniform


class Distribution(abc.ABC):
    """Base class: a non-negative random duration in minutes. Each kind implements its mean,
    variance and the three parameters stored in the CompiledModel."""

    kind: int = E.DIST_NONE

    @property
    @abc.abstractmethod
    def mean(self) -> float: ...

    @property
    @abc.abstractmethod
    def variance(self) -> float: ...

    @abc.abstractmethod
    def params(self) -> tuple[float, float, float]:
        """The three numeric parameters stored in the CompiledModel for this kind."""

    def empirical(self) -> np.ndarray:
        """Observed values for an empirical distribution (empty for the others)."""
        return np.empty(0)


def _positive(name: str, value: float, allow_zero: bool = False) -> float:
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not (ok and math.isfinite(value)):
        bound = "non-negative" if allow_zero else "positive"
        raise ModelError(name, f"must be a finite {bound} number of minutes, got {value!r}")
    return value


@dataclass(frozen=True)
class Exponential(Distribution):
    mean_minutes: float
    kind = E.DIST_EXPONENTIAL

    def __post_init__(self) -> None:
        _positive("exponential.mean", self.mean_minutes)

    @property
    def mean(self) -> float:
        return self.mean_minutes

    @property
    def variance(self) -> float:
        return self.mean_minutes**2

    def params(self) -> tuple[float, float, float]:
        return (self.mean_minutes, 0.0, 0.0)


@dataclass(frozen=True)
class Lognormal(Distribution):
    """Lognormal by its own mean and standard deviation (minutes), not the normal's."""

    mean_minutes: float
    sd_minutes: float
    kind = E.DIST_LOGNORMAL

    def __post_init__(self) -> None:
        _positive("lognormal.mean", self.mean_minutes)
        _positive("lognormal.sd", self.sd_minutes)

    @property
    def mean(self) -> float:
        return self.mean_minutes

    @property
    def variance(self) -> float:
        return self.sd_minutes**2

    def params(self) -> tuple[float, float, float]:
        sigma2 = math.log1p((self.sd_minutes / self.mean_minutes) ** 2)
        mu = math.log(self.mean_minutes) - sigma2 / 2
        return (mu, math.sqrt(sigma2), 0.0)


@dataclass(frozen=True)
class Gamma(Distribution):
    shape: float
    scale_minutes: float
    kind = E.DIST_GAMMA

    def __post_init__(self) -> None:
        _positive("gamma.shape", self.shape)
        _positive("gamma.scale", self.scale_minutes)

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> Gamma:
        _positive("gamma.mean", mean)
        _positive("gamma.sd", sd)
        return cls(shape=(mean / sd) ** 2, scale_minutes=sd**2 / mean)

    @property
    def mean(self) -> float:
        return self.shape * self.scale_minutes

    @property
    def variance(self) -> float:
        return self.shape * self.scale_minutes**2

    def params(self) -> tuple[float, float, float]:
        return (self.shape, self.scale_minutes, 0.0)


@dataclass(frozen=True)
class Weibull(Distribution):
    shape: float
    scale_minutes: float
    kind = E.DIST_WEIBULL

    def __post_init__(self) -> None:
        _positive("weibull.shape", self.shape)
        _positive("weibull.scale", self.scale_minutes)

    @property
    def mean(self) -> float:
        return self.scale_minutes * math.gamma(1 + 1 / self.shape)

    @property
    def variance(self) -> float:
        g1 = math.gamma(1 + 1 / self.shape)
        return self.scale_minutes**2 * (math.gamma(1 + 2 / self.shape) - g1 * g1)

    def params(self) -> tuple[float, float, float]:
        return (self.shape, self.scale_minutes, 0.0)


@dataclass(frozen=True)
class Triangular(Distribution):
    low: float
    mode: float
    high: float
    kind = E.DIST_TRIANGULAR

    def __post_init__(self) -> None:
        _positive("triangular.low", self.low, allow_zero=True)
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ModelError(
                "triangular", f"needs low <= mode <= high and low < high, got {self!r}"
            )

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def params(self) -> tuple[float, float, float]:
        return (self.low, self.mode, self.high)


@dataclass(frozen=True)
class Uniform(Distribution):
    low: float
    high: float
    kind = E.DIST_UNIFORM

    def __post_init__(self) -> None:
        _positive("uniform.low", self.low, allow_zero=True)
        if not self.high > self.low:
            raise ModelError("uniform", f"needs high > low, got {self!r}")

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def params(self) -> tuple[float, float, float]:
        return (self.low, self.high, 0.0)


@dataclass(frozen=True)
class Fixed(Distribution):
    value: float
    kind = E.DIST_FIXED

    def __post_init__(self) -> None:
        _positive("fixed.value", self.value, allow_zero=True)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def params(self) -> tuple[float, float, float]:
        return (self.value, 0.0, 0.0)


@dataclass(frozen=True)
class Empirical(Distribution):
    """Resamples observed durations (minutes) with equal probability."""

    values: tuple[float, ...] = field(default=())
    kind = E.DIST_EMPIRICAL

    def __post_init__(self) -> None:
        values = tuple(float(v) for v in self.values)
        if not values:
            raise ModelError("empirical.values", "needs at least one observed value")
        for i, v in enumerate(values):
            _positive(f"empirical.values[{i}]", v, allow_zero=True)
        object.__setattr__(self, "values", values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def variance(self) -> float:
        return float(np.var(self.values))

    def params(self) -> tuple[float, float, float]:
        # p0 (offset into the model's empirical pool) is filled in by the model builder.
        return (0.0, float(len(self.values)), 0.0)

    def empirical(self) -> np.ndarray:
        return np.asarray(self.values, dtype=np.float64)


# --- numba samplers -----------------------------------------------------------------------------


@kernel_jit
def ndtri_nb(p: float) -> float:
    """Inverse standard normal CDF for p in (0, 1): Wichura's AS 241 (PPND16), ~1e-16 relative."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                    + 67265.770927008700853) * r + 45921.953931549871457) * r
                  + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
        den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r
                    + 39307.89580009271061) * r + 21213.794301586595867) * r
                  + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1.0)
        return q * num / den
    r = p if q < 0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
        den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                    + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
                  + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0)
    else:
        r -= 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
        den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                    + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
                  + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0)
    x = num / den
    return -x if q < 0 else x


@kernel_jit
def _gamma_unit_nb(shape: float, key: np.uint64) -> float:
    """Gamma(shape, 1) from the uniforms of ``key`` (Marsaglia & Tsang 2000; shape < 1 boosted)."""
    boost = 1.0
    k = shape
    if k < 1.0:
        boost = uniform(key, 1 << 20) ** (1.0 / k)
        k += 1.0
    d = k - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    j = 0
    while True:
        x = ndtri_nb(uniform(key, j))
        v = 1.0 + c * x
        if v > 0.0:
            v = v * v * v
            u = uniform(key, j + 1)
            if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
                return d * v * boost
        j += 2


@kernel_jit
def sample_nb(
    kind: int, p0: float, p1: float, p2: float, empirical: np.ndarray, key: np.uint64
) -> float:
    """One variate (minutes) of distribution ``kind`` with parameters (p0, p1, p2) from ``key``."""
    if kind == E.DIST_EXPONENTIAL:
        return -p0 * math.log(uniform(key, 0))
    if kind == E.DIST_LOGNORMAL:
        return math.exp(p0 + p1 * ndtri_nb(uniform(key, 0)))
    if kind == E.DIST_GAMMA:
        return p1 * _gamma_unit_nb(p0, key)
    if kind == E.DIST_WEIBULL:
        return p1 * (-math.log(uniform(key, 0))) ** (1.0 / p0)
    if kind == E.DIST_TRIANGULAR:
        u = uniform(key, 0)
        split = (p1 - p0) / (p2 - p0)
        if u < split:
            return p0 + math.sqrt(u * (p2 - p0) * (p1 - p0))
        return p2 - math.sqrt((1.0 - u) * (p2 - p0) * (p2 - p1))
    if kind == E.DIST_UNIFORM:
        return p0 + (p1 - p0) * uniform(key, 0)
    if kind == E.DIST_FIXED:
        return p0
    if kind == E.DIST_EMPIRICAL:
        n = int(p1)
        i = int(uniform(key, 0) * n)
        if i >= n:
            i = n - 1
        return empirical[int(p0) + i]
    return math.inf  # DIST_NONE: never happens (e.g. a patient with no patience)
