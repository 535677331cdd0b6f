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

from simcare.scenario.units import MAX_DURATION_MINUTES, MAX_YEARS, Duration, Fraction, SignedFraction
from simcare.units import _show, format_duration, parse_duration

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


# --- bounds: the largest (and smallest) values a real urgent-care system could have ---------
# (issue 16: each is stated in the JSON schema and in the table of docs/scenarios.md; beyond them
# the builder overflowed 64-bit integers, arrival arrays filled with infinities, or a run asked
# for more memory than a machine has)

MAX_SERVERS = 100_000
"""Servers, beds, slots, census patients and servers added by a rule: at most 100 000."""
MAX_POPULATION = 100_000_000
"""People in one locality: at most 10^8."""
MAX_FACTOR = 1000.0
"""Demand multipliers (monthly, bank holidays, Christmas, shocks) and parameter-set multipliers."""
MAX_WEIGHT = 1e6
"""Relative weights of an hour-of-week profile."""
MAX_REPLICATIONS = 100_000
MAX_SEED = 2**63 - 1
"""Seeds are stored as signed 64-bit integers (the provenance columns)."""
MAX_PRIORITY = 1000
"""ED queue priorities: -1000 ... 1000."""
MIN_GROWTH, MAX_GROWTH = -0.5, 1.0
"""Demand growth a year: -50 % ... +100 %."""
MIN_LOS_TREND, MAX_LOS_TREND = 0.5, 2.0
"""Length-of-stay multiplier a year (the same range as growth: -50 % ... +100 %)."""
MIN_SHAPE, MAX_SHAPE = 0.05, 100.0
"""Shape parameters without a unit (Weibull k)."""
MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 10_000


def _int(lo: int, hi: int, description: str) -> Any:
    """Field metadata of a whole number lo ... hi (the JSON schema shows the bounds)."""
    return Field(strict=True, ge=lo, le=hi, description=description)


def _float(lo: float, hi: float, description: str, *, above: bool = False) -> Any:
    """Field metadata of a finite number lo ... hi (``above``: strictly above lo)."""
    if above:
        return Field(strict=True, gt=lo, le=hi, allow_inf_nan=False, description=description)
    return Field(strict=True, ge=lo, le=hi, allow_inf_nan=False, description=description)


Count = Annotated[int, _int(0, MAX_SERVERS, f"whole number, 0 ... {MAX_SERVERS}")]
"""A whole number 0 ... MAX_SERVERS (servers, beds, slots, patients present)."""

PositiveCount = Annotated[int, _int(1, MAX_SERVERS, f"whole number, 1 ... {MAX_SERVERS}")]
Population = Annotated[int, _int(0, MAX_POPULATION, f"people, 0 ... {MAX_POPULATION}")]
Replications = Annotated[int, _int(1, MAX_REPLICATIONS, f"replications, 1 ... {MAX_REPLICATIONS}")]
Seed = Annotated[int, _int(0, MAX_SEED, "seed, 0 ... 2^63 - 1")]
Priority = Annotated[
    int, _int(-MAX_PRIORITY, MAX_PRIORITY, f"queue priority, {-MAX_PRIORITY} ... {MAX_PRIORITY}")
]

Factor = Annotated[float, _float(0.0, MAX_FACTOR, f"multiplier, 0 ... {MAX_FACTOR:g} (1 = no change)")]
"""A multiplier 0 ... MAX_FACTOR (1 = no change)."""

Multiplier = Annotated[
    float,
    _float(0.0, MAX_FACTOR, f"multiplier, above 0 and at most {MAX_FACTOR:g} (1 = no change)", above=True),
]
"""A multiplier above 0 and at most MAX_FACTOR (parameter sets)."""

Weight = Annotated[float, _float(0.0, MAX_WEIGHT, f"relative weight, 0 ... {MAX_WEIGHT:g}")]
Shape = Annotated[
    float, _float(MIN_SHAPE, MAX_SHAPE, f"shape without a unit, {MIN_SHAPE:g} ... {MAX_SHAPE:g}")
]
LengthOfStayTrend = Annotated[
    float,
    _float(
        MIN_LOS_TREND,
        MAX_LOS_TREND,
        f"multiplier a year, {MIN_LOS_TREND:g} ... {MAX_LOS_TREND:g} (1: no change)",
    ),
]


def _growth(x: float) -> float:
    if not MIN_GROWTH <= x <= MAX_GROWTH:
        raise ValueError(f"must be between -50% and +100% a year, got {show_number(x * 100)}%")
    return x


Growth = Annotated[
    SignedFraction,
    AfterValidator(_growth),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": MIN_GROWTH, "maximum": MAX_GROWTH},
                {"type": "string", "pattern": r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*%\s*$"},
            ],
            "description": "growth a year: a number -0.5 ... 1 or a percentage -50% ... +100% (e.g. '2%')",
            "x-simcare-unit": "signed fraction",
        }
    ),
]
"""Growth a year: -50 % ... +100 % (``'2%'``, ``-0.01``)."""


def unprintable(text: str, allowed: str = "") -> str | None:
    """Description of the first character of ``text`` that is not printable (a control or
    format character, a line break...) and not in ``allowed``, or None when there is none."""
    for i, ch in enumerate(text):
        if not ch.isprintable() and ch not in allowed:
            return f"U+{ord(ch):04X} at character {i + 1}"
    return None


def _printable_name(text: str) -> str:
    bad = unprintable(text)
    if bad is not None:
        raise ValueError(
            f"must not contain control characters ({bad}): names are printed to terminals and reports"
        )
    return text


def _printable_text(text: str) -> str:
    bad = unprintable(text, allowed="\n\t")
    if bad is not None:
        raise ValueError(f"must not contain control characters other than line breaks and tabs ({bad})")
    return text


Name = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=MAX_NAME_LENGTH),
    AfterValidator(_printable_name),
]
"""A name: 1 ... 100 printable characters (no control characters)."""

Key = Annotated[str, Field(max_length=MAX_NAME_LENGTH), AfterValidator(_printable_name)]
"""A key that names something (a locality, site, trust, profile, acuity): at most 100 printable
characters."""

Description = Annotated[
    str, Field(strict=True, max_length=MAX_DESCRIPTION_LENGTH), AfterValidator(_printable_text)
]
"""Free text: at most 10 000 characters; line breaks and tabs, but no other control characters."""


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


Mix = Annotated[dict[Key, Fraction], AfterValidator(sum_to_one)]
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
    minutes = parse_duration(value)
    if minutes > MAX_DURATION_MINUTES:
        raise ValueError(f"must be at most {MAX_YEARS} years, got {_show(value)}")
    return minutes


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
