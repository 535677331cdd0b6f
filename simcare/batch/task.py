"""One unit of batch work: one replication of one scenario variant -> its KPI table.

A scenario variant is a merged scenario document (``extends`` resolved) plus overrides at
dotted paths (:mod:`simcare.scenario.document`); :func:`simcare.pipeline.prepare` validates it
exactly as ``load_scenario`` does for a file, so a variant without overrides has the same scenario
hash as its file. :func:`run_replication` is the plain function for one run; :func:`run_task`
runs a :class:`Task` of a batch plan on a backend.

Validating and compiling are done once per scenario per worker process
(:func:`simcare.pipeline.compiled`, keyed by scenario hash), so the replications of a variant that
land on the same worker share one compilation.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simcare.pipeline import replicate

__all__ = ["Task", "TaskResult", "run_replication", "run_task"]


def run_replication(
    scenario: Mapping[str, Any] | str | os.PathLike[str],
    overrides: Mapping[str, Any] | None = None,
    replication: int = 0,
    seed: int | None = None,
    engine: str = "numba",
    name: str | None = None,
) -> pd.DataFrame:
    """Tidy KPI table of one replication of a scenario document or file with ``overrides``.

    ``seed``: the master seed (default: the scenario's ``run.seed``); replication ``r`` draws
    from the streams (seed, r), the same in every variant (common random numbers). ``name``: the
    ``scenario`` column (default: the scenario's name). Columns: scenario, replication,
    scenario_hash, seed, engine, version, kpi, group, period, value, unit.
    """
    source = os.fspath(scenario) if isinstance(scenario, (str, Path)) else None
    return replicate(scenario, replication, seed, engine, overrides=overrides, source=source, name=name).kpis


@dataclass(frozen=True)
class Task:
    """One replication of one scenario variant of a batch plan.

    key: unique within the plan (``p00003-r0001``: variant 3, replication 1); also the name of
    its result file. scenario: the label in the ``scenario`` column. document: the merged
    scenario document (``extends`` resolved) before overrides; source: the file it came from
    (for messages). overrides: dotted path -> value. scenario_hash: hash of the validated
    variant (checked again by the worker). seed: master seed. keep_visits: also return the visit
    table. parameter_set: the row of the document's ``parameter_sets`` this replication uses
    (None: no drawing); ``scenario_hash`` is then that set's variant's hash.
    """

    key: str
    scenario: str
    document: Mapping[str, Any] = field(repr=False)
    source: str
    overrides: Mapping[str, Any]
    scenario_hash: str
    replication: int
    seed: int
    engine: str = "numba"
    keep_visits: bool = False
    parameter_set: int | None = None


@dataclass(frozen=True)
class TaskResult:
    """What a worker sends back: the KPI table (with provenance), the visit table if asked for,
    the task's wall time in seconds and where it ran (``host:pid``)."""

    key: str
    kpis: pd.DataFrame
    visits: pd.DataFrame | None
    seconds: float
    worker: str


def run_task(task: Task) -> TaskResult:
    """Run one task (top-level and picklable, for every backend). Raises whatever the run
    raises (ScenarioError if the variant's hash is not the plan's); the batch runner records it
    as the task's error."""
    started = time.perf_counter()
    rep = replicate(
        task.document,
        task.replication,
        task.seed,
        task.engine,
        overrides=task.overrides,
        source=task.source,
        parameter_set=task.parameter_set,
        expected_hash=task.scenario_hash,
        what=f"the scenario of task {task.key}",
        name=task.scenario,
        visits=task.keep_visits,
    )
    return TaskResult(
        task.key, rep.kpis, rep.visits, time.perf_counter() - started, f"{socket.gethostname()}:{os.getpid()}"
    )
