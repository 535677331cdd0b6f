"""Calibration specifications are read as scenario files are (issue 16): one YAML reader (bad
tags, alias bombs), no path outside the spec's project root, outputs only under it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simcare.calibration.spec import SpecError, load_spec
from simcare.cli import main

SPEC = Path(__file__).resolve().parents[2] / "calibration" / "bnssg.yaml"


def _write(folder: Path, text: str | None = None, **changes: object) -> Path:
    raw = yaml.safe_load(SPEC.read_text())
    raw["scenario"] = str(SPEC.parent / raw["scenario"])
    raw["data"] = str(SPEC.parent / "data")
    raw.update(changes)
    folder.mkdir(parents=True, exist_ok=True)
    f = folder / "spec.yaml"
    f.write_text(text if text is not None else yaml.safe_dump(raw))
    return f


def _error(path: Path, **kw: object) -> SpecError:
    with pytest.raises(SpecError) as err:
        load_spec(path, **kw)  # type: ignore[arg-type]
    return err.value


def test_a_spec_with_a_bad_tag_or_an_alias_bomb_is_a_spec_error(tmp_path: Path) -> None:
    f = _write(tmp_path, "fit: {from: !!timestamp notadate}\n")
    err = _error(f)
    assert err.field == "(file)"
    assert "line 1, column 13: YAML error: the value is not a valid !!timestamp" in str(err)
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 10)}]\n" for k in range(1, 9)
    )
    assert "YAML aliases expand the document" in str(_error(_write(tmp_path, bomb)))
    assert "duplicate key 'fit'" in str(_error(_write(tmp_path, "fit: 1\nfit: 2\n")))


def test_outputs_outside_the_spec_root_are_refused(tmp_path: Path) -> None:
    outputs = {"overlay": "../elsewhere/o.yaml", "sample": "s.csv", "errors": "e.json", "report": "r.html"}
    f = _write(tmp_path / "project", outputs=outputs)
    err = _error(f)
    assert err.field == "outputs.overlay" and "outside the project root" in str(err)
    assert load_spec(f, allow_outside=True).overlay == tmp_path / "project" / "../elsewhere/o.yaml"
    absolute = {**outputs, "overlay": "/tmp/x.yaml"}
    assert _error(_write(tmp_path / "project", outputs=absolute)).field == "outputs.overlay"


def test_outputs_under_a_marked_root_may_leave_the_spec_folder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    outputs = {"overlay": "../fitted/o.yaml", "sample": "s.csv", "errors": "e.json", "report": "r.html"}
    spec = load_spec(_write(tmp_path / "calibration", outputs=outputs))
    assert spec.overlay.resolve() == tmp_path / "fitted" / "o.yaml"


def test_scenario_and_data_outside_the_root_are_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    err = _error(_write(tmp_path / "project", scenario="../elsewhere/s.yaml"))
    assert err.field == "scenario" and "outside the project root" in str(err)
    err = _error(_write(tmp_path / "project", data=str(tmp_path / "elsewhere")))
    assert err.field == "data"
    assert load_spec(_write(tmp_path / "project", data=str(tmp_path / "elsewhere")), allow_outside=True)


def test_the_shipped_spec_and_shipped_paths_from_anywhere_load(tmp_path: Path) -> None:
    assert load_spec(SPEC).overlay == SPEC.parent / "fitted" / "bnssg_fitted.yaml"
    assert load_spec(_write(tmp_path)).scenario.resolve().name == "uncalibrated_winter.yaml"


def test_calibrate_refuses_outside_with_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {"overlay": "/tmp/o.yaml", "sample": "s.csv", "errors": "e.json", "report": "r.html"}
    assert main(["calibrate", str(_write(tmp_path, outputs=outputs))]) == 2
    err = capsys.readouterr().err
    assert "outputs.overlay" in err and "--allow-outside" in err and "Traceback" not in err
