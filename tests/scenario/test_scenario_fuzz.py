"""Mutated scenario files never escape as anything but a Scenario or a ScenarioError."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simcare.scenario import Scenario, ScenarioError, load_scenario, load_scenario_data

VALID = Path(__file__).parent / "data" / "valid.yaml"
DOC: dict[str, Any] = load_scenario_data(VALID)
Path_ = tuple[Any, ...]


def _paths(node: Any, here: Path_ = ()) -> list[tuple[Path_, Any]]:
    out: list[tuple[Path_, Any]] = []
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return out
    for key, value in items:
        out.append(((*here, key), value))
        out.extend(_paths(value, (*here, key)))
    return out


ALL = _paths(DOC)
PATHS = [p for p, _ in ALL]
MAPS = [()] + [p for p, v in ALL if isinstance(v, dict)]
NUMBERS = [p for p, v in ALL if isinstance(v, (int, float)) and not isinstance(v, bool)]
UNITS = [p for p, v in ALL if isinstance(v, str) and re.match(r"^[\d.]+\s*[a-z/%]", v)]
VALUES = [
    None,
    7,
    -3,
    0,
    2.5,
    1e9,
    True,
    "text",
    "4",
    "",
    [],
    [1, "a"],
    {},
    {"x": 1},
    "2025-13-45",
    "08:00",
    "30%",
    "-5min",
    "nan",
]
UNIT_TEXTS = ["", "m", "hr", "min", "h", "d", "w", "/day", "/h", "/1000/year", "%", " parsecs"]


def _parent(doc: Any, path: Path_) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutations(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["delete", "retype", "typo", "negate", "unit"]))
        try:
            if kind == "delete":
                path = draw(st.sampled_from(PATHS))
                parent = _parent(doc, path)
                del parent[path[-1]]
            elif kind == "retype":
                path = draw(st.sampled_from(PATHS))
                _parent(doc, path)[path[-1]] = copy.deepcopy(draw(st.sampled_from(VALUES)))
            elif kind == "typo":
                path = draw(st.sampled_from(MAPS))
                target = doc
                for part in path:
                    target = target[part]
                keys = [k for k in target if isinstance(k, str)] or ["key"]
                key = draw(st.sampled_from(keys))
                i = draw(st.integers(0, len(key)))
                typo = key[:i] + draw(st.sampled_from(["x", "_", ""])) + key[i + 1 :]
                target[typo] = copy.deepcopy(target.get(key, 1))
            elif kind == "negate":
                path = draw(st.sampled_from(NUMBERS))
                parent = _parent(doc, path)
                parent[path[-1]] = -parent[path[-1]] - 1
            else:
                path = draw(st.sampled_from(UNITS))
                parent = _parent(doc, path)
                number = re.match(r"^[\d.]+", parent[path[-1]])
                assert number is not None
                parent[path[-1]] = number.group(0) + draw(st.sampled_from(UNIT_TEXTS))
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # an earlier mutation removed or replaced this part of the document
    return doc


@settings(derandomize=True, max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutations())
def test_mutated_files_load_or_raise_scenario_error(
    doc: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "mutated.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    try:
        scenario = load_scenario(path)
    except ScenarioError as err:
        assert err.problems
        assert err.file == str(path)
        for where, message in err.problems:
            assert isinstance(where, str) and message
        assert "Traceback" not in str(err)
    else:
        assert isinstance(scenario, Scenario)
