"""Distributions of durations as scenario models: ``{dist: exponential, mean: 9min}`` or a plain
duration (``'30min'``, a fixed one). Each model has ``.to_distribution()``, the
:class:`~simcare.sampling.distributions.Distribution` in minutes.
"""

import abc
from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, model_validator

from simcare.errors import ModelError
from simcare.sampling.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
    Weibull,
)
from simcare.scenario.schema.base import PositiveDuration, PositiveNumber, Spec, show_number
from simcare.scenario.units import Duration, parse_duration


class _DistributionBase(Spec):
    @abc.abstractmethod
    def to_distribution(self) -> Distribution:
        """The simcare Distribution (all durations in minutes)."""

    @property
    def mean_minutes(self) -> float:
        return self.to_distribution().mean

    def _check_parameters(self) -> None:
        """Raise ValueError when the parameters do not make a distribution (subclasses)."""

    @model_validator(mode="after")
    def _buildable(self) -> Self:
        self._check_parameters()
        try:
            self.to_distribution()
        except ModelError as exc:
            raise ValueError(exc.message) from None
        return self


class ExponentialSpec(_DistributionBase):
    """``{dist: exponential, mean}``."""

    dist: Literal["exponential"]
    mean: PositiveDuration = Field(description="mean duration, e.g. '9min'")

    def to_distribution(self) -> Distribution:
        return Exponential(self.mean)


class LognormalSpec(_DistributionBase):
    """``{dist: lognormal, mean, sd}``: the lognormal's own mean and standard deviation."""

    dist: Literal["lognormal"]
    mean: PositiveDuration = Field(description="mean duration, e.g. '9min'")
    sd: PositiveDuration = Field(description="standard deviation, e.g. '5min'")

    def to_distribution(self) -> Distribution:
        return Lognormal(self.mean, self.sd)


class GammaSpec(_DistributionBase):
    """``{dist: gamma, mean, sd}``."""

    dist: Literal["gamma"]
    mean: PositiveDuration = Field(description="mean duration")
    sd: PositiveDuration = Field(description="standard deviation")

    def to_distribution(self) -> Distribution:
        return Gamma.from_mean_sd(self.mean, self.sd)


class WeibullSpec(_DistributionBase):
    """``{dist: weibull, shape, scale}``: shape is a plain number, scale a duration."""

    dist: Literal["weibull"]
    shape: PositiveNumber = Field(description="shape k (a number, no unit)")
    scale: PositiveDuration = Field(description="scale, a duration")

    def to_distribution(self) -> Distribution:
        return Weibull(self.shape, self.scale)


class TriangularSpec(_DistributionBase):
    """``{dist: triangular, low, mode, high}``."""

    dist: Literal["triangular"]
    low: Duration = Field(description="minimum duration")
    mode: Duration = Field(description="most likely duration")
    high: Duration = Field(description="maximum duration")

    def _check_parameters(self) -> None:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(f"needs low <= mode <= high and low < high, got low "
                             f"{show_number(self.low)}, mode {show_number(self.mode)}, high "
                             f"{show_number(self.high)} minutes")

    def to_distribution(self) -> Distribution:
        return Triangular(self.low, self.mode, self.high)


class UniformSpec(_DistributionBase):
    """``{dist: uniform, low, high}``."""

    dist: Literal["uniform"]
    low: Duration = Field(description="minimum duration")
    high: Duration = Field(description="maximum duration")

    def _check_parameters(self) -> None:
        if not self.high > self.low:
            raise ValueError(f"needs high > low, got low {show_number(self.low)} and high "
                             f"{show_number(self.high)} minutes")

    def to_distribution(self) -> Distribution:
        return Uniform(self.low, self.high)


class FixedSpec(_DistributionBase):
    """``{dist: fixed, value}`` (also written as a plain duration, ``'30min'``)."""

    dist: Literal["fixed"]
    value: Duration = Field(description="the duration")

    def to_distribution(self) -> Distribution:
        return Fixed(self.value)


class EmpiricalSpec(_DistributionBase):
    """``{dist: empirical, values: [...]}``: resamples the observed durations."""

    dist: Literal["empirical"]
    values: list[Duration] = Field(min_length=1, description="observed durations")

    def to_distribution(self) -> Distribution:
        return Empirical(tuple(self.values))


DISTRIBUTION_SPECS: dict[str, type[_DistributionBase]] = {
    "exponential": ExponentialSpec, "lognormal": LognormalSpec, "gamma": GammaSpec,
    "weibull": WeibullSpec, "triangular": TriangularSpec, "uniform": UniformSpec,
    "fixed": FixedSpec, "empirical": EmpiricalSpec,
}

DistributionSpec = Annotated[
    ExponentialSpec | LognormalSpec | GammaSpec | WeibullSpec | TriangularSpec | UniformSpec
    | FixedSpec | EmpiricalSpec,
    Field(discriminator="dist"),
]
"""One of the distribution models, chosen by its ``dist`` key."""


def _dist_before(value: Any) -> Any:
    if isinstance(value, str):
        parse_duration(value)  # a plain duration is a fixed one; its errors are reported here
        return {"dist": "fixed", "value": value}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"'{value}' has no unit: write a distribution such as "
                         f"{{dist: exponential, mean: {value}min}}, or a fixed duration such "
                         f"as '{value}min'")
    return value


Dist = Annotated[
    DistributionSpec,
    BeforeValidator(_dist_before, json_schema_input_type=DistributionSpec | Duration),
]
