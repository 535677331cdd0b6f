"""The SimPy twin: a readable implementation of the engine's behaviour, its executable spec.

Each patient is a SimPy process that walks its journey: arrive at a service, wait, be served,
choose the next service, perhaps stay blocked holding the server, move on. Stations keep their
waiting lines and counts; ``_Twin`` hands out servers. The rules are the numbered list in
docs/model.md, shared with the numba kernel; each method cites the rules it implements. Every
wake-up is an alarm at the kernel's event key (simcare.engine.clock.KeyedClock); a patient has at
most one live alarm, and setting a new one makes the old one stale (R2). Random numbers come
from the same keyed draws as the kernel (R33).
"""

from __future__ import annotations

import itertools
import math
import time as wallclock
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from simcare.engine.clock import KeyedClock
from simcare.model import enums as E
from simcare.model.compiled import INF_CAPACITY, CompiledModel
from simcare.sampling.distributions import sample_nb
from simcare.sampling.draws import RunDraws
from simcare.sampling.keys import draw_key, uniform


class _Stop(Exception):  # noqa: N818 (a signal, not an error)
    """Raised inside the simulation to end the run early (deadlock, routing loop)."""


@dataclass
class Visit:
    """One row of the visit table."""

    patient: int
    group: int
    service: int
    arrival: float
    occurrence: int
    start: float = math.nan
    end: float = math.nan
    departure: float = math.nan
    outcome: int = E.OUT_WAITING
    due: float = math.nan  # minutes: when its service ends (its END alarm), once service began


@dataclass
class Patient:
    pid: int
    group: int
    visits_to: dict[int, int] = field(default_factory=dict)  # service -> visits so far
    visit: Visit | None = None  # current visit (at the service being waited for or used)
    first: Visit | None = None  # the patient's first visit
    held: Visit | None = None  # visit whose server is held while blocked
    state: int = E.P_NEW  # P_* code, as the kernel's State.p_state
    wake: simpy.Event | None = None
    alarm_token: int = 0
    visits_now_at: float = -1.0  # the last instant at which a visit began
    visits_now: int = 0  # visits begun at that instant (routing-loop guard)


@dataclass
class Station:
    """A service: its servers, waiting line, counts and hourly state areas."""

    index: int
    capacity: int  # servers in force: rostered + escalation, never below zero
    queue_limit: int
    level_lines: list[deque[Patient]]
    n_hours: int
    rostered: int = 0
    escalation: int = 0
    busy: int = 0
    serving: int = 0
    holding: int = 0
    delaying: int = 0  # holding their server during a route's delay (not waiting for anyone)
    n_queue: int = 0
    n_pending: int = 0
    last_t: float = 0.0
    areas: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        self.areas = np.zeros((4, self.n_hours))  # in service, waiting, blocked, capacity

    def has_free_server(self) -> bool:
        return self.busy < self.capacity

    def set_capacity(self, t: float) -> None:
        self.record(t)
        self.capacity = max(self.rostered + self.escalation, 0)

    def record(self, t: float) -> None:
        """Integrate the counts over time since the last change, hour by hour."""
        t0 = self.last_t
        if t <= t0:
            return
        h = int(t0 / 60.0)
        while t0 < t and h < self.n_hours:
            t1 = min(t, (h + 1) * 60.0)
            dt = t1 - t0
            self.areas[0, h] += self.serving * dt
            self.areas[1, h] += (self.n_queue + self.n_pending) * dt
            self.areas[2, h] += self.holding * dt
            if self.capacity < INF_CAPACITY:
                self.areas[3, h] += self.capacity * dt
            t0 = t1
            h += 1
        self.last_t = t

    def join_line(self, patient: Patient, level: int) -> None:
        self.level_lines[level].append(patient)

    def leave_line(self, patient: Patient, level: int) -> None:
        self.level_lines[level].remove(patient)

    def next_in_line(self) -> Patient | None:
        for line in self.level_lines:
            if line:
                return line.popleft()
        return None


class _Twin:
    """One replication of a CompiledModel on SimPy."""

    def __init__(self, model: CompiledModel, draws: RunDraws) -> None:
        self.m = model
        self.d = draws
        self.env = KeyedClock()
        n_levels = model.n_levels
        self.stations = [
            Station(
                s,
                int(model.capacity0[s]),
                int(model.queue_limit[s]),
                [deque() for _ in range(n_levels)],
                model.n_hours,
                rostered=int(model.capacity0[s]),
            )
            for s in range(model.n_services)
        ]
        self.route_dest = model.route_dest.copy()  # escalation diverts change a live copy
        self.windowed = (model.leave_window != 1.0).any(axis=1)  # services with a leave window
        self.rule_on = [False] * model.n_rules
        self.rule_since = [-1.0] * model.n_rules
        self.hold_to = np.zeros((model.n_services, model.n_services), dtype=np.int64)
        self.visits: list[Visit] = []
        self.arrived = 0
        self.exited = 0
        self.events = 0
        self.status = E.STATUS_OK
        self.deadlock_services: list[int] = []
        self.next_capacity_change = 0

    # --- random draws, keyed exactly as in the kernel ------------------------------------------
    def _key(self, pid: int, purpose: int, visit: Visit) -> np.uint64:
        # numba hands a uint64 back as a Python int: re-wrap it so it is typed uint64 again.
        return np.uint64(
            draw_key(
                self.d.patient_key[pid],
                self.d.purpose_keys[purpose],
                self.m.service_keys[visit.service],
                np.int64(visit.occurrence),
            )
        )

    def _service_time(self, p: Patient, v: Visit) -> float:
        # R8, R28
        stream = int(self.d.arrival_stream[p.pid])
        if v is p.first and self.m.stream_first_dist[stream] != E.DIST_NONE:
            law, par = self.m.stream_first_dist[stream], self.m.stream_first_par[stream]
            scale = 1.0  # a census patient's remaining stay is not scaled
        else:
            law, par = self.m.service_dist[v.service, v.group], self.m.service_par[v.service, v.group]
            day = min(int(self.env.now // 1440.0), self.m.service_scale.shape[1] - 1)
            scale = self.m.service_scale[v.service, day]
        return float(
            sample_nb(
                law, par[0], par[1], par[2], self.m.empirical_values, self._key(p.pid, E.PURPOSE_SERVICE, v)
            )
            * scale
        )

    def leave_time(self, p: Patient, v: Visit, ready: float) -> float:
        # R15a
        """When p, ready at ``ready`` to leave the service of v, leaves under its leave window:
        hour by hour from the hour of ``ready``, the k-th hour tried lets it go if its k-th
        keyed uniform is below that hour's leave probability (at ``ready`` itself for k = 0,
        at the start of the hour after)."""
        window = self.m.leave_window[v.service]
        key = self._key(p.pid, E.PURPOSE_LEAVE_WINDOW, v)
        hour = int(ready // 60.0)
        for k in itertools.count():
            chance = window[(hour + k) % len(window)]
            if chance >= 1.0 or (chance > 0.0 and uniform(key, k) < chance):
                return ready if k == 0 else (hour + k) * 60.0
        raise AssertionError("unreachable")

    def _route_entry(self, pid: int, v: Visit, kind: int, purpose: int) -> int:
        # R33, R34
        """Index of the route entry the patient's keyed draw chooses (-1: no route: out)."""
        u = uniform(self._key(pid, purpose, v), 0)
        i0, i1 = self.m.route_start[kind, v.service, v.group], self.m.route_stop[kind, v.service, v.group]
        if i0 == i1:
            return -1
        i = int(i0)
        while i < i1 - 1 and u >= self.m.route_cum[i]:
            i += 1
        return i

    def _route(self, pid: int, v: Visit, kind: int, purpose: int) -> tuple[int, int]:
        # R7, R13, R21, R26 (diverted destinations)
        i = self._route_entry(pid, v, kind, purpose)
        if i < 0:
            return E.EXIT, v.group
        new_group = int(self.m.route_group[i])
        return int(self.route_dest[i]), (v.group if new_group == E.KEEP_GROUP else new_group)

    # --- alarms: the only way a patient wakes up ------------------------------------------------
    def set_alarm(self, p: Patient, when: float, kind: int) -> None:
        # R1, R2
        """Wake patient p at ``when`` with ``kind``; any earlier alarm of p becomes stale."""
        p.alarm_token += 1
        token = p.alarm_token
        alarm = self.env.alarm(when, (kind << E.KIND_SHIFT) | p.pid, kind)
        alarm.callbacks.append(lambda _ev: self._ring(p, token, kind))

    def _ring(self, p: Patient, token: int, kind: int) -> None:
        # R2
        if token != p.alarm_token:
            return  # replaced by a later alarm
        p.alarm_token += 1
        self.events += 1
        assert p.wake is not None
        p.wake.succeed(kind)

    def sleep(self, p: Patient) -> simpy.Event:
        """The event patient p's process waits on until its alarm rings."""
        p.wake = self.env.event()
        return p.wake

    # --- visits ----------------------------------------------------------------------------------
    def open_visit(self, p: Patient, service: int, group: int) -> Visit:
        # R4, R31
        occurrence = p.visits_to.get(service, 0)
        p.visits_to[service] = occurrence + 1
        v = Visit(p.pid, group, service, self.env.now, occurrence)
        if p.visits_now_at == self.env.now:
            p.visits_now += 1
        else:
            p.visits_now_at, p.visits_now = self.env.now, 1
        self.visits.append(v)
        if p.first is None:
            p.first = v
        p.visit = v
        p.group = group
        return v

    def begin_service(self, p: Patient, v: Visit) -> None:
        # R8
        """The server is taken: draw the service time and set the alarm for its end."""
        p.state = E.P_IN_SERVICE
        v.due = self.env.now + self._service_time(p, v)
        self.set_alarm(p, v.due, E.EV_END)

    def arrive(self, p: Patient, service: int, group: int) -> Visit | None:
        # R4-R7, R31
        """Patient p, holding no server, arrives at ``service``: starts, queues or is turned
        away (and follows the turned-away route). Returns the visit it is now in, or None if it
        left the system."""
        now = self.env.now
        hops = p.visits_now if p.visits_now_at == now else 0  # visits begun at this instant
        while service != E.EXIT:
            hops += 1
            if hops > E.MAX_HOPS:
                self.status = E.STATUS_ROUTING_LOOP
                raise _Stop
            st = self.stations[service]
            v = self.open_visit(p, service, group)
            if st.has_free_server():
                st.record(now)
                st.busy += 1
                st.serving += 1
                v.start, v.outcome = now, E.OUT_IN_SERVICE
                self.begin_service(p, v)
                return v
            if st.n_queue < st.queue_limit:
                st.record(now)
                st.join_line(p, int(self.m.group_level[group]))
                st.n_queue += 1
                p.state = E.P_WAITING
                law = self.m.patience_dist[service, group]
                if law != E.DIST_NONE:
                    par = self.m.patience_par[service, group]
                    patience = sample_nb(
                        law,
                        par[0],
                        par[1],
                        par[2],
                        self.m.empirical_values,
                        self._key(p.pid, E.PURPOSE_PATIENCE, v),
                    )
                    self.set_alarm(p, now + patience, E.EV_PATIENCE)
                return v
            v.departure, v.outcome = now, E.OUT_TURNED_AWAY
            service, group = self._route(p.pid, v, E.ROUTE_TURNED_AWAY, E.PURPOSE_TURNED_AWAY_ROUTE)
        p.state = E.P_GONE
        self.exited += 1
        return None

    def release_held(self, p: Patient) -> int:
        # R11, R18
        """Blocked patient p gives up the server it holds upstream; returns that service."""
        held = p.held
        assert held is not None and p.visit is not None
        up = self.stations[held.service]
        up.record(self.env.now)
        up.busy -= 1
        up.holding -= 1
        self.hold_to[held.service, p.visit.service] -= 1
        held.departure, held.outcome = self.env.now, E.OUT_SERVED
        p.held = None
        return held.service

    def refill(self, first: int) -> None:
        # R10-R12
        """Hand free servers to the waiting lines, starting at ``first``; a service whose server
        a blocked patient gives up is refilled after, first in first out."""
        now = self.env.now
        todo = deque([first])
        while todo:
            st = self.stations[todo.popleft()]
            while st.has_free_server():
                p = st.next_in_line()
                if p is None:
                    break
                st.record(now)
                st.busy += 1
                st.serving += 1
                assert p.visit is not None
                p.visit.start, p.visit.outcome = now, E.OUT_IN_SERVICE
                if p.state == E.P_WAITING:
                    st.n_queue -= 1
                else:
                    st.n_pending -= 1
                    todo.append(self.release_held(p))
                p.state = E.P_STARTING
                self.set_alarm(p, now, E.EV_START)

    def leave(self, v: Visit) -> None:
        # R14
        """Patient finishes visit v (served) and frees its server."""
        st = self.stations[v.service]
        st.record(self.env.now)
        st.busy -= 1
        st.serving -= 1
        v.departure, v.outcome = self.env.now, E.OUT_SERVED
        self.refill(v.service)

    def block(self, p: Patient, v: Visit, nxt: int, group: int) -> Visit:
        # R17, R29, R30
        """Patient p finished v but nxt has no free server: keep the server, join nxt's line."""
        now = self.env.now
        here = self.stations[v.service]
        here.serving -= 1
        here.holding += 1
        v.outcome = E.OUT_BLOCKED
        ahead = self.open_visit(p, nxt, group)
        p.held = v
        there = self.stations[nxt]
        there.record(now)
        there.join_line(p, int(self.m.group_level[group]))
        there.n_pending += 1
        p.state = E.P_PENDING
        self.hold_to[v.service, nxt] += 1
        limit = self.m.block_max[v.service]
        if math.isfinite(limit):
            self.set_alarm(p, now + limit, E.EV_BLOCK_TIMEOUT)
        if self.deadlocked(v.service, nxt):
            self.status = E.STATUS_DEADLOCK
            raise _Stop
        return ahead

    def abandon(self, p: Patient, v: Visit) -> None:
        # R20
        """Patience ran out: p leaves the queue; it moves on at its MOVE alarm."""
        st = self.stations[v.service]
        st.record(self.env.now)
        st.leave_line(p, int(self.m.group_level[v.group]))
        st.n_queue -= 1
        p.state = E.P_MOVING
        v.departure, v.outcome = self.env.now, E.OUT_ABANDONED
        self.set_alarm(p, self.env.now, E.EV_MOVE)

    def release_after_timeout(self, p: Patient, ahead: Visit) -> int:
        # R18, R19
        """Blocked too long: p leaves the line it waits in, frees its server, and will move to
        the overflow service of the service it was blocked at (returned) at its MOVE alarm."""
        st = self.stations[ahead.service]
        st.record(self.env.now)
        st.leave_line(p, int(self.m.group_level[ahead.group]))
        st.n_pending -= 1
        p.state = E.P_MOVING
        ahead.departure, ahead.outcome = self.env.now, E.OUT_RELEASED
        upstream = self.release_held(p)
        self.set_alarm(p, self.env.now, E.EV_MOVE)
        self.refill(upstream)
        if self.m.release_to[ahead.service] >= 0:  # the service waited for says where
            return int(self.m.release_to[ahead.service])
        return int(self.m.overflow[upstream])

    # --- deadlock ---------------------------------------------------------------------------------
    def fully_held(self, s: int) -> bool:
        # R29
        st = self.stations[s]
        return (
            st.busy > 0
            and st.busy >= st.capacity
            and st.holding == st.busy
            and st.delaying == 0
            and not math.isfinite(self.m.block_max[s])
        )

    def deadlocked(self, s: int, d: int) -> bool:
        # R29
        if not (self.fully_held(s) and self.fully_held(d)):
            return False
        stuck = {x for x in range(self.m.n_services) if self.fully_held(x)}
        for i in range(self.next_capacity_change, self.m.cap_time.shape[0]):
            x = int(self.m.cap_service[i])
            if x in stuck and self.m.cap_value[i] > self.stations[x].busy:
                stuck.discard(x)
        changed = True
        while changed:
            changed = False
            for x in sorted(stuck):
                if any(self.hold_to[x, y] > 0 and y not in stuck for y in range(self.m.n_services)):
                    stuck.discard(x)
                    changed = True
        self.deadlock_services = sorted(stuck)
        return bool(stuck)

    # --- processes ----------------------------------------------------------------------------------
    def journey(self, p: Patient, service: int) -> Generator[simpy.Event, Any, None]:
        # R13-R21 (service end, route delay, blocking, patience, moves)
        """One patient's path through the system, from arrival until it leaves."""
        visit = self.arrive(p, service, p.group)
        while visit is not None:
            if visit.outcome == E.OUT_WAITING:  # in the queue
                what = yield self.sleep(p)
                if what == E.EV_PATIENCE:
                    self.abandon(p, visit)
                    yield self.sleep(p)  # MOVE
                    nxt, group = self._route(p.pid, visit, E.ROUTE_ABANDONED, E.PURPOSE_ABANDON_ROUTE)
                    visit = self.arrive(p, nxt, group)
                    continue
                self.begin_service(p, visit)  # START
            # In service until the END alarm; then perhaps blocked, then on to the next service.
            while True:
                yield self.sleep(p)  # END
                visit.end = self.env.now
                here = self.stations[visit.service]
                entry = self._route_entry(p.pid, visit, E.ROUTE_SERVED, E.PURPOSE_ROUTE)
                has_delay = entry >= 0 and self.m.route_delay_dist[entry] != E.DIST_NONE
                ready = self.env.now
                if has_delay:  # R15, e.g. the discharge process
                    par = self.m.route_delay_par[entry]
                    ready += sample_nb(
                        self.m.route_delay_dist[entry],
                        par[0],
                        par[1],
                        par[2],
                        self.m.empirical_values,
                        self._key(p.pid, E.PURPOSE_ROUTE_DELAY, visit),
                    )
                if self.windowed[visit.service]:  # R15a, e.g. the hours a hospital discharges
                    ready = self.leave_time(p, visit, ready)
                if has_delay or ready > self.env.now:
                    # still in the bed (or cubicle, ...), counted as blocked
                    here.record(self.env.now)
                    here.serving, here.holding, here.delaying = (
                        here.serving - 1,
                        here.holding + 1,
                        here.delaying + 1,
                    )
                    visit.outcome = E.OUT_BLOCKED
                    self.set_alarm(p, ready, E.EV_END)
                    yield self.sleep(p)  # END of the delay
                    here.record(self.env.now)
                    here.serving, here.holding, here.delaying = (
                        here.serving + 1,
                        here.holding - 1,
                        here.delaying - 1,
                    )
                nxt, group = self._route(p.pid, visit, E.ROUTE_SERVED, E.PURPOSE_ROUTE)
                here.record(self.env.now)
                if (
                    nxt != E.EXIT
                    and self.m.blocks[visit.service]
                    and not self.stations[nxt].has_free_server()
                ):
                    ahead = self.block(p, visit, nxt, group)
                    what = yield self.sleep(p)  # START at nxt, or BLOCK_TIMEOUT
                    if what == E.EV_START:
                        visit = ahead
                        self.begin_service(p, visit)
                        continue
                    overflow = self.release_after_timeout(p, ahead)
                    yield self.sleep(p)  # MOVE
                    visit = self.arrive(p, overflow, ahead.group)
                    break
                self.leave(visit)
                visit = self.arrive(p, nxt, group)
                break

    def arrivals(self) -> Generator[simpy.Event, Any, None]:
        # R1, R27, R32
        """Start each patient's journey at its arrival time, in patient-id order."""
        d = self.d
        for pid in range(d.n_patients):
            yield self.env.alarm(float(d.arrival_time[pid]), (E.EV_ARRIVAL << E.KIND_SHIFT) | pid)
            self.events += 1
            self.arrived += 1
            p = Patient(pid, int(d.arrival_group[pid]))
            self.env.process(self.journey(p, int(d.arrival_service[pid])))

    def rosters(self) -> Generator[simpy.Event, Any, None]:
        # R22
        """Apply each scheduled capacity change at its time."""
        m = self.m
        for i in range(m.cap_time.shape[0]):
            s = int(m.cap_service[i])
            yield self.env.alarm(float(m.cap_time[i]), (E.EV_CAPACITY << E.KIND_SHIFT) | s)
            self.events += 1
            self.next_capacity_change = i + 1
            st = self.stations[s]
            st.rostered = int(m.cap_value[i])
            st.set_capacity(self.env.now)
            self.refill(s)

    def measure(self, j: int) -> float:
        # R24
        """Rule j's measure: occupancy (present / servers) or patients waiting."""
        st = self.stations[int(self.m.esc_service[j])]
        waiting = st.n_queue + st.n_pending
        if self.m.esc_measure[j] == E.MEASURE_WAITING:
            return float(waiting)
        if self.m.esc_measure[j] == E.MEASURE_CLOSED:
            return 1.0 if st.capacity == 0 else 0.0
        present = st.busy + waiting
        if st.capacity <= 0:
            return math.inf if present > 0 else 0.0
        return present / st.capacity

    def switch(self, j: int, on: bool) -> int | None:
        # R26
        """Apply or undo rule j's action; returns the service to refill, if any."""
        m = self.m
        target = int(m.esc_target[j])
        if m.esc_action[j] == E.ACTION_ADD_SERVERS:
            st = self.stations[target]
            st.escalation += int(m.esc_amount[j]) * (1 if on else -1)
            st.set_capacity(self.env.now)
            return target
        old, new = (m.esc_from[j], m.esc_to[j]) if on else (m.esc_to[j], m.esc_from[j])
        for kind in range(m.route_start.shape[0]):
            for g in range(m.n_groups):
                for i in range(m.route_start[kind, target, g], m.route_stop[kind, target, g]):
                    if m.route_dest[i] == m.esc_from[j] and self.route_dest[i] == old:
                        self.route_dest[i] = new
        return None

    def escalation(self) -> Generator[simpy.Event, Any, None]:
        # R23, R25, R26
        """Evaluate the escalation rules every check interval, after all other events then."""
        m = self.m
        k = 0
        while True:
            k += 1
            yield self.env.alarm(k * m.check_interval, E.EV_CHECK << E.KIND_SHIFT)
            self.events += 1
            now = self.env.now
            to_refill = []
            for j in range(m.n_rules):
                level = self.measure(j)
                if not self.rule_on[j]:
                    if level > m.esc_above[j]:
                        if self.rule_since[j] < 0:
                            self.rule_since[j] = now
                        if now - self.rule_since[j] >= m.esc_sustain[j]:
                            self.rule_on[j], self.rule_since[j] = True, -1.0
                            to_refill.append(self.switch(j, True))
                    else:
                        self.rule_since[j] = -1.0
                elif level < m.esc_below[j]:
                    self.rule_on[j] = False
                    to_refill.append(self.switch(j, False))
            for s in to_refill:
                if s is not None:
                    self.refill(s)

    def run(self) -> float:
        # R30, R31, R35, R36
        """Run to the horizon (or until stopped); returns the time reached."""
        self.env.process(self.arrivals())
        self.env.process(self.rosters())
        if self.m.n_rules:
            self.env.process(self.escalation())
        try:
            self.env.run(until=self.m.horizon)
            end = self.m.horizon
        except _Stop:
            end = self.env.now
        for st in self.stations:
            st.record(end)
        return end


def simulate_twin(model: CompiledModel, draws: RunDraws) -> dict[str, Any]:
    """Run the twin; returns the raw pieces the front door assembles into a RunResult."""
    started = wallclock.perf_counter()
    twin = _Twin(model, draws)
    end = twin.run()
    visits = np.empty(len(twin.visits), dtype=E.VISIT_DTYPE)
    for i, v in enumerate(twin.visits):
        visits[i] = (v.patient, v.group, v.service, v.arrival, v.start, v.end, v.departure, v.outcome)
    # R37: a visit whose END alarm never rang is in service at the end of the run; a route
    # delay's END (R15) comes after ``end`` is set, a pending START has no ``due`` yet.
    scheduled_end = np.array([v.due if math.isnan(v.end) else math.nan for v in twin.visits], np.float64)
    areas = np.stack([st.areas for st in twin.stations])  # (S, 4, H)
    return {
        "visits": visits,
        "scheduled_end": scheduled_end,
        "areas": areas,
        "final": np.array(
            [[st.serving, st.holding, st.n_queue, st.n_pending] for st in twin.stations], dtype=np.int64
        ).reshape(-1, 4),
        "arrived": twin.arrived,
        "exited": twin.exited,
        "events": twin.events,
        "status": twin.status,
        "end_time": end,
        "deadlock_services": twin.deadlock_services,
        "wall_seconds": wallclock.perf_counter() - started,
    }
