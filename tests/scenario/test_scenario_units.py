"""Quantities with units: what is accepted, what it becomes, and what the errors say."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from simcare.scenario.units import (
    Date,
    Duration,
    Fraction,
    Level,
    PerCapitaRate,
    Rate,
    SignedFraction,
    TimeOfDay,
)
from simcare.units import (
    parse_date,
    parse_duration,
    parse_fraction,
    parse_level,
    parse_per_capita_rate,
    parse_rate,
    parse_signed_fraction,
    parse_time_of_day,
)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90s", 1.5),
        ("8min", 8.0),
        ("4h", 240.0),
        ("2.5d", 3600.0),
        ("1w", 10080.0),
        ("0min", 0.0),
        (" 4 h ", 240.0),
        (".5h", 30.0),
        ("1e1min", 10.0),
        ("240.0min", 240.0),
    ],
)
def test_durations_become_minutes(text: str, minutes: float) -> None:
    assert parse_duration(text) == pytest.approx(minutes)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (4, "'4' has no unit: write e.g. '4h' or '4min'"),
        ("4", "'4' has no unit: write e.g. '4h' or '4min'"),
        (2.5, "'2.5' has no unit"),
        ("-4h", "durations cannot be negative"),
        ("4hrs", "unknown unit 'hrs' in '4hrs': write '4h'"),
        ("8m", "write '8min'"),
        ("4 parsecs", "unknown unit 'parsecs'"),
        ("soon", "'soon' is not a duration"),
        (True, "must be a duration such as '4h' or '30min', got true"),
        (None, "got null"),
        ([1], "got a list"),
        ("1e999h", "not a finite number"),
    ],
)
def test_bad_durations_say_what_to_write(value: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(value)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "per_hour"),
    [
        ("120/day", 5.0),
        ("5/h", 5.0),
        ("5/hour", 5.0),
        ("168/week", 1.0),
        ("24/d", 1.0),
        ("8766/year", 1.0),
        ("40000/year", 40000 / 8766),
        ("0/day", 0.0),
        (" 12 / day ", 0.5),
    ],
)
def test_rates_become_per_hour(text: str, per_hour: float) -> None:
    assert parse_rate(text) == pytest.approx(per_hour)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (120, "'120' has no unit: write e.g. '120/day' or '120/h'"),
        ("-5/h", "rates cannot be negative"),
        ("5/fortnight", "unknown time unit 'fortnight'"),
        ("5/yr", "did you mean 'year'?"),
        ("350/1000/year", "is a rate per head of population"),
        ("5 per hour", "is not a rate"),
    ],
)
def test_bad_rates(value: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_rate(value)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "per_person_hour"),
    [
        ("350/1000/year", 0.35 / 8766),
        ("2/1000/day", 0.002 / 24),
        ("35/100/year", 0.35 / 8766),
        ("1/1/h", 1.0),
        ("0/1000/year", 0.0),
    ],
)
def test_per_capita_rates_become_per_person_per_hour(text: str, per_person_hour: float) -> None:
    assert parse_per_capita_rate(text) == pytest.approx(per_person_hour)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (350, "'350' has no unit: write e.g. '350/1000/year'"),
        ("350/year", "is a total rate; this needs a rate per head of population"),
        ("350/0/year", "population in '350/0/year' must be positive"),
        ("-1/1000/year", "rates cannot be negative"),
        ("350/1000/decade", "unknown time unit 'decade'"),
    ],
)
def test_bad_per_capita_rates(value: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_per_capita_rate(value)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("value", "fraction"),
    [
        (0.3, 0.3),
        ("30%", 0.3),
        (0, 0.0),
        (1, 1.0),
        ("100%", 1.0),
        ("0.25", 0.25),
        ("12.5 %", 0.125),
    ],
)
def test_fractions(value: Any, fraction: float) -> None:
    assert parse_fraction(value) == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "between 0 and 1"),
        (30, "for a percentage write '30%'"),
        ("150%", "between 0% and 100%"),
        (-0.1, "between 0 and 1"),
        (True, "got true"),
        ("lots", "must be a fraction"),
    ],
)
def test_bad_fractions(value: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_fraction(value)
    assert message in str(info.value)


def test_signed_fractions_and_levels() -> None:
    assert parse_signed_fraction("-1.5%") == pytest.approx(-0.015)
    assert parse_signed_fraction(0.02) == 0.02
    with pytest.raises(ValueError, match="between -1 and 1"):
        parse_signed_fraction(2)
    assert parse_level("95%") == pytest.approx(0.95)
    assert parse_level(12) == 12.0
    with pytest.raises(ValueError, match=">= 0"):
        parse_level(-1)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("08:00", 480),
        ("8:00", 480),
        ("00:00", 0),
        ("23:59", 1439),
        ("24:00", 1440),
        ("20:30", 1230),
    ],
)
def test_times_of_day(text: str, minutes: int) -> None:
    assert parse_time_of_day(text) == minutes


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("24:30", "between 00:00 and 24:00"),
        ("12:60", "between 00:00 and 24:00"),
        ("8am", "is not a time of day"),
        (1200, "in quotes"),
        ("25:00", "between 00:00 and 24:00"),
    ],
)
def test_bad_times_of_day(value: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_time_of_day(value)
    assert message in str(info.value)


def test_dates() -> None:
    assert parse_date(dt.date(2025, 10, 1)) == dt.date(2025, 10, 1)
    assert parse_date("2025-10-01") == dt.date(2025, 10, 1)
    with pytest.raises(ValueError, match="not a valid date"):
        parse_date("2025-02-30")
    with pytest.raises(ValueError, match="without a time"):
        parse_date(dt.datetime(2025, 10, 1, 8, 0))
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date(20251001)


class _Units(BaseModel):
    duration: Duration
    rate: Rate
    per_capita: PerCapitaRate
    fraction: Fraction
    signed: SignedFraction
    level: Level
    time: TimeOfDay
    day: Date


def test_annotated_types_validate_and_round_trip() -> None:
    m = _Units.model_validate(
        {
            "duration": "4h",
            "rate": "120/day",
            "per_capita": "350/1000/year",
            "fraction": "30%",
            "signed": "-2%",
            "level": "95%",
            "time": "08:00",
            "day": "2025-10-01",
        }
    )
    assert (m.duration, m.rate, m.fraction, m.time) == (240.0, 5.0, 0.3, 480)
    assert math.isclose(m.per_capita, 0.35 / 8766)
    dumped = m.model_dump(mode="json")
    assert dumped["duration"] == "240.0min"
    assert dumped["time"] == "08:00"
    assert _Units.model_validate(dumped) == m
    assert _Units.model_validate(m.model_dump()) == m


def test_annotated_types_report_the_parser_message() -> None:
    with pytest.raises(ValidationError) as info:
        _Units.model_validate(
            {
                "duration": 4,
                "rate": "5/h",
                "per_capita": "1/1/h",
                "fraction": 0,
                "signed": 0,
                "level": 0,
                "time": "08:00",
                "day": "2025-10-01",
            }
        )
    assert "'4' has no unit: write e.g. '4h' or '4min'" in str(info.value)
