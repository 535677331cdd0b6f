"""The benchmark scripts (benchmarks/*.py) run end to end at a tiny size, so they cannot rot.

Each is run as ``python benchmarks/X.py`` would be, in its own process; the figures it prints
are not checked (performance is measured by hand, never asserted), only that it finishes and
prints its verdict lines.
"""

from __future__ import annotations

import functools
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from simcare.examples import reference_network

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"


def script(name: str, *args: str) -> str:
    """Run benchmarks/<name>.py with ``args``; its stdout (fails with its stderr if it fails)."""
    out = subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


@functools.cache
def engine_module() -> ModuleType:
    """benchmarks/engine.py as a module (registered in sys.modules: it defines a dataclass)."""
    spec = importlib.util.spec_from_file_location("bench_engine", BENCH / "engine.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_engine"] = module
    spec.loader.exec_module(module)
    return module


REFERENCE = SimpleNamespace(C=(2, 3, 8), MEAN=(5.0, 30.0, 45.0), P_MINOR=0.3, LAM=10.0 / 60.0)


def test_reference_network_matches_the_reference_workload() -> None:
    assert engine_module().network_differences(reference_network(hours=24), REFERENCE) == []


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [("C", (2, 3, 9), "servers"), ("MEAN", (5.0, 31.0, 45.0), "service means"), ("P_MINOR", 0.4, "triage")],
)
def test_a_different_reference_workload_is_reported(field: str, value: object, named: str) -> None:
    other = SimpleNamespace(**{**vars(REFERENCE), field: value})
    problems = engine_module().network_differences(reference_network(hours=24), other)
    assert len(problems) == 1 and problems[0].startswith(named)


def test_engine_without_the_reference_folder_skips_the_references(tmp_path: Path) -> None:
    out = script(
        "engine",
        "--hours",
        "200",
        "--twin-hours",
        "20",
        "--repeats",
        "1",
        "--no-cold",
        "--bench-dir",
        str(tmp_path),
    )
    assert "reference engines skipped" in out
    assert "simcare run(model, seed)" in out and "vs C" not in out
    assert "warm numba cache" in out


@pytest.mark.skipif(
    not (ROOT.parent / "shared" / "bench" / "common.py").is_file(), reason="no ../shared/bench here"
)
def test_engine_with_the_reference_engines() -> None:
    out = script(
        "engine", "--hours", "500", "--twin-hours", "20", "--simpy-hours", "50", "--repeats", "1", "--no-cold"
    )
    assert "matches the reference engines'" in out
    for line in ("kernel vs C", "run()  vs C", "vs idiomatic SimPy"):
        assert line in out


def test_winter() -> None:
    out = script("winter", "--weeks", "1", "--repeats", "1")
    assert "KPI table" in out and "the 0.5 s target" in out


def test_batch() -> None:
    out = script("batch", "--reps", "1", "--scenarios", "baseline_winter")
    assert "projection: 1,000 replications x 10 scenarios" in out


def test_all_england() -> None:
    out = script("all_england", "--weeks", "1")
    assert "all England: 42 ICB baselines" in out and "ratio all England / BNSSG" in out
