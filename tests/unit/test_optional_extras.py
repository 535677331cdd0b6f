"""SimPy (the twin) and Dask (the cluster backend) are optional extras: the core runs without them.

Each test starts a fresh interpreter in which importing simpy, dask or distributed fails as it
would where they are not installed (a meta-path finder that refuses them), so the test holds
although the development environment has both.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

BLOCK = """
import importlib.abc, sys

class _Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"simpy", "dask", "distributed"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Absent())
"""


def _python(body: str) -> subprocess.CompletedProcess[str]:
    code = BLOCK + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_blocker_really_hides_simpy() -> None:
    """The finder used below does hide the packages (else the other tests prove nothing)."""
    out = _python(
        """
        try:
            import simpy  # noqa: F401
        except ModuleNotFoundError as exc:
            print("hidden", exc.name)
        """
    )
    assert out.stdout.strip() == "hidden simpy", out.stderr


def test_numba_engine_runs_without_simpy_and_dask() -> None:
    out = _python(
        """
        import simcare
        from simcare.examples import reference_network
        result = simcare.run(reference_network(hours=200), seed=1)
        assert result.arrived > 0
        print("ok", result.arrived)
        """
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok ")


def test_twin_without_simpy_says_how_to_install() -> None:
    out = _python(
        """
        import simcare
        from simcare.errors import EngineError
        from simcare.examples import reference_network
        try:
            simcare.run(reference_network(hours=10), seed=1, engine="simpy")
        except EngineError as exc:
            print(exc)
        """
    )
    assert out.returncode == 0, out.stderr
    assert "pip install 'simcare[twin]'" in out.stdout


def test_dask_backend_without_dask_says_how_to_install() -> None:
    out = _python(
        """
        from simcare.batch.backends import DaskBackend
        from simcare.errors import SimcareError
        try:
            DaskBackend("local", workers=1)
        except SimcareError as exc:
            print(exc)
        """
    )
    assert out.returncode == 0, out.stderr
    assert "pip install 'simcare[cluster]'" in out.stdout


@pytest.mark.parametrize("extra, package", [("twin", "simpy"), ("cluster", "dask[distributed]")])
def test_extras_are_declared_and_not_core(extra: str, package: str) -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"])
    assert package.split("[")[0] not in core
    assert any(d.startswith(package) for d in project["optional-dependencies"][extra])
    assert any(d.startswith(package) for d in project["optional-dependencies"]["dev"])
