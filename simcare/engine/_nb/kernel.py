"""The compiled patient-flow kernel: one replication of a CompiledModel on arrays.

The rules it implements are the numbered list in docs/model.md (R1, R2, ...), shared with the
SimPy twin (simcare.engine.twin), its executable specification; each handler below cites the
rules it implements. The kernel reads and writes four NamedTuples of arrays, each built by
keyword next to its definition: Net (the model and the run's draws, read-only), State
(everything that changes during the run), Rows (the visit rows written so far) and the event
Heap (simcare.engine._nb.heap).

Shapes: S services, G groups, L priority levels, K arrival streams, H hours, D days, M capacity
changes, R route entries, J escalation rules, N patients. Times are minutes.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from simcare._jit import kernel_jit, kernel_jit_inline, kernel_jit_leaf
from simcare.engine._nb.heap import H_KEY, H_PAY, H_PID, Heap, heap_pop, heap_set
from simcare.model import enums as E
from simcare.model.compiled import INF_CAPACITY, CompiledModel
from simcare.sampling.distributions import sample_nb
from simcare.sampling.draws import RunDraws
from simcare.sampling.keys import draw_key, uniform

# Widens an index to int64 (numba's int() keeps int32): every helper is then compiled for one
# signature only. Typed Any for mypy (numpy's scalar type is not an int).
_i64: Any = np.int64

SPENT = -1  # heap key of the event being handled (see simulate_nb)

# counters
C_ROWS = 0
C_EVENTS = 1
C_STATUS = 2
C_ARRIVED = 3
C_EXITED = 4
C_NEXT_ARRIVAL = 5
C_NEXT_CAPACITY = 6
C_CHECKS_DONE = 7
N_COUNTERS = 8
STATUS_NEED_ROWS = -1  # internal: the row buffer must grow before the run can go on


# columns of Net.esc_i: escalation rule j ...
EI_SERVICE = 0  # service whose state rule j measures
EI_MEASURE = 1  # MEASURE_* code of rule j
EI_ACTION = 2  # ACTION_* code of rule j
EI_TARGET = 3  # service whose servers change or whose leavers divert
EI_AMOUNT = 4  # servers rule j adds while on (ACTION_ADD_SERVERS)
EI_FROM = 5  # destination rule j replaces (ACTION_DIVERT)
EI_TO = 6  # its replacement while rule j is on
N_EI = 7
# columns of Net.esc_f
EF_ABOVE = 0  # rule j switches on above this level ...
EF_BELOW = 1  # ... and off below this one
EF_SUSTAIN = 2  # minutes above before rule j switches on
N_EF = 3


class Net(NamedTuple):
    """The model and the run's draws as the kernel reads them; never written during a run."""

    service_keys: np.ndarray  # (S,) uint64, draw key of each service (R33)
    queue_limit: np.ndarray  # (S,) int64, max patients in s's queue (not counting blocked ones)
    blocks: np.ndarray  # (S,) bool, a patient ending service at s blocks when the next is full
    block_max: np.ndarray  # (S,) float64, minutes a patient may stay blocked at s (inf: no limit)
    overflow: np.ndarray  # (S,) int64, where a patient released from a server at s goes (-1: out)
    release_to: np.ndarray  # (S,) int64, where a patient released waiting for s goes (-1: none)
    leave_window: np.ndarray  # (S, 168) float64, leave probability by hour of the run mod 168
    windowed: np.ndarray  # (S,) bool, s has a leave window (some probability below 1, R15a)
    group_level: np.ndarray  # (G,) int64, priority level of each group, 0 = served first
    n_levels: int  # L, number of priority levels (waiting lines per service)
    service_dist: np.ndarray  # (S, G) int8, DIST_* code of the service-time law
    service_par: np.ndarray  # (S, G, 3) float64, its parameters (minutes)
    service_scale: np.ndarray  # (S, D) float64, service-time multiplier by day service begins
    scaled: np.ndarray  # (S,) bool, s has a multiplier other than 1 on some day
    patience_dist: np.ndarray  # (S, G) int8, DIST_* code of the patience law (DIST_NONE: none)
    patience_par: np.ndarray  # (S, G, 3) float64, its parameters (minutes)
    empirical: np.ndarray  # (E,) float64, pool of values for DIST_EMPIRICAL laws
    route_start: np.ndarray  # (3, S, G) int64, first route entry per (route kind, s, g)
    route_stop: np.ndarray  # (3, S, G) int64, end of that slice (start == stop: exit)
    route_dest: np.ndarray  # (R,) int64, next service of each route entry, or EXIT (undiverted)
    route_group: np.ndarray  # (R,) int64, new group of each route entry, or KEEP_GROUP
    route_cum: np.ndarray  # (R,) float64, cumulative probability within each slice
    route_delay_dist: np.ndarray  # (R,) int8, DIST_* code of the entry's delay (DIST_NONE: none)
    route_delay_par: np.ndarray  # (R, 3) float64, its parameters (minutes)
    patient_key: np.ndarray  # (N,) uint64, draw key of each patient (R33)
    purpose_keys: np.ndarray  # (N_PURPOSES,) uint64, draw key of each purpose (R33)
    cap_time: np.ndarray  # (M,) float64, minutes: times of capacity changes, sorted
    cap_service: np.ndarray  # (M,) int64, service of each capacity change
    cap_value: np.ndarray  # (M,) int64, rostered servers from that time on
    arr_stream: np.ndarray  # (N,) int32, arrival stream of each patient
    stream_first_dist: np.ndarray  # (K,) int8, law of a stream's first service (DIST_NONE: own)
    stream_first_par: np.ndarray  # (K, 3) float64, its parameters (minutes)
    esc_i: np.ndarray  # (J, N_EI) int64, escalation rule j's integer fields (EI_* columns)
    esc_f: np.ndarray  # (J, N_EF) float64, its thresholds (EF_* columns)
    check_interval: float  # minutes between escalation checks (0 if J = 0)


def net_from_model(model: CompiledModel, draws: RunDraws) -> Net:
    """The kernel's read-only view of ``model`` and of one replication's ``draws``."""
    return Net(
        service_keys=model.service_keys,
        queue_limit=model.queue_limit,
        blocks=model.blocks,
        block_max=model.block_max,
        overflow=model.overflow.astype(np.int64),
        release_to=model.release_to.astype(np.int64),
        leave_window=model.leave_window,
        windowed=(model.leave_window != 1.0).any(axis=1),
        group_level=model.group_level.astype(np.int64),
        n_levels=model.n_levels,
        service_dist=model.service_dist,
        service_par=model.service_par,
        service_scale=model.service_scale,
        scaled=(model.service_scale != 1.0).any(axis=1),
        patience_dist=model.patience_dist,
        patience_par=model.patience_par,
        empirical=model.empirical_values,
        route_start=model.route_start,
        route_stop=model.route_stop,
        route_dest=model.route_dest.astype(np.int64),
        route_group=model.route_group.astype(np.int64),
        route_cum=model.route_cum,
        route_delay_dist=model.route_delay_dist,
        route_delay_par=model.route_delay_par,
        patient_key=draws.patient_key,
        purpose_keys=draws.purpose_keys,
        cap_time=model.cap_time,
        cap_service=model.cap_service.astype(np.int64),
        cap_value=model.cap_value,
        arr_stream=draws.arrival_stream,
        stream_first_dist=model.stream_first_dist,
        stream_first_par=model.stream_first_par,
        esc_i=np.stack(
            [
                model.esc_service,
                model.esc_measure,
                model.esc_action,
                model.esc_target,
                model.esc_amount,
                model.esc_from,
                model.esc_to,
            ],
            axis=1,
        ).astype(np.int64),
        esc_f=np.stack([model.esc_above, model.esc_below, model.esc_sustain], axis=1).astype(np.float64),
        check_interval=float(model.check_interval),
    )


# rows of State.si, per-service counts (patients, servers)
SI_CAP = 0  # servers in force: max(base_cap + esc_delta, 0) (R22)
SI_BUSY = 1  # servers taken: in service + holding
SI_SERVING = 2  # patients in service
SI_HOLDING = 3  # patients keeping a server after service (blocked, delay)
SI_QUEUE = 4  # patients in s's queue (taking a waiting place)
SI_PENDING = 5  # patients blocked upstream in s's waiting line
SI_BASE_CAP = 6  # rostered servers (the last capacity change)
SI_ESC_DELTA = 7  # servers added by escalation rules switched on
SI_DELAYING = 8  # patients holding a server at s during a route delay
N_SI = 9
# rows of State.pi, per patient
PI_NXT = 0  # next patient in the same waiting line, -1 if last
PI_PRV = 1  # previous patient in the same waiting line, -1 if first
PI_ROW = 2  # each patient's latest visit row, -1 before it arrives
PI_STATE = 3  # P_* state of each patient
N_PI = 4
# first index of State.lines
LINE_HEAD = 0  # first patient of each waiting line, -1 if empty
LINE_TAIL = 1  # last patient of each waiting line, -1 if empty
# second index of State.areas (the order of RunResult's areas)
A_SERV = 0  # patient-minutes in service in each hour
A_WAIT = 1  # patient-minutes waiting (queue + pending) each hour
A_HOLD = 2  # patient-minutes holding a server after service
A_CAP = 3  # server-minutes in force (0 for infinite servers)


class State(NamedTuple):
    """Everything a run changes, saved between calls of simulate_nb (counts are patients).

    Same-typed per-service and per-patient fields are rows of one matrix (``si``, ``pi``,
    indexed by the SI_* and PI_* constants): a few arrays type, compile and pass far faster
    than dozens (issue 15)."""

    si: np.ndarray  # (N_SI, S) int64, per-service counts (SI_* rows)
    hold_to: np.ndarray  # (S, S) int64, patients holding a server at s blocked waiting for d
    lines: np.ndarray  # (2, S, L) int64, head and tail of each waiting line (LINE_*), -1 if empty
    pi: np.ndarray  # (N_PI, N) int64, per-patient links, latest row and P_* state (PI_* rows)
    worklist: np.ndarray  # (N + 2,) int64, scratch: services to refill, first in first out
    counters: np.ndarray  # (N_COUNTERS,) int64, rows, events, status, ... (C_* indices)
    clock: np.ndarray  # (1,) float64, minutes: time of the last event processed
    last_t: np.ndarray  # (S,) float64, minutes: time up to which s's areas are summed
    areas: np.ndarray  # (S, 4 * H) float64, minutes in each hour: time-weighted areas, (S, 4, H)
    # in C order (A_* index in the middle); two dimensions so that _acc needs one offset per hour
    deadlock_mask: np.ndarray  # (S,) bool, the deadlocked services once status is DEADLOCK
    esc_active: np.ndarray  # (J,) int8, 1 while rule j is on
    esc_since: np.ndarray  # (J,) float64, minutes: first check of the current run above, or -1
    route_dest: np.ndarray  # (R,) int64, next service of each route entry as diverted now
    refill_list: np.ndarray  # (J + 2,) int64, scratch: services to refill after an event


def new_state(model: CompiledModel, n_patients: int) -> State:
    """The state at the start of a run of ``model`` with ``n_patients`` arrivals."""
    S, H, L, J = model.n_services, model.n_hours, model.n_levels, model.n_rules
    n = max(n_patients, 1)
    si = np.zeros((N_SI, S), np.int64)
    si[SI_CAP] = model.capacity0
    si[SI_BASE_CAP] = model.capacity0
    pi = np.empty((N_PI, n), np.int64)
    pi[PI_ROW] = -1
    pi[PI_STATE] = E.P_NEW
    return State(
        si=si,
        hold_to=np.zeros((S, S), np.int64),
        lines=np.full((2, S, L), -1, np.int64),
        pi=pi,
        worklist=np.empty(n + 2, np.int64),
        counters=np.zeros(N_COUNTERS, np.int64),
        clock=np.zeros(1),
        last_t=np.zeros(S),
        areas=np.zeros((S, 4 * H)),
        deadlock_mask=np.zeros(S, np.bool_),
        esc_active=np.zeros(J, np.int8),
        esc_since=np.full(J, -1.0),
        route_dest=model.route_dest.astype(np.int64),
        refill_list=np.zeros(J + 2, np.int64),
    )


class Rows(NamedTuple):
    """Visit rows: the public visit record plus what the kernel needs to key draws (n rows)."""

    vis: np.ndarray  # (n,) VISIT_DTYPE, the visit table being written
    occ: np.ndarray  # (n,) int32, occurrence: the patient's earlier visits to this service
    prev: np.ndarray  # (n,) int64, the patient's previous row, -1 if none


def new_rows(n: int) -> Rows:
    """Empty visit-row buffers with room for ``n`` rows (pages are touched only when written)."""
    n = max(n, 16)
    return Rows(vis=np.zeros(n, dtype=E.VISIT_DTYPE), occ=np.empty(n, np.int32), prev=np.empty(n, np.int64))


def grow_rows(rows: Rows, n_used: int, n: int) -> Rows:
    """A copy of the first ``n_used`` rows in buffers with room for ``n`` rows."""
    new = new_rows(n)
    new.vis[:n_used] = rows.vis[:n_used]
    new.occ[:n_used] = rows.occ[:n_used]
    new.prev[:n_used] = rows.prev[:n_used]
    return new


# --- time-weighted state series ---------------------------------------------------------------
# The helpers below are called at many sites: they take the arrays they use, not the state
# tuples, and numba compiles each once (LLVM inlines them into their callers); see
# simcare._jit on compile time.


@kernel_jit_leaf
def _acc(si: np.ndarray, last_t: np.ndarray, areas: np.ndarray, s: int, t: float) -> None:
    # R36
    """Add service s's current counts x elapsed minutes to its hourly areas, up to time t.

    ``areas`` is the state's (S, 4 * H) buffer, (S, 4, H) in C order: one offset per hour
    serves the four series. Indices are unsigned (np.uintp), so numba skips its negative-index
    wraparound: this runs several times per event (issue 15)."""
    row = np.uintp(s)
    t0 = last_t[row]
    if t <= t0:
        return
    n_hours = areas.shape[1] >> 2
    h = int(t0 / 60.0)
    serving = si[SI_SERVING, row]
    waiting = si[SI_QUEUE, row] + si[SI_PENDING, row]
    holding = si[SI_HOLDING, row]
    cap = si[SI_CAP, row]
    while t0 < t and h < n_hours:
        t1 = min(t, (h + 1) * 60.0)
        dt = t1 - t0
        o = np.uintp(h)
        areas[row, o + np.uintp(A_SERV * n_hours)] += serving * dt
        areas[row, o + np.uintp(A_WAIT * n_hours)] += waiting * dt
        areas[row, o + np.uintp(A_HOLD * n_hours)] += holding * dt
        if cap < INF_CAPACITY:
            areas[row, o + np.uintp(A_CAP * n_hours)] += cap * dt
        t0 = t1
        h += 1
    last_t[row] = t


# --- waiting lines (one doubly linked list per service and priority level) ------------------------


# Indices that cannot be negative are cast with _u (np.uintp, free) where an array is indexed
# in the hot helpers: numba then skips its negative-index wraparound, a few instructions per
# access and a tenth of the kernel's (issue 15). Arithmetic stays in int64 (numba types uint64
# mixed with int64 as float64).
_u: Any = np.uintp


@kernel_jit_leaf
def _line_append(lines: np.ndarray, pi: np.ndarray, s: int, lvl: int, p: int) -> None:
    # R9
    su, lu, pu = _u(s), _u(lvl), _u(p)
    tail = lines[LINE_TAIL, su, lu]
    pi[PI_PRV, pu] = tail
    pi[PI_NXT, pu] = -1
    if tail >= 0:
        pi[PI_NXT, _u(tail)] = p
    else:
        lines[LINE_HEAD, su, lu] = p
    lines[LINE_TAIL, su, lu] = p


@kernel_jit_leaf
def _line_remove(lines: np.ndarray, pi: np.ndarray, s: int, lvl: int, p: int) -> None:
    # R9
    su, lu, pu = _u(s), _u(lvl), _u(p)
    a = pi[PI_PRV, pu]
    b = pi[PI_NXT, pu]
    if a >= 0:
        pi[PI_NXT, _u(a)] = b
    else:
        lines[LINE_HEAD, su, lu] = b
    if b >= 0:
        pi[PI_PRV, _u(b)] = a
    else:
        lines[LINE_TAIL, su, lu] = a


@kernel_jit_leaf
def _line_pop(lines: np.ndarray, pi: np.ndarray, s: int, n_levels: int) -> int:
    # R9
    su = _u(s)
    for lvl in range(n_levels):
        p = lines[LINE_HEAD, su, _u(lvl)]
        if p >= 0:
            _line_remove(lines, pi, s, lvl, p)
            return p
    return -1


# --- patients' visits -------------------------------------------------------------------------------


@kernel_jit_leaf
def _new_row(
    vis: np.ndarray,
    occ: np.ndarray,
    prev: np.ndarray,
    counters: np.ndarray,
    pi: np.ndarray,
    p: int,
    s: int,
    g: int,
    t: float,
) -> int:
    # R4
    r = counters[C_ROWS]
    counters[C_ROWS] = r + 1
    ru, pu = _u(r), _u(p)
    v = vis[ru]
    v.patient = p
    v.group = g
    v.service = s
    v.arrival = t
    v.start = np.nan
    v.end = np.nan
    v.departure = np.nan
    v.outcome = E.OUT_WAITING
    q = pi[PI_ROW, pu]
    prev[ru] = q
    n = 0
    while q >= 0:
        if vis[_u(q)].service == s:
            n += 1
        q = prev[_u(q)]
    occ[ru] = n
    pi[PI_ROW, pu] = r
    return r


@kernel_jit_leaf
def _key(
    patient_key: np.ndarray,
    purpose_keys: np.ndarray,
    service_keys: np.ndarray,
    p: int,
    purpose: int,
    s: int,
    occ: int,
) -> np.uint64:
    return draw_key(patient_key[_u(p)], purpose_keys[_u(purpose)], service_keys[_u(s)], occ)


@kernel_jit_leaf
def _route_entry(
    route_start: np.ndarray,
    route_stop: np.ndarray,
    route_cum: np.ndarray,
    kind: int,
    s: int,
    g: int,
    u: float,
) -> int:
    # R34
    """Index of the route entry chosen by uniform u for group g leaving s (-1: no route, exit)."""
    i0 = route_start[_u(kind), _u(s), _u(g)]
    i1 = route_stop[_u(kind), _u(s), _u(g)]
    if i0 == i1:
        return -1
    i = i0
    while i < i1 - 1 and u >= route_cum[_u(i)]:
        i += 1
    return i


@kernel_jit_leaf
def _route(
    route_start: np.ndarray,
    route_stop: np.ndarray,
    route_cum: np.ndarray,
    route_group: np.ndarray,
    route_dest: np.ndarray,
    kind: int,
    s: int,
    g: int,
    u: float,
) -> tuple[int, int]:
    # R7, R13, R21, R26 (diverted destinations)
    """(next service or EXIT, next group) for a patient of group g leaving s, from uniform u;
    ``route_dest`` is the state's (diverted) copy."""
    i = _route_entry(route_start, route_stop, route_cum, kind, s, g, u)
    if i < 0:
        return E.EXIT, g
    ng = route_group[_u(i)]
    return route_dest[_u(i)], (g if ng == E.KEEP_GROUP else ng)


@kernel_jit_leaf
def _hold_for_delay(si: np.ndarray, vis: np.ndarray, r: int, s: int) -> None:
    # R15, R15a
    """The patient of visit r keeps its server at s after service, counted as blocked."""
    si[SI_SERVING, _u(s)] -= 1
    si[SI_HOLDING, _u(s)] += 1
    si[SI_DELAYING, _u(s)] += 1
    vis[_u(r)].outcome = E.OUT_BLOCKED


@kernel_jit  # a call, not inlined: only services with a window pay for it (R15a)
def _leave_time(window: np.ndarray, key: np.uint64, t: float) -> float:
    # R15a
    """Minutes: when a patient ready to leave at ``t`` leaves under ``window`` (168 leave
    probabilities by hour of the run mod 168): at ``t`` if its uniform u_0 is below the
    probability of t's hour, else at the start of the first later hour k whose u_k is below
    that hour's probability (k counts the hours tried, from 0)."""
    h = int(t // 60.0)
    k = 0
    while True:
        a = window[h % window.shape[0]]
        if a >= 1.0 or (a > 0.0 and uniform(key, k) < a):
            return t if k == 0 else h * 60.0
        h += 1
        k += 1


@kernel_jit_inline
def _begin_service(net: Net, st: State, rows: Rows, heap: Heap, p: int, r: int, t: float) -> None:
    # R8, R28
    """Draw p's service time for visit r and schedule its end (the server is already taken)."""
    s = _i64(rows.vis[_u(r)].service)
    g = _i64(rows.vis[_u(r)].group)
    key = _key(net.patient_key, net.purpose_keys, net.service_keys, p, E.PURPOSE_SERVICE, s, rows.occ[_u(r)])
    k = net.arr_stream[_u(p)]
    if rows.prev[_u(r)] < 0 and net.stream_first_dist[_u(k)] != E.DIST_NONE:  # e.g. census: remaining stay
        par = net.stream_first_par[_u(k)]
        d = sample_nb(net.stream_first_dist[_u(k)], par[0], par[1], par[2], net.empirical, key)
    else:
        par = net.service_par[_u(s), _u(g)]
        d = sample_nb(net.service_dist[_u(s), _u(g)], par[0], par[1], par[2], net.empirical, key)
        if net.scaled[_u(s)]:  # most services are never scaled: no day lookup on the hot path
            d *= net.service_scale[s, min(int(t // 1440.0), net.service_scale.shape[1] - 1)]
    st.pi[PI_STATE, _u(p)] = E.P_IN_SERVICE
    heap_set(heap.t, heap.i, heap.size, p, t + d, (E.EV_END << E.KIND_SHIFT) | p, r)


@kernel_jit_inline
def _enter(net: Net, st: State, rows: Rows, heap: Heap, p: int, s: int, g: int, t: float) -> None:
    # R4-R7, R31
    """Patient p (not holding any server) arrives at s in group g; follows turned-away routes.

    ``hops`` counts p's visits that began at this instant (earlier ones included, so a
    zero-time cycle driven by service ends is caught as surely as a turned-away loop)."""
    hops = 0
    q = st.pi[PI_ROW, _u(p)]
    while q >= 0 and rows.vis[_u(q)].arrival == t and hops <= E.MAX_HOPS:
        hops += 1
        q = rows.prev[_u(q)]
    while s != E.EXIT:
        hops += 1
        if hops > E.MAX_HOPS:
            st.counters[C_STATUS] = E.STATUS_ROUTING_LOOP
            return
        r = _new_row(rows.vis, rows.occ, rows.prev, st.counters, st.pi, p, s, g, t)
        if st.si[SI_BUSY, _u(s)] < st.si[SI_CAP, _u(s)]:
            _acc(st.si, st.last_t, st.areas, s, t)
            st.si[SI_BUSY, _u(s)] += 1
            st.si[SI_SERVING, _u(s)] += 1
            rows.vis[_u(r)].start = t
            rows.vis[_u(r)].outcome = E.OUT_IN_SERVICE
            _begin_service(net, st, rows, heap, p, r, t)
            return
        if st.si[SI_QUEUE, _u(s)] < net.queue_limit[_u(s)]:
            _acc(st.si, st.last_t, st.areas, s, t)
            _line_append(st.lines, st.pi, s, net.group_level[_u(g)], p)
            st.si[SI_QUEUE, _u(s)] += 1
            st.pi[PI_STATE, _u(p)] = E.P_WAITING
            kind = net.patience_dist[_u(s), _u(g)]
            if kind != E.DIST_NONE:
                par = net.patience_par[_u(s), _u(g)]
                w = sample_nb(
                    kind,
                    par[0],
                    par[1],
                    par[2],
                    net.empirical,
                    _key(
                        net.patient_key,
                        net.purpose_keys,
                        net.service_keys,
                        p,
                        E.PURPOSE_PATIENCE,
                        s,
                        rows.occ[_u(r)],
                    ),
                )
                heap_set(heap.t, heap.i, heap.size, p, t + w, (E.EV_PATIENCE << E.KIND_SHIFT) | p, r)
            return
        rows.vis[_u(r)].departure = t
        rows.vis[_u(r)].outcome = E.OUT_TURNED_AWAY
        u = uniform(
            _key(
                net.patient_key,
                net.purpose_keys,
                net.service_keys,
                p,
                E.PURPOSE_TURNED_AWAY_ROUTE,
                s,
                rows.occ[_u(r)],
            ),
            0,
        )
        s, g = _route(
            net.route_start,
            net.route_stop,
            net.route_cum,
            net.route_group,
            st.route_dest,
            E.ROUTE_TURNED_AWAY,
            s,
            g,
            u,
        )
    st.pi[PI_STATE, _u(p)] = E.P_GONE
    st.counters[C_EXITED] += 1


@kernel_jit_inline
def _release_hold(st: State, rows: Rows, p: int, t: float) -> int:
    # R11, R18
    """Blocked patient p leaves the server it holds upstream; returns that service.

    While p is blocked its current row is the visit it waits for and the previous row is the
    visit whose server it holds."""
    rd = st.pi[PI_ROW, _u(p)]
    ru = rows.prev[_u(rd)]
    u = _i64(rows.vis[_u(ru)].service)
    _acc(st.si, st.last_t, st.areas, u, t)
    st.si[SI_BUSY, _u(u)] -= 1
    st.si[SI_HOLDING, _u(u)] -= 1
    st.hold_to[u, _i64(rows.vis[_u(rd)].service)] -= 1
    rows.vis[_u(ru)].departure = t
    rows.vis[_u(ru)].outcome = E.OUT_SERVED
    return u


@kernel_jit_inline
def _refill(net: Net, st: State, rows: Rows, heap: Heap, s0: int, t: float) -> None:
    # R10-R12
    """Hand free servers to waiting lines, starting at s0; services freed upstream follow (FIFO)."""
    wl = st.worklist
    head = 0
    tail = 1
    wl[0] = s0
    while head < tail:
        s = wl[head]
        head += 1
        while st.si[SI_BUSY, _u(s)] < st.si[SI_CAP, _u(s)]:
            p = _line_pop(st.lines, st.pi, s, net.n_levels)
            if p < 0:
                break
            _acc(st.si, st.last_t, st.areas, s, t)
            st.si[SI_BUSY, _u(s)] += 1
            st.si[SI_SERVING, _u(s)] += 1
            r = st.pi[PI_ROW, _u(p)]
            rows.vis[_u(r)].start = t
            rows.vis[_u(r)].outcome = E.OUT_IN_SERVICE
            if st.pi[PI_STATE, _u(p)] == E.P_WAITING:
                st.si[SI_QUEUE, _u(s)] -= 1
            else:
                st.si[SI_PENDING, _u(s)] -= 1
                wl[_u(tail)] = _release_hold(st, rows, p, t)
                tail += 1
            st.pi[PI_STATE, _u(p)] = E.P_STARTING
            heap_set(heap.t, heap.i, heap.size, p, t, (E.EV_START << E.KIND_SHIFT) | p, r)


@kernel_jit
def _fully_held(si: np.ndarray, block_max: np.ndarray, s: int) -> bool:
    # R29
    return (
        si[SI_BUSY, _u(s)] > 0
        and si[SI_BUSY, _u(s)] >= si[SI_CAP, _u(s)]
        and si[SI_HOLDING, _u(s)] == si[SI_BUSY, _u(s)]
        and si[SI_DELAYING, _u(s)] == 0
        and not math.isfinite(block_max[_u(s)])
    )


@kernel_jit
def _deadlock(
    si: np.ndarray,
    hold_to: np.ndarray,
    mask: np.ndarray,
    block_max: np.ndarray,
    cap_service: np.ndarray,
    cap_value: np.ndarray,
    s: int,
    d: int,
    ic: int,
) -> bool:
    # R29
    """True if a closed set of fully held services exists (see module docstring); marks it in
    ``mask`` (the state's deadlock_mask). Capacity changes from ``ic`` on are still to come."""
    if not (_fully_held(si, block_max, s) and _fully_held(si, block_max, d)):
        return False
    n = si.shape[1]
    for x in range(n):
        mask[x] = _fully_held(si, block_max, x)
    for i in range(ic, cap_service.shape[0]):  # a scheduled capacity rise may still free them
        x = cap_service[_u(i)]
        if mask[x] and cap_value[_u(i)] > si[SI_BUSY, x]:
            mask[x] = False
    changed = True
    while changed:
        changed = False
        for x in range(n):
            if mask[x]:
                for y in range(n):
                    if hold_to[x, y] > 0 and not mask[y]:
                        mask[x] = False
                        changed = True
                        break
    found = False
    for x in range(n):
        found = found or mask[x]
    return found


# --- event handlers -----------------------------------------------------------------------------------


@kernel_jit_inline
def _on_end(
    net: Net, st: State, rows: Rows, heap: Heap, p: int, r: int, t: float, ic: int
) -> tuple[int, int, int]:
    # R13-R17, R15a, R29
    """Service end, or the end of the delay a route (or a leave window) keeps the patient on its
    server. Returns
    (service to refill or -1, next service or EXIT, next group); the loop then refills and moves
    the patient on, in that order (skipped if p is blocked or starts a delay)."""
    s = _i64(rows.vis[_u(r)].service)
    g = _i64(rows.vis[_u(r)].group)
    first = np.isnan(rows.vis[_u(r)].end)  # False at the end of a route delay
    if first:
        rows.vis[_u(r)].end = t
    u = uniform(
        _key(net.patient_key, net.purpose_keys, net.service_keys, p, E.PURPOSE_ROUTE, s, rows.occ[_u(r)]), 0
    )
    i = _route_entry(net.route_start, net.route_stop, net.route_cum, E.ROUTE_SERVED, s, g, u)
    d = E.EXIT
    g2 = g
    if i >= 0:
        d = st.route_dest[_u(i)]
        if net.route_group[_u(i)] != E.KEEP_GROUP:
            g2 = net.route_group[_u(i)]
    _acc(st.si, st.last_t, st.areas, s, t)
    if first and i >= 0 and net.route_delay_dist[_u(i)] != E.DIST_NONE:
        par = net.route_delay_par[_u(i)]
        w = sample_nb(
            net.route_delay_dist[_u(i)],
            par[0],
            par[1],
            par[2],
            net.empirical,
            _key(
                net.patient_key,
                net.purpose_keys,
                net.service_keys,
                p,
                E.PURPOSE_ROUTE_DELAY,
                s,
                rows.occ[_u(r)],
            ),
        )
        ready = t + w
        if net.windowed[_u(s)]:  # R15a; most services have no window: one test on the hot path
            ready = _leave_time(
                net.leave_window[_u(s)],
                _key(
                    net.patient_key,
                    net.purpose_keys,
                    net.service_keys,
                    p,
                    E.PURPOSE_LEAVE_WINDOW,
                    s,
                    rows.occ[_u(r)],
                ),
                ready,
            )
        _hold_for_delay(st.si, rows.vis, r, s)
        heap_set(heap.t, heap.i, heap.size, p, ready, (E.EV_END << E.KIND_SHIFT) | p, r)
        return -1, E.EXIT, g
    if first and net.windowed[_u(s)]:  # R15a without a route delay
        ready = _leave_time(
            net.leave_window[_u(s)],
            _key(
                net.patient_key,
                net.purpose_keys,
                net.service_keys,
                p,
                E.PURPOSE_LEAVE_WINDOW,
                s,
                rows.occ[_u(r)],
            ),
            t,
        )
        if ready > t:
            _hold_for_delay(st.si, rows.vis, r, s)
            heap_set(heap.t, heap.i, heap.size, p, ready, (E.EV_END << E.KIND_SHIFT) | p, r)
            return -1, E.EXIT, g
    if not first:  # the delay is over: the patient still holds its server
        st.si[SI_DELAYING, _u(s)] -= 1
        st.si[SI_HOLDING, _u(s)] -= 1
        st.si[SI_SERVING, _u(s)] += 1
    if d != E.EXIT and net.blocks[_u(s)] and st.si[SI_BUSY, _u(d)] >= st.si[SI_CAP, _u(d)]:
        st.si[SI_SERVING, _u(s)] -= 1
        st.si[SI_HOLDING, _u(s)] += 1
        rows.vis[_u(r)].outcome = E.OUT_BLOCKED
        rd = _new_row(rows.vis, rows.occ, rows.prev, st.counters, st.pi, p, d, g2, t)
        _acc(st.si, st.last_t, st.areas, d, t)
        _line_append(st.lines, st.pi, d, net.group_level[_u(g2)], p)
        st.si[SI_PENDING, _u(d)] += 1
        st.pi[PI_STATE, _u(p)] = E.P_PENDING
        st.hold_to[_u(s), _u(d)] += 1
        if math.isfinite(net.block_max[_u(s)]):
            heap_set(
                heap.t,
                heap.i,
                heap.size,
                p,
                t + net.block_max[_u(s)],
                (E.EV_BLOCK_TIMEOUT << E.KIND_SHIFT) | p,
                rd,
            )
        if _deadlock(
            st.si, st.hold_to, st.deadlock_mask, net.block_max, net.cap_service, net.cap_value, s, d, ic
        ):
            st.counters[C_STATUS] = E.STATUS_DEADLOCK
        return -1, E.EXIT, g2
    st.si[SI_BUSY, _u(s)] -= 1
    st.si[SI_SERVING, _u(s)] -= 1
    rows.vis[_u(r)].departure = t
    rows.vis[_u(r)].outcome = E.OUT_SERVED
    if d == E.EXIT:
        st.pi[PI_STATE, _u(p)] = E.P_GONE
        st.counters[C_EXITED] += 1
    return s, d, g2


@kernel_jit_inline
def _on_patience(net: Net, st: State, rows: Rows, heap: Heap, p: int, r: int, t: float) -> None:
    # R20
    s = _i64(rows.vis[_u(r)].service)
    _acc(st.si, st.last_t, st.areas, s, t)
    _line_remove(st.lines, st.pi, s, net.group_level[_i64(rows.vis[_u(r)].group)], p)
    st.si[SI_QUEUE, _u(s)] -= 1
    rows.vis[_u(r)].departure = t
    rows.vis[_u(r)].outcome = E.OUT_ABANDONED
    st.pi[PI_STATE, _u(p)] = E.P_MOVING
    heap_set(heap.t, heap.i, heap.size, p, t, (E.EV_MOVE << E.KIND_SHIFT) | p, r)


@kernel_jit_inline
def _on_block_timeout(net: Net, st: State, rows: Rows, heap: Heap, p: int, rd: int, t: float) -> int:
    # R18
    """Blocked too long: returns the service whose server p gave up (to refill)."""
    d = _i64(rows.vis[_u(rd)].service)
    _acc(st.si, st.last_t, st.areas, d, t)
    _line_remove(st.lines, st.pi, d, net.group_level[_i64(rows.vis[_u(rd)].group)], p)
    st.si[SI_PENDING, _u(d)] -= 1
    u = _release_hold(st, rows, p, t)
    rows.vis[_u(rd)].departure = t
    rows.vis[_u(rd)].outcome = E.OUT_RELEASED
    st.pi[PI_STATE, _u(p)] = E.P_MOVING
    heap_set(heap.t, heap.i, heap.size, p, t, (E.EV_MOVE << E.KIND_SHIFT) | p, rd)
    return u


@kernel_jit_inline
def _on_move(net: Net, st: State, rows: Rows, p: int, r: int) -> tuple[int, int]:
    # R19, R21
    """A patient who abandoned or was released moves on: returns (next service, group)."""
    s = _i64(rows.vis[_u(r)].service)
    g = _i64(rows.vis[_u(r)].group)
    if rows.vis[_u(r)].outcome == E.OUT_ABANDONED:
        u = uniform(
            _key(
                net.patient_key,
                net.purpose_keys,
                net.service_keys,
                p,
                E.PURPOSE_ABANDON_ROUTE,
                s,
                rows.occ[_u(r)],
            ),
            0,
        )
        return _route(
            net.route_start,
            net.route_stop,
            net.route_cum,
            net.route_group,
            st.route_dest,
            E.ROUTE_ABANDONED,
            s,
            g,
            u,
        )
    # released after the maximum blocked time: to where the service it waited for sends
    # released patients, else to the overflow of the service whose server it held
    d = net.release_to[_u(s)]
    if d < 0:
        d = net.overflow[rows.vis[rows.prev[_u(r)]].service]
    return d, g


# --- escalation ---------------------------------------------------------------------------------------


@kernel_jit
def _set_capacity(si: np.ndarray, last_t: np.ndarray, areas: np.ndarray, s: int, t: float) -> None:
    # R22
    """Servers in force = rostered servers + escalation changes (never below zero)."""
    _acc(si, last_t, areas, s, t)
    si[SI_CAP, _u(s)] = max(si[SI_BASE_CAP, _u(s)] + si[SI_ESC_DELTA, _u(s)], 0)


@kernel_jit
def _measure(esc_i: np.ndarray, si: np.ndarray, j: int) -> float:
    # R24
    s = esc_i[j, EI_SERVICE]
    waiting = si[SI_QUEUE, _u(s)] + si[SI_PENDING, _u(s)]
    if esc_i[j, EI_MEASURE] == E.MEASURE_WAITING:
        return float(waiting)
    if esc_i[j, EI_MEASURE] == E.MEASURE_CLOSED:
        return 1.0 if si[SI_CAP, _u(s)] == 0 else 0.0
    present = si[SI_BUSY, _u(s)] + waiting
    if si[SI_CAP, _u(s)] <= 0:
        return math.inf if present > 0 else 0.0
    return present / si[SI_CAP, _u(s)]


@kernel_jit
def _switch(
    esc_i: np.ndarray,
    route_start: np.ndarray,
    route_stop: np.ndarray,
    route_dest0: np.ndarray,
    route_dest: np.ndarray,
    si: np.ndarray,
    last_t: np.ndarray,
    areas: np.ndarray,
    j: int,
    on: bool,
    t: float,
) -> int:
    # R26
    """Apply (on) or undo (off) rule j's action; returns the service to refill, or -1.
    ``route_dest0`` is the model's (undiverted) destinations, ``route_dest`` the state's."""
    rule = esc_i[j]
    target = rule[EI_TARGET]
    if rule[EI_ACTION] == E.ACTION_ADD_SERVERS:
        si[SI_ESC_DELTA, target] += rule[EI_AMOUNT] if on else -rule[EI_AMOUNT]
        _set_capacity(si, last_t, areas, target, t)
        return target
    old = rule[EI_FROM] if on else rule[EI_TO]
    new = rule[EI_TO] if on else rule[EI_FROM]
    for kind in range(route_start.shape[0]):
        for g in range(route_start.shape[2]):
            for i in range(route_start[kind, target, _u(g)], route_stop[kind, target, _u(g)]):
                if route_dest0[_u(i)] == rule[EI_FROM] and route_dest[_u(i)] == old:
                    route_dest[_u(i)] = new
    return -1


@kernel_jit
def _on_check(
    esc_i: np.ndarray,
    esc_f: np.ndarray,
    esc_active: np.ndarray,
    esc_since: np.ndarray,
    refill_list: np.ndarray,
    route_start: np.ndarray,
    route_stop: np.ndarray,
    route_dest0: np.ndarray,
    route_dest: np.ndarray,
    si: np.ndarray,
    last_t: np.ndarray,
    areas: np.ndarray,
    t: float,
) -> int:
    # R25, R26
    """Evaluate every escalation rule in order (hysteresis: on above ``above`` sustained for
    ``sustain`` minutes, off below ``below``). Fills refill_list; returns its length."""
    n = 0
    for j in range(esc_i.shape[0]):
        m = _measure(esc_i, si, j)
        turn = 0  # 1: switch rule j on, -1: off
        if esc_active[j] == 0:
            if m > esc_f[j, EF_ABOVE]:
                if esc_since[j] < 0:
                    esc_since[j] = t
                if t - esc_since[j] >= esc_f[j, EF_SUSTAIN]:
                    esc_active[j] = 1
                    esc_since[j] = -1.0
                    turn = 1
            else:
                esc_since[j] = -1.0
        elif m < esc_f[j, EF_BELOW]:
            esc_active[j] = 0
            turn = -1
        if turn != 0:  # one call site: one compiled version of _switch
            s = _switch(
                esc_i, route_start, route_stop, route_dest0, route_dest, si, last_t, areas, j, turn > 0, t
            )
            if s >= 0:
                refill_list[n] = s
                n += 1
    return n


# --- the simulation loop ----------------------------------------------------------------------------


@kernel_jit
def simulate_nb(
    net: Net,
    arr_time: np.ndarray,
    arr_service: np.ndarray,
    arr_group: np.ndarray,
    horizon: float,
    st: State,
    heap: Heap,
    rows: Rows,
) -> None:
    # R1-R3 (event order), R22, R23, R30, R35
    """Run one replication towards ``horizon`` minutes, resumably.

    Arrivals are arrays of length N in patient-id order (from the draws); ``st``, ``heap`` and
    ``rows`` are buffers the front door allocated (see simcare.engine). The loop returns with
    status NEED_ROWS, everything saved in ``st``, when the row buffer might not hold the next
    event's rows; the caller grows ``rows`` and calls again. Row count, event count, status,
    patient totals and the next arrival and capacity change are in ``st.counters``; the time of
    the last event is ``st.clock[0]``.
    """
    n_patients = arr_time.shape[0]
    n_services = st.si.shape[1]
    n_cap = net.cap_time.shape[0]
    n_rows_max = rows.occ.shape[0]
    ia = st.counters[C_NEXT_ARRIVAL]
    ic = st.counters[C_NEXT_CAPACITY]
    st.counters[C_STATUS] = E.STATUS_OK
    t = st.clock[0]
    arrival_kind = E.EV_ARRIVAL << E.KIND_SHIFT
    capacity_kind = E.EV_CAPACITY << E.KIND_SHIFT
    check_kind = E.EV_CHECK << E.KIND_SHIFT
    has_rules = net.esc_i.shape[0] > 0
    while True:
        if st.counters[C_ROWS] + E.MAX_HOPS + 2 > n_rows_max:
            st.counters[C_STATUS] = STATUS_NEED_ROWS
            break
        src = -1  # no source with an event before the horizon yet
        best_t = math.inf
        best_k = 0
        if ia < n_patients:
            src = E.SRC_ARRIVAL
            best_t = arr_time[_u(ia)]
            best_k = arrival_kind | ia
        if ic < n_cap:
            tc = net.cap_time[_u(ic)]
            kc = capacity_kind | net.cap_service[_u(ic)]
            if src < 0 or tc < best_t or (tc == best_t and kc < best_k):
                src = E.SRC_CAPACITY
                best_t = tc
                best_k = kc
        if heap.size[0] > 0:
            th = heap.t[0]
            kh = heap.i[H_KEY, 0]
            if src < 0 or th < best_t or (th == best_t and kh < best_k):
                src = E.SRC_PATIENT
                best_t = th
                best_k = kh
        if has_rules:
            tk = (st.counters[C_CHECKS_DONE] + 1) * net.check_interval
            if src < 0 or tk < best_t or (tk == best_t and check_kind < best_k):
                src = E.SRC_CHECK
                best_t = tk
        if src < 0 or best_t >= horizon:
            break
        t = best_t
        st.counters[C_EVENTS] += 1
        # Each event may refill one service and then move one patient into a service; doing
        # both here, once, keeps a single inlined copy of _refill and _enter.
        n_refill = 0
        mover = -1
        from_heap = False
        dest = E.EXIT
        group = 0
        if src == E.SRC_ARRIVAL:
            mover = ia
            dest = _i64(arr_service[_u(ia)])
            group = _i64(arr_group[_u(ia)])
            ia += 1
            st.counters[C_ARRIVED] += 1
        elif src == E.SRC_CAPACITY:
            s = net.cap_service[_u(ic)]
            st.si[SI_BASE_CAP, _u(s)] = net.cap_value[_u(ic)]
            ic += 1
            _set_capacity(st.si, st.last_t, st.areas, s, t)
            st.refill_list[0] = s
            n_refill = 1
        elif src == E.SRC_CHECK:
            st.counters[C_CHECKS_DONE] += 1
            n_refill = _on_check(
                net.esc_i,
                net.esc_f,
                st.esc_active,
                st.esc_since,
                st.refill_list,
                net.route_start,
                net.route_stop,
                net.route_dest,
                st.route_dest,
                st.si,
                st.last_t,
                st.areas,
                t,
            )
        else:  # SRC_PATIENT
            p = heap.i[H_PID, 0]
            r = heap.i[H_PAY, 0]
            kind = heap.i[H_KEY, 0] >> E.KIND_SHIFT
            # The event stays at the top, marked spent (key -1 keeps it the minimum): a new
            # event of p replaces it in place, one sift instead of a pop and a push.
            heap.i[H_KEY, 0] = SPENT
            from_heap = True
            if kind == E.EV_END:
                s, dest, group = _on_end(net, st, rows, heap, p, r, t, ic)
                mover = p
                if s >= 0:
                    st.refill_list[0] = s
                    n_refill = 1
            elif kind == E.EV_START:
                _begin_service(net, st, rows, heap, p, r, t)
            elif kind == E.EV_PATIENCE:
                _on_patience(net, st, rows, heap, p, r, t)
            elif kind == E.EV_BLOCK_TIMEOUT:
                st.refill_list[0] = _on_block_timeout(net, st, rows, heap, p, r, t)
                n_refill = 1
            else:
                dest, group = _on_move(net, st, rows, p, r)
                mover = p
                if dest == E.EXIT:
                    st.pi[PI_STATE, _u(p)] = E.P_GONE
                    st.counters[C_EXITED] += 1
        for i in range(n_refill):
            _refill(net, st, rows, heap, st.refill_list[_u(i)], t)
        if mover >= 0 and dest != E.EXIT:
            _enter(net, st, rows, heap, mover, dest, group, t)
        if from_heap and heap.i[H_KEY, 0] == SPENT:  # p got no new event: drop the spent one
            heap_pop(heap.t, heap.i, heap.size)
        if st.counters[C_STATUS] != E.STATUS_OK:
            break
    st.counters[C_NEXT_ARRIVAL] = ia
    st.counters[C_NEXT_CAPACITY] = ic
    st.clock[0] = t
    status = st.counters[C_STATUS]
    if status == STATUS_NEED_ROWS:
        return
    end = horizon if status == E.STATUS_OK else t
    for s in range(n_services):
        _acc(st.si, st.last_t, st.areas, s, end)


# --- end of the run: scheduled ends of the services in progress -------------------------------


def scheduled_ends(heap: Heap, rows: Rows, n_rows: int) -> np.ndarray:
    # R37
    """float64 (n_rows,), minutes: for each visit still in service when the run ended, the time
    its service would have ended (its pending END event); NaN for every other visit.

    Read off the heap after the last call of simulate_nb, so it costs O(patients in the system)
    and nothing on the event loop. A pending END whose visit already has an ``end`` is the end
    of a route delay (R15, R16), not of a service: that visit stays NaN. A patient whose START is
    pending (possible only when the run stopped, R30 or R31) has no service time drawn yet: NaN.
    """
    out = np.full(n_rows, np.nan)
    live = slice(0, int(heap.size[0]))
    is_end = (heap.i[H_KEY, live] >> E.KIND_SHIFT) == E.EV_END
    r = heap.i[H_PAY, live][is_end]
    t = heap.t[live][is_end]
    in_service = np.isnan(rows.vis["end"][r])
    out[r[in_service]] = t[in_service]
    return out
