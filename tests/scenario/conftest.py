"""Shared fixtures: the valid scenario of tests/scenario/data and a writer of test files."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from simcare.scenario import load_scenario_data

DATA = Path(__file__).parent / "data"
VALID = DATA / "valid.yaml"


@pytest.fixture(scope="session")
def valid_path() -> Path:
    return VALID


@pytest.fixture(scope="session")
def _valid_data() -> dict[str, Any]:
    return load_scenario_data(VALID)


@pytest.fixture
def valid_data(_valid_data: dict[str, Any]) -> dict[str, Any]:
    """A fresh deep copy of the valid scenario as a plain document (dates as dates)."""
    return copy.deepcopy(_valid_data)


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write(name, document or YAML text) -> path of the file written in tmp_path."""

    def _write(name: str, content: Any) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return _write
