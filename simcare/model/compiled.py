"""CompiledModel: the flat, random-free description of a system that both engines run.

Shapes use S services, G patient groups, K arrival streams, H hours in the horizon, D days, M
capacity changes, R route entries, J escalation rules and L priority levels. Times are minutes
from the run's start; rates are patients per hour. A CompiledModel is immutable by convention:
engines never write to it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

import numpy as np

from simcare.errors import ModelError
from simcare.model import enums as E

INF_CAPACITY = np.int64(1 << 62)  # capacity of an infinite-server service (a pure delay)
UNLIMITED_QUEUE = np.int64(1 << 62)  # queue limit meaning "as many may wait as arrive"
LEAVE_WINDOW_HOURS = 168  # a leave window repeats every week (CompiledModel.leave_window)


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """Flat numpy description of services, groups, routes and arrival streams.

    Services (S)
        service_names: tuple[str, ...] (S,)
        service_keys: uint64 (S,), stable key of each name, used in draw keys
        capacity0: int64 (S,), servers at time 0; INF_CAPACITY for an infinite-server service
        queue_limit: int64 (S,), waiting places for patients who do not hold a server elsewhere;
            UNLIMITED_QUEUE for no limit
        blocks: bool (S,), a patient finishing here keeps the server while the next service has
            no free server (blocking after service)
        block_max: float64 (S,), minutes a patient may stay blocked here (inf: no limit)
        overflow: int32 (S,), service a blocked patient goes to after block_max (-1: none)
        release_to: int32 (S,), for a destination d: where patients released while blocked
            waiting for d go (e.g. the ED corridor); wins over the blocking service's overflow
        leave_window: float64 (S, 168), probability in [0, 1] that a patient ready to leave s
            by its served route in hour h of the run (h = floor(minutes / 60)) leaves in that
            hour, indexed by h mod 168 (so index 0 is the run's first hour, not Monday's);
            all ones (the default): patients leave the moment they are ready, R15a. E.g.
            the hours and days in which a hospital discharges
    Capacity changes (M), sorted by (time, service)
        cap_time: float64 (M,), cap_service: int32 (M,), cap_value: int64 (M,)
    Groups (G)
        group_names: tuple[str, ...] (G,); group_priority: int64 (G,), larger is served first
        group_level: int32 (G,), 0 for the highest priority ... L-1 for the lowest
    Per (service, group)
        service_dist: int8 (S, G), service_par: float64 (S, G, 3)
    Service-time multipliers (D days of the horizon, D = ceil(horizon / 1440))
        service_scale: float64 (S, D), multiplies the service time of a patient whose service
            at s begins on day d (minutes [1440 d, 1440 (d + 1))); all ones for most services.
            Census patients' first service (stream_first_dist) is not scaled. E.g. a length of
            stay that fell year on year before the fitted values apply
        patience_dist: int8 (S, G) (DIST_NONE: waits for ever), patience_par: float64 (S, G, 3)
        empirical_values: float64 (E,), pool used by empirical distributions
    Routes, per kind in (served, abandoned, turned away), service and group
        route_start, route_stop: int64 (3, S, G), slices of the route arrays (empty: exit)
        route_dest: int32 (R,), next service or EXIT; route_group: int32 (R,), new group or
        KEEP_GROUP; route_cum: float64 (R,), cumulative probability (last of a slice is 1);
        route_delay_dist: int8 (R,), route_delay_par: float64 (R, 3): for a route taken after
        service, a delay during which the patient still holds its server before moving on
        (DIST_NONE: none), e.g. the discharge process of a medically fit patient in a bed
    Arrival streams (K)
        stream_names: tuple[str, ...] (K,); stream_keys: uint64 (K,); stream_service: int32 (K,)
        stream_group_cum: float64 (K, G), cumulative distribution of the arrival's group
        stream_rate: float64 (K, H), patients per hour during each hour of the horizon
        stream_count: int64 (K,), -1 for a Poisson stream; otherwise a census: exactly this
            many patients arrive at stream_at (minutes), e.g. patients already in beds at start
        stream_first_dist: int8 (K,), stream_first_par: float64 (K, 3): law of the first
            service time of the stream's patients (DIST_NONE: the service's own law), e.g. the
            remaining length of stay of a census patient
    Escalation rules (J), evaluated every check_interval minutes (0 if J = 0)
        esc_names: tuple[str, ...] (J,); esc_service: int32 (watched service); esc_measure: int8
        (MEASURE_*); esc_above, esc_below: float64 (switch on above, off below); esc_sustain:
        float64 (minutes above before switching on); esc_action: int8 (ACTION_*); esc_target:
        int32 (service whose servers change, or whose leavers are diverted); esc_amount: int64
        (servers added); esc_from, esc_to: int32 (divert: destination replaced, replacement;
        -1 for other actions); each array (J,)
    Horizon
        horizon: float, minutes; n_hours: int = ceil(horizon / 60)
    """

    service_names: tuple[str, ...]
    service_keys: np.ndarray
    capacity0: np.ndarray
    queue_limit: np.ndarray
    blocks: np.ndarray
    block_max: np.ndarray
    overflow: np.ndarray
    release_to: np.ndarray
    leave_window: np.ndarray
    cap_time: np.ndarray
    cap_service: np.ndarray
    cap_value: np.ndarray
    group_names: tuple[str, ...]
    group_priority: np.ndarray
    group_level: np.ndarray
    service_dist: np.ndarray
    service_par: np.ndarray
    service_scale: np.ndarray
    patience_dist: np.ndarray
    patience_par: np.ndarray
    empirical_values: np.ndarray
    route_start: np.ndarray
    route_stop: np.ndarray
    route_dest: np.ndarray
    route_group: np.ndarray
    route_cum: np.ndarray
    route_delay_dist: np.ndarray
    route_delay_par: np.ndarray
    stream_names: tuple[str, ...]
    stream_keys: np.ndarray
    stream_service: np.ndarray
    stream_group_cum: np.ndarray
    stream_rate: np.ndarray
    horizon: float
    stream_count: np.ndarray
    stream_at: np.ndarray
    stream_first_dist: np.ndarray
    stream_first_par: np.ndarray
    esc_service: np.ndarray
    esc_measure: np.ndarray
    esc_above: np.ndarray
    esc_below: np.ndarray
    esc_sustain: np.ndarray
    esc_action: np.ndarray
    esc_target: np.ndarray
    esc_amount: np.ndarray
    esc_from: np.ndarray
    esc_to: np.ndarray
    esc_names: tuple[str, ...]
    check_interval: float

    @property
    def n_services(self) -> int:
        return len(self.service_names)

    @property
    def n_groups(self) -> int:
        return len(self.group_names)

    @property
    def n_streams(self) -> int:
        return len(self.stream_names)

    @property
    def n_rules(self) -> int:
        return len(self.esc_names)

    @property
    def n_hours(self) -> int:
        return int(np.ceil(self.horizon / 60.0))

    @property
    def n_days(self) -> int:
        return int(np.ceil(self.horizon / 1440.0))

    @property
    def n_levels(self) -> int:
        return int(self.group_level.max()) + 1 if self.n_groups else 0

    def service_index(self, name: str) -> int:
        try:
            return self.service_names.index(name)
        except ValueError:
            raise KeyError(f"no service named {name!r}; services: {list(self.service_names)}") from None

    def group_index(self, name: str) -> int:
        try:
            return self.group_names.index(name)
        except ValueError:
            raise KeyError(f"no group named {name!r}; groups: {list(self.group_names)}") from None

    def digest(self) -> str:
        """SHA-256 of every field: two models with the same digest behave identically.

        A leave window of all ones (no window, the default) is left out, so a model that does
        not use it keeps the digest it had before the field existed."""
        h = hashlib.sha256()
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "leave_window" and bool((value == 1.0).all()):
                continue
            h.update(f.name.encode())
            if isinstance(value, np.ndarray):
                h.update(str(value.dtype).encode() + str(value.shape).encode())
                h.update(np.ascontiguousarray(value).tobytes())
            else:
                h.update(repr(value).encode())
        return h.hexdigest()

    def validate(self) -> None:
        """Check shapes, dtypes and value ranges; raise ModelError naming the first bad field.

        Every index the engines read from the model is checked (the numba kernel does no bounds
        checking), in time linear in the size of the arrays; simcare.engine.run calls this.
        """
        S, G, K, H, J = self.n_services, self.n_groups, self.n_streams, self.n_hours, self.n_rules
        M, R, V = _length(self.cap_time), _length(self.route_dest), _length(self.empirical_values)
        expect = {
            "service_keys": ((S,), np.uint64),
            "capacity0": ((S,), np.int64),
            "queue_limit": ((S,), np.int64),
            "blocks": ((S,), np.bool_),
            "block_max": ((S,), np.float64),
            "overflow": ((S,), np.int32),
            "release_to": ((S,), np.int32),
            "leave_window": ((S, LEAVE_WINDOW_HOURS), np.float64),
            "group_priority": ((G,), np.int64),
            "group_level": ((G,), np.int32),
            "service_dist": ((S, G), np.int8),
            "service_par": ((S, G, 3), np.float64),
            "service_scale": ((S, self.n_days), np.float64),
            "patience_dist": ((S, G), np.int8),
            "patience_par": ((S, G, 3), np.float64),
            "empirical_values": ((V,), np.float64),
            "cap_time": ((M,), np.float64),
            "cap_service": ((M,), np.int32),
            "cap_value": ((M,), np.int64),
            "route_dest": ((R,), np.int32),
            "route_group": ((R,), np.int32),
            "route_cum": ((R,), np.float64),
            "route_delay_dist": ((R,), np.int8),
            "route_delay_par": ((R, 3), np.float64),
            "route_start": ((E.N_ROUTE_KINDS, S, G), np.int64),
            "route_stop": ((E.N_ROUTE_KINDS, S, G), np.int64),
            "stream_keys": ((K,), np.uint64),
            "stream_service": ((K,), np.int32),
            "stream_group_cum": ((K, G), np.float64),
            "stream_rate": ((K, H), np.float64),
            "stream_count": ((K,), np.int64),
            "stream_at": ((K,), np.float64),
            "stream_first_dist": ((K,), np.int8),
            "stream_first_par": ((K, 3), np.float64),
            "esc_service": ((J,), np.int32),
            "esc_measure": ((J,), np.int8),
            "esc_above": ((J,), np.float64),
            "esc_below": ((J,), np.float64),
            "esc_sustain": ((J,), np.float64),
            "esc_action": ((J,), np.int8),
            "esc_target": ((J,), np.int32),
            "esc_amount": ((J,), np.int64),
            "esc_from": ((J,), np.int32),
            "esc_to": ((J,), np.int32),
        }
        for name, (shape, dtype) in expect.items():
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or arr.shape != shape or arr.dtype != dtype:
                got = (getattr(arr, "shape", None), getattr(arr, "dtype", type(arr)))
                raise ModelError(name, f"expected shape {shape} of {np.dtype(dtype)}, got {got}")
        self._check_services()
        self._check_capacity_changes()
        self._check_laws()
        self._check_routes()
        self._check_streams()
        self._check_escalation()

    def _check_services(self) -> None:
        """Sizes, names, keys, capacities, queue limits, blocking and overflow targets."""
        S, G = self.n_services, self.n_groups
        if S == 0 or G == 0:
            raise ModelError("services", "a model needs at least one service and one group")
        if not (np.isfinite(self.horizon) and self.horizon > 0):
            raise ModelError("horizon", f"must be a positive number of minutes, got {self.horizon}")
        if len(set(self.service_names)) != S:
            raise ModelError("service_names", "service names must be unique")
        if len(set(self.service_keys.tolist())) != S:
            raise ModelError("service_keys", "two services share a draw key (rename one)")
        if (self.capacity0 < 0).any():
            raise ModelError("capacity0", "capacities must be >= 0")
        if (self.queue_limit < 0).any():
            raise ModelError("queue_limit", "queue limits must be >= 0")
        if (self.block_max <= 0).any() or np.isnan(self.block_max).any():
            raise ModelError("block_max", "maximum blocked times must be > 0 minutes (inf: none)")
        if not (_in_range(self.overflow, E.EXIT, S) and _in_range(self.release_to, E.EXIT, S)):
            raise ModelError("overflow", "an overflow names an unknown service")
        if (self.group_level < 0).any():
            raise ModelError("group_level", "priority levels must be >= 0")
        window = self.leave_window
        if not (np.isfinite(window).all() and ((window >= 0.0) & (window <= 1.0)).all()):
            raise ModelError("leave_window", "leave probabilities must be in [0, 1]")
        for s in np.flatnonzero(~(window > 0.0).any(axis=1)):
            raise ModelError(
                f"leave_window.{self.service_names[s]}", "needs an hour with a leave probability above 0"
            )

    def _check_capacity_changes(self) -> None:
        """Capacity changes: values >= 0, sorted by (time, service), known services."""
        S, M = self.n_services, _length(self.cap_time)
        if not M:
            return
        if (self.cap_value < 0).any():
            raise ModelError("cap_value", "capacities must be >= 0")
        order = np.lexsort((self.cap_service, self.cap_time))
        if not np.array_equal(order, np.arange(M)):
            raise ModelError("cap_time", "capacity changes must be sorted by (time, service)")
        if ((self.cap_service < 0) | (self.cap_service >= S)).any():
            raise ModelError("cap_service", "capacity change names an unknown service")

    def _check_laws(self) -> None:
        """Distribution codes of every law (pooled laws: sampling.distributions.check_pools)."""
        kinds = np.arange(E.DIST_NONE + 1, E.N_DIST_KINDS)  # every distribution code
        if not np.isin(self.service_dist, kinds).all():
            raise ModelError("service_dist", "every (service, group) needs a service-time law")
        if not (np.isfinite(self.service_scale).all() and (self.service_scale > 0).all()):
            raise ModelError("service_scale", "service-time multipliers must be finite and > 0")
        laws = {
            "service_dist": self.service_dist,
            "patience_dist": self.patience_dist,
            "route_delay_dist": self.route_delay_dist,
            "stream_first_dist": self.stream_first_dist,
        }
        for name, dist in laws.items():
            if not np.isin(dist, (E.DIST_NONE, *kinds)).all():
                raise ModelError(name, "unknown distribution code")
        # laws whose constants sit in empirical_values are checked by the sampling layer, which
        # knows them (simcare.sampling.distributions.check_pools)

    def _check_routes(self) -> None:
        """Route tables: destinations, groups, slices, probabilities, blocked-time exits."""
        S, G, R = self.n_services, self.n_groups, _length(self.route_dest)
        if ((self.route_dest < E.EXIT) | (self.route_dest >= S)).any():
            raise ModelError("route_dest", "a route names an unknown service")
        if ((self.route_group < E.KEEP_GROUP) | (self.route_group >= G)).any():
            raise ModelError("route_group", "a route names an unknown group")
        nonempty = self.route_stop > self.route_start
        if (
            (self.route_start < 0).any()
            or (self.route_stop < self.route_start).any()
            or (self.route_stop > R).any()
        ):
            raise ModelError("route_start", "route slices out of range")
        if nonempty.any() and not np.allclose(self.route_cum[self.route_stop[nonempty] - 1], 1.0):
            raise ModelError("route_cum", "route probabilities must sum to 1")
        for s in np.flatnonzero((self.overflow < 0) & np.isfinite(self.block_max)):
            dests = self.route_dest[
                self.route_start[E.ROUTE_SERVED, s].min() : self.route_stop[E.ROUTE_SERVED, s].max()
            ]
            dests = dests[dests >= 0]
            if (self.release_to[dests] < 0).any():
                raise ModelError(
                    f"overflow.{self.service_names[s]}",
                    "a maximum blocked time needs an overflow service, or a release_to on "
                    "every service it sends patients to",
                )

    def _check_streams(self) -> None:
        """Arrival streams: entry services, group mix, rates, census times."""
        S, K = self.n_services, self.n_streams
        if ((self.stream_service < 0) | (self.stream_service >= S)).any():
            raise ModelError("stream_service", "an arrival stream enters an unknown service")
        if K and not np.allclose(self.stream_group_cum[:, -1], 1.0):
            raise ModelError("stream_group_cum", "group probabilities must sum to 1")
        if (self.stream_rate < 0).any() or not np.isfinite(self.stream_rate).all():
            raise ModelError("stream_rate", "arrival rates must be finite and >= 0")
        census = self.stream_count >= 0
        if ((self.stream_at < 0) | (self.stream_at >= self.horizon))[census].any():
            raise ModelError("stream_at", "census arrivals must be inside [0, horizon)")

    def _check_escalation(self) -> None:
        """Escalation rules: check interval, services, measure and action codes, levels."""
        S, J = self.n_services, self.n_rules
        if not J:
            return
        if not (self.check_interval > 0 and np.isfinite(self.check_interval)):
            raise ModelError("check_interval", "escalation needs a positive check interval")
        for name in ("esc_service", "esc_target"):
            arr = getattr(self, name)
            if ((arr < 0) | (arr >= S)).any():
                raise ModelError(name, "an escalation rule names an unknown service")
        if not (_in_range(self.esc_from, E.EXIT, S) and _in_range(self.esc_to, E.EXIT, S)):
            raise ModelError("esc_from", "an escalation divert names an unknown service")
        measures = (E.MEASURE_OCCUPANCY, E.MEASURE_WAITING, E.MEASURE_CLOSED)
        if not np.isin(self.esc_measure, measures).all():
            raise ModelError("esc_measure", "unknown escalation measure code")
        if not np.isin(self.esc_action, (E.ACTION_ADD_SERVERS, E.ACTION_DIVERT)).all():
            raise ModelError("esc_action", "unknown escalation action code")
        if (self.esc_below > self.esc_above).any():
            raise ModelError("esc_below", "switch-off level must not exceed switch-on level")


def _length(arr: object) -> int:
    """Length of the first axis of an array (-1 if it has none: the shape check then fails)."""
    return int(arr.shape[0]) if isinstance(arr, np.ndarray) and arr.ndim else -1


def _in_range(arr: np.ndarray, low: int, high: int) -> bool:
    """True if every value of ``arr`` is in [low, high)."""
    return bool(((arr >= low) & (arr < high)).all())
