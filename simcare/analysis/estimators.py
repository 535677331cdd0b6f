"""Per-replication estimators computed from a RunResult, and a replication driver.

Times are minutes (as in the visit table) unless a name says hours. Window arguments
``[start, end)`` select visits by their ``arrival`` time at the service. Estimators that need a
visit's outcome (wait, sojourn) raise ValueError when a selected visit is still open at the end
of the run, rather than silently dropping it (which would bias the estimate down): end the
window early enough before the horizon.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simcare.engine import EngineName, run
from simcare.engine.result import RunResult
from simcare.model.compiled import CompiledModel
from simcare.model.enums import OUT_TURNED_AWAY


def service_index(result: RunResult, service: str | int) -> int:
    """Index of a service given by name or index."""
    if isinstance(service, str):
        if service not in result.service_names:
            raise KeyError(f"unknown service {service!r}; known: {list(result.service_names)}")
        return result.service_names.index(service)
    return int(service)


def in_window(result: RunResult, service: str | int | None, start: float, end: float) -> np.ndarray:
    """Boolean mask of visits (to ``service``, or to any service if None) arriving in
    [start, end) minutes."""
    v = result.visits
    mask = (v["arrival"] >= start) & (v["arrival"] < end)
    if service is not None:
        mask &= v["service"] == service_index(result, service)
    return np.asarray(mask)


def mean_wait(result: RunResult, service: str | int, start: float, end: float) -> float:
    """Mean time in queue (minutes, start - arrival) of the visits to ``service`` arriving in
    [start, end) that were neither turned away nor abandoned."""
    v = result.visits[in_window(result, service, start, end)]
    if (np.isnan(v["start"]) & np.isnan(v["departure"])).any():
        raise ValueError("some selected visits are still waiting at the end of the run")
    served = v[~np.isnan(v["start"])]
    if served.shape[0] == 0:
        raise ValueError("no served visit in the window")
    return float(np.mean(served["start"] - served["arrival"]))


def wait_probability(result: RunResult, service: str | int, start: float, end: float) -> float:
    """Fraction of the visits to ``service`` arriving in [start, end) that did not start
    service on arrival (waited a positive time, or never started)."""
    v = result.visits[in_window(result, service, start, end)]
    if v.shape[0] == 0:
        raise ValueError("no visit in the window")
    waited = np.isnan(v["start"]) | (v["start"] > v["arrival"])
    return float(np.mean(waited))


def loss_fraction(result: RunResult, service: str | int, start: float, end: float) -> float:
    """Fraction of the visits to ``service`` arriving in [start, end) that were turned away
    because the queue was full (OUT_TURNED_AWAY)."""
    v = result.visits[in_window(result, service, start, end)]
    if v.shape[0] == 0:
        raise ValueError("no visit in the window")
    return float(np.mean(v["outcome"] == OUT_TURNED_AWAY))


def visit_sojourns(result: RunResult, service: str | int, start: float, end: float) -> np.ndarray:
    """Time at ``service`` (minutes, departure - arrival) of each visit arriving in
    [start, end); raises if one has not departed by the end of the run."""
    v = result.visits[in_window(result, service, start, end)]
    if np.isnan(v["departure"]).any():
        raise ValueError("some selected visits had not departed by the end of the run")
    return np.asarray(v["departure"] - v["arrival"])


def patient_sojourns(result: RunResult, start: float, end: float) -> np.ndarray:
    """Time in the modelled system (minutes, last departure - first arrival) of each patient
    whose first arrival is in [start, end); raises if one is still inside at the end."""
    v = result.visits
    order = np.argsort(v["patient"], kind="stable")
    pid = v["patient"][order]
    first = np.ones(pid.shape[0], dtype=np.bool_)
    first[1:] = pid[1:] != pid[:-1]
    starts = np.flatnonzero(first)
    arrival = np.minimum.reduceat(v["arrival"][order], starts)
    dep = v["departure"][order]
    if np.isnan(dep).any():
        open_patients = np.unique(pid[np.isnan(dep)])
        still = np.isin(pid[starts], open_patients)
    else:
        still = np.zeros(starts.shape[0], dtype=np.bool_)
    departure = np.fmax.reduceat(dep, starts)
    sel = (arrival >= start) & (arrival < end)
    if (sel & still).any():
        raise ValueError("some selected patients were still inside at the end of the run")
    return np.asarray(departure[sel] - arrival[sel])


def hour_lengths(result: RunResult) -> np.ndarray:
    """Simulated minutes in each hour of the run (60, except a partial last hour)."""
    H = result.in_service.shape[1]
    edges = np.arange(H + 1) * 60.0
    return np.clip(np.minimum(edges[1:], result.end_time) - edges[:-1], 0.0, 60.0)


def number_present(result: RunResult) -> np.ndarray:
    """Hourly time-average number of patients at each service, (S, H): in service plus waiting
    plus blocked after service."""
    return np.asarray(result.in_service + result.waiting + result.blocked)


def replicate(
    model: CompiledModel,
    estimator: Callable[[RunResult], float | np.ndarray],
    replications: int,
    seed: int,
    *,
    engine: EngineName = "numba",
) -> np.ndarray:
    """Run replications 0 .. replications - 1 of ``model`` with ``seed`` and stack
    ``estimator(result)`` of each: shape (replications,) or (replications, ...)."""
    out = [
        np.asarray(estimator(run(model, seed=seed, replication=r, engine=engine)), dtype=np.float64)
        for r in range(replications)
    ]
    return np.stack(out)
