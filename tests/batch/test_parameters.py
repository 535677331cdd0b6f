"""Grid values come back as numbers with their unit in the column name, and paired differences
keep them (issue 18, the tables)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from simcare.analysis.compare import paired_differences
from simcare.batch.parameters import parameter_columns
from simcare.batch.plan import load_plan
from simcare.batch.runner import run_batch
from simcare.batch.store import load_runs, load_store
from simcare.pipeline import RUN_COLUMNS

from .conftest import DATA

GRID = DATA / "plan_grid.yaml"
COLUMN = "calendar.growth_pct"


def test_the_unit_goes_into_the_name_and_the_values_become_numbers() -> None:
    columns = parameter_columns(
        [
            {"a": "0%", "b": "1w", "c": 3, "d": {"rvj": 2}},
            {"a": "20%", "b": "90min", "c": 4.5, "d": {"rvj": 3}},
            {"a": "5%", "b": "2h"},
        ]
    )
    assert columns == {
        "a_pct": [0.0, 20.0, 5.0],
        "b_min": [10080.0, 90.0, 120.0],
        "c": [3, 4.5, None],
        "d": [{"rvj": 2}, {"rvj": 3}, None],
    }
    assert parameter_columns([{"a": "0%"}, {"a": 0.1}]) == {"a": ["0%", 0.1]}  # a mix stays as given
    with pytest.raises(ValueError, match="a_pct"):
        parameter_columns([{"a": "1%", "a_pct": 2}])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("grid") / "store"
    run_batch(load_plan(GRID), out)
    return out


def test_a_percentage_grid_is_a_numeric_column_that_sorts_5_before_20(store: Path) -> None:
    table = load_store(store, parameters=True)
    assert pd.api.types.is_float_dtype(table[COLUMN])
    assert sorted(table[COLUMN].unique()) == [0.0, 5.0, 10.0, 20.0]
    labels = table.sort_values(COLUMN, kind="stable")["scenario"].unique()
    assert [s.rsplit("=", 1)[-1].rstrip("]") for s in labels] == ["0%", "5%", "10%", "20%"]
    assert "calendar.growth" not in table.columns


def test_paired_differences_keep_the_parameter_columns(store: Path) -> None:
    table = load_store(store, parameters=True)
    base = table.loc[table[COLUMN] == 0, "scenario"].iloc[0]
    d = paired_differences(table, base, periods=["run"])
    assert COLUMN in d.columns and set(d[COLUMN]) == {5.0, 10.0, 20.0}
    assert {"label", "level", "name", "period_kind", "confidence"} <= set(d.columns)
    per = d.groupby("scenario")[COLUMN].nunique()
    assert (per == 1).all()


def test_the_store_keeps_the_hash_in_one_lookup_joined_on_scenario_and_replication(store: Path) -> None:
    measures = load_store(store, provenance=False)
    assert not {"scenario_hash", "seed", "engine", "version"} & set(measures.columns)
    runs = load_runs(store)
    assert list(runs.columns) == [*RUN_COLUMNS, "key"] and len(runs) == 12  # 4 variants x 3
    assert runs["scenario_hash"].nunique() == 4 and set(runs["seed"]) == {5}
    assert runs["parameter_set"].isna().all()  # the plan draws no parameter sets
    joined = measures.merge(runs, on=["scenario", "replication"], how="left", validate="many_to_one")
    full = load_store(store)
    pd.testing.assert_frame_equal(joined[full.columns], full, check_dtype=False)


def test_a_result_file_written_before_the_new_columns_still_loads(store: Path, tmp_path: Path) -> None:
    """A store written before issue 18 has KPI files without label, level, name, period_kind:
    it loads, with the label and period kind filled in and level and name empty."""
    old = tmp_path / "old"
    shutil.copytree(store, old)
    key = "p00001-r0002"
    path = old / "kpis" / f"{key}.parquet"
    frame = pd.read_parquet(path).drop(columns=["label", "level", "name", "period_kind"])
    frame.to_parquet(path, index=False, engine="pyarrow")
    manifest = old / "manifest.jsonl"
    records = [json.loads(line) for line in manifest.read_text().splitlines()]
    for r in records:
        if r["key"] == key:
            r["bytes"], r["sha256"] = path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()
    manifest.write_text("".join(json.dumps(r) + "\n" for r in records))
    table = load_store(old)
    rows = table[(table["scenario"] == frame["scenario"].iloc[0]) & (table["replication"] == 2)]
    assert len(rows) == len(frame) and rows["level"].isna().all()
    assert rows["label"].notna().all() and set(rows["period_kind"]) == {"run", "month", "day"}
    assert table.loc[~table.index.isin(rows.index), "level"].notna().all()
