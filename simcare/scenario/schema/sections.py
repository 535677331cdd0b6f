"""The sections that describe the run and its demand: ``run``, ``localities``, ``calendar``,
``profiles`` and ``demand``.

Durations are float minutes, per-capita rates per person per hour, dates ``datetime.date``.
"""

import datetime as dt
import math
from collections.abc import Sequence
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, model_validator

from simcare.scenario.schema.base import (
    Count,
    DemandChannel,
    Factor,
    Growth,
    Key,
    Loc,
    Mix,
    Month,
    Name,
    Population,
    PositiveDuration,
    Replications,
    Seed,
    Spec,
    Weight,
    problem_error,
)
from simcare.scenario.units import MAX_YEARS, Date, Duration, Fraction, PerCapitaRate


class RunSpec(Spec):
    """``run``: the window reported and how to start and repeat it."""

    start: Date = Field(description="first day reported (YYYY-MM-DD)")
    end: Date = Field(description="last day reported, included (YYYY-MM-DD)")
    warm_up: Duration = Field(default=0.0, description="simulated before start (default 0d)")
    census: dict[Key, Count] | None = Field(
        default=None,
        description="patients in each service on the first simulated day, run.start minus run.warm_up "
        "(service name -> patients)",
    )
    replications: Replications = Field(default=1, description="replications (default 1)")
    seed: Seed = Field(default=2025, description="master seed (default 2025)")

    @model_validator(mode="after")
    def _check(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        if self.end <= self.start:
            problems.append((("end",), f"must be after run.start ({self.start}), got {self.end}"))
        simulated = self.days + self.warm_up / 1440.0
        if simulated > MAX_YEARS * 365.25:
            problems.append(
                (
                    (),
                    f"simulates {simulated / 365.25:.3g} years (warm_up and start to end): "
                    f"at most {MAX_YEARS} years",
                )
            )
        if problems:
            raise problem_error("RunSpec", problems)
        return self

    @property
    def days(self) -> int:
        """Days reported: start to end, both included."""
        return (self.end - self.start).days + 1

    @property
    def first_day(self) -> dt.date:
        """The day the simulation starts: start minus the warm-up (rounded down to a day)."""
        begin = dt.datetime.combine(self.start, dt.time()) - dt.timedelta(minutes=self.warm_up)
        return begin.date()


class Locality(Spec):
    """A place whose residents share an ED, a hub and a local authority."""

    label: Name | None = Field(
        default=None,
        description="the name readers know it by, shown in reports (1 ... 100 printable "
        "characters; default: the key with underscores as spaces)",
    )
    population: Population = Field(description="people, 0 ... 100000000")
    local_authority: Name = Field(description="local authority (a key of discharge.d2a)")
    ed_site: Name = Field(description="ED site its residents use by default (a key of ed)")
    ed_sites: Mix | None = Field(
        default=None,
        description="ED site -> fraction of its walk-ins and 111 ED referrals "
        "(default: all to ed_site); SDEC and direct admissions use "
        "ed_site",
    )
    hub: Name | None = Field(default=None, description="its urgent community hub (a key of hubs)")

    def site_shares(self) -> dict[str, float]:
        """ED site -> share of this locality's ED walk-ins and 111 ED referrals."""
        return dict(self.ed_sites) if self.ed_sites else {self.ed_site: 1.0}


class ChristmasSpec(Spec):
    """``christmas: {from, to, factor}``: a dated demand multiplier, both days included."""

    from_: Date = Field(alias="from", description="first day")
    to: Date = Field(description="last day, included")
    factor: Factor = Field(description="demand multiplier")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.to < self.from_:
            raise problem_error("ChristmasSpec", [(("to",), f"{self.to} is before from ({self.from_})")])
        return self


class SurgeSpec(Spec):
    """A respiratory-virus surge: adds ``height * exp(-(d - peak)^2 / (2 width^2))`` to the
    demand multiplier on day d (``width`` in minutes here; divide by 1440 for days)."""

    name: Name
    peak: Date = Field(description="day of the peak")
    height: Fraction = Field(description="added to the multiplier at the peak")
    width: PositiveDuration = Field(description="standard deviation of the bell, e.g. '14d'")
    channels: list[DemandChannel] | None = Field(default=None, description="demand channels (default all)")


class ShockSpec(Spec):
    """A dated demand multiplier (cold snap), both days included."""

    name: Name
    from_: Date = Field(alias="from", description="first day")
    to: Date = Field(description="last day, included")
    factor: Factor = Field(description="demand multiplier")
    channels: list[DemandChannel] | None = Field(default=None, description="demand channels (default all)")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.to < self.from_:
            raise problem_error("ShockSpec", [(("to",), f"{self.to} is before from ({self.from_})")])
        return self


class CalendarSpec(Spec):
    """``calendar``: growth, seasonality and dated events applied to demand."""

    growth: Growth = Field(default=0.0, description="demand growth per year, e.g. '2%' (-50% ... +100%)")
    growth_base: Date | None = Field(
        default=None, description="date growth is measured from (default run.start)"
    )
    monthly: dict[Month, Factor] = Field(
        default_factory=dict, description="demand multiplier by month (default 1)"
    )
    bank_holidays: list[Date] = Field(default_factory=list, description="bank holiday dates")
    bank_holiday_factor: Factor = Field(default=0.9, description="demand multiplier on bank holidays")
    christmas: ChristmasSpec | None = Field(default=None, description="{from, to, factor}")
    surges: list[SurgeSpec] = Field(default_factory=list, description="{name, peak, height, width, channels}")
    shocks: list[ShockSpec] = Field(default_factory=list, description="{name, from, to, factor, channels}")

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        for field in ("surges", "shocks"):
            seen: set[str] = set()
            for i, item in enumerate(getattr(self, field)):
                if item.name in seen:
                    problems.append(((field, i, "name"), f"'{item.name}' is used twice"))
                seen.add(item.name)
        if problems:
            raise problem_error("CalendarSpec", problems)
        return self


def _weights(n: int, what: str) -> Any:
    def check(values: list[float]) -> list[float]:
        if len(values) != n:
            raise ValueError(f"needs {n} weights ({what}), got {len(values)}")
        if not math.fsum(values) > 0:
            raise ValueError("needs at least one weight above 0")
        return values

    return AfterValidator(check)


class ProfileSpec(Spec):
    """An hour-of-week profile: 24 hourly weights and 7 weekday weights, each normalised to a
    mean of 1 (omitted = flat)."""

    hourly: Annotated[list[Weight], _weights(24, "hour 0 = 00:00-01:00 ... hour 23")] = Field(
        default_factory=lambda: [1.0] * 24,
        description="24 relative weights, hour 0 = 00:00-01:00 (default flat)",
    )
    weekday: Annotated[list[Weight], _weights(7, "mon ... sun")] = Field(
        default_factory=lambda: [1.0] * 7, description="7 relative weights, mon ... sun (default flat)"
    )

    def hourly_factors(self) -> tuple[float, ...]:
        """24 multipliers with mean 1."""
        return _normalised(self.hourly, 24)

    def weekday_factors(self) -> tuple[float, ...]:
        """7 multipliers (Monday first) with mean 1."""
        return _normalised(self.weekday, 7)

    def hour_of_week(self) -> tuple[float, ...]:
        """168 multipliers, hour 0 = Monday 00:00-01:00: weekday factor x hourly factor."""
        h, w = self.hourly_factors(), self.weekday_factors()
        return tuple(w[i // 24] * h[i % 24] for i in range(168))


def _normalised(values: Sequence[float], n: int) -> tuple[float, ...]:
    mean = math.fsum(values) / n
    return tuple(v / mean for v in values)


class ChannelSpec(Spec):
    """A door patients use: its rate per head of each locality's population."""

    rate: PerCapitaRate = Field(description="rate per head, e.g. '350/1000/year'")
    profile: Name | None = Field(
        default=None, description="hour-of-week profile (a key of profiles; default flat)"
    )
    acuity: Mix | None = Field(
        default=None, description="acuity -> fraction, sums to 1 (default the ED site's acuity_mix)"
    )
    growth: Growth | None = Field(
        default=None,
        description="this channel's own growth per year, on top of calendar.growth and from the "
        "same growth_base, e.g. '10%' for same-day emergency care growing faster (-50% ... +100%; "
        "default none)",
    )
