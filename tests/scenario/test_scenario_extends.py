"""``extends``: maps merge key by key, anything else is replaced, null removes a key."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from simcare.scenario import ScenarioError, load_scenario, load_scenario_data, scenario_hash

Write = Callable[..., Path]


@pytest.fixture
def base(valid_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "scenarios" / "baseline.yaml"
    path.parent.mkdir(parents=True)
    shutil.copy(valid_path, path)
    return path


def test_a_child_that_changes_nothing_is_the_same_scenario(base: Path, write: Write) -> None:
    child = write("scenarios/same.yaml", "extends: baseline.yaml\n")
    assert load_scenario(child) == load_scenario(base)
    assert scenario_hash(load_scenario(child)) == scenario_hash(load_scenario(base))


def test_maps_merge_key_by_key(base: Path, write: Write) -> None:
    child = write(
        "scenarios/more_cubicles.yaml",
        """
extends: baseline.yaml
name: more_cubicles
ed:
  bri:
    cubicles: 40
    acuity:
      minors: {admitted: 0.1}
""",
    )
    parent, s = load_scenario(base), load_scenario(child)
    assert s.name == "more_cubicles"
    assert s.ed["bri"].cubicles.default == 40 and s.ed["bri"].cubicles.is_constant
    assert s.ed["bri"].triage_time == parent.ed["bri"].triage_time
    assert s.ed["bri"].acuity["minors"].admitted == 0.1
    assert s.ed["bri"].acuity["minors"].treatment_time == parent.ed["bri"].acuity["minors"].treatment_time
    assert s.ed["southmead"] == parent.ed["southmead"]
    assert s.beds == parent.beds


def test_lists_and_scalars_are_replaced(base: Path, write: Write) -> None:
    child = write(
        "scenarios/child.yaml",
        """
extends: baseline.yaml
calendar:
  bank_holidays: [2025-12-25]
  growth: 3%
nhs111:
  phone:
    handlers: {shifts: [{from: "00:00", to: "24:00", servers: 9}]}
""",
    )
    s = load_scenario(child)
    assert s.calendar.bank_holidays == [dt.date(2025, 12, 25)]
    assert s.calendar.growth == pytest.approx(0.03)
    assert s.calendar.surges == load_scenario(base).calendar.surges
    assert s.nhs111 is not None
    handlers = s.nhs111.phone.handlers
    # the roster mapping merged: new shifts list, default and overrides inherited
    assert [sh.servers for sh in handlers.shifts] == [9]
    assert handlers.default == 4 and len(handlers.overrides) == 1


def test_a_mapping_replaces_a_scalar_and_back(base: Path, write: Write) -> None:
    child = write(
        "scenarios/child.yaml",
        """
extends: baseline.yaml
ed:
  southmead:
    cubicles: {default: 38, shifts: [{days: weekends, from: "10:00", to: "22:00", servers: 44}]}
  bri:
    cubicles: 31
""",
    )
    s = load_scenario(child)
    assert s.ed["southmead"].cubicles.shifts[0].servers == 44
    assert s.ed["bri"].cubicles.is_constant and s.ed["bri"].cubicles.default == 31


def test_null_removes_a_key(base: Path, write: Write) -> None:
    child = write(
        "scenarios/child.yaml",
        """
extends: baseline.yaml
calendar:
  christmas: null
localities:
  bristol_central: {hub: null}
demand:
  hub_walk_in: ~
ed:
  southmead: {opening_hours: null, closed_divert: null}
""",
    )
    s = load_scenario(child)
    assert s.calendar.christmas is None
    assert s.localities["bristol_central"].hub is None
    assert "hub_walk_in" not in s.demand
    assert s.ed["southmead"].opening_hours is None
    data = load_scenario_data(child)
    assert "christmas" not in data["calendar"] and "extends" not in data


def test_extends_chains_and_relative_paths(base: Path, write: Write) -> None:
    write(".simcare-root", "")  # other/ reaches ../scenarios: both under this project root
    write(
        "scenarios/levers/digital.yaml",
        """
extends: ../baseline.yaml
name: digital
levers: {digital_first: {online_shift: 40%}}
""",
    )
    leaf = write(
        "other/leaf.yaml",
        """
extends: ../scenarios/levers/digital.yaml
name: leaf
run: {replications: 5}
""",
    )
    s = load_scenario(leaf)
    assert s.name == "leaf"
    assert s.run.replications == 5 and s.run.start == dt.date(2025, 10, 1)
    assert s.levers["digital_first"] == {"online_shift": "40%"}
    assert s.levers["discharge_capacity"] == {"increase": "10%", "pathways": ["P1"]}


def test_a_child_can_remove_a_required_section_and_is_told(base: Path, write: Write) -> None:
    child = write("scenarios/child.yaml", "extends: baseline.yaml\nbeds: null\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    problems = dict(info.value.problems)
    assert problems["beds"] == "required, but missing"


def test_locations_follow_the_file_that_wrote_the_value(base: Path, write: Write) -> None:
    child = write(
        "scenarios/child.yaml",
        """
extends: baseline.yaml
ed:
  bri:
    cubicles: -3
""",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert info.value.problems == [("ed.bri.cubicles", "servers must be >= 0, got -3")]
    assert info.value.locations == ["line 5"]


def test_replaced_values_forget_the_base_locations(base: Path, write: Write) -> None:
    # the base's list had three bank holidays; the child's one is bad and is reported at the child
    # (a malformed date: one outside the run would be skipped with a note)
    child = write(
        "scenarios/child.yaml",
        """
extends: baseline.yaml
calendar:
  bank_holidays:
    - 2030-02-30
""",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert info.value.problems[0][0] == "calendar.bank_holidays[0]"
    assert info.value.locations == ["line 5"]
