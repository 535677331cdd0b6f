"""One unit of batch work: one replication of one scenario variant -> its KPI table.

A scenario variant is a merged scenario document (``extends`` resolved) plus overrides at
dotted paths (:mod:`simcare.batch.overrides`). :func:`prepare_scenario` validates it (and applies
its levers) exactly as ``load_scenario`` does for a file, so a variant without overrides has the
same scenario hash as its file. :func:`run_replication` is the plain function for one run
(calibration uses it); :func:`run_task` runs a :class:`Task` of a batch plan on a backend.

Validating and compiling are done once per scenario per worker process: compiled scenarios are
kept in a small cache keyed by scenario hash, so the replications of a variant that land on the
same worker share one compilation.
"""

from __future__ import annotations

import os
import socket
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simcare._version import __version__
from simcare.scenario.compile import CompiledScenario, compile_scenario
from simcare.scenario.document import PathError, apply_overrides
from simcare.scenario.errors import ScenarioError
from simcare.scenario.load import load_scenario_data
from simcare.scenario.schema import Scenario
from simcare.scenario.validate import scenario_hash, validate_scenario

__all__ = ["KPI_COLUMNS", "PROVENANCE_COLUMNS", "Task", "TaskResult", "compiled", "prepare_scenario",
           "run_replication", "run_task"]

KPI_COLUMNS = ("kpi", "group", "period", "value", "unit")
PROVENANCE_COLUMNS = ("scenario", "replication", "scenario_hash", "seed", "engine", "version")
CACHE_SIZE = 8  # compiled scenarios kept per worker process


def _overridden(document: Mapping[str, Any], overrides: Mapping[str, Any] | None, source: str,
                ) -> dict[str, Any]:
    try:
        return apply_overrides(document, overrides or {})
    except PathError as exc:
        path = str(exc).split(":", 1)[0]
        raise ScenarioError(source, [(path, str(exc).split(": ", 1)[-1])]) from None


def prepare_scenario(document: Mapping[str, Any] | str | os.PathLike[str],
                     overrides: Mapping[str, Any] | None = None, source: str | None = None,
                     parameter_set: int | None = None) -> tuple[Scenario, str]:
    """Validate a scenario document (or file) with ``overrides`` set, apply its levers;
    returns (scenario, scenario hash). Raises ScenarioError naming ``source`` and every problem
    (an override path that does not fit is reported as a problem at that path).

    ``parameter_set``: apply that row of the document's ``parameter_sets`` first (multipliers of
    the document's values, :mod:`simcare.scenario.sets`), then the overrides, whose exact values
    win; a row of ones changes nothing, so set 0 of a fitted overlay gives the file's scenario."""
    from simcare.scenario.levers import apply_levers

    if isinstance(document, (str, os.PathLike)):
        source = source or os.fspath(document)
        document = load_scenario_data(document)
    source = source or "<scenario>"
    data = _overridden(document, overrides, source)
    validated = validate_scenario(data, source)
    if parameter_set is not None:
        from simcare.scenario.sets import apply_parameter_set, is_identity

        spec = validated.parameter_sets
        if spec is None:
            raise ScenarioError(source, [("parameter_sets", "missing: parameter set "
                                          f"{parameter_set} was asked for")])
        changed = apply_parameter_set(document, spec, parameter_set, source)
        if not is_identity(spec.sets[parameter_set]):
            validated = validate_scenario(_overridden(changed, overrides, source), source)
    scenario = apply_levers(validated, source)
    return scenario, scenario_hash(scenario)


_CACHE: OrderedDict[str, CompiledScenario] = OrderedDict()


def compiled(scenario: Scenario, digest: str, source: str = "<scenario>") -> CompiledScenario:
    """The compiled scenario of ``digest`` from this process's cache, compiling it on a miss
    (least recently used entries are dropped beyond CACHE_SIZE)."""
    hit = _CACHE.get(digest)
    if hit is not None:
        _CACHE.move_to_end(digest)
        return hit
    cs = compile_scenario(scenario, source)
    _CACHE[digest] = cs
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return cs


def _with_provenance(table: pd.DataFrame, scenario: str, replication: int, digest: str, seed: int,
                     engine: str) -> pd.DataFrame:
    """``table`` (kpi, group, period, value, unit) with the provenance columns first."""
    out = pd.DataFrame({
        "scenario": pd.Series([scenario] * len(table), dtype=object),
        "replication": pd.Series([replication] * len(table), dtype="int64"),
        "scenario_hash": pd.Series([digest] * len(table), dtype=object),
        "seed": pd.Series([seed] * len(table), dtype="int64"),
        "engine": pd.Series([engine] * len(table), dtype=object),
        "version": pd.Series([__version__] * len(table), dtype=object),
    })
    for col in KPI_COLUMNS:
        out[col] = table[col].to_numpy(dtype="float64" if col == "value" else object)
    return out


def _simulate(cs: CompiledScenario, replication: int, seed: int, engine: str, keep_visits: bool,
              ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    from simcare.engine import run
    from simcare.kpi.uec import uec_measures

    result = run(cs.model, seed=seed, replication=replication, engine=engine)  # type: ignore[arg-type]
    kpis = uec_measures(result, cs)
    return kpis, (result.visits_frame() if keep_visits else None)


def run_replication(scenario: Mapping[str, Any] | str | os.PathLike[str],
                    overrides: Mapping[str, Any] | None = None, replication: int = 0,
                    seed: int | None = None, engine: str = "numba", name: str | None = None,
                    ) -> pd.DataFrame:
    """Tidy KPI table of one replication of a scenario document or file with ``overrides``.

    ``seed``: the master seed (default: the scenario's ``run.seed``); replication ``r`` draws
    from the streams (seed, r), the same in every variant (common random numbers). ``name``: the
    ``scenario`` column (default: the scenario's name). Columns: scenario, replication,
    scenario_hash, seed, engine, version, kpi, group, period, value, unit.
    """
    source = os.fspath(scenario) if isinstance(scenario, (str, Path)) else None
    sc, digest = prepare_scenario(scenario, overrides, source)
    cs = compiled(sc, digest, source or "<scenario>")
    master = cs.seed if seed is None else seed
    kpis, _ = _simulate(cs, replication, master, engine, keep_visits=False)
    return _with_provenance(kpis, name or cs.name, replication, digest, master, engine)


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
    raises; the batch runner records it as the task's error."""
    started = time.perf_counter()
    digest = task.scenario_hash
    cs = _CACHE.get(digest)
    if cs is None:  # first task of this variant here: validate (and check the hash), compile
        sc, digest = prepare_scenario(task.document, task.overrides, task.source, task.parameter_set)
        if digest != task.scenario_hash:
            raise ScenarioError(task.source, [("", f"the scenario of task {task.key} changed: hash "
                                                   f"{digest[:12]} here, {task.scenario_hash[:12]} in "
                                                   "the plan (different simcare versions?)")])
        cs = compiled(sc, digest, task.source)
    else:
        _CACHE.move_to_end(digest)
    kpis, visits = _simulate(cs, task.replication, task.seed, task.engine, task.keep_visits)
    table = _with_provenance(kpis, task.scenario, task.replication, digest, task.seed, task.engine)
    return TaskResult(task.key, table, visits, time.perf_counter() - started,
                      f"{socket.gethostname()}:{os.getpid()}")
