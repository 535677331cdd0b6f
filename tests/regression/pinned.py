"""Digests of outputs that a refactor must keep byte-identical (issue 12).

Each entry runs one path from input to output through the public functions and hashes what
comes out: engine visit tables and hourly areas of the example networks (numba and the SimPy
twin), the compiled model of every shipped scenario, one replication of the BNSSG baseline by the
scenario path (with and without a parameter set), one batch replication with overrides, and one
calibration point. The ``version`` column is left out so that a version bump does not move them.

Regenerate (only when a change is meant to alter outputs, and say so in the commit):
``python tests/regression/pinned.py --write``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
BNSSG = ROOT / "scenarios" / "bnssg"
PINNED = Path(__file__).with_name("data") / "pinned_digests.json"
SEED = 2025


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def frame_digest(frame: pd.DataFrame) -> str:
    """sha256 of a frame's CSV text (every float to 12 significant figures), without the
    ``version`` column and the columns derived from others (label, level, name, period_kind:
    functions of kpi, group and period, added in issue 18; they carry no number to guard).
    Twelve figures, not repr precision: KPI means and sums are computed by
    numpy and pandas, whose SIMD reductions may round the last bits differently on another CPU
    or library build (the digests pinned on 2 December moved on a fresh machine on 6 December
    with every engine and compiled-model digest unchanged); any change a refactor could make
    to a KPI still shows in the first twelve figures."""
    derived = ("version", "label", "level", "name", "period_kind")
    frame = frame.drop(columns=[c for c in derived if c in frame.columns])
    return _sha(frame.to_csv(index=False, float_format="%.12g").encode())


def _result_digest(result: object) -> str:
    parts = [result.visits.tobytes()]  # type: ignore[attr-defined]
    for name in ("in_service", "waiting", "blocked", "capacity"):
        parts.append(np.ascontiguousarray(getattr(result, name)).tobytes())
    return _sha(b"".join(parts))


def _engine(engine: str, hours: float) -> str:
    from simcare.engine import run
    from simcare.examples import reference_network

    return _result_digest(run(reference_network(hours=hours, sinusoidal=True), seed=SEED, engine=engine))


def _compiled_models() -> str:
    from simcare.pipeline import compiled

    lines = []
    for path in sorted(BNSSG.glob("*.yaml")):
        cs, digest = compiled(path)
        lines.append(f"{path.name} {digest} {cs.model.digest()}")
    return _sha("\n".join(lines).encode())


def _replicate(parameter_set: int | None) -> str:
    from simcare.pipeline import TIDY_COLUMNS, replicate

    rep = replicate(
        str(BNSSG / "baseline_winter.yaml"), 0, SEED, "numba", parameter_set=parameter_set, daily=True
    )
    return _sha((frame_digest(rep.kpis[TIDY_COLUMNS]) + frame_digest(rep.daily)).encode())


def _batch() -> str:
    from simcare.batch.task import run_replication
    from simcare.scenario.load import load_scenario_data

    doc = load_scenario_data(BNSSG / "discharge_capacity.yaml")
    table = run_replication(doc, {"ed.bri.cubicles": 40}, replication=1, seed=SEED)
    return frame_digest(table)


def _calibration() -> str:
    from simcare.calibration.evaluate import Task, run_task
    from simcare.scenario.load import load_scenario_data

    doc = load_scenario_data(BNSSG / "validation_2024.yaml")
    return frame_digest(run_task(Task(doc, SEED, 1, ("ae_within_4h", "ga_occupancy", "nctr"))))


CASES: dict[str, Callable[[], str]] = {
    "engine_numba_reference": lambda: _engine("numba", 2000),
    "engine_simpy_reference": lambda: _engine("simpy", 200),
    "compiled_bnssg_scenarios": _compiled_models,
    "replicate_baseline": lambda: _replicate(None),
    "replicate_baseline_set3": lambda: _replicate(3),
    "batch_replication_overrides": _batch,
    "calibration_point": _calibration,
}


def compute() -> dict[str, str]:
    return {name: case() for name, case in CASES.items()}


if __name__ == "__main__":
    digests = compute()
    print(json.dumps(digests, indent=2))
    if "--write" in sys.argv:
        PINNED.write_text(json.dumps(digests, indent=2) + "\n")
