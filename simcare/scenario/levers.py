"""Levers: named interventions that transform a scenario, in the user's vocabulary.

A scenario's ``levers`` section names interventions and their settings::

    levers:
      digital_first: {online_shift: 20%}
      discharge_capacity: {increase: 15%, pathways: [P1]}

Each lever is applied, in the order written, to the validated scenario; the result is
validated again, so a lever can never produce an invalid system. Settings are checked like
every other field (unknown keys, units, ranges), with paths ``levers.NAME.FIELD``.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simcare.model.leave_window import leave_window_wait, weekly_window
from simcare.scenario import document
from simcare.scenario.errors import ScenarioError
from simcare.scenario.schema import Scenario
from simcare.scenario.schema.base import PositiveDuration
from simcare.scenario.units import Fraction
from simcare.scenario.validate import validate_scenario
from simcare.units import format_per_capita_rate

Doc = dict[str, Any]


class _Lever(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DigitalFirst(_Lever):
    """Move a share of NHS 111 phone demand online."""

    online_shift: Fraction = Field(description="share of 111 phone contacts that go online")


class IntegratedUrgentCare(_Lever):
    """More ED and ambulance dispositions validated by clinical assessment service clinicians."""

    validated: Fraction = Field(description="share of ED and ambulance dispositions reviewed")
    downgraded: dict[str, Fraction] | None = Field(
        default=None, description="outcome -> share of the reviewed sent elsewhere"
    )
    extra_clinicians: int = Field(default=0, ge=0, description="CAS clinicians added to every shift")


class CommunityCapacity(_Lever):
    """More urgent community capacity: clinicians added to hubs (all, or the named ones)."""

    extra_clinicians: int = Field(ge=0, description="clinicians added to each hub's roster")
    hubs: list[str] | None = Field(default=None, description="hubs (default all)")


class BookedSlots(_Lever):
    """111 books a share of would-be ED referrals into urgent community hub slots."""

    ed_to_hub: Fraction = Field(description="share of 111 ED dispositions booked into a hub")


class HighIntensityUsers(_Lever):
    """Targeted support for high-intensity users or frailty cohorts reduces their demand."""

    reduction: Fraction = Field(description="fall in demand on the named channels")
    channels: list[str] = Field(
        default_factory=lambda: ["ed_walk_in", "call_999"], description="demand channels affected"
    )


class DischargeCapacity(_Lever):
    """More discharge-to-assess capacity."""

    increase: Fraction = Field(description="relative increase of capacity, e.g. 15%")
    pathways: list[str] = Field(default_factory=lambda: ["P1", "P2", "P3"])
    local_authorities: list[str] | None = Field(default=None, description="default all")


class AcuteCapacity(_Lever):
    """More acute capacity: beds per trust, cubicles per ED site, ambulance crews."""

    beds: dict[str, int] = Field(default_factory=dict, description="trust -> beds added")
    cubicles: dict[str, int] = Field(default_factory=dict, description="ED site -> cubicles added")
    crews: int = Field(default=0, ge=0, description="ambulance crews added to every shift")


class BedManagement(_Lever):
    """Faster bed management: the time from decision to admit to an allocated bed (the ED sites'
    ``bed_request``) shortened by a share, at every site or the named ones."""

    faster: Fraction = Field(description="relative cut of the bed-request time (mean and sd), e.g. 25%")
    sites: list[str] | None = Field(default=None, description="ED sites (default all with a bed_request)")


#: today's discharge hours (ASSUMPTION, docs/parameters.md "Discharge hours"): a medically fit
#: patient leaves in an hour of 08:00-22:00 with probability 0.2 on weekdays
TODAY_DISCHARGE_HOURLY: tuple[float, ...] = (0.0,) * 8 + (0.2,) * 14 + (0.0,) * 2
#: ... and 0.3 times that at weekends: weekend discharges 61 % of the weekday level, as published
#: for Hertfordshire and West Essex (April-November 2024)
TODAY_WEEKEND = 0.3


class SevenDayDischarge(_Lever):
    """Seven-day working in discharge: weekends discharge as weekdays do (``weekend`` of the
    weekday level an hour; 100 %: the same). Today's pattern (``today_hourly``, weekends at
    ``today_weekend``) is taken to be already in the fitted discharge processes, so each is
    shortened by the mean wait today's pattern adds (docs/model.md R15a, R41) and the trust's
    beds get the new pattern as their ``discharge_hours``."""

    weekend: Fraction = Field(default=1.0, description="weekend leave probability as a share of weekdays'")
    today_weekend: Fraction = Field(default=TODAY_WEEKEND, description="the same share today")
    today_hourly: list[Fraction] = Field(
        default_factory=lambda: list(TODAY_DISCHARGE_HOURLY),
        min_length=24,
        max_length=24,
        description="24 leave probabilities an hour, hour 0 = 00:00-01:00, today and after",
    )
    trusts: list[str] | None = Field(default=None, description="trusts (default all)")


class HandoverRelease(_Lever):
    """Release ambulance crews after a maximum handover wait (the patient stays in ED)."""

    after: PositiveDuration = Field(description="maximum handover wait, e.g. 45min (> 0)")


def _add_servers(roster: Any, n: int, where: str = "servers") -> Any:
    """A roster (int or {default, shifts, overrides}) with ``n`` more servers at all times
    (``n`` < 0: fewer). Raises a problem at ``where`` if that would leave fewer than 0 at any
    time: a lever never clamps silently."""
    if isinstance(roster, int):
        if roster + n < 0:
            raise _problem(where, f"{n} would leave {roster + n} (there are {roster})")
        return roster + n
    out = copy.deepcopy(roster)
    values = [int(out.get("default", 0))]
    values += [int(item["servers"]) for key in ("shifts", "overrides") for item in out.get(key, [])]
    if min(values) + n < 0:
        has = f"there are {values[0]}" if len(set(values)) == 1 else f"the roster goes down to {min(values)}"
        raise _problem(where, f"{n} would leave {min(values) + n} ({has})")
    out["default"] = int(out.get("default", 0)) + n
    for key in ("shifts", "overrides"):
        for item in out.get(key, []):
            item["servers"] = int(item["servers"]) + n
    return out


def _scale_servers(roster: Any, factor: float) -> Any:
    if isinstance(roster, int):
        return round(roster * factor)
    out = copy.deepcopy(roster)
    out["default"] = round(int(out.get("default", 0)) * factor)
    for key in ("shifts", "overrides"):
        for item in out.get(key, []):
            item["servers"] = round(int(item["servers"]) * factor)
    return out


def _problem(name: str, message: str) -> ValueError:
    return ValueError(f"{name}: {message}")


def _digital_first(doc: Doc, s: DigitalFirst) -> None:
    demand = doc["demand"]
    if "phone_111" not in demand or "online_111" not in demand:
        raise _problem("online_shift", "needs demand.phone_111 and demand.online_111")
    phone = float(Scenario.model_validate(doc).demand["phone_111"].rate)
    online = float(Scenario.model_validate(doc).demand["online_111"].rate)
    moved = phone * s.online_shift
    demand["phone_111"]["rate"] = format_per_capita_rate(phone - moved)  # full precision
    demand["online_111"]["rate"] = format_per_capita_rate(online + moved)


def _integrated_urgent_care(doc: Doc, s: IntegratedUrgentCare) -> None:
    cas = doc.get("nhs111", {}).get("cas")
    if cas is None:
        raise _problem("validated", "needs nhs111.cas (a clinical assessment service)")
    cas["validated"] = s.validated
    if s.downgraded is not None:
        cas["downgraded"] = dict(s.downgraded)
    cas["clinicians"] = _add_servers(cas["clinicians"], s.extra_clinicians)


def _community_capacity(doc: Doc, s: CommunityCapacity) -> None:
    hubs = doc.get("hubs", {})
    names = s.hubs if s.hubs is not None else list(hubs)
    for name in names:
        if name not in hubs:
            raise _problem("hubs", f"no hub named {name!r}; hubs: {sorted(hubs)}")
        hubs[name]["clinicians"] = _add_servers(hubs[name]["clinicians"], s.extra_clinicians)


def _booked_slots(doc: Doc, s: BookedSlots) -> None:
    spec = doc.get("nhs111")
    if spec is None:
        raise _problem("ed_to_hub", "needs nhs111")
    for key in ("dispositions", "online_dispositions"):
        disp = spec.get(key)
        if not disp:
            continue
        moved = float(disp.get("ed", 0.0)) * s.ed_to_hub
        disp["ed"] = float(disp.get("ed", 0.0)) - moved
        disp["hub"] = float(disp.get("hub", 0.0)) + moved


def _high_intensity_users(doc: Doc, s: HighIntensityUsers) -> None:
    scenario = Scenario.model_validate(doc)
    for channel in s.channels:
        if channel not in doc["demand"]:
            raise _problem("channels", f"no demand channel {channel!r}; channels: {sorted(doc['demand'])}")
        rate = float(scenario.demand[channel].rate) * (1.0 - s.reduction)  # type: ignore[index]
        doc["demand"][channel]["rate"] = format_per_capita_rate(rate)


def _discharge_capacity(doc: Doc, s: DischargeCapacity) -> None:
    d2a = doc.get("discharge", {}).get("d2a", {})
    las = s.local_authorities if s.local_authorities is not None else list(d2a)
    for la in las:
        if la not in d2a:
            raise _problem("local_authorities", f"no D2A capacity for {la!r}; have: {sorted(d2a)}")
        for p in s.pathways:
            if p in d2a[la]:
                d2a[la][p]["capacity"] = _scale_servers(d2a[la][p]["capacity"], 1.0 + s.increase)


def _acute_capacity(doc: Doc, s: AcuteCapacity) -> None:
    for trust, n in s.beds.items():
        if trust not in doc.get("beds", {}):
            raise _problem(f"beds.{trust}", f"no trust {trust!r} in beds")
        at = ("beds", trust, "beds")
        document.set_value(doc, at, _add_servers(document.get(doc, at), n, f"beds.{trust}"))
    for site, n in s.cubicles.items():
        if site not in doc.get("ed", {}):
            raise _problem(f"cubicles.{site}", f"no ED site {site!r}")
        at = ("ed", site, "cubicles")
        document.set_value(doc, at, _add_servers(document.get(doc, at), n, f"cubicles.{site}"))
    if s.crews:
        if "ambulance" not in doc:
            raise _problem("crews", "needs an ambulance section")
        doc["ambulance"]["crews"] = _add_servers(doc["ambulance"]["crews"], s.crews, "crews")


def _bed_management(doc: Doc, s: BedManagement) -> None:
    eds = doc.get("ed", {})
    sites = s.sites if s.sites is not None else [k for k, v in eds.items() if "bed_request" in v]
    if not sites:
        raise _problem("faster", "no ED site has a bed_request to shorten")
    for site in sites:
        if site not in eds:
            raise _problem("sites", f"no ED site named {site!r}; sites: {sorted(eds)}")
        if "bed_request" not in eds[site]:
            raise _problem("sites", f"ED site {site!r} has no bed_request to shorten")
        law = eds[site]["bed_request"]
        if isinstance(law, dict):  # every duration parameter (mean, sd, ...) scales; shape is kept
            for key, value in law.items():
                if key != "dist" and isinstance(value, str):
                    law[key] = document.scale(value, 1.0 - s.faster)
        else:  # a fixed duration
            eds[site]["bed_request"] = document.scale(law, 1.0 - s.faster)


def _seven_day_discharge(doc: Doc, s: SevenDayDischarge) -> None:
    beds = doc.get("beds", {})
    trusts = s.trusts if s.trusts is not None else list(beds)
    if not any(s.today_hourly):
        raise _problem("today_hourly", "needs an hour above 0: with none, no one would ever be discharged")
    today = weekly_window(s.today_hourly, [1.0] * 5 + [float(s.today_weekend)] * 2)
    wait = leave_window_wait(today).mean_wait  # minutes, already inside the fitted processes
    validated = Scenario.model_validate(doc)
    for trust in trusts:
        if trust not in beds:
            raise _problem("trusts", f"no trust named {trust!r}; trusts: {sorted(beds)}")
        if "discharge_hours" in beds[trust]:
            raise _problem(
                "trusts",
                f"beds.{trust} already has discharge_hours (the lever writes them from today's pattern)",
            )
        for pathway, law in validated.beds[trust].discharge_process.items():
            mean = law.mean_minutes
            if not mean > wait:
                raise _problem(
                    "today_weekend",
                    f"beds.{trust}.discharge_process.{pathway} has mean {mean:.6g} min, not more than the "
                    f"{wait:.6g} min today's discharge hours add: it cannot hold them",
                )
            factor = (mean - wait) / mean  # shorter by the wait, its shape kept
            spec = beds[trust]["discharge_process"][pathway]
            if isinstance(spec, dict):  # every duration (mean, sd, values, ...) scales; shapes stay
                for key, value in spec.items():
                    if key != "dist" and isinstance(value, str):
                        spec[key] = document.scale(value, factor)
                    elif isinstance(value, list):  # an empirical law's observed durations
                        spec[key] = [document.scale(v, factor) for v in value]
            else:
                beds[trust]["discharge_process"][pathway] = document.scale(spec, factor)
        beds[trust]["discharge_hours"] = {
            "hourly": [float(h) for h in s.today_hourly],
            "weekday": [1.0] * 5 + [float(s.weekend)] * 2,
        }


def _handover_release(doc: Doc, s: HandoverRelease) -> None:
    if "ambulance" not in doc:
        raise _problem("after", "needs an ambulance section")
    doc["ambulance"]["handover_release"] = f"{s.after}min"


LEVERS: dict[str, tuple[type[_Lever], Callable[[Doc, Any], None]]] = {
    "digital_first": (DigitalFirst, _digital_first),
    "integrated_urgent_care": (IntegratedUrgentCare, _integrated_urgent_care),
    "community_capacity": (CommunityCapacity, _community_capacity),
    "booked_slots": (BookedSlots, _booked_slots),
    "high_intensity_users": (HighIntensityUsers, _high_intensity_users),
    "discharge_capacity": (DischargeCapacity, _discharge_capacity),
    "acute_capacity": (AcuteCapacity, _acute_capacity),
    "handover_release": (HandoverRelease, _handover_release),
    "bed_management": (BedManagement, _bed_management),
    "seven_day_discharge": (SevenDayDischarge, _seven_day_discharge),
}


def apply_levers(scenario: Scenario, file: str = "<scenario>") -> Scenario:
    """The scenario with its levers applied (in order) and validated again; the ``levers``
    section is kept as a record of what was done. Raises ScenarioError naming each bad lever."""
    if not scenario.levers:
        return scenario
    doc: Doc = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    problems: list[tuple[str, str]] = []
    for name, settings in scenario.levers.items():
        if name not in LEVERS:
            close = difflib.get_close_matches(name, list(LEVERS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; levers: {sorted(LEVERS)}"
            problems.append((f"levers.{name}", f"unknown lever{hint}"))
            continue
        model, transform = LEVERS[name]
        try:
            parsed = model.model_validate(settings)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                path = ".".join(str(p) for p in err["loc"])
                message = err["msg"]
                if err["type"] == "extra_forbidden":
                    close = difflib.get_close_matches(str(err["loc"][-1]), list(model.model_fields), n=1)
                    message = "unknown setting" + (
                        f"; did you mean {close[0]!r}?"
                        if close
                        else f"; settings: {sorted(model.model_fields)}"
                    )
                elif err["type"] == "missing":
                    message = "required setting is missing"
                problems.append((f"levers.{name}" + (f".{path}" if path else ""), message))
            continue
        try:
            transform(doc, parsed)
        except (ValueError, KeyError) as exc:
            problems.append((f"levers.{name}", str(exc).strip("'\"")))
    if problems:
        raise ScenarioError(file, problems)
    return validate_scenario(doc, file)
