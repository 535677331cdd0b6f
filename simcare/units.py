"""Quantities with units: parse the text a person writes ("4h", "120/day", "30%") into numbers.

Layer L0 (imports nothing from simcare), so the Python front door (:mod:`simcare.network`) and
the scenario language (:mod:`simcare.scenario.units`, which wraps these parsers as pydantic
types) read units with the same rules and messages.

Every parser takes a value as a person wrote it and returns a plain number in simcare's internal
units, or raises ``ValueError`` with a message meant for that person:

=================== ==================================== ======================================
parser              written                              becomes
=================== ==================================== ======================================
parse_duration      ``90s`` ``8min`` ``4h`` ``2.5d`` ``1w`` float minutes (>= 0)
parse_rate          ``120/day`` ``5/h`` ``40000/year``     float events per hour (>= 0)
parse_per_capita... ``350/1000/year`` ``2/1000/day``       float events per person per hour
parse_fraction      ``0.3`` ``30%``                        float in [0, 1]
parse_signed_fr...  ``2%`` ``-0.5%``                       float in [-1, 1]
parse_level         ``0.95`` ``95%`` ``12``                float >= 0
parse_time_of_day   ``"08:00"`` ``"24:00"``                int minutes after midnight, 0..1440
parse_date          ``2025-10-01``                         datetime.date
=================== ==================================== ======================================

Numbers are written with ASCII digits only: ``\\d`` in a Python pattern, ``int()`` and
``float()`` also read Arabic-Indic (``'٣٠'``) and full-width (``'３０'``) digits, which a reader
of the file may not recognise as numbers; every pattern here is compiled with ``re.ASCII``.

A year is 365.25 days, a week 7 days. A bare number where a unit is needed is an error here
(is ``4`` hours or minutes?); callers that give bare numbers a documented unit (the builder:
minutes, per hour) check for numbers before they call these parsers.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

__all__ = [
    "HOURS_PER_YEAR",
    "MINUTES_PER_DAY",
    "MINUTES_PER_HOUR",
    "MINUTES_PER_WEEK",
    "format_duration",
    "format_per_capita_rate",
    "format_rate",
    "format_time_of_day",
    "parse_date",
    "parse_duration",
    "parse_fraction",
    "parse_level",
    "parse_per_capita_rate",
    "parse_rate",
    "parse_signed_fraction",
    "parse_time_of_day",
]

MINUTES_PER_HOUR = 60.0
MINUTES_PER_DAY = 1440.0
MINUTES_PER_WEEK = 10080.0
HOURS_PER_YEAR = 365.25 * 24.0

_DURATION_UNITS = {"s": 1 / 60, "min": 1.0, "h": 60.0, "d": 1440.0, "w": 10080.0}
_DURATION_HINTS = {
    "m": "min",
    "mn": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "day": "d",
    "days": "d",
    "wk": "w",
    "week": "w",
    "weeks": "w",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
}
# per-hour factors of the time unit after the slash
_PER_UNITS = {
    "h": 1.0,
    "hour": 1.0,
    "d": 24.0,
    "day": 24.0,
    "w": 168.0,
    "week": 168.0,
    "year": HOURS_PER_YEAR,
}
_PER_HINTS = {
    "hr": "h",
    "hours": "h",
    "days": "day",
    "weeks": "week",
    "y": "year",
    "yr": "year",
    "years": "year",
    "month": "day or year",
    "min": "h",
    "m": "h or day",
}

_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_DURATION_RE = re.compile(rf"^\s*(?P<num>{_NUM})\s*(?P<unit>[A-Za-z]*)\s*$", re.ASCII)
_RATE_RE = re.compile(rf"^\s*(?P<num>{_NUM})\s*/\s*(?P<unit>[A-Za-z]+)\s*$", re.ASCII)
_PER_CAPITA_RE = re.compile(
    rf"^\s*(?P<num>{_NUM})\s*/\s*(?P<pop>{_NUM})\s*/\s*(?P<unit>[A-Za-z]+)\s*$", re.ASCII
)
_NUMBER_RE = re.compile(rf"^\s*{_NUM}\s*$", re.ASCII)
_PERCENT_RE = re.compile(rf"^\s*(?P<num>{_NUM})\s*%\s*$", re.ASCII)
_TIME_RE = re.compile(r"^\s*(?P<h>\d{1,2}):(?P<m>\d{2})\s*$", re.ASCII)
_DATE_RE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$", re.ASCII)


def _show(value: Any) -> str:
    """The value as the user wrote it, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _ascii_digits(value: Any) -> None:
    """Refuse text with digits other than 0-9 (Arabic-Indic, full-width...), which Python's
    ``float()`` would read as numbers."""
    if isinstance(value, str) and any(ch.isdigit() and not ("0" <= ch <= "9") for ch in value):
        raise ValueError(f"{_show(value)} has digits other than 0-9: write numbers with the digits 0-9")


def _finite(x: float, text: Any) -> float:
    if not math.isfinite(x):
        raise ValueError(f"{_show(text)} is not a finite number")
    return x


# --- durations ----------------------------------------------------------------------------------


def parse_duration(value: Any) -> float:
    """``'90s'``, ``'8min'``, ``'4h'``, ``'2.5d'``, ``'1w'`` -> minutes (float >= 0)."""
    _ascii_digits(value)
    if _is_number(value) or (isinstance(value, str) and _NUMBER_RE.match(value)):
        shown = str(value).strip()
        raise ValueError(f"'{shown}' has no unit: write e.g. '{shown}h' or '{shown}min'")
    if not isinstance(value, str):
        raise ValueError(f"must be a duration such as '4h' or '30min', got {_show(value)}")
    m = _DURATION_RE.match(value)
    if not m:
        raise ValueError(
            f"{_show(value)} is not a duration: write a number and a unit "
            "(s, min, h, d or w), e.g. '4h' or '30min'"
        )
    num, unit = m["num"], m["unit"]
    if unit not in _DURATION_UNITS:
        hint = _DURATION_HINTS.get(unit.lower())
        if hint:
            raise ValueError(f"unknown unit '{unit}' in {_show(value)}: write '{num}{hint}'")
        raise ValueError(f"unknown unit '{unit}' in {_show(value)}: use s, min, h, d or w")
    x = _finite(float(num), value)
    if x < 0:
        raise ValueError(f"durations cannot be negative, got {_show(value)}")
    return x * _DURATION_UNITS[unit]


def format_duration(minutes: float) -> str:
    """Canonical text of a duration: ``'240.0min'``."""
    return f"{float(minutes)!r}min"


# --- rates --------------------------------------------------------------------------------------


def _per_unit(unit: str, value: Any) -> float:
    if unit in _PER_UNITS:
        return _PER_UNITS[unit]
    hint = _PER_HINTS.get(unit.lower())
    extra = f" (did you mean '{hint}'?)" if hint else ""
    raise ValueError(f"unknown time unit '{unit}' in {_show(value)}{extra}: use h, day, week or year")


def parse_rate(value: Any) -> float:
    """``'120/day'``, ``'5/h'``, ``'40000/year'`` -> events per hour (float >= 0)."""
    _ascii_digits(value)
    if _is_number(value) or (isinstance(value, str) and _NUMBER_RE.match(value)):
        shown = str(value).strip()
        raise ValueError(f"'{shown}' has no unit: write e.g. '{shown}/day' or '{shown}/h'")
    if not isinstance(value, str):
        raise ValueError(f"must be a rate such as '120/day' or '5/h', got {_show(value)}")
    if _PER_CAPITA_RE.match(value):
        raise ValueError(
            f"{_show(value)} is a rate per head of population; this needs a total rate such as '120/day'"
        )
    m = _RATE_RE.match(value)
    if not m:
        raise ValueError(f"{_show(value)} is not a rate: write e.g. '120/day', '5/h' or '40000/year'")
    per = _per_unit(m["unit"], value)
    x = _finite(float(m["num"]), value)
    if x < 0:
        raise ValueError(f"rates cannot be negative, got {_show(value)}")
    return x / per


def format_rate(per_hour: float) -> str:
    """Canonical text of a rate: ``'5.0/h'``."""
    return f"{float(per_hour)!r}/h"


def parse_per_capita_rate(value: Any) -> float:
    """``'350/1000/year'``, ``'2/1000/day'`` -> events per person per hour (float >= 0).

    The population base may be any positive number (``'35/100/year'``, ``'3.5e4/1e5/year'``)."""
    _ascii_digits(value)
    if _is_number(value) or (isinstance(value, str) and _NUMBER_RE.match(value)):
        shown = str(value).strip()
        raise ValueError(
            f"'{shown}' has no unit: write e.g. '{shown}/1000/year' (per 1000 population per year)"
        )
    if not isinstance(value, str):
        raise ValueError(f"must be a rate per head of population such as '350/1000/year', got {_show(value)}")
    m = _PER_CAPITA_RE.match(value)
    if not m:
        if _RATE_RE.match(value):
            raise ValueError(
                f"{_show(value)} is a total rate; this needs a rate per head of "
                "population, e.g. '350/1000/year'"
            )
        raise ValueError(
            f"{_show(value)} is not a rate per head of population: write e.g. '350/1000/year' or '2/1000/day'"
        )
    per = _per_unit(m["unit"], value)
    x = _finite(float(m["num"]), value)
    pop = _finite(float(m["pop"]), value)
    if pop <= 0:
        raise ValueError(f"the population in {_show(value)} must be positive")
    if x < 0:
        raise ValueError(f"rates cannot be negative, got {_show(value)}")
    return x / pop / per


def format_per_capita_rate(per_person_per_hour: float) -> str:
    """Canonical text of a per-capita rate: ``'3.99e-05/1/h'`` (per one person per hour)."""
    return f"{float(per_person_per_hour)!r}/1/h"


# --- fractions and levels -----------------------------------------------------------------------


def _number_or_percent(value: Any, what: str) -> tuple[float, bool]:
    """(number, written as a percentage?)."""
    _ascii_digits(value)
    if _is_number(value):
        return _finite(float(value), value), False
    if isinstance(value, str):
        m = _PERCENT_RE.match(value)
        if m:
            return _finite(float(m["num"]), value) / 100.0, True
        if _NUMBER_RE.match(value):
            return _finite(float(value), value), False
    raise ValueError(f"must be {what}, got {_show(value)}")


def parse_fraction(value: Any) -> float:
    """``0.3`` or ``'30%'`` -> float in [0, 1]."""
    x, pct = _number_or_percent(value, "a fraction such as 0.3 or '30%'")
    if not 0.0 <= x <= 1.0:
        if pct:
            raise ValueError(f"must be between 0% and 100%, got {_show(value)}")
        hint = f" (for a percentage write '{value}%')" if x > 1 else ""
        raise ValueError(f"must be a fraction between 0 and 1, got {_show(value)}{hint}")
    return x


def parse_signed_fraction(value: Any) -> float:
    """``0.02``, ``'2%'`` or ``'-1%'`` -> float in [-1, 1]."""
    x, pct = _number_or_percent(value, "a fraction such as 0.02 or '2%'")
    if not -1.0 <= x <= 1.0:
        hint = f" (for a percentage write '{value}%')" if not pct else ""
        raise ValueError(f"must be between -1 and 1 (-100% and 100%), got {_show(value)}{hint}")
    return x


def parse_level(value: Any) -> float:
    """A threshold: a number >= 0 (patients waiting) or a percentage (``'95%'`` occupancy)."""
    x, _pct = _number_or_percent(value, "a number or a percentage such as '95%'")
    if x < 0:
        raise ValueError(f"must be >= 0, got {_show(value)}")
    return x


# --- times of day and dates ---------------------------------------------------------------------


def parse_time_of_day(value: Any) -> int:
    """``'08:00'`` -> 480 (minutes after midnight). ``'24:00'`` (1440) is allowed; it can end a
    shift but not start one (the schema checks that)."""
    _ascii_digits(value)
    if not isinstance(value, str):
        raise ValueError(
            f'must be a time of day written as "HH:MM" in quotes, e.g. "08:00", got {_show(value)}'
        )
    m = _TIME_RE.match(value)
    if not m:
        raise ValueError(f'{_show(value)} is not a time of day: write "HH:MM", e.g. "08:00"')
    h, mi = int(m["h"]), int(m["m"])
    if mi > 59 or h > 24 or (h == 24 and mi != 0):
        raise ValueError(f"{_show(value)} is not a time of day between 00:00 and 24:00")
    return h * 60 + mi


def format_time_of_day(minutes: int) -> str:
    """``480`` -> ``'08:00'``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_date(value: Any) -> dt.date:
    """``2025-10-01`` (a YAML date, or the same text) -> datetime.date."""
    _ascii_digits(value)
    if isinstance(value, dt.datetime):
        raise ValueError(f"must be a date without a time, got {value.isoformat(sep=' ')}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{_show(value)} is not a valid date: {exc}") from None
    raise ValueError(f"must be a date written YYYY-MM-DD, e.g. 2025-10-01, got {_show(value)}")
