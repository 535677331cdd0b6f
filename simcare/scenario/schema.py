"""The scenario language (docs/scenarios.md) as frozen pydantic models.

Values keep the units the compiler works in: durations are float minutes, rates are per hour,
per-capita rates are per person per hour, fractions are floats in [0, 1], times of day are int
minutes after midnight, dates are ``datetime.date``. Rosters are always :class:`RosterSpec`
(a plain ``servers: 6`` becomes ``RosterSpec(default=6)``), distributions are one of the
``*Spec`` classes of :data:`DistributionSpec`, each with ``.to_distribution()``.

Checks that involve one model live in that model's validators; checks that relate sections
(names that must exist, dates inside the run window, channels that need a service) live in
:func:`cross_problems`, which :class:`Scenario` runs after its fields are valid. Every check
reports a field path, so a file with many problems reports them all at once
(see :mod:`simcare.scenario.load`).
"""

import abc
import datetime as dt
import math
from collections.abc import Iterator, Mapping, Sequence
from difflib import get_close_matches
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

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
from simcare.scenario.units import (
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    Date,
    Duration,
    Fraction,
    Level,
    PerCapitaRate,
    SignedFraction,
    TimeOfDay,
    format_duration,
    parse_duration,
)

__all__ = [
    "ACUITY_DEFAULT_KEY",
    "DEMAND_CHANNELS",
    "OUTCOMES",
    "WEEKDAYS",
    "AcuitySpec",
    "AddServersSpec",
    "AmbulanceSpec",
    "BedsSpec",
    "LengthOfStayTrendSpec",
    "CalendarSpec",
    "CasSpec",
    "ChannelSpec",
    "ChristmasSpec",
    "D2aSpec",
    "DemandChannel",
    "DischargeSpec",
    "DistributionSpec",
    "DivertSpec",
    "EdSiteSpec",
    "EmpiricalSpec",
    "EscalationRule",
    "ExponentialSpec",
    "FixedSpec",
    "GammaSpec",
    "HubSpec",
    "Locality",
    "LognormalSpec",
    "Nhs111Spec",
    "OnlineSpec",
    "OpeningHours",
    "OpeningHoursSpec",
    "OpeningWindow",
    "Outcome",
    "OverrideSpec",
    "ParameterSetsSpec",
    "Pathway",
    "PhoneSpec",
    "ProfileSpec",
    "RosterSpec",
    "RunSpec",
    "Scenario",
    "SdecSpec",
    "SetParameterSpec",
    "ShiftSpec",
    "ShockSpec",
    "SurgeSpec",
    "ThenSpec",
    "TriangularSpec",
    "UniformSpec",
    "WeibullSpec",
    "WhenSpec",
    "closest",
    "cross_problems",
    "is_open",
]

Loc = tuple[str | int, ...]
"""A field path as a tuple: ``("ed", "bri", "cubicles", "shifts", 1, "servers")``."""

SUM_TOLERANCE = 1e-6
ACUITY_DEFAULT_KEY = "default"

# Error types raised by our own checks (the loader tells them apart from pydantic's).
CHECK_ERROR = "scenario_check"
CROSS_ERROR = "scenario_reference"


def _problem_error(title: str, problems: Sequence[tuple[Loc, str]], kind: str = CHECK_ERROR
                   ) -> ValidationError:
    """A ValidationError carrying several problems, each at its own path below the model."""
    details = [InitErrorDetails(type=PydanticCustomError(kind, "{message}", {"message": msg}),
                                loc=loc, input=None) for loc, msg in problems]
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


def _suggest(name: str, known: Sequence[str], what: str, where: str = "") -> str:
    """``"unknown ED site 'brl'; did you mean 'bri'? (ED sites: bri, southmead)"``."""
    near = closest(name, known)
    hint = f"; did you mean '{near}'?" if near else ""
    listing = ", ".join(known) if known else "none declared"
    plural = what[:-1] + "ies" if what.endswith("y") else what + "s"
    return f"unknown {what} '{name}'{where}{hint} ({plural}: {listing})"


def _g(x: float) -> str:
    return f"{x:.6g}"


class _Spec(BaseModel):
    """Base of every scenario model: unknown keys are errors, values are frozen, and dumps use
    the names written in files (``from``, ``for``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, serialize_by_alias=True,
                              ser_json_bytes="base64")


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


def _sum_to_one(mix: dict[Any, float]) -> dict[Any, float]:
    total = math.fsum(mix.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        terms = " + ".join(f"{k} {_g(v)}" for k, v in mix.items()) or "nothing"
        raise ValueError(f"fractions must sum to 1, got {_g(total)} ({terms})")
    return mix


def _at_most_one(mix: dict[Any, float]) -> dict[Any, float]:
    total = math.fsum(mix.values())
    if total > 1.0 + SUM_TOLERANCE:
        terms = " + ".join(f"{k} {_g(v)}" for k, v in mix.items())
        raise ValueError(f"fractions must sum to at most 1, got {_g(total)} ({terms})")
    return mix


Mix = Annotated[dict[str, Fraction], AfterValidator(_sum_to_one)]
"""Named fractions that sum to 1 (within 1e-6), e.g. an acuity mix."""

# --- names of things ----------------------------------------------------------------------------

DemandChannel = Literal["phone_111", "online_111", "call_999", "ed_walk_in", "hub_walk_in",
                        "gp_referral_sdec", "gp_referral_admission"]
DEMAND_CHANNELS: tuple[str, ...] = get_args(DemandChannel)

Outcome = Literal["self_care", "primary_care", "hub", "sdec", "ed", "ambulance"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
Downgrade = Literal["self_care", "primary_care", "hub"]

Pathway = Literal["P0", "P1", "P2", "P3"]
D2aPathway = Literal["P1", "P2", "P3"]
Month = Literal["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
_DAY_SETS: dict[str, tuple[str, ...]] = {"all": WEEKDAYS, "weekdays": WEEKDAYS[:5],
                                         "weekends": WEEKDAYS[5:]}

Dispositions = Annotated[dict[Outcome, Fraction], AfterValidator(_sum_to_one)]
Pathways = Annotated[dict[Pathway, Fraction], AfterValidator(_sum_to_one)]


# --- days, shifts, rosters, opening hours -------------------------------------------------------


def _days_before(value: Any) -> Any:
    if isinstance(value, str):
        if value in _DAY_SETS:
            return list(_DAY_SETS[value])
        if value in WEEKDAYS:
            return [value]
        close = get_close_matches(value, [*_DAY_SETS, *WEEKDAYS], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"'{value}' is not a set of days{hint} (use all, weekdays, weekends or "
                         "a list of mon, tue, wed, thu, fri, sat, sun)")
    return value


def _days_after(days: tuple[str, ...]) -> tuple[str, ...]:
    if not days:
        raise ValueError("needs at least one day")
    return tuple(d for d in WEEKDAYS if d in days)


Days = Annotated[
    tuple[Weekday, ...],
    BeforeValidator(_days_before, json_schema_input_type=(
        Literal["all", "weekdays", "weekends"] | Weekday | list[Weekday])),
    AfterValidator(_days_after),
]


class _Window(_Spec):
    days: Days = Field(default=WEEKDAYS, description="all, weekdays, weekends, or a list of "
                                                     "mon ... sun (default all)")
    from_: TimeOfDay = Field(alias="from", description='start, "HH:MM"')
    to: TimeOfDay = Field(description='end, "HH:MM" ("24:00" allowed); an end before the start '
                                      "runs past midnight")

    @model_validator(mode="after")
    def _check_times(self) -> Self:
        if self.from_ >= MINUTES_PER_DAY:
            raise _problem_error(type(self).__name__, [(("from",),
                                 '"24:00" can end a shift but not start one: write "00:00"')])
        if self.from_ == self.to:
            raise _problem_error(type(self).__name__, [(("to",),
                                 'equals from: for a whole day write from "00:00" to "24:00"')])
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


class OverrideSpec(_Spec):
    """``{from, to, servers}``: dated servers that win over the shifts, both days included."""

    from_: Date = Field(alias="from", description="first day (YYYY-MM-DD)")
    to: Date = Field(description="last day, included (YYYY-MM-DD)")
    servers: Count = Field(description="servers on those days")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.to < self.from_:
            raise _problem_error("OverrideSpec", [(("to",),
                                 f"{self.to} is before from ({self.from_})")])
        return self


class RosterSpec(_Spec):
    """Servers over time. Inside shifts the servers are the sum of the shifts on duty
    (overlapping shifts add up); outside every shift, ``default``. Dated ``overrides`` win over
    the shifts for whole days; when overrides overlap the later one in the list wins."""

    default: Count = Field(default=0, description="servers outside any shift")
    shifts: list[ShiftSpec] = Field(default_factory=list,
                                     description="weekly shifts {days, from, to, servers}")
    overrides: list[OverrideSpec] = Field(default_factory=list,
                                          description="dated changes {from, to, servers}")

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
        return {"default": value}
    if isinstance(value, float):
        raise ValueError(f"servers must be a whole number, got {value!r}")
    if isinstance(value, str):
        raise ValueError(f"must be a number of servers or a roster {{default, shifts, overrides}}"
                         f", got {value!r}")
    return value


Roster = Annotated[
    RosterSpec,
    BeforeValidator(_roster_before,
                    json_schema_input_type=Annotated[int, Field(ge=0)] | RosterSpec),
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


# --- distributions ------------------------------------------------------------------------------


class _DistributionBase(_Spec):
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
                             f"{_g(self.low)}, mode {_g(self.mode)}, high {_g(self.high)} minutes")

    def to_distribution(self) -> Distribution:
        return Triangular(self.low, self.mode, self.high)


class UniformSpec(_DistributionBase):
    """``{dist: uniform, low, high}``."""

    dist: Literal["uniform"]
    low: Duration = Field(description="minimum duration")
    high: Duration = Field(description="maximum duration")

    def _check_parameters(self) -> None:
        if not self.high > self.low:
            raise ValueError(f"needs high > low, got low {_g(self.low)} and high "
                             f"{_g(self.high)} minutes")

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


def _none_or_duration(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return None
    return parse_duration(value)


OptionalDuration = Annotated[
    float | None,
    BeforeValidator(_none_or_duration),
    PlainSerializer(lambda x: "none" if x is None else format_duration(x)),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)"
                                                            r"([eE][-+]?\d+)?\s*(s|min|h|d|w)\s*$"},
                              {"const": "none"}],
                    "description": "duration with its unit (e.g. '30min'), or none",
                    "x-simcare-unit": "duration or none"}),
]


# --- sections -----------------------------------------------------------------------------------


class RunSpec(_Spec):
    """``run``: the window reported and how to start and repeat it."""

    start: Date = Field(description="first day reported (YYYY-MM-DD)")
    end: Date = Field(description="last day reported, included (YYYY-MM-DD)")
    warm_up: Duration = Field(default=0.0, description="simulated before start (default 0d)")
    census: dict[str, Count] | None = Field(
        default=None, description="instead of a warm-up: patients in each service at start "
                                  "(service name -> patients)")
    replications: PositiveCount = Field(default=1, description="replications (default 1)")
    seed: Count = Field(default=2025, description="master seed (default 2025)")

    @model_validator(mode="after")
    def _check(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        if self.end <= self.start:
            problems.append((("end",), f"must be after run.start ({self.start}), got {self.end}"))
        if self.census is not None and self.warm_up > 0:
            problems.append((("census",), "give run.warm_up or run.census, not both"))
        if problems:
            raise _problem_error("RunSpec", problems)
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


class Locality(_Spec):
    """A place whose residents share an ED, a hub and a local authority."""

    population: Count = Field(description="people")
    local_authority: Name = Field(description="local authority (a key of discharge.d2a)")
    ed_site: Name = Field(description="ED site its residents use by default (a key of ed)")
    ed_sites: Mix | None = Field(
        default=None, description="ED site -> fraction of its walk-ins and 111 ED referrals "
                                  "(default: all to ed_site); SDEC and direct admissions use "
                                  "ed_site")
    hub: Name | None = Field(default=None, description="its urgent community hub (a key of hubs)")

    def site_shares(self) -> dict[str, float]:
        """ED site -> share of this locality's ED walk-ins and 111 ED referrals."""
        return dict(self.ed_sites) if self.ed_sites else {self.ed_site: 1.0}


class ChristmasSpec(_Spec):
    """``christmas: {from, to, factor}``: a dated demand multiplier, both days included."""

    from_: Date = Field(alias="from", description="first day")
    to: Date = Field(description="last day, included")
    factor: Factor = Field(description="demand multiplier")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.to < self.from_:
            raise _problem_error("ChristmasSpec", [(("to",),
                                 f"{self.to} is before from ({self.from_})")])
        return self


class SurgeSpec(_Spec):
    """A respiratory-virus surge: adds ``height * exp(-(d - peak)^2 / (2 width^2))`` to the
    demand multiplier on day d (``width`` in minutes here; divide by 1440 for days)."""

    name: Name
    peak: Date = Field(description="day of the peak")
    height: Fraction = Field(description="added to the multiplier at the peak")
    width: PositiveDuration = Field(description="standard deviation of the bell, e.g. '14d'")
    channels: list[DemandChannel] | None = Field(default=None,
                                                 description="demand channels (default all)")


class ShockSpec(_Spec):
    """A dated demand multiplier (cold snap), both days included."""

    name: Name
    from_: Date = Field(alias="from", description="first day")
    to: Date = Field(description="last day, included")
    factor: Factor = Field(description="demand multiplier")
    channels: list[DemandChannel] | None = Field(default=None,
                                                 description="demand channels (default all)")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.to < self.from_:
            raise _problem_error("ShockSpec", [(("to",),
                                 f"{self.to} is before from ({self.from_})")])
        return self


class CalendarSpec(_Spec):
    """``calendar``: growth, seasonality and dated events applied to demand."""

    growth: SignedFraction = Field(default=0.0, description="demand growth per year, e.g. '2%'")
    growth_base: Date | None = Field(default=None,
                                     description="date growth is measured from (default run.start)")
    monthly: dict[Month, Factor] = Field(default_factory=dict,
                                         description="demand multiplier by month (default 1)")
    bank_holidays: list[Date] = Field(default_factory=list, description="bank holiday dates")
    bank_holiday_factor: Factor = Field(default=0.9,
                                        description="demand multiplier on bank holidays")
    christmas: ChristmasSpec | None = Field(default=None,
                                            description="{from, to, factor}")
    surges: list[SurgeSpec] = Field(default_factory=list,
                                    description="{name, peak, height, width, channels}")
    shocks: list[ShockSpec] = Field(default_factory=list,
                                    description="{name, from, to, factor, channels}")

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
            raise _problem_error("CalendarSpec", problems)
        return self


def _weights(n: int, what: str) -> Any:
    def check(values: list[float]) -> list[float]:
        if len(values) != n:
            raise ValueError(f"needs {n} weights ({what}), got {len(values)}")
        if not math.fsum(values) > 0:
            raise ValueError("needs at least one weight above 0")
        return values
    return AfterValidator(check)


class ProfileSpec(_Spec):
    """An hour-of-week profile: 24 hourly weights and 7 weekday weights, each normalised to a
    mean of 1 (omitted = flat)."""

    hourly: Annotated[list[Weight], _weights(24, "hour 0 = 00:00-01:00 ... hour 23")] = Field(
        default_factory=lambda: [1.0] * 24,
        description="24 relative weights, hour 0 = 00:00-01:00 (default flat)")
    weekday: Annotated[list[Weight], _weights(7, "mon ... sun")] = Field(
        default_factory=lambda: [1.0] * 7, description="7 relative weights, mon ... sun (default flat)")

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


class ChannelSpec(_Spec):
    """A door patients use: its rate per head of each locality's population."""

    rate: PerCapitaRate = Field(description="rate per head, e.g. '350/1000/year'")
    profile: Name | None = Field(default=None,
                                 description="hour-of-week profile (a key of profiles; default flat)")
    acuity: Mix | None = Field(default=None, description="acuity -> fraction, sums to 1 "
                                                         "(default the ED site's acuity_mix)")


class PhoneSpec(_Spec):
    """``nhs111.phone``: call handlers."""

    handlers: Roster = Field(description="call handlers (roster)")
    handling_time: Dist = Field(description="call length (distribution)")
    patience: Dist | None = Field(default=None,
                                  description="how long callers wait before hanging up "
                                              "(distribution; default for ever)")
    retry: Fraction = Field(default=0.0, description="fraction of abandoned callers who call again")
    retry_delay: Duration | None = Field(default=None,
                                         description="time before an abandoned caller calls again")

    @model_validator(mode="after")
    def _retry(self) -> Self:
        if self.retry > 0 and self.retry_delay is None:
            raise _problem_error("PhoneSpec", [(("retry_delay",),
                                 f"needed when retry is above 0 (retry is {_g(self.retry)})")])
        return self


class OnlineSpec(_Spec):
    """``nhs111.online``."""

    completion_time: Dist = Field(description="time to complete the online assessment")
    fallback_to_phone: Fraction = Field(default=0.0,
                                        description="fraction who go on to call 111")


class CasSpec(_Spec):
    """``nhs111.cas``: the clinical assessment service."""

    clinicians: Roster = Field(description="clinicians (roster)")
    assessment_time: Dist = Field(description="clinical assessment time")
    validated: Fraction = Field(description="fraction of ED and ambulance dispositions reviewed")
    downgraded: Annotated[dict[Downgrade, Fraction], AfterValidator(_at_most_one)] = Field(
        default_factory=dict,
        description="outcome -> fraction of the reviewed sent there instead (sum at most 1)")


class Nhs111Spec(_Spec):
    """``nhs111``: phone, online, dispositions and the clinical assessment service."""

    phone: PhoneSpec
    online: OnlineSpec | None = None
    dispositions: Dispositions = Field(description="outcome -> fraction, sums to 1")
    online_dispositions: Dispositions | None = Field(
        default=None, description="outcome -> fraction for online (default dispositions)")
    cas: CasSpec | None = None


class AmbulanceSpec(_Spec):
    """``ambulance``: crews, job cycle, conveyance and handover."""

    crews: Roster = Field(description="crews (roster)")
    job_cycle: Dist = Field(description="allocation to arrival at hospital, or end of job")
    hear_and_treat: Fraction = Field(default=0.0, description="fraction closed on the phone")
    see_and_treat: Fraction = Field(default=0.0, description="fraction treated on scene")
    conveyance: dict[str, Mix] = Field(
        default_factory=dict,
        description="locality -> ED site -> fraction (default the locality's ed_site)")
    handover_release: OptionalDuration = Field(
        default=None, description="wait after which a patient is released to the ED corridor, "
                                  "or none")
    acuity: Mix | None = Field(default=None, description="acuity mix of conveyed patients")

    @model_validator(mode="after")
    def _not_conveyed(self) -> Self:
        total = self.hear_and_treat + self.see_and_treat
        if total > 1 + SUM_TOLERANCE:
            raise _problem_error("AmbulanceSpec", [(("see_and_treat",),
                                 f"hear_and_treat + see_and_treat must be at most 1, got "
                                 f"{_g(total)}")])
        return self


class HubSpec(_Spec):
    """An urgent community hub (UTC, MIU)."""

    clinicians: Roster = Field(description="clinicians (roster)")
    opening_hours: OpeningHours | None = Field(default=None,
                                               description="opening windows (default always open)")
    treatment_time: Dist = Field(description="treatment time")
    to_ed: Fraction = Field(default=0.0, description="fraction referred on to the locality's ED")
    closed_divert: Literal["ed", "none"] = Field(
        default="ed", description="where walk-ins go when the hub is shut: ed or none")


class SdecSpec(_Spec):
    """A same-day emergency care unit (keyed by its ED site)."""

    spaces: Roster = Field(description="spaces (roster)")
    opening_hours: OpeningHours | None = Field(default=None,
                                               description="opening windows (default always open)")
    treatment_time: Dist = Field(description="treatment time")
    admitted: Fraction = Field(default=0.0, description="fraction admitted")


class AcuitySpec(_Spec):
    """How an ED treats patients of one acuity."""

    priority: Annotated[int, Field(strict=True)] = Field(description="queue priority (integer)")
    treatment_time: Dist = Field(description="time in a cubicle")
    admitted: Fraction = Field(default=0.0, description="fraction admitted")
    to_sdec: Fraction = Field(default=0.0, description="fraction sent to SDEC")
    lwbs_patience: Dist | None = Field(
        default=None, description="wait before leaving without being seen (default none)")

    @model_validator(mode="after")
    def _split(self) -> Self:
        if self.admitted + self.to_sdec > 1 + SUM_TOLERANCE:
            raise _problem_error("AcuitySpec", [(("to_sdec",),
                                 f"admitted + to_sdec must be at most 1, got "
                                 f"{_g(self.admitted + self.to_sdec)}")])
        return self


class EdSiteSpec(_Spec):
    """An emergency department."""

    trust: Name = Field(description="trust whose beds it admits to (a key of beds)")
    triage_nurses: Roster = Field(description="triage nurses (roster)")
    triage_time: Dist = Field(description="triage time")
    cubicles: Roster = Field(description="cubicles (roster)")
    opening_hours: OpeningHours | None = Field(default=None,
                                               description="opening windows (default always open)")
    closed_divert: Name | None = Field(
        default=None, description="ED site walk-ins go to when closed (needed with opening_hours)")
    ambulance_divert: Name | None = Field(
        default=None, description="ED site ambulances go to when closed (default closed_divert; "
                                  "set to it after validation)")
    acuity: dict[str, AcuitySpec] = Field(min_length=1,
                                          description="acuity -> {priority, treatment_time, "
                                                      "admitted, to_sdec, lwbs_patience}")
    acuity_mix: Mix | None = Field(
        default=None, description="acuity -> fraction of its patients; the default acuity mix "
                                  "of demand from localities that use this site")

    @model_validator(mode="after")
    def _check(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        for key in self.acuity_mix or {}:
            if key not in self.acuity:
                problems.append((("acuity_mix", key), _suggest(key, list(self.acuity), "acuity")))
        if self.opening_hours is not None and self.closed_divert is None:
            problems.append((("closed_divert",),
                             "needed with opening_hours: the ED site walk-ins go to when closed"))
        if problems:
            raise _problem_error("EdSiteSpec", problems)
        if self.ambulance_divert is None and self.closed_divert is not None:
            object.__setattr__(self, "ambulance_divert", self.closed_divert)  # the default
        return self


class LengthOfStayTrendSpec(_Spec):
    """``{per_year, until}``: lengths of stay that changed year on year before ``until``.

    The stated lengths of stay apply to admissions from ``until`` on; a patient admitted ``y``
    years earlier has a length of stay multiplied by ``per_year ** -y`` (0.9: stays were 10 %
    shorter each year, so 11 % longer a year before ``until``). Used by calibration to fit
    years of published data whose lengths of stay fell; a projection after ``until`` is
    unaffected."""

    per_year: PositiveNumber = Field(description="length-of-stay multiplier per year (1: no change)")
    until: Date = Field(description="first day the stated lengths of stay apply (YYYY-MM-DD)")

    def factor(self, day: dt.date) -> float:
        """Multiplier of the length of stay of a patient admitted on ``day``."""
        if day >= self.until:
            return 1.0
        return float(self.per_year ** (-(self.until - day).days / 365.25))


class BedsSpec(_Spec):
    """A trust's general and acute beds."""

    beds: Roster = Field(description="beds open (roster; escalation beds as overrides)")
    length_of_stay: dict[str, Dist] = Field(
        min_length=1, description="acuity or 'default' -> admission to medically fit")
    pathway: Pathways = Field(default_factory=lambda: {"P0": 1.0},  # type: ignore[arg-type]
                              description="P0 ... P3 -> fraction, sums to 1 (default P0: 1)")
    discharge_process: dict[Pathway, Dist] = Field(
        default_factory=dict,
        description="P0 ... P3 -> time a medically fit patient still occupies the bed before "
                    "leaving (P0) or before asking for D2A capacity (P1-P3): counts as no "
                    "criteria to reside; default none")

    length_of_stay_trend: LengthOfStayTrendSpec | None = Field(
        default=None, description="{per_year, until}: lengths of stay before 'until' scaled by "
                                  "per_year ** -years (default none)")

    def length_of_stay_for(self, acuity: str) -> DistributionSpec:
        """The length of stay of an acuity, or the ``default`` one."""
        return self.length_of_stay.get(acuity) or self.length_of_stay[ACUITY_DEFAULT_KEY]


class D2aSpec(_Spec):
    """Discharge-to-assess capacity of one pathway in one local authority."""

    capacity: Roster = Field(description="slots: P1 home-care packages, P2 rehab beds, P3 "
                                         "care-home beds (roster)")
    length_of_stay: Dist = Field(description="time a patient holds the slot")


class DischargeSpec(_Spec):
    """``discharge``: discharge-to-assess capacity by local authority."""

    d2a: dict[str, dict[D2aPathway, D2aSpec]] = Field(
        default_factory=dict, description="local authority -> pathway (P1, P2, P3) -> "
                                          "{capacity, length_of_stay}")


class WhenSpec(_Spec):
    """When an escalation rule switches on (above ``above`` for ``for``) and off (below
    ``below``, default ``above``)."""

    service: Name = Field(description="service whose measure is watched")
    measure: Literal["occupancy", "waiting"] = Field(
        description="occupancy (busy / servers) or waiting (patients waiting)")
    above: Level = Field(description="switch on above this (e.g. '95%' or 10)")
    below: Level | None = Field(
        default=None, description="switch off below this (default above; always set after "
                                  "validation)")
    for_: Duration = Field(default=0.0, alias="for",
                           description="how long the measure must stay above (default 0min)")

    @model_validator(mode="after")
    def _hysteresis(self) -> Self:
        if self.below is None:
            object.__setattr__(self, "below", self.above)  # the default: no hysteresis
        elif self.below > self.above:
            raise _problem_error("WhenSpec", [(("below",),
                                 f"must not be above 'above' ({_g(self.above)}), got "
                                 f"{_g(self.below)}")])
        return self

    @property
    def off_below(self) -> float:
        """The level below which the rule switches off (``below``, default ``above``)."""
        return self.above if self.below is None else self.below


class AddServersSpec(_Spec):
    service: Name = Field(description="service that gets the servers")
    servers: PositiveCount = Field(description="servers added while the rule is on")


class DivertSpec(_Spec):
    from_site: Name = Field(description="ED site whose ambulance conveyances are diverted")
    to_site: Name = Field(description="ED site they go to instead")


class ThenSpec(_Spec):
    """The action: exactly one of ``add_servers`` and ``divert``."""

    add_servers: AddServersSpec | None = None
    divert: DivertSpec | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        given = [k for k in ("add_servers", "divert") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("needs exactly one action: add_servers or divert"
                             + (f", got {' and '.join(given)}" if given else ""))
        return self


class EscalationRule(_Spec):
    name: Name
    when: WhenSpec
    then: ThenSpec


class SetParameterSpec(_Spec):
    """One column of ``parameter_sets.sets``: what its multiplier scales."""

    name: Name = Field(description="parameter name (as in the calibration specification)")
    paths: list[Name] = Field(min_length=1, description="dotted paths into the merged scenario "
                                                        "document, '*' matching every key, e.g. "
                                                        "ed.*.acuity.*.treatment_time.mean")


class ParameterSetsSpec(_Spec):
    """``parameter_sets``: a sample of plausible parameter sets, as multipliers (dimensionless)
    of the values the document holds; a run that draws uses set ``r mod n`` in replication r."""

    draw: Annotated[bool, Field(strict=True)] = Field(
        default=False, description="true: every run draws one set per replication (default false: "
                                   "only runs that ask, e.g. --parameter-sets)")
    parameters: list[SetParameterSpec] = Field(
        min_length=1, description="what each column of sets multiplies, in column order")
    sets: list[list[PositiveNumber]] = Field(
        min_length=1, description="one row per set, one positive multiplier per parameter; "
                                  "the first set is usually all ones (the document itself)")

    @model_validator(mode="after")
    def _rows(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        seen: set[str] = set()
        for i, p in enumerate(self.parameters):
            if p.name in seen:
                problems.append((("parameters", i, "name"), f"'{p.name}' is used twice"))
            seen.add(p.name)
        n = len(self.parameters)
        for i, row in enumerate(self.sets):
            if len(row) != n:
                problems.append((("sets", i), f"has {len(row)} multiplier{'s' * (len(row) != 1)}, "
                                              f"needs one per parameter ({n}: "
                                              f"{', '.join(p.name for p in self.parameters)})"))
        if problems:
            raise _problem_error("ParameterSetsSpec", problems)
        return self


class Scenario(_Spec):
    """A whole urgent-care system (docs/scenarios.md)."""

    name: Name = Field(description="scenario name")
    description: str = Field(default="", description="free text")
    run: RunSpec = Field(description="window, warm-up, replications and seed")
    localities: dict[str, Locality] = Field(min_length=1, description="name -> locality")
    calendar: CalendarSpec = Field(default_factory=CalendarSpec,
                                   description="growth, seasonality and dated events")
    profiles: dict[str, ProfileSpec] = Field(default_factory=dict,
                                             description="name -> hour-of-week profile")
    demand: dict[DemandChannel, ChannelSpec] = Field(min_length=1,
                                                     description="channel -> demand")
    nhs111: Nhs111Spec | None = Field(default=None, description="NHS 111 phone and online")
    ambulance: AmbulanceSpec | None = Field(default=None, description="ambulance service")
    hubs: dict[str, HubSpec] = Field(default_factory=dict,
                                     description="name -> urgent community hub")
    sdec: dict[str, SdecSpec] = Field(default_factory=dict, description="ED site -> SDEC unit")
    ed: dict[str, EdSiteSpec] = Field(min_length=1, description="site -> emergency department")
    beds: dict[str, BedsSpec] = Field(min_length=1, description="trust -> beds")
    discharge: DischargeSpec | None = Field(default=None,
                                            description="discharge-to-assess capacity")
    escalation: list[EscalationRule] = Field(default_factory=list, description="rules")
    levers: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                              description="lever -> settings")
    parameter_sets: ParameterSetsSpec | None = Field(
        default=None, description="plausible parameter sets drawn one per replication "
                                  "(docs/calibration.md)")

    @model_validator(mode="after")
    def _cross_check(self) -> Self:
        problems = cross_problems({name: getattr(self, name) for name in type(self).model_fields})
        if problems:
            raise _problem_error("Scenario", problems, CROSS_ERROR)
        return self

    @property
    def acuities(self) -> tuple[str, ...]:
        """Acuity names, in the order of the first ED site's ``acuity`` map."""
        first = next(iter(self.ed.values()))
        return tuple(first.acuity)


# --- checks across sections ---------------------------------------------------------------------


def _walk_rosters(obj: Any, loc: Loc) -> Iterator[tuple[Loc, RosterSpec]]:
    if isinstance(obj, RosterSpec):
        yield loc, obj
    elif isinstance(obj, BaseModel):
        for name, field in type(obj).model_fields.items():
            yield from _walk_rosters(getattr(obj, name), (*loc, field.alias or name))
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _walk_rosters(value, (*loc, key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _walk_rosters(value, (*loc, i))


def cross_problems(sections: Mapping[str, Any]) -> list[tuple[Loc, str]]:
    """Problems that relate sections of a scenario, as ``(path, message)``.

    ``sections`` maps section names to validated values; a section that is missing from the
    mapping (because it failed its own validation) is skipped, so this also runs on the valid
    parts of an invalid file."""
    out: list[tuple[Loc, str]] = []
    have = sections.__contains__
    get = sections.get

    ed: dict[str, EdSiteSpec] | None = get("ed")
    localities: dict[str, Locality] | None = get("localities")
    hubs: dict[str, HubSpec] | None = get("hubs")
    sdec: dict[str, SdecSpec] | None = get("sdec")
    beds: dict[str, BedsSpec] | None = get("beds")
    profiles: dict[str, ProfileSpec] | None = get("profiles")
    demand: dict[str, ChannelSpec] | None = get("demand")
    discharge: DischargeSpec | None = get("discharge")
    nhs111: Nhs111Spec | None = get("nhs111")
    ambulance: AmbulanceSpec | None = get("ambulance")
    escalation: list[EscalationRule] | None = get("escalation")
    run: RunSpec | None = get("run")
    calendar: CalendarSpec | None = get("calendar")

    def site_ref(loc: Loc, name: str) -> None:
        if ed is not None and name not in ed:
            out.append((loc, _suggest(name, list(ed), "ED site")))

    # localities -> ED sites, hubs, local authorities
    if localities is not None:
        for lname, loc_ in localities.items():
            site_ref(("localities", lname, "ed_site"), loc_.ed_site)
            for other in loc_.ed_sites or {}:
                site_ref(("localities", lname, "ed_sites", other), other)
            if loc_.hub is not None and hubs is not None and loc_.hub not in hubs:
                out.append((("localities", lname, "hub"), _suggest(loc_.hub, list(hubs), "hub")))
            if discharge is not None and loc_.local_authority not in discharge.d2a:
                out.append((("localities", lname, "local_authority"),
                            _suggest(loc_.local_authority, list(discharge.d2a),
                                     "local authority", " in discharge.d2a")))

    # ED sites -> trusts, divert sites, SDEC
    if ed is not None:
        for site, spec in ed.items():
            if beds is not None and spec.trust not in beds:
                out.append((("ed", site, "trust"),
                            _suggest(spec.trust, list(beds), "trust", " in beds")))
            for field in ("closed_divert", "ambulance_divert"):
                target = getattr(spec, field)
                if target is None:
                    continue
                if target == site:
                    out.append((("ed", site, field), "cannot divert to itself"))
                else:
                    site_ref(("ed", site, field), target)
            if sdec is not None and site not in sdec:
                for a, ac in spec.acuity.items():
                    if ac.to_sdec > 0:
                        out.append((("ed", site, "acuity", a, "to_sdec"),
                                    f"sends patients to SDEC but sdec has no unit for '{site}'"))
    if sdec is not None:
        for site in sdec:
            site_ref(("sdec", site), site)

    # acuity names used anywhere must be defined by every ED site
    def acuity_refs(loc: Loc, names: Sequence[str]) -> None:
        if ed is None:
            return
        for name in names:
            for site, spec in ed.items():
                if name not in spec.acuity:
                    out.append(((*loc, name), f"acuity '{name}' is not defined in "
                                f"ed.{site}.acuity (defined: {', '.join(spec.acuity)})"))
                    break

    home_sites = sorted({lo.ed_site for lo in localities.values()}) if localities else []

    # demand -> profiles, acuities, the services each channel needs
    if demand is not None:
        for ch, channel in demand.items():
            if channel.profile is not None and profiles is not None \
                    and channel.profile not in profiles:
                out.append((("demand", ch, "profile"),
                            _suggest(channel.profile, list(profiles), "profile")))
            if channel.acuity is not None:
                acuity_refs(("demand", ch, "acuity"), list(channel.acuity))
            elif ch == "call_999" and ambulance is not None and ambulance.acuity is not None:
                acuity_refs(("ambulance", "acuity"), list(ambulance.acuity))
            elif ed is not None:
                lacking = [s for s in home_sites if s in ed and ed[s].acuity_mix is None]
                if lacking:
                    out.append((("demand", ch, "acuity"),
                                f"not given, and ed.{lacking[0]} has no acuity_mix to default to"))
        if "phone_111" in demand and have("nhs111") and nhs111 is None:
            out.append((("demand", "phone_111"), "needs an nhs111 section"))
        if "online_111" in demand and have("nhs111"):
            if nhs111 is None:
                out.append((("demand", "online_111"), "needs an nhs111 section"))
            elif nhs111.online is None:
                out.append((("demand", "online_111"), "needs nhs111.online"))
        if "call_999" in demand and have("ambulance") and ambulance is None:
            out.append((("demand", "call_999"), "needs an ambulance section"))
        if "hub_walk_in" in demand and localities is not None:
            for lname, lo in localities.items():
                if lo.hub is None:
                    out.append((("localities", lname, "hub"),
                                "needed by demand.hub_walk_in: this locality has no hub"))
        if "gp_referral_sdec" in demand and sdec is not None and ed is not None:
            for s in home_sites:
                if s in ed and s not in sdec:
                    out.append((("demand", "gp_referral_sdec"),
                                f"ED site '{s}' (home site of a locality) has no sdec unit"))

    # NHS 111 dispositions -> services
    if nhs111 is not None:
        for field in ("dispositions", "online_dispositions"):
            mix = getattr(nhs111, field) or {}
            needs = {"ambulance": ("ambulance", ambulance), "hub": ("hubs", hubs),
                     "sdec": ("sdec", sdec)}
            for outcome, (section, value) in needs.items():
                if mix.get(outcome, 0) > 0 and have(section) and not value:
                    out.append((("nhs111", field, outcome),
                                f"is above 0, but the scenario has no {section}"))

    # ambulance conveyance -> localities, ED sites; acuity names
    if ambulance is not None:
        for lname, mix in ambulance.conveyance.items():
            if localities is not None and lname not in localities:
                out.append((("ambulance", "conveyance", lname),
                            _suggest(lname, list(localities), "locality")))
            for site in mix:
                site_ref(("ambulance", "conveyance", lname, site), site)
        if ambulance.acuity is not None:
            acuity_refs(("ambulance", "acuity"), list(ambulance.acuity))
    if ed is not None:
        for site, spec in ed.items():
            if spec.acuity_mix is not None:
                acuity_refs(("ed", site, "acuity_mix"), list(spec.acuity_mix))

    # beds: lengths of stay cover the acuities; pathways need discharge capacity
    if beds is not None:
        all_acuities: list[str] = []
        for spec in (ed or {}).values():
            all_acuities += [a for a in spec.acuity if a not in all_acuities]
        for trust, bspec in beds.items():
            named = [k for k in bspec.length_of_stay if k != ACUITY_DEFAULT_KEY]
            acuity_refs(("beds", trust, "length_of_stay"), named)
            if ACUITY_DEFAULT_KEY not in bspec.length_of_stay:
                missing = [a for a in all_acuities if a not in bspec.length_of_stay]
                if missing:
                    out.append((("beds", trust, "length_of_stay"),
                                f"no length of stay for acuity {', '.join(missing)} and no "
                                f"'{ACUITY_DEFAULT_KEY}'"))
            if have("discharge") and discharge is None:
                for pw, frac in bspec.pathway.items():
                    if pw != "P0" and frac > 0:
                        out.append((("beds", trust, "pathway", pw),
                                    "patients on P1-P3 need a discharge section (discharge.d2a)"))
        if discharge is not None:
            las = sorted({lo.local_authority for lo in (localities or {}).values()})
            for pw in ("P1", "P2", "P3"):
                senders = [f"beds.{t}.pathway" for t, b in beds.items() if b.pathway.get(pw, 0) > 0]
                for la in las:
                    if senders and la in discharge.d2a and pw not in discharge.d2a[la]:
                        out.append((("discharge", "d2a", la),
                                    f"has no {pw} capacity, but {' and '.join(senders)} "
                                    f"{'sends' if len(senders) == 1 else 'send'} patients on {pw}"))

    # escalation: unique names, divert sites
    if escalation is not None:
        seen: set[str] = set()
        for i, rule in enumerate(escalation):
            if rule.name in seen:
                out.append((("escalation", i, "name"), f"'{rule.name}' is used twice"))
            seen.add(rule.name)
            if rule.then.divert is not None:
                site_ref(("escalation", i, "then", "divert", "from_site"),
                         rule.then.divert.from_site)
                site_ref(("escalation", i, "then", "divert", "to_site"), rule.then.divert.to_site)

    # dates inside the simulated period [start - warm_up, end]
    if run is not None:
        lo_day, hi_day = run.first_day, run.end
        lead = " (run.start minus run.warm_up)" if run.warm_up > 0 else " (run.start)"

        def in_window(loc: Loc, day: dt.date) -> None:
            if not lo_day <= day <= hi_day:
                out.append((loc, f"{day} is outside the simulated period {lo_day}{lead} to "
                                 f"{hi_day} (run.end)"))

        if calendar is not None:
            for i, d in enumerate(calendar.bank_holidays):
                in_window(("calendar", "bank_holidays", i), d)
            if calendar.christmas is not None:
                in_window(("calendar", "christmas", "from"), calendar.christmas.from_)
                in_window(("calendar", "christmas", "to"), calendar.christmas.to)
            for i, surge in enumerate(calendar.surges):
                in_window(("calendar", "surges", i, "peak"), surge.peak)
            for i, sh in enumerate(calendar.shocks):
                in_window(("calendar", "shocks", i, "from"), sh.from_)
                in_window(("calendar", "shocks", i, "to"), sh.to)
        for name in ("nhs111", "ambulance", "hubs", "sdec", "ed", "beds", "discharge"):
            if get(name) is None:
                continue
            for loc, roster in _walk_rosters(get(name), (name,)):
                for i, o in enumerate(roster.overrides):
                    in_window((*loc, "overrides", i, "from"), o.from_)
                    in_window((*loc, "overrides", i, "to"), o.to)
    return out
