"""Dose-response of a grid over one lever: impact against the lever's value, with intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simcare.analysis.dose_response import dose_response, grid_lever
from simcare.errors import SimcareError

LEVER = "beds.increase_pct"


def _grid(values: list[float], effect: float = -2.0) -> pd.DataFrame:
    """Scenarios at lever ``values`` (written out of order), 5 replications each, a KPI falling
    by ``effect`` per percent plus replication noise shared across scenarios (common random
    numbers) and a little of its own."""
    rng = np.random.default_rng(np.random.SeedSequence(1818))
    shared = rng.normal(0.0, 5.0, 5)
    frames = []
    for v in values:
        frames.append(
            pd.DataFrame(
                {
                    "scenario": f"grid [{LEVER}={v:g}%]",
                    "replication": range(5),
                    "kpi": "nctr",
                    "group": "ICB",
                    "period": "run",
                    "value": 100.0 + effect * v + shared + rng.normal(0.0, 0.5, 5),
                    "unit": "patients",
                    "seed": 5,
                    LEVER: v,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_monotone_data_give_a_monotone_table_sorted_as_numbers() -> None:
    dr = dose_response(_grid([20.0, 5.0, 0.0, 10.0]))
    assert dr["lever_value"].tolist() == [0.0, 5.0, 10.0, 20.0]  # 5 before 20, as numbers
    assert dr["lever"].unique().tolist() == [LEVER]
    assert dr["difference"].iloc[0] == 0.0 and (dr[["low", "high"]].iloc[0] == 0.0).all()
    assert (np.diff(dr["difference"].to_numpy()) < 0).all()  # falls with every step
    inner = dr.iloc[1:]
    assert (inner["low"] < inner["difference"]).all() and (inner["difference"] < inner["high"]).all()
    assert (inner["high"] < 0).all()  # each step's interval excludes no change
    assert dr["difference"].iloc[-1] == pytest.approx(-40.0, abs=1.5)


def test_a_named_reference_and_the_errors() -> None:
    table = _grid([0.0, 10.0, 20.0])
    dr = dose_response(table, reference=f"grid [{LEVER}=10%]")
    assert dr.set_index("lever_value")["difference"][10.0] == 0.0
    assert dr.set_index("lever_value")["difference"][0.0] > 0
    assert grid_lever(table) == LEVER
    with pytest.raises(SimcareError, match="no grid lever"):
        dose_response(table.drop(columns=LEVER))
    two = table.assign(other_pct=table[LEVER] * 2)
    with pytest.raises(SimcareError, match="varies 2 levers"):
        grid_lever(two)
    assert dose_response(two, lever=LEVER)["lever"].iloc[0] == LEVER
    same = pd.concat([table, _grid([10.0]).assign(scenario="again")], ignore_index=True)
    with pytest.raises(SimcareError, match="share the value 10"):
        dose_response(same)
