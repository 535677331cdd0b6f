"""Paths into the scenario document (parse, format, match, get, set), overrides, scaling values in
their own units, the ``extends`` merge and the overlay diff."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from simcare.scenario.document import (
    PathError,
    Wildcard,
    apply_overrides,
    diff,
    format_path,
    get,
    match,
    merge,
    parse_path,
    scale,
    scale_at,
    set_value,
)
from simcare.scenario.load import load_scenario_data
from simcare.scenario.sets import apply_multipliers
from simcare.scenario.validate import validate_scenario
from simcare.units import parse_duration, parse_fraction, parse_per_capita_rate

PRIOR = Path(__file__).resolve().parents[2] / "scenarios" / "bnssg" / "uncalibrated_winter.yaml"
DOC: dict[str, Any] = {
    "calendar": {
        "growth": "5%",
        "surges": [{"name": "flu", "height": "8%"}, {"name": "rsv", "height": "3%"}],
    },
    "beds": {"rvj": {"beds": 1000}, "ra7": {"beds": 500}},
    "ed": {"site.a": {"cubicles": 10}},
}


# --- parse and format ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("calendar.growth", ("calendar", "growth")),
        ("calendar.surges[0].height", ("calendar", "surges", 0, "height")),
        ('ed."site.a".cubicles', ("ed", "site.a", "cubicles")),
        ("d2a.bristol.P1.servers", ("d2a", "bristol", "P1", "servers")),
        ("beds.nbt.pathway send patients on P3", ("beds", "nbt", "pathway send patients on P3")),
        ("ed.*.acuity.*.mean", ("ed", Wildcard.KEY, "acuity", Wildcard.KEY, "mean")),
        ("calendar.surges[*].height", ("calendar", "surges", Wildcard.ITEM, "height")),
        ('ed."*".cubicles', ("ed", "*", "cubicles")),  # a key named '*', not a wildcard
        ("*.x", (Wildcard.KEY, "x")),
        ("a[0][1]", ("a", 0, 1)),
    ],
)
def test_parse_and_format_round_trip(path: str, parts: tuple[Any, ...]) -> None:
    assert parse_path(path) == parts
    assert format_path(parts) == path


def test_format_path_quotes_only_keys_that_need_it() -> None:
    assert format_path(("ed", "bri", "shifts", 1, "servers")) == "ed.bri.shifts[1].servers"
    assert format_path(("grid", "calendar.growth"), quote=False) == "grid.calendar.growth"
    assert format_path(("x", "a[1]")) == 'x."a[1]"'
    assert format_path(("calendar", "monthly", True)) == "calendar.monthly.True"  # a bool is a key
    assert format_path(()) == ""


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("", "must be text"),
        ("   ", "must be text"),
        ("a..b", "at character 2"),
        ("a.", "at character 2"),
        (".a", "at character 1"),
        ("[0].a", "must start with a section name"),
        ("[*].a", "must start with a section name"),
        ("a[x]", "at character 2"),
        ("a[0", "at character 2"),
        ("a[-1]", "at character 2"),
        ('a."b', "at character 2"),
        ('a.""', "at character 2"),
    ],
)
def test_malformed_paths(path: str, words: str) -> None:
    with pytest.raises(PathError, match=words):
        parse_path(path)
    with pytest.raises(ValueError):  # a PathError is a ValueError
        match(DOC, path)


def test_malformed_path_message() -> None:
    with pytest.raises(PathError) as err:
        parse_path("calendar..growth")
    assert str(err.value) == (
        "malformed override path 'calendar..growth' at character 9 "
        "(write keys joined by '.', list items as [0])"
    )


# --- match and get ------------------------------------------------------------------------------


def test_match_expands_wildcards_in_document_order() -> None:
    assert match(DOC, "beds.*.beds") == [("beds", "rvj", "beds"), ("beds", "ra7", "beds")]
    assert match(DOC, "calendar.surges[*].name") == [
        ("calendar", "surges", 0, "name"),
        ("calendar", "surges", 1, "name"),
    ]
    assert match(DOC, 'ed."site.a".cubicles') == [("ed", "site.a", "cubicles")]
    assert match(DOC, "calendar.surges[1]") == [("calendar", "surges", 1)]
    assert match(DOC, ("beds", Wildcard.KEY)) == [("beds", "rvj"), ("beds", "ra7")]


@pytest.mark.parametrize(
    "path",
    [
        "beds.nowhere.beds",
        "calendar.surges[2]",
        "calendar.surges.*",  # '*' is for mappings
        "beds[*]",
        "beds[0]",
        "calendar.growth.x",
        "calendar.growth.*",
    ],
)
def test_match_finds_nothing(path: str) -> None:
    assert match(DOC, path) == []


def test_paths_with_wildcards_on_the_bnssg_scenario() -> None:
    doc = load_scenario_data(PRIOR)
    found = match(doc, "ed.*.acuity.*.treatment_time.mean")
    assert len(found) == 9 and ("ed", "southmead", "acuity", "major", "treatment_time", "mean") in found
    assert len(match(doc, "discharge.d2a.*.*.capacity")) == 9


def test_get() -> None:
    assert get(DOC, "calendar.surges[1].name") == "rsv"
    assert get(DOC, ("ed", "site.a", "cubicles")) == 10
    assert get(DOC, "beds") is DOC["beds"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("beds.nowhere.beds", "beds.nowhere.beds: beds.nowhere is not in the scenario"),
        ("calendar.surges[2]", "calendar.surges[2]: calendar.surges has 2 entries, no [2]"),
        ("beds[0]", "beds[0]: beds is not a list"),
        ("calendar.growth.x", "calendar.growth.x: calendar.growth is not a mapping"),
        ("beds.*.beds", "beds.*.beds: a wildcard ('*', '[*]') selects several places; name one"),
    ],
)
def test_get_names_what_does_not_fit(path: str, message: str) -> None:
    with pytest.raises(PathError) as err:
        get(DOC, path)
    assert str(err.value) == message


# --- set and overrides --------------------------------------------------------------------------


def test_set_value_in_place_creating_mappings() -> None:
    doc = copy.deepcopy(DOC)
    set_value(doc, ("beds", "rvj", "beds"), 900)
    set_value(doc, "levers.acute_capacity.beds.rvj", 10)
    set_value(doc, "calendar.surges[1]", {"name": "x"})
    assert doc["beds"]["rvj"]["beds"] == 900
    assert doc["levers"] == {"acute_capacity": {"beds": {"rvj": 10}}}
    assert doc["calendar"]["surges"][1] == {"name": "x"}


def test_apply_overrides_sets_values_and_leaves_the_original_alone() -> None:
    value = {"increase": "10%"}
    out = apply_overrides(
        DOC,
        {
            "calendar.surges[0].height": 0.2,
            "beds.rvj.beds": 900,
            'ed."site.a".cubicles': 12,
            "levers.discharge_capacity": value,
        },
    )
    assert out["calendar"]["surges"][0] == {"name": "flu", "height": 0.2}
    assert out["beds"]["rvj"]["beds"] == 900
    assert out["ed"]["site.a"]["cubicles"] == 12
    assert out["levers"] == {"discharge_capacity": {"increase": "10%"}}  # created on the way
    assert out["levers"]["discharge_capacity"] is not value  # a copy of the value
    assert DOC["calendar"]["surges"][0]["height"] == "8%" and "levers" not in DOC


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"calendar.surges[3].height": 1},
            "calendar.surges[3].height: calendar.surges has 2 entries, no [3]",
        ),
        (
            {"calendar.growth.rate": 1},
            "calendar.growth.rate: calendar.growth is a value ('5%'), not a mapping or list",
        ),
        (
            {"calendar.surges[0].name.x": 1},
            "calendar.surges[0].name.x: calendar.surges[0].name is a value ('flu'), not a mapping or list",
        ),
        ({"calendar.surges[0][1]": 1}, "calendar.surges[0][1]: calendar.surges[0] has no item [1]"),
        ({"beds[0]": 1}, "beds[0]: beds has no item [0]"),
        ({"beds[0].x": 1}, "beds[0].x: beds is not a list"),
        ({"missing[0].x": 1}, "missing[0].x: missing is not in the scenario, so it has no [0]"),
        ({"calendar[0]": 1}, "calendar[0]: calendar has no item [0]"),
        ({"ed.*.cubicles": 1}, "ed.*.cubicles: a wildcard ('*', '[*]') selects several places; name one"),
        ({"calendar..growth": 1}, "malformed override path 'calendar..growth' at character 9"),
    ],
)
def test_paths_that_do_not_fit_the_document(overrides: dict[str, int], message: str) -> None:
    with pytest.raises(PathError) as err:
        apply_overrides(DOC, overrides)
    assert str(err.value).startswith(message)


def test_one_list_item_message() -> None:
    with pytest.raises(PathError, match=r"calendar\.surges has 1 entry, no \[3\]"):
        apply_overrides({"calendar": {"surges": [{}]}}, {"calendar.surges[3].height": 1})


# --- scale --------------------------------------------------------------------------------------


def test_scale_keeps_the_unit() -> None:
    assert scale("3.5h", 1.2) == "252min"
    assert parse_duration(scale("3.5h", 1.2)) == pytest.approx(3.5 * 60 * 1.2)
    assert scale("200/1000/year", 1.1) == "220/1000/year"
    assert parse_per_capita_rate(scale("200/1000/year", 1.1)) == pytest.approx(
        parse_per_capita_rate("220/1000/year")
    )
    assert scale(150, 1.1) == 165 and scale(1, 0.1) == 1  # counts stay >= 1
    assert scale(2.0, 0.5) == 1.0
    shift = {"days": "all", "from": "08:00", "to": "24:00", "servers": 36}
    roster: dict[str, Any] = {"default": 26, "shifts": [shift]}
    assert scale(roster, 0.5) == {"default": 13, "shifts": [{**shift, "servers": 18}]}
    assert scale({"default": 4}, 2.0) == {"default": 8}
    assert scale("37%", 1.2) == "44.4%" and scale(" 8 % ", 0.5) == "4%"  # a share stays a share
    assert parse_fraction(scale("37%", 1.2)) == pytest.approx(0.37 * 1.2)
    assert scale("50%", 2.0) == "100%" and scale("-1%", 1.5) == "-1.5%"  # 100 % is allowed; a fall scales


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (True, "yes/no"),
        ("ra7", "'ra7' is not a duration"),
        ([1, 2], "not a duration, rate, percentage, number"),
        ({"dist": "fixed"}, "not a duration, rate, percentage, number or roster"),
        ("60%", r"^'60%' x 2 is 120%, over 100%$"),
    ],
)
def test_scale_refuses_other_values(value: Any, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        scale(value, 2.0)


def test_scale_at_scales_every_match_in_place() -> None:
    doc = copy.deepcopy(DOC)
    assert scale_at(doc, "beds.*.beds", 1.1) == [("beds", "rvj", "beds"), ("beds", "ra7", "beds")]
    assert [doc["beds"][t]["beds"] for t in ("rvj", "ra7")] == [1100, 550]
    with pytest.raises(PathError, match=r"^path 'beds\.\*\.x' matches nothing in the scenario$"):
        scale_at(doc, "beds.*.x", 1.1)
    with pytest.raises(ValueError, match=r"^calendar\.surges\[0\]\.name: 'flu' is not a duration"):
        scale_at(doc, "calendar.surges[*].name", 1.1)


def test_apply_multipliers_scales_every_match_and_the_result_validates() -> None:
    doc = load_scenario_data(PRIOR)
    out = apply_multipliers(
        doc,
        [_P("ed", ("ed.*.acuity.*.treatment_time.mean",)), _P("cap", ("discharge.d2a.*.*.capacity",))],
        [1.1, 0.9],
    )
    before = parse_duration(doc["ed"]["bri"]["acuity"]["minor"]["treatment_time"]["mean"])
    after = parse_duration(out["ed"]["bri"]["acuity"]["minor"]["treatment_time"]["mean"])
    assert after == pytest.approx(1.1 * before)
    assert out["discharge"]["d2a"]["bristol"]["P1"]["capacity"] == round(0.9 * 150)
    assert doc["discharge"]["d2a"]["bristol"]["P1"]["capacity"] == 150  # the input is not changed
    validate_scenario(out)


def test_a_multiplier_path_matching_nothing_is_named() -> None:
    doc = load_scenario_data(PRIOR)
    with pytest.raises(
        ValueError, match=r"^parameter los: path 'beds\.nowhere\.length_of_stay' matches nothing"
    ):
        apply_multipliers(doc, [_P("los", ("beds.nowhere.length_of_stay",))], [1.0])
    with pytest.raises(ValueError, match=r"^parameter t: ed\.bri\.trust: 'ra7' is not a duration"):
        apply_multipliers(doc, [_P("t", ("ed.bri.trust",))], [1.1])
    with pytest.raises(ValueError, match="zip"):  # one factor per parameter
        apply_multipliers(doc, [_P("c", ("ed.*.cubicles",))], [1.1, 1.0])


class _P:
    def __init__(self, name: str, paths: tuple[str, ...]) -> None:
        self.name, self.paths = name, paths


# --- merge and diff -----------------------------------------------------------------------------


def test_merge_as_extends_merges() -> None:
    base: dict[str, Any] = {"a": {"x": 1, "y": [1, 2], "z": {"k": 1}}, "b": 2, "c": 3}
    child: dict[str, Any] = {"a": {"y": [3], "z": {"j": 2}, "w": 4}, "b": {"new": 1}, "c": None, "d": None}
    replaced: set[tuple[Any, ...]] = set()
    out = merge(base, child, replaced)
    assert out == {"a": {"x": 1, "y": [3], "z": {"k": 1, "j": 2}, "w": 4}, "b": {"new": 1}}
    assert replaced == {("a", "y"), ("b",), ("c",)}  # 'd' was not in base: nothing replaced
    assert base == {"a": {"x": 1, "y": [1, 2], "z": {"k": 1}}, "b": 2, "c": 3}  # inputs unchanged
    out["a"]["z"]["k"] = 99
    assert base["a"]["z"]["k"] == 1 and child["a"]["y"] == [3]  # the result shares nothing
    out["a"]["y"].append(5)
    assert child["a"]["y"] == [3]


def test_overlay_diff_merged_back_gives_the_changed_document() -> None:
    doc = load_scenario_data(PRIOR)
    changed = apply_multipliers(doc, [_P("d", ("demand.*.rate", "beds.*.discharge_process.*.mean"))], [1.05])
    delta = diff(doc, changed)
    assert set(delta) == {"demand", "beds"}
    assert set(delta["beds"]["rvj"]) == {"discharge_process"}  # only changed leaves
    assert merge(doc, delta) == changed
    assert diff(doc, doc) == {}
    assert diff({"a": [1, 2]}, {"a": [1, 3]}) == {"a": [1, 3]}  # a list is kept whole
