"""Distributions in scenario files: the schema's models are generated from the table of
simcare.sampling.distributions, so every distribution there (normal and truncated_normal
included) is accepted, refused and compiled the same way."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simcare.sampling.distributions import DISTRIBUTIONS, Normal, TruncatedNormal
from simcare.scenario import ScenarioError, load_scenario, scenario_json_schema
from simcare.scenario.compile import compile_scenario
from simcare.scenario.schema import DISTRIBUTION_SPECS

Write = Callable[..., Path]


def problems_of(path: Path) -> dict[str, str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return dict(info.value.problems)


def test_one_model_per_distribution_of_the_table() -> None:
    """Every distribution of the table has its model, named after it, and is in the JSON
    schema's discriminator under its name."""
    assert list(DISTRIBUTION_SPECS) == list(DISTRIBUTIONS)
    assert DISTRIBUTION_SPECS["truncated_normal"].__name__ == "TruncatedNormalSpec"
    schema = scenario_json_schema()
    for name in DISTRIBUTIONS:
        assert DISTRIBUTION_SPECS[name].__name__ in schema["$defs"]


def test_normal_laws_are_read_and_compiled(valid_data: dict[str, Any], write: Write) -> None:
    """``{dist: normal, mean, sd}`` and ``{dist: truncated_normal, mean, sd, low, high}``
    become Normal and TruncatedNormal (low defaults to 0, high to none: no upper bound); the
    compiled model keeps the truncated normals' constants in its pool."""
    valid_data["hubs"]["cossham_miu"]["treatment_time"] = {"dist": "normal", "mean": "30min", "sd": "5min"}
    valid_data["nhs111"]["phone"]["patience"] = {"dist": "truncated_normal", "mean": "10min", "sd": "8min"}
    valid_data["ed"]["bri"]["triage_time"] = {
        "dist": "truncated_normal",
        "mean": "8min",
        "sd": "4min",
        "low": "2min",
        "high": "20min",
    }
    valid_data["escalation"] = []  # valid.yaml's rules name services the compiler spells otherwise
    scenario = load_scenario(write("normal.yaml", valid_data))
    assert scenario.nhs111 is not None and scenario.nhs111.phone.patience is not None
    assert scenario.hubs["cossham_miu"].treatment_time.to_distribution() == Normal(30.0, 5.0)
    assert scenario.nhs111.phone.patience.to_distribution() == TruncatedNormal(10.0, 8.0)
    triage = scenario.ed["bri"].triage_time.to_distribution()
    assert triage == TruncatedNormal(8.0, 4.0, 2.0, 20.0)
    assert TruncatedNormal(10.0, 8.0).high == math.inf
    model = compile_scenario(scenario).model
    # each (service, group) that uses a truncated normal gets its 3 constants in the pool
    chunks = {tuple(c) for c in model.empirical_values.reshape(-1, 3)}
    assert chunks == {tuple(TruncatedNormal(10.0, 8.0).empirical()), tuple(triage.empirical())}


@pytest.mark.parametrize(
    ("law", "message"),
    [
        (
            {"dist": "normal", "mean": "20min", "sd": "10min"},
            "needs mean >= 3 sd, else more than 0.135% of it is below 0, got mean 20 and sd 10 "
            "minutes: use truncated_normal, lognormal or gamma",
        ),
        ({"dist": "normal", "mean": "20min"}, "required, but missing"),
        ({"dist": "normal", "mean": "20min", "sd": "0min"}, "must be longer than 0"),
        (
            {"dist": "truncated_normal", "mean": "20min", "sd": "5min", "low": "30min", "high": "25min"},
            "needs high > low, got low 30 and high 25 minutes",
        ),
        (
            {"dist": "truncated_normal", "mean": "20min", "sd": "1min", "low": "2h"},
            "low 120 to high inf minutes holds less than 1e-12 of the normal of mean 20 and sd 1",
        ),
        ({"dist": "truncated_normal", "mean": "20min", "sd": "5min", "lo": "1min"}, "unknown key"),
    ],
)
def test_bad_normal_laws_are_refused(
    valid_data: dict[str, Any], write: Write, law: dict[str, str], message: str
) -> None:
    valid_data["hubs"]["cossham_miu"]["treatment_time"] = law
    found = problems_of(write("bad.yaml", valid_data))
    where = "hubs.cossham_miu.treatment_time"
    assert any(k.startswith(where) and message in v for k, v in found.items()), found
