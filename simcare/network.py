"""Build a CompiledModel from Python: services, groups, routes and arrival streams by name.

This is the programmatic front door used by tests, examples and the scenario compiler::

    net = Network(horizon="28d")                  # or Network(horizon_hours=24 * 28)
    net.add_group("minor", priority=0)
    net.add_service("triage", servers=2, service_time=Exponential(5))
    net.add_route("triage", [("minors", 0.3), ("majors", 0.7)])
    net.add_arrivals("walk_in", to="triage", rate_per_hour="240/day")   # or 10 (per hour)
    model = net.compile()

Units. Inside a model, times are minutes from the start of the run and rates are patients per
hour. At this front door every quantity either is a plain number in those units or carries its
own unit as a string, parsed by :mod:`simcare.units` with the scenario language's rules:

- **Durations** (``block_max``, ``at_minutes``, ``sustain_minutes``, ``check_every_minutes``,
  roster override start/end): a number is minutes; a string has a unit: ``"90s"``, ``"90min"``,
  ``"4h"``, ``"2d"``, ``"1w"``. (Distributions, :mod:`simcare.sampling.distributions`, take
  numbers in minutes.)
- **Horizon**: ``Network(horizon="28d")`` (a duration, as above: a number is minutes) or
  ``Network(horizon_hours=672)`` (a number of hours); exactly one of the two.
- **Rates** (``rate_per_hour``): a number is patients per hour; a string has a unit: ``"10/h"``,
  ``"240/day"``, ``"1680/week"``, ``"87660/year"``.
- **Hourly and daily arrays** cover the horizon's H = ceil(horizon in hours) hours (the last may
  be partial) and D = ceil(H / 24) days: ``rate_by_hour`` needs at least H values and
  ``daily`` at least D (longer arrays are allowed, and only their first H or D values are used,
  so a year-long profile serves any shorter run; a shorter one is an error that says how many
  are needed); ``hour_of_week`` has exactly 168 values and ``Roster.weekly`` 168 servers;
  ``time_scale`` any length >= 1 (its last value holds beyond its end).

Arrival times of your own (a trace, or a process simcare does not draw) enter through
:func:`simcare.sampling.draws.draws_from_arrivals`, into streams declared here (a stream with
``rate_per_hour=0`` declares a stream that only a trace fills).

Every mistake raises ModelError naming the service, group or stream at fault.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simcare.errors import ModelError
from simcare.model import enums as E
from simcare.model.compiled import INF_CAPACITY, UNLIMITED_QUEUE, CompiledModel
from simcare.sampling.distributions import Distribution
from simcare.sampling.keys import name_key
from simcare.units import parse_duration, parse_rate

HOURS_PER_WEEK = 168

Duration = float | str
"""A duration at the front door: a number of minutes, or a string with its unit ("4h")."""

Rate = float | str
"""A rate at the front door: a number of patients per hour, or a string with its unit ("240/day")."""


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _with_unit(where: str, value: object, parse: Callable[[str], float], expected: str) -> float:
    """A number as it is, or a string read by ``parse``; anything else, or a string ``parse``
    refuses, raises ModelError naming ``where`` (``expected`` says what to write)."""
    if _is_number(value):
        return float(value)  # type: ignore[arg-type]
    if isinstance(value, str):
        try:
            return parse(value)
        except ValueError as exc:
            raise ModelError(where, str(exc)) from None
    raise ModelError(where, f"must be {expected}, got {value!r}")


def to_minutes(where: str, value: Duration) -> float:
    """A duration in minutes: a number is already minutes; a string carries its unit ("90min",
    "4h", "2d"). Raises ModelError naming ``where``."""
    return _with_unit(where, value, parse_duration, "a number of minutes or a duration such as '4h'")


def to_per_hour(where: str, value: Rate) -> float:
    """A rate in patients per hour: a number is already per hour; a string carries its unit
    ("10/h", "240/day"). Raises ModelError naming ``where``."""
    return _with_unit(where, value, parse_rate, "a number per hour or a rate such as '10/h'")


_ROUTE_KINDS = {"served": E.ROUTE_SERVED, "abandoned": E.ROUTE_ABANDONED, "turned_away": E.ROUTE_TURNED_AWAY}


@dataclass(frozen=True)
class Roster:
    """Servers by hour of week (168 values, hour 0 = the hour of week at time 0 shifted by
    the network's ``start_hour_of_week``) with dated overrides ``(start, end, servers)``
    that win over the weekly pattern while they last (later overrides win over earlier ones);
    ``start`` and ``end`` are durations from the start of the run (minutes, or "3d")."""

    weekly: Sequence[int]
    overrides: Sequence[tuple[Duration, Duration, int]] = field(default=())

    def __post_init__(self) -> None:
        if len(self.weekly) != HOURS_PER_WEEK:
            raise ModelError("roster.weekly", f"needs 168 hourly values, got {len(self.weekly)}")
        for i, v in enumerate(self.weekly):
            if int(v) != v or v < 0:
                raise ModelError(f"roster.weekly[{i}]", f"servers must be integers >= 0, got {v}")
        for i, (a, b, v) in enumerate(self.spans()):
            if not (0 <= a < b) or int(v) != v or v < 0:
                raise ModelError(f"roster.overrides[{i}]", "needs 0 <= start < end and servers >= 0")

    def spans(self) -> list[tuple[float, float, int]]:
        """The overrides as ``(start_min, end_min, servers)``, durations converted to minutes."""
        return [
            (to_minutes(f"roster.overrides[{i}]", a), to_minutes(f"roster.overrides[{i}]", b), v)
            for i, (a, b, v) in enumerate(self.overrides)
        ]

    @classmethod
    def constant(cls, servers: int, overrides: Sequence[tuple[Duration, Duration, int]] = ()) -> Roster:
        """The same number of servers in every hour of the week (with optional overrides)."""
        return cls([servers] * HOURS_PER_WEEK, overrides)


@dataclass
class _Service:
    name: str
    servers: int | float | Roster
    service_time: Distribution | Mapping[str, Distribution]
    queue_limit: int | None
    patience: Distribution | Mapping[str, Distribution] | None
    blocks: bool
    block_max: float | None
    overflow: str | None
    release_to: str | None
    time_scale: np.ndarray | None = None
    leave_window: np.ndarray | None = None


@dataclass
class _Census:
    name: str
    to: str
    count: int
    groups: Mapping[str, float] | None
    remaining: Distribution | None
    at_minutes: float


@dataclass
class _Rule:
    name: str
    watch: str
    measure: int
    above: float
    below: float
    sustain_minutes: float
    action: int
    target: str
    amount: int
    divert_from: str | None
    divert_to: str | None


@dataclass
class _Stream:
    name: str
    to: str
    rate_per_hour: float
    groups: Mapping[str, float] | None
    hour_of_week: Sequence[float] | np.ndarray | None
    daily: Sequence[float] | np.ndarray | None
    rate_by_hour: Sequence[float] | np.ndarray | None


@dataclass(frozen=True)
class _Names:
    """The compiled model's group and service names, and their lookups by name."""

    groups: tuple[str, ...]
    services: tuple[str, ...]

    def service(self, where: str, name: str | None) -> int:
        """Index of service ``name``, or E.EXIT for None (out of the system)."""
        return _index(where, "service", self.services, name, E.EXIT)

    def group(self, where: str, name: str | None) -> int:
        """Index of group ``name``, or E.KEEP_GROUP for None (the patient keeps its group)."""
        return _index(where, "group", self.groups, name, E.KEEP_GROUP)


def _index(where: str, kind: str, names: tuple[str, ...], name: str | None, if_none: int) -> int:
    """Position of ``name`` in ``names`` (``if_none`` for None); ModelError at ``where`` if unknown."""
    if name is None:
        return if_none
    if name not in names:
        raise ModelError(where, f"unknown {kind} {name!r}; known: {list(names)}")
    return names.index(name)


@dataclass
class _EmpiricalPool:
    """The pooled laws' values (empirical, truncated normal constants), in the order met."""

    values: list[np.ndarray] = field(default_factory=list)
    size: int = 0

    def per_group(
        self,
        names: _Names,
        where: str,
        law: object,
        s: int,
        kinds: np.ndarray,
        pars: np.ndarray,
        required: bool,
    ) -> None:
        """Fill ``kinds[s, g]`` and ``pars[s, g]`` from one law for all groups or a mapping
        group -> law (key "*" the default); an empirical law's first parameter becomes its
        offset into the pool."""
        mapping = law if isinstance(law, Mapping) else {"*": law}
        for key in mapping:
            if key != "*" and key not in names.groups:
                raise ModelError(f"{where}.{key}", f"unknown group; known: {list(names.groups)}")
        for g, gname in enumerate(names.groups):
            d = mapping.get(gname, mapping.get("*"))
            if d is None:
                if required:
                    raise ModelError(f"{where}.{gname}", "no distribution for this group (add '*')")
                continue
            if not isinstance(d, Distribution):
                raise ModelError(f"{where}.{gname}", f"expected a distribution, got {d!r}")
            kinds[s, g] = d.kind
            p = list(d.params())
            pooled = d.empirical()
            if pooled.size:  # kept in the model's pool: p0 is its offset
                p[0] = float(self.size)
                self.values.append(pooled)
                self.size += pooled.size
            pars[s, g] = p


def _cumulative(where: str, probabilities: list[float]) -> np.ndarray:
    """Cumulative probabilities of a route table, the last set to exactly 1."""
    probs = np.array(probabilities)
    if (probs < 0).any() or not np.isfinite(probs).all():
        raise ModelError(where, "probabilities must be >= 0")
    if abs(probs.sum() - 1.0) > 1e-9:
        raise ModelError(where, f"probabilities sum to {probs.sum():.6g}, not 1")
    c = np.cumsum(probs)
    c[-1] = 1.0
    return c


class Network:
    """Mutable description of a system; :meth:`compile` freezes it into a CompiledModel.

    Give the run length as ``horizon`` (a duration: "28d", "8w", or a number of minutes) or as
    ``horizon_hours`` (a number of hours), not both. ``start_hour_of_week``: the hour of week at
    time 0 (0 = Monday 00:00). ``check_every_minutes`` (a duration, default 15 minutes): how
    often escalation rules look at the state."""

    def __init__(
        self,
        horizon_hours: float | None = None,
        start_hour_of_week: int = 0,
        *,
        horizon: Duration | None = None,
    ) -> None:
        if (horizon_hours is None) == (horizon is None):
            raise ModelError(
                "horizon", "give the run length as horizon (e.g. '28d') or horizon_hours, exactly one of them"
            )
        if horizon is not None:
            minutes = to_minutes("horizon", horizon)
            if not (minutes > 0 and math.isfinite(minutes)):
                raise ModelError("horizon", f"must be positive, got {horizon!r}")
            self.horizon_hours = minutes / 60.0
            self.horizon_minutes = minutes
        else:
            assert horizon_hours is not None
            if not (horizon_hours > 0 and math.isfinite(horizon_hours)):
                raise ModelError("horizon_hours", f"must be positive, got {horizon_hours}")
            self.horizon_hours = float(horizon_hours)
            self.horizon_minutes = self.horizon_hours * 60.0
        self.start_hour_of_week = int(start_hour_of_week) % HOURS_PER_WEEK
        self._groups: dict[str, int] = {}
        self._services: dict[str, _Service] = {}
        self._routes: dict[
            tuple[int, str, str | None], list[tuple[str | None, float, str | None, Distribution | None]]
        ] = {}
        self._streams: dict[str, _Stream] = {}
        self._census: dict[str, _Census] = {}
        self._rules: list[_Rule] = []
        self.check_every_minutes: Duration = 15.0

    # --- declarations ------------------------------------------------------------------------
    def add_group(self, name: str, priority: int = 0) -> None:
        if name in self._groups:
            raise ModelError(f"groups.{name}", "declared twice")
        self._groups[name] = int(priority)

    def add_service(
        self,
        name: str,
        servers: int | float | Roster,
        service_time: Distribution | Mapping[str, Distribution],
        *,
        queue_limit: int | None = None,
        patience: Distribution | Mapping[str, Distribution] | None = None,
        blocks: bool = False,
        block_max: Duration | None = None,
        overflow: str | None = None,
        release_to: str | None = None,
        time_scale: Sequence[float] | np.ndarray | None = None,
        leave_window: Sequence[float] | np.ndarray | None = None,
    ) -> None:
        """Declare a service. ``servers``: an int, ``math.inf`` (infinite server) or a Roster.
        ``service_time`` and ``patience`` (minutes) may be one law for all groups or a mapping
        group -> law, with the key ``"*"`` as the default. ``blocks``: patients finishing here keep
        their server until the next service has a free server; ``block_max`` (a duration:
        minutes, or "4h") later they go to ``overflow`` instead. ``release_to``: where patients
        released (after the blocking service's maximum) while waiting for *this* service go,
        e.g. this ED's corridor; it wins over the blocking service's ``overflow``.
        ``time_scale``: service-time multipliers by day, shape (D,): the service time of a
        patient who begins service on day d of the run (d = 0 from minute 0) is multiplied by
        ``time_scale[d]`` (by the last value beyond D).
        ``leave_window``: 168 probabilities in [0, 1] by hour of week (0 = Monday 00:00-01:00),
        at least one above 0: a patient ready to leave by a served route (after any route
        delay) in hour h leaves then with probability ``leave_window[h]``, else tries again at
        the start of the next hour, keeping its server meanwhile (docs/model.md, R15a); 1 and
        0 give a fixed window (e.g. discharges 08:00-20:00). Default: leaves when ready."""
        if name in self._services:
            raise ModelError(f"services.{name}", "declared twice")
        if isinstance(servers, (int, float)) and not isinstance(servers, bool):
            if not (servers == math.inf or (servers >= 0 and int(servers) == servers)):
                raise ModelError(f"services.{name}.servers", f"must be an integer >= 0 or inf, got {servers}")
        elif not isinstance(servers, Roster):
            raise ModelError(f"services.{name}.servers", f"must be an int, inf or Roster, got {servers!r}")
        if queue_limit is not None and (int(queue_limit) != queue_limit or queue_limit < 0):
            raise ModelError(f"services.{name}.queue_limit", f"must be an integer >= 0, got {queue_limit}")
        if block_max is not None:
            block_max = to_minutes(f"services.{name}.block_max", block_max)
            if not blocks:
                raise ModelError(f"services.{name}.block_max", "needs blocks=True")
            if not block_max > 0:
                raise ModelError(f"services.{name}.block_max", f"must be > 0 minutes, got {block_max}")
        scale = None
        if time_scale is not None:
            scale = np.asarray(time_scale, dtype=np.float64)
            if scale.ndim != 1 or scale.size == 0 or not (np.isfinite(scale) & (scale > 0)).all():
                raise ModelError(
                    f"services.{name}.time_scale",
                    "must be a non-empty list of finite multipliers > 0 (one per day)",
                )
        window = None
        if leave_window is not None:
            window = np.asarray(leave_window, dtype=np.float64)
            if window.shape != (HOURS_PER_WEEK,):
                raise ModelError(
                    f"services.{name}.leave_window",
                    f"needs {HOURS_PER_WEEK} probabilities (hour of week, Monday 00:00 first), "
                    f"got shape {window.shape}",
                )
            if not (np.isfinite(window) & (window >= 0.0) & (window <= 1.0)).all():
                raise ModelError(f"services.{name}.leave_window", "probabilities must be in [0, 1]")
            if not (window > 0.0).any():
                raise ModelError(
                    f"services.{name}.leave_window",
                    "needs an hour with a probability above 0 (or no one leaves)",
                )
        self._services[name] = _Service(
            name,
            servers,
            service_time,
            queue_limit,
            patience,
            bool(blocks),
            block_max,
            overflow,
            release_to,
            scale,
            window,
        )

    def add_route(
        self,
        service: str,
        destinations: Sequence[tuple[Any, ...]],
        *,
        group: str | None = None,
        kind: str = "served",
    ) -> None:
        """Where patients go after ``service``: ``[(destination or None for out, probability,
        new group or None, delay or None), ...]`` (the last two optional); for one group, or all
        groups when ``group`` is None. ``kind``: "served" (after service), "abandoned" (patience
        ran out) or "turned_away". A ``delay`` (a Distribution, served routes only) keeps the
        patient on its server, counted as blocked, for that long before it moves on: the
        discharge process of a medically fit patient who still occupies a bed."""
        if kind not in _ROUTE_KINDS:
            raise ModelError(f"routes.{service}.kind", f"must be one of {sorted(_ROUTE_KINDS)}")
        key = (_ROUTE_KINDS[kind], service, group)
        if key in self._routes:
            raise ModelError(f"routes.{service}", f"{kind} route for group {group!r} declared twice")
        entries: list[tuple[str | None, float, str | None, Distribution | None]] = []
        for i, d in enumerate(destinations):
            if not 2 <= len(d) <= 4:
                raise ModelError(
                    f"routes.{service}[{i}]", "needs (destination, probability[, group[, delay]])"
                )
            new_group = d[2] if len(d) >= 3 else None
            delay = d[3] if len(d) == 4 else None
            if delay is not None and (kind != "served" or not isinstance(delay, Distribution)):
                raise ModelError(
                    f"routes.{service}[{i}].delay", "a delay must be a distribution, on a route after service"
                )
            entries.append((d[0], float(d[1]), new_group, delay))
        self._routes[key] = entries

    def add_arrivals(
        self,
        name: str,
        to: str,
        rate_per_hour: Rate,
        *,
        groups: Mapping[str, float] | None = None,
        hour_of_week: Sequence[float] | np.ndarray | None = None,
        daily: Sequence[float] | np.ndarray | None = None,
        rate_by_hour: Sequence[float] | np.ndarray | None = None,
    ) -> None:
        """A Poisson arrival stream into service ``to``. ``rate_per_hour``: patients per hour
        as a number, or a rate with its unit ("240/day"). Rate in hour h of the run (patients/h):
        ``rate_per_hour * hour_of_week[(start_hour_of_week + h) % 168] * daily[h // 24]``;
        or give ``rate_by_hour`` (multipliers of ``rate_per_hour`` by hour of the run: at least
        one per hour of the horizon, ceil(horizon in hours) values; only that many are used).
        ``daily``: multipliers by day of the run, at least ceil(H / 24) (only those are used).
        ``groups``: probability of each group (default: the only group)."""
        if name in self._streams or name in self._census:
            raise ModelError(f"arrivals.{name}", "declared twice")
        rate_per_hour = to_per_hour(f"arrivals.{name}.rate_per_hour", rate_per_hour)
        if not (rate_per_hour >= 0 and math.isfinite(rate_per_hour)):
            raise ModelError(f"arrivals.{name}.rate_per_hour", f"must be >= 0, got {rate_per_hour}")
        self._streams[name] = _Stream(
            name, to, float(rate_per_hour), groups, hour_of_week, daily, rate_by_hour
        )

    def add_census(
        self,
        name: str,
        to: str,
        count: int,
        *,
        groups: Mapping[str, float] | None = None,
        remaining: Distribution | None = None,
        at_minutes: Duration = 0.0,
    ) -> None:
        """Patients already in the system at the start: ``count`` patients arrive at ``to`` at
        ``at_minutes`` (a duration from the start: minutes, or "1d"), before any other arrival
        at that time, in declaration order. Their first service time follows ``remaining``
        (for example the remaining length of stay) instead of the service's law; ``Fixed(0)``
        makes them finish at once (e.g. medically fit patients who then wait, blocked, for
        discharge capacity)."""
        if name in self._census or name in self._streams:
            raise ModelError(f"census.{name}", "declared twice")
        if int(count) != count or count < 0:
            raise ModelError(f"census.{name}.count", f"must be an integer >= 0, got {count}")
        at_minutes = to_minutes(f"census.{name}.at", at_minutes)
        if not (at_minutes >= 0 and math.isfinite(at_minutes)):
            raise ModelError(f"census.{name}.at", f"must be >= 0 minutes, got {at_minutes}")
        self._census[name] = _Census(name, to, int(count), groups, remaining, float(at_minutes))

    def add_escalation(
        self,
        name: str,
        *,
        watch: str,
        measure: str = "occupancy",
        above: float,
        below: float,
        sustain_minutes: Duration = 0.0,
        add_servers: tuple[str, int] | None = None,
        divert: tuple[str, str, str] | None = None,
    ) -> None:
        """A rule evaluated every ``check_every_minutes``: when ``measure`` ("occupancy":
        (in service + blocked + waiting) / servers; "waiting": patients waiting; "closed": 1
        while ``watch`` has no servers, e.g. an ED's opening-hours calendar) of ``watch``
        has stayed above ``above`` for ``sustain_minutes`` (a duration: minutes, or "2h"), the
        action switches on; it switches off when the measure falls below ``below``. Action:
        ``add_servers=(service, n)`` or ``divert=(leaving service, destination, replacement
        destination)``."""
        measures = {
            "occupancy": E.MEASURE_OCCUPANCY,
            "waiting": E.MEASURE_WAITING,
            "closed": E.MEASURE_CLOSED,
        }
        where = f"escalation.{name}"
        sustain_minutes = to_minutes(f"{where}.sustain_minutes", sustain_minutes)
        if measure not in measures:
            raise ModelError(f"{where}.measure", f"must be one of {sorted(measures)}")
        if not below <= above:
            raise ModelError(f"{where}.below", f"must not exceed above ({above}), got {below}")
        if (add_servers is None) == (divert is None):
            raise ModelError(where, "needs exactly one action: add_servers or divert")
        if add_servers is not None:
            rule = _Rule(
                name,
                watch,
                measures[measure],
                float(above),
                float(below),
                float(sustain_minutes),
                E.ACTION_ADD_SERVERS,
                add_servers[0],
                int(add_servers[1]),
                None,
                None,
            )
        else:
            assert divert is not None
            rule = _Rule(
                name,
                watch,
                measures[measure],
                float(above),
                float(below),
                float(sustain_minutes),
                E.ACTION_DIVERT,
                divert[0],
                0,
                divert[1],
                divert[2],
            )
        self._rules.append(rule)

    # --- compilation -------------------------------------------------------------------------
    def compile(self) -> CompiledModel:
        """Freeze the network into a validated CompiledModel (raises ModelError on any mistake)."""
        if not self._groups:
            self._groups["all"] = 0
        names = _Names(tuple(self._groups), tuple(self._services))
        if not names.services:
            raise ModelError("services", "a network needs at least one service")
        priorities = np.array([self._groups[g] for g in names.groups], dtype=np.int64)
        distinct = sorted(set(priorities.tolist()), reverse=True)
        level = np.array([distinct.index(p) for p in priorities], dtype=np.int32)
        H = int(math.ceil(self.horizon_hours))
        R = len(self._rules)
        model = CompiledModel(
            service_names=names.services,
            service_keys=np.array([name_key(n) for n in names.services], dtype=np.uint64),
            group_names=names.groups,
            group_priority=priorities,
            group_level=level,
            **self._service_arrays(names, H),
            **self._route_arrays(names),
            **self._stream_arrays(names, H),
            horizon=self.horizon_minutes,
            esc_names=tuple(r.name for r in self._rules),
            check_interval=to_minutes("check_every_minutes", self.check_every_minutes) if R else 0.0,
            **self._escalation_arrays(names),
        )
        model.validate()
        return model

    def _service_arrays(self, names: _Names, H: int) -> dict[str, Any]:
        """CompiledModel fields of the services: servers and capacity changes, queues, blocking,
        service-time and patience laws per (service, group), day multipliers, empirical pool."""
        S, G = len(names.services), len(names.groups)
        out: dict[str, Any] = {
            "capacity0": np.zeros(S, dtype=np.int64),
            "queue_limit": np.full(S, UNLIMITED_QUEUE, dtype=np.int64),
            "blocks": np.zeros(S, dtype=np.bool_),
            "block_max": np.full(S, np.inf),
            "overflow": np.full(S, -1, dtype=np.int32),
            "release_to": np.full(S, -1, dtype=np.int32),
            "leave_window": np.ones((S, HOURS_PER_WEEK)),
            "service_dist": np.zeros((S, G), dtype=np.int8),
            "service_par": np.zeros((S, G, 3)),
            "service_scale": np.ones((S, int(math.ceil(self.horizon_minutes / 1440.0)))),
            "patience_dist": np.zeros((S, G), dtype=np.int8),
            "patience_par": np.zeros((S, G, 3)),
        }
        pool = _EmpiricalPool()
        changes: list[tuple[float, int, int]] = []
        for s, name in enumerate(names.services):
            svc = self._services[name]
            where = f"services.{name}"
            if isinstance(svc.servers, Roster):
                values = self._roster_values(svc.servers, H)
                out["capacity0"][s] = values[0][1]
                changes.extend((t, s, v) for t, v in values[1:])
            elif svc.servers == math.inf:
                out["capacity0"][s] = INF_CAPACITY
            else:
                out["capacity0"][s] = int(svc.servers)
            if svc.queue_limit is not None:
                out["queue_limit"][s] = int(svc.queue_limit)
            out["blocks"][s] = svc.blocks
            if svc.block_max is not None:
                out["block_max"][s] = float(svc.block_max)
            for key, target in (("overflow", svc.overflow), ("release_to", svc.release_to)):
                if target is not None:
                    out[key][s] = names.service(f"{where}.{key}", target)
                    if out[key][s] == E.EXIT:
                        raise ModelError(f"{where}.{key}", "must name a service")
            pool.per_group(
                names,
                f"{where}.service_time",
                svc.service_time,
                s,
                out["service_dist"],
                out["service_par"],
                True,
            )
            if svc.time_scale is not None:
                scale = out["service_scale"]
                n = min(svc.time_scale.size, scale.shape[1])
                scale[s, :n] = svc.time_scale[:n]
                scale[s, n:] = svc.time_scale[-1]
            if svc.leave_window is not None:  # by hour of the run (mod 168), not hour of week
                hours = (self.start_hour_of_week + np.arange(HOURS_PER_WEEK)) % HOURS_PER_WEEK
                out["leave_window"][s] = svc.leave_window[hours]
            if svc.patience is not None:
                pool.per_group(
                    names,
                    f"{where}.patience",
                    svc.patience,
                    s,
                    out["patience_dist"],
                    out["patience_par"],
                    False,
                )
        changes.sort(key=lambda c: (c[0], c[1]))
        out["cap_time"] = np.array([c[0] for c in changes], dtype=np.float64)
        out["cap_service"] = np.array([c[1] for c in changes], dtype=np.int32)
        out["cap_value"] = np.array([c[2] for c in changes], dtype=np.int64)
        out["empirical_values"] = np.concatenate(pool.values) if pool.values else np.zeros(0)
        return out

    def _route_arrays(self, names: _Names) -> dict[str, Any]:
        """CompiledModel fields of the routing tables: per (kind, service, group) a slice of
        (destination, new group, cumulative probability, delay law); a group-specific table
        wins over the all-groups one."""
        S, G = len(names.services), len(names.groups)
        route_start = np.zeros((E.N_ROUTE_KINDS, S, G), dtype=np.int64)
        route_stop = np.zeros((E.N_ROUTE_KINDS, S, G), dtype=np.int64)
        dest: list[int] = []
        rgroup: list[int] = []
        cum: list[float] = []
        delay_dist: list[int] = []
        delay_par: list[tuple[float, float, float]] = []
        for _kind, sname, gname in self._routes:
            where = f"routes.{sname}"
            names.service(where, sname)
            if gname is not None:
                names.group(f"{where}.group", gname)
        for kind in range(E.N_ROUTE_KINDS):
            for s, sname in enumerate(names.services):
                for g, gname in enumerate(names.groups):
                    entries = self._routes.get((kind, sname, gname), self._routes.get((kind, sname, None)))
                    route_start[kind, s, g] = len(dest)
                    if entries:
                        specific = (kind, sname, gname) in self._routes
                        where = f"routes.{sname}" + (f".{gname}" if specific else "")
                        c = _cumulative(where, [e[1] for e in entries])
                        for (d, _p, ng, delay), ci in zip(entries, c, strict=True):
                            dest.append(names.service(where, d))
                            rgroup.append(names.group(where, ng))
                            cum.append(float(ci))
                            if delay is not None and delay.empirical().size:
                                raise ModelError(f"{where}.delay", f"{delay.name} delays are not supported")
                            delay_dist.append(delay.kind if delay is not None else E.DIST_NONE)
                            delay_par.append(delay.params() if delay is not None else (0.0, 0.0, 0.0))
                    route_stop[kind, s, g] = len(dest)
        return {
            "route_start": route_start,
            "route_stop": route_stop,
            "route_dest": np.array(dest, dtype=np.int32),
            "route_group": np.array(rgroup, dtype=np.int32),
            "route_cum": np.array(cum, dtype=np.float64),
            "route_delay_dist": np.array(delay_dist, dtype=np.int8),
            "route_delay_par": np.array(delay_par, dtype=np.float64).reshape(-1, 3),
        }

    def _stream_arrays(self, names: _Names, H: int) -> dict[str, Any]:
        """CompiledModel fields of the arrival streams, census streams first (at equal times
        arrivals are ordered by stream index): entry service, group mix, hourly rates (H,),
        census count, time and first-service law."""
        G = len(names.groups)
        all_streams: list[_Census | _Stream] = [*self._census.values(), *self._streams.values()]
        K = len(all_streams)
        stream_names = tuple(st.name for st in all_streams)
        out: dict[str, Any] = {
            "stream_names": stream_names,
            "stream_keys": np.array([name_key("stream:" + n) for n in stream_names], dtype=np.uint64),
            "stream_service": np.zeros(K, dtype=np.int32),
            "stream_group_cum": np.zeros((K, G)),
            "stream_rate": np.zeros((K, H)),
            "stream_count": np.full(K, -1, dtype=np.int64),
            "stream_at": np.zeros(K),
            "stream_first_dist": np.zeros(K, dtype=np.int8),
            "stream_first_par": np.zeros((K, 3)),
        }
        for k, st in enumerate(all_streams):
            where = f"{'census' if isinstance(st, _Census) else 'arrivals'}.{st.name}"
            out["stream_service"][k] = names.service(f"{where}.to", st.to)
            if out["stream_service"][k] == E.EXIT:
                raise ModelError(f"{where}.to", "must name a service")
            out["stream_group_cum"][k] = self._group_mix(names, st, where)
            if isinstance(st, _Census):
                out["stream_count"][k] = st.count
                out["stream_at"][k] = st.at_minutes
                if st.at_minutes >= self.horizon_minutes:
                    raise ModelError(f"{where}.at", "must be before the end of the run")
                if st.remaining is not None:
                    if st.remaining.empirical().size:
                        raise ModelError(
                            f"{where}.remaining", f"{st.remaining.name} laws are not supported here"
                        )
                    out["stream_first_dist"][k] = st.remaining.kind
                    out["stream_first_par"][k] = st.remaining.params()
            else:
                out["stream_rate"][k] = self._stream_rate(st, H, where)
        return out

    @staticmethod
    def _group_mix(names: _Names, st: _Census | _Stream, where: str) -> np.ndarray:
        """Cumulative group probabilities (G,) of a stream's patients."""
        G = len(names.groups)
        groups = st.groups if st.groups is not None else ({names.groups[0]: 1.0} if G == 1 else None)
        if groups is None:
            raise ModelError(f"{where}.groups", "several groups exist: give their probabilities")
        probs = np.zeros(G)
        for gname, p in groups.items():
            probs[names.group(f"{where}.groups", gname)] = p
        if (probs < 0).any() or abs(probs.sum() - 1.0) > 1e-9:
            raise ModelError(
                f"{where}.groups", f"probabilities must be >= 0 and sum to 1, got {dict(groups)}"
            )
        c = np.cumsum(probs)
        c[-1] = 1.0
        return c

    def _escalation_arrays(self, names: _Names) -> dict[str, Any]:
        """CompiledModel fields ``esc_*`` of the escalation rules, one entry per rule (R,)."""
        R = len(self._rules)
        esc: dict[str, np.ndarray] = {
            "esc_service": np.zeros(R, np.int32),
            "esc_measure": np.zeros(R, np.int8),
            "esc_above": np.zeros(R),
            "esc_below": np.zeros(R),
            "esc_sustain": np.zeros(R),
            "esc_action": np.zeros(R, np.int8),
            "esc_target": np.zeros(R, np.int32),
            "esc_amount": np.zeros(R, np.int64),
            "esc_from": np.full(R, -1, np.int32),
            "esc_to": np.full(R, -1, np.int32),
        }
        for j, rule in enumerate(self._rules):
            where = f"escalation.{rule.name}"
            esc["esc_service"][j] = names.service(f"{where}.watch", rule.watch)
            esc["esc_measure"][j] = rule.measure
            esc["esc_above"][j] = rule.above
            esc["esc_below"][j] = rule.below
            esc["esc_sustain"][j] = rule.sustain_minutes
            esc["esc_action"][j] = rule.action
            esc["esc_target"][j] = names.service(f"{where}.target", rule.target)
            esc["esc_amount"][j] = rule.amount
            if rule.action == E.ACTION_DIVERT:
                esc["esc_from"][j] = names.service(f"{where}.divert", rule.divert_from)
                esc["esc_to"][j] = names.service(f"{where}.divert", rule.divert_to)
            for key in ("esc_service", "esc_target"):
                if esc[key][j] == E.EXIT:
                    raise ModelError(where, "must name services")
        return esc

    def _roster_values(self, roster: Roster, H: int) -> list[tuple[float, int]]:
        """Capacity change points [(minute, servers)], first at minute 0, over the horizon."""
        points = {float(h * 60) for h in range(H)}
        spans = roster.spans()
        for a, b, _v in spans:
            points.update(t for t in (a, b) if t < H * 60)
        out: list[tuple[float, int]] = []
        for t in sorted(points):
            value = int(roster.weekly[(self.start_hour_of_week + int(t // 60)) % HOURS_PER_WEEK])
            for a, b, v in spans:
                if a <= t < b:
                    value = int(v)
            if not out or out[-1][1] != value:
                out.append((t, value))
        return out

    def _stream_rate(self, st: _Stream, H: int, where: str) -> np.ndarray:
        if st.rate_by_hour is not None:
            r = np.asarray(st.rate_by_hour, dtype=np.float64)
            if r.ndim != 1 or r.shape[0] < H:
                raise ModelError(
                    f"{where}.rate_by_hour",
                    f"needs at least {H} hourly values (one per hour of the horizon, "
                    f"ceil({self.horizon_hours:g} h)), got shape {r.shape}",
                )
            rate = st.rate_per_hour * r[:H]
        else:
            how = np.ones(HOURS_PER_WEEK) if st.hour_of_week is None else np.asarray(st.hour_of_week, float)
            if how.shape != (HOURS_PER_WEEK,):
                raise ModelError(f"{where}.hour_of_week", f"needs 168 values, got {how.shape}")
            hours = np.arange(H)
            rate = st.rate_per_hour * how[(self.start_hour_of_week + hours) % HOURS_PER_WEEK]
            if st.daily is not None:
                daily = np.asarray(st.daily, dtype=np.float64)
                n_days = (H + 23) // 24
                if daily.shape[0] < n_days:
                    raise ModelError(
                        f"{where}.daily", f"needs {n_days} daily multipliers, got {daily.shape[0]}"
                    )
                rate = rate * daily[hours // 24]
        if (rate < 0).any() or not np.isfinite(rate).all():
            raise ModelError(where, "arrival rates must be finite and >= 0")
        return rate
