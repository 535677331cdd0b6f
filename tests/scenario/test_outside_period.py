"""Dated events outside the simulated period are skipped with a note (issue 17); a malformed
date stays an error; the shipped scenarios are unchanged (same hash, nothing skipped)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from simcare.cli import main
from simcare.scenario import ScenarioError, load_scenario, load_scenario_data, scenario_hash
from simcare.scenario.errors import ScenarioNote
from simcare.scenario.validate import skip_outside_period

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "bnssg" / "baseline_winter.yaml"

NOVEMBER = """\
extends: {base}
name: november
run: {{start: 2025-11-03, end: 2025-11-23, warm_up: 1w}}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "variant.yaml"
    path.write_text(text.format(base=BASELINE))
    return path


def _notes(path: Path) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario = load_scenario(path)
    return scenario, [str(w.message) for w in caught if issubclass(w.category, ScenarioNote)]


def test_shortened_window_skips_bank_holidays_and_surge_with_notes(tmp_path: Path) -> None:
    scenario, notes = _notes(_write(tmp_path, NOVEMBER))
    assert scenario.calendar.bank_holidays == []  # type: ignore[attr-defined]
    assert scenario.calendar.surges == []  # type: ignore[attr-defined]
    assert any("calendar.bank_holidays[0]: 2025-12-25 is outside the simulated period" in n for n in notes)
    # the baseline has no surge since issue 13: its dated events are its three bank holidays
    assert sum(n.endswith("(run.end): skipped") and "calendar.bank_holidays[" in n for n in notes) == 3, notes
    assert all(n.startswith(str(tmp_path / "variant.yaml")) for n in notes)


def test_events_inside_are_kept_and_partial_shock_is_still_an_error(tmp_path: Path) -> None:
    text = NOVEMBER + (
        "calendar:\n  bank_holidays: [2025-11-10, 2026-04-03]\n"
        "  shocks: [{{name: cold, from: 2025-11-20, to: 2025-11-30, factor: 1.1}}]\n"
    )
    with pytest.raises(ScenarioError) as err:
        _notes(_write(tmp_path, text))
    assert [p for p, _ in err.value.problems] == ["calendar.shocks[0].to"]
    ok = NOVEMBER + "calendar:\n  bank_holidays: [2025-11-10, 2026-04-03]\n"
    scenario, notes = _notes(_write(tmp_path, ok))
    assert [str(d) for d in scenario.calendar.bank_holidays] == ["2025-11-10"]  # type: ignore[attr-defined]
    assert any("calendar.bank_holidays[1]: 2026-04-03" in n for n in notes)


def test_malformed_date_stays_an_error(tmp_path: Path) -> None:
    text = NOVEMBER + "calendar:\n  bank_holidays: [2025-13-45]\n"
    with pytest.raises(ScenarioError) as err:
        _notes(_write(tmp_path, text))
    assert err.value.problems[0][0] == "calendar.bank_holidays[0]"


def test_roster_override_outside_is_skipped(tmp_path: Path) -> None:
    text = NOVEMBER + (
        "ambulance:\n  crews:\n    overrides:\n"
        "      - {{from: 2025-12-24, to: 2025-12-27, servers: 20}}\n"
        "      - {{from: 2025-11-05, to: 2025-11-06, servers: 30}}\n"
    )
    scenario, notes = _notes(_write(tmp_path, text))
    kept = scenario.ambulance.crews.overrides  # type: ignore[attr-defined]
    assert [(str(o.from_), o.servers) for o in kept] == [("2025-11-05", 30)]
    assert any(
        n.split(": ", 1)[1].startswith("ambulance.crews.overrides[0]: 2025-12-24 to 2025-12-27")
        for n in notes
    )


def test_incomplete_section_is_left_to_validation() -> None:
    doc = {"run": {"start": "2025-11-03", "end": "2025-11-23"}, "calendar": {"bank_holidays": ["x"]}}
    same, notes = skip_outside_period(doc)
    assert same is doc and notes == []


def test_shipped_scenarios_unchanged() -> None:
    for path in sorted((ROOT / "scenarios" / "bnssg").glob("*.yaml")):
        data = load_scenario_data(path)
        out, notes = skip_outside_period(data)
        assert out is data and notes == [], path
    base, notes = _notes(BASELINE)
    assert notes == []
    assert scenario_hash(base) == scenario_hash(load_scenario(BASELINE))  # type: ignore[arg-type]


def test_validate_prints_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, NOVEMBER)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr()
    assert f"{path}: ok" in out.out
    assert "simcare: note:" in out.err and "2025-12-25 is outside the simulated period" in out.err


def test_run_prints_notes_and_runs_the_shortened_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "week.yaml"
    path.write_text(
        f"extends: {BASELINE}\nname: one_week\nrun: {{start: 2025-11-03, end: 2025-11-09, warm_up: 1d}}\n"
    )
    assert main(["run", str(path), "--quiet"]) == 0
    out = capsys.readouterr()
    assert "one_week: 2025-11-03 to 2025-11-09" in out.out
    assert "simcare: note:" in out.err and "calendar.bank_holidays[2]: 2026-01-01 is outside" in out.err
