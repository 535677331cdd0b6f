"""Optional ``label`` of localities, hubs, ED sites and trusts: bounded like other names, shown
by reports, and not part of the scenario hash."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from test_scenario_errors import problems_of

from simcare.scenario import load_scenario
from simcare.scenario.labels import group_labels
from simcare.scenario.validate import scenario_hash

Write = Callable[..., Path]


def test_labels_name_places_and_leave_the_hash_alone(valid_data: dict[str, Any], write: Write) -> None:
    plain = load_scenario(write("plain.yaml", valid_data))
    valid_data["ed"]["bri"]["label"] = "Bristol Royal Infirmary"
    valid_data["beds"]["uhbw"]["label"] = "University Hospitals Bristol and Weston"
    valid_data["hubs"]["cossham_miu"]["label"] = "Cossham MIU"
    valid_data["localities"]["bristol_central"]["label"] = "Bristol Central"
    labelled = load_scenario(write("labelled.yaml", valid_data))
    assert scenario_hash(labelled) == scenario_hash(plain)
    labels = group_labels(labelled)
    assert labels["bri"] == "Bristol Royal Infirmary"
    assert labels["uhbw"] == "University Hospitals Bristol and Weston"
    assert labels["hub:cossham_miu"] == "Cossham MIU"
    assert labels["locality:bristol_central"] == "Bristol Central"
    assert labels["southmead"] == "Southmead" and labels["hub:south_bristol_utc"] == "South bristol utc"


def test_bad_labels_are_refused_with_their_path(valid_data: dict[str, Any], write: Write) -> None:
    valid_data["ed"]["bri"]["label"] = "x" * 101
    valid_data["hubs"]["cossham_miu"]["label"] = "bad\x07name"
    valid_data["localities"]["bristol_central"]["label"] = 5
    found = problems_of(write("labels.yaml", valid_data))
    assert "ed.bri.label" in found and "100" in found["ed.bri.label"]
    assert "hubs.cossham_miu.label" in found
    assert "localities.bristol_central.label" in found
