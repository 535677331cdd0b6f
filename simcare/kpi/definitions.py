"""KPI definitions as objects: name, unit, kind, NHS definition, groups, periods, warm-up rule.

A ``KPI`` knows how to compute its rows from a ``Context`` (one run's results and the compiled
scenario). Two kinds:

- ``tally``: one value per patient visit or event (an attendance, a handover, a call), counted
  in the day it happens at (``counted_at``). Visits and events counted before the reported start
  (the warm-up) or after the end are left out.
- ``time-weighted``: an average (or integral) of the engine's hourly state series; only the
  hours from the reported start count.

Group names in the table (``group`` column) are listed in ``GROUP_KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from simcare.kpi.mid import Mid

if TYPE_CHECKING:
    from simcare.kpi.context import Context
    from simcare.kpi.periods import Block

Kind = Literal["tally", "time-weighted"]

GROUP_KINDS: dict[str, str] = {
    "ICB": "the whole system (every site, trust, hub or service of the kind)",
    "site": "type-1 ED site, by its scenario name (`southmead`, `bri`, `weston`)",
    "type": "`type1` (all type-1 EDs) or `type3` (all urgent community hubs, UTC/MIU)",
    "hub": "urgent community hub, `hub:NAME` (`hub:south_bristol_utc`)",
    "trust": "acute trust, by its scenario name (`rvj`, `ra7`): its G&A beds; for ED and ambulance "
    "measures, its type-1 EDs (months and run only), as the published A&E statistics count them",
    "acuity": "patient group by acuity, `acuity:NAME` (`acuity:major`); run and months only",
    "locality": "patient's home locality, `locality:NAME` (`locality:woodspring`); run and months only",
    "pathway": "discharge pathway `P0` (home, no support) to `P3` (care home)",
    "disposition": "how patients left NHS 111, `disposition:NAME` (see nhs111_dispositions)",
    "sdec": "same-day emergency care unit, `sdec:SITE` (`sdec:southmead`), named by its ED site",
    "reason": "reason a patient with no criteria to reside is still in a bed, by trust or ICB: "
    "`capacity_P1:TRUST` ... `capacity_P3:TRUST`, `process:TRUST`, and `REASON:ICB`",
    "d2a": "discharge-to-assess service, `PATHWAY:LOCAL_AUTHORITY` (`P1:bristol`); run and months only",
}


@dataclass(frozen=True, eq=False)
class KPI:
    """One key performance indicator.

    name: column value in the table; unit: of ``value``; kind: tally or time-weighted;
    description: plain-English definition as the NHS publishes it, and how the model measures it;
    source: the NHS definition it follows; counted_at: for tallies, the moment that places a
    visit in a day (and decides whether it falls in the warm-up); for time-weighted measures,
    the hourly series used; groups: keys of GROUP_KINDS; periods: subset of ("day", "month",
    "run"); compute: rows of this KPI from a Context; requires: fixed service names or kinds
    (:mod:`simcare.model.services`; ``HUB`` for ``hub:NAME``) of which the run must have at
    least one, else the KPI gives no rows; mid: its minimum important difference
    (:mod:`simcare.kpi.mid`; set by the registry).
    """

    name: str
    unit: str
    kind: Kind
    description: str
    source: str
    counted_at: str
    groups: tuple[str, ...]
    compute: Callable[[Context], list[Block]]
    periods: tuple[str, ...] = ("day", "month", "run")
    requires: tuple[str, ...] = ()
    mid: Mid | None = None

    @property
    def warm_up(self) -> str:
        """How the warm-up is cut, in words."""
        if self.kind == "tally":
            return (
                f"counted only if its moment, {self.counted_at}, is on or after the reported "
                "start; warm-up days are not reported"
            )
        return "only the hours from the reported start count; warm-up days are not reported"
