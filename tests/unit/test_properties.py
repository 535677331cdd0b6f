"""Property-based invariants of single runs (numba engine) over random networks.

The networks come from the hypothesis strategy in ``tests/parity/strategies.py`` (every model
feature; no deadlocks by construction). Each test states the invariant it checks; all of them
are exact (integer counts, or float equality of times that the engine copies rather than
computes), except where a tolerance is stated.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from simcare.engine import RunResult, run
from simcare.model import enums as E
from simcare.model.compiled import INF_CAPACITY, CompiledModel
from simcare.sampling.draws import RunDraws, draw

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "parity"))
from strategies import NetSpec, RosterSpec, networks  # noqa: E402

PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NETWORKS = networks(max_patients=3000)


def run_spec(spec: NetSpec) -> tuple[CompiledModel, RunDraws, RunResult]:
    """Compile, draw and run ``spec`` on the numba engine with its own checks on."""
    note(spec.code())
    m = spec.compile()
    d = draw(m, spec.seed, spec.replication)
    return m, d, run(m, draws=d, engine="numba")


def prev_rows(v: np.ndarray) -> np.ndarray:
    """For each visit row, the index of the same patient's previous row (-1 for the first)."""
    order = np.lexsort((np.arange(len(v)), v["patient"]))  # by patient, then row order
    prev = np.full(len(v), -1, dtype=np.int64)
    same = v["patient"][order[1:]] == v["patient"][order[:-1]]
    prev[order[1:][same]] = order[:-1][same]
    return prev


def occurrences(v: np.ndarray) -> np.ndarray:
    """For each visit row, how many earlier visits its patient made to the same service."""
    order = np.lexsort((np.arange(len(v)), v["service"], v["patient"]))
    p, s = v["patient"][order], v["service"][order]
    new_run = np.ones(len(v), dtype=bool)
    new_run[1:] = (p[1:] != p[:-1]) | (s[1:] != s[:-1])
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(v)), 0))
    occ = np.empty(len(v), dtype=np.int64)
    occ[order] = np.arange(len(v)) - run_start
    return occ


def capacity_at(m: CompiledModel, s: int, t: np.ndarray) -> np.ndarray:
    """Servers of service s in force at times t (after every change at a time <= t: capacity
    changes are the first events at any timestamp)."""
    mine = m.cap_service == s
    times = m.cap_time[mine]
    values = np.concatenate(([m.capacity0[s]], m.cap_value[mine]))
    return values[np.searchsorted(times, t, side="right")]


def hourly_average(
    m: CompiledModel, service: np.ndarray, a: np.ndarray, b: np.ndarray, end_time: float
) -> np.ndarray:
    """(S, H) time average, hour by hour, of the number of intervals [a, b) open at each
    service (b = NaN: open until ``end_time``)."""
    H = m.n_hours
    b = np.where(np.isnan(b), end_time, b)
    lo = np.arange(H) * 60.0
    hi = np.minimum(lo + 60.0, end_time)
    overlap = np.clip(np.minimum(b[:, None], hi) - np.maximum(a[:, None], lo), 0.0, None)
    out = np.zeros((m.n_services, H))
    np.add.at(out, service, overlap)
    return out / (hi - lo)


# --- conservation ---------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(spec=NETWORKS)
def test_conservation(spec: NetSpec) -> None:
    """run() checks conservation itself (check=True); recompute it independently:

    * per service: visits begun = visits ended + patients inside, and the patients inside by
      kind (in service, blocked holding a server, queued, blocked-upstream pending) equal the
      run's final counts;
    * per patient: every arrived patient has visits, first visits are in patient-id order and
      match the drawn arrival (time, group, service); a patient inside has one open visit, or
      two when blocked (the held visit then the awaited one, last); arrived = exited + inside.
    """
    m, d, r = run_spec(spec)
    v = r.visits
    S = m.n_services
    open_ = np.isnan(v["departure"])
    prev = prev_rows(v)
    pending = open_ & (v["outcome"] == E.OUT_WAITING) & (prev >= 0)
    pending[pending] = v["outcome"][prev[pending]] == E.OUT_BLOCKED
    queued = open_ & (v["outcome"] == E.OUT_WAITING) & ~pending

    def per_service(mask: np.ndarray) -> np.ndarray:
        return np.bincount(v["service"][mask], minlength=S)

    inside = r.final_in_service + r.final_holding + r.final_queue + r.final_pending
    assert np.array_equal(per_service(np.ones(len(v), bool)), per_service(~open_) + inside)
    assert np.array_equal(per_service(open_ & (v["outcome"] == E.OUT_IN_SERVICE)), r.final_in_service)
    assert np.array_equal(per_service(open_ & (v["outcome"] == E.OUT_BLOCKED)), r.final_holding)
    assert np.array_equal(per_service(queued), r.final_queue)
    assert np.array_equal(per_service(pending), r.final_pending)
    assert not (~open_ & np.isin(v["outcome"], [E.OUT_WAITING, E.OUT_IN_SERVICE, E.OUT_BLOCKED])).any()

    assert r.arrived == d.n_patients
    first = prev < 0
    assert np.array_equal(v["patient"][first], np.arange(d.n_patients))
    assert np.array_equal(v["arrival"][first], d.arrival_time)
    assert np.array_equal(v["group"][first], d.arrival_group)
    assert np.array_equal(v["service"][first], d.arrival_service)

    open_per_patient = np.bincount(v["patient"][open_], minlength=d.n_patients)
    assert open_per_patient.max(initial=0) <= 2
    assert r.arrived == r.exited + int((open_per_patient > 0).sum())
    last = np.full(d.n_patients, -1, dtype=np.int64)
    last[v["patient"]] = np.arange(len(v))  # the last row of each patient
    two = np.flatnonzero(open_per_patient == 2)
    assert (v["outcome"][last[two]] == E.OUT_WAITING).all()
    assert (v["outcome"][prev[last[two]]] == E.OUT_BLOCKED).all()
    one = np.flatnonzero(open_per_patient == 1)
    assert open_[last[one]].all()  # the one open visit is the patient's latest


@PROPERTY_SETTINGS
@given(spec=NETWORKS)
def test_no_negative_waits_and_consistent_outcomes(spec: NetSpec) -> None:
    """Times are ordered and inside the run: 0 <= arrival <= start <= end <= departure <
    horizon (ignoring NaN); a patient's next visit begins when it left the previous one, or
    while still holding the previous server (blocked: at its service end, or at the end of a
    route delay), i.e. between the previous visit's end and departure; each outcome has its
    pattern of NaN times; a turned away visit lasts no time; a released visit lasts exactly
    the upstream maximum blocked time (to within 1e-9 min: departure = arrival + block_max)."""
    m, _, r = run_spec(spec)
    v = r.visits
    a, s, e, dep, out = v["arrival"], v["start"], v["end"], v["departure"], v["outcome"]
    with np.errstate(invalid="ignore"):
        for x, y in ((a, s), (s, e), (e, dep), (a, dep)):
            assert not (x > y).any()
    for x in (a, s, e, dep):
        assert not ((x < 0) | (x >= m.horizon)).any()
    nan_s, nan_e, nan_d = np.isnan(s), np.isnan(e), np.isnan(dep)
    patterns = {  # outcome: (start is NaN, end is NaN, departure is NaN)
        E.OUT_SERVED: (False, False, False),
        E.OUT_ABANDONED: (True, True, False),
        E.OUT_TURNED_AWAY: (True, True, False),
        E.OUT_RELEASED: (True, True, False),
        E.OUT_WAITING: (True, True, True),
        E.OUT_IN_SERVICE: (False, True, True),
        E.OUT_BLOCKED: (False, False, True),
    }
    assert np.isin(out, list(patterns)).all()
    for o, (ps, pe, pd) in patterns.items():
        rows = out == o
        assert (nan_s[rows] == ps).all() and (nan_e[rows] == pe).all(), E.OUTCOME_NAMES[o]
        assert (nan_d[rows] == pd).all(), E.OUTCOME_NAMES[o]
    turned = out == E.OUT_TURNED_AWAY
    assert np.array_equal(dep[turned], a[turned])
    prev = prev_rows(v)
    has_prev = prev >= 0
    pe, pd = e[prev[has_prev]], dep[prev[has_prev]]
    moved = a[has_prev] == pd  # left the previous service and came here
    held = (pe <= a[has_prev]) & ~(pd < a[has_prev])  # came here still holding the previous server
    assert (moved | held).all()
    released = np.flatnonzero(out == E.OUT_RELEASED)
    upstream = v["service"][prev[released]]
    assert (prev[released] >= 0).all()
    np.testing.assert_allclose(dep[released] - a[released], m.block_max[upstream], atol=1e-9)


# --- capacity and queue limits --------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(spec=NETWORKS)
def test_servers_in_use_never_exceed_capacity(spec: NetSpec) -> None:
    """At every time t at which some patient starts service at s, the patients holding a server
    of s after all events at t (in service or blocked after service: start <= t < departure)
    number at most the capacity in force at t (m.capacity0 and the m.cap_* schedule). Capacity
    falls never interrupt service, so the bound is checked only where a start happens; it is
    exact because starts happen only while busy < capacity and later events at the same time
    only free servers or start while busy < capacity. (Services whose capacity escalation rules
    change are skipped: their capacity is not the model's schedule.)"""
    m, _, r = run_spec(spec)
    v = r.visits
    escalated = spec.escalated_services()
    for s in range(m.n_services):
        rows = (v["service"] == s) & ~np.isnan(v["start"])
        if m.capacity0[s] >= INF_CAPACITY or not rows.any() or m.service_names[s] in escalated:
            continue
        starts = np.sort(v["start"][rows])
        leaves = np.sort(np.where(np.isnan(v["departure"][rows]), np.inf, v["departure"][rows]))
        t = np.unique(starts)
        holding = np.searchsorted(starts, t, side="right") - np.searchsorted(leaves, t, side="right")
        cap = capacity_at(m, s, t)
        bad = np.flatnonzero(holding > cap)
        assert not len(bad), (
            f"service {m.service_names[s]}: {holding[bad[0]]} patients hold servers at "
            f"t={t[bad[0]]} with capacity {cap[bad[0]]}"
        )


@PROPERTY_SETTINGS
@given(spec=NETWORKS)
def test_queues_never_exceed_their_limit(spec: NetSpec) -> None:
    """After all events at any time t at which a patient joined s's queue, the patients in the
    queue (arrived <= t, left it at start or departure > t; patients blocked upstream, who do
    not count against the limit, excluded) are at most queue_limit[s]."""
    m, _, r = run_spec(spec)
    v = r.visits
    prev = prev_rows(v)
    blocked_upstream = np.zeros(len(v), dtype=bool)  # still held the previous server on joining
    has = prev >= 0
    blocked_upstream[has] = ~(v["departure"][prev[has]] <= v["arrival"][has])
    leave = np.where(np.isnan(v["start"]), v["departure"], v["start"])
    leave = np.where(np.isnan(leave), np.inf, leave)
    for s in range(m.n_services):
        limit = m.queue_limit[s]
        rows = (v["service"] == s) & ~blocked_upstream & (leave > v["arrival"])
        if not rows.any():
            continue
        joins = np.sort(v["arrival"][rows])
        leaves = np.sort(leave[rows])
        t = np.unique(joins)
        queued = np.searchsorted(joins, t, side="right") - np.searchsorted(leaves, t, side="right")
        assert queued.max() <= limit, m.service_names[s]


# --- the hourly series ----------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(spec=NETWORKS)
def test_hourly_series_match_the_visit_table(spec: NetSpec) -> None:
    """The hourly time averages equal those recomputed from the visit table (rtol 1e-9, atol
    1e-9 patients): in service over [start, end), blocked over [end, departure) when the patient
    left after its service end, waiting over [arrival, start or departure); capacity equals the
    roster's time average (inf for an infinite-server service; services whose capacity
    escalation rules change are skipped)."""
    m, _, r = run_spec(spec)
    v = r.visits
    svc, a, s, e, dep = v["service"], v["arrival"], v["start"], v["end"], v["departure"]
    served = ~np.isnan(s)
    tol = 1e-9
    expect = hourly_average(m, svc[served], s[served], e[served], r.end_time)
    np.testing.assert_allclose(r.in_service, expect, rtol=tol, atol=tol)
    blocked = ~np.isnan(e) & ~(dep == e)
    expect = hourly_average(m, svc[blocked], e[blocked], dep[blocked], r.end_time)
    np.testing.assert_allclose(r.blocked, expect, rtol=tol, atol=tol)
    left = np.where(served, s, dep)
    expect = hourly_average(m, svc, a, left, r.end_time)
    np.testing.assert_allclose(r.waiting, expect, rtol=tol, atol=tol)
    H = m.n_hours
    escalated = spec.escalated_services()
    for k in range(m.n_services):
        if m.capacity0[k] >= INF_CAPACITY:
            assert np.isinf(r.capacity[k]).all()
            continue
        if m.service_names[k] in escalated:
            continue
        lo = np.arange(H) * 60.0
        hi = np.minimum(lo + 60.0, m.horizon)
        mine = m.cap_service == k
        edges = np.concatenate(([0.0], m.cap_time[mine], [m.horizon]))
        values = np.concatenate(([m.capacity0[k]], m.cap_value[mine])).astype(float)
        overlap = np.clip(np.minimum(edges[1:, None], hi) - np.maximum(edges[:-1, None], lo), 0.0, None)
        np.testing.assert_allclose(r.capacity[k], values @ overlap / (hi - lo), rtol=tol, atol=tol)


# --- reproducibility and common random numbers ----------------------------------------------------


@PROPERTY_SETTINGS
@given(spec=NETWORKS)
def test_same_seed_gives_byte_identical_runs(spec: NetSpec) -> None:
    """Two runs with the same model, seed and replication have byte-identical visit tables and
    hourly series, and the same counts (run() draws afresh each time)."""
    m = spec.compile()
    r1 = run(m, spec.seed, spec.replication)
    r2 = run(m, spec.seed, spec.replication)
    assert r1.visits.tobytes() == r2.visits.tobytes()
    for k in ("in_service", "waiting", "blocked", "capacity"):
        assert getattr(r1, k).tobytes() == getattr(r2, k).tobytes()
    assert (r1.events, r1.arrived, r1.exited) == (r2.events, r2.arrived, r2.exited)


@settings(PROPERTY_SETTINGS, max_examples=30)
@given(spec=NETWORKS)
def test_different_replication_or_seed_gives_different_runs(spec: NetSpec) -> None:
    """Another replication (same seed), or another seed, gives a different visit table
    (whenever the network has arrivals at all)."""
    m = spec.compile()
    base = run(m, spec.seed, spec.replication)
    assume(base.arrived > 0)
    other_rep = run(m, spec.seed, spec.replication + 1)
    other_seed = run(m, spec.seed + 1, spec.replication)
    assert base.visits.tobytes() != other_rep.visits.tobytes()
    assert base.visits.tobytes() != other_seed.visits.tobytes()


def _servers() -> st.SearchStrategy[int | float | RosterSpec]:
    return st.one_of(
        st.integers(0, 4),
        st.just(math.inf),
        st.builds(RosterSpec, st.lists(st.integers(0, 3), min_size=2, max_size=2).map(tuple)),
    )


@PROPERTY_SETTINGS
@given(spec=NETWORKS, data=st.data())
def test_common_random_numbers_across_capacity_changes(spec: NetSpec, data: st.DataObject) -> None:
    """Changing the capacity of one service (same seed and replication) changes no random
    input: the arrival draws are identical; every patient's first visit has the same arrival
    time, group and service; and a (patient, service, occurrence, group) visit served in both
    runs lasts the same time, one abandoned in both waited the same patience (both to within
    1e-9 min, since durations are recovered as differences of times)."""
    service = data.draw(st.sampled_from([s.name for s in spec.services]), label="service")
    servers = data.draw(_servers(), label="servers")
    m1, m2 = spec.compile(), spec.with_servers(service, servers).compile()
    d1, d2 = draw(m1, spec.seed, spec.replication), draw(m2, spec.seed, spec.replication)
    for f in (
        "arrival_time",
        "arrival_group",
        "arrival_service",
        "arrival_stream",
        "patient_key",
        "purpose_keys",
    ):
        assert np.array_equal(getattr(d1, f), getattr(d2, f)), f
    r1 = run(m1, draws=d1, engine="numba", check=False)
    r2 = run(m2, draws=d2, engine="numba", check=False)
    note(f"capacity of {service} -> {servers}")
    v1, v2 = r1.visits, r2.visits
    f1, f2 = prev_rows(v1) < 0, prev_rows(v2) < 0
    for f in ("patient", "arrival", "group", "service"):
        assert np.array_equal(v1[f][f1], v2[f][f2]), f

    def keyed(v: np.ndarray, outcome: int) -> dict[tuple[int, int, int, int], float]:
        occ = occurrences(v)
        rows = np.flatnonzero(v["outcome"] == outcome)
        if outcome == E.OUT_SERVED:
            rows = np.flatnonzero(~np.isnan(v["end"]))
            length = v["end"] - v["start"]
        else:
            length = v["departure"] - v["arrival"]
        return {
            (int(v["patient"][i]), int(v["service"][i]), int(occ[i]), int(v["group"][i])): float(length[i])
            for i in rows
        }

    for outcome in (E.OUT_SERVED, E.OUT_ABANDONED):
        k1, k2 = keyed(v1, outcome), keyed(v2, outcome)
        common = sorted(set(k1) & set(k2))
        x = np.array([k1[k] for k in common])
        y = np.array([k2[k] for k in common])
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-9)


# --- the rules of the kernel docstring, checked on the visit table ---------------------------------


@PROPERTY_SETTINGS
@given(spec=NETWORKS)
def test_line_discipline(spec: NetSpec) -> None:
    """Waiting lines are served by priority level, then order of joining, and never while a
    server is free. For rows x, y at the same service where y starts at t while x waited from
    before t until after t (x.arrival < t < x's leaving time): y must have a strictly higher
    priority level than x, or the same level and have joined no later (y.arrival <= x.arrival).
    So a patient of x's level or lower who starts on arrival while x waits is a violation (a
    free server while someone waits). A higher-level y with y.arrival == t is allowed: it may
    have joined the line earlier in the same timestamp and been taken ahead of x."""
    m, _, r = run_spec(spec)
    v = r.visits
    level = m.group_level[v["group"]]
    leave = np.where(np.isnan(v["start"]), v["departure"], v["start"])
    leave = np.where(np.isnan(leave), np.inf, leave)
    for s in range(m.n_services):
        rows = np.flatnonzero(v["service"] == s)
        started = rows[~np.isnan(v["start"][rows])]
        if not len(started) or not len(rows):
            continue
        xa, xl = v["arrival"][rows][None, :], leave[rows][None, :]
        lx = level[rows][None, :]
        # y rows in chunks, so the (y, x) matrices stay within ~20 M cells however long the run
        step = max(1, 20_000_000 // len(rows))
        for c in range(0, len(started), step):
            ys = started[c : c + step]
            t = v["start"][ys][:, None]  # y: one per line
            waiting = (xa < t) & (xl > t)  # x waited across y's start
            ya = v["arrival"][ys][:, None]
            ly = level[ys][:, None]
            allowed = (ly < lx) | ((ly == lx) & (ya <= xa))
            bad = waiting & ~allowed
            if bad.any():
                i, j = np.argwhere(bad)[0]
                raise AssertionError(
                    f"service {m.service_names[s]}: row {ys[i]} started at {t[i, 0]} while row "
                    f"{rows[j]} (level {lx[0, j]}, joined {xa[0, j]}) waited; the starter has level "
                    f"{ly[i, 0]} and joined {ya[i, 0]}"
                )


def _allowed(m: CompiledModel, kind: int, s: int, g: int) -> set[tuple[int, int]]:
    """(next service or EXIT, next group) pairs the route table of (kind, s, g) can produce."""
    i0, i1 = int(m.route_start[kind, s, g]), int(m.route_stop[kind, s, g])
    if i0 == i1:
        return {(E.EXIT, g)}
    prev = 0.0
    out = set()
    for i in range(i0, i1):
        if m.route_cum[i] > prev:  # entries of probability 0 can never be chosen
            ng = int(m.route_group[i])
            out.add((int(m.route_dest[i]), g if ng == E.KEEP_GROUP else ng))
        prev = float(m.route_cum[i])
    return out


@PROPERTY_SETTINGS
@given(spec=NETWORKS)
def test_patients_follow_the_route_tables(spec: NetSpec) -> None:
    """Every move is allowed by the model: after a visit ends served (or blocked after
    service), abandoned or turned away, the patient's next visit (service, group), or its exit,
    is an entry of the (s, group) route table of that kind (an empty table means exit); after a
    release it goes, in the same group, to the release_to service of the service it waited for,
    else to the overflow of the service it held, else out. (Moves out of services whose routes
    escalation rules divert are not checked.) Patients
    abandon only where (s, group) has a patience law and are turned away only where s has a
    finite queue; a patient leaving a service that does not block is never blocked: its next
    visit begins when it leaves (after a route delay, if any), not while it holds the server."""
    m, _, r = run_spec(spec)
    v = r.visits
    prev = prev_rows(v)
    nxt = np.full(len(v), -1, dtype=np.int64)
    nxt[prev[prev >= 0]] = np.flatnonzero(prev >= 0)
    kinds = {
        E.OUT_SERVED: E.ROUTE_SERVED,
        E.OUT_BLOCKED: E.ROUTE_SERVED,
        E.OUT_ABANDONED: E.ROUTE_ABANDONED,
        E.OUT_TURNED_AWAY: E.ROUTE_TURNED_AWAY,
    }
    cache: dict[tuple[int, int, int], set[tuple[int, int]]] = {}
    diverted = spec.diverted_services()
    for i in range(len(v)):
        out, s, g = int(v["outcome"][i]), int(v["service"][i]), int(v["group"][i])
        j = int(nxt[i])
        if out == E.OUT_RELEASED:
            assert prev[i] >= 0
            up = int(v["service"][prev[i]])
            to = int(m.release_to[s]) if m.release_to[s] >= 0 else int(m.overflow[up])
            if to == E.EXIT:
                assert j < 0
            else:
                assert (int(v["service"][j]), int(v["group"][j])) == (to, g)
            continue
        if m.service_names[s] in diverted:
            continue
        if out not in kinds or (out == E.OUT_BLOCKED and j < 0):
            continue  # still inside, or blocked at the very end with its next row pending
        key = (kinds[out], s, g)
        if key not in cache:
            cache[key] = _allowed(m, *key)
        if j < 0:  # left the system (an exit entry may also name a group: irrelevant)
            assert E.EXIT in {d for d, _ in cache[key]}, (i, out, m.service_names[s])
        else:
            went = (int(v["service"][j]), int(v["group"][j]))
            assert went in cache[key], (i, out, m.service_names[s], went, cache[key])
    outcome = v["outcome"]
    abandoned = outcome == E.OUT_ABANDONED
    assert (m.patience_dist[v["service"][abandoned], v["group"][abandoned]] != E.DIST_NONE).all()
    turned = outcome == E.OUT_TURNED_AWAY
    assert (m.queue_limit[v["service"][turned]] < np.iinfo(np.int64).max // 2).all()
    plain = ~m.blocks[v["service"]] & (nxt >= 0)  # left a service that does not block
    assert (v["arrival"][nxt[plain]] == v["departure"][plain]).all()
