"""The one path from a scenario to its KPIs: prepare -> compile (cached) -> run -> KPIs with provenance.

::

    scenario, digest = prepare("scenarios/bnssg/baseline_winter.yaml", {"ed.bri.cubicles": 40})
    cs, digest = compiled("scenarios/bnssg/baseline_winter.yaml")          # once per process
    rep = replicate("scenarios/bnssg/baseline_winter.yaml", replication=0, seed=2025)
    rep.kpis                                                               # tidy, with provenance

* :func:`prepare`: a scenario document (``extends`` resolved) or file, ``overrides`` at dotted
  paths, optionally one row of its ``parameter_sets``; validated once, levers applied; returns the
  :class:`~simcare.scenario.schema.Scenario` and its scenario hash. Prepared variants are kept per
  process (keyed by the input), so the replications of a variant validate it once.
* :func:`compiled`: the compiled scenario from one LRU cache per process keyed by scenario hash
  (a variant that changes nothing shares the file's compilation).
* :func:`replicate`: one replication -> the tidy KPI table with provenance columns
  (:data:`PROVENANCE_COLUMNS` then :data:`KPI_COLUMNS`), optionally the daily warm-up series and
  the visit table. Replication ``r`` draws from the streams (seed, r) in every variant (common
  random numbers).
* :func:`map_with_progress` / :func:`imap_with_progress`: a function over items on a backend
  (anything with the ``map`` of :class:`simcare.batch.backends.Backend`) with a tqdm bar on stderr.
* :func:`run_files`: replications of several scenario files under one master seed, as a
  :class:`RunSet` (what ``simcare run`` and ``compare`` report).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pandas as pd
from pydantic import ValidationError
from tqdm import tqdm

from simcare._version import __version__
from simcare.analysis.overload import Overload, overloaded, queue_evidence
from simcare.analysis.warmup import daily_state_series
from simcare.engine import run
from simcare.errors import SimcareError
from simcare.kpi.levels import group_levels, kpi_labels, period_kinds
from simcare.kpi.uec import uec_measures
from simcare.model import services
from simcare.scenario.calibrated import Calibration, fitted_overlay
from simcare.scenario.compile import CompiledScenario, compile_scenario
from simcare.scenario.document import PathError, apply_overrides
from simcare.scenario.errors import ScenarioError
from simcare.scenario.labels import group_labels
from simcare.scenario.levers import apply_levers
from simcare.scenario.load import load_scenario, load_scenario_data
from simcare.scenario.schema import ParameterSetsSpec, Scenario
from simcare.scenario.sets import apply_parameter_set, drawn_sets, set_for
from simcare.scenario.size import RunSize, check_size
from simcare.scenario.validate import scenario_hash, validate_scenario

__all__ = [
    "CACHE_SIZE",
    "KPI_COLUMNS",
    "MEASURE_COLUMNS",
    "PROVENANCE_COLUMNS",
    "RUN_COLUMNS",
    "TIDY_COLUMNS",
    "Mapper",
    "Replication",
    "RunSet",
    "RunSize",
    "ScenarioInfo",
    "check",
    "compile_cached",
    "compiled",
    "imap_with_progress",
    "map_with_progress",
    "prepare",
    "replicate",
    "run_files",
    "runs_table",
    "scenario_info",
    "split_runs",
]

T = TypeVar("T")
R = TypeVar("R")

Document = Mapping[str, Any] | str | os.PathLike[str]

#: the measure columns of one replication's KPI table: the KPI and its label (for people), the
#: group with its level and name (:func:`simcare.kpi.levels.group_level`), the period with its
#: kind (run, month, day), the value and its unit
KPI_COLUMNS = ("kpi", "label", "level", "name", "group", "period", "period_kind", "value", "unit")
#: what identifies a replication's rows and where they came from
PROVENANCE_COLUMNS = ("scenario", "replication", "scenario_hash", "seed", "engine", "version")
#: what names a row: one per (scenario, replication, kpi, group, period)
MEASURE_COLUMNS = ["scenario", "replication", *KPI_COLUMNS]
#: the run lookup (``runs.csv``), one row per (scenario, replication): join it to the measures on
#: (scenario, replication). parameter_set: the row of the scenario's parameter_sets the
#: replication used (empty when none was drawn)
RUN_COLUMNS = ["scenario", "replication", "parameter_set", "scenario_hash", "seed", "engine", "version"]
#: column order of a :class:`RunSet` table in memory: the measures, then the provenance the
#: analysis and the report check (equal seeds for pairing; versions, hashes for the report)
TIDY_COLUMNS = [*MEASURE_COLUMNS, "scenario_hash", "seed", "engine", "version"]
CACHE_SIZE = 64  # prepared and compiled scenarios kept per process (7 files x 8 parameter sets fit)


# --- prepare: document -> overrides -> parameter set -> validate -> levers ----------------------


def _overridden(
    document: Mapping[str, Any],
    overrides: Mapping[str, Any] | None,
    source: str,
) -> dict[str, Any]:
    """A copy of ``document`` with ``overrides`` set; a path that does not fit is a ScenarioError
    naming ``source`` and the path."""
    try:
        return apply_overrides(document, overrides or {})
    except PathError as exc:
        path = str(exc).split(":", 1)[0]
        raise ScenarioError(source, [(path, str(exc).split(": ", 1)[-1])]) from None


def _section_alone(data: Mapping[str, Any]) -> ParameterSetsSpec | None:
    """The ``parameter_sets`` section of a document when it is valid on its own, else None (then
    the full validation reports what is wrong)."""
    section = data.get("parameter_sets")
    if not isinstance(section, Mapping):
        return None
    try:
        return ParameterSetsSpec.model_validate(section)
    except ValidationError:
        return None


def _validated(
    document: Mapping[str, Any], overrides: Mapping[str, Any] | None, source: str, parameter_set: int | None
) -> Scenario:
    """``document`` with parameter set ``parameter_set`` applied (multipliers of its values), then
    ``overrides`` (whose exact values win), validated once. Problems are reported as before
    the set was applied when the document with the overrides has any, else those of the set
    (a document invalid only where the set then changes it is accepted)."""
    data = _overridden(document, overrides, source)
    if parameter_set is None:
        return validate_scenario(data, source)
    spec = _section_alone(data)
    if spec is None:  # no section, or not valid on its own: validation says what is wrong
        validated = validate_scenario(data, source)
        if validated.parameter_sets is None:
            raise ScenarioError(
                source, [("parameter_sets", f"missing: parameter set {parameter_set} was asked for")]
            )
        changed = apply_parameter_set(document, validated.parameter_sets, parameter_set, source)
    else:
        try:
            changed = apply_parameter_set(document, spec, parameter_set, source)
        except ScenarioError:
            validate_scenario(data, source)  # the document's own problems come first
            raise
    try:
        return validate_scenario(_overridden(changed, overrides, source), source)
    except ScenarioError:
        validate_scenario(data, source)  # the document's own problems come first
        raise


def _memo_key(
    document: Document,
    overrides: Mapping[str, Any] | None,
    source: str | None,
    parameter_set: int | None,
    allow_outside: bool = False,
) -> str:
    what = ("file", os.fspath(document)) if isinstance(document, (str, os.PathLike)) else document
    key = (what, overrides, source, parameter_set) + ((True,) if allow_outside else ())
    return hashlib.sha256(repr(key).encode()).hexdigest()


_PREPARED: OrderedDict[str, tuple[Scenario, str]] = OrderedDict()
_CACHE: OrderedDict[str, CompiledScenario] = OrderedDict()


def _remember(cache: OrderedDict[str, Any], key: str, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)


def prepare(
    document_or_path: Document,
    overrides: Mapping[str, Any] | None = None,
    source: str | None = None,
    parameter_set: int | None = None,
    *,
    allow_outside: bool = False,
) -> tuple[Scenario, str]:
    """Validate a scenario document (or file) with ``overrides`` set, apply its levers; returns
    (scenario, scenario hash). Raises ScenarioError naming ``source`` (default: the file, or
    ``<scenario>``) and every problem; an override path that does not fit is a problem at that
    path. A file without overrides or parameter set reads as :func:`load_scenario` reads it
    (problems name their lines), so it has the same hash as any variant that changes nothing.

    ``parameter_set``: apply that row of the document's ``parameter_sets`` first (multipliers of
    the document's values, :mod:`simcare.scenario.sets`), then the overrides, whose exact values
    win; a row of ones changes nothing, so set 0 of a fitted overlay gives the file's scenario.

    The document is validated once per variant and process: the result is kept (up to
    CACHE_SIZE variants, keyed by the input), so the replications of a variant share it.

    ``allow_outside``: a file may extend files outside its project root
    (:func:`simcare.scenario.load.load_scenario_data`)."""
    key = _memo_key(document_or_path, overrides, source, parameter_set, allow_outside)
    hit = _PREPARED.get(key)
    if hit is not None:
        _PREPARED.move_to_end(key)
        return hit
    if isinstance(document_or_path, (str, os.PathLike)):
        source = source or os.fspath(document_or_path)
        if not overrides and parameter_set is None:
            scenario = load_scenario(document_or_path, allow_outside=allow_outside)
            check_size(scenario, source)
            _remember(_PREPARED, key, (scenario, scenario_hash(scenario)))
            return _PREPARED[key]
        document: Mapping[str, Any] = load_scenario_data(document_or_path, allow_outside=allow_outside)
    else:
        document = document_or_path
    source = source or "<scenario>"
    scenario = apply_levers(_validated(document, overrides, source, parameter_set), source)
    check_size(scenario, source)
    _remember(_PREPARED, key, (scenario, scenario_hash(scenario)))
    return _PREPARED[key]


def check(path: str | os.PathLike[str], *, allow_outside: bool = False) -> tuple[Scenario, str, RunSize]:
    """Everything a run of the file checks before it simulates, for ``simcare validate``: the
    file is read and validated (problems with their lines), its levers applied, its size
    estimated (:mod:`simcare.scenario.size`), it is compiled, and each of its parameter sets is
    applied and validated in turn (a set whose multipliers take a value out of bounds is a
    problem named ``with parameter set i``). Returns (scenario, scenario hash, size of one
    replication); raises ScenarioError naming the file. ``allow_outside``: as for
    :func:`prepare`."""
    source = os.fspath(path)
    scenario, digest = prepare(path, allow_outside=allow_outside)
    compile_cached(scenario, digest, source)
    problems: list[tuple[str, str]] = []
    for i in range(len(scenario.parameter_sets.sets) if scenario.parameter_sets is not None else 0):
        try:
            prepare(path, parameter_set=i, allow_outside=allow_outside)
        except ScenarioError as exc:
            problems += [(p, f"with parameter set {i}: {m}") for p, m in exc.problems]
    if problems:
        raise ScenarioError(source, problems)
    return scenario, digest, check_size(scenario, source)


# --- compile, once per scenario hash and process ------------------------------------------------


def compile_cached(scenario: Scenario, digest: str, source: str = "<scenario>") -> CompiledScenario:
    """The compiled ``scenario`` (whose hash is ``digest``) from this process's cache, compiling
    it on a miss (least recently used entries are dropped beyond CACHE_SIZE)."""
    hit = _CACHE.get(digest)
    if hit is not None:
        _CACHE.move_to_end(digest)
        return hit
    cs = compile_scenario(scenario, source)
    _remember(_CACHE, digest, cs)
    return cs


def compiled(
    document_or_path: Document,
    overrides: Mapping[str, Any] | None = None,
    source: str | None = None,
    parameter_set: int | None = None,
    *,
    expected_hash: str | None = None,
    what: str = "the scenario",
    allow_outside: bool = False,
) -> tuple[CompiledScenario, str]:
    """(compiled scenario, scenario hash) of a variant (arguments as :func:`prepare`), from the
    per-process cache keyed by scenario hash.

    ``expected_hash``: the hash the caller planned with; a cached compilation of it is used
    without preparing anything, and a variant whose hash differs raises ScenarioError (``what``
    names it, e.g. "the scenario of task p00000-r0001")."""
    if expected_hash is not None and expected_hash in _CACHE:
        _CACHE.move_to_end(expected_hash)
        return _CACHE[expected_hash], expected_hash
    scenario, digest = prepare(
        document_or_path, overrides, source, parameter_set, allow_outside=allow_outside
    )
    shown = source or (
        os.fspath(document_or_path) if isinstance(document_or_path, (str, os.PathLike)) else "<scenario>"
    )
    if expected_hash is not None and digest != expected_hash:
        raise ScenarioError(
            shown,
            [
                (
                    "",
                    f"{what} changed: hash {digest[:12]} here, "
                    f"{expected_hash[:12]} when it was planned "
                    "(different simcare versions?)",
                )
            ],
        )
    return compile_cached(scenario, digest, shown), digest


# --- one replication -> tidy KPIs with provenance -----------------------------------------------


@dataclass(frozen=True)
class Replication:
    """What one replication gives. kpis: PROVENANCE_COLUMNS then KPI_COLUMNS, one row per
    (kpi, group, period); daily: the warm-up series (scenario, replication, series, day, date,
    value; :func:`simcare.analysis.warmup.daily_state_series`) or None; visits: the visit table
    (:meth:`simcare.engine.result.RunResult.visits_frame`) or None; queues: the queue evidence
    (scenario, replication, then :func:`simcare.analysis.overload.queue_evidence`), with the
    daily series, or None."""

    kpis: pd.DataFrame
    daily: pd.DataFrame | None = None
    visits: pd.DataFrame | None = None
    queues: pd.DataFrame | None = None


def _with_provenance(
    table: pd.DataFrame,
    cs: CompiledScenario,
    scenario: str,
    replication: int,
    digest: str,
    seed: int,
    engine: str,
) -> pd.DataFrame:
    """``table`` (kpi, group, period, value, unit of :func:`~simcare.kpi.uec.uec_measures`) with
    the provenance columns first and the label, level, name and period kind added
    (:data:`KPI_COLUMNS` order)."""
    n = len(table)
    columns: dict[str, Any] = {
        "scenario": pd.Series([scenario] * n, dtype=object),
        "replication": pd.Series([replication] * n, dtype="int64"),
        "scenario_hash": pd.Series([digest] * n, dtype=object),
        "seed": pd.Series([seed] * n, dtype="int64"),
        "engine": pd.Series([engine] * n, dtype=object),
        "version": pd.Series([__version__] * n, dtype=object),
    }
    level, name = group_levels(table["group"].to_numpy(dtype=object), cs)
    derived = {
        "label": kpi_labels(table["kpi"].to_numpy(dtype=object)),
        "level": level,
        "name": name,
        "period_kind": period_kinds(table["period"].to_numpy(dtype=object)),
    }
    for col in KPI_COLUMNS:
        columns[col] = derived[col] if col in derived else table[col].array  # no index to align
    return pd.DataFrame(columns)  # one frame at once: no column-by-column inserts (issue 15)


def replicate(
    document_or_path: Document,
    replication: int,
    seed: int | None = None,
    engine: str = "numba",
    *,
    overrides: Mapping[str, Any] | None = None,
    source: str | None = None,
    parameter_set: int | None = None,
    expected_hash: str | None = None,
    what: str = "the scenario",
    name: str | None = None,
    daily: bool = False,
    visits: bool = False,
    allow_outside: bool = False,
) -> Replication:
    """One replication of a variant (arguments as :func:`compiled`).

    ``seed``: the master seed (default: the scenario's ``run.seed``); replication ``r`` draws
    from the streams (seed, r), the same in every variant. ``name``: the ``scenario`` column
    (default: the scenario's name). ``daily`` / ``visits``: also return the daily warm-up series
    / the visit table; ``daily`` also gives the queue evidence of overloaded services."""
    cs, digest = compiled(
        document_or_path,
        overrides,
        source,
        parameter_set,
        expected_hash=expected_hash,
        what=what,
        allow_outside=allow_outside,
    )
    master = cs.seed if seed is None else seed
    result = run(cs.model, seed=master, replication=replication, engine=engine)  # type: ignore[arg-type]
    label = name or cs.name
    kpis = _with_provenance(uec_measures(result, cs), cs, label, replication, digest, master, engine)
    series = queues = None
    if daily:
        series = daily_state_series(result, cs)
        series.insert(0, "replication", replication)
        series.insert(0, "scenario", label)
        queues = queue_evidence(result, cs)
        queues.insert(0, "replication", replication)
        queues.insert(0, "scenario", label)
    return Replication(kpis, series, result.visits_frame() if visits else None, queues)


def runs_table(
    table: pd.DataFrame, parameter_sets: Mapping[tuple[str, int], int | None] | None = None
) -> pd.DataFrame:
    """The run lookup (:data:`RUN_COLUMNS`) of a table with provenance columns: one row per
    (scenario, replication), in the table's order of first appearance. ``parameter_sets``:
    (scenario, replication) -> the parameter set it used (missing or None: none drawn).
    SimcareError if a (scenario, replication) has rows with two different provenances."""
    missing = [c for c in PROVENANCE_COLUMNS if c not in table.columns]
    if missing:
        raise SimcareError(f"the table has no provenance columns {', '.join(missing)}")
    runs = table[list(PROVENANCE_COLUMNS)].drop_duplicates(ignore_index=True)
    if runs.duplicated(["scenario", "replication"]).any():
        raise SimcareError("a replication of the table has rows of two different runs")
    chosen = parameter_sets or {}
    sets = [chosen.get((str(s), int(r))) for s, r in zip(runs["scenario"], runs["replication"], strict=True)]
    runs.insert(2, "parameter_set", pd.Series(sets, dtype="Int64"))
    return runs[RUN_COLUMNS]


def split_runs(
    table: pd.DataFrame, parameter_sets: Mapping[tuple[str, int], int | None] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(measures, runs) of a table with provenance: the measures keep every column but the
    provenance (scenario_hash, seed, engine, version), so grid parameter columns stay; runs is
    :func:`runs_table`. ``measures.merge(runs, on=["scenario", "replication"])`` gives the
    table back (with the parameter_set column)."""
    runs = runs_table(table, parameter_sets)
    dropped = [c for c in PROVENANCE_COLUMNS if c not in ("scenario", "replication")]
    return table.drop(columns=dropped), runs


# --- a function over items on a backend, with a progress bar ------------------------------------


class Mapper(Protocol):
    """What :func:`map_with_progress` needs of a backend (:class:`simcare.batch.backends.Backend`)."""

    def map(self, func: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R | BaseException]]:
        """Yield (index, result-or-exception) as tasks complete."""
        ...


def imap_with_progress(
    backend: Mapper,
    fn: Callable[[T], R],
    items: Sequence[T],
    label: str,
    progress: bool = True,
    *,
    describe: Callable[[int], str] | None = None,
    keep_failures: bool = False,
    done: int = 0,
    failed: int = 0,
    leave: bool = True,
) -> Iterator[tuple[int, R | BaseException]]:
    """Yield ``(index, fn(items[index]))`` in completion order, with a tqdm bar (``label``, one
    step per item) on stderr unless ``progress`` is False.

    A failed item raises SimcareError ``"<describe(index)>: <error type>: <message>"`` (default
    description: "item <index>"), unless ``keep_failures``: then its exception is yielded in place
    of the result and the bar counts failures. ``done`` / ``failed``: items finished / failed
    before (the bar starts there)."""
    bar = tqdm(
        total=done + len(items),
        initial=done,
        desc=label,
        unit="run",
        file=sys.stderr,
        disable=not progress,
        leave=leave,
        dynamic_ncols=True,
        smoothing=0.1,
        postfix={"failed": failed} if keep_failures else None,
    )
    try:
        for index, outcome in backend.map(fn, items):
            if isinstance(outcome, BaseException):
                if not keep_failures:
                    what = describe(index) if describe is not None else f"item {index}"
                    raise SimcareError(f"{what}: {type(outcome).__name__}: {outcome}") from outcome
                failed += 1
                bar.set_postfix(failed=failed, refresh=False)
            bar.update(1)
            yield index, outcome
    finally:
        bar.close()


def map_with_progress(
    backend: Mapper,
    fn: Callable[[T], R],
    items: Sequence[T],
    label: str,
    progress: bool = True,
    *,
    describe: Callable[[int], str] | None = None,
    leave: bool = True,
) -> list[R]:
    """``[fn(item) for item in items]`` on ``backend``, in item order, with a progress bar;
    raises SimcareError naming the first failed item (see :func:`imap_with_progress`)."""
    out: dict[int, R] = {}
    for index, result in imap_with_progress(
        backend, fn, items, label, progress, describe=describe, leave=leave
    ):
        out[index] = result  # type: ignore[assignment]  # failures raise
    return [out[i] for i in range(len(items))]


# --- replications of several scenario files, with provenance -----------------------------------


@dataclass(frozen=True)
class ScenarioInfo:
    """What was run, for the report (STRESS-DES): the file, its name and description, its levers
    as written, the reported window, the warm-up (days) or census start, seed and hash;
    parameter_sets: how many parameter sets its replications draw from (0: none drawn, every
    replication runs the file's values); calibration: the fitted overlay its ``extends`` chain
    reaches (:func:`simcare.scenario.calibrated.fitted_overlay`), None if uncalibrated; labels:
    KPI group name -> the name readers know it by (:func:`simcare.scenario.labels.group_labels`)."""

    file: str
    name: str
    description: str
    levers: dict[str, Any]
    start: dt.date
    end: dt.date
    warm_up_days: int
    census: bool
    seed: int
    scenario_hash: str
    modelled: tuple[str, ...]
    parameter_sets: int = 0
    calibration: Calibration | None = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class RunSet:
    """Replications of one or more scenarios under common random numbers.

    table: tidy KPI table (TIDY_COLUMNS), one row per (scenario, replication, kpi, group, period).
    daily: warm-up series (scenario, replication, series, day, date, value), see
    :func:`simcare.analysis.warmup.daily_state_series`. scenarios: in the order given (the first
    is the base of a comparison). seconds: wall time of the simulations. queues: the queue
    evidence of every replication (:func:`simcare.analysis.overload.queue_evidence` with
    scenario, replication), for :meth:`overloaded`.
    """

    table: pd.DataFrame
    daily: pd.DataFrame
    scenarios: list[ScenarioInfo]
    replications: int
    seed: int
    engine: str
    version: str
    seconds: float
    queues: pd.DataFrame | None = None

    def parameter_sets(self) -> dict[tuple[str, int], int | None]:
        """(scenario, replication) -> the parameter set it used (None: the file's values)."""
        return {
            (i.name, r): set_for(r, i.parameter_sets) if i.parameter_sets else None
            for i in self.scenarios
            for r in range(self.replications)
        }

    @property
    def runs(self) -> pd.DataFrame:
        """The run lookup of the table (:func:`runs_table`), with the parameter sets used."""
        return runs_table(self.table, self.parameter_sets())

    def overloaded(self) -> list[Overload]:
        """The overloaded services of each scenario (:func:`simcare.analysis.overload.overloaded`)."""
        return [] if self.queues is None else overloaded(self.queues)


def _modelled_services(cs: CompiledScenario) -> tuple[str, ...]:
    """Which parts of the urgent-care system the scenario models (by service names)."""
    names = cs.model.service_names
    parts = {
        "111": any(n in services.NHS111 for n in names),
        "ambulance": services.AMBULANCE in names,
        "hubs": bool(cs.hubs),
        "ed": bool(cs.ed_sites),
        "beds": bool(cs.trusts),
        "d2a": any(services.is_kind(n, services.D2A) for n in names),
    }
    return tuple(k for k, v in parts.items() if v)


def scenario_info(
    path: str | Path, parameter_sets: bool = False, *, allow_outside: bool = False
) -> ScenarioInfo:
    """Describe a scenario file (prepares and compiles it; raises ScenarioError if it is invalid).
    ``parameter_sets``: the caller asks to draw parameter sets (SimcareError if the file has
    none); the file's own ``parameter_sets.draw`` draws too. ``allow_outside``: as
    :func:`prepare`."""
    scenario, digest = prepare(path, allow_outside=allow_outside)
    cs = compile_cached(scenario, digest, str(path))
    data = load_scenario_data(path, allow_outside=allow_outside)
    run_section = data.get("run") or {}
    try:
        n = drawn_sets(scenario, parameter_sets)
    except ValueError:
        raise SimcareError(
            f"{path}: --parameter-sets: the scenario has no parameter_sets section "
            "to draw from (docs/calibration.md, 'Parameter uncertainty in runs')"
        ) from None
    return ScenarioInfo(
        file=str(path),
        name=cs.name,
        description=" ".join(str(data.get("description") or "").split()),
        levers=dict(data.get("levers") or {}),
        start=cs.timeline.start,
        end=cs.timeline.end,
        warm_up_days=cs.timeline.warm_up_hours // 24,
        census=bool(run_section.get("census")),
        seed=cs.seed,
        scenario_hash=digest,
        modelled=_modelled_services(cs),
        parameter_sets=n,
        calibration=fitted_overlay(path),
        labels=group_labels(scenario),
    )


def _replicate_job(
    job: tuple[str, int, int, str, int | None, str | None, bool],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(tidy KPI rows in TIDY_COLUMNS order, daily warm-up series, queue evidence) of one (file, replication,
    seed, engine, parameter set, expected hash, allow_outside), for a backend's map (top-level:
    picklable)."""
    path, replication, seed, engine, parameter_set, digest, allow_outside = job
    rep = replicate(
        path,
        replication,
        seed,
        engine,
        parameter_set=parameter_set,
        expected_hash=digest,
        daily=True,
        allow_outside=allow_outside,
    )
    assert rep.daily is not None and rep.queues is not None
    return rep.kpis[TIDY_COLUMNS], rep.daily, rep.queues


def run_files(
    paths: Sequence[str | Path],
    replications: int,
    backend: Mapper,
    seed: int | None = None,
    engine: str = "numba",
    progress: bool = True,
    parameter_sets: bool = False,
    allow_outside: bool = False,
) -> RunSet:
    """Run ``replications`` of every scenario file on ``backend`` with one master seed (the first
    file's unless ``seed`` is given), so replication r of every scenario shares random numbers
    (common random numbers). The result does not depend on the backend. A tqdm progress bar goes
    to stderr unless ``progress`` is False. Every file is checked before anything runs.

    ``parameter_sets``: every file draws from its ``parameter_sets`` (a file whose section says
    ``draw: true`` draws anyway): replication r uses set ``r mod n`` (``ScenarioInfo.parameter_sets``
    is n). ``allow_outside``: files may extend files outside their project root (:func:`prepare`)."""
    if replications < 1:
        raise SimcareError(f"--reps must be at least 1, got {replications}")
    files = [str(p) for p in paths]
    infos = [scenario_info(p, parameter_sets, allow_outside=allow_outside) for p in files]
    names = [i.name for i in infos]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SimcareError(
            f"two files define the same scenario name {', '.join(repeated)}: "
            "give each scenario its own 'name'"
        )
    master = infos[0].seed if seed is None else seed
    jobs = [(i, r) for r in range(replications) for i in range(len(files))]
    args = [
        (
            files[i],
            r,
            master,
            engine,
            set_for(r, infos[i].parameter_sets) if infos[i].parameter_sets else None,
            None if infos[i].parameter_sets else infos[i].scenario_hash,
            allow_outside,
        )
        for i, r in jobs
    ]
    started = time.perf_counter()
    results = map_with_progress(
        backend,
        _replicate_job,
        args,
        "simulating",
        progress,
        describe=lambda k: f"{files[jobs[k][0]]}, replication {jobs[k][1]}",
    )
    seconds = time.perf_counter() - started
    by_job = dict(zip(jobs, results, strict=True))
    ordered = [by_job[i, r] for i in range(len(files)) for r in range(replications)]
    table = pd.concat([k for k, _, _ in ordered], ignore_index=True)
    daily = pd.concat([d for _, d, _ in ordered], ignore_index=True)
    queues = pd.concat([q for _, _, q in ordered], ignore_index=True)
    return RunSet(
        table=table,
        daily=daily,
        scenarios=infos,
        replications=replications,
        seed=master,
        engine=engine,
        version=str(table["version"].iloc[0]),
        seconds=seconds,
        queues=queues,
    )
