"""Compile a validated Scenario into the engine's CompiledModel.

The scenario speaks the user's language (localities, 111, ambulances, hubs, EDs, beds,
discharge); this module maps it onto services, patient groups, routes and arrival streams.

Services (names are also what escalation rules and outputs refer to; :mod:`simcare.model.services`
builds and parses them):

=====================  =======================================================================
``111_phone``          call handlers; abandoned calls may call again via ``111_retry``
``111_online``         online assessment (no queue); some fall back to the phone
``cas``                clinical assessment service validating ED and ambulance dispositions
``ambulance``          crews for the whole job cycle; blocks while an ED cannot take the
                       patient (handover delay), released after ``handover_release``
``hub:NAME``           urgent community hub (UTC/MIU)
``sdec:SITE``          same-day emergency care (``sdec_referral:SITE``: the zero-time step
                       by which ED patients join its queue without holding their cubicle)
``ed_triage:SITE``     ED triage (walk-ins and 111 referrals)
``ed:SITE``            ED cubicles (assessment and treatment; blocks while admitted patients
                       wait for a bed: boarding); ``ed_corridor:SITE`` takes released handovers
``beds:TRUST``         general and acute beds (length of stay to medically fit; blocks while a
                       patient on pathway 1-3 waits for discharge-to-assess capacity: NCTR)
``d2a:P:LA``           discharge-to-assess capacity of pathway P in local authority LA
``ed_hours:SITE``      opening-hours calendar of an ED with restricted hours (no patients)
=====================  =======================================================================

Patient groups are ``ACUITY@LOCALITY`` before admission and ``ACUITY+adm@LOCALITY`` after, so
routes can depend on acuity and on where the patient lives (their ED, hub and local authority).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from simcare.errors import ModelError
from simcare.model import services
from simcare.model.compiled import CompiledModel
from simcare.network import Network, Roster
from simcare.sampling.distributions import Distribution, Exponential, Fixed
from simcare.scenario.errors import ScenarioError
from simcare.scenario.timeline import (
    HOURS_PER_WEEK,
    MINUTES_PER_DAY,
    Timeline,
    weekly_from_shifts,
)

ADMITTED = "+adm"
PATHWAYS = ("P1", "P2", "P3")


@dataclass(frozen=True)
class CompiledScenario:
    """A scenario ready to run: the model, its calendar and the names outputs need."""

    name: str
    model: CompiledModel
    timeline: Timeline
    localities: tuple[str, ...]
    acuities: tuple[str, ...]
    ed_sites: tuple[str, ...]
    ed_trust: Mapping[str, str]
    trusts: tuple[str, ...]
    hubs: tuple[str, ...]
    replications: int
    seed: int


def group_name(acuity: str, locality: str, admitted: bool = False) -> str:
    return f"{acuity}{ADMITTED if admitted else ''}@{locality}"


class _Compiler:
    def __init__(self, sc: Any, file: str) -> None:
        self.sc = sc
        self.file = file
        self.problems: list[tuple[str, str]] = []
        run = sc.run
        self.timeline = Timeline.from_run(run.start, run.end, getattr(run, "warm_up", 0.0) or 0.0)
        self.net = Network(
            horizon_hours=self.timeline.horizon_hours, start_hour_of_week=self.timeline.start_hour_of_week
        )
        self.localities = tuple(sc.localities)
        first_site = next(iter(sc.ed.values()), None)
        self.acuities = tuple(first_site.acuity) if first_site is not None else ("all",)

    # --- helpers ----------------------------------------------------------------------------
    def problem(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def roster(self, spec: Any, path: str, opening: Any = None) -> int | Roster:
        """A RosterSpec times optional opening hours -> int (constant) or Roster."""
        if spec.is_constant and not opening:
            return int(spec.default)
        shifts = [
            (
                tuple(s.day_numbers),
                self.on_the_hour(s.from_, f"{path}.shifts[{i}].from"),
                self.on_the_hour(s.to, f"{path}.shifts[{i}].to"),
                int(s.servers),
            )
            for i, s in enumerate(spec.shifts)
        ]
        weekly = weekly_from_shifts(int(spec.default), shifts)
        overrides = [
            (
                max(self.timeline.minutes(o.from_), 0.0),
                self.timeline.minutes(o.to) + MINUTES_PER_DAY,
                int(o.servers),
            )
            for o in spec.overrides
            if self.timeline.minutes(o.to) + MINUTES_PER_DAY > 0
        ]
        if opening is not None:
            is_open = self.opening_weekly(opening, path)
            weekly = [w * o for w, o in zip(weekly, is_open, strict=True)]
        return Roster(weekly, overrides)

    def opening_weekly(self, opening: Any, path: str) -> list[int]:
        shifts = [
            (
                tuple(s.day_numbers),
                self.on_the_hour(s.from_, f"{path}.opening_hours[{i}].from"),
                self.on_the_hour(s.to, f"{path}.opening_hours[{i}].to"),
                1,
            )
            for i, s in enumerate(opening)
        ]
        return [min(v, 1) for v in weekly_from_shifts(0, shifts)]

    def on_the_hour(self, minutes: int, path: str) -> int:
        if minutes % 60:
            self.problem(path, f"rosters change on the hour; got {minutes // 60:02d}:{minutes % 60:02d}")
        return int(minutes // 60 * 60)

    def law(self, spec: Any) -> Distribution:
        if isinstance(spec, (int, float)):  # a plain duration (minutes): fixed
            return Fixed(float(spec))
        dist: Distribution = spec.to_distribution()
        return dist

    # --- demand ---------------------------------------------------------------------------------
    def daily_multipliers(self, channel: str) -> np.ndarray:
        """Per simulated day: growth x month x bank holidays x Christmas x surges x shocks."""
        cal = self.sc.calendar
        days = self.timeline.days()
        out = np.ones(len(days))
        growth = getattr(cal, "growth", 0.0) or 0.0
        base = getattr(cal, "growth_base", None) or self.timeline.start
        monthly = getattr(cal, "monthly", None) or {}
        holidays = set(getattr(cal, "bank_holidays", None) or [])
        bh_factor = getattr(cal, "bank_holiday_factor", 0.9)
        christmas = getattr(cal, "christmas", None)
        surges = getattr(cal, "surges", None) or []
        shocks = getattr(cal, "shocks", None) or []
        month_keys = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
        spec = self.sc.demand.get(channel)
        own = getattr(spec, "growth", None) or 0.0  # the channel's growth on top of the calendar's
        for i, day in enumerate(days):
            m = (1.0 + growth) ** ((day - base).days / 365.25)
            if own:
                m *= (1.0 + own) ** ((day - base).days / 365.25)
            m *= float(monthly.get(month_keys[day.month - 1], 1.0))
            if day in holidays:
                m *= bh_factor
            if christmas is not None and christmas.from_ <= day <= christmas.to:
                m *= christmas.factor
            surge = 0.0
            for s in surges:
                if s.channels and channel not in s.channels:
                    continue
                width_days = s.width / MINUTES_PER_DAY
                surge += s.height * math.exp(-((day - s.peak).days ** 2) / (2 * width_days**2))
            m *= 1.0 + surge
            for sh in shocks:
                if (not sh.channels or channel in sh.channels) and sh.from_ <= day <= sh.to:
                    m *= sh.factor
            out[i] = m
        return out

    def channel_rate_by_hour(self, channel: str, spec: Any, population: float) -> np.ndarray:
        """Patients per hour, hour by hour over the horizon, for one locality."""
        H = self.timeline.horizon_hours
        profile = np.ones(HOURS_PER_WEEK)
        if spec.profile:
            profile = np.asarray(self.sc.profiles[spec.profile].hour_of_week(), dtype=float)
        hours = np.arange(H)
        index = (self.timeline.start_hour_of_week + hours) % HOURS_PER_WEEK
        holidays = {self.timeline.day_index(d) for d in self.sc.calendar.bank_holidays}
        on_holiday = np.isin(hours // 24, sorted(holidays))
        index = np.where(on_holiday, 6 * 24 + hours % 24, index)  # bank holidays run like Sundays
        daily = self.daily_multipliers(channel)[hours // 24]
        return float(spec.rate) * population * profile[index] * daily

    def mix(self, spec: Any, path: str, loc: str) -> dict[str, float]:
        """Acuity mix of a channel: its own; for 999 calls the ambulance section's; else its
        locality's ED site's; else uniform."""
        acuity = spec.acuity
        if not acuity and path == "demand.call_999" and self.sc.ambulance is not None:
            acuity = self.sc.ambulance.acuity
        acuity = acuity or self.sc.ed[self.site_of(loc)].acuity_mix
        if not acuity:
            return {a: 1.0 / len(self.acuities) for a in self.acuities}
        unknown = set(acuity) - set(self.acuities)
        if unknown:
            self.problem(
                f"{path}.acuity", f"unknown acuity {sorted(unknown)}; ED acuities: {list(self.acuities)}"
            )
        return {a: float(acuity.get(a, 0.0)) for a in self.acuities}

    # --- the system -------------------------------------------------------------------------------
    def build(self) -> CompiledModel:
        sc, net = self.sc, self.net
        for a in self.acuities:
            priority = int(next(iter(sc.ed.values())).acuity[a].priority) if sc.ed else 0
            for loc in self.localities:
                net.add_group(group_name(a, loc), priority=priority)
        for a in self.acuities:
            for loc in self.localities:
                net.add_group(group_name(a, loc, admitted=True), priority=0)
        self.build_ed()
        self.build_beds_and_discharge()
        self.build_hubs_and_sdec()
        self.build_ambulance()
        self.build_111()
        self.build_census()
        self.build_demand()
        self.build_escalation()
        if self.problems:
            raise ScenarioError(self.file, self.problems)
        return net.compile()

    def site_of(self, loc: str) -> str:
        return str(self.sc.localities[loc].ed_site)

    def la_of(self, loc: str) -> str:
        return str(self.sc.localities[loc].local_authority)

    def build_ed(self) -> None:
        net = self.net
        for site, ed in self.sc.ed.items():
            path = f"ed.{site}"
            net.add_service(
                services.ed_triage(site),
                servers=self.roster(ed.triage_nurses, f"{path}.triage_nurses"),
                service_time=self.law(ed.triage_time),
            )
            net.add_route(services.ed_triage(site), [(services.ed(site), 1.0)])
            times: dict[str, Distribution] = {}
            patience: dict[str, Distribution] = {}
            for a, spec in ed.acuity.items():
                for loc in self.localities:
                    times[group_name(a, loc)] = self.law(spec.treatment_time)
                    if getattr(spec, "lwbs_patience", None) is not None:
                        patience[group_name(a, loc)] = self.law(spec.lwbs_patience)
            times["*"] = next(iter(times.values()))
            net.add_service(
                services.ed(site),
                servers=self.roster(ed.cubicles, f"{path}.cubicles"),
                service_time=times,
                patience=patience or None,
                blocks=True,
                release_to=services.ed_corridor(site),
            )
            net.add_service(services.ed_corridor(site), servers=math.inf, service_time=Fixed(0))
            net.add_route(services.ed_corridor(site), [(services.ed(site), 1.0)])
            trust = str(ed.trust)
            # the bed-request step: the admitted patient keeps its cubicle (counted as blocked)
            # for this long before it joins the bed queue, where it may wait longer (exit block)
            bed_request = self.law(ed.bed_request) if ed.bed_request is not None else None
            for a, spec in ed.acuity.items():
                for loc in self.localities:
                    admitted = float(spec.admitted)
                    to_sdec = float(getattr(spec, "to_sdec", 0.0) or 0.0)
                    if to_sdec and site not in self.sc.sdec:
                        self.problem(f"{path}.acuity.{a}.to_sdec", f"site {site!r} has no SDEC")
                        to_sdec = 0.0
                    to_beds: tuple[Any, ...] = (
                        services.beds(trust),
                        admitted,
                        group_name(a, loc, admitted=True),
                    )
                    if bed_request is not None:
                        to_beds += (bed_request,)
                    dests: list[tuple[Any, ...]] = [to_beds]
                    if to_sdec:
                        # via a zero-time referral step: the patient leaves the cubicle and
                        # queues for SDEC (it does not board in ED while SDEC is full or shut)
                        dests.append((services.sdec_referral(site), to_sdec))
                    dests.append((None, max(0.0, 1.0 - admitted - to_sdec)))
                    net.add_route(services.ed(site), [d for d in dests if d[1] > 0], group=group_name(a, loc))
            if getattr(ed, "opening_hours", None):
                net.add_service(
                    services.ed_hours(site),
                    servers=Roster(self.opening_weekly(ed.opening_hours, path)),
                    service_time=Fixed(0),
                )

    def build_beds_and_discharge(self) -> None:
        net, sc = self.net, self.sc
        d2a = sc.discharge.d2a if sc.discharge is not None else {}
        for la, pathways in d2a.items():
            for p, spec in pathways.items():
                net.add_service(
                    services.d2a(p, la),
                    servers=self.roster(spec.capacity, f"discharge.d2a.{la}.{p}.capacity"),
                    service_time=self.law(spec.length_of_stay),
                )
        for trust, beds in sc.beds.items():
            path = f"beds.{trust}"
            los: dict[str, Distribution] = {}
            for a in self.acuities:
                spec = beds.length_of_stay.get(a, beds.length_of_stay.get("default"))
                if spec is None:
                    self.problem(
                        f"{path}.length_of_stay", f"no length of stay for acuity {a!r} (add 'default')"
                    )
                    continue
                for loc in self.localities:
                    los[group_name(a, loc, admitted=True)] = self.law(spec)
            if not los:
                continue
            los["*"] = next(iter(los.values()))
            trend = beds.length_of_stay_trend
            scale = None if trend is None else [trend.factor(day) for day in self.timeline.days()]
            net.add_service(
                services.beds(trust),
                servers=self.roster(beds.beds, f"{path}.beds"),
                service_time=los,
                blocks=True,
                time_scale=scale,
                leave_window=None if beds.discharge_hours is None else beds.discharge_hours.hour_of_week(),
            )
            shares = {k: float(v) for k, v in beds.pathway.items()}
            process = {k: self.law(v) for k, v in beds.discharge_process.items()}
            for a in self.acuities:
                for loc in self.localities:
                    la = self.la_of(loc)
                    dests: list[tuple[Any, ...]] = [(None, shares.get("P0", 0.0), None, process.get("P0"))]
                    for p in PATHWAYS:
                        share = shares.get(p, 0.0)
                        if share <= 0:
                            continue
                        if p not in d2a.get(la, {}):
                            self.problem(
                                f"discharge.d2a.{la}",
                                f"no {p} capacity for local authority {la!r}"
                                f" (beds.{trust}.pathway sends {share:.0%})",
                            )
                            continue
                        dests.append((services.d2a(p, la), share, None, process.get(p)))
                    net.add_route(
                        services.beds(trust),
                        [d for d in dests if d[1] > 0],
                        group=group_name(a, loc, admitted=True),
                    )

    def build_hubs_and_sdec(self) -> None:
        net, sc = self.net, self.sc
        for name, hub in sc.hubs.items():
            path = f"hubs.{name}"
            net.add_service(
                services.hub(name),
                servers=self.roster(hub.clinicians, f"{path}.clinicians", opening=hub.opening_hours),
                service_time=self.law(hub.treatment_time),
            )
            to_ed = float(getattr(hub, "to_ed", 0.0) or 0.0)
            for a in self.acuities:
                for loc in self.localities:
                    net.add_route(
                        services.hub(name),
                        [
                            d
                            for d in ((services.ed_triage(self.site_of(loc)), to_ed), (None, 1.0 - to_ed))
                            if d[1] > 0
                        ],
                        group=group_name(a, loc),
                    )
        for site, unit in sc.sdec.items():
            path = f"sdec.{site}"
            net.add_service(services.sdec_referral(site), servers=math.inf, service_time=Fixed(0))
            net.add_route(services.sdec_referral(site), [(services.sdec(site), 1.0)])
            net.add_service(
                services.sdec(site),
                servers=self.roster(
                    unit.spaces, f"{path}.spaces", opening=getattr(unit, "opening_hours", None)
                ),
                service_time=self.law(unit.treatment_time),
            )
            trust = str(sc.ed[site].trust) if site in sc.ed else None
            admitted = float(unit.admitted)
            for a in self.acuities:
                for loc in self.localities:
                    for adm in (False, True):
                        g = group_name(a, loc, admitted=adm)
                        dests: list[tuple[str | None, float] | tuple[str | None, float, str | None]] = [
                            (None, 1.0 - admitted)
                        ]
                        if trust is not None and admitted > 0:
                            dests.append((services.beds(trust), admitted, group_name(a, loc, admitted=True)))
                        net.add_route(services.sdec(site), [d for d in dests if d[1] > 0], group=g)

    def build_ambulance(self) -> None:
        amb = self.sc.ambulance
        if amb is None:
            return
        release = getattr(amb, "handover_release", None)
        self.net.add_service(
            services.AMBULANCE,
            servers=self.roster(amb.crews, "ambulance.crews"),
            service_time=self.law(amb.job_cycle),
            blocks=True,
            block_max=release,
        )
        not_conveyed = float(amb.hear_and_treat) + float(amb.see_and_treat)
        conveyance = getattr(amb, "conveyance", None) or {}
        for a in self.acuities:
            for loc in self.localities:
                sites = conveyance.get(loc) or {self.site_of(loc): 1.0}
                dests: list[tuple[str | None, float]] = [(None, not_conveyed)]
                dests += [
                    (services.ed(site), (1.0 - not_conveyed) * float(share)) for site, share in sites.items()
                ]
                self.net.add_route(
                    services.AMBULANCE, [d for d in dests if d[1] > 0], group=group_name(a, loc)
                )

    def disposition_targets(self, loc: str, path: str) -> dict[str, str | None]:
        site = self.site_of(loc)
        hub = getattr(self.sc.localities[loc], "hub", None)
        return {
            "self_care": None,
            "primary_care": None,
            "hub": services.hub(hub) if hub else services.ed_triage(site),
            "sdec": services.sdec(site) if site in self.sc.sdec else services.ed_triage(site),
            "ed": services.ed_triage(site),
            "ambulance": services.AMBULANCE if self.sc.ambulance is not None else services.ed_triage(site),
        }

    def disposition_routes(
        self, dispositions: Mapping[str, float], loc: str, validated: float, path: str
    ) -> list[tuple[str | None, float]]:
        targets = self.disposition_targets(loc, path)
        out: dict[str | None, float] = {}
        for outcome, share in dispositions.items():
            share = float(share)
            if outcome in ("ed", "ambulance") and validated > 0:
                out[services.CAS] = out.get(services.CAS, 0.0) + share * validated
                share *= 1.0 - validated
            if outcome == "ed":
                for site, part in self.sc.localities[loc].site_shares().items():
                    out[services.ed_triage(site)] = out.get(services.ed_triage(site), 0.0) + share * part
                continue
            out[targets[outcome]] = out.get(targets[outcome], 0.0) + share
        return [(d, p) for d, p in out.items() if p > 0]

    def build_111(self) -> None:
        spec = self.sc.nhs111
        if spec is None:
            return
        net = self.net
        phone, online, cas = spec.phone, spec.online, getattr(spec, "cas", None)
        validated = float(cas.validated) if cas is not None else 0.0
        net.add_service(
            services.PHONE_111,
            servers=self.roster(phone.handlers, "nhs111.phone.handlers"),
            service_time=self.law(phone.handling_time),
            patience=self.law(phone.patience) if getattr(phone, "patience", None) else None,
        )
        retry = float(phone.retry)
        if retry > 0:
            net.add_service(
                services.RETRY_111,
                servers=math.inf,
                service_time=self.law(phone.retry_delay) if phone.retry_delay is not None else Fixed(10.0),
            )
            net.add_route(services.RETRY_111, [(services.PHONE_111, 1.0)])
            net.add_route(
                services.PHONE_111, [(services.RETRY_111, retry), (None, 1.0 - retry)], kind="abandoned"
            )
        net.add_service(services.ONLINE_111, servers=math.inf, service_time=self.law(online.completion_time))
        if cas is not None:
            net.add_service(
                services.CAS,
                servers=self.roster(cas.clinicians, "nhs111.cas.clinicians"),
                service_time=self.law(cas.assessment_time),
            )
        online_disp = getattr(spec, "online_dispositions", None) or spec.dispositions
        fallback = float(getattr(online, "fallback_to_phone", 0.0) or 0.0)
        for a in self.acuities:
            for loc in self.localities:
                g = group_name(a, loc)
                net.add_route(
                    services.PHONE_111,
                    self.disposition_routes(spec.dispositions, loc, validated, "nhs111.dispositions"),
                    group=g,
                )
                routes = [
                    (d, p * (1.0 - fallback))
                    for d, p in self.disposition_routes(
                        online_disp, loc, validated, "nhs111.online_dispositions"
                    )
                ]
                if fallback > 0:
                    routes.append((services.PHONE_111, fallback))
                net.add_route(services.ONLINE_111, [r for r in routes if r[1] > 0], group=g)
                if cas is not None:
                    targets = self.disposition_targets(loc, "nhs111.cas")
                    down = {k: float(v) for k, v in cas.downgraded.items()}
                    keep = 1.0 - sum(down.values())
                    p_ed = float(spec.dispositions.get("ed", 0.0))
                    p_amb = float(spec.dispositions.get("ambulance", 0.0))
                    ed_share = p_ed / (p_ed + p_amb) if p_ed + p_amb > 0 else 1.0
                    cas_routes: dict[str | None, float] = {}
                    for outcome, share in down.items():
                        cas_routes[targets[outcome]] = cas_routes.get(targets[outcome], 0.0) + share
                    for site, part in self.sc.localities[loc].site_shares().items():
                        key = services.ed_triage(site)
                        cas_routes[key] = cas_routes.get(key, 0.0) + keep * ed_share * part
                    cas_routes[targets["ambulance"]] = cas_routes.get(targets["ambulance"], 0.0) + keep * (
                        1.0 - ed_share
                    )
                    net.add_route(services.CAS, [(d, p) for d, p in cas_routes.items() if p > 0], group=g)

    def build_demand(self) -> None:
        sc, net = self.sc, self.net
        entry = {
            "phone_111": lambda loc: services.PHONE_111,
            "online_111": lambda loc: services.ONLINE_111,
            "call_999": lambda loc: services.AMBULANCE,
            "ed_walk_in": lambda loc: services.ed_triage(self.site_of(loc)),
            "hub_walk_in": lambda loc: services.hub(sc.localities[loc].hub),
            "gp_referral_sdec": lambda loc: services.sdec(self.site_of(loc)),
            "gp_referral_admission": lambda loc: services.beds(sc.ed[self.site_of(loc)].trust),
        }
        for channel, spec in sc.demand.items():
            path = f"demand.{channel}"
            for loc in self.localities:
                mix = self.mix(spec, path, loc)
                admitted = channel == "gp_referral_admission"
                groups = {group_name(a, loc, admitted): p for a, p in mix.items() if p > 0}
                rate = self.channel_rate_by_hour(channel, spec, float(sc.localities[loc].population))
                if channel == "ed_walk_in":  # split between the locality's ED sites
                    doors = [
                        (services.ed_triage(site), share, site)
                        for site, share in sc.localities[loc].site_shares().items()
                    ]
                else:
                    doors = [(entry[channel](loc), 1.0, None)]
                for to, share, site in doors:
                    stream = f"{channel}@{loc}" + (f">{site}" if site and len(doors) > 1 else "")
                    open_share = self.open_indicator(channel, loc, site)
                    if open_share is None:
                        net.add_arrivals(stream, to=to, rate_per_hour=share, groups=groups, rate_by_hour=rate)
                        continue
                    net.add_arrivals(
                        stream, to=to, rate_per_hour=share, groups=groups, rate_by_hour=rate * open_share
                    )
                    net.add_arrivals(
                        f"{stream}:closed",
                        to=self.closed_destination(channel, loc, site),
                        rate_per_hour=share,
                        groups=groups,
                        rate_by_hour=rate * (1.0 - open_share),
                    )

    def open_indicator(self, channel: str, loc: str, site: str | None) -> np.ndarray | None:
        """Hour by hour 1 when the walk-in door is open, 0 when shut; None if always open."""
        sc = self.sc
        opening = None
        if channel == "hub_walk_in" and sc.localities[loc].hub:
            hub = sc.hubs[sc.localities[loc].hub]
            if hub.closed_divert == "none":
                return None  # walk-ins wait at the hub until it opens
            opening = hub.opening_hours
        elif channel == "ed_walk_in" and site is not None:
            opening = sc.ed[site].opening_hours
        if not opening:
            return None
        weekly = np.array(self.opening_weekly(opening, "opening_hours"), dtype=float)
        hours = np.arange(self.timeline.horizon_hours)
        return weekly[(self.timeline.start_hour_of_week + hours) % HOURS_PER_WEEK]

    def closed_destination(self, channel: str, loc: str, site: str | None) -> str:
        if channel == "hub_walk_in" or site is None:
            return services.ed_triage(self.site_of(loc))
        divert = self.sc.ed[site].closed_divert
        return services.ed_triage(divert) if divert else services.ed_triage(site)

    def apportion(self, count: int, weights: dict[str, float]) -> dict[str, int]:
        """Split ``count`` patients between localities in proportion to ``weights`` (largest
        remainders, so the parts add up exactly)."""
        total = sum(weights.values())
        if total <= 0:
            return {}
        exact = {k: count * w / total for k, w in weights.items()}
        parts = {k: int(math.floor(v)) for k, v in exact.items()}
        for k in sorted(exact, key=lambda k: exact[k] - parts[k], reverse=True)[
            : count - sum(parts.values())
        ]:
            parts[k] += 1
        return parts

    def build_census(self) -> None:
        """Patients present at the start, instead of a warm-up (``run.census``):

        - ``d2a:P:LA``: patients in discharge-to-assess services;
        - ``beds:TRUST``: patients in G&A beds before they are medically fit;
        - ``nctr:TRUST``: medically fit patients still in G&A beds (no criteria to reside).

        Patients are spread over the localities that use the trust (or local authority) in
        proportion to population. A patient in a stay at the start has, on average, the mean
        residual stay of a stationary system, E[S^2] / (2 E[S]); it is drawn exponential with
        that mean (an assumption: the true residual law depends on the stay law's shape).
        Medically fit patients start their discharge process and, on pathways 1-3, wait for
        D2A capacity like everyone else. D2A patients are placed first, so the medically fit
        find D2A as full as it was.
        """
        census = self.sc.run.census
        if not census:
            return
        pop = {loc: float(self.sc.localities[loc].population) for loc in self.localities}
        acuity = self.acuities[min(1, len(self.acuities) - 1)] if self.acuities else "all"
        first = {services.D2A: 0, services.BEDS: 1, services.NCTR: 2}
        order = sorted(census, key=lambda k: first.get(services.kind_of(k), 3))
        for key in order:
            count = int(census[key])
            path = f"run.census.{key}"
            kind, parts = services.parse(key)
            if kind == services.D2A:
                pathway, la = parts
                spec = self.sc.discharge.d2a.get(la, {}).get(pathway) if self.sc.discharge else None
                if spec is None:
                    self.problem(path, f"no D2A service {key!r} (write d2a:P1:LOCAL_AUTHORITY)")
                    continue
                weights = {loc: p for loc, p in pop.items() if self.la_of(loc) == la}
                remaining: Distribution | None = Exponential(self.mean_residual(spec.length_of_stay))
            elif kind in (services.BEDS, services.NCTR):
                (rest,) = parts
                if rest not in self.sc.beds:
                    self.problem(path, f"no trust {rest!r} in beds (write {kind}:TRUST)")
                    continue
                weights = {loc: p for loc, p in pop.items() if self.sc.ed[self.site_of(loc)].trust == rest}
                los = self.sc.beds[rest].length_of_stay_for(acuity)
                remaining = Fixed(0.0) if kind == services.NCTR else Exponential(self.mean_residual(los))
            else:
                self.problem(path, "census keys are d2a:P:LOCAL_AUTHORITY, beds:TRUST or nctr:TRUST")
                continue
            if not weights:
                self.problem(path, "no locality uses this service")
                continue
            to = services.d2a(pathway, la) if kind == services.D2A else services.beds(rest)
            for loc, n in self.apportion(count, weights).items():
                if n:
                    self.net.add_census(
                        f"census:{key}@{loc}",
                        to=to,
                        count=n,
                        groups={group_name(acuity, loc, admitted=True): 1.0},
                        remaining=remaining,
                    )

    def mean_residual(self, spec: Any) -> float:
        """E[S^2] / (2 E[S]) in minutes: the mean remaining stay of a patient found in a stay."""
        law = self.law(spec)
        return (law.variance + law.mean**2) / (2 * law.mean)

    def build_escalation(self) -> None:
        sc, net = self.sc, self.net
        for site, ed in sc.ed.items():
            if not getattr(ed, "opening_hours", None):
                continue
            divert = getattr(ed, "ambulance_divert", None)
            if divert and sc.ambulance is not None:
                net.add_escalation(
                    f"{site}_closed_ambulance",
                    watch=services.ed_hours(site),
                    measure="closed",
                    above=0.5,
                    below=0.5,
                    divert=(services.AMBULANCE, services.ed(site), services.ed(divert)),
                )
            walk_in = getattr(ed, "closed_divert", None)
            if walk_in and sc.nhs111 is not None:
                for svc in (services.PHONE_111, services.ONLINE_111, services.CAS):
                    if svc == services.CAS and getattr(sc.nhs111, "cas", None) is None:
                        continue
                    net.add_escalation(
                        f"{site}_closed_{svc}",
                        watch=services.ed_hours(site),
                        measure="closed",
                        above=0.5,
                        below=0.5,
                        divert=(svc, services.ed_triage(site), services.ed_triage(walk_in)),
                    )
        for i, rule in enumerate(sc.escalation):
            path = f"escalation[{i}]"
            when, then = rule.when, rule.then
            kwargs: dict[str, Any] = {
                "watch": when.service,
                "measure": when.measure,
                "above": float(when.above),
                "below": float(when.off_below),
                "sustain_minutes": float(when.for_),
            }
            if getattr(then, "add_servers", None) is not None:
                kwargs["add_servers"] = (then.add_servers.service, int(then.add_servers.servers))
            elif getattr(then, "divert", None) is not None:
                kwargs["divert"] = (
                    services.AMBULANCE,
                    services.ed(then.divert.from_site),
                    services.ed(then.divert.to_site),
                )
            else:
                self.problem(f"{path}.then", "needs add_servers or divert")
                continue
            try:
                net.add_escalation(rule.name, **kwargs)
            except Exception as exc:  # ModelError: report with the scenario path
                self.problem(path, str(exc))


def compile_scenario(scenario: Any, file: str = "<scenario>") -> CompiledScenario:
    """Compile a validated Scenario; raises ScenarioError listing every problem found."""
    c = _Compiler(scenario, file)
    try:
        model = c.build()
    except ModelError as exc:
        raise ScenarioError(file, [*c.problems, (exc.field, exc.message)]) from None
    sc = scenario
    return CompiledScenario(
        name=str(sc.name),
        model=model,
        timeline=c.timeline,
        localities=c.localities,
        acuities=c.acuities,
        ed_sites=tuple(sc.ed),
        ed_trust={site: str(ed.trust) for site, ed in sc.ed.items()},
        trusts=tuple(sc.beds),
        hubs=tuple(sc.hubs),
        replications=int(getattr(sc.run, "replications", 1) or 1),
        seed=int(getattr(sc.run, "seed", 2025)),
    )


def demand_multipliers(scenario: Any) -> tuple[Timeline, dict[str, np.ndarray]]:
    """The timeline of a validated Scenario and, per demand channel, the multiplier of its rate
    on each simulated day (growth x month x bank holidays x Christmas x surges x shocks), as
    the compiler computes them; for estimating a run's size before building anything."""
    c = _Compiler(scenario, "<scenario>")
    return c.timeline, {channel: c.daily_multipliers(channel) for channel in scenario.demand}
