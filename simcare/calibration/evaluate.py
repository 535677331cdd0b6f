"""Simulating calibration points on a batch backend, with common random numbers.

A task is one (scenario document, replication): the worker validates and compiles the document,
runs replication ``r`` of the master seed (so every point uses the same random streams for the
same ``r``: common random numbers) and returns the monthly rows of the KPI table for the KPIs
asked for. :func:`simulate_docs` spreads the tasks of many points over a batch backend
(:mod:`simcare.batch.backends`: in this process, a process pool or Dask; ``map`` yields
``(index, result or exception)`` as tasks complete) and shows progress.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from simcare.batch.backends import Backend
from simcare.errors import SimcareError


@dataclass(frozen=True)
class Task:
    doc: dict[str, Any]
    seed: int
    replication: int
    kpis: tuple[str, ...]


class PointError(SimcareError):
    """A calibration point failed in a worker (the original error's text; picklable)."""


def run_task(task: Task) -> pd.DataFrame:
    """Monthly KPI rows (``kpi, group, period, value``) of one replication of ``task.doc``.

    Any :class:`SimcareError` comes back as a :class:`PointError` with the same text, since some
    error classes cannot cross a process boundary."""
    try:
        return _run_task(task)
    except SimcareError as exc:
        raise PointError(f"{type(exc).__name__}: {exc}") from None


def _run_task(task: Task) -> pd.DataFrame:
    from simcare.engine import run
    from simcare.kpi.uec import uec_measures
    from simcare.scenario.compile import compile_scenario
    from simcare.scenario.levers import apply_levers
    from simcare.scenario.validate import validate_scenario

    scenario = apply_levers(validate_scenario(task.doc, "<calibration point>"), "<calibration point>")
    cs = compile_scenario(scenario, "<calibration point>")
    result = run(cs.model, seed=task.seed, replication=task.replication)
    table = uec_measures(result, cs)
    monthly = table[
        (table["period"] != "run") & (table["period"].str.len() == 7) & table["kpi"].isin(task.kpis)
    ]
    return monthly[["kpi", "group", "period", "value"]].reset_index(drop=True)


def simulate_docs(
    backend: Backend,
    docs: Sequence[dict[str, Any]],
    replications: Sequence[int],
    seed: int,
    kpis: Sequence[str],
    label: str = "runs",
    progress: bool = True,
) -> list[list[pd.DataFrame]]:
    """Run every document for every replication; ``out[i][j]`` = doc i, replication j.

    Raises :class:`SimcareError` naming the point and replication if any task fails.
    """
    tasks = [Task(doc, seed, r, tuple(kpis)) for doc in docs for r in replications]
    out: list[list[pd.DataFrame]] = [[pd.DataFrame()] * len(replications) for _ in docs]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), desc=label, unit="run", file=sys.stderr, leave=False)
    try:
        for index, value in backend.map(run_task, tasks):
            if isinstance(value, BaseException):
                point, rep = divmod(index, len(replications))
                raise SimcareError(
                    f"calibration point {point}, replication {replications[rep]}: "
                    f"{type(value).__name__}: {value}"
                ) from value
            point, rep = divmod(index, len(replications))
            out[point][rep] = value
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.close()
    return out
