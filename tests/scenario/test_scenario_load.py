"""A valid scenario loads into frozen models in simcare's units; helpers follow the doc's rules."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from simcare.sampling.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
    Weibull,
)
from simcare.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_hash,
    scenario_json_schema,
    validate_scenario,
)
from simcare.scenario.schema import RosterSpec, is_open


@pytest.fixture(scope="module")
def scenario(valid_path: Path) -> Scenario:
    return load_scenario(valid_path)


def test_every_section_is_used_by_the_fixture(scenario: Scenario) -> None:
    for name, field in Scenario.model_fields.items():
        value = getattr(scenario, name)
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        assert value != default, f"the fixture should set {name}"
    assert set(scenario.demand) == {
        "phone_111",
        "online_111",
        "call_999",
        "ed_walk_in",
        "hub_walk_in",
        "gp_referral_sdec",
        "gp_referral_admission",
    }


def test_values_are_in_simcare_units(scenario: Scenario) -> None:
    run = scenario.run
    assert (run.start, run.end, run.warm_up) == (dt.date(2025, 10, 1), dt.date(2026, 3, 31), 14 * 1440)
    assert run.days == 182
    assert run.first_day == dt.date(2025, 9, 17)
    # the file's digital_first lever moves 30 % of phone demand online
    assert scenario.demand["phone_111"].rate == pytest.approx(0.7 * 0.35 / 8766)  # per person per hour
    assert scenario.demand["call_999"].rate == pytest.approx(0.002 / 24)
    assert scenario.calendar.growth == pytest.approx(0.02)
    assert scenario.calendar.surges[0].width == 14 * 1440
    assert scenario.nhs111 is not None
    assert scenario.nhs111.phone.retry == pytest.approx(0.4)
    assert scenario.ambulance is not None
    assert scenario.ambulance.handover_release == 45.0
    assert scenario.ambulance.hear_and_treat == pytest.approx(0.12)
    assert scenario.demand["gp_referral_admission"].acuity == {"majors": 0.9, "resus": 0.1}


def test_rosters_are_always_roster_specs(scenario: Scenario) -> None:
    bri, southmead = scenario.ed["bri"], scenario.ed["southmead"]
    assert southmead.cubicles == RosterSpec(default=40)
    assert southmead.cubicles.is_constant
    assert bri.cubicles.default == 30
    shift = bri.cubicles.shifts[0]
    assert (shift.days, shift.from_, shift.to, shift.servers) == (("mon", "fri"), 600, 1080, 35)
    assert shift.day_numbers == (0, 4)


def test_opening_hours_and_defaults_filled_in(scenario: Scenario) -> None:
    utc = scenario.hubs["south_bristol_utc"]
    assert is_open(utc.opening_hours, 8 * 60)
    assert not is_open(utc.opening_hours, 22 * 60)
    assert is_open(scenario.sdec["southmead"].opening_hours, 3 * 60)  # no opening hours: open
    miu = scenario.hubs["cossham_miu"].opening_hours
    assert miu is not None and (miu[0].from_, miu[0].to) == (540, 1020)
    assert is_open(miu, 4 * 1440 + 10 * 60)  # Friday 10:00
    assert not is_open(miu, 5 * 1440 + 10 * 60)  # Saturday 10:00
    # defaults that depend on other fields are set after validation
    assert scenario.ed["southmead"].ambulance_divert == "bri"
    assert scenario.ed["bri"].ambulance_divert is None
    assert scenario.escalation[1].when.below == 25.0
    assert scenario.escalation[0].when.below == pytest.approx(0.92)
    assert scenario.profiles["calls"].weekday == [1.0] * 7


def test_distributions_become_simcare_distributions(scenario: Scenario) -> None:
    assert scenario.nhs111 is not None and scenario.nhs111.online is not None
    assert scenario.nhs111.cas is not None and scenario.ambulance is not None
    got = {
        "lognormal": scenario.nhs111.phone.handling_time.to_distribution(),
        "exponential": scenario.nhs111.phone.patience.to_distribution()
        if scenario.nhs111.phone.patience
        else None,
        "uniform": scenario.ed["southmead"].acuity["minors"].treatment_time.to_distribution(),
        "triangular": scenario.nhs111.online.completion_time.to_distribution(),
        "gamma": scenario.nhs111.cas.assessment_time.to_distribution(),
        "weibull": scenario.ambulance.job_cycle.to_distribution(),
        "empirical": scenario.hubs["cossham_miu"].treatment_time.to_distribution(),
        "fixed": scenario.ed["southmead"].triage_time.to_distribution(),
        "shorthand": scenario.sdec["southmead"].treatment_time.to_distribution(),
    }
    assert got["lognormal"] == Lognormal(9.0, 5.0)
    assert got["exponential"] == Exponential(20.0)
    assert got["uniform"] == Uniform(20.0, 90.0)
    assert scenario.nhs111.phone.retry_delay == 15.0
    assert got["triangular"] == Triangular(3.0, 8.0, 20.0)
    gamma = got["gamma"]
    assert isinstance(gamma, Gamma) and gamma.mean == pytest.approx(15.0)
    assert math.sqrt(gamma.variance) == pytest.approx(6.0)
    assert got["weibull"] == Weibull(1.8, 75.0)
    assert got["empirical"] == Empirical((10.0, 15.0, 20.0, 30.0, 45.0))
    assert got["fixed"] == Fixed(10.0)
    assert got["shorthand"] == Fixed(300.0)


def test_roster_semantics() -> None:
    roster = RosterSpec.model_validate(
        {
            "default": 2,
            "shifts": [
                {"days": "weekdays", "from": "08:00", "to": "20:00", "servers": 6},
                {"days": ["mon"], "from": "12:00", "to": "14:00", "servers": 1},
                {"days": ["sun"], "from": "20:00", "to": "08:00", "servers": 3},
            ],
            "overrides": [
                {"from": "2025-12-24", "to": "2025-12-27", "servers": 3},
                {"from": "2025-12-25", "to": "2025-12-25", "servers": 1},
            ],
        }
    )
    day = 1440
    assert roster.servers_at(day + 7 * 60) == 2  # Tuesday 07:00: no shift, default
    assert roster.servers_at(9 * 60) == 6
    assert roster.servers_at(13 * 60) == 7  # overlapping shifts add up
    assert roster.servers_at(5 * day + 9 * 60) == 2  # Saturday
    assert roster.servers_at(6 * day + 23 * 60) == 3  # Sunday night
    assert roster.servers_at(8 * day + 7 * 60) == 2  # minutes wrap round the week
    assert roster.shifts[2].intervals() == [(6 * day + 1200, 7 * day), (0, 480)]
    assert roster.servers_at(60) == 3  # Monday 01:00 is still Sunday's night shift
    assert roster.override_on(dt.date(2025, 12, 24)) == 3
    assert roster.override_on(dt.date(2025, 12, 25)) == 1  # the later override wins
    assert roster.override_on(dt.date(2025, 12, 28)) is None


def test_profiles_are_normalised(scenario: Scenario) -> None:
    profile = scenario.profiles["ed_arrivals"]
    how = profile.hour_of_week()
    assert len(how) == 168
    assert sum(how) / 168 == pytest.approx(1.0)
    assert sum(profile.hourly_factors()) == pytest.approx(24.0)
    assert scenario.profiles["calls"].weekday_factors() == (1.0,) * 7


def test_models_are_frozen_and_round_trip(scenario: Scenario) -> None:
    with pytest.raises(ValidationError):
        scenario.run.seed = 3
    assert Scenario.model_validate(scenario.model_dump()) == scenario
    assert Scenario.model_validate_json(scenario.model_dump_json()) == scenario
    dumped = scenario.model_dump(mode="json")
    assert dumped["ed"]["bri"]["cubicles"]["shifts"][0]["from"] == "10:00"
    assert dumped["run"]["warm_up"] == "20160.0min"


def test_hash_ignores_units_and_key_order(valid_path: Path, write: Callable[..., Path]) -> None:
    text = valid_path.read_text(encoding="utf-8")
    base = scenario_hash(load_scenario(valid_path))
    assert len(base) == 64
    rewritten = (
        text.replace("warm_up: 14d", "warm_up: 2w")
        .replace("handover_release: 45min", "handover_release: 0.75h")
        .replace("retry: 40%", "retry: 0.4")
    )
    assert scenario_hash(load_scenario(write("same.yaml", rewritten))) == base
    changed = text.replace("handover_release: 45min", "handover_release: 46min")
    assert scenario_hash(load_scenario(write("changed.yaml", changed))) != base


def test_hash_is_the_same_for_a_reordered_document(valid_data: dict[str, Any]) -> None:
    reordered = dict(reversed(list(valid_data.items())))
    assert scenario_hash(validate_scenario(reordered)) == scenario_hash(validate_scenario(valid_data))


def test_yaml_12_scalars(valid_data: dict[str, Any], write: Callable[..., Path]) -> None:
    # unquoted 20:00 is a time of day (YAML 1.1 would read 1200), a locality may be called "no"
    text = """
name: yaml12
run: {start: 2025-10-01, end: 2025-10-08}
localities:
  no: {population: 1000, local_authority: on, ed_site: bri}
demand:
  ed_walk_in: {rate: 1/1000/day, acuity: {minors: 1}}
ed:
  bri:
    trust: nbt
    triage_nurses: {shifts: [{from: 20:00, to: 08:00, servers: 2}]}
    triage_time: 5min
    cubicles: 0x10
    acuity: {minors: {priority: 1, treatment_time: 1e2min}}
beds:
  nbt: {beds: 10, length_of_stay: {default: 2d}}
"""
    s = load_scenario(write("yaml12.yaml", text))
    assert list(s.localities) == ["no"]
    assert s.localities["no"].local_authority == "on"
    assert s.ed["bri"].triage_nurses.shifts[0].from_ == 1200
    assert s.ed["bri"].cubicles.default == 16


def test_validate_scenario_in_memory(valid_data: dict[str, Any]) -> None:
    assert validate_scenario(valid_data).name == "small_winter"
    valid_data["ed"]["bri"]["cubicles"] = -2
    with pytest.raises(ScenarioError) as info:
        validate_scenario(valid_data, file="memory")
    assert info.value.problems == [("ed.bri.cubicles", "servers must be >= 0, got -2")]
    assert str(info.value) == "memory: 1 problem:\n  ed.bri.cubicles: servers must be >= 0, got -2"


def test_nulls_count_as_not_written(valid_data: dict[str, Any]) -> None:
    valid_data["ambulance"]["handover_release"] = None
    valid_data["localities"]["bristol_central"]["hub"] = None
    valid_data["demand"].pop("hub_walk_in")
    s = validate_scenario(valid_data)
    assert s.ambulance is not None and s.ambulance.handover_release is None
    assert s.localities["bristol_central"].hub is None


def test_json_schema_describes_units() -> None:
    schema = scenario_json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert "extends" in schema["properties"]
    assert schema["else"]["required"] == ["name", "run", "localities", "demand", "ed", "beds"]
    run = schema["$defs"]["RunSpec"]["properties"]
    assert "[duration]" in run["warm_up"]["description"]
    assert run["warm_up"]["type"] == "string"
    assert "[date]" in run["start"]["description"]
    rate = schema["$defs"]["ChannelSpec"]["properties"]["rate"]
    assert "per-capita" in rate["description"]
    assert "x-simcare-unit" not in str(schema)
    assert schema["$defs"]["RosterSpec"]["additionalProperties"] is False
