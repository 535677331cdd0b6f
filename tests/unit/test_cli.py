"""The command line runs the example and reports errors without tracebacks."""

from __future__ import annotations

import pytest

from simcare.cli import main


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
