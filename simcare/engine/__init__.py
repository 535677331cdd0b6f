"""The engine front door: ``run(model, seed)`` with the numba kernel or the SimPy twin.

Both engines run the same CompiledModel and RunDraws and follow the rules numbered in
docs/model.md; parity tests compare their visit tables.
"""

from __future__ import annotations

import functools
import sys
import time
import weakref
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from simcare._version import __version__
from simcare.engine._nb import kernel as K
from simcare.engine._nb.cache import compile_notice, drop_stale_kernel_cache
from simcare.engine._nb.heap import new_heap
from simcare.engine.result import RunResult
from simcare.errors import DeadlockError, EngineError, ModelError
from simcare.model import enums as E
from simcare.model.compiled import CompiledModel
from simcare.sampling.distributions import check_pools
from simcare.sampling.draws import RunDraws, draw

EngineName = Literal["numba", "simpy"]
ENGINES: tuple[str, ...] = ("numba", "simpy")

__all__ = ["ENGINES", "RunResult", "run"]


@functools.cache
def _fresh_kernel_cache() -> None:
    """Once per process, before the kernel's first call (when numba reads its on-disk cache):
    flush a cache compiled from older versions of the modules the kernel inlines, which numba
    would otherwise use (see _nb/cache.py), and say so on stderr if numba is about to compile the
    kernel. Not at import time: importing simcare does no I/O."""
    drop_stale_kernel_cache()
    notice = compile_notice()
    if notice is not None:
        print(notice, file=sys.stderr, flush=True)


def _expected_visits(model: CompiledModel, draws: RunDraws) -> int:
    """A first guess of the visit-table size, 25 % above the expected visits of the draws'
    patients: for each patient group, the expected visits x from each service along its served
    routes, x = 1 + P x (P: routing probabilities), summed over the patients' entry services.
    (Issue 15: a guess of the largest x for every patient, with P transposed, was five times
    the BNSSG winter's 2.0 M rows, and the run then copied its rows down.) Only the first
    buffer's size depends on it: a buffer that proves too small grows."""
    S, G, N = model.n_services, model.n_groups, draws.n_patients
    entries = np.bincount(
        draws.arrival_group.astype(np.int64) * S + draws.arrival_service, minlength=G * S
    ).reshape(G, S)
    total = 0.0
    for g in np.flatnonzero(entries.sum(axis=1)):
        P = np.zeros((S, S))
        for s in range(S):
            i0, i1 = model.route_start[E.ROUTE_SERVED, s, g], model.route_stop[E.ROUTE_SERVED, s, g]
            prev = 0.0
            for i in range(i0, i1):
                d = model.route_dest[i]
                if d >= 0:
                    P[s, d] += model.route_cum[i] - prev
                prev = model.route_cum[i]
        try:
            visits = np.clip(np.linalg.solve(np.eye(S) - P, np.ones(S)), 1.0, 50.0)
        except np.linalg.LinAlgError:
            visits = np.full(S, 4.0)
        total += float(entries[g] @ visits)
    return int(max(total, N) * 1.25) + 1024


# Visit rows per patient of the last run of each model in this process (a batch worker runs
# one compiled model many times): the next buffer is sized from it. Only the buffer's size
# depends on it, never the run (a buffer that proves too small grows, byte-identically).
_ROWS_PER_PATIENT: weakref.WeakKeyDictionary[CompiledModel, float] = weakref.WeakKeyDictionary()


def _visit_buffer_size(model: CompiledModel, draws: RunDraws) -> int:
    """Rows to allocate for a run of ``model`` with ``draws``: 10 % above the rows per patient
    of its last run in this process, or :func:`_expected_visits` the first time. A buffer over
    1.5 times the rows used is copied down after the run (issue 15: that copy was 0.03 s of
    every replication)."""
    seen = _ROWS_PER_PATIENT.get(model)
    if seen is None:
        return _expected_visits(model, draws)
    return int(seen * draws.n_patients * 1.1) + E.MAX_HOPS + 1024


def _check_draws(model: CompiledModel, draws: RunDraws) -> None:
    """Raise ModelError if caller-made ``draws`` do not fit ``model`` (shapes, dtypes, indices).

    Linear in the number of patients, but vectorised: far below the cost of simulating them.
    Draws made by simcare.sampling.draws.draw fit by construction and skip this check.
    """
    N = draws.n_patients
    expect = {
        "arrival_time": ((N,), np.float64),
        "arrival_stream": ((N,), np.int32),
        "arrival_index": ((N,), np.int64),
        "arrival_group": ((N,), np.int32),
        "arrival_service": ((N,), np.int32),
        "patient_key": ((N,), np.uint64),
        "purpose_keys": ((E.N_PURPOSES,), np.uint64),
    }
    for name, (shape, dtype) in expect.items():
        arr = getattr(draws, name)
        if not isinstance(arr, np.ndarray) or arr.shape != shape or arr.dtype != dtype:
            got = (getattr(arr, "shape", None), getattr(arr, "dtype", type(arr)))
            raise ModelError(f"draws.{name}", f"expected shape {shape} of {np.dtype(dtype)}, got {got}")
    if N == 0:
        return
    bounds = {
        "arrival_stream": model.n_streams,
        "arrival_group": model.n_groups,
        "arrival_service": model.n_services,
    }
    for name, n in bounds.items():
        arr = getattr(draws, name)
        if arr.min() < 0 or arr.max() >= n:
            raise ModelError(f"draws.{name}", f"indices must be in [0, {n})")
    times = draws.arrival_time
    if not (np.isfinite(times).all() and (np.diff(times) >= 0).all()):
        raise ModelError("draws.arrival_time", "arrival times must be finite and non-decreasing")


def _twin() -> Callable[[CompiledModel, RunDraws], dict[str, Any]]:
    """The SimPy twin's entry point, imported on first use: SimPy is an optional extra
    (``pip install 'simcare[twin]'``) and the numba engine runs without it."""
    try:
        from simcare.engine.twin import simulate_twin
    except ModuleNotFoundError as exc:
        if exc.name != "simpy":
            raise
        raise EngineError(
            "the SimPy twin (engine 'simpy') needs SimPy, which is not installed: "
            "pip install 'simcare[twin]' (or pip install simpy)"
        ) from None
    return simulate_twin


def _run_numba(model: CompiledModel, draws: RunDraws) -> dict[str, Any]:
    _fresh_kernel_cache()
    started = time.perf_counter()
    N = draws.n_patients
    net = K.net_from_model(model, draws)
    st = K.new_state(model, N)
    heap = new_heap(N)
    rows = K.new_rows(_visit_buffer_size(model, draws))
    while True:
        K.simulate_nb(
            net,
            draws.arrival_time,
            draws.arrival_service,
            draws.arrival_group,
            float(model.horizon),
            st,
            heap,
            rows,
        )
        if st.counters[K.C_STATUS] != K.STATUS_NEED_ROWS:
            break
        n_rows = int(st.counters[K.C_ROWS])
        rows = K.grow_rows(rows, n_rows, 2 * rows.occ.shape[0] + E.MAX_HOPS + 2)
    n_rows = int(st.counters[K.C_ROWS])
    _ROWS_PER_PATIENT[model] = n_rows / max(N, 1)
    scheduled_end = K.scheduled_ends(heap, rows, n_rows)  # R37, read off the final heap
    visits = rows.vis[:n_rows]
    if rows.vis.shape[0] > 1.5 * n_rows:
        visits = visits.copy()  # do not keep a mostly empty buffer alive
    status = int(st.counters[K.C_STATUS])
    return {
        "visits": visits,
        "scheduled_end": scheduled_end,
        "areas": st.areas.reshape(model.n_services, 4, model.n_hours),
        "final": st.si[[K.SI_SERVING, K.SI_HOLDING, K.SI_QUEUE, K.SI_PENDING]].T.copy(),
        "arrived": int(st.counters[K.C_ARRIVED]),
        "exited": int(st.counters[K.C_EXITED]),
        "events": int(st.counters[K.C_EVENTS]),
        "status": status,
        "end_time": float(model.horizon if status == E.STATUS_OK else st.clock[0]),
        "deadlock_services": (
            [int(i) for i in np.flatnonzero(st.deadlock_mask)] if status == E.STATUS_DEADLOCK else []
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
    ``engine``: "numba" (the product) or "simpy" (the readable twin). The model (and ``draws``
    if given) are validated first and a ModelError names what is wrong: the kernel does no
    bounds checking. With ``check`` (the default) conservation is verified and a deadlock or
    routing loop raises an EngineError.
    """
    if engine not in ENGINES:
        raise EngineError(f"engine must be one of {ENGINES}, got {engine!r}")
    model.validate()
    check_pools(model)
    if draws is None:
        draws = draw(model, seed, replication)
    else:
        _check_draws(model, draws)
    raw = _run_numba(model, draws) if engine == "numba" else _twin()(model, draws)
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
        scheduled_end=raw["scheduled_end"],
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
                deadlock_names,
                result.end_time,
                result,
            )
        if status == "routing_loop":
            raise EngineError(
                f"routing loop at t={result.end_time:.1f} min: a patient began more than 1000 "
                "visits without time passing (turned-away routes, or routes between services "
                "with zero service times, form a cycle)"
            )
        result.check_conservation()
    return result
