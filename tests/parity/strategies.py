"""Hypothesis strategies that build random but valid simcare networks.

A drawn value is a :class:`NetSpec`: a plain, printable description of a Network (groups,
services, routes, arrival streams) plus the seed and replication to run it with.
``spec.network()`` builds the :class:`~simcare.network.Network`, ``spec.compile()`` the
CompiledModel, and ``spec.code()`` returns Python source that rebuilds it, so a failing example
can be pasted into a bug report or a regression test as is.

:func:`networks` exercises every feature of the model:

* several groups with (possibly equal) priorities, group changes on routes, group-specific route
  tables and per-group service-time and patience laws (with a ``"*"`` default);
* constant, infinite (``math.inf``) and rostered capacity; rosters repeat a short hourly
  pattern whose values include 0 (capacity falls to zero and rises again) and may carry dated
  overrides;
* finite queues with turned-away routes, patience with abandoned routes (both possibly
  group-specific, both possibly looping back);
* blocking after service with and without a maximum blocked time, with an overflow service
  and/or a ``release_to`` on the services waited for (or neither: released patients leave);
* route delays (the patient keeps its server, counted as blocked, before moving on);
* leave windows (the patient keeps its server until an hour lets it leave, R15a; not with
  ``extras=False``);
* census arrivals (at minute 0 or later, with or without a remaining-stay law, Fixed(0)
  included) and escalation rules (occupancy / waiting / closed measures with hysteresis and
  sustain times, adding or removing servers, diverting leavers) checked every 7.5 to 60
  minutes (``extras=False`` leaves these four out);
* every distribution kind (exponential, lognormal, gamma, Weibull, triangular, uniform, fixed,
  empirical);
* a *tie-heavy* variant (``ties=True``): service times, patience and maximum blocked times are
  mostly fixed multiples of 15 minutes (including 0) or empirical on such values, rosters change
  every hour and overrides start and end on the hour or half hour, so many events share a
  timestamp and the tie-break rules of the kernel docstring decide the outcome.

Termination by construction: served routes go *forward* in service order (to a later service
or out), except optional back-edges (to the same or an earlier service) of total probability at
most 1/2 from services that do not block; abandoned and turned-away routes may also loop back
with probability at most 1/2, so every loop ends with probability 1. (Within one event a patient
only hops along turned-away routes, taking a back-edge at least once every 5 hops, so it passes
through more than 1000 services, the engines' routing-loop guard, with probability below
2**-200.) Escalation diverts only ever send patients to a later service or out. Since blocked
patients only wait for later services, no cycle of blocked services can form, so these networks
never deadlock. With ``allow_deadlock=True`` blocking services may loop back too (same bound), so
deadlocks can happen: both engines must then stop at the same event and name the same services.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from hypothesis import strategies as st

from simcare.model.compiled import CompiledModel
from simcare.network import HOURS_PER_WEEK, Network, Roster
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

Law = Distribution | Mapping[str, Distribution]
Entry = tuple[str | None, float, str | None, Distribution | None]  # dest, prob, group, delay

# Pattern lengths that divide a week, so that ``pattern * (168 // len)`` is a full week.
_PERIODS = (1, 2, 3, 4, 6, 8, 12, 24)


# --- the description -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterSpec:
    """A roster whose weekly pattern repeats ``pattern`` (hourly servers) all week long."""

    pattern: tuple[int, ...]
    overrides: tuple[tuple[float, float, int], ...] = ()

    def roster(self) -> Roster:
        return Roster(list(self.pattern) * (HOURS_PER_WEEK // len(self.pattern)), list(self.overrides))

    def code(self) -> str:
        weekly = f"{list(self.pattern)} * {HOURS_PER_WEEK // len(self.pattern)}"
        return f"Roster(weekly={weekly}, overrides={list(self.overrides)!r})"


Servers = int | float | RosterSpec


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    servers: Servers
    service_time: Law
    queue_limit: int | None = None
    patience: Law | None = None
    blocks: bool = False
    block_max: float | None = None
    overflow: str | None = None
    release_to: str | None = None
    leave_window: tuple[float, ...] | None = None  # leave probabilities, a pattern repeated all week

    def leave_window_week(self) -> list[float] | None:
        if self.leave_window is None:
            return None
        return list(self.leave_window) * (HOURS_PER_WEEK // len(self.leave_window))


@dataclass(frozen=True)
class RouteSpec:
    service: str
    entries: tuple[Entry, ...]
    kind: str = "served"
    group: str | None = None


@dataclass(frozen=True)
class StreamSpec:
    name: str
    to: str
    rate_per_hour: float
    groups: Mapping[str, float] | None = None
    hour_of_week: tuple[float, ...] | None = None  # a pattern repeated over the week
    daily: tuple[float, ...] | None = None


@dataclass(frozen=True)
class CensusSpec:
    name: str
    to: str
    count: int
    groups: Mapping[str, float] | None = None
    remaining: Distribution | None = None
    at_minutes: float = 0.0


@dataclass(frozen=True)
class RuleSpec:
    """An escalation rule: exactly one of ``add_servers`` and ``divert``."""

    name: str
    watch: str
    measure: str
    above: float
    below: float
    sustain_minutes: float = 0.0
    add_servers: tuple[str, int] | None = None
    divert: tuple[str, str | None, str | None] | None = None


@dataclass(frozen=True)
class NetSpec:
    """A network and the (seed, replication) to run it with."""

    horizon_hours: float
    start_hour_of_week: int
    groups: tuple[tuple[str, int], ...]
    services: tuple[ServiceSpec, ...]
    routes: tuple[RouteSpec, ...] = ()
    streams: tuple[StreamSpec, ...] = ()
    census: tuple[CensusSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    check_every_minutes: float = 15.0
    seed: int = 0
    replication: int = 0
    tags: tuple[str, ...] = field(default=(), compare=False)

    def network(self) -> Network:
        net = Network(horizon_hours=self.horizon_hours, start_hour_of_week=self.start_hour_of_week)
        net.check_every_minutes = self.check_every_minutes
        for name, priority in self.groups:
            net.add_group(name, priority=priority)
        for s in self.services:
            servers = s.servers.roster() if isinstance(s.servers, RosterSpec) else s.servers
            net.add_service(
                s.name,
                servers=servers,
                service_time=s.service_time,
                queue_limit=s.queue_limit,
                patience=s.patience,
                blocks=s.blocks,
                block_max=s.block_max,
                overflow=s.overflow,
                release_to=s.release_to,
                leave_window=s.leave_window_week(),
            )
        for r in self.routes:
            net.add_route(r.service, [_short(e) for e in r.entries], group=r.group, kind=r.kind)
        for a in self.streams:
            how = (
                None
                if a.hour_of_week is None
                else list(a.hour_of_week) * (HOURS_PER_WEEK // len(a.hour_of_week))
            )
            net.add_arrivals(
                a.name,
                to=a.to,
                rate_per_hour=a.rate_per_hour,
                groups=a.groups,
                hour_of_week=how,
                daily=None if a.daily is None else list(a.daily),
            )
        for c in self.census:
            net.add_census(
                c.name,
                to=c.to,
                count=c.count,
                groups=c.groups,
                remaining=c.remaining,
                at_minutes=c.at_minutes,
            )
        for rule in self.rules:
            net.add_escalation(
                rule.name,
                watch=rule.watch,
                measure=rule.measure,
                above=rule.above,
                below=rule.below,
                sustain_minutes=rule.sustain_minutes,
                add_servers=rule.add_servers,
                divert=rule.divert,
            )  # type: ignore[arg-type]  # None: out
        return net

    def compile(self) -> CompiledModel:
        return self.network().compile()

    def with_servers(self, service: str, servers: Servers) -> NetSpec:
        """The same network with the capacity of ``service`` replaced."""
        return replace(
            self,
            services=tuple(replace(s, servers=servers) if s.name == service else s for s in self.services),
        )

    def escalated_services(self) -> set[str]:
        """Services whose capacity escalation rules may change."""
        return {r.add_servers[0] for r in self.rules if r.add_servers is not None}

    def diverted_services(self) -> set[str]:
        """Services whose route destinations escalation rules may change."""
        return {r.divert[0] for r in self.rules if r.divert is not None}

    def code(self) -> str:
        """Python source that rebuilds this network as ``net`` and draws its random inputs."""
        lines = [
            "import math",
            "from simcare.engine import run",
            "from simcare.network import Network, Roster",
            "from simcare.sampling.distributions import (Empirical, Exponential, Fixed, Gamma,",
            "    Lognormal, Triangular, Uniform, Weibull)",
            "from simcare.sampling.draws import draw",
            f"net = Network(horizon_hours={self.horizon_hours!r}, "
            f"start_hour_of_week={self.start_hour_of_week})",
        ]
        if self.rules:
            lines.append(f"net.check_every_minutes = {self.check_every_minutes!r}")
        lines += [f"net.add_group({n!r}, priority={p})" for n, p in self.groups]
        for s in self.services:
            if isinstance(s.servers, RosterSpec):
                servers = s.servers.code()
            elif s.servers == math.inf:
                servers = "math.inf"
            else:
                servers = repr(s.servers)
            args = [repr(s.name), f"servers={servers}", f"service_time={_law(s.service_time)}"]
            if s.queue_limit is not None:
                args.append(f"queue_limit={s.queue_limit}")
            if s.patience is not None:
                args.append(f"patience={_law(s.patience)}")
            if s.blocks:
                args.append("blocks=True")
            if s.block_max is not None:
                args.append(f"block_max={s.block_max!r}")
            if s.overflow is not None:
                args.append(f"overflow={s.overflow!r}")
            if s.release_to is not None:
                args.append(f"release_to={s.release_to!r}")
            if s.leave_window is not None:
                args.append(
                    f"leave_window={list(s.leave_window)!r} * {HOURS_PER_WEEK // len(s.leave_window)}"
                )
            lines.append(f"net.add_service({', '.join(args)})")
        for r in self.routes:
            extra = "" if r.kind == "served" else f", kind={r.kind!r}"
            extra += "" if r.group is None else f", group={r.group!r}"
            lines.append(f"net.add_route({r.service!r}, {[_short(e) for e in r.entries]!r}{extra})")
        for a in self.streams:
            args = [repr(a.name), f"to={a.to!r}", f"rate_per_hour={a.rate_per_hour!r}"]
            if a.groups is not None:
                args.append(f"groups={dict(a.groups)!r}")
            if a.hour_of_week is not None:
                args.append(
                    f"hour_of_week={list(a.hour_of_week)!r} * {HOURS_PER_WEEK // len(a.hour_of_week)}"
                )
            if a.daily is not None:
                args.append(f"daily={list(a.daily)!r}")
            lines.append(f"net.add_arrivals({', '.join(args)})")
        for c in self.census:
            args = [repr(c.name), f"to={c.to!r}", f"count={c.count}"]
            if c.groups is not None:
                args.append(f"groups={dict(c.groups)!r}")
            if c.remaining is not None:
                args.append(f"remaining={c.remaining!r}")
            if c.at_minutes:
                args.append(f"at_minutes={c.at_minutes!r}")
            lines.append(f"net.add_census({', '.join(args)})")
        for rule in self.rules:
            args = [
                repr(rule.name),
                f"watch={rule.watch!r}",
                f"measure={rule.measure!r}",
                f"above={rule.above!r}",
                f"below={rule.below!r}",
            ]
            if rule.sustain_minutes:
                args.append(f"sustain_minutes={rule.sustain_minutes!r}")
            if rule.add_servers is not None:
                args.append(f"add_servers={rule.add_servers!r}")
            if rule.divert is not None:
                args.append(f"divert={rule.divert!r}")
            lines.append(f"net.add_escalation({', '.join(args)})")
        lines += [
            "m = net.compile()",
            f"d = draw(m, seed={self.seed}, replication={self.replication})",
            'a = run(m, draws=d, engine="numba", check=False)',
            'b = run(m, draws=d, engine="simpy", check=False)',
        ]
        return "\n".join(lines)


def _short(e: Entry) -> tuple[object, ...]:
    """The entry without its trailing unset fields (group, delay), as one would write it."""
    if e[3] is not None:
        return e
    return (e[0], e[1]) if e[2] is None else (e[0], e[1], e[2])


def _law(law: Law) -> str:
    if isinstance(law, Distribution):
        return repr(law)
    return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in law.items()) + "}"


# --- distributions -------------------------------------------------------------------------------


def _quarters(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Multiples of 0.25 in [lo, hi] (readable in failure reports)."""
    return st.integers(int(lo * 4), int(hi * 4)).map(lambda q: q / 4)


@st.composite
def _triangular(draw: st.DrawFn) -> Triangular:
    low = draw(_quarters(0, 30))
    high = low + draw(_quarters(1, 90))
    mode = draw(st.sampled_from([low, high, low + (high - low) / 3]))
    return Triangular(low, mode, high)


@st.composite
def _uniform(draw: st.DrawFn) -> Uniform:
    low = draw(_quarters(0, 30))
    return Uniform(low, low + draw(_quarters(1, 90)))


def continuous_laws() -> st.SearchStrategy[Distribution]:
    """Every distribution kind, with means of a few minutes to a couple of hours."""
    return st.one_of(
        st.builds(Exponential, _quarters(1, 120)),
        st.builds(Lognormal, _quarters(2, 120), _quarters(0.5, 80)),
        st.builds(Gamma, st.sampled_from([0.4, 0.8, 1.0, 2.5, 6.0]), _quarters(1, 40)),
        st.builds(Weibull, st.sampled_from([0.6, 1.0, 1.5, 3.0]), _quarters(2, 100)),
        _triangular(),
        _uniform(),
        st.builds(Fixed, _quarters(0.25, 120)),
        st.builds(lambda v: Empirical(tuple(v)), st.lists(_quarters(0, 120), min_size=1, max_size=5)),
    )


def tie_laws(zero: bool = True) -> st.SearchStrategy[Distribution]:
    """Mostly fixed or empirical multiples of 15 minutes (equal to roster periods or divisors
    of them), so event times collide; sometimes a continuous law for variety."""
    steps = [15, 30, 30, 60, 60, 60, 120] + ([0] if zero else [])
    return st.one_of(
        st.builds(Fixed, st.sampled_from(steps)),
        st.builds(lambda v: Empirical(tuple(v)), st.lists(st.sampled_from(steps), min_size=1, max_size=4)),
        st.builds(Fixed, st.integers(1 if not zero else 0, 90)),
        continuous_laws(),
    )


@st.composite
def _law_for(
    draw: st.DrawFn, groups: Sequence[str], laws: st.SearchStrategy[Distribution], need_default: bool = True
) -> Law:
    """One law for all groups, or a mapping with a ``"*"`` default and some per-group laws."""
    if len(groups) == 1 or draw(st.booleans()):
        return draw(laws)
    chosen = draw(st.lists(st.sampled_from(list(groups)), min_size=1, unique=True))
    out: dict[str, Distribution] = {g: draw(laws) for g in chosen}
    if need_default or draw(st.booleans()):
        out["*"] = draw(laws)
    return out


# --- capacity ------------------------------------------------------------------------------------


@st.composite
def rosters(draw: st.DrawFn, ties: bool, horizon_min: float) -> RosterSpec:
    """Hourly patterns of 0..3 servers (falling to zero and rising again), with 0..2 dated
    overrides; in the tie-heavy variant the pattern changes every hour and overrides fall on
    whole or half hours."""
    period = draw(st.sampled_from([2, 3, 4] if ties else list(_PERIODS)))
    pattern = tuple(draw(st.lists(st.integers(0, 3), min_size=period, max_size=period)))
    overrides = []
    for _ in range(draw(st.integers(0, 2))):
        if ties:
            a = 30.0 * draw(st.integers(0, max(1, int(horizon_min // 30) - 1)))
            b = a + 30.0 * draw(st.integers(1, 12))
        else:
            a = float(draw(st.integers(0, max(1, int(horizon_min) - 1))))
            b = a + float(draw(st.integers(1, 600)))
        overrides.append((a, b, draw(st.integers(0, 4))))
    return RosterSpec(pattern, tuple(overrides))


@st.composite
def leave_windows(draw: st.DrawFn, ties: bool) -> tuple[float, ...]:
    """Hourly leave probabilities (R15a), a pattern of 1 ... 24 hours repeated all week, with
    at least one hour above 0: 0 and 1 (fixed windows) and, unless tie-heavy, fractions."""
    period = draw(st.sampled_from(list(_PERIODS)))
    values = st.sampled_from([0.0, 1.0]) if ties else st.sampled_from([0.0, 0.0, 0.25, 0.5, 1.0])
    pattern = draw(st.lists(values, min_size=period, max_size=period))
    if not any(pattern):
        pattern[draw(st.integers(0, period - 1))] = 1.0
    return tuple(pattern)


def _servers(ties: bool, horizon_min: float, entry: bool) -> st.SearchStrategy[Servers]:
    """Capacity; a service that never serves (0 servers) only away from the entry service."""
    roster = rosters(ties, horizon_min)
    if entry:
        roster = roster.filter(lambda r: max(r.pattern) > 0)
    return st.one_of(
        st.integers(1, 3),
        st.just(0) if not (ties or entry) else st.integers(1, 2),
        st.just(math.inf),
        roster,
        roster,
    )


# --- routes ----------------------------------------------------------------------------------------


@st.composite
def _entries(
    draw: st.DrawFn,
    forward: Sequence[str],
    back: Sequence[str],
    groups: Sequence[str],
    delays: st.SearchStrategy[Distribution] | None = None,
) -> tuple[Entry, ...]:
    """A route table: forward destinations (later services or out) and optional back-edges
    (the same or earlier services) with total probability <= 1/2; probabilities are multiples
    of 1/20; each entry may change the patient's group and, given ``delays``, keep the patient
    on its server for a delay first."""
    targets: list[str | None] = [*forward, None]  # simplest example: go forward
    n_fwd = draw(st.integers(1, min(3, len(targets))))
    fwd = draw(st.lists(st.sampled_from(targets), min_size=n_fwd, max_size=n_fwd, unique=True))
    bk: list[str | None] = []
    if len(back) > 0 and draw(st.booleans()):
        bk = list(draw(st.lists(st.sampled_from(list(back)), min_size=1, max_size=2, unique=True)))
    units_back = [draw(st.integers(1, 5)) for _ in bk] if bk else []
    while sum(units_back) > 10:
        units_back[units_back.index(max(units_back))] -= 1
    left = 20 - sum(units_back)
    # split ``left`` units among the forward entries, each getting at least one
    cuts = (
        sorted(
            draw(
                st.lists(st.integers(1, left - 1), min_size=len(fwd) - 1, max_size=len(fwd) - 1, unique=True)
            )
        )
        if len(fwd) > 1
        else []
    )
    bounds = [0, *cuts, left]
    units = [bounds[i + 1] - bounds[i] for i in range(len(fwd))] + units_back
    dests = fwd + bk
    out: list[Entry] = []
    for d, u in zip(dests, units, strict=True):
        new_group = None
        if len(groups) > 1 and draw(st.booleans()):
            new_group = draw(st.sampled_from(list(groups)))
        delay = None
        if delays is not None and draw(st.integers(0, 2)) == 0:
            delay = draw(delays)
        out.append((d, u / 20, new_group, delay))
    return tuple(out)


# --- arrivals ----------------------------------------------------------------------------------------


@st.composite
def _stream(
    draw: st.DrawFn, name: str, to: str, groups: Sequence[str], horizon_hours: float, budget: float
) -> StreamSpec:
    """A stream expected to bring at most ``budget`` patients over the horizon."""
    probs = _group_probs(draw, groups)
    how: tuple[float, ...] | None = None
    if draw(st.booleans()):
        period = draw(st.sampled_from(list(_PERIODS)))
        how = tuple(
            draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0]), min_size=period, max_size=period))
        )
        if max(how) == 0:
            how = None
    daily: tuple[float, ...] | None = None
    n_days = math.ceil(math.ceil(horizon_hours) / 24)
    if draw(st.booleans()):
        daily = tuple(draw(st.lists(st.sampled_from([0.5, 1.0, 1.5]), min_size=n_days, max_size=n_days)))
    mean = (sum(how) / len(how) if how else 1.0) * (sum(daily) / len(daily) if daily else 1.0)
    target = draw(st.integers(int(budget) // 5, int(budget)))  # expected patients
    rate = min(30.0, max(0.25, math.floor(4 * target / (horizon_hours * mean)) / 4))
    return StreamSpec(name, to, rate, probs, how, daily)


# --- networks --------------------------------------------------------------------------------------


def _group_probs(draw: st.DrawFn, groups: Sequence[str]) -> dict[str, float] | None:
    if len(groups) == 1:
        return None
    units = [draw(st.integers(0, 4)) for _ in groups]
    if sum(units) == 0:
        units[0] = 1
    return {g: u / sum(units) for g, u in zip(groups, units, strict=True) if u > 0}


@st.composite
def _census(
    draw: st.DrawFn,
    name: str,
    names: Sequence[str],
    groups: Sequence[str],
    laws: st.SearchStrategy[Distribution],
    tie: bool,
    horizon_min: float,
) -> CensusSpec:
    """Patients present at the start (or at a later minute), possibly with their own law for
    the first service time (the remaining stay; Fixed(0): finished at once)."""
    at = 0.0
    if draw(st.booleans()):
        at = (
            60.0 * draw(st.integers(0, max(0, int(horizon_min // 60) - 1)))
            if tie
            else draw(_quarters(0, max(0.25, horizon_min - 1)))
        )
    remaining = draw(st.one_of(st.none(), st.just(Fixed(0)), laws))
    return CensusSpec(
        name,
        draw(st.sampled_from(list(names))),
        draw(st.integers(0, 40)),
        _group_probs(draw, groups),
        remaining,
        at,
    )


@st.composite
def _rule(draw: st.DrawFn, name: str, names: Sequence[str], routes: Sequence[RouteSpec]) -> RuleSpec:
    """An escalation rule: add (or remove) servers, or divert a service's leavers from one
    destination to another, always a later service or out (a divert backwards could turn a
    route of probability one into a loop that never lets time pass)."""
    measure = draw(st.sampled_from(["occupancy", "waiting", "closed"]))
    if measure == "occupancy":
        above = draw(st.sampled_from([0.5, 0.8, 1.0, 1.5, 2.0]))
        below = above * draw(st.sampled_from([0.5, 0.8, 1.0]))
    elif measure == "waiting":
        above = float(draw(st.sampled_from([0, 1, 2, 5])))
        below = float(draw(st.integers(0, int(above))))
    else:
        above = below = 0.5
    watch = draw(st.sampled_from(list(names)))
    sustain = float(draw(st.sampled_from([0, 15, 30, 60])))
    leaving = [r for r in routes if r.entries]
    if len(leaving) > 0 and draw(st.booleans()):
        r = draw(st.sampled_from(leaving))
        i = names.index(r.service)
        dest = draw(st.sampled_from([e[0] for e in r.entries]))
        choices: list[str | None] = [*names[i + 1 :], None]
        return RuleSpec(
            name,
            watch,
            measure,
            above,
            below,
            sustain,
            divert=(r.service, dest, draw(st.sampled_from(choices))),
        )
    target = draw(st.sampled_from(list(names)))
    return RuleSpec(
        name,
        watch,
        measure,
        above,
        below,
        sustain,
        add_servers=(target, draw(st.sampled_from([1, 2, 3, -1, -2]))),
    )


@st.composite
def networks(
    draw: st.DrawFn,
    *,
    min_services: int = 2,
    max_services: int = 5,
    max_groups: int = 3,
    ties: bool | None = None,
    allow_deadlock: bool = False,
    extras: bool = True,
    max_patients: int = 1500,
    min_hours: int = 6,
    max_hours: int = 150,
) -> NetSpec:
    """A random valid network (see the module docstring), with a seed and replication.
    ``extras``: also route delays, release_to, census arrivals and escalation rules."""
    tie = draw(st.booleans()) if ties is None else ties
    G = draw(st.integers(1, max_groups))
    groups = [f"g{i}" for i in range(G)]
    priorities = draw(st.lists(st.integers(0, 2), min_size=G, max_size=G))
    S = draw(st.integers(min_services, max_services))
    names = [f"s{i}" for i in range(S)]
    hours = draw(st.integers(min_hours, max_hours))
    horizon = float(hours) if tie else hours + draw(st.sampled_from([0.0, 0.0, 0.25, 0.5]))
    horizon_min = horizon * 60.0
    laws = tie_laws() if tie else continuous_laws()
    patience_laws = tie_laws() if tie else continuous_laws()
    plain_laws = laws.filter(lambda d: not isinstance(d, Empirical))  # delays, remaining stays
    delays = plain_laws if extras else None

    services = []
    routes: list[RouteSpec] = []
    for i, name in enumerate(names):
        later, earlier = names[i + 1 :], names[: i + 1]
        blocks = bool(later) and not draw(st.booleans())  # (minimal examples block)
        block_max = overflow = None
        if blocks and draw(st.booleans()):
            block_max = float(draw(st.sampled_from([15, 30, 60, 90]) if tie else _quarters(1, 120)))
            overflow = draw(
                st.sampled_from(names) if not extras else st.one_of(st.sampled_from(names), st.none())
            )
        release_to = None
        if extras and i > 0 and draw(st.integers(0, 3)) == 0:
            release_to = draw(st.sampled_from(names))
        leave_window = None
        if extras and draw(st.integers(0, 3)) == 0:
            leave_window = draw(leave_windows(tie))
        patience = draw(st.one_of(_law_for(groups, patience_laws, need_default=False), st.none()))
        queue_limit = draw(st.one_of(st.integers(1, 4), st.none(), st.just(0)))
        services.append(
            ServiceSpec(
                name=name,
                servers=draw(_servers(tie, horizon_min, entry=i == 0)),
                service_time=draw(_law_for(groups, laws)),
                queue_limit=queue_limit,
                patience=patience,
                blocks=blocks,
                block_max=block_max,
                overflow=overflow,
                release_to=release_to,
                leave_window=leave_window,
            )
        )
        back = earlier if (not blocks or allow_deadlock) else []
        if i == 0 or draw(st.integers(0, 5)) < 5:  # otherwise everyone leaves after it
            routes.append(RouteSpec(name, draw(_entries(later, back, groups, delays))))
            if G > 1 and draw(st.integers(0, 2)) == 0:
                routes.append(
                    RouteSpec(
                        name, draw(_entries(later, back, groups, delays)), group=draw(st.sampled_from(groups))
                    )
                )
        for kind, present in (("abandoned", patience is not None), ("turned_away", queue_limit is not None)):
            if present and not draw(st.booleans()):
                routes.append(RouteSpec(name, draw(_entries(later, earlier, groups)), kind=kind))
                if G > 1 and draw(st.integers(0, 2)) == 0:
                    routes.append(
                        RouteSpec(
                            name,
                            draw(_entries(later, earlier, groups)),
                            kind=kind,
                            group=draw(st.sampled_from(groups)),
                        )
                    )

    # A maximum blocked time without an overflow needs a release_to at every destination.
    needs = {
        e[0]
        for r in routes
        if r.kind == "served"
        for e in r.entries
        if any(x.name == r.service and x.block_max is not None and x.overflow is None for x in services)
    }
    services = [
        replace(x, release_to=draw(st.sampled_from(names))) if x.name in needs and x.release_to is None else x
        for x in services
    ]

    n_streams = draw(st.integers(1, 3))
    streams = []
    for k in range(n_streams):
        to = names[0] if k == 0 else draw(st.sampled_from(names))
        streams.append(draw(_stream(f"a{k}", to, groups, horizon, max_patients / n_streams)))
    census: list[CensusSpec] = []
    rules: list[RuleSpec] = []
    check_every = 15.0
    if extras:
        census = [
            draw(_census(f"c{k}", names, groups, plain_laws, tie, horizon_min))
            for k in range(draw(st.integers(0, 2)))
        ]
        served = [r for r in routes if r.kind == "served"]
        rules = [draw(_rule(f"r{k}", names, served)) for k in range(draw(st.integers(0, 2)))]
        check_every = float(draw(st.sampled_from([15, 30, 60, 7.5, 20])))

    return NetSpec(
        horizon_hours=horizon,
        start_hour_of_week=draw(st.integers(0, HOURS_PER_WEEK - 1)),
        groups=tuple(zip(groups, priorities, strict=True)),
        services=tuple(services),
        routes=tuple(routes),
        streams=tuple(streams),
        census=tuple(census),
        rules=tuple(rules),
        check_every_minutes=check_every,
        seed=draw(st.integers(0, 10_000)),
        replication=draw(st.integers(0, 3)),
        tags=("ties",) if tie else (),
    )
