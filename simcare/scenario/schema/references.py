"""Checks across sections: names that must exist, services a channel needs, dates inside the
simulated period.

Each cross-reference is one small function ``check_xxx(sections) -> list[(path, message)]``
registered with :func:`cross_check`; :func:`cross_problems` runs them in registration order, so
the order of the messages is the order of the functions in this file. The checks see the
scenario's sections through :class:`Sections`, which also works on the valid parts of an invalid
file: a section that failed its own validation is missing, and every check that needs it is
skipped (the loader reports everything in one go; see :mod:`simcare.scenario.load`).
"""

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Self

from pydantic import BaseModel

from simcare.model import services
from simcare.scenario.schema.base import ACUITY_DEFAULT_KEY, Loc, suggest
from simcare.scenario.schema.escalation import EscalationRule
from simcare.scenario.schema.rosters import RosterSpec
from simcare.scenario.schema.sections import CalendarSpec, ChannelSpec, Locality, ProfileSpec, RunSpec
from simcare.scenario.schema.services import (
    AmbulanceSpec,
    BedsSpec,
    DischargeSpec,
    EdSiteSpec,
    HubSpec,
    Nhs111Spec,
    SdecSpec,
)

__all__ = ["CHECKS", "Problem", "Sections", "cross_check", "cross_problems", "max_servers", "service_names"]

Problem = tuple[Loc, str]
"""A problem: the field path at fault and the message."""


@dataclass(frozen=True)
class Sections:
    """The validated sections a check may look at; None when a section is absent or invalid.

    ``given`` names the sections that were validated (an optional section left out of the file
    is given, at its default, which may be None: ``nhs111`` absent means "no NHS 111")."""

    given: frozenset[str]
    run: RunSpec | None = None
    localities: dict[str, Locality] | None = None
    calendar: CalendarSpec | None = None
    profiles: dict[str, ProfileSpec] | None = None
    demand: dict[str, ChannelSpec] | None = None
    nhs111: Nhs111Spec | None = None
    ambulance: AmbulanceSpec | None = None
    hubs: dict[str, HubSpec] | None = None
    sdec: dict[str, SdecSpec] | None = None
    ed: dict[str, EdSiteSpec] | None = None
    beds: dict[str, BedsSpec] | None = None
    discharge: DischargeSpec | None = None
    escalation: list[EscalationRule] | None = None

    @classmethod
    def of(cls, sections: Mapping[str, Any]) -> Self:
        """From section name -> validated value (other names are ignored)."""
        names = {f.name for f in fields(cls)} - {"given"}
        return cls(given=frozenset(sections), **{k: v for k, v in sections.items() if k in names})

    def has(self, name: str) -> bool:
        """Whether section ``name`` was validated (it may be None: absent and optional)."""
        return name in self.given

    def home_sites(self) -> list[str]:
        """The ED sites that are some locality's ``ed_site``, sorted."""
        return sorted({lo.ed_site for lo in self.localities.values()}) if self.localities else []


Check = Callable[[Sections], list[Problem]]
CHECKS: list[Check] = []
"""The registered checks, in the order they run."""


def cross_check(check: Check) -> Check:
    """Register a check across sections (it runs after those registered before it)."""
    CHECKS.append(check)
    return check


def cross_problems(sections: Mapping[str, Any]) -> list[Problem]:
    """Problems that relate sections of a scenario, as ``(path, message)``, in check order.

    ``sections`` maps section names to validated values; a section that is missing from the
    mapping (because it failed its own validation) is skipped, so this also runs on the valid
    parts of an invalid file."""
    view = Sections.of(sections)
    return [problem for check in CHECKS for problem in check(view)]


# --- helpers ------------------------------------------------------------------------------------


def _site_ref(s: Sections, loc: Loc, name: str) -> list[Problem]:
    """``name`` must be an ED site (when the ed section is valid)."""
    if s.ed is not None and name not in s.ed:
        return [(loc, suggest(name, list(s.ed), "ED site"))]
    return []


def _acuity_refs(s: Sections, loc: Loc, names: Sequence[str]) -> list[Problem]:
    """Every acuity in ``names`` must be defined by every ED site (one message per name, for
    the first site that lacks it)."""
    if s.ed is None:
        return []
    out: list[Problem] = []
    for name in names:
        lacking = next((site for site, spec in s.ed.items() if name not in spec.acuity), None)
        if lacking is not None:
            defined = ", ".join(s.ed[lacking].acuity)
            out.append(
                ((*loc, name), f"acuity '{name}' is not defined in ed.{lacking}.acuity (defined: {defined})")
            )
    return out


def _walk_rosters(obj: Any, loc: Loc) -> Iterator[tuple[Loc, RosterSpec]]:
    if isinstance(obj, RosterSpec):
        yield loc, obj
    elif isinstance(obj, BaseModel):
        for name, info in type(obj).model_fields.items():
            yield from _walk_rosters(getattr(obj, name), (*loc, info.alias or name))
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _walk_rosters(value, (*loc, key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _walk_rosters(value, (*loc, i))


# --- localities -> ED sites, hubs, local authorities -------------------------------------------


@cross_check
def check_localities(s: Sections) -> list[Problem]:
    """A locality's ED site(s), hub and local authority exist."""
    out: list[Problem] = []
    for lname, lo in (s.localities or {}).items():
        out += _site_ref(s, ("localities", lname, "ed_site"), lo.ed_site)
        for other in lo.ed_sites or {}:
            out += _site_ref(s, ("localities", lname, "ed_sites", other), other)
        if lo.hub is not None and s.hubs is not None and lo.hub not in s.hubs:
            out.append((("localities", lname, "hub"), suggest(lo.hub, list(s.hubs), "hub")))
        if s.discharge is not None and lo.local_authority not in s.discharge.d2a:
            out.append(
                (
                    ("localities", lname, "local_authority"),
                    suggest(
                        lo.local_authority, list(s.discharge.d2a), "local authority", " in discharge.d2a"
                    ),
                )
            )
    return out


# --- ED sites -> trusts, divert sites, SDEC -----------------------------------------------------


def _divert_problems(s: Sections, site: str, spec: EdSiteSpec) -> list[Problem]:
    out: list[Problem] = []
    for name in ("closed_divert", "ambulance_divert"):
        target = getattr(spec, name)
        if target == site:
            out.append((("ed", site, name), "cannot divert to itself"))
        elif target is not None:
            out += _site_ref(s, ("ed", site, name), target)
    return out


@cross_check
def check_ed_sites(s: Sections) -> list[Problem]:
    """An ED site's trust has beds, its divert sites exist, and it has SDEC if it sends there."""
    out: list[Problem] = []
    for site, spec in (s.ed or {}).items():
        if s.beds is not None and spec.trust not in s.beds:
            out.append((("ed", site, "trust"), suggest(spec.trust, list(s.beds), "trust", " in beds")))
        out += _divert_problems(s, site, spec)
        if s.sdec is not None and site not in s.sdec:
            out += [
                (
                    ("ed", site, "acuity", a, "to_sdec"),
                    f"sends patients to SDEC but sdec has no unit for '{site}'",
                )
                for a, ac in spec.acuity.items()
                if ac.to_sdec > 0
            ]
    return out


@cross_check
def check_sdec_sites(s: Sections) -> list[Problem]:
    """Every SDEC unit is keyed by an ED site."""
    return [p for site in (s.sdec or {}) for p in _site_ref(s, ("sdec", site), site)]


# --- demand -> profiles, acuities, the services each channel needs ------------------------------


def _channel_acuity(s: Sections, ch: str, channel: ChannelSpec) -> list[Problem]:
    if channel.acuity is not None:
        return _acuity_refs(s, ("demand", ch, "acuity"), list(channel.acuity))
    if ch == "call_999" and s.ambulance is not None and s.ambulance.acuity is not None:
        return _acuity_refs(s, ("ambulance", "acuity"), list(s.ambulance.acuity))
    if s.ed is None:
        return []
    ed = s.ed
    lacking = [site for site in s.home_sites() if site in ed and ed[site].acuity_mix is None]
    if lacking:
        return [(("demand", ch, "acuity"), f"not given, and ed.{lacking[0]} has no acuity_mix to default to")]
    return []


@cross_check
def check_demand_channels(s: Sections) -> list[Problem]:
    """A channel's profile exists, and its acuity mix (or the one it defaults to) is defined."""
    out: list[Problem] = []
    for ch, channel in (s.demand or {}).items():
        if channel.profile is not None and s.profiles is not None and channel.profile not in s.profiles:
            out.append((("demand", ch, "profile"), suggest(channel.profile, list(s.profiles), "profile")))
        out += _channel_acuity(s, ch, channel)
    return out


@cross_check
def check_demand_services(s: Sections) -> list[Problem]:
    """NHS 111 and 999 demand need their sections."""
    demand = s.demand or {}
    out: list[Problem] = []
    if "phone_111" in demand and s.has("nhs111") and s.nhs111 is None:
        out.append((("demand", "phone_111"), "needs an nhs111 section"))
    if "online_111" in demand and s.has("nhs111"):
        if s.nhs111 is None:
            out.append((("demand", "online_111"), "needs an nhs111 section"))
        elif s.nhs111.online is None:
            out.append((("demand", "online_111"), "needs nhs111.online"))
    if "call_999" in demand and s.has("ambulance") and s.ambulance is None:
        out.append((("demand", "call_999"), "needs an ambulance section"))
    return out


@cross_check
def check_hub_walk_ins(s: Sections) -> list[Problem]:
    """Hub walk-ins need every locality to have a hub."""
    if s.demand is None or "hub_walk_in" not in s.demand or s.localities is None:
        return []
    return [
        (("localities", lname, "hub"), "needed by demand.hub_walk_in: this locality has no hub")
        for lname, lo in s.localities.items()
        if lo.hub is None
    ]


@cross_check
def check_gp_referrals_to_sdec(s: Sections) -> list[Problem]:
    """GP referrals to SDEC need an SDEC unit at every home ED site."""
    if s.demand is None or "gp_referral_sdec" not in s.demand or s.sdec is None or s.ed is None:
        return []
    return [
        (("demand", "gp_referral_sdec"), f"ED site '{site}' (home site of a locality) has no sdec unit")
        for site in s.home_sites()
        if site in s.ed and site not in s.sdec
    ]


# --- NHS 111 dispositions -> services -----------------------------------------------------------


@cross_check
def check_nhs111_dispositions(s: Sections) -> list[Problem]:
    """A disposition above 0 to ambulance, hub or SDEC needs that service."""
    if s.nhs111 is None:
        return []
    needs = {"ambulance": ("ambulance", s.ambulance), "hub": ("hubs", s.hubs), "sdec": ("sdec", s.sdec)}
    out: list[Problem] = []
    for name in ("dispositions", "online_dispositions"):
        mix = getattr(s.nhs111, name) or {}
        out += [
            (("nhs111", name, outcome), f"is above 0, but the scenario has no {section}")
            for outcome, (section, value) in needs.items()
            if mix.get(outcome, 0) > 0 and s.has(section) and not value
        ]
    return out


# --- ambulance conveyance -> localities, ED sites; acuity names ---------------------------------


@cross_check
def check_ambulance(s: Sections) -> list[Problem]:
    """Conveyance names localities and ED sites; the ambulance acuity mix is defined."""
    if s.ambulance is None:
        return []
    out: list[Problem] = []
    for lname, mix in s.ambulance.conveyance.items():
        if s.localities is not None and lname not in s.localities:
            out.append((("ambulance", "conveyance", lname), suggest(lname, list(s.localities), "locality")))
        for site in mix:
            out += _site_ref(s, ("ambulance", "conveyance", lname, site), site)
    if s.ambulance.acuity is not None:
        out += _acuity_refs(s, ("ambulance", "acuity"), list(s.ambulance.acuity))
    return out


@cross_check
def check_ed_acuity_mixes(s: Sections) -> list[Problem]:
    """An ED site's acuity mix names acuities every site defines."""
    return [
        p
        for site, spec in (s.ed or {}).items()
        if spec.acuity_mix is not None
        for p in _acuity_refs(s, ("ed", site, "acuity_mix"), list(spec.acuity_mix))
    ]


# --- beds: lengths of stay cover the acuities; pathways need discharge capacity -----------------


def _length_of_stay_problems(s: Sections, trust: str, spec: BedsSpec) -> list[Problem]:
    named = [k for k in spec.length_of_stay if k != ACUITY_DEFAULT_KEY]
    out = _acuity_refs(s, ("beds", trust, "length_of_stay"), named)
    if ACUITY_DEFAULT_KEY not in spec.length_of_stay:
        acuities: list[str] = []
        for site in (s.ed or {}).values():
            acuities += [a for a in site.acuity if a not in acuities]
        missing = [a for a in acuities if a not in spec.length_of_stay]
        if missing:
            out.append(
                (
                    ("beds", trust, "length_of_stay"),
                    f"no length of stay for acuity {', '.join(missing)} and no '{ACUITY_DEFAULT_KEY}'",
                )
            )
    return out


@cross_check
def check_beds(s: Sections) -> list[Problem]:
    """Lengths of stay cover every acuity; P1-P3 pathways need a discharge section."""
    out: list[Problem] = []
    for trust, spec in (s.beds or {}).items():
        out += _length_of_stay_problems(s, trust, spec)
        if s.has("discharge") and s.discharge is None:
            out += [
                (("beds", trust, "pathway", pw), "patients on P1-P3 need a discharge section (discharge.d2a)")
                for pw, frac in spec.pathway.items()
                if pw != "P0" and frac > 0
            ]
    return out


@cross_check
def check_discharge_capacity(s: Sections) -> list[Problem]:
    """A local authority has capacity on every pathway some trust sends patients on."""
    if s.beds is None or s.discharge is None:
        return []
    beds, d2a = s.beds, s.discharge.d2a
    las = sorted({lo.local_authority for lo in (s.localities or {}).values()})
    out: list[Problem] = []
    for pw in ("P1", "P2", "P3"):
        senders = [f"beds.{t}.pathway" for t, b in beds.items() if b.pathway.get(pw, 0) > 0]
        verb = "sends" if len(senders) == 1 else "send"
        out += [
            (
                ("discharge", "d2a", la),
                f"has no {pw} capacity, but {' and '.join(senders)} {verb} patients on {pw}",
            )
            for la in las
            if senders and la in d2a and pw not in d2a[la]
        ]
    return out


# --- escalation: unique names, divert sites -----------------------------------------------------


@cross_check
def check_escalation(s: Sections) -> list[Problem]:
    """Rule names are unique; a divert names two different ED sites."""
    out: list[Problem] = []
    seen: set[str] = set()
    for i, rule in enumerate(s.escalation or []):
        if rule.name in seen:
            out.append((("escalation", i, "name"), f"'{rule.name}' is used twice"))
        seen.add(rule.name)
        divert = rule.then.divert
        if divert is not None:
            loc: Loc = ("escalation", i, "then", "divert")
            out += _site_ref(s, (*loc, "from_site"), divert.from_site)
            out += _site_ref(s, (*loc, "to_site"), divert.to_site)
            if divert.from_site == divert.to_site:
                out.append(
                    (
                        (*loc, "to_site"),
                        f"'{divert.to_site}' is the site diverted from: a divert needs another site",
                    )
                )
    return out


# --- escalation services: the names the compiler gives its services -----------------------------

_SERVICE_SECTIONS = ("nhs111", "ambulance", "hubs", "sdec", "ed", "beds", "discharge")


def service_names(s: Any) -> list[str]:
    """The services the compiler (:mod:`simcare.scenario.compile`) builds for these sections, in
    its order: what an escalation rule may watch or add servers to. ``s`` is a :class:`Sections`
    or a :class:`~simcare.scenario.schema.Scenario` (tests/scenario/test_bounds.py checks the
    two agree)."""
    out: list[str] = []
    for site, ed in (s.ed or {}).items():
        out += [services.ed_triage(site), services.ed(site), services.ed_corridor(site)]
        if ed.opening_hours:
            out.append(services.ed_hours(site))
    d2a = s.discharge.d2a if s.discharge is not None else {}
    out += [services.d2a(p, la) for la, pathways in d2a.items() for p in pathways]
    out += [services.beds(trust) for trust in s.beds or {}]
    out += [services.hub(hub) for hub in s.hubs or {}]
    for site in s.sdec or {}:
        out += [services.sdec_referral(site), services.sdec(site)]
    if s.ambulance is not None:
        out.append(services.AMBULANCE)
    if s.nhs111 is not None:
        out.append(services.PHONE_111)
        if s.nhs111.phone.retry > 0:
            out.append(services.RETRY_111)
        out.append(services.ONLINE_111)
        if s.nhs111.cas is not None:
            out.append(services.CAS)
    return out


@cross_check
def check_escalation_services(s: Sections) -> list[Problem]:
    """The services an escalation rule watches or adds servers to exist (checked when every
    service section is valid, since each adds services)."""
    if not s.escalation or not all(s.has(name) for name in _SERVICE_SECTIONS):
        return []
    known = service_names(s)
    out: list[Problem] = []
    for i, rule in enumerate(s.escalation):
        named: list[tuple[Loc, str]] = [(("escalation", i, "when", "service"), rule.when.service)]
        if rule.then.add_servers is not None:
            named.append((("escalation", i, "then", "add_servers", "service"), rule.then.add_servers.service))
        out += [(loc, suggest(name, known, "service")) for loc, name in named if name not in known]
    return out


# --- census: patients present at the start fit the services they are in -----------------------


def max_servers(roster: RosterSpec) -> int:
    """The most servers a roster ever has: its default, a shift (overlapping shifts add up, so
    their sum bounds it) or an override."""
    return max(
        [roster.default + sum(s.servers for s in roster.shifts), *(o.servers for o in roster.overrides)]
    )


@cross_check
def check_census(s: Sections) -> list[Problem]:
    """``run.census`` keys name a trust's beds (``beds:TRUST``, ``nctr:TRUST``) or a D2A
    service (``d2a:P:LOCAL_AUTHORITY``), and the patients in a trust's beds (both keys) fit
    the most beds it ever has."""
    census = s.run.census if s.run is not None else None
    if not census:
        return []
    out: list[Problem] = []
    in_beds: dict[str, int] = {}
    for key, count in census.items():
        loc: Loc = ("run", "census", key)
        kind, parts = services.parse(key)
        if kind in (services.BEDS, services.NCTR):
            (rest,) = parts
            if s.beds is None:
                continue
            if rest not in s.beds:
                near = suggest(rest, list(s.beds), "trust", " in beds")
                out.append((loc, f"no trust '{rest}' in beds (write {kind}:TRUST): {near}"))
                continue
            most = max_servers(s.beds[rest].beds)
            if count > 0 and most == 0:
                out.append((loc, f"puts {count} patients in trust {rest}, which has 0 beds"))
                continue
            in_beds[rest] = in_beds.get(rest, 0) + count
        elif kind == services.D2A:
            pathway, la = parts
            if s.has("discharge") and (s.discharge is None or pathway not in s.discharge.d2a.get(la, {})):
                out.append((loc, f"no D2A service '{key}' (write d2a:P1:LOCAL_AUTHORITY)"))
        else:
            out.append((loc, "census keys are d2a:P:LOCAL_AUTHORITY, beds:TRUST or nctr:TRUST"))
    for trust, count in in_beds.items():
        most = max_servers(s.beds[trust].beds) if s.beds is not None else count
        if count > most:
            keys = " + ".join(
                f"{k} {census[k]}" for k in (services.beds(trust), services.nctr(trust)) if k in census
            )
            out.append(
                (
                    ("run", "census"),
                    f"puts {count} patients ({keys}) in trust {trust}, which has at most {most} beds",
                )
            )
    return out


# --- dates inside the simulated period [start - warm_up, end] -----------------------------------


def _outside_run(run: RunSpec, dated: list[tuple[Loc, dt.date]]) -> list[Problem]:
    """The dates of ``dated`` outside the simulated period, with the period in the message."""
    lo_day, hi_day = run.first_day, run.end
    lead = " (run.start minus run.warm_up)" if run.warm_up > 0 else " (run.start)"
    return [
        (loc, f"{day} is outside the simulated period {lo_day}{lead} to {hi_day} (run.end)")
        for loc, day in dated
        if not lo_day <= day <= hi_day
    ]


def _calendar_dates(cal: CalendarSpec) -> list[tuple[Loc, dt.date]]:
    dated: list[tuple[Loc, dt.date]] = [
        (("calendar", "bank_holidays", i), d) for i, d in enumerate(cal.bank_holidays)
    ]
    if cal.christmas is not None:
        dated += [
            (("calendar", "christmas", "from"), cal.christmas.from_),
            (("calendar", "christmas", "to"), cal.christmas.to),
        ]
    dated += [(("calendar", "surges", i, "peak"), surge.peak) for i, surge in enumerate(cal.surges)]
    for i, shock in enumerate(cal.shocks):
        dated += [
            (("calendar", "shocks", i, "from"), shock.from_),
            (("calendar", "shocks", i, "to"), shock.to),
        ]
    return dated


@cross_check
def check_calendar_dates(s: Sections) -> list[Problem]:
    """Calendar dates (bank holidays, Christmas, surges, shocks) are inside the run."""
    if s.run is None or s.calendar is None:
        return []
    return _outside_run(s.run, _calendar_dates(s.calendar))


@cross_check
def check_roster_override_dates(s: Sections) -> list[Problem]:
    """Dated roster overrides in the service sections are inside the run."""
    if s.run is None:
        return []
    dated: list[tuple[Loc, dt.date]] = []
    for name in ("nhs111", "ambulance", "hubs", "sdec", "ed", "beds", "discharge"):
        section = getattr(s, name)
        if section is None:
            continue
        for loc, roster in _walk_rosters(section, (name,)):
            for i, o in enumerate(roster.overrides):
                dated += [((*loc, "overrides", i, "from"), o.from_), ((*loc, "overrides", i, "to"), o.to)]
    return _outside_run(s.run, dated)


# --- names: one meaning each ---------------------------------------------------------------------

#: group names the KPI table uses for aggregates (a site or trust of that name would collide)
RESERVED_NAMES = ("ICB", "type1", "type3")


@cross_check
def check_names_unique(s: Sections) -> list[Problem]:
    """ED sites, trusts, hubs and localities name different things, so each name is used by one
    of them only (the KPI table groups by these names; a site and a trust both called ``pah``
    gave repeated rows), and none is a name the KPI table uses for an aggregate."""
    kinds = {"ed": s.ed, "beds": s.beds, "hubs": s.hubs, "localities": s.localities}
    first: dict[str, str] = {}
    out: list[Problem] = []
    for section, names in kinds.items():
        for name in names or {}:
            if name in RESERVED_NAMES:
                out.append(
                    (
                        (section, name),
                        f"'{name}' is reserved for the KPI table's aggregate groups "
                        f"({', '.join(RESERVED_NAMES)}): choose another name",
                    )
                )
            elif name in first:
                out.append(
                    (
                        (section, name),
                        f"'{name}' is also a name in {first[name]}: give each "
                        "site, trust, hub and locality its own name",
                    )
                )
            else:
                first.setdefault(name, section)
    return out
