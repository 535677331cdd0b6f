"""Smoke test on one BNSSG winter replication: every contract KPI appears with finite values, and
the table adds up (sites to type 1, types to the ICB, pathways to all discharges, days to the run)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_kpi_registry import CONTRACT

from simcare.engine import run
from simcare.kpi.definitions import GROUP_KINDS
from simcare.kpi.registry import group_kind
from simcare.kpi.uec import COLUMNS, uec_measures
from simcare.pipeline import compiled
from simcare.scenario.compile import CompiledScenario

Bnssg = tuple[CompiledScenario, pd.DataFrame]
BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "bnssg" / "baseline_winter.yaml"


@pytest.fixture(scope="module")
def bnssg() -> Bnssg:
    cs, _ = compiled(BASELINE)
    return cs, uec_measures(run(cs.model, seed=11), cs)


def _run(table: pd.DataFrame, kpi: str) -> pd.Series:
    t = table[(table["kpi"] == kpi) & (table["period"] == "run")]
    return t.set_index("group")["value"]


def test_every_contract_kpi_has_finite_icb_values_for_the_run(bnssg: Bnssg) -> None:
    _, table = bnssg
    assert tuple(table.columns) == COLUMNS
    assert np.isfinite(table["value"]).all()
    assert not table.duplicated(["kpi", "group", "period"]).any()
    for kpi, unit in CONTRACT.items():
        rows = table[table["kpi"] == kpi]
        assert set(rows["unit"]) == {unit}, kpi
        assert "ICB" in set(_run(table, kpi).index), kpi
    assert len(table) < 40_000


def test_groups_cover_sites_trusts_hubs_localities_and_pathways(bnssg: Bnssg) -> None:
    cs, table = bnssg
    groups = set(_run(table, "ae_attendances").index)
    assert set(cs.ed_sites) | {f"hub:{h}" for h in cs.hubs} | {"type1", "type3", "ICB"} <= groups
    assert {f"locality:{x}" for x in cs.localities} | {f"acuity:{a}" for a in cs.acuities} <= groups
    assert set(cs.trusts) <= set(_run(table, "ga_occupancy").index)
    assert {"P0", "P1", "P2", "P3"} <= set(_run(table, "discharges").index)
    assert {"P1:bristol", "P1", "ICB"} <= set(_run(table, "d2a_queue").index)
    months = table[(table["kpi"] == "ga_occupancy") & (table["group"] == "ICB")]["period"]
    assert {"2025-10", "2026-03"} <= set(months)
    assert len(months) == 1 + 6 + 182  # run, October-March, every day of the winter


def test_the_table_adds_up(bnssg: Bnssg) -> None:
    cs, table = bnssg
    ae = _run(table, "ae_attendances")
    assert ae["type1"] == sum(ae[s] for s in cs.ed_sites)
    assert ae["type3"] == sum(ae[f"hub:{h}"] for h in cs.hubs) == _run(table, "hub_attendances")["ICB"]
    assert ae["ICB"] == ae["type1"] + ae["type3"]
    assert ae["rvj"] == ae["southmead"] and ae["ra7"] == ae["bri"] + ae["weston"]
    assert ae["ICB"] == sum(ae[f"locality:{x}"] for x in cs.localities)
    d = _run(table, "discharges")
    assert d["ICB"] == d[["P0", "P1", "P2", "P3"]].sum() == sum(d[t] for t in cs.trusts)
    over = [_run(table, f"handover_over_{m}")["ICB"] for m in (15, 30, 60)]
    assert over[0] >= over[1] >= over[2] > 0
    occ = table[table["kpi"] == "ga_occupancy"]["value"]
    assert occ.between(0, 100).all()
    days = table[(table["kpi"] == "emergency_admissions") & (table["period"].str.len() == 10)]
    assert days.groupby("group")["value"].sum().to_dict() == {
        g: v for g, v in _run(table, "emergency_admissions").items() if g in set(days["group"])
    }
    nctr, lost = _run(table, "nctr")["ICB"], _run(table, "lost_bed_days")["ICB"]
    assert lost == pytest.approx(nctr * 182)  # mean stock x days in the winter


def test_every_group_has_a_documented_kind(bnssg: Bnssg) -> None:
    cs, table = bnssg
    kinds = {g: group_kind(g, cs) for g in table["group"].unique()}
    assert set(kinds.values()) == set(GROUP_KINDS)
    assert kinds["southmead"] == "site" and kinds["rvj"] == "trust" and kinds["P1:bristol"] == "d2a"
    with pytest.raises(KeyError, match="nowhere"):
        group_kind("nowhere", cs)
