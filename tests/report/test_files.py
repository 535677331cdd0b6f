"""Results are written atomically: a failed write leaves the previous file and no temporary."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from simcare.errors import SimcareError
from simcare.report.files import atomic_write, write_csv, write_results
from simcare.report.html import short_names


def test_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "measures.csv"
    target.write_text("previous\n")

    def fail(p: Path) -> None:
        p.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(SimcareError, match="cannot write .*measures.csv: No space left on device"):
        atomic_write(target, fail)
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["measures.csv"]


def test_tables_round_trip(tmp_path: Path) -> None:
    t = pd.DataFrame({"scenario": ["a, b", "c"], "replication": [0, 1], "value": [1.5, 2.0]})
    paths = write_results(tmp_path / "out", t)
    assert [p.name for p in paths] == ["measures.csv.gz", "measures.parquet"]
    pd.testing.assert_frame_equal(pd.read_csv(paths[0]), t, check_dtype=False)
    pd.testing.assert_frame_equal(pd.read_parquet(paths[1]), t, check_dtype=False)
    write_csv(tmp_path / "plain.csv", t)
    header = (tmp_path / "plain.csv").read_text().splitlines()[0]
    assert header.replace('"', "") == "scenario,replication,value"
    assert oct((tmp_path / "plain.csv").stat().st_mode & 0o044) == oct(0o044)  # readable by others


def test_short_names_drop_the_shared_prefix() -> None:
    assert short_names(["bnssg_baseline_winter", "bnssg_flu_surge"]) == {
        "bnssg_baseline_winter": "baseline winter",
        "bnssg_flu_surge": "flu surge",
    }
    assert short_names(["only_one"]) == {"only_one": "only one"}
    assert short_names(["x_a", "x_a_b"]) == {"x_a": "a", "x_a_b": "a b"}


def test_same_table_gives_the_same_bytes(tmp_path: Path) -> None:
    """Issue 16: measures.csv.gz carried the temporary file's name and the write time in its gzip
    header, so two identical runs wrote different files. Written a second later into another
    folder, every output file must be byte-identical."""
    t = pd.DataFrame({"scenario": ["base"] * 3, "kpi": ["a", "b", "c"], "value": [1.0, 2.5, 3.25]})
    first = write_results(tmp_path / "one", t, comparison=t)
    time.sleep(1.1)  # gzip's header time has a resolution of one second
    second = write_results(tmp_path / "two", t, comparison=t)
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_every_output_of_a_run_is_byte_reproducible(tmp_path: Path) -> None:
    """Issue 16: the same scenario, seed and version give the same bytes in every file
    `simcare run --out` writes (tables, report with its figures), a second apart, in two
    folders of different names."""
    from simcare.cli import main

    scenario = tmp_path / "short.yaml"
    base = Path(__file__).resolve().parents[1] / "batch" / "data" / "short.yaml"
    scenario.write_text(f"extends: {base}\nrun: {{end: 2025-12-26}}\n", encoding="utf-8")
    outputs = []
    for name in ("first", "second_run"):
        assert main(["run", str(scenario), "--reps", "2", "--quiet", "--out", str(tmp_path / name)]) == 0
        outputs.append(tmp_path / name)
        time.sleep(1.1)
    files = sorted(p.name for p in outputs[0].iterdir())
    assert {"measures.parquet", "measures.csv.gz", "runs.csv", "report.html"} <= set(files)
    assert files == sorted(p.name for p in outputs[1].iterdir())
    for name in files:
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name
