"""The scenario language (docs/scenarios.md) as frozen pydantic models.

Values keep the units the compiler works in: durations are float minutes, rates are per hour,
per-capita rates are per person per hour, fractions are floats in [0, 1], times of day are int
minutes after midnight, dates are ``datetime.date``. Rosters are always :class:`RosterSpec`
(a plain ``servers: 6`` becomes ``RosterSpec(default=6)``), distributions are one of the
``*Spec`` classes of :data:`DistributionSpec`, each with ``.to_distribution()``.

The modules: :mod:`.base` (the frozen base model, number types, names, message helpers),
:mod:`.rosters`, :mod:`.distributions` (generated from the table of
:mod:`simcare.sampling.distributions`), :mod:`.sections` (run, localities, calendar, profiles,
demand), :mod:`.services` (NHS 111, ambulance, hubs, SDEC, ED, beds, discharge),
:mod:`.escalation`, :mod:`.parameter_sets`, :mod:`.references` (the checks across sections) and
:mod:`.scenario` (the whole document).

Checks that involve one model live in that model's validators; checks that relate sections
(names that must exist, dates inside the run window, channels that need a service) are the
registered checks of :mod:`.references`, which :class:`Scenario` runs after its fields are
valid. Every check reports a field path, so a file with many problems reports them all at once
(see :mod:`simcare.scenario.load`).
"""

from simcare.scenario.schema.base import (
    ACUITY_DEFAULT_KEY,
    CHECK_ERROR,
    CROSS_ERROR,
    DEMAND_CHANNELS,
    OUTCOMES,
    WEEKDAYS,
    DemandChannel,
    Loc,
    Outcome,
    Pathway,
    closest,
)
from simcare.scenario.schema.distributions import (
    DISTRIBUTION_SPECS,
    DistributionModel,
    DistributionSpec,
)
from simcare.scenario.schema.escalation import (
    AddServersSpec,
    DivertSpec,
    EscalationRule,
    ThenSpec,
    WhenSpec,
)
from simcare.scenario.schema.parameter_sets import (
    ParameterSetsSpec,
    SetParameterSpec,
)
from simcare.scenario.schema.references import (
    cross_problems,
)
from simcare.scenario.schema.rosters import (
    OpeningHours,
    OpeningHoursSpec,
    OpeningWindow,
    OverrideSpec,
    RosterSpec,
    ShiftSpec,
    is_open,
)
from simcare.scenario.schema.scenario import (
    Scenario,
)
from simcare.scenario.schema.sections import (
    CalendarSpec,
    ChannelSpec,
    ChristmasSpec,
    Locality,
    ProfileSpec,
    RunSpec,
    ShockSpec,
    SurgeSpec,
)
from simcare.scenario.schema.services import (
    AcuitySpec,
    AmbulanceSpec,
    BedsSpec,
    CasSpec,
    D2aSpec,
    DischargeSpec,
    EdSiteSpec,
    HubSpec,
    LengthOfStayTrendSpec,
    Nhs111Spec,
    OnlineSpec,
    PhoneSpec,
    SdecSpec,
)

__all__ = [
    "DISTRIBUTION_SPECS",
    "ACUITY_DEFAULT_KEY",
    "CHECK_ERROR",
    "CROSS_ERROR",
    "DEMAND_CHANNELS",
    "OUTCOMES",
    "WEEKDAYS",
    "AcuitySpec",
    "AddServersSpec",
    "AmbulanceSpec",
    "BedsSpec",
    "CalendarSpec",
    "CasSpec",
    "ChannelSpec",
    "ChristmasSpec",
    "D2aSpec",
    "DemandChannel",
    "DischargeSpec",
    "DistributionModel",
    "DistributionSpec",
    "DivertSpec",
    "EdSiteSpec",
    "EscalationRule",
    "HubSpec",
    "LengthOfStayTrendSpec",
    "Loc",
    "Locality",
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
    "WhenSpec",
    "closest",
    "cross_problems",
    "is_open",
]
