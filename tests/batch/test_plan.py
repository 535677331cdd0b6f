"""Plan files: expansion into variants and tasks, samples, and errors naming file and field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from simcare.batch.plan import PlanError, load_plan
from simcare.scenario import load_scenario, scenario_hash

from .conftest import DATA

SHORT = str(DATA / "short.yaml")


@pytest.fixture
def write_plan(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    def _write(doc: dict[str, Any]) -> Path:
        path = tmp_path / "plan.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path

    return _write


def test_grid_variants_tasks_and_labels(write_plan: Callable[[dict[str, Any]], Path]) -> None:
    plan = load_plan(
        write_plan(
            {
                "seed": 3,
                "replications": 2,
                "scenarios": [SHORT, {"file": SHORT, "name": "growth3", "set": {"calendar.growth": "3%"}}],
                "grid": {
                    "levers.discharge_capacity.increase": ["0%", "20%"],
                    "calendar.surges[0].height": [0.1],
                },
            }
        )
    )
    assert plan.name == "plan"
    assert [v.label for v in plan.variants] == [
        "batch_test_short[levers.discharge_capacity.increase=0%, calendar.surges[0].height=0.1]",
        "batch_test_short[levers.discharge_capacity.increase=20%, calendar.surges[0].height=0.1]",
        "growth3[levers.discharge_capacity.increase=0%, calendar.surges[0].height=0.1]",
        "growth3[levers.discharge_capacity.increase=20%, calendar.surges[0].height=0.1]",
    ]
    assert plan.variants[2].overrides == {
        "calendar.growth": "3%",
        "levers.discharge_capacity.increase": "0%",
        "calendar.surges[0].height": 0.1,
    }
    assert len({v.scenario_hash for v in plan.variants}) == 4
    tasks = plan.tasks()
    assert [t.key for t in tasks[:3]] == ["p00000-r0000", "p00000-r0001", "p00001-r0000"]
    assert len(tasks) == 8 and {t.seed for t in tasks} == {3}


def test_defaults_come_from_the_scenario(write_plan: Callable[[dict[str, Any]], Path]) -> None:
    plan = load_plan(write_plan({"name": "plain", "scenarios": [SHORT]}))
    (variant,) = plan.variants
    assert variant.label == "batch_test_short" and variant.seed == 11 and variant.replications == 2
    # no overrides: the same scenario hash as the file itself (what `simcare run` records)
    assert variant.scenario_hash == scenario_hash(load_scenario(SHORT))


def test_digest_depends_on_content_not_spelling(
    write_plan: Callable[[dict[str, Any]], Path], tmp_path: Path
) -> None:
    a = load_plan(
        write_plan({"seed": 1, "replications": 2, "scenarios": [SHORT], "grid": {"calendar.growth": ["3%"]}})
    ).digest
    b = load_plan(
        write_plan(
            {
                "grid": {"calendar.growth": ["3%"]},
                "replications": 2,
                "scenarios": [{"file": SHORT}],
                "seed": 1,
            }
        )
    ).digest
    c = load_plan(
        write_plan({"seed": 2, "replications": 2, "scenarios": [SHORT], "grid": {"calendar.growth": ["3%"]}})
    ).digest
    assert a == b != c


def test_latin_hypercube_sample(write_plan: Callable[[dict[str, Any]], Path]) -> None:
    doc = {
        "seed": 1,
        "replications": 1,
        "scenarios": [SHORT],
        "sample": {
            "n": 6,
            "seed": 42,
            "parameters": {
                "calendar.growth": {"low": 0.0, "high": 0.08},
                "beds.rvj.beds": {"low": 900, "high": 905, "integer": True},
            },
        },
    }
    plan = load_plan(write_plan(doc))
    growth = [v.parameters["calendar.growth"] for v in plan.variants]
    beds = [v.parameters["beds.rvj.beds"] for v in plan.variants]
    assert len(plan.variants) == 6
    assert all(0.0 <= g <= 0.08 for g in growth) and all(isinstance(b, int) and 900 <= b <= 905 for b in beds)
    # Latin hypercube: exactly one point in each of the n equal strata of every parameter
    assert sorted(int(g / 0.08 * 6) for g in growth) == list(range(6))
    again = load_plan(write_plan(doc))
    assert [v.parameters for v in again.variants] == [v.parameters for v in plan.variants]
    doc["sample"]["seed"] = 43  # type: ignore[index]
    assert [v.parameters for v in load_plan(write_plan(doc)).variants] != [
        v.parameters for v in plan.variants
    ]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"scenarios": [SHORT], "replicatons": 2}, ["replicatons: unknown key"]),
        (
            {"scenarios": [], "seed": -1},
            [
                "scenarios: List should have at least 1 item",
                "seed: Input should be greater than or equal to 0",
            ],
        ),
        ({"scenarios": [SHORT], "grid": {"calendar..growth": [1]}}, ["grid: malformed override path"]),
        (
            {"scenarios": [SHORT], "grid": {"calendar.growth": []}},
            ["grid.calendar.growth: List should have at least 1 item"],
        ),
        (
            {
                "scenarios": [SHORT],
                "sample": {"n": 2, "seed": 1, "parameters": {"x.y": {"low": 2, "high": 1}}},
            },
            ["sample.parameters.x.y: needs finite low <= high"],
        ),
    ],
)
def test_invalid_plan_lists_every_problem(
    write_plan: Callable[[dict[str, Any]], Path], doc: dict[str, Any], expected: list[str]
) -> None:
    path = write_plan(doc)
    with pytest.raises(PlanError) as info:
        load_plan(path)
    text = str(info.value)
    assert text.startswith(f"{path}: {len(expected)} problem")
    for part in expected:
        assert part in text


def test_override_errors_name_the_variant_and_field(write_plan: Callable[[dict[str, Any]], Path]) -> None:
    path = write_plan(
        {
            "scenarios": [SHORT, "missing.yaml"],
            "grid": {"calendar.growth": ["3%", "lots"], "calendar.surges[4].height": [0.1]},
        }
    )
    with pytest.raises(PlanError) as info:
        load_plan(path)
    text = str(info.value)
    assert (
        "scenarios[0] with calendar.growth=3%, calendar.surges[4].height=0.1: "
        "calendar.surges[4].height: calendar.surges has 1 entry, no [4]" in text
    )
    assert "scenarios[1]" in text and "missing.yaml: 1 problem" in text and "file not found" in text


def test_invalid_value_from_an_override(write_plan: Callable[[dict[str, Any]], Path]) -> None:
    path = write_plan({"scenarios": [SHORT], "grid": {"beds.rvj.beds": [-5]}})
    with pytest.raises(PlanError, match=r"scenarios\[0\] with beds.rvj.beds=-5: beds.rvj.beds: .*-5"):
        load_plan(path)


def test_unreadable_plan(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenarios: [a\n", encoding="utf-8")
    with pytest.raises(PlanError, match="(?s)bad.yaml: 1 problem.*YAML error"):
        load_plan(bad)
    with pytest.raises(PlanError, match="file not found"):
        load_plan(tmp_path / "none.yaml")
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n", encoding="utf-8")
    with pytest.raises(PlanError, match="expected a mapping"):
        load_plan(listed)


def test_the_plan_in_docs_batch_md_is_valid(tmp_path: Path) -> None:
    """docs/batch.md's example plan (its YAML block that starts with `name:`) reads and expands."""
    root = Path(__file__).resolve().parents[2]
    text = (root / "docs" / "batch.md").read_text(encoding="utf-8")
    blocks = [b.split("\n", 1)[1].split("```", 1)[0] for b in text.split("```yaml")[1:]]
    block = next(b for b in blocks if b.startswith("name:")).replace("../scenarios/", f"{root}/scenarios/")
    path = tmp_path / "plan.yaml"
    path.write_text(block, encoding="utf-8")
    plan = load_plan(path)
    assert len(plan.variants) == 2 * 6 * 20 and len(plan.tasks()) == 2 * 6 * 20 * 10
    assert plan.variants[0].label.startswith("bnssg_baseline_winter[levers.discharge_capacity.increase=0%")
    assert plan.variants[-1].label.startswith("flu[levers.discharge_capacity.increase=20%")
