"""Service-time and patience distributions (minutes): one definition per distribution.

Each distribution is a frozen dataclass that validates its parameters, knows its mean and
variance (used by the queueing-theory tests, the compiler and documentation), and encodes
itself as a ``(kind, params)`` pair for the CompiledModel. The ``@distribution(...)`` line above
each class is its one definition: its name in scenario files (``dist: gamma``), its integer code
in the CompiledModel, the parameters users write (name, unit, bound, description) and how they
become the distribution. From that table (:data:`DISTRIBUTIONS`) come the scenario schema's
``*Spec`` models (:mod:`simcare.scenario.schema.distributions`), :data:`DIST_NAMES` and the codes
that :func:`sample_nb` branches on.

:func:`sample_nb` turns a draw key into a variate by inversion where a closed form exists
(the normal laws use the inverse normal CDF :func:`ndtri_nb`), and by Marsaglia & Tsang's (2000)
method for gamma (its uniforms are the successive uniforms of the same key, so the draw is
still keyed).
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import numpy as np

from simcare._jit import kernel_jit, kernel_jit_leaf
from simcare.errors import ModelError
from simcare.model import enums as E
from simcare.model.compiled import CompiledModel
from simcare.sampling.keys import uniform

__all__ = [
    "DISTRIBUTIONS",
    "DIST_NAMES",
    "NORMAL_MIN_MEAN_SDS",
    "Distribution",
    "DistributionKind",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Normal",
    "Parameter",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
    "Weibull",
    "ndtri_nb",
    "normal_cdf",
    "sample_nb",
]


class Distribution(abc.ABC):
    """Base class: a non-negative random duration in minutes. Each kind implements its mean,
    variance and the three parameters stored in the CompiledModel."""

    kind: int = E.DIST_NONE
    name: str = "none"

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
        """Values this distribution keeps in the model's pool (``CompiledModel.empirical_values``;
        its p0 is then their offset, filled in by the model builder): the observed values of an
        empirical distribution, the truncation constants of a truncated normal, empty for the
        others."""
        return np.empty(0)


# --- the table: one definition per distribution -------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """A parameter of a distribution as users write it (scenario key and Python keyword).

    ``unit`` is ``"minutes"`` (a duration; ``'9min'`` in scenario files) or ``"number"``
    (dimensionless); ``positive`` means > 0 (else >= 0); ``many`` a list of at least one value;
    ``optional`` that it may be left out (its default: 0 for a bound below, none (no bound) for
    a bound above, as ``default`` says)."""

    name: str
    description: str
    unit: Literal["minutes", "number"] = "minutes"
    positive: bool = True
    many: bool = False
    optional: bool = False
    default: float | None = None


@dataclass(frozen=True)
class DistributionKind:
    """One distribution: ``name`` (``dist:`` in scenario files), ``code`` (the CompiledModel's
    integer), the ``parameters`` users give, ``build`` (those parameters as keywords, minutes ->
    the Distribution; a parameter left out is not passed), ``cls`` the Distribution class,
    ``summary`` what follows ``{dist: name, parameters}`` in the schema's one-line description
    (``": ..."`` or ``" (...)"``, may be empty), and ``kernel``: what p0, p1, p2 hold."""

    name: str
    code: int
    parameters: tuple[Parameter, ...]
    build: Callable[..., Distribution]
    cls: type[Distribution]
    summary: str
    kernel: str


DISTRIBUTIONS: dict[str, DistributionKind] = {}
"""Every distribution by name, in code order (filled by ``@distribution``)."""

_D = TypeVar("_D", bound=type[Distribution])


def distribution(
    name: str,
    code: int,
    parameters: tuple[Parameter, ...],
    build: Callable[..., Distribution],
    summary: str,
    kernel: str,
) -> Callable[[_D], _D]:
    """Class decorator: register a Distribution class in :data:`DISTRIBUTIONS` and give it its
    ``kind`` code and ``name``."""

    def register(cls: _D) -> _D:
        if name in DISTRIBUTIONS or any(k.code == code for k in DISTRIBUTIONS.values()):
            raise ValueError(f"distribution {name!r} or code {code} is defined twice")
        if not 0 < code < E.N_DIST_KINDS:
            raise ValueError(f"code {code} of {name!r} outside 1 .. {E.N_DIST_KINDS - 1}")
        cls.kind = code
        cls.name = name
        DISTRIBUTIONS[name] = DistributionKind(name, code, parameters, build, cls, summary, kernel)
        return cls

    return register


def _positive(name: str, value: float, allow_zero: bool = False) -> float:
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not (ok and math.isfinite(value)):
        bound = "non-negative" if allow_zero else "positive"
        raise ModelError(name, f"must be a finite {bound} number of minutes, got {value!r}")
    return value


def _g(x: float) -> str:
    return f"{x:.6g}"


_MEAN = Parameter("mean", "mean duration")
_SD = Parameter("sd", "standard deviation")
_LOW = Parameter("low", "minimum duration", positive=False)
_HIGH = Parameter("high", "maximum duration", positive=False)


@distribution(
    "exponential",
    1,
    (Parameter("mean", "mean duration, e.g. '9min'"),),
    build=lambda mean: Exponential(mean),
    summary="",
    kernel="p0 = mean",
)
@dataclass(frozen=True)
class Exponential(Distribution):
    mean_minutes: float

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


@distribution(
    "lognormal",
    2,
    (Parameter("mean", "mean duration, e.g. '9min'"), Parameter("sd", "standard deviation, e.g. '5min'")),
    build=lambda mean, sd: Lognormal(mean, sd),
    summary=": the lognormal's own mean and standard deviation",
    kernel="p0 = mu, p1 = sigma of the underlying normal (compiled from mean, sd)",
)
@dataclass(frozen=True)
class Lognormal(Distribution):
    """Lognormal by its own mean and standard deviation (minutes), not the normal's."""

    mean_minutes: float
    sd_minutes: float

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


@distribution(
    "gamma",
    3,
    (_MEAN, _SD),
    build=lambda mean, sd: Gamma.from_mean_sd(mean, sd),
    summary="",
    kernel="p0 = shape k, p1 = scale theta",
)
@dataclass(frozen=True)
class Gamma(Distribution):
    shape: float
    scale_minutes: float

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


@distribution(
    "weibull",
    4,
    (
        Parameter("shape", "shape k (a number, no unit)", unit="number"),
        Parameter("scale", "scale, a duration"),
    ),
    build=lambda shape, scale: Weibull(shape, scale),
    summary=": shape is a plain number, scale a duration",
    kernel="p0 = shape k, p1 = scale lambda",
)
@dataclass(frozen=True)
class Weibull(Distribution):
    shape: float
    scale_minutes: float

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


@distribution(
    "triangular",
    5,
    (_LOW, Parameter("mode", "most likely duration", positive=False), _HIGH),
    build=lambda low, mode, high: Triangular(low, mode, high),
    summary="",
    kernel="p0 = low, p1 = mode, p2 = high",
)
@dataclass(frozen=True)
class Triangular(Distribution):
    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        _positive("triangular.low", self.low, allow_zero=True)
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ModelError(
                "triangular",
                f"needs low <= mode <= high and low < high, got low "
                f"{_g(self.low)}, mode {_g(self.mode)}, high "
                f"{_g(self.high)} minutes",
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


@distribution(
    "uniform",
    6,
    (_LOW, _HIGH),
    build=lambda low, high: Uniform(low, high),
    summary="",
    kernel="p0 = low, p1 = high",
)
@dataclass(frozen=True)
class Uniform(Distribution):
    low: float
    high: float

    def __post_init__(self) -> None:
        _positive("uniform.low", self.low, allow_zero=True)
        if not self.high > self.low:
            raise ModelError(
                "uniform", f"needs high > low, got low {_g(self.low)} and high {_g(self.high)} minutes"
            )

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def params(self) -> tuple[float, float, float]:
        return (self.low, self.high, 0.0)


@distribution(
    "fixed",
    7,
    (Parameter("value", "the duration", positive=False),),
    build=lambda value: Fixed(value),
    summary=" (also written as a plain duration, ``'30min'``)",
    kernel="p0 = value",
)
@dataclass(frozen=True)
class Fixed(Distribution):
    value: float

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


@distribution(
    "empirical",
    8,
    (Parameter("values", "observed durations", positive=False, many=True),),
    build=lambda values: Empirical(tuple(values)),
    summary=": resamples the observed durations",
    kernel="p0 = offset into CompiledModel.empirical_values, p1 = count",
)
@dataclass(frozen=True)
class Empirical(Distribution):
    """Resamples observed durations (minutes) with equal probability."""

    values: tuple[float, ...] = field(default=())

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


# --- normal laws --------------------------------------------------------------------------------

NORMAL_MIN_MEAN_SDS = 3.0
"""A normal duration needs mean >= this many standard deviations: then at most
Phi(-3) = 0.135 % of the normal is below 0 (that part is cut off: see :class:`Normal`)."""

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)
_MIN_MASS = 1e-12  # a truncated normal's interval must hold at least this much probability


def normal_cdf(x: float) -> float:
    """Standard normal CDF Phi(x), accurate in both tails (from ``math.erfc``)."""
    return 0.5 * math.erfc(-x / _SQRT2)


def _normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / _SQRT2PI if math.isfinite(x) else 0.0


def _cut(a: float, b: float) -> tuple[float, float, float]:
    """The standard normal restricted to [a, b] as (sign, c_lo, c_hi): its draws are
    ``sign * ndtri(c_lo + u (c_hi - c_lo))``. When the interval is above 0 the mirror image
    [-b, -a] is used (sign -1), so c_lo and c_hi are lower-tail probabilities, exact in the tail."""
    if a > 0.0:
        return (-1.0, normal_cdf(-b), normal_cdf(-a))
    return (1.0, normal_cdf(a), normal_cdf(b))


def _cut_moments(mu: float, sigma: float, a: float, b: float) -> tuple[float, float]:
    """Mean and variance (minutes, minutes^2) of normal(mu, sigma) restricted to the standardised
    interval [a, b] (b may be inf): mean = mu + sigma lam, variance = sigma^2 (1 + (a phi(a) -
    b phi(b)) / Z - lam^2) with Z = Phi(b) - Phi(a) and lam = (phi(a) - phi(b)) / Z."""
    _, lo, hi = _cut(a, b)
    z = hi - lo
    pa, pb = _normal_pdf(a), _normal_pdf(b)
    lam = (pa - pb) / z
    bpb = b * pb if math.isfinite(b) else 0.0
    return mu + sigma * lam, sigma * sigma * max(1.0 + (a * pa - bpb) / z - lam * lam, 0.0)


@distribution(
    "normal",
    9,
    (_MEAN, _SD),
    build=lambda mean, sd: Normal(mean, sd),
    summary=": normal, needs mean >= 3 sd; the <= 0.135 % below 0 is cut off",
    kernel="p0 = mean, p1 = sd, p2 = Phi(-mean / sd) (the part below 0, cut off)",
)
@dataclass(frozen=True)
class Normal(Distribution):
    """A normal duration (minutes) of this mean and standard deviation, never negative.

    Durations cannot be negative, so the mean must be at least :data:`NORMAL_MIN_MEAN_SDS` (3)
    standard deviations (else :class:`ModelError`: use :class:`TruncatedNormal`, a lognormal or
    a gamma): at most 0.135 % of the normal is then below 0, and that part is cut off (draws
    are from the normal restricted to [0, inf), not clamped at 0). :attr:`mean` and
    :attr:`variance` are those of the cut law: at mean = 3 sd the mean is 0.0044 sd above
    ``mean_minutes`` and the standard deviation 0.67 % below ``sd_minutes``; at 4 sd the
    differences are below 0.0002 sd and 0.03 %."""

    mean_minutes: float
    sd_minutes: float

    def __post_init__(self) -> None:
        _positive("normal.mean", self.mean_minutes)
        _positive("normal.sd", self.sd_minutes)
        if self.mean_minutes < NORMAL_MIN_MEAN_SDS * self.sd_minutes:
            raise ModelError(
                "normal",
                f"needs mean >= 3 sd, else more than 0.135% of it is below "
                f"0, got mean {_g(self.mean_minutes)} and sd "
                f"{_g(self.sd_minutes)} minutes: use truncated_normal, "
                f"lognormal or gamma",
            )

    @property
    def mean(self) -> float:
        return _cut_moments(
            self.mean_minutes, self.sd_minutes, -self.mean_minutes / self.sd_minutes, math.inf
        )[0]

    @property
    def variance(self) -> float:
        return _cut_moments(
            self.mean_minutes, self.sd_minutes, -self.mean_minutes / self.sd_minutes, math.inf
        )[1]

    def params(self) -> tuple[float, float, float]:
        return (self.mean_minutes, self.sd_minutes, normal_cdf(-self.mean_minutes / self.sd_minutes))


@distribution(
    "truncated_normal",
    10,
    (
        Parameter("mean", "mean of the normal before truncation", positive=False),
        Parameter("sd", "standard deviation of the normal before truncation"),
        Parameter("low", "shortest duration (default 0min)", positive=False, optional=True, default=0.0),
        Parameter("high", "longest duration (default none: no upper bound)", positive=False, optional=True),
    ),
    build=lambda mean, sd, low=0.0, high=None: TruncatedNormal(
        mean, sd, low, math.inf if high is None else high
    ),
    summary=": the normal of this mean and sd restricted to [low, high]",
    kernel="p0 = offset into CompiledModel.empirical_values of (sign, c_lo, c_hi), "
    "p1 = mean, p2 = sd (before truncation)",
)
@dataclass(frozen=True)
class TruncatedNormal(Distribution):
    """The normal of mean ``mean_minutes`` and standard deviation ``sd_minutes`` restricted to
    [``low``, ``high``] minutes (``high`` may be inf): the distribution of a normal draw given
    that it falls in the interval. ``mean_minutes`` and ``sd_minutes`` are the parameters of the
    normal before truncation; :attr:`mean` and :attr:`variance` are those of the truncated law.
    The interval must hold at least 1e-12 of the normal's probability."""

    mean_minutes: float
    sd_minutes: float
    low: float = 0.0
    high: float = math.inf

    def __post_init__(self) -> None:
        _positive("truncated_normal.mean", self.mean_minutes, allow_zero=True)
        _positive("truncated_normal.sd", self.sd_minutes)
        _positive("truncated_normal.low", self.low, allow_zero=True)
        if not self.high > self.low:
            raise ModelError(
                "truncated_normal",
                f"needs high > low, got low {_g(self.low)} and high {_g(self.high)} minutes",
            )
        _, lo, hi = _cut(*self._bounds())
        if not hi - lo >= _MIN_MASS:
            raise ModelError(
                "truncated_normal",
                f"low {_g(self.low)} to high {_g(self.high)} "
                f"minutes holds less than {_MIN_MASS:g} of the "
                f"normal of mean {_g(self.mean_minutes)} and "
                f"sd {_g(self.sd_minutes)}",
            )

    def _bounds(self) -> tuple[float, float]:
        """The interval in standard units: ((low - mean) / sd, (high - mean) / sd)."""
        return (
            (self.low - self.mean_minutes) / self.sd_minutes,
            (self.high - self.mean_minutes) / self.sd_minutes,
        )

    @property
    def mean(self) -> float:
        return _cut_moments(self.mean_minutes, self.sd_minutes, *self._bounds())[0]

    @property
    def variance(self) -> float:
        return _cut_moments(self.mean_minutes, self.sd_minutes, *self._bounds())[1]

    def params(self) -> tuple[float, float, float]:
        # p0 (offset of empirical() in the model's pool) is filled in by the model builder.
        return (0.0, self.mean_minutes, self.sd_minutes)

    def empirical(self) -> np.ndarray:
        return np.asarray(_cut(*self._bounds()), dtype=np.float64)


DIST_NAMES: dict[int, str] = {E.DIST_NONE: "none", **{k.code: k.name for k in DISTRIBUTIONS.values()}}
"""Code -> name of every distribution code (``none``: no draw)."""

# The codes sample_nb branches on (numba reads module-level ints as constants).
_EXPONENTIAL = Exponential.kind
_LOGNORMAL = Lognormal.kind
_GAMMA = Gamma.kind
_WEIBULL = Weibull.kind
_TRIANGULAR = Triangular.kind
_UNIFORM = Uniform.kind
_FIXED = Fixed.kind
_EMPIRICAL = Empirical.kind
_NORMAL = Normal.kind
_TRUNCATED_NORMAL = TruncatedNormal.kind
_BELOW_ONE = 1.0 - 2.0**-53  # the largest float below 1


# --- numba samplers -----------------------------------------------------------------------------


@kernel_jit
def ndtri_nb(p: float) -> float:
    """Inverse standard normal CDF for p in (0, 1): Wichura's (1988) AS 241 (PPND16).

    Accuracy: about 1e-16 relative (Wichura); measured against ``scipy.stats.norm.ppf`` on
    p in [1e-300, 1 - 1e-16] at most 1.1e-15 relative (absolute near p = 0.5; test:
    tests/unit/test_distributions_normal.py)."""
    # AS 241's nested Horner form, kept as published (one coefficient pair a line)
    # fmt: off
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
    # fmt: on


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
def _triangular_nb(low: float, mode: float, high: float, u: float) -> float:
    """Triangular(low, mode, high) by inversion of u (minutes)."""
    if u < (mode - low) / (high - low):
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1.0 - u) * (high - low) * (high - mode))


@kernel_jit
def _cut_normal_nb(mu: float, sigma: float, sign: float, c_lo: float, c_hi: float, u: float) -> float:
    """normal(mu, sigma) restricted by (sign, c_lo, c_hi) (see ``_cut``), by inversion of u;
    never below 0."""
    v = c_lo + u * (c_hi - c_lo)
    if v > _BELOW_ONE:
        v = _BELOW_ONE
    x = mu + sigma * sign * ndtri_nb(v)
    return x if x > 0.0 else 0.0


@kernel_jit_leaf
def sample_nb(kind: int, p0: float, p1: float, p2: float, empirical: np.ndarray, key: np.uint64) -> float:
    """One variate (minutes) of distribution ``kind`` with parameters (p0, p1, p2) from ``key``
    (the meaning of p0, p1, p2 per kind: ``DISTRIBUTIONS[name].kernel``)."""
    if kind == _EXPONENTIAL:
        return -p0 * math.log(uniform(key, 0))
    if kind == _LOGNORMAL:
        return math.exp(p0 + p1 * ndtri_nb(uniform(key, 0)))
    if kind == _GAMMA:
        return p1 * _gamma_unit_nb(p0, key)
    if kind == _WEIBULL:
        return p1 * (-math.log(uniform(key, 0))) ** (1.0 / p0)
    if kind == _TRIANGULAR:
        return _triangular_nb(p0, p1, p2, uniform(key, 0))
    if kind == _UNIFORM:
        return p0 + (p1 - p0) * uniform(key, 0)
    if kind == _FIXED:
        return p0
    if kind == _EMPIRICAL:
        n = int(p1)
        i = int(uniform(key, 0) * n)
        if i >= n:
            i = n - 1
        return empirical[int(p0) + i]
    if kind == _NORMAL:
        return _cut_normal_nb(p0, p1, 1.0, p2, 1.0, uniform(key, 0))
    if kind == _TRUNCATED_NORMAL:
        k = int(p0)
        return _cut_normal_nb(p1, p2, empirical[k], empirical[k + 1], empirical[k + 2], uniform(key, 0))
    return math.inf  # DIST_NONE: never happens (e.g. a patient with no patience)


def _pool_counts(code: int, par: np.ndarray) -> np.ndarray | None:
    """How many values of ``empirical_values`` each law of ``code`` uses (``par``: (n, 3) its
    parameters), or None for a law that keeps no values there."""
    if code == Empirical.kind:
        return par[:, 1]
    if code == TruncatedNormal.kind:
        return np.full(len(par), 3.0)  # (sign, c_lo, c_hi)
    return None


def check_pools(model: CompiledModel) -> None:
    """Raise ModelError if a pooled law (empirical, truncated normal) of ``model`` points outside
    ``model.empirical_values`` (its p0 must be a whole offset, its values inside the pool): the
    kernel reads the pool without bounds checks."""
    V = model.empirical_values.shape[0]
    laws = {
        "service_dist": (model.service_dist, model.service_par),
        "patience_dist": (model.patience_dist, model.patience_par),
        "route_delay_dist": (model.route_delay_dist, model.route_delay_par),
        "stream_first_dist": (model.stream_first_dist, model.stream_first_par),
    }
    for name, (dist, par) in laws.items():
        for kind in DISTRIBUTIONS.values():
            chosen = par[dist == kind.code]  # (n, 3)
            count = _pool_counts(kind.code, chosen)
            if count is None or not len(chosen):
                continue
            offset = chosen[:, 0]
            if not (
                (offset == np.floor(offset))
                & (count == np.floor(count))
                & (offset >= 0)
                & (count >= 1)
                & (offset + count <= V)
            ).all():
                raise ModelError(name, f"a {kind.name} law points outside empirical_values")
