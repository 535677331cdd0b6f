"""The compiled patient-flow kernel.

Behaviour (shared with the SimPy twin, which is its executable specification):

Events and their order
    Every event has a key (time, kind, id). Events are processed in increasing key order; at
    equal times by kind: capacity change (id = service) < service end < block timeout < start <
    patience < move < arrival (id = patient). Each patient has at most one pending event, so
    keys are unique. Everything an event causes happens during that event, in the order below;
    patients taken from a waiting line are given a START event at the same time, processed in
    key order after the current event.
Arrival (patient p enters service s in group g), also used after a move or a route
    If s has a free server (busy < capacity) p starts service. Otherwise, if fewer than
    queue_limit[s] patients are in s's queue, p joins the waiting line and, if (s, g) has a
    patience law, gets a PATIENCE event. Otherwise p is turned away: the visit ends at once and
    p follows the turned-away route of (s, g), possibly to another service in the same event.
Waiting line of a service
    One line per service holding both queued patients and patients blocked upstream (who hold a
    server elsewhere and do not count against queue_limit). Higher priority level first, then
    order of joining. When a server frees, the line's head is taken (servers are handed out while
    busy < capacity; capacity falls never interrupt service). A taken patient that was blocked
    upstream leaves its upstream server at that moment, and that service is refilled in turn:
    services to refill are processed first in, first out.
Service end (patient p at s)
    The served route of (s, g) gives the next service d (or exit) and group. If the route entry
    has a delay, p first keeps its server (counted as blocked) for that long, then this step
    runs again with the same route entry (the draw is keyed). If s blocks and d
    has no free server, p keeps its server at s (blocked), joins d's waiting line and, if s has a
    maximum blocked time, gets a BLOCK_TIMEOUT event. Otherwise p leaves s, s is refilled, then
    p arrives at d.
Patience and block timeout
    PATIENCE: p leaves the queue (abandoned) and gets a MOVE event now, taking the abandoned
    route of (s, g). BLOCK_TIMEOUT: p leaves d's line (its visit to d ends "released"), frees its
    server at s (s is refilled), and gets a MOVE event now to d's release_to service if it has
    one, else to s's overflow service.
Capacity change
    The new capacity applies at once; s is refilled. Servers in force are the rostered servers
    plus the changes of escalation rules that are switched on (never below zero).
Escalation check (every check_interval minutes, after all other events at that time)
    Rules are evaluated in order on the current state: a rule switches on when its measure has
    been above its on-level at every check for at least its sustain time, and off at the first
    check where it is below its off-level. Switching on adds servers (the service is refilled,
    in rule order, after all rules are evaluated) or diverts patients leaving a service from
    one destination to another; switching off undoes it.
Census
    Patients present at the start are arrivals at time 0 (before Poisson arrivals at the same
    time); their first service time may follow its own law (their remaining stay).
Deadlock
    When a patient becomes blocked, the kernel looks for a set of services whose every busy
    server is held by a blocked patient (with no maximum blocked time) waiting for a service in
    the same set, with no later capacity increase scheduled that could free one. If it finds one
    the run stops with status DEADLOCK.

Draws: every random number is keyed (patient, purpose, service, occurrence of this patient's
visit to this service) through simcare.sampling.keys, so the kernel and the twin draw the same
values regardless of the order in which they process independent events.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from simcare._jit import kernel_jit, kernel_jit_inline
from simcare.engine._nb.heap import Heap, heap_pop, heap_set
from simcare.model import enums as E
from simcare.model.compiled import INF_CAPACITY
from simcare.sampling.distributions import sample_nb
from simcare.sampling.keys import draw_key, uniform

# Patient states
P_NEW = 0
P_WAITING = 1  # in the queue of p_service
P_PENDING = 2  # blocked: holds a server at p_hold, in the waiting line of p_service
P_STARTING = 3  # taken from a line; its START event is pending
P_IN_SERVICE = 4
P_MOVING = 5  # abandoned or released; its MOVE event is pending
P_GONE = 6

MAX_HOPS = 1000  # visits one patient may begin at one instant (routing-loop guard)
KIND_SHIFT = 40
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

Net = namedtuple(
    "Net",
    [
        "service_keys", "queue_limit", "blocks", "block_max", "overflow", "release_to",
        "group_level",
        "n_levels", "service_dist", "service_par", "service_scale", "scaled", "patience_dist",
        "patience_par", "empirical",
        "route_start", "route_stop", "route_dest", "route_group", "route_cum",
        "route_delay_dist", "route_delay_par",
        "patient_key", "purpose_keys", "cap_time", "cap_service", "cap_value",
        "arr_stream", "stream_first_dist", "stream_first_par",
        "esc_service", "esc_measure", "esc_above", "esc_below", "esc_sustain", "esc_action",
        "esc_target", "esc_amount", "esc_from", "esc_to", "check_interval",
    ],
)
State = namedtuple(
    "State",
    [
        "cap", "busy", "serving", "holding", "n_queue", "n_pending", "hold_to",
        "line_head", "line_tail", "nxt", "prv",
        "p_state", "p_row", "worklist", "counters", "clock", "last_t",
        "a_serv", "a_wait", "a_hold", "a_cap", "deadlock_mask",
        "base_cap", "esc_delta", "esc_active", "esc_since", "route_dest", "refill_list",
        "delaying",
    ],
)
# Visit rows: the public visit record (VISIT_DTYPE) plus, per row, the occurrence number of this
# patient's visit to this service (occ) and the patient's previous row (prev, -1 if none).
Rows = namedtuple("Rows", ["vis", "occ", "prev"])


def new_rows(n: int) -> Rows:
    """Empty visit-row buffers with room for ``n`` rows (pages are touched only when written)."""
    n = max(n, 16)
    return Rows(np.zeros(n, dtype=E.VISIT_DTYPE), np.empty(n, np.int32), np.empty(n, np.int64))


def grow_rows(rows: Rows, n_used: int, n: int) -> Rows:
    """A copy of the first ``n_used`` rows in buffers with room for ``n`` rows."""
    new = new_rows(n)
    new.vis[:n_used] = rows.vis[:n_used]
    new.occ[:n_used] = rows.occ[:n_used]
    new.prev[:n_used] = rows.prev[:n_used]
    return new


# --- time-weighted state series ---------------------------------------------------------------


@kernel_jit_inline
def _acc(st: State, s: int, t: float) -> None:
    """Add service s's current counts x elapsed minutes to its hourly areas, up to time t."""
    t0 = st.last_t[s]
    if t <= t0:
        return
    n_hours = st.a_serv.shape[1]
    h = int(t0 / 60.0)
    serving = st.serving[s]
    waiting = st.n_queue[s] + st.n_pending[s]
    holding = st.holding[s]
    cap = st.cap[s]
    while t0 < t and h < n_hours:
        t1 = min(t, (h + 1) * 60.0)
        dt = t1 - t0
        st.a_serv[s, h] += serving * dt
        st.a_wait[s, h] += waiting * dt
        st.a_hold[s, h] += holding * dt
        if cap < INF_CAPACITY:
            st.a_cap[s, h] += cap * dt
        t0 = t1
        h += 1
    st.last_t[s] = t


# --- waiting lines (one doubly linked list per service and priority level) ------------------------


@kernel_jit_inline
def _line_append(st: State, s: int, lvl: int, p: int) -> None:
    tail = st.line_tail[s, lvl]
    st.prv[p] = tail
    st.nxt[p] = -1
    if tail >= 0:
        st.nxt[tail] = p
    else:
        st.line_head[s, lvl] = p
    st.line_tail[s, lvl] = p


@kernel_jit_inline
def _line_remove(st: State, s: int, lvl: int, p: int) -> None:
    a = st.prv[p]
    b = st.nxt[p]
    if a >= 0:
        st.nxt[a] = b
    else:
        st.line_head[s, lvl] = b
    if b >= 0:
        st.prv[b] = a
    else:
        st.line_tail[s, lvl] = a


@kernel_jit_inline
def _line_pop(st: State, s: int, n_levels: int) -> int:
    for lvl in range(n_levels):
        p = st.line_head[s, lvl]
        if p >= 0:
            _line_remove(st, s, lvl, p)
            return p
    return -1


# --- patients' visits -------------------------------------------------------------------------------


@kernel_jit_inline
def _new_row(rows: Rows, st: State, p: int, s: int, g: int, t: float) -> int:
    r = st.counters[C_ROWS]
    st.counters[C_ROWS] = r + 1
    v = rows.vis[r]
    v.patient = p
    v.group = g
    v.service = s
    v.arrival = t
    v.start = np.nan
    v.end = np.nan
    v.departure = np.nan
    v.outcome = E.OUT_WAITING
    prev = st.p_row[p]
    rows.prev[r] = prev
    occ = 0
    q = prev
    while q >= 0:
        if rows.vis[q].service == s:
            occ += 1
        q = rows.prev[q]
    rows.occ[r] = occ
    st.p_row[p] = r
    return r


@kernel_jit_inline
def _key(net: Net, p: int, purpose: int, s: int, occ: int) -> np.uint64:
    return draw_key(net.patient_key[p], net.purpose_keys[purpose], net.service_keys[s], occ)


@kernel_jit_inline
def _route_entry(net: Net, kind: int, s: int, g: int, u: float) -> int:
    """Index of the route entry chosen by uniform u for group g leaving s (-1: no route, exit)."""
    i0 = net.route_start[kind, s, g]
    i1 = net.route_stop[kind, s, g]
    if i0 == i1:
        return -1
    i = i0
    while i < i1 - 1 and u >= net.route_cum[i]:
        i += 1
    return i


@kernel_jit_inline
def _route(net: Net, st: State, kind: int, s: int, g: int, u: float) -> tuple[int, int]:
    """(next service or EXIT, next group) for a patient of group g leaving s, from uniform u."""
    i = _route_entry(net, kind, s, g, u)
    if i < 0:
        return E.EXIT, g
    ng = net.route_group[i]
    return st.route_dest[i], (g if ng == E.KEEP_GROUP else ng)


@kernel_jit_inline
def _begin_service(net: Net, st: State, rows: Rows, heap: Heap, p: int, r: int, t: float) -> None:
    """Draw p's service time for visit r and schedule its end (the server is already taken)."""
    s = rows.vis[r].service
    g = rows.vis[r].group
    key = _key(net, p, E.PURPOSE_SERVICE, s, rows.occ[r])
    k = net.arr_stream[p]
    if rows.prev[r] < 0 and net.stream_first_dist[k] != E.DIST_NONE:  # e.g. census: remaining stay
        par = net.stream_first_par[k]
        d = sample_nb(net.stream_first_dist[k], par[0], par[1], par[2], net.empirical, key)
    else:
        par = net.service_par[s, g]
        d = sample_nb(net.service_dist[s, g], par[0], par[1], par[2], net.empirical, key)
        if net.scaled[s]:  # most services are never scaled: no day lookup on the hot path
            d *= net.service_scale[s, min(int(t // 1440.0), net.service_scale.shape[1] - 1)]
    st.p_state[p] = P_IN_SERVICE
    heap_set(heap, p, t + d, (E.EV_END << KIND_SHIFT) | p, r)


@kernel_jit_inline
def _enter(net: Net, st: State, rows: Rows, heap: Heap, p: int, s: int, g: int, t: float) -> None:
    """Patient p (not holding any server) arrives at s in group g; follows turned-away routes.

    ``hops`` counts p's visits that began at this instant (earlier ones included, so a
    zero-time cycle driven by service ends is caught as surely as a turned-away loop)."""
    hops = 0
    q = st.p_row[p]
    while q >= 0 and rows.vis[q].arrival == t and hops <= MAX_HOPS:
        hops += 1
        q = rows.prev[q]
    while s != E.EXIT:
        hops += 1
        if hops > MAX_HOPS:
            st.counters[C_STATUS] = E.STATUS_ROUTING_LOOP
            return
        r = _new_row(rows, st, p, s, g, t)
        if st.busy[s] < st.cap[s]:
            _acc(st, s, t)
            st.busy[s] += 1
            st.serving[s] += 1
            rows.vis[r].start = t
            rows.vis[r].outcome = E.OUT_IN_SERVICE
            _begin_service(net, st, rows, heap, p, r, t)
            return
        if st.n_queue[s] < net.queue_limit[s]:
            _acc(st, s, t)
            _line_append(st, s, net.group_level[g], p)
            st.n_queue[s] += 1
            st.p_state[p] = P_WAITING
            kind = net.patience_dist[s, g]
            if kind != E.DIST_NONE:
                par = net.patience_par[s, g]
                w = sample_nb(kind, par[0], par[1], par[2], net.empirical,
                              _key(net, p, E.PURPOSE_PATIENCE, s, rows.occ[r]))
                heap_set(heap, p, t + w, (E.EV_PATIENCE << KIND_SHIFT) | p, r)
            return
        rows.vis[r].departure = t
        rows.vis[r].outcome = E.OUT_TURNED_AWAY
        u = uniform(_key(net, p, E.PURPOSE_TURNED_AWAY_ROUTE, s, rows.occ[r]), 0)
        s, g = _route(net, st, E.ROUTE_TURNED_AWAY, s, g, u)
    st.p_state[p] = P_GONE
    st.counters[C_EXITED] += 1


@kernel_jit_inline
def _release_hold(st: State, rows: Rows, p: int, t: float) -> int:
    """Blocked patient p leaves the server it holds upstream; returns that service.

    While p is blocked its current row is the visit it waits for and the previous row is the
    visit whose server it holds."""
    rd = st.p_row[p]
    ru = rows.prev[rd]
    u = rows.vis[ru].service
    _acc(st, u, t)
    st.busy[u] -= 1
    st.holding[u] -= 1
    st.hold_to[u, rows.vis[rd].service] -= 1
    rows.vis[ru].departure = t
    rows.vis[ru].outcome = E.OUT_SERVED
    return u


@kernel_jit_inline
def _refill(net: Net, st: State, rows: Rows, heap: Heap, s0: int, t: float) -> None:
    """Hand free servers to waiting lines, starting at s0; services freed upstream follow (FIFO)."""
    wl = st.worklist
    head = 0
    tail = 1
    wl[0] = s0
    while head < tail:
        s = wl[head]
        head += 1
        while st.busy[s] < st.cap[s]:
            p = _line_pop(st, s, net.n_levels)
            if p < 0:
                break
            _acc(st, s, t)
            st.busy[s] += 1
            st.serving[s] += 1
            r = st.p_row[p]
            rows.vis[r].start = t
            rows.vis[r].outcome = E.OUT_IN_SERVICE
            if st.p_state[p] == P_WAITING:
                st.n_queue[s] -= 1
            else:
                st.n_pending[s] -= 1
                wl[tail] = _release_hold(st, rows, p, t)
                tail += 1
            st.p_state[p] = P_STARTING
            heap_set(heap, p, t, (E.EV_START << KIND_SHIFT) | p, r)


@kernel_jit
def _fully_held(net: Net, st: State, s: int) -> bool:
    return (st.busy[s] > 0 and st.busy[s] >= st.cap[s] and st.holding[s] == st.busy[s]
            and st.delaying[s] == 0 and not math.isfinite(net.block_max[s]))


@kernel_jit
def _deadlock(net: Net, st: State, s: int, d: int, ic: int) -> bool:
    """True if a closed set of fully held services exists (see module docstring); marks it in
    st.deadlock_mask."""
    if not (_fully_held(net, st, s) and _fully_held(net, st, d)):
        return False
    mask = st.deadlock_mask
    n = st.busy.shape[0]
    for x in range(n):
        mask[x] = _fully_held(net, st, x)
    for i in range(ic, net.cap_time.shape[0]):  # a scheduled capacity rise may still free them
        x = net.cap_service[i]
        if mask[x] and net.cap_value[i] > st.busy[x]:
            mask[x] = False
    changed = True
    while changed:
        changed = False
        for x in range(n):
            if mask[x]:
                for y in range(n):
                    if st.hold_to[x, y] > 0 and not mask[y]:
                        mask[x] = False
                        changed = True
                        break
    found = False
    for x in range(n):
        found = found or mask[x]
    return found


# --- event handlers -----------------------------------------------------------------------------------


@kernel_jit_inline
def _on_end(net: Net, st: State, rows: Rows, heap: Heap, p: int, r: int, t: float,
            ic: int) -> tuple[int, int, int]:
    """Service end, or the end of the delay a route keeps the patient on its server. Returns
    (service to refill or -1, next service or EXIT, next group); the loop then refills and moves
    the patient on, in that order (skipped if p is blocked or starts a delay)."""
    s = rows.vis[r].service
    g = rows.vis[r].group
    first = np.isnan(rows.vis[r].end)  # False at the end of a route delay
    if first:
        rows.vis[r].end = t
    u = uniform(_key(net, p, E.PURPOSE_ROUTE, s, rows.occ[r]), 0)
    i = _route_entry(net, E.ROUTE_SERVED, s, g, u)
    d = E.EXIT
    g2 = g
    if i >= 0:
        d = st.route_dest[i]
        if net.route_group[i] != E.KEEP_GROUP:
            g2 = net.route_group[i]
    _acc(st, s, t)
    if first and i >= 0 and net.route_delay_dist[i] != E.DIST_NONE:
        st.serving[s] -= 1
        st.holding[s] += 1
        st.delaying[s] += 1
        rows.vis[r].outcome = E.OUT_BLOCKED
        par = net.route_delay_par[i]
        w = sample_nb(net.route_delay_dist[i], par[0], par[1], par[2], net.empirical,
                      _key(net, p, E.PURPOSE_ROUTE_DELAY, s, rows.occ[r]))
        heap_set(heap, p, t + w, (E.EV_END << KIND_SHIFT) | p, r)
        return -1, E.EXIT, g
    if not first:  # the delay is over: the patient still holds its server
        st.delaying[s] -= 1
        st.holding[s] -= 1
        st.serving[s] += 1
    if d != E.EXIT and net.blocks[s] and st.busy[d] >= st.cap[d]:
        st.serving[s] -= 1
        st.holding[s] += 1
        rows.vis[r].outcome = E.OUT_BLOCKED
        rd = _new_row(rows, st, p, d, g2, t)
        _acc(st, d, t)
        _line_append(st, d, net.group_level[g2], p)
        st.n_pending[d] += 1
        st.p_state[p] = P_PENDING
        st.hold_to[s, d] += 1
        if math.isfinite(net.block_max[s]):
            heap_set(heap, p, t + net.block_max[s], (E.EV_BLOCK_TIMEOUT << KIND_SHIFT) | p, rd)
        if _deadlock(net, st, s, d, ic):
            st.counters[C_STATUS] = E.STATUS_DEADLOCK
        return -1, E.EXIT, g2
    st.busy[s] -= 1
    st.serving[s] -= 1
    rows.vis[r].departure = t
    rows.vis[r].outcome = E.OUT_SERVED
    if d == E.EXIT:
        st.p_state[p] = P_GONE
        st.counters[C_EXITED] += 1
    return s, d, g2


@kernel_jit_inline
def _on_patience(net: Net, st: State, rows: Rows, heap: Heap, p: int, r: int, t: float) -> None:
    s = rows.vis[r].service
    _acc(st, s, t)
    _line_remove(st, s, net.group_level[rows.vis[r].group], p)
    st.n_queue[s] -= 1
    rows.vis[r].departure = t
    rows.vis[r].outcome = E.OUT_ABANDONED
    st.p_state[p] = P_MOVING
    heap_set(heap, p, t, (E.EV_MOVE << KIND_SHIFT) | p, r)


@kernel_jit_inline
def _on_block_timeout(net: Net, st: State, rows: Rows, heap: Heap, p: int, rd: int,
                      t: float) -> int:
    """Blocked too long: returns the service whose server p gave up (to refill)."""
    d = rows.vis[rd].service
    _acc(st, d, t)
    _line_remove(st, d, net.group_level[rows.vis[rd].group], p)
    st.n_pending[d] -= 1
    u = _release_hold(st, rows, p, t)
    rows.vis[rd].departure = t
    rows.vis[rd].outcome = E.OUT_RELEASED
    st.p_state[p] = P_MOVING
    heap_set(heap, p, t, (E.EV_MOVE << KIND_SHIFT) | p, rd)
    return u


@kernel_jit_inline
def _on_move(net: Net, st: State, rows: Rows, p: int, r: int) -> tuple[int, int]:
    """A patient who abandoned or was released moves on: returns (next service, group)."""
    s = rows.vis[r].service
    g = rows.vis[r].group
    if rows.vis[r].outcome == E.OUT_ABANDONED:
        u = uniform(_key(net, p, E.PURPOSE_ABANDON_ROUTE, s, rows.occ[r]), 0)
        return _route(net, st, E.ROUTE_ABANDONED, s, g, u)
    # released after the maximum blocked time: to where the service it waited for sends
    # released patients, else to the overflow of the service whose server it held
    d = net.release_to[s]
    if d < 0:
        d = net.overflow[rows.vis[rows.prev[r]].service]
    return d, g


# --- escalation ---------------------------------------------------------------------------------------


@kernel_jit
def _set_capacity(st: State, s: int, t: float) -> None:
    """Servers in force = rostered servers + escalation changes (never below zero)."""
    _acc(st, s, t)
    st.cap[s] = max(st.base_cap[s] + st.esc_delta[s], 0)


@kernel_jit
def _measure(net: Net, st: State, j: int) -> float:
    s = net.esc_service[j]
    waiting = st.n_queue[s] + st.n_pending[s]
    if net.esc_measure[j] == E.MEASURE_WAITING:
        return float(waiting)
    if net.esc_measure[j] == E.MEASURE_CLOSED:
        return 1.0 if st.cap[s] == 0 else 0.0
    present = st.busy[s] + waiting
    if st.cap[s] <= 0:
        return math.inf if present > 0 else 0.0
    return present / st.cap[s]


@kernel_jit
def _switch(net: Net, st: State, j: int, on: bool, t: float) -> int:
    """Apply (on) or undo (off) rule j's action; returns the service to refill, or -1."""
    target = net.esc_target[j]
    if net.esc_action[j] == E.ACTION_ADD_SERVERS:
        st.esc_delta[target] += net.esc_amount[j] if on else -net.esc_amount[j]
        _set_capacity(st, target, t)
        return target
    old = net.esc_from[j] if on else net.esc_to[j]
    new = net.esc_to[j] if on else net.esc_from[j]
    for kind in range(net.route_start.shape[0]):
        for g in range(net.route_start.shape[2]):
            for i in range(net.route_start[kind, target, g], net.route_stop[kind, target, g]):
                if net.route_dest[i] == net.esc_from[j] and st.route_dest[i] == old:
                    st.route_dest[i] = new
    return -1


@kernel_jit
def _on_check(net: Net, st: State, t: float) -> int:
    """Evaluate every escalation rule in order (hysteresis: on above ``above`` sustained for
    ``sustain`` minutes, off below ``below``). Fills st.refill_list; returns its length."""
    n = 0
    for j in range(net.esc_service.shape[0]):
        m = _measure(net, st, j)
        if st.esc_active[j] == 0:
            if m > net.esc_above[j]:
                if st.esc_since[j] < 0:
                    st.esc_since[j] = t
                if t - st.esc_since[j] >= net.esc_sustain[j]:
                    st.esc_active[j] = 1
                    st.esc_since[j] = -1.0
                    s = _switch(net, st, j, True, t)
                    if s >= 0:
                        st.refill_list[n] = s
                        n += 1
            else:
                st.esc_since[j] = -1.0
        elif m < net.esc_below[j]:
            st.esc_active[j] = 0
            s = _switch(net, st, j, False, t)
            if s >= 0:
                st.refill_list[n] = s
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
    """Run one replication towards ``horizon`` minutes, resumably.

    Arrivals are arrays of length N in patient-id order (from the draws); ``st``, ``heap`` and
    ``rows`` are buffers the front door allocated (see simcare.engine). The loop returns with
    status NEED_ROWS, everything saved in ``st``, when the row buffer might not hold the next
    event's rows; the caller grows ``rows`` and calls again. Row count, event count, status,
    patient totals and the next arrival and capacity change are in ``st.counters``; the time of
    the last event is ``st.clock[0]``.
    """
    n_patients = arr_time.shape[0]
    n_services = st.cap.shape[0]
    n_cap = net.cap_time.shape[0]
    n_rows_max = rows.occ.shape[0]
    ia = st.counters[C_NEXT_ARRIVAL]
    ic = st.counters[C_NEXT_CAPACITY]
    st.counters[C_STATUS] = E.STATUS_OK
    t = st.clock[0]
    arrival_kind = E.EV_ARRIVAL << KIND_SHIFT
    capacity_kind = E.EV_CAPACITY << KIND_SHIFT
    check_kind = E.EV_CHECK << KIND_SHIFT
    has_rules = net.esc_service.shape[0] > 0
    while True:
        if st.counters[C_ROWS] + MAX_HOPS + 2 > n_rows_max:
            st.counters[C_STATUS] = STATUS_NEED_ROWS
            break
        src = -1
        best_t = math.inf
        best_k = 0
        if ia < n_patients:
            src = 0
            best_t = arr_time[ia]
            best_k = arrival_kind | ia
        if ic < n_cap:
            tc = net.cap_time[ic]
            kc = capacity_kind | net.cap_service[ic]
            if src < 0 or tc < best_t or (tc == best_t and kc < best_k):
                src = 1
                best_t = tc
                best_k = kc
        if heap.size[0] > 0:
            th = heap.t[0]
            kh = heap.k[0]
            if src < 0 or th < best_t or (th == best_t and kh < best_k):
                src = 2
                best_t = th
                best_k = kh
        if has_rules:
            tk = (st.counters[C_CHECKS_DONE] + 1) * net.check_interval
            if src < 0 or tk < best_t or (tk == best_t and check_kind < best_k):
                src = 3
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
        if src == 0:
            mover = ia
            dest = arr_service[ia]
            group = arr_group[ia]
            ia += 1
            st.counters[C_ARRIVED] += 1
        elif src == 1:
            s = net.cap_service[ic]
            st.base_cap[s] = net.cap_value[ic]
            ic += 1
            _set_capacity(st, s, t)
            st.refill_list[0] = s
            n_refill = 1
        elif src == 3:
            st.counters[C_CHECKS_DONE] += 1
            n_refill = _on_check(net, st, t)
        else:
            p = heap.pid[0]
            r = heap.pay[0]
            kind = heap.k[0] >> KIND_SHIFT
            # The event stays at the top, marked spent (key -1 keeps it the minimum): a new
            # event of p replaces it in place, one sift instead of a pop and a push.
            heap.k[0] = SPENT
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
                    st.p_state[p] = P_GONE
                    st.counters[C_EXITED] += 1
        for i in range(n_refill):
            _refill(net, st, rows, heap, st.refill_list[i], t)
        if mover >= 0 and dest != E.EXIT:
            _enter(net, st, rows, heap, mover, dest, group, t)
        if from_heap and heap.k[0] == SPENT:  # p got no new event: drop the spent one
            heap_pop(heap)
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
        _acc(st, s, end)
