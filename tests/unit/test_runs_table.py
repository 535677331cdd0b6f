"""The run lookup: one row per (scenario, replication) holds what every row used to repeat."""

from __future__ import annotations

import pandas as pd
import pytest

from simcare.errors import SimcareError
from simcare.pipeline import RUN_COLUMNS, runs_table, split_runs


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scenario": ["a", "a", "a", "b"],
            "replication": [0, 0, 1, 0],
            "scenario_hash": ["h1", "h1", "h2", "h3"],
            "seed": 5,
            "engine": "numba",
            "version": "0.1",
            "kpi": ["x", "y", "x", "x"],
            "value": [1.0, 2.0, 3.0, 4.0],
        }
    )


def test_split_and_join_give_the_table_back() -> None:
    measures, runs = split_runs(_table(), {("a", 1): 3})
    assert list(measures.columns) == ["scenario", "replication", "kpi", "value"]
    assert list(runs.columns) == RUN_COLUMNS and len(runs) == 3
    assert runs["parameter_set"].tolist()[1] == 3 and runs["parameter_set"].isna().sum() == 2
    back = measures.merge(runs, on=["scenario", "replication"])
    pd.testing.assert_frame_equal(back[_table().columns], _table())


def test_two_provenances_for_one_replication_are_refused() -> None:
    bad = _table()
    bad.loc[1, "scenario_hash"] = "other"
    with pytest.raises(SimcareError, match="two different runs"):
        runs_table(bad)
    with pytest.raises(SimcareError, match="no provenance columns seed"):
        runs_table(_table().drop(columns="seed"))
