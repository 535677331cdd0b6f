"""The whole scenario document: its sections, validated together with the checks across them
(:mod:`simcare.scenario.schema.references`)."""

from typing import Any, Self

from pydantic import Field, model_validator

from simcare.scenario.schema.base import (
    CROSS_ERROR,
    DemandChannel,
    Description,
    Key,
    Name,
    Spec,
    problem_error,
)
from simcare.scenario.schema.escalation import EscalationRule
from simcare.scenario.schema.parameter_sets import ParameterSetsSpec
from simcare.scenario.schema.references import cross_problems
from simcare.scenario.schema.sections import (
    CalendarSpec,
    ChannelSpec,
    Locality,
    ProfileSpec,
    RunSpec,
)
from simcare.scenario.schema.services import (
    AmbulanceSpec,
    BedsSpec,
    DischargeSpec,
    EdSiteSpec,
    HubSpec,
    Nhs111Spec,
    SdecSpec,
)


class Scenario(Spec):
    """A whole urgent-care system (docs/scenarios.md)."""

    name: Name = Field(description="scenario name (1 ... 100 printable characters)")
    description: Description = Field(
        default="", description="free text (at most 10000 characters; no control characters but line breaks)"
    )
    run: RunSpec = Field(description="window, warm-up, replications and seed")
    localities: dict[Key, Locality] = Field(min_length=1, description="name -> locality")
    calendar: CalendarSpec = Field(
        default_factory=CalendarSpec, description="growth, seasonality and dated events"
    )
    profiles: dict[Key, ProfileSpec] = Field(default_factory=dict, description="name -> hour-of-week profile")
    demand: dict[DemandChannel, ChannelSpec] = Field(min_length=1, description="channel -> demand")
    nhs111: Nhs111Spec | None = Field(default=None, description="NHS 111 phone and online")
    ambulance: AmbulanceSpec | None = Field(default=None, description="ambulance service")
    hubs: dict[Key, HubSpec] = Field(default_factory=dict, description="name -> urgent community hub")
    sdec: dict[Key, SdecSpec] = Field(default_factory=dict, description="ED site -> SDEC unit")
    ed: dict[Key, EdSiteSpec] = Field(min_length=1, description="site -> emergency department")
    beds: dict[Key, BedsSpec] = Field(min_length=1, description="trust -> beds")
    discharge: DischargeSpec | None = Field(default=None, description="discharge-to-assess capacity")
    escalation: list[EscalationRule] = Field(default_factory=list, description="rules")
    levers: dict[str, dict[str, Any]] = Field(default_factory=dict, description="lever -> settings")
    parameter_sets: ParameterSetsSpec | None = Field(
        default=None, description="plausible parameter sets drawn one per replication (docs/calibration.md)"
    )

    @model_validator(mode="after")
    def _cross_check(self) -> Self:
        problems = cross_problems({name: getattr(self, name) for name in type(self).model_fields})
        if problems:
            raise problem_error("Scenario", problems, CROSS_ERROR)
        return self

    @property
    def acuities(self) -> tuple[str, ...]:
        """Acuity names, in the order of the first ED site's ``acuity`` map."""
        first = next(iter(self.ed.values()))
        return tuple(first.acuity)
