"""Quantities with units, as written in scenario files, and their pydantic types.

The parsers themselves live in :mod:`simcare.units` (layer L0, shared with the Python builder
:mod:`simcare.network`); this module wraps them as pydantic types. Each type takes the value
as it comes out of YAML and returns a plain number in simcare's internal units, or raises
``ValueError`` with a message meant for the person who wrote the file:

============== ==================================== ===========================================
type           written                              becomes
============== ==================================== ===========================================
Duration       ``90s`` ``8min`` ``4h`` ``2.5d`` ``1w`` float minutes (>= 0)
Rate           ``120/day`` ``5/h`` ``40000/year``     float events per hour (>= 0)
PerCapitaRate  ``350/1000/year`` ``2/1000/day``       float events per person per hour (>= 0)
Fraction       ``0.3`` ``30%``                        float in [0, 1]
SignedFraction ``2%`` ``-0.5%``                       float in [-1, 1] (e.g. growth per year)
Level          ``0.95`` ``95%`` ``12``                float >= 0 (escalation thresholds)
TimeOfDay      ``"08:00"`` ``"24:00"``                int minutes after midnight, 0..1440
Date           ``2025-10-01``                         datetime.date
============== ==================================== ===========================================

A year is 365.25 days, a week 7 days. A bare number where a unit is needed is an error: is ``4``
hours or minutes? Each type serialises back to a canonical string with a unit (``"240.0min"``,
``"5.0/h"``), so ``model_validate(model_dump())`` round-trips and the canonical JSON of a
scenario does not depend on the units it was written in.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

from simcare.units import (
    HOURS_PER_YEAR,
    MINUTES_PER_DAY,
    format_duration,
    format_per_capita_rate,
    format_rate,
    format_time_of_day,
    parse_date,
    parse_duration,
    parse_fraction,
    parse_level,
    parse_per_capita_rate,
    parse_rate,
    parse_signed_fraction,
    parse_time_of_day,
)

__all__ = [
    "MAX_DATE",
    "MAX_DURATION_MINUTES",
    "MAX_LEVEL",
    "MAX_PER_CAPITA_RATE",
    "MAX_YEARS",
    "MIN_DATE",
    "Date",
    "Duration",
    "Fraction",
    "Level",
    "PerCapitaRate",
    "Rate",
    "SignedFraction",
    "TimeOfDay",
]

# --- bounds (issue 16): what a real system could have; docs/scenarios.md has the table ------------

MAX_YEARS = 20
"""No duration in a scenario is longer than 20 years (the longest run, warm-up included)."""
MAX_DURATION_MINUTES = MAX_YEARS * 365.25 * MINUTES_PER_DAY
MIN_DATE, MAX_DATE = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
"""Dates of a scenario lie in 2000-01-01 ... 2100-12-31."""
MAX_PER_CAPITA_RATE = 1.0 / 24.0
"""A rate per head is at most one a day (per person per hour: 1/24)."""
MAX_LEVEL = 100_000.0
"""An escalation threshold is at most 100 000 (patients waiting; or 10 000 000 %)."""


def _short_duration(minutes: float) -> float:
    if minutes > MAX_DURATION_MINUTES:
        years = minutes / MINUTES_PER_DAY / 365.25
        raise ValueError(f"must be at most {MAX_YEARS} years, got {years:.6g} years")
    return minutes


def _date_in_range(day: dt.date) -> dt.date:
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE} and {MAX_DATE}, got {day}")
    return day


def _rate_per_head(per_person_per_hour: float) -> float:
    if per_person_per_hour > MAX_PER_CAPITA_RATE:
        per_year = per_person_per_hour * HOURS_PER_YEAR
        raise ValueError(
            f"must be at most one a head a day (365.25/1/year), got {per_year:.6g} a head a year"
        )
    return per_person_per_hour


def _level(x: float) -> float:
    if x > MAX_LEVEL:
        raise ValueError(f"must be <= {MAX_LEVEL:.0f}, got {x:.6g}")
    return x


# --- pydantic types -----------------------------------------------------------------------------

_NUMBER_PATTERN = r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?"


def _string_schema(
    pattern: str, description: str, examples: list[str], kind: str, bound: str | None = None
) -> WithJsonSchema:
    schema = {
        "type": "string",
        "pattern": pattern,
        "description": description,
        "examples": examples,
        "x-simcare-unit": kind,
    }
    if bound is not None:
        schema["x-simcare-bound"] = bound  # shown in the field's description
    return WithJsonSchema(schema)


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    AfterValidator(_short_duration),
    PlainSerializer(format_duration, return_type=str),
    _string_schema(
        rf"^\s*{_NUMBER_PATTERN}\s*(s|min|h|d|w)\s*$",
        "duration with its unit: s, min, h, d or w (e.g. '90s', '8min', '4h', '2.5d'), "
        f"at most {MAX_YEARS} years",
        ["8min", "4h", "2.5d"],
        "duration",
        f"at most {MAX_YEARS} years",
    ),
]
"""A duration: ``'8min'`` in the file, float minutes in Python."""

Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    PlainSerializer(format_rate, return_type=str),
    _string_schema(
        rf"^\s*{_NUMBER_PATTERN}\s*/\s*(h|hour|d|day|w|week|year)\s*$",
        "rate with its unit: per h, day, week or year (e.g. '120/day', '5/h')",
        ["120/day", "5/h", "40000/year"],
        "rate",
    ),
]
"""A rate: ``'120/day'`` in the file, float events per hour in Python."""

PerCapitaRate = Annotated[
    float,
    BeforeValidator(parse_per_capita_rate),
    AfterValidator(_rate_per_head),
    PlainSerializer(format_per_capita_rate, return_type=str),
    _string_schema(
        rf"^\s*{_NUMBER_PATTERN}\s*/\s*{_NUMBER_PATTERN}\s*/\s*(h|hour|d|day|w|week|year)\s*$",
        "rate per head of population: events / population / time unit (e.g. '350/1000/year'), "
        "at most one a head a day",
        ["350/1000/year", "2/1000/day"],
        "per-capita rate",
        "at most one a head a day",
    ),
]
"""A rate per person: ``'350/1000/year'`` in the file, float events per person per hour."""

Fraction = Annotated[
    float,
    BeforeValidator(parse_fraction),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1},
                {"type": "string", "pattern": rf"^\s*{_NUMBER_PATTERN}\s*%\s*$"},
            ],
            "description": "fraction: a number in [0, 1] or a percentage such as '30%'",
            "x-simcare-unit": "fraction",
        }
    ),
]
"""A fraction: ``0.3`` or ``'30%'``, float in [0, 1]."""

SignedFraction = Annotated[
    float,
    BeforeValidator(parse_signed_fraction),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": -1, "maximum": 1},
                {"type": "string", "pattern": rf"^\s*{_NUMBER_PATTERN}\s*%\s*$"},
            ],
            "description": "fraction that may be negative: a number in [-1, 1] or a percentage such as '2%'",
            "x-simcare-unit": "signed fraction",
        }
    ),
]
"""A fraction that may be negative (growth): ``0.02`` or ``'2%'``, float in [-1, 1]."""

Level = Annotated[
    float,
    BeforeValidator(parse_level),
    AfterValidator(_level),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": MAX_LEVEL},
                {"type": "string", "pattern": rf"^\s*{_NUMBER_PATTERN}\s*%\s*$"},
            ],
            "description": "threshold: a number 0 ... 100000 (patients waiting) or a "
            "percentage (occupancy, e.g. '95%')",
            "x-simcare-unit": "level",
        }
    ),
]
"""An escalation threshold: a number >= 0 or a percentage."""

TimeOfDay = Annotated[
    int,
    BeforeValidator(parse_time_of_day),
    PlainSerializer(format_time_of_day, return_type=str),
    _string_schema(
        r"^\s*([01]?\d|2[0-3]):[0-5]\d\s*$|^\s*24:00\s*$",
        'time of day "HH:MM", 24-hour clock ("24:00" allowed as an end)',
        ["08:00", "20:00", "24:00"],
        "time of day",
    ),
]
"""A time of day: ``"08:00"`` in the file, int minutes after midnight (0..1440) in Python."""

Date = Annotated[
    dt.date,
    BeforeValidator(parse_date),
    AfterValidator(_date_in_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": f"date YYYY-MM-DD, {MIN_DATE} ... {MAX_DATE}",
            "x-simcare-unit": "date",
            "x-simcare-bound": f"{MIN_DATE} ... {MAX_DATE}",
        }
    ),
]
"""A calendar date ``2025-10-01`` (datetime.date)."""
