"""Simulating calibration points on a batch backend, with common random numbers.

A task is one (scenario document, replication): the worker runs replication ``r`` of the master
seed through :func:`simcare.pipeline.replicate` (so every point uses the same random streams for
the same ``r``: common random numbers; a point's document is validated and compiled once per
worker process) and returns the monthly rows of the KPI table for the KPIs asked for.
:func:`simulate_docs` spreads the tasks of many points over a batch backend
(:mod:`simcare.batch.backends`: in this process, a process pool or Dask) with
:func:`simcare.pipeline.map_with_progress`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from simcare.batch.backends import Backend
from simcare.errors import SimcareError
from simcare.pipeline import map_with_progress, replicate


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
    table = replicate(task.doc, task.replication, task.seed, source="<calibration point>").kpis
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
    n = len(replications)
    flat = map_with_progress(
        backend,
        run_task,
        tasks,
        label,
        progress,
        leave=False,
        describe=lambda i: f"calibration point {i // n}, replication {replications[i % n]}",
    )
    return [flat[i * n : (i + 1) * n] for i in range(len(docs))]
