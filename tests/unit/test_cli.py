"""The command line runs the example and reports errors without tracebacks."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from simcare.cli import build_parser, main


def test_example_runs_and_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example", "--weeks", "2", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    for word in ("triage", "minors", "majors", "mean_wait_to_start_min", "conservation checked"):
        assert word in out


def test_bad_arguments_exit_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["example", "--weeks", "many"])
    assert info.value.code == 2
    assert "invalid float value" in capsys.readouterr().err


def test_help_describes_the_tool_and_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 18: --help printed the module docstring, which named 5 of the 7 commands and
    talked about how the module is written ("Kept thin")."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "Kept thin" not in text and "``" not in text
    assert "urgent and emergency care" in text
    for name in commands:
        assert f"    {name} " in text or f"    {name}\n" in text, name


def test_run_help_names_the_files_it_writes(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 18: --out's help said measures.csv; run writes measures.csv.gz."""
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "measures.csv.gz" in text and "measures.csv," not in text
    assert "without --out nothing is written" in text


def test_run_without_out_says_that_nothing_was_written(
    capsys: pytest.CaptureFixture[str], short_scenario: Path
) -> None:
    """Issue 18: `simcare run` without --out wrote nothing and did not say so."""
    assert main(["run", str(short_scenario), "--quiet"]) == 0
    assert "nothing written: give --out DIR" in capsys.readouterr().out


@pytest.fixture
def short_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    base = Path(__file__).resolve().parents[1] / "batch" / "data" / "short.yaml"
    path.write_text(f"extends: {base}\nrun: {{end: 2025-12-24}}\n", encoding="utf-8")
    return path


def test_license_and_changelog_ship_with_the_project() -> None:
    """Issue 18: pyproject said MIT but there was no LICENSE file, and no CHANGELOG."""
    import tomllib

    from simcare._version import __version__

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert (root / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert f"({__version__})" in (root / "CHANGELOG.md").read_text(encoding="utf-8")
