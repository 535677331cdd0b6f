"""Every quantity of a scenario is bounded to what a real system could have (issue 16).

Each hostile or careless value below once passed ``simcare validate`` and then failed at
``run`` with a traceback (an OverflowError in the builder, arrival arrays of infinities, a
length-of-stay factor of 1e300), hung the machine (a 5 MB name on every KPI row, a growth base
in 1900, a population of 1e11) or was silently read (Arabic-Indic digits, control characters in
names). Now each is a ScenarioError naming the field and the line it was written at, found by
``simcare validate`` (exit status 1, one message, no traceback), and ``run`` refuses it the same
way before anything is simulated.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simcare.cli import main
from simcare.errors import SimcareError
from simcare.pipeline import check, prepare
from simcare.scenario import ScenarioError, load_scenario
from simcare.scenario.compile import compile_scenario
from simcare.scenario.schema.references import service_names
from simcare.scenario.size import DEFAULT_LIMIT_BYTES, LIMIT_ENV, estimate

HUGE = 2**70  # past 64 bits

Writer = Callable[..., Path]


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    cur: Any = out
    for part in path[:-1]:
        cur = cur[part]
    cur[path[-1]] = value
    return out


def _problems(path: Path) -> dict[str, tuple[str, str]]:
    """field path -> (message, location) of every problem ``simcare validate`` finds."""
    with pytest.raises(ScenarioError) as info:
        check(path)
    err = info.value
    assert err.file == str(path)
    return {p: (m, where) for (p, m), where in zip(err.problems, err.locations, strict=True)}


def _refused(
    path: Path, field: str, words: str, capsys: pytest.CaptureFixture[str], *, line: bool = True
) -> str:
    """``check`` and ``simcare validate`` refuse ``path`` at ``field`` with ``words`` in the
    message (and the line it was written at); the message, for more checks."""
    found = _problems(path)
    assert field in found, found
    message, where = found[field]
    assert words in message, message
    if line:
        assert where.startswith("line "), (field, where)
    capsys.readouterr()
    assert main(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert f"{path}: " in out and field in out and "Traceback" not in out + err
    assert len(out) < 5000  # one clear message, never the value echoed in full
    return message


# --- the valid file stays valid ---------------------------------------------------------------


def test_the_valid_scenario_passes_every_check(valid_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario, _digest, size = check(valid_path)
    assert scenario.name == "small_winter"
    assert 0 < size.patients < 5e6
    assert main(["validate", str(valid_path)]) == 0


def test_service_names_are_those_the_compiler_builds(valid_path: Path) -> None:
    scenario = load_scenario(valid_path)
    assert set(service_names(scenario)) == set(compile_scenario(scenario).model.service_names)


# --- integers past 64 bits, and counts no real system has -------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("ed", "bri", "cubicles", "default"), "ed.bri.cubicles.default"),
        (("ed", "southmead", "cubicles"), "ed.southmead.cubicles"),
        (("hubs", "cossham_miu", "clinicians"), "hubs.cossham_miu.clinicians"),
        (
            ("hubs", "south_bristol_utc", "clinicians", "shifts", 0, "servers"),
            "hubs.south_bristol_utc.clinicians.shifts[0].servers",
        ),
        (("beds", "nbt", "beds"), "beds.nbt.beds"),
        (("run", "seed"), "run.seed"),
        (("run", "replications"), "run.replications"),
    ],
)
def test_integers_past_64_bits_are_refused(
    valid_data: dict[str, Any],
    write: Writer,
    capsys: pytest.CaptureFixture[str],
    path: tuple[Any, ...],
    field: str,
) -> None:
    f = write("big.yaml", _set(valid_data, path, HUGE))
    _refused(f, field, "must be <=", capsys)


def test_a_census_past_64_bits_is_refused(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write("census.yaml", _set(valid_data, ("run", "census"), {"beds:uhbw": HUGE}))
    _refused(f, "run.census.beds:uhbw", "must be <=", capsys)


def test_parameter_set_multipliers_past_64_bits_are_refused(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write("sets.yaml", _set(valid_data, ("parameter_sets", "sets", 1, 0), HUGE))
    _refused(f, "parameter_sets.sets[1][0]", "must be <= 1000", capsys)


def test_a_parameter_set_that_takes_a_value_out_of_bounds_is_refused(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _set(valid_data, ("ed", "southmead", "cubicles"), 90000)
    f = write("sets.yaml", _set(doc, ("parameter_sets", "sets", 1, 0), 1000.0))
    found = _problems(f)
    assert any("parameter set 1" in m and "must be <= 100000" in m for m, _ in found.values()), found


def test_a_population_of_1e11_is_refused(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write("pop.yaml", _set(valid_data, ("localities", "bristol_central", "population"), 10**11))
    _refused(f, "localities.bristol_central.population", "must be <= 100000000", capsys)


# --- numbers that overflow what is built from them ----------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        (
            ("beds", "uhbw", "length_of_stay_trend"),
            {"per_year": 1e-300, "until": "2026-01-01"},
            "beds.uhbw.length_of_stay_trend.per_year",
            "must be >= 0.5",
        ),
        (
            ("nhs111", "phone", "handling_time"),
            {"dist": "lognormal", "mean": "9min", "sd": "1e300min"},
            "nhs111.phone.handling_time.sd",
            "at most 20 years",
        ),
        (
            ("nhs111", "phone", "handling_time"),
            {"dist": "lognormal", "mean": "9min", "sd": "4000d"},
            "nhs111.phone.handling_time.sd",
            "at most 10 years",
        ),
        (
            ("ed", "bri", "triage_time"),
            {"dist": "weibull", "shape": 1e-300, "scale": "8min"},
            "ed.bri.triage_time.shape",
            "must be >=",
        ),
        (("demand", "phone_111", "rate"), "1e300/1/h", "demand.phone_111.rate", "at most"),
        (("calendar", "bank_holiday_factor"), 1e300, "calendar.bank_holiday_factor", "must be <= 1000"),
        (("calendar", "monthly", "jan"), 1e300, "calendar.monthly.jan", "must be <= 1000"),
        (("calendar", "growth"), "-99%", "calendar.growth", "-50%"),
        (("calendar", "growth_base"), "1900-01-01", "calendar.growth_base", "2000-01-01"),
        (("run", "end"), "9999-12-31", "run.end", "2100-12-31"),
        (("run", "warm_up"), "1000000w", "run.warm_up", "20 years"),
        (("profiles", "calls", "hourly", 3), 1e300, "profiles.calls.hourly[3]", "must be <="),
        (
            ("escalation", 1, "when", "above"),
            1e300,
            "escalation[1].when.above",
            "must be <=",
        ),
        (("ed", "bri", "acuity", "resus", "priority"), HUGE, "ed.bri.acuity.resus.priority", "must be <="),
    ],
)
def test_numbers_that_would_overflow_are_refused(
    valid_data: dict[str, Any],
    write: Writer,
    capsys: pytest.CaptureFixture[str],
    path: tuple[Any, ...],
    value: Any,
    field: str,
    words: str,
) -> None:
    f = write("overflow.yaml", _set(valid_data, path, value))
    _refused(f, field, words, capsys)


def test_a_run_longer_than_20_years_is_refused(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _set(valid_data, ("run", "end"), "2045-09-30")
    _refused(write("long.yaml", _set(doc, ("run", "warm_up"), "2w")), "run", "20 years", capsys, line=True)


# --- names and descriptions ---------------------------------------------------------------------


def test_a_5_mb_name_is_refused_without_echoing_it(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write("name.yaml", _set(valid_data, ("name",), "x" * 5_000_000))
    _refused(f, "name", "at most 100 characters", capsys)


def test_a_long_description_is_refused(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write("desc.yaml", _set(valid_data, ("description",), "y" * 10_001))
    _refused(f, "description", "at most 10000 characters", capsys)


@pytest.mark.parametrize("text", ["small\x1b[2Jwinter", "bell\x07", "cr\rlf", "nul\x00"])
def test_names_with_control_characters_are_refused(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    f = write("ctrl.yaml", _set(valid_data, ("name",), text))
    message = _refused(f, "name", "control character", capsys)
    assert "\x1b" not in message and "\x07" not in message


def test_keys_with_control_characters_are_refused(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(valid_data)
    doc["profiles"]["ca\x1bll"] = doc["profiles"].pop("calls")
    for channel in ("phone_111", "online_111", "call_999"):
        doc["demand"][channel]["profile"] = "ca\x1bll"
    f = write("key.yaml", doc)
    found = _problems(f)
    assert any("control character" in m for m, _ in found.values()), found
    assert main(["validate", str(f)]) == 1
    assert "\x1b" not in capsys.readouterr().out


def test_descriptions_keep_line_breaks_but_not_escape_sequences(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = write("ok.yaml", _set(valid_data, ("description",), "two\nlines\tand a tab"))
    check(ok)
    f = write("esc.yaml", _set(valid_data, ("description",), "red \x1b[31m text"))
    _refused(f, "description", "control character", capsys)


# --- digits that are not ASCII ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("nhs111", "phone", "retry_delay"), "\u0661\u0665min", "nhs111.phone.retry_delay"),  # ١٥min
        (("run", "warm_up"), "\uff11\uff14d", "run.warm_up"),  # １４d (full width)
        (("nhs111", "phone", "retry"), "\uff14\uff10%", "nhs111.phone.retry"),  # ４０%
        (("demand", "phone_111", "rate"), "\u0663\u0665\u0660/1000/year", "demand.phone_111.rate"),
        (("hubs", "cossham_miu", "to_ed"), "\u0660.\u0660\u0665", "hubs.cossham_miu.to_ed"),
        (("run", "start"), "\u0662\u0660\u0662\u0665-10-01", "run.start"),
        (
            ("ed", "bri", "cubicles", "shifts", 0, "from"),
            "\uff11\uff10:00",
            "ed.bri.cubicles.shifts[0].from",
        ),
    ],
)
def test_digits_that_are_not_ascii_are_refused(
    valid_data: dict[str, Any],
    write: Writer,
    capsys: pytest.CaptureFixture[str],
    path: tuple[Any, ...],
    value: str,
    field: str,
) -> None:
    f = write("digits.yaml", _set(valid_data, path, value))
    _refused(f, field, "", capsys)


# --- census -------------------------------------------------------------------------------------


def test_a_census_larger_than_the_beds_is_refused(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    census = {"beds:uhbw": 600, "nctr:uhbw": 200}  # 800 > the 730 beds uhbw ever has
    f = write("census.yaml", _set(valid_data, ("run", "census"), census))
    message = _refused(f, "run.census", "730 beds", capsys)
    assert "uhbw" in message and "800" in message


def test_a_census_into_a_trust_without_beds_is_refused(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _set(valid_data, ("beds", "nbt", "beds"), 0)
    f = write("census.yaml", _set(doc, ("run", "census"), {"beds:nbt": 10}))
    _refused(f, "run.census.beds:nbt", "0 beds", capsys)


def test_a_census_within_the_beds_is_accepted(valid_data: dict[str, Any], write: Writer) -> None:
    f = write("census.yaml", _set(valid_data, ("run", "census"), {"beds:uhbw": 500, "nctr:uhbw": 230}))
    check(f)


# --- the four files that passed validate and failed only at run ---------------------------------


def test_an_escalation_on_an_unknown_service_is_found_by_validate(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write("esc.yaml", _set(valid_data, ("escalation", 0, "when", "service"), "beds:uhbx"))
    message = _refused(f, "escalation[0].when.service", "unknown service 'beds:uhbx'", capsys)
    assert "did you mean 'beds:uhbw'?" in message


def test_an_escalation_adding_servers_to_an_unknown_service_is_found_by_validate(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write("esc.yaml", _set(valid_data, ("escalation", 0, "then", "add_servers", "service"), "beds.uhbw"))
    _refused(f, "escalation[0].then.add_servers.service", "unknown service 'beds.uhbw'", capsys)


def test_a_census_for_an_unknown_trust_is_found_by_validate(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write("census.yaml", _set(valid_data, ("run", "census"), {"beds:nowhere": 10}))
    _refused(f, "run.census.beds:nowhere", "no trust 'nowhere'", capsys)


@pytest.mark.parametrize("key", ["d2a:P1:nowhere", "wards:uhbw"])
def test_other_unknown_census_keys_are_found_by_validate(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    f = write("census.yaml", _set(valid_data, ("run", "census"), {key: 10}))
    _refused(f, f"run.census.{key}", "", capsys)


def test_a_parameter_set_path_to_text_is_found_by_validate(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write("sets.yaml", _set(valid_data, ("parameter_sets", "parameters", 0, "paths"), ["name"]))
    _refused(f, "parameter_sets.parameters[0].paths[0]", "cannot scale", capsys)


# --- the size of a run, estimated before it runs ------------------------------------------------


def test_a_run_too_large_for_memory_is_refused_with_its_estimate(
    valid_data: dict[str, Any], write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _set(valid_data, ("localities", "bristol_central", "population"), 100_000_000)
    doc = _set(doc, ("demand", "ed_walk_in", "rate"), "300/1/year")  # 300 visits a head a year
    f = write("big.yaml", doc)
    message = _refused(f, "run", "patients", capsys, line=False)
    assert "of visit rows" in message and LIMIT_ENV in message
    with pytest.raises(ScenarioError, match="patients"):
        prepare(f)  # what run, compare and batch share
    assert main(["run", str(f)]) == 2
    err = capsys.readouterr().err
    assert "patients" in err and "Traceback" not in err


def test_the_limit_can_be_raised(
    valid_data: dict[str, Any], write: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = _set(valid_data, ("localities", "bristol_central", "population"), 20_000_000)
    f = write("big.yaml", doc)
    size = estimate(load_scenario(f))
    assert size.bytes > 1e6
    monkeypatch.setenv(LIMIT_ENV, str(int(size.bytes // 2)))
    with pytest.raises(ScenarioError, match="patients"):
        check(f)
    monkeypatch.setenv(LIMIT_ENV, str(int(size.bytes * 2)))
    check(f)
    monkeypatch.setenv(LIMIT_ENV, "lots")
    with pytest.raises(SimcareError, match=LIMIT_ENV):
        check(f)


def test_the_estimate_is_near_what_runs(valid_path: Path) -> None:
    """The estimate of the small scenario is near the patients it simulates (-10% ... x2)."""
    from simcare.pipeline import compiled
    from simcare.sampling.draws import draw

    cs, _ = compiled(valid_path)
    simulated = draw(cs.model, seed=2025, replication=0).n_patients
    size = estimate(load_scenario(valid_path))
    assert 0.9 * simulated <= size.patients <= 2 * simulated
    assert size.bytes < DEFAULT_LIMIT_BYTES
