"""Pydantic plumbing shared by every scenario model: the frozen base model, field paths, plain
number types, mixes (fractions that sum to 1), the names of things, and the helpers that build
error messages.

Values keep the units the compiler works in: durations are float minutes, rates are per hour,
fractions are floats in [0, 1] (see :mod:`simcare.scenario.units`).
"""

import math
from collections.abc import Sequence
from difflib import get_close_matches
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from simcare.scenario.units import Duration, Fraction
from simcare.units import format_duration, parse_duration

Loc = tuple[str | int, ...]
"""A field path as a tuple: ``("ed", "bri", "cubicles", "shifts", 1, "servers")``."""

SUM_TOLERANCE = 1e-6
ACUITY_DEFAULT_KEY = "default"

# Error types raised by our own checks (the loader tells them apart from pydantic's).
CHECK_ERROR = "scenario_check"
CROSS_ERROR = "scenario_reference"


def problem_error(
    title: str, problems: Sequence[tuple[Loc, str]], kind: str = CHECK_ERROR
) -> ValidationError:
    """A ValidationError carrying several problems, each at its own path below the model."""
    details = [
        InitErrorDetails(type=PydanticCustomError(kind, "{message}", {"message": msg}), loc=loc, input=None)
        for loc, msg in problems
    ]
    return ValidationError.from_exception_data(title, details)


def closest(name: object, choices: Sequence[str]) -> str | None:
    """The choice nearest to ``name`` (ignoring case), or None when none is close."""
    if not isinstance(name, str):
        return None
    lower = {c.lower(): c for c in choices}
    if name.lower() in lower:
        return lower[name.lower()]
    close = get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)
    return lower[close[0]] if close else None


def suggest(name: str, known: Sequence[str], what: str, where: str = "") -> str:
    """``"unknown ED site 'brl'; did you mean 'bri'? (ED sites: bri, southmead)"``."""
    near = closest(name, known)
    hint = f"; did you mean '{near}'?" if near else ""
    listing = ", ".join(known) if known else "none declared"
    plural = what[:-1] + "ies" if what.endswith("y") else what + "s"
    return f"unknown {what} '{name}'{where}{hint} ({plural}: {listing})"


def show_number(x: float) -> str:
    """A number as messages show it: six significant digits (`0.3`, `1e-07`)."""
    return f"{x:.6g}"


class Spec(BaseModel):
    """Base of every scenario model: unknown keys are errors, values are frozen, and dumps use
    the names written in files (``from``, ``for``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, serialize_by_alias=True, ser_json_bytes="base64")


# --- plain numbers ------------------------------------------------------------------------------

Count = Annotated[int, Field(strict=True, ge=0)]
"""A whole number >= 0 (servers, beds, slots, people)."""

PositiveCount = Annotated[int, Field(strict=True, ge=1)]
Factor = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
"""A multiplier >= 0 (1 = no change)."""

PositiveNumber = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
Weight = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
Name = Annotated[str, Field(strict=True, min_length=1)]


def _positive_duration(minutes: float) -> float:
    if not minutes > 0:
        raise ValueError("must be longer than 0")
    return minutes


PositiveDuration = Annotated[Duration, AfterValidator(_positive_duration)]


# --- mixes: fractions that sum to 1 -------------------------------------------------------------


def sum_to_one(mix: dict[Any, float]) -> dict[Any, float]:
    total = math.fsum(mix.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        terms = " + ".join(f"{k} {show_number(v)}" for k, v in mix.items()) or "nothing"
        raise ValueError(f"fractions must sum to 1, got {show_number(total)} ({terms})")
    return mix


def at_most_one(mix: dict[Any, float]) -> dict[Any, float]:
    total = math.fsum(mix.values())
    if total > 1.0 + SUM_TOLERANCE:
        terms = " + ".join(f"{k} {show_number(v)}" for k, v in mix.items())
        raise ValueError(f"fractions must sum to at most 1, got {show_number(total)} ({terms})")
    return mix


Mix = Annotated[dict[str, Fraction], AfterValidator(sum_to_one)]
"""Named fractions that sum to 1 (within 1e-6), e.g. an acuity mix."""

# --- names of things ----------------------------------------------------------------------------

DemandChannel = Literal[
    "phone_111",
    "online_111",
    "call_999",
    "ed_walk_in",
    "hub_walk_in",
    "gp_referral_sdec",
    "gp_referral_admission",
]
DEMAND_CHANNELS: tuple[str, ...] = get_args(DemandChannel)

Outcome = Literal["self_care", "primary_care", "hub", "sdec", "ed", "ambulance"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
Downgrade = Literal["self_care", "primary_care", "hub"]

Pathway = Literal["P0", "P1", "P2", "P3"]
D2aPathway = Literal["P1", "P2", "P3"]
Month = Literal["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)

Dispositions = Annotated[dict[Outcome, Fraction], AfterValidator(sum_to_one)]
Pathways = Annotated[dict[Pathway, Fraction], AfterValidator(sum_to_one)]


# --- optional durations ---------------------------------------------------------------------------


def _none_or_duration(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return None
    return parse_duration(value)


OptionalDuration = Annotated[
    float | None,
    BeforeValidator(_none_or_duration),
    PlainSerializer(lambda x: "none" if x is None else format_duration(x)),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "string",
                    "pattern": r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)"
                    r"([eE][-+]?\d+)?\s*(s|min|h|d|w)\s*$",
                },
                {"const": "none"},
            ],
            "description": "duration with its unit (e.g. '30min'), or none",
            "x-simcare-unit": "duration or none",
        }
    ),
]
