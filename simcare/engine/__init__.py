"""The engine front door: ``run(model, seed)`` with the numba kernel or the SimPy twin.

Both engines run the same CompiledModel and RunDraws and follow the rules written in
simcare.engine._nb.kernel; parity tests compare their visit tables.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import numpy as np

from simcare._version import __version__
from simcare.engine.result import RunResult
from simcare.errors import DeadlockError, EngineError
from simcare.model import enums as E
from simcare.model.compiled import CompiledModel
from simcare.sampling.draws import RunDraws, draw

EngineName = Literal["numba", "simpy"]
ENGINES: tuple[str, ...] = ("numba", "simpy")

__all__ = ["ENGINES", "RunResult", "run"]


def _expected_visits(model: CompiledModel, n_patients: int) -> int:
    """A generous first guess of the visit-table size from the routing probabilities."""
    S = model.n_services
    P = np.zeros((S, S))
    for s in range(S):
        i0, i1 = model.route_start[E.ROUTE_SERVED, s, 0], model.route_stop[E.ROUTE_SERVED, s, 0]
        prev = 0.0
        for i in range(i0, i1):
            d = model.route_dest[i]
            if d >= 0:
                P[s, d] += model.route_cum[i] - prev
            prev = model.route_cum[i]
    try:
        visits_per_entry = np.linalg.solve(np.eye(S) - P.T, np.ones(S)).max()
        per_patient = float(np.clip(visits_per_entry, 1.0, 50.0))
    except np.linalg.LinAlgError:
        per_patient = 4.0
    return int(n_patients * per_patient * 1.25) + 1024


def _run_numba(model: CompiledModel, draws: RunDraws) -> dict[str, Any]:
    from simcare.engine._nb import kernel as K
    from simcare.engine._nb.heap import new_heap

    started = time.perf_counter()
    S, H, N, L = model.n_services, model.n_hours, draws.n_patients, model.n_levels
    net = K.Net(
        model.service_keys, model.queue_limit, model.blocks, model.block_max, model.overflow,
        model.release_to,
        model.group_level, L, model.service_dist, model.service_par, model.service_scale,
        (model.service_scale != 1.0).any(axis=1),  # scaled: services with a multiplier not 1
        model.patience_dist,
        model.patience_par, model.empirical_values, model.route_start, model.route_stop,
        model.route_dest, model.route_group, model.route_cum, model.route_delay_dist,
        model.route_delay_par, draws.patient_key,
        draws.purpose_keys, model.cap_time, model.cap_service, model.cap_value,
        draws.arrival_stream, model.stream_first_dist, model.stream_first_par,
        model.esc_service, model.esc_measure, model.esc_above, model.esc_below,
        model.esc_sustain, model.esc_action, model.esc_target, model.esc_amount,
        model.esc_from, model.esc_to, float(model.check_interval),
    )
    R = model.n_rules
    n = max(N, 1)
    st = K.State(
        cap=model.capacity0.copy(), busy=np.zeros(S, np.int64), serving=np.zeros(S, np.int64),
        holding=np.zeros(S, np.int64), n_queue=np.zeros(S, np.int64),
        n_pending=np.zeros(S, np.int64), hold_to=np.zeros((S, S), np.int64),
        line_head=np.full((S, L), -1, np.int64), line_tail=np.full((S, L), -1, np.int64),
        nxt=np.empty(n, np.int64), prv=np.empty(n, np.int64),
        p_state=np.zeros(n, np.int8), p_row=np.full(n, -1, np.int64),
        worklist=np.empty(n + 2, np.int64), counters=np.zeros(K.N_COUNTERS, np.int64),
        clock=np.zeros(1), last_t=np.zeros(S), a_serv=np.zeros((S, H)), a_wait=np.zeros((S, H)),
        a_hold=np.zeros((S, H)), a_cap=np.zeros((S, H)), deadlock_mask=np.zeros(S, np.bool_),
        base_cap=model.capacity0.copy(), esc_delta=np.zeros(S, np.int64),
        esc_active=np.zeros(R, np.int8), esc_since=np.full(R, -1.0),
        route_dest=model.route_dest.copy(), refill_list=np.zeros(R + 2, np.int64),
        delaying=np.zeros(S, np.int64),
    )
    heap = new_heap(N)
    rows = K.new_rows(_expected_visits(model, N))
    while True:
        K.simulate_nb(net, draws.arrival_time, draws.arrival_service, draws.arrival_group,
                      float(model.horizon), st, heap, rows)
        if st.counters[K.C_STATUS] != K.STATUS_NEED_ROWS:
            break
        n_rows = int(st.counters[K.C_ROWS])
        rows = K.grow_rows(rows, n_rows, 2 * rows.occ.shape[0] + K.MAX_HOPS + 2)
    n_rows = int(st.counters[K.C_ROWS])
    visits = rows.vis[:n_rows]
    if rows.vis.shape[0] > 1.5 * n_rows:
        visits = visits.copy()  # do not keep a mostly empty buffer alive
    status = int(st.counters[K.C_STATUS])
    return {
        "visits": visits,
        "areas": np.stack([st.a_serv, st.a_wait, st.a_hold, st.a_cap], axis=1),
        "final": np.stack([st.serving, st.holding, st.n_queue, st.n_pending], axis=1),
        "arrived": int(st.counters[K.C_ARRIVED]),
        "exited": int(st.counters[K.C_EXITED]),
        "events": int(st.counters[K.C_EVENTS]),
        "status": status,
        "end_time": float(model.horizon if status == E.STATUS_OK else st.clock[0]),
        "deadlock_services": (
            [int(i) for i in np.flatnonzero(st.deadlock_mask)]
            if status == E.STATUS_DEADLOCK else []
        ),
        "wall_seconds": time.perf_counter() - started,
    }


def _hourly_means(areas: np.ndarray, model: CompiledModel, end_time: float) -> list[np.ndarray]:
    """Divide hourly areas (S, 4, H) by each hour's simulated length (minutes)."""
    H = model.n_hours
    edges = np.arange(H + 1) * 60.0
    length = np.clip(np.minimum(edges[1:], end_time) - edges[:-1], 0.0, 60.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = areas / np.where(length > 0, length, np.nan)
    infinite = model.capacity0 >= (1 << 62)
    means[infinite, 3, :] = np.inf
    return [means[:, i, :] for i in range(4)]


def run(
    model: CompiledModel,
    seed: int = 0,
    replication: int = 0,
    *,
    draws: RunDraws | None = None,
    engine: EngineName = "numba",
    check: bool = True,
) -> RunResult:
    """Run one replication of ``model``.

    ``seed`` and ``replication`` select the random numbers (ignored if ``draws`` is given).
    ``engine``: "numba" (the product) or "simpy" (the readable twin). With ``check`` (the
    default) conservation is verified and a deadlock or routing loop raises an EngineError.
    """
    if engine not in ENGINES:
        raise EngineError(f"engine must be one of {ENGINES}, got {engine!r}")
    if draws is None:
        draws = draw(model, seed, replication)
    if engine == "numba":
        raw = _run_numba(model, draws)
    else:
        from simcare.engine.twin import simulate_twin

        raw = simulate_twin(model, draws)
    in_service, waiting, blocked, capacity = _hourly_means(raw["areas"], model, raw["end_time"])
    final = raw["final"]
    status = E.STATUS_NAMES[raw["status"]]
    deadlock_names = [model.service_names[i] for i in raw["deadlock_services"]]
    result = RunResult(
        service_names=model.service_names,
        group_names=model.group_names,
        visits=raw["visits"],
        in_service=in_service,
        waiting=waiting,
        blocked=blocked,
        capacity=capacity,
        final_in_service=final[:, 0].astype(np.int64),
        final_holding=final[:, 1].astype(np.int64),
        final_queue=final[:, 2].astype(np.int64),
        final_pending=final[:, 3].astype(np.int64),
        arrived=raw["arrived"],
        exited=raw["exited"],
        events=raw["events"],
        status=status,
        end_time=raw["end_time"],
        provenance={
            "seed": draws.seed,
            "replication": draws.replication,
            "engine": engine,
            "version": __version__,
            "model_digest": model.digest(),
            "horizon_minutes": model.horizon,
            "wall_seconds": raw["wall_seconds"],
            "deadlock_services": deadlock_names,
        },
    )
    if check:
        if status == "deadlock":
            raise DeadlockError(
                f"blocking deadlock at t={result.end_time:.1f} min: every server of "
                f"{deadlock_names} is held by a patient blocked waiting for another of them",
                deadlock_names, result.end_time, result,
            )
        if status == "routing_loop":
            raise EngineError(
                f"routing loop at t={result.end_time:.1f} min: a patient began more than 1000 "
                "visits without time passing (turned-away routes, or routes between services "
                "with zero service times, form a cycle)"
            )
        result.check_conservation()
    return result
