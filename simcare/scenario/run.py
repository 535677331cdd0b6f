"""Run a scenario file: load, compile, simulate replications, summarise the main outputs."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from simcare.engine import run
from simcare.kpi.uec import uec_measures
from simcare.scenario.compile import CompiledScenario, compile_scenario
from simcare.scenario.load import load_scenario, scenario_hash

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
    """The run-level headline measures by site/trust (mean over replications)."""
    days = (cs.timeline.end - cs.timeline.start).days + 1
    t = table[table["period"] == "run"].groupby(["kpi", "group"])["value"].mean().reset_index()
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
