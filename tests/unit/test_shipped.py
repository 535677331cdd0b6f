"""The shipped systems are package data (issue 14, item 4): ``simcare.shipped`` reaches the
repository's scenarios and calibration files, and ``simcare scenarios`` copies one system into a
folder that runs with no edits. (The built wheel is tested in tests/packaging/test_wheel.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from simcare.calibration.published import DATA_DIR
from simcare.cli import main
from simcare.errors import SimcareError
from simcare.scenario.load import load_scenario
from simcare.scenario.validate import scenario_hash
from simcare.shipped import calibration_folder, root, scenarios_folder, systems
from simcare.shipped.copy import MARKER, copy_system, files_of

REPO = Path(__file__).resolve().parents[2]


def test_every_system_and_calibration_spec_of_the_repository_is_shipped() -> None:
    """A new system folder, or a new calibration spec without its link in
    simcare/shipped/calibration, would be missing from the wheel."""
    folders = sorted(p.name for p in (REPO / "scenarios").iterdir() if p.is_dir())
    assert systems() == tuple(folders) and {"bnssg", "hwe"} <= set(systems())
    assert scenarios_folder() == (REPO / "scenarios").resolve()
    for spec in (REPO / "calibration").glob("*.yaml"):
        assert (calibration_folder() / spec.name).resolve() == spec.resolve(), spec.name
    for sub in ("data", "fitted"):
        assert (calibration_folder() / sub).resolve() == (REPO / "calibration" / sub).resolve()
    assert (REPO / "calibration" / "data").resolve() == DATA_DIR
    assert root().is_dir()


def test_a_copied_system_is_the_same_scenario_and_its_paths_resolve(tmp_path: Path) -> None:
    written = copy_system("BNSSG", tmp_path / "copy")
    assert written[0] == tmp_path / "copy" / MARKER
    assert len(written) == 1 + len(files_of("bnssg"))
    for rel in (
        "scenarios/bnssg/baseline_winter.yaml",
        "calibration/bnssg.yaml",
        "calibration/fitted/bnssg_fitted.yaml",
        "calibration/fitted/bnssg_fit_errors.json",
        "calibration/data/SOURCES.md",
        "calibration/data/ipacs/IPACS_params_los.csv",
    ):
        assert (tmp_path / "copy" / rel).is_file(), rel
    for name in ("baseline_winter", "combined", "validation_2024"):
        copied = load_scenario(tmp_path / "copy" / "scenarios" / "bnssg" / f"{name}.yaml")
        shipped = load_scenario(REPO / "scenarios" / "bnssg" / f"{name}.yaml")
        assert scenario_hash(copied) == scenario_hash(shipped), name


def test_hwe_copies_without_bnssg_data(tmp_path: Path) -> None:
    """HWE's spec reads the national tables (package data), not calibration/data."""
    copy_system("hwe", tmp_path)
    assert (tmp_path / "scenarios" / "hwe" / "baseline_winter.yaml").is_file()
    assert (tmp_path / "calibration" / "fitted" / "hwe_fitted.yaml").is_file()
    assert not (tmp_path / "calibration" / "data").exists()
    assert not list((tmp_path / "calibration" / "fitted").glob("bnssg*"))


def test_a_copy_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "scenarios" / "bnssg" / "combined.yaml"
    target.parent.mkdir(parents=True)
    target.write_text("mine\n")
    with pytest.raises(SimcareError, match=r"combined\.yaml: already exists \(use --force"):
        copy_system("bnssg", tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["combined.yaml"]
    assert target.read_text() == "mine\n"
    copy_system("bnssg", tmp_path, force=True)
    assert target.read_text() == (REPO / "scenarios" / "bnssg" / "combined.yaml").read_text()


def test_an_unknown_system_names_the_shipped_ones(tmp_path: Path) -> None:
    with pytest.raises(SimcareError, match="no shipped system 'bnsg' .*shipped: bnssg, hwe"):
        copy_system("bnsg", tmp_path)
    assert not any(tmp_path.iterdir())


def test_the_scenarios_command_lists_and_copies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("bnssg  baseline_winter") and "\nhwe  baseline_winter" in listed
    assert main(["scenarios", "--out", str(tmp_path)]) == 2
    assert "give the SYSTEM" in capsys.readouterr().err
    assert main(["scenarios", "hwe"]) == 2
    assert "give --out DIR" in capsys.readouterr().err
    assert main(["scenarios", "hwe", "--out", str(tmp_path / "h")]) == 0
    out = capsys.readouterr().out
    assert "next: simcare run" in out and "scenarios/hwe/baseline_winter.yaml" in out
    assert main(["validate", str(tmp_path / "h" / "scenarios" / "hwe" / "combined.yaml")]) == 0


def test_a_copied_calibration_spec_reads_its_own_copy_of_the_data(tmp_path: Path) -> None:
    """`simcare calibrate DIR/calibration/bnssg.yaml` on a copy fits to the copied extracts and
    writes its overlay beside the copied one (not into the package)."""
    from simcare.calibration.observed import monthly_observations
    from simcare.calibration.spec import load_spec

    copy_system("bnssg", tmp_path)
    spec = load_spec(tmp_path / "calibration" / "bnssg.yaml")
    here = tmp_path.resolve()
    assert spec.data.resolve() == here / "calibration" / "data"
    assert spec.scenario.resolve() == here / "scenarios" / "bnssg" / "uncalibrated_winter.yaml"
    assert spec.overlay.resolve() == here / "calibration" / "fitted" / "bnssg_fitted.yaml"
    observed, _gaps = monthly_observations(
        spec.fit_from, spec.fit_until, spec.data, icb=spec.icb, trusts=spec.trusts
    )
    mine, _ = monthly_observations(spec.fit_from, spec.fit_until, DATA_DIR, icb=spec.icb, trusts=spec.trusts)
    assert len(observed) > 100 and observed.equals(mine)
