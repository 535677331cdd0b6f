"""``simcare validate`` and ``simcare schema``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simcare.cli import main


def test_validate_ok(valid_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(valid_path)]) == 0
    assert capsys.readouterr().out == f"{valid_path}: ok\n"


def test_validate_lists_problems_of_every_file(
    valid_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        valid_path.read_text(encoding="utf-8")
        .replace("cubicles: 40", "cubicles: -2")
        .replace("retry: 40%", "retry: 140%"),
        encoding="utf-8",
    )
    missing = tmp_path / "missing.yaml"
    assert main(["validate", str(valid_path), str(bad), str(missing)]) == 1
    out = capsys.readouterr().out
    assert f"{valid_path}: ok\n" in out
    assert f"{bad}: 2 problems:\n" in out
    assert "  ed.southmead.cubicles: servers must be >= 0, got -2 (line " in out
    assert "  nhs111.phone.retry: must be between 0% and 100%, got '140%' (line " in out
    assert f"{missing}: 1 problem:\n  file not found\n" in out


def test_validate_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2


def test_schema_to_stdout_and_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "simcare scenario"
    out = tmp_path / "scenario.schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == schema


def test_schema_to_an_unwritable_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--out", str(tmp_path / "no" / "such" / "dir" / "s.json")]) == 2
    assert capsys.readouterr().err.startswith("simcare: error: cannot write")


def test_python_dash_m_validate_exit_status(valid_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "simcare", "validate", str(bad)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "YAML error" in done.stdout and "Traceback" not in done.stderr
