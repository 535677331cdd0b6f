"""Dotted override paths: parsing, setting values, and errors that say which part does not fit."""

from __future__ import annotations

import pytest

from simcare.batch.overrides import OverrideError, apply_overrides, parse_path

DOC = {"calendar": {"growth": "5%", "surges": [{"name": "flu", "height": "8%"}]},
       "beds": {"rvj": {"beds": 1000}}, "ed": {"site.a": {"cubicles": 10}}}


@pytest.mark.parametrize(("path", "parts"), [
    ("calendar.growth", ("calendar", "growth")),
    ("calendar.surges[0].height", ("calendar", "surges", 0, "height")),
    ('ed."site.a".cubicles', ("ed", "site.a", "cubicles")),
    ("d2a.bristol.P1.servers", ("d2a", "bristol", "P1", "servers")),
])
def test_parse_path(path: str, parts: tuple[str | int, ...]) -> None:
    assert parse_path(path) == parts


@pytest.mark.parametrize("path", ["", "a..b", "a.", ".a", "[0].a", "a[x]", "a[0"])
def test_malformed_paths(path: str) -> None:
    with pytest.raises(OverrideError):
        parse_path(path)


def test_apply_overrides_sets_values_and_leaves_the_original_alone() -> None:
    out = apply_overrides(DOC, {"calendar.surges[0].height": 0.2, "beds.rvj.beds": 900,
                                'ed."site.a".cubicles': 12,
                                "levers.discharge_capacity.increase": "10%"})
    assert out["calendar"]["surges"][0] == {"name": "flu", "height": 0.2}
    assert out["beds"]["rvj"]["beds"] == 900
    assert out["ed"]["site.a"]["cubicles"] == 12
    assert out["levers"] == {"discharge_capacity": {"increase": "10%"}}  # created on the way
    assert DOC["calendar"]["surges"][0]["height"] == "8%" and "levers" not in DOC


@pytest.mark.parametrize(("overrides", "message"), [
    ({"calendar.surges[3].height": 1}, r"calendar\.surges has 1 entry, no \[3\]"),
    ({"calendar.growth.rate": 1}, r"calendar\.growth is a value \('5%'\), not a mapping"),
    ({"beds[0]": 1}, r"beds has no item \[0\]"),
    ({"missing[0].x": 1}, r"missing is not in the scenario, so it has no \[0\]"),
])
def test_paths_that_do_not_fit_the_document(overrides: dict[str, int], message: str) -> None:
    with pytest.raises(OverrideError, match=message):
        apply_overrides(DOC, overrides)
