"""Days, shifts, rosters and opening hours: servers over the week, and when a service is open.

Times of day are int minutes after midnight; minutes of the week count from Monday 00:00
(0 ... 10080); dates are ``datetime.date``. A plain ``servers: 6`` validates to
``RosterSpec(default=6)``.
"""

import datetime as dt
from collections.abc import Sequence
from difflib import get_close_matches
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from simcare.scenario.schema.base import MAX_SERVERS, WEEKDAYS, Count, Spec, Weekday, problem_error
from simcare.scenario.units import Date, TimeOfDay
from simcare.units import MINUTES_PER_DAY, MINUTES_PER_WEEK

_DAY_SETS: dict[str, tuple[str, ...]] = {"all": WEEKDAYS, "weekdays": WEEKDAYS[:5], "weekends": WEEKDAYS[5:]}


def _days_before(value: Any) -> Any:
    if isinstance(value, str):
        if value in _DAY_SETS:
            return list(_DAY_SETS[value])
        if value in WEEKDAYS:
            return [value]
        close = get_close_matches(value, [*_DAY_SETS, *WEEKDAYS], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ValueError(
            f"'{value}' is not a set of days{hint} (use all, weekdays, weekends or "
            "a list of mon, tue, wed, thu, fri, sat, sun)"
        )
    return value


def _days_after(days: tuple[str, ...]) -> tuple[str, ...]:
    if not days:
        raise ValueError("needs at least one day")
    return tuple(d for d in WEEKDAYS if d in days)


Days = Annotated[
    tuple[Weekday, ...],
    BeforeValidator(
        _days_before,
        json_schema_input_type=(Literal["all", "weekdays", "weekends"] | Weekday | list[Weekday]),
    ),
    AfterValidator(_days_after),
]


class _Window(Spec):
    days: Days = Field(
        default=WEEKDAYS, description="all, weekdays, weekends, or a list of mon ... sun (default all)"
    )
    from_: TimeOfDay = Field(alias="from", description='start, "HH:MM"')
    to: TimeOfDay = Field(
        description='end, "HH:MM" ("24:00" allowed); an end before the start runs past midnight'
    )

    @model_validator(mode="after")
    def _check_times(self) -> Self:
        if self.from_ >= MINUTES_PER_DAY:
            raise problem_error(
                type(self).__name__, [(("from",), '"24:00" can end a shift but not start one: write "00:00"')]
            )
        if self.from_ == self.to:
            raise problem_error(
                type(self).__name__, [(("to",), 'equals from: for a whole day write from "00:00" to "24:00"')]
            )
        return self

    @property
    def day_numbers(self) -> tuple[int, ...]:
        """Days on which the window starts: 0 = Monday ... 6 = Sunday."""
        return tuple(WEEKDAYS.index(d) for d in self.days)

    @property
    def overnight(self) -> bool:
        """True when the window ends the next day (``to`` earlier than ``from``)."""
        return self.to < self.from_

    def intervals(self) -> list[tuple[int, int]]:
        """The window as ``[start, end)`` minute-of-week intervals (0 = Monday 00:00, 10080 =
        the next Monday); an overnight window from Sunday wraps round to Monday morning."""
        end = self.to if self.to > self.from_ else self.to + int(MINUTES_PER_DAY)
        week = int(MINUTES_PER_WEEK)
        out: list[tuple[int, int]] = []
        for d in self.day_numbers:
            a, b = d * int(MINUTES_PER_DAY) + self.from_, d * int(MINUTES_PER_DAY) + end
            if b <= week:
                out.append((a, b))
            else:
                out.extend([(a, week), (0, b - week)])
        return out

    def covers(self, minute_of_week: float) -> bool:
        m = minute_of_week % MINUTES_PER_WEEK
        return any(a <= m < b for a, b in self.intervals())


class ShiftSpec(_Window):
    """``{days, from, to, servers}``: ``servers`` on duty in this window."""

    servers: Count = Field(description="servers on duty during the shift")


class OpeningWindow(_Window):
    """``{days, from, to}``: a window in which a service is open."""


class OverrideSpec(Spec):
    """``{from, to, servers}``: dated servers that win over the shifts, both days included."""

    from_: Date = Field(alias="from", description="first day (YYYY-MM-DD)")
    to: Date = Field(description="last day, included (YYYY-MM-DD)")
    servers: Count = Field(description="servers on those days")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.to < self.from_:
            raise problem_error("OverrideSpec", [(("to",), f"{self.to} is before from ({self.from_})")])
        return self


class RosterSpec(Spec):
    """Servers over time. Inside shifts the servers are the sum of the shifts on duty
    (overlapping shifts add up); outside every shift, ``default``. Dated ``overrides`` win over
    the shifts for whole days; when overrides overlap the later one in the list wins."""

    default: Count = Field(default=0, description="servers outside any shift")
    shifts: list[ShiftSpec] = Field(
        default_factory=list, description="weekly shifts {days, from, to, servers}"
    )
    overrides: list[OverrideSpec] = Field(
        default_factory=list, description="dated changes {from, to, servers}"
    )

    @property
    def is_constant(self) -> bool:
        return not self.shifts and not self.overrides

    def servers_at(self, minute_of_week: float) -> int:
        """Servers of the weekly pattern (overrides aside) at a minute of the week
        (0 = Monday 00:00)."""
        on = [s.servers for s in self.shifts if s.covers(minute_of_week)]
        return sum(on) if on else self.default

    def override_on(self, day: dt.date) -> int | None:
        """Servers set by the overrides for ``day``, or None when no override covers it."""
        value = None
        for o in self.overrides:
            if o.from_ <= day <= o.to:
                value = o.servers
        return value


def _roster_before(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"must be a number of servers or a roster, got {str(value).lower()}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"servers must be >= 0, got {value}")
        if value > MAX_SERVERS:
            raise ValueError(f"servers must be <= {MAX_SERVERS}, got {value}")
        return {"default": value}
    if isinstance(value, float):
        raise ValueError(f"servers must be a whole number, got {value!r}")
    if isinstance(value, str):
        raise ValueError(
            f"must be a number of servers or a roster {{default, shifts, overrides}}, got {value!r}"
        )
    return value


Roster = Annotated[
    RosterSpec,
    BeforeValidator(
        _roster_before, json_schema_input_type=Annotated[int, Field(ge=0, le=MAX_SERVERS)] | RosterSpec
    ),
]
"""A roster: a whole number (constant) or ``{default, shifts, overrides}``."""


def _opening_before(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"shifts"}:
        return value["shifts"]  # {shifts: [...]}, the roster form without servers
    return value


OpeningHoursSpec = Annotated[
    list[OpeningWindow],
    BeforeValidator(_opening_before, json_schema_input_type=list[OpeningWindow]),
    Field(min_length=1),
]
"""When a service is open: a list of ``{days, from, to}`` windows (the union of them), written
as the list itself or as ``{shifts: [...]}``; validated, always the list."""

OpeningHours = OpeningHoursSpec


def is_open(opening_hours: Sequence[OpeningWindow] | None, minute_of_week: float) -> bool:
    """Whether a service with these opening hours (None = always open) is open at a minute of
    the week (0 = Monday 00:00)."""
    if opening_hours is None:
        return True
    return any(w.covers(minute_of_week) for w in opening_hours)
