"""Issue 16: inputs that were silently reinterpreted. ``handover_release: 0min`` (in the
ambulance section or as a lever) was accepted and meant "no release" (the compiler read 0 as
false): a zero wait is now refused with the field path, and a positive one reaches the compiled
model as the ambulance service's maximum blocked time. A bed lever removing more beds than a
trust has was clamped to 0: it is refused. An escalation divert from a site to itself, and
names shared by sites, trusts, hubs or localities (issue 18), are refused too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simcare.pipeline import compiled, prepare
from simcare.scenario.errors import ScenarioError
from simcare.scenario.load import load_scenario_data

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "bnssg" / "uncalibrated_winter.yaml"


@pytest.fixture(scope="module")
def doc() -> dict:
    return load_scenario_data(BASELINE)


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"ambulance.handover_release": "0min"}, "ambulance.handover_release"),
        ({"levers.handover_release.after": "0min"}, "levers.handover_release.after"),
    ],
)
def test_zero_release_is_refused(doc: dict, overrides: dict, path: str) -> None:
    with pytest.raises(ScenarioError) as err:
        prepare(doc, overrides, "winter.yaml")
    assert path in str(err.value) and "longer than 0" in str(err.value)


def test_positive_release_reaches_the_model(doc: dict) -> None:
    cs, _ = compiled(doc, {"ambulance.handover_release": "45min"}, "winter.yaml")
    block_max = cs.model.block_max[cs.model.service_names.index("ambulance")]
    assert block_max == 45.0
    none, _ = compiled(doc, {"ambulance.handover_release": "none"}, "winter.yaml")
    assert np.isinf(none.model.block_max[none.model.service_names.index("ambulance")])


def test_acute_capacity_lever_never_clamps(doc: dict) -> None:
    """Issue 16: a bed lever removing more beds than a trust has was clamped to 0 beds silently;
    it is refused, naming the lever's field. Removing fewer is applied exactly."""
    with pytest.raises(ScenarioError) as err:
        prepare(doc, {"levers.acute_capacity.beds": {"rvj": -1000}}, "winter.yaml")
    text = str(err.value)
    assert "levers.acute_capacity" in text and "beds.rvj: -1000 would leave -64" in text
    scenario, _ = prepare(doc, {"levers.acute_capacity.beds": {"rvj": -36}}, "winter.yaml")
    assert scenario.beds["rvj"].beds.default == 900


FLU = BASELINE.with_name("flu_surge.yaml")


def test_divert_to_the_same_site_is_refused() -> None:
    """Issue 16: an escalation divert from a site to itself passed validate and did nothing."""
    with pytest.raises(ScenarioError) as err:
        prepare(load_scenario_data(FLU), {"escalation[2].then.divert.to_site": "weston"}, "flu.yaml")
    assert "escalation[2].then.divert.to_site: 'weston' is the site diverted from" in str(err.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # a trust named like an ED site: compare failed after simulating ("repeated rows")
        (
            {
                "beds.southmead": {
                    "beds": 10,
                    "length_of_stay": {"default": {"dist": "exponential", "mean": "3d"}},
                }
            },
            "beds.southmead: 'southmead' is also a name in ed",
        ),
        (
            {
                "localities.ICB": {
                    "population": 1000,
                    "local_authority": "bristol",
                    "ed_site": "bri",
                    "hub": "south_bristol_utc",
                }
            },
            "localities.ICB: 'ICB' is reserved for the KPI table's aggregate groups",
        ),
    ],
)
def test_names_have_one_meaning(doc: dict, overrides: dict, message: str) -> None:
    """Issue 18: sites, trusts, hubs and localities may not share names, nor take the names of
    the KPI table's aggregates."""
    with pytest.raises(ScenarioError) as err:
        prepare(doc, overrides, "winter.yaml")
    assert message in str(err.value)
