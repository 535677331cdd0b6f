"""Run scenario files: load, compile, simulate replications, summarise the main outputs.

:func:`run_scenario_file` runs one file in this process; :func:`run_files` runs several with one
master seed (common random numbers), optionally in a process pool, and returns a :class:`RunSet`
(tidy KPI table with provenance, the daily series for warm-up detection, and what was run).
A scenario that draws parameter sets (its ``parameter_sets.draw``, or ``parameter_sets=True``)
runs replication r with set ``r mod n`` (:mod:`simcare.scenario.sets`) and the same random
streams; the ``scenario_hash`` column is then that set's variant's hash.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from simcare._version import __version__
from simcare.analysis.warmup import daily_state_series
from simcare.engine import run
from simcare.errors import SimcareError
from simcare.kpi.uec import uec_measures
from simcare.scenario.compile import CompiledScenario, compile_scenario
from simcare.scenario.load import load_scenario, load_scenario_data
from simcare.scenario.sets import drawn_sets, set_for
from simcare.scenario.validate import scenario_hash, validate_scenario

HEADLINE = (
    ("ae_attendances", "A&E attendances per day"),
    ("ae_within_4h", "% within 4 hours"),
    ("ga_occupancy", "G&A bed occupancy %"),
    ("nctr", "no criteria to reside (patients)"),
    ("emergency_admissions", "emergency admissions per day"),
    ("handover_over_60", "handovers over 60 min per day"),
)
PER_DAY = {"ae_attendances", "emergency_admissions", "handover_over_60"}


def compile_file(path: str | Path) -> tuple[CompiledScenario, str]:
    """Load and compile a scenario file; returns it with its scenario hash."""
    scenario = load_scenario(path)
    return compile_scenario(scenario, str(path)), scenario_hash(scenario)


def run_compiled(cs: CompiledScenario, replications: int, seed: int, engine: str = "numba",
                 ) -> pd.DataFrame:
    """Tidy measures (replication, kpi, group, period, value, unit) of each replication."""
    frames = []
    for r in range(replications):
        result = run(cs.model, seed=seed, replication=r, engine=engine)  # type: ignore[arg-type]
        frames.append(uec_measures(result, cs).assign(replication=r))
    return pd.concat(frames, ignore_index=True)


def summary_text(cs: CompiledScenario, table: pd.DataFrame) -> str:
    """The run-level headline measures by site/trust (mean over replications; not the finer
    groups such as ``acuity:`` or ``locality:``)."""
    days = (cs.timeline.end - cs.timeline.start).days + 1
    t = table[(table["period"] == "run") & ~table["group"].str.contains(":", regex=False)]
    t = t.groupby(["kpi", "group"])["value"].mean().reset_index()  # sites, trusts, hubs, ICB
    lines = []
    for kpi, label in HEADLINE:
        rows = t[t["kpi"] == kpi]
        if rows.empty:
            continue
        values = {g: v / days if kpi in PER_DAY else v for g, v in zip(rows["group"], rows["value"],
                                                                         strict=True)}
        order = sorted(values, key=lambda g: (g != "ICB", g))
        cells = "  ".join(f"{g} {values[g]:,.1f}" for g in order)
        lines.append(f"  {label:<36} {cells}")
    return "\n".join(lines)


def run_scenario_file(path: str | Path, replications: int = 1, seed: int | None = None,
                      engine: str = "numba") -> tuple[pd.DataFrame, str]:
    """Run ``path`` and return (tidy measures, printable summary)."""
    started = time.perf_counter()
    cs, digest = compile_file(path)
    master = cs.seed if seed is None else seed
    table = run_compiled(cs, replications, master, engine)
    table["scenario"] = cs.name
    table["scenario_hash"] = digest
    table["seed"] = master
    head = (f"{cs.name}: {cs.timeline.start} to {cs.timeline.end} "
            f"(warm-up {cs.timeline.warm_up_hours // 24} days), {replications} replication"
            f"{'s' if replications != 1 else ''}, seed {master}, {engine} engine, "
            f"{time.perf_counter() - started:.1f} s")
    return table, head + "\n" + summary_text(cs, table)


# --- replications of several scenarios, in parallel, with provenance -----------------------------

TIDY_COLUMNS = ["scenario", "replication", "kpi", "group", "period", "value", "unit",
                "scenario_hash", "seed", "engine", "version"]


@dataclass(frozen=True)
class ScenarioInfo:
    """What was run, for the report (STRESS-DES): the file, its name and description, its levers
    as written, the reported window, the warm-up (days) or census start, seed and hash;
    parameter_sets: how many parameter sets its replications draw from (0: none drawn, every
    replication runs the file's values)."""

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


@dataclass
class RunSet:
    """Replications of one or more scenarios under common random numbers.

    table: tidy KPI table (TIDY_COLUMNS), one row per (scenario, replication, kpi, group, period).
    daily: warm-up series (scenario, replication, series, day, date, value), see
    :func:`simcare.analysis.warmup.daily_state_series`. scenarios: in the order given (the first
    is the base of a comparison). seconds: wall time of the simulations.
    """

    table: pd.DataFrame
    daily: pd.DataFrame
    scenarios: list[ScenarioInfo]
    replications: int
    seed: int
    engine: str
    version: str
    seconds: float


@functools.lru_cache(maxsize=64)
def _compiled(path: str, parameter_set: int | None = None) -> tuple[CompiledScenario, str]:
    """The compiled scenario of a file (or of one of its parameter sets) and its hash, once per
    process (7 files x 8 sets fit)."""
    if parameter_set is None:
        return compile_file(path)
    from simcare.batch.task import prepare_scenario  # simcare.batch builds on this module

    scenario, digest = prepare_scenario(path, None, path, parameter_set)
    return compile_scenario(scenario, path), digest


def _modelled_services(cs: CompiledScenario) -> tuple[str, ...]:
    """Which parts of the urgent-care system the scenario models (by service names)."""
    names = cs.model.service_names
    parts = {"111": any(n.startswith("111_") for n in names), "ambulance": "ambulance" in names,
             "hubs": bool(cs.hubs), "ed": bool(cs.ed_sites), "beds": bool(cs.trusts),
             "d2a": any(n.startswith("d2a:") for n in names)}
    return tuple(k for k, v in parts.items() if v)


def scenario_info(path: str | Path, parameter_sets: bool = False) -> ScenarioInfo:
    """Describe a scenario file (loads and compiles it; raises ScenarioError if it is invalid).
    ``parameter_sets``: the caller asks to draw parameter sets (SimcareError if the file has
    none); the file's own ``parameter_sets.draw`` draws too."""
    cs, digest = _compiled(str(path))
    data = load_scenario_data(path)
    run_section = data.get("run") or {}
    try:
        n = drawn_sets(validate_scenario(data, str(path)), parameter_sets)
    except ValueError:
        raise SimcareError(f"{path}: --parameter-sets: the scenario has no parameter_sets section "
                           "to draw from (docs/calibration.md, 'Parameter uncertainty in runs')") from None
    return ScenarioInfo(
        file=str(path), name=cs.name, description=" ".join(str(data.get("description") or "").split()),
        levers=dict(data.get("levers") or {}), start=cs.timeline.start, end=cs.timeline.end,
        warm_up_days=cs.timeline.warm_up_hours // 24, census=bool(run_section.get("census")),
        seed=cs.seed, scenario_hash=digest, modelled=_modelled_services(cs), parameter_sets=n)


def scenario_summary(info: ScenarioInfo, table: pd.DataFrame) -> str:
    """:func:`summary_text` of one scenario of a RunSet table."""
    cs, _ = _compiled(info.file)
    return summary_text(cs, table[table["scenario"] == info.name])


def replicate_file(path: str, replication: int, seed: int, engine: str = "numba",
                   parameter_set: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One replication of a scenario file: (tidy KPI rows with provenance, daily warm-up series).
    ``parameter_set``: run that row of the file's ``parameter_sets`` (None: the file's values);
    the random streams are (seed, replication) either way. A module-level function so that a
    process pool can run it."""
    cs, digest = _compiled(path, parameter_set)
    result = run(cs.model, seed=seed, replication=replication, engine=engine)  # type: ignore[arg-type]
    kpis = uec_measures(result, cs)
    kpis["scenario"] = cs.name
    kpis["replication"] = replication
    kpis["scenario_hash"] = digest
    kpis["seed"] = seed
    kpis["engine"] = engine
    kpis["version"] = str(result.provenance.get("version", __version__))
    daily = daily_state_series(result, cs)
    daily.insert(0, "replication", replication)
    daily.insert(0, "scenario", cs.name)
    return kpis[TIDY_COLUMNS], daily


def _replicate_job(job: tuple[str, int, int, str, int | None]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`replicate_file` of one (file, replication, seed, engine, parameter set), for a
    backend's map."""
    return replicate_file(*job)


def run_files(paths: Sequence[str | Path], replications: int, seed: int | None = None,
              engine: str = "numba", workers: int = 1, progress: bool = True,
              parameter_sets: bool = False) -> RunSet:
    """Run ``replications`` of every scenario file with one master seed (the first file's unless
    ``seed`` is given), so replication r of every scenario shares random numbers (common random
    numbers). ``workers`` > 1 runs replications in a process pool; the result does not depend
    on it. A tqdm progress bar goes to stderr unless ``progress`` is False.

    ``parameter_sets``: every file draws from its ``parameter_sets`` (a file whose section says
    ``draw: true`` draws anyway): replication r uses set ``r mod n`` (``ScenarioInfo.parameter_sets``
    is n)."""
    if replications < 1:
        raise SimcareError(f"--reps must be at least 1, got {replications}")
    if workers < 1:
        raise SimcareError(f"--workers must be at least 1, got {workers}")
    files = [str(p) for p in paths]
    infos = [scenario_info(p, parameter_sets) for p in files]  # every file is checked before anything runs
    names = [i.name for i in infos]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SimcareError(f"two files define the same scenario name {', '.join(repeated)}: "
                           "give each scenario its own 'name'")
    master = infos[0].seed if seed is None else seed
    jobs = [(f, r) for r in range(replications) for f in files]
    n_sets = {i.file: i.parameter_sets for i in infos}
    started = time.perf_counter()
    results: dict[tuple[str, int], tuple[pd.DataFrame, pd.DataFrame]] = {}
    bar = tqdm(total=len(jobs), desc="simulating", unit="run", file=sys.stderr, disable=not progress)
    from simcare.batch.backends import make_backend  # simcare.batch builds on this module

    backend = make_backend(workers=1 if len(jobs) == 1 else workers)
    try:
        args = [(f, r, master, engine, set_for(r, n_sets[f]) if n_sets[f] else None) for f, r in jobs]
        for i, outcome in backend.map(_replicate_job, args):
            if isinstance(outcome, BaseException):
                raise outcome
            results[jobs[i]] = outcome
            bar.update()
    finally:
        backend.close()
        bar.close()
    seconds = time.perf_counter() - started
    ordered = [results[f, r] for f in files for r in range(replications)]
    table = pd.concat([k for k, _ in ordered], ignore_index=True)
    daily = pd.concat([d for _, d in ordered], ignore_index=True)
    return RunSet(table=table, daily=daily, scenarios=infos, replications=replications, seed=master,
                  engine=engine, version=str(table["version"].iloc[0]), seconds=seconds)
