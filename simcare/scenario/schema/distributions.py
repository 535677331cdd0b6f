"""Distributions of durations as scenario models: ``{dist: exponential, mean: 9min}`` or a plain
duration (``'30min'``, a fixed one). Each model has ``.to_distribution()``, the
:class:`~simcare.sampling.distributions.Distribution` in minutes.

The models are generated from the table of :mod:`simcare.sampling.distributions`
(:data:`~simcare.sampling.distributions.DISTRIBUTIONS`): one ``<Name>Spec`` per distribution,
with a ``dist`` key and one field per parameter (durations as ``'9min'``, numbers plain), so a
distribution added there is accepted here with no other change.
"""

import math
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self, Union

from pydantic import AfterValidator, BeforeValidator, Field, create_model, model_validator

from simcare.errors import ModelError
from simcare.sampling.distributions import DISTRIBUTIONS, Distribution, DistributionKind, Parameter
from simcare.scenario.schema.base import OptionalDuration, Shape, Spec, Weight
from simcare.scenario.units import Duration
from simcare.units import MINUTES_PER_DAY, parse_duration

MAX_DISTRIBUTION_YEARS = 10
"""Every duration parameter of a distribution, and its mean and standard deviation, is at most
10 years (issue 16: a lognormal sd of 1e300 minutes overflowed the draws)."""
MAX_DISTRIBUTION_MINUTES = MAX_DISTRIBUTION_YEARS * 365.25 * MINUTES_PER_DAY


def _years(minutes: float) -> str:
    return f"{minutes / MINUTES_PER_DAY / 365.25:.6g} years"


def _at_most_ten_years(minutes: float) -> float:
    if minutes > MAX_DISTRIBUTION_MINUTES:
        raise ValueError(f"must be at most {MAX_DISTRIBUTION_YEARS} years, got {_years(minutes)}")
    return minutes


def _positive_and_at_most_ten_years(minutes: float) -> float:
    if not minutes > 0:
        raise ValueError("must be longer than 0")
    return _at_most_ten_years(minutes)


DistDuration = Annotated[Duration, AfterValidator(_at_most_ten_years)]
PositiveDistDuration = Annotated[Duration, AfterValidator(_positive_and_at_most_ten_years)]

__all__ = ["DISTRIBUTION_SPECS", "Dist", "DistributionModel", "DistributionSpec", "spec_name"]


class DistributionModel(Spec):
    """Base of the generated ``*Spec`` models: ``definition`` is the distribution's row of the
    table; the fields are ``dist`` and its parameters (minutes or plain numbers)."""

    definition: ClassVar[DistributionKind]

    def to_distribution(self) -> Distribution:
        """The simcare Distribution (all durations in minutes); parameters left out (None) are
        not passed, so the distribution's defaults apply."""
        given = {p.name: getattr(self, p.name) for p in self.definition.parameters}
        return self.definition.build(**{k: v for k, v in given.items() if v is not None})

    @property
    def mean_minutes(self) -> float:
        return self.to_distribution().mean

    @model_validator(mode="after")
    def _buildable(self) -> Self:
        try:
            law = self.to_distribution()
        except ModelError as exc:
            raise ValueError(exc.message) from None
        # a shape parameter can make the mean or spread enormous with every duration in range
        spread = math.sqrt(law.variance) if law.variance >= 0 else math.inf
        for what, value in (("mean", law.mean), ("standard deviation", spread)):
            if not value <= MAX_DISTRIBUTION_MINUTES:
                raise ValueError(
                    f"its {what} must be at most {MAX_DISTRIBUTION_YEARS} years, got "
                    f"{_years(value) if math.isfinite(value) else 'an infinite one'}"
                )
        return self


def spec_name(kind: DistributionKind) -> str:
    """``truncated_normal`` -> ``TruncatedNormalSpec`` (the model's name in the JSON schema)."""
    return "".join(part.capitalize() for part in kind.name.split("_")) + "Spec"


def _field(p: Parameter) -> tuple[Any, Any]:
    """(type, FieldInfo) of a parameter: durations in minutes, plain numbers, lists."""
    if p.many:
        return list[DistDuration], Field(min_length=1, description=p.description)
    if p.optional and p.default is None:
        return OptionalDuration, Field(default=None, description=p.description)
    kinds: dict[tuple[str, bool], Any] = {
        ("minutes", True): PositiveDistDuration,
        ("minutes", False): DistDuration,
        ("number", True): Shape,
        ("number", False): Weight,
    }
    kind = kinds[(p.unit, p.positive)]
    bound = f" (at most {MAX_DISTRIBUTION_YEARS} years)" if p.unit == "minutes" else ""
    if p.optional:
        return kind, Field(default=p.default, description=p.description + bound)
    return kind, Field(description=p.description + bound)


def _summary(kind: DistributionKind) -> str:
    """``{dist: lognormal, mean, sd}``: ..., the model's docstring (its JSON schema description)."""
    names = ", ".join(f"{p.name}: [...]" if p.many else p.name for p in kind.parameters)
    return f"``{{dist: {kind.name}, {names}}}``{kind.summary}."


def _spec(kind: DistributionKind) -> type[DistributionModel]:
    fields: dict[str, Any] = {"dist": (Literal[kind.name], ...)}
    fields.update({p.name: _field(p) for p in kind.parameters})
    model = create_model(
        spec_name(kind), __base__=DistributionModel, __doc__=_summary(kind), __module__=__name__, **fields
    )
    model.definition = kind
    return model


DISTRIBUTION_SPECS: dict[str, type[DistributionModel]] = {
    name: _spec(kind) for name, kind in DISTRIBUTIONS.items()
}
"""``dist`` name -> its generated model, in code order."""

if TYPE_CHECKING:
    DistributionSpec = DistributionModel
else:
    DistributionSpec = Annotated[
        Union[tuple(DISTRIBUTION_SPECS.values())],  # noqa: UP007
        Field(discriminator="dist"),
    ]
"""One of the distribution models, chosen by its ``dist`` key."""


def _dist_before(value: Any) -> Any:
    if isinstance(value, str):
        parse_duration(value)  # a plain duration is a fixed one; its errors are reported here
        return {"dist": "fixed", "value": value}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(
            f"'{value}' has no unit: write a distribution such as "
            f"{{dist: exponential, mean: {value}min}}, or a fixed duration such "
            f"as '{value}min'"
        )
    return value


Dist = Annotated[
    DistributionSpec,
    BeforeValidator(_dist_before, json_schema_input_type=DistributionSpec | Duration),
]
"""A distribution or a plain duration (a fixed one)."""
