"""The built wheel, installed into a fresh environment, runs without the repository (issue 14).

Builds the wheel from this checkout (`pip wheel`, build isolation), installs it with its
dependencies from the package index into a new virtual environment, and in a folder outside the
repository runs `simcare new-icb`, `simcare validate`, `simcare run` and `simcare compare`, and
copies the shipped BNSSG system out (`simcare scenarios`) and runs it: so package data (the
national tables, the ICB lookup, the report templates, the shipped scenarios, fitted overlays and
BNSSG's published extracts) must be in the wheel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SHORT = "extends: {base}\nname: {name}\nrun: {{start: 2026-01-01, warm_up: 2w}}\n"


def _ok(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, f"{' '.join(cmd)}\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}"
    return out.stdout


@pytest.mark.slow
def test_the_wheel_runs_new_icb_run_and_compare_outside_the_repository(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    _ok(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "wheels"), str(ROOT)],
        tmp_path,
        env,
    )
    (wheel,) = (tmp_path / "wheels").glob("simcare-*.whl")
    venv.EnvBuilder(with_pip=True).create(tmp_path / "venv")
    python = tmp_path / "venv" / "bin" / "python"
    _ok([str(python), "-m", "pip", "install", "-q", str(wheel)], tmp_path, env)
    work = tmp_path / "work"
    work.mkdir()
    simcare = [str(python), "-m", "simcare"]
    where = _ok([str(python), "-c", "import simcare, sys; print(simcare.__file__)"], work, env)
    assert str(tmp_path / "venv") in where and str(ROOT) not in where  # the wheel, not this checkout
    _ok([*simcare, "new-icb", "Somerset", "--out", "icb"], work, env)
    (work / "icb" / "short.yaml").write_text(SHORT.format(base="baseline_winter.yaml", name="short"))
    (work / "icb" / "short_combined.yaml").write_text(
        SHORT.format(base="combined.yaml", name="short_combined")
    )
    assert "ok" in _ok([*simcare, "validate", "icb/short.yaml", "icb/short_combined.yaml"], work, env)
    _ok([*simcare, "run", "icb/short.yaml", "--out", "run"], work, env)
    _ok(
        [
            *simcare,
            "compare",
            "icb/short.yaml",
            "icb/short_combined.yaml",
            "--reps",
            "2",
            "--workers",
            "1",
            "--out",
            "cmp",
        ],
        work,
        env,
    )
    assert (work / "run" / "report.html").is_file() and (work / "cmp" / "comparison.csv").is_file()
    assert "Somerset" in (work / "icb" / "baseline_winter.yaml").read_text()

    listed = _ok([*simcare, "scenarios"], work, env)
    assert listed.startswith("bnssg  baseline_winter") and "\nhwe  " in listed
    _ok([*simcare, "scenarios", "bnssg", "--out", "mine"], work, env)
    shipped = sorted(p.name for p in (work / "mine" / "scenarios" / "bnssg").glob("*.yaml"))
    assert shipped == sorted(p.name for p in (ROOT / "scenarios" / "bnssg").glob("*.yaml"))
    (work / "mine" / "short.yaml").write_text(
        SHORT.format(base="scenarios/bnssg/baseline_winter.yaml", name="bnssg_short")
    )
    _ok([*simcare, "validate", *(f"mine/scenarios/bnssg/{n}" for n in shipped)], work, env)
    _ok([*simcare, "run", "mine/short.yaml", "--out", "bnssg_run"], work, env)
    report = (work / "bnssg_run" / "report.html").read_text()
    # the fitted overlay and its fit errors came along: the report says which limits it meets
    assert "The base scenario is calibrated" in report and "within its stated limits" in report
    data = _ok(
        [str(python), "-c", "from simcare.calibration.published import DATA_DIR as d; print(d)"], work, env
    )
    assert str(tmp_path / "venv") in data and (Path(data.strip()) / "SOURCES.md").is_file()
