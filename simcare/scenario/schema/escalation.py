"""``escalation``: rules that add servers or divert ambulances while a measure is high.

Durations are float minutes; levels are fractions (occupancy) or patient counts (waiting).
"""

from typing import Literal, Self

from pydantic import Field, model_validator

from simcare.scenario.schema.base import Name, PositiveCount, Spec, problem_error, show_number
from simcare.scenario.units import Duration, Level


class WhenSpec(Spec):
    """When an escalation rule switches on (above ``above`` for ``for``) and off (below
    ``below``, default ``above``)."""

    service: Name = Field(description="service whose measure is watched")
    measure: Literal["occupancy", "waiting"] = Field(
        description="occupancy (busy / servers) or waiting (patients waiting)"
    )
    above: Level = Field(description="switch on above this (e.g. '95%' or 10)")
    below: Level | None = Field(
        default=None, description="switch off below this (default above; always set after validation)"
    )
    for_: Duration = Field(
        default=0.0, alias="for", description="how long the measure must stay above (default 0min)"
    )

    @model_validator(mode="after")
    def _hysteresis(self) -> Self:
        if self.below is None:
            object.__setattr__(self, "below", self.above)  # the default: no hysteresis
        elif self.below > self.above:
            raise problem_error(
                "WhenSpec",
                [
                    (
                        ("below",),
                        f"must not be above 'above' ({show_number(self.above)}), got "
                        f"{show_number(self.below)}",
                    )
                ],
            )
        return self

    @property
    def off_below(self) -> float:
        """The level below which the rule switches off (``below``, default ``above``)."""
        return self.above if self.below is None else self.below


class AddServersSpec(Spec):
    service: Name = Field(description="service that gets the servers")
    servers: PositiveCount = Field(description="servers added while the rule is on")


class DivertSpec(Spec):
    from_site: Name = Field(description="ED site whose ambulance conveyances are diverted")
    to_site: Name = Field(description="ED site they go to instead")


class ThenSpec(Spec):
    """The action: exactly one of ``add_servers`` and ``divert``."""

    add_servers: AddServersSpec | None = None
    divert: DivertSpec | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        given = [k for k in ("add_servers", "divert") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "needs exactly one action: add_servers or divert"
                + (f", got {' and '.join(given)}" if given else "")
            )
        return self


class EscalationRule(Spec):
    name: Name
    when: WhenSpec
    then: ThenSpec
