"""The sections that describe services: ``nhs111``, ``ambulance``, ``hubs``, ``sdec``, ``ed``,
``beds`` and ``discharge``.

Durations are float minutes (distributions are :data:`~simcare.scenario.schema.distributions.Dist`),
fractions floats in [0, 1], servers whole numbers or rosters.
"""

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from simcare.scenario.schema.base import (
    ACUITY_DEFAULT_KEY,
    SUM_TOLERANCE,
    D2aPathway,
    Dispositions,
    Downgrade,
    Key,
    LengthOfStayTrend,
    Loc,
    Mix,
    Name,
    OptionalDuration,
    Pathway,
    Pathways,
    Priority,
    Spec,
    at_most_one,
    problem_error,
    show_number,
    suggest,
)
from simcare.scenario.schema.distributions import Dist, DistributionSpec
from simcare.scenario.schema.rosters import OpeningHours, Roster
from simcare.scenario.units import Date, Duration, Fraction


def _positive_or_none(minutes: float | None) -> float | None:
    """A maximum wait must be longer than 0 (a release after 0 minutes is "none" in disguise)."""
    if minutes is not None and not minutes > 0:
        raise ValueError("must be longer than 0 (write none for no release)")
    return minutes


class PhoneSpec(Spec):
    """``nhs111.phone``: call handlers."""

    handlers: Roster = Field(description="call handlers (roster)")
    handling_time: Dist = Field(description="call length (distribution)")
    patience: Dist | None = Field(
        default=None, description="how long callers wait before hanging up (distribution; default for ever)"
    )
    retry: Fraction = Field(default=0.0, description="fraction of abandoned callers who call again")
    retry_delay: Duration | None = Field(
        default=None, description="time before an abandoned caller calls again"
    )

    @model_validator(mode="after")
    def _retry(self) -> Self:
        if self.retry > 0 and self.retry_delay is None:
            raise problem_error(
                "PhoneSpec",
                [(("retry_delay",), f"needed when retry is above 0 (retry is {show_number(self.retry)})")],
            )
        return self


class OnlineSpec(Spec):
    """``nhs111.online``."""

    completion_time: Dist = Field(description="time to complete the online assessment")
    fallback_to_phone: Fraction = Field(default=0.0, description="fraction who go on to call 111")


class CasSpec(Spec):
    """``nhs111.cas``: the clinical assessment service."""

    clinicians: Roster = Field(description="clinicians (roster)")
    assessment_time: Dist = Field(description="clinical assessment time")
    validated: Fraction = Field(description="fraction of ED and ambulance dispositions reviewed")
    downgraded: Annotated[dict[Downgrade, Fraction], AfterValidator(at_most_one)] = Field(
        default_factory=dict,
        description="outcome -> fraction of the reviewed sent there instead (sum at most 1)",
    )


class Nhs111Spec(Spec):
    """``nhs111``: phone, online, dispositions and the clinical assessment service."""

    phone: PhoneSpec
    online: OnlineSpec | None = None
    dispositions: Dispositions = Field(description="outcome -> fraction, sums to 1")
    online_dispositions: Dispositions | None = Field(
        default=None, description="outcome -> fraction for online (default dispositions)"
    )
    cas: CasSpec | None = None


class AmbulanceSpec(Spec):
    """``ambulance``: crews, job cycle, conveyance and handover."""

    crews: Roster = Field(description="crews (roster)")
    job_cycle: Dist = Field(description="allocation to arrival at hospital, or end of job")
    hear_and_treat: Fraction = Field(default=0.0, description="fraction closed on the phone")
    see_and_treat: Fraction = Field(default=0.0, description="fraction treated on scene")
    conveyance: dict[Key, Mix] = Field(
        default_factory=dict, description="locality -> ED site -> fraction (default the locality's ed_site)"
    )
    handover_release: Annotated[OptionalDuration, AfterValidator(_positive_or_none)] = Field(
        default=None,
        description="wait after which a patient is released to the ED corridor (> 0), or none",
    )
    acuity: Mix | None = Field(default=None, description="acuity mix of conveyed patients")

    @model_validator(mode="after")
    def _not_conveyed(self) -> Self:
        total = self.hear_and_treat + self.see_and_treat
        if total > 1 + SUM_TOLERANCE:
            raise problem_error(
                "AmbulanceSpec",
                [
                    (
                        ("see_and_treat",),
                        f"hear_and_treat + see_and_treat must be at most 1, got {show_number(total)}",
                    )
                ],
            )
        return self


class HubSpec(Spec):
    """An urgent community hub (UTC, MIU)."""

    label: Name | None = Field(
        default=None,
        description="the name readers know it by, shown in reports (1 ... 100 printable "
        "characters; default: the key with underscores as spaces)",
    )
    clinicians: Roster = Field(description="clinicians (roster)")
    opening_hours: OpeningHours | None = Field(
        default=None, description="opening windows (default always open)"
    )
    treatment_time: Dist = Field(description="treatment time")
    to_ed: Fraction = Field(default=0.0, description="fraction referred on to the locality's ED")
    closed_divert: Literal["ed", "none"] = Field(
        default="ed", description="where walk-ins go when the hub is shut: ed or none"
    )


class SdecSpec(Spec):
    """A same-day emergency care unit (keyed by its ED site)."""

    spaces: Roster = Field(description="spaces (roster)")
    opening_hours: OpeningHours | None = Field(
        default=None, description="opening windows (default always open)"
    )
    treatment_time: Dist = Field(description="treatment time")
    admitted: Fraction = Field(default=0.0, description="fraction admitted")


class AcuitySpec(Spec):
    """How an ED treats patients of one acuity."""

    priority: Priority = Field(description="queue priority (integer, -1000 ... 1000)")
    treatment_time: Dist = Field(description="time in a cubicle")
    admitted: Fraction = Field(default=0.0, description="fraction admitted")
    to_sdec: Fraction = Field(default=0.0, description="fraction sent to SDEC")
    lwbs_patience: Dist | None = Field(
        default=None, description="wait before leaving without being seen (default none)"
    )

    @model_validator(mode="after")
    def _split(self) -> Self:
        if self.admitted + self.to_sdec > 1 + SUM_TOLERANCE:
            raise problem_error(
                "AcuitySpec",
                [
                    (
                        ("to_sdec",),
                        f"admitted + to_sdec must be at most 1, got "
                        f"{show_number(self.admitted + self.to_sdec)}",
                    )
                ],
            )
        return self


class EdSiteSpec(Spec):
    """An emergency department."""

    label: Name | None = Field(
        default=None,
        description="the name readers know it by, shown in reports (1 ... 100 printable "
        "characters; default: the key with underscores as spaces)",
    )
    trust: Name = Field(description="trust whose beds it admits to (a key of beds)")
    triage_nurses: Roster = Field(description="triage nurses (roster)")
    triage_time: Dist = Field(description="triage time")
    cubicles: Roster = Field(description="cubicles (roster)")
    bed_request: Dist | None = Field(
        default=None,
        description="time from decision to admit until a bed is allocated and the patient can "
        "move (bed request, allocation, transfer); the patient keeps its cubicle meanwhile "
        "(default none: it moves as soon as a bed is free)",
    )
    opening_hours: OpeningHours | None = Field(
        default=None, description="opening windows (default always open)"
    )
    closed_divert: Name | None = Field(
        default=None, description="ED site walk-ins go to when closed (needed with opening_hours)"
    )
    ambulance_divert: Name | None = Field(
        default=None,
        description="ED site ambulances go to when closed (default closed_divert; "
        "set to it after validation)",
    )
    acuity: dict[Key, AcuitySpec] = Field(
        min_length=1, description="acuity -> {priority, treatment_time, admitted, to_sdec, lwbs_patience}"
    )
    acuity_mix: Mix | None = Field(
        default=None,
        description="acuity -> fraction of its patients; the default acuity mix "
        "of demand from localities that use this site",
    )

    @model_validator(mode="after")
    def _check(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        for key in self.acuity_mix or {}:
            if key not in self.acuity:
                problems.append((("acuity_mix", key), suggest(key, list(self.acuity), "acuity")))
        if self.opening_hours is not None and self.closed_divert is None:
            problems.append(
                (("closed_divert",), "needed with opening_hours: the ED site walk-ins go to when closed")
            )
        if problems:
            raise problem_error("EdSiteSpec", problems)
        if self.ambulance_divert is None and self.closed_divert is not None:
            object.__setattr__(self, "ambulance_divert", self.closed_divert)  # the default
        return self


class LengthOfStayTrendSpec(Spec):
    """``{per_year, until}``: lengths of stay that changed year on year before ``until``.

    The stated lengths of stay apply to admissions from ``until`` on; a patient admitted ``y``
    years earlier has a length of stay multiplied by ``per_year ** -y`` (0.9: stays were 10 %
    shorter each year, so 11 % longer a year before ``until``). Used by calibration to fit
    years of published data whose lengths of stay fell; a projection after ``until`` is
    unaffected."""

    per_year: LengthOfStayTrend = Field(
        description="length-of-stay multiplier per year (1: no change; 0.5 ... 2)"
    )
    until: Date = Field(description="first day the stated lengths of stay apply (YYYY-MM-DD)")

    def factor(self, day: dt.date) -> float:
        """Multiplier of the length of stay of a patient admitted on ``day``."""
        if day >= self.until:
            return 1.0
        return float(self.per_year ** (-(self.until - day).days / 365.25))


def _fractions(n: int, what: str) -> AfterValidator:
    def check(values: list[float]) -> list[float]:
        if len(values) != n:
            raise ValueError(f"needs {n} values ({what}), got {len(values)}")
        return values

    return AfterValidator(check)


class DischargeHoursSpec(Spec):
    """``{hourly, weekday}``: when a trust discharges. A medically fit patient whose discharge
    process ends (or who needs none) leaves in that hour with probability
    ``weekday[day] x hourly[hour]``, else tries again at the start of the next hour, staying in
    its bed (docs/model.md, R15a). 1 everywhere is discharging at any hour of any day."""

    hourly: Annotated[list[Fraction], _fractions(24, "hour 0 = 00:00-01:00 ... hour 23")] = Field(
        default_factory=lambda: [1.0] * 24,
        description="24 probabilities 0 ... 1 (or '60%'), hour 0 = 00:00-01:00 (default all 1)",
    )
    weekday: Annotated[list[Fraction], _fractions(7, "mon ... sun")] = Field(
        default_factory=lambda: [1.0] * 7,
        description="7 multipliers 0 ... 1 (or '60%'), mon ... sun (default all 1)",
    )

    @model_validator(mode="after")
    def _someone_leaves(self) -> Self:
        if not (any(h > 0 for h in self.hourly) and any(d > 0 for d in self.weekday)):
            raise problem_error(
                "DischargeHoursSpec",
                [((), "needs an hour of some day above 0: with none, no one would ever be discharged")],
            )
        return self

    def hour_of_week(self) -> tuple[float, ...]:
        """168 probabilities, hour 0 = Monday 00:00-01:00: weekday value x hourly value."""
        return tuple(float(self.weekday[i // 24]) * float(self.hourly[i % 24]) for i in range(168))


class BedsSpec(Spec):
    """A trust's general and acute beds."""

    label: Name | None = Field(
        default=None,
        description="the name readers know it by, shown in reports (1 ... 100 printable "
        "characters; default: the key with underscores as spaces)",
    )
    beds: Roster = Field(description="beds open (roster; escalation beds as overrides)")
    length_of_stay: dict[Key, Dist] = Field(
        min_length=1, description="acuity or 'default' -> admission to medically fit"
    )
    pathway: Pathways = Field(
        default_factory=lambda: {"P0": 1.0},  # type: ignore[arg-type]
        description="P0 ... P3 -> fraction, sums to 1 (default P0: 1)",
    )
    discharge_process: dict[Pathway, Dist] = Field(
        default_factory=dict,
        description="P0 ... P3 -> time a medically fit patient still occupies the bed before "
        "leaving (P0) or before asking for D2A capacity (P1-P3): counts as no "
        "criteria to reside; default none",
    )

    length_of_stay_trend: LengthOfStayTrendSpec | None = Field(
        default=None,
        description="{per_year, until}: lengths of stay before 'until' scaled by "
        "per_year ** -years (default none)",
    )
    discharge_hours: DischargeHoursSpec | None = Field(
        default=None,
        description="{hourly, weekday}: probability that a patient ready to leave its bed "
        "(discharge process over) does so in each hour; else it waits, in its bed, for the next "
        "hour (default: leaves when ready, any hour of any day)",
    )

    def length_of_stay_for(self, acuity: str) -> DistributionSpec:
        """The length of stay of an acuity, or the ``default`` one."""
        return self.length_of_stay.get(acuity) or self.length_of_stay[ACUITY_DEFAULT_KEY]


class D2aSpec(Spec):
    """Discharge-to-assess capacity of one pathway in one local authority."""

    capacity: Roster = Field(
        description="slots: P1 home-care packages, P2 rehab beds, P3 care-home beds (roster)"
    )
    length_of_stay: Dist = Field(description="time a patient holds the slot")


class DischargeSpec(Spec):
    """``discharge``: discharge-to-assess capacity by local authority."""

    d2a: dict[Key, dict[D2aPathway, D2aSpec]] = Field(
        default_factory=dict,
        description="local authority -> pathway (P1, P2, P3) -> {capacity, length_of_stay}",
    )
