"""The issue-13 analysis scripts (calibration/analysis/winter_*.py) still import.

They are run by hand, not by the suite, so an API rename in simcare would otherwise break them
silently. Each is imported from its path as ``python calibration/analysis/X.py`` would (its folder
first on sys.path, so the sibling imports resolve); nothing is simulated.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ANALYSIS = Path(__file__).resolve().parents[2] / "calibration" / "analysis"
SCRIPTS = sorted(ANALYSIS.glob("winter_*.py"))


@pytest.fixture
def script_folder_on_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The scripts' folder first on sys.path, and their modules forgotten afterwards."""
    monkeypatch.syspath_prepend(str(ANALYSIS))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("winter_"):
            del sys.modules[name]


def test_the_scripts_are_found() -> None:
    assert {p.stem for p in SCRIPTS} >= {
        "winter_diagnosis",
        "winter_published",
        "winter_sensitivity",
        "winter_surge",
        "winter_warmup",
        "winter_window",
    }


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_script_imports(path: Path, script_folder_on_path: None) -> None:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)  # module level only: main() is guarded by __name__
    assert module.__doc__, f"{path.name} has no docstring"
    assert "python calibration/analysis/" in module.__doc__, f"{path.name}'s docstring says not how to run it"
