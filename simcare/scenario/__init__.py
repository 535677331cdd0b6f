"""Scenario files: the language of docs/scenarios.md, read, merged and validated once.

::

    from simcare.scenario import load_scenario, ScenarioError
    scenario = load_scenario("scenarios/bnssg/baseline_winter.yaml")  # a frozen Scenario

Quantities carry units in the file and plain numbers in Python: durations in minutes, rates per
hour, per-capita rates per person per hour, fractions in [0, 1], times of day in minutes after
midnight (see :mod:`simcare.scenario.units`).
"""

from simcare.scenario.document import format_path
from simcare.scenario.errors import ScenarioError
from simcare.scenario.jsonschema import scenario_json_schema
from simcare.scenario.load import load_scenario, load_scenario_data
from simcare.scenario.schema import DistributionSpec, RosterSpec, Scenario
from simcare.scenario.units import Date, Duration, Fraction, PerCapitaRate, Rate, TimeOfDay
from simcare.scenario.validate import scenario_hash, validate_scenario
from simcare.units import (
    parse_date,
    parse_duration,
    parse_fraction,
    parse_per_capita_rate,
    parse_rate,
    parse_time_of_day,
)

__all__ = [
    "Date",
    "DistributionSpec",
    "Duration",
    "Fraction",
    "PerCapitaRate",
    "Rate",
    "RosterSpec",
    "Scenario",
    "ScenarioError",
    "TimeOfDay",
    "format_path",
    "load_scenario",
    "load_scenario_data",
    "parse_date",
    "parse_duration",
    "parse_fraction",
    "parse_per_capita_rate",
    "parse_rate",
    "parse_time_of_day",
    "scenario_hash",
    "scenario_json_schema",
    "validate_scenario",
]
