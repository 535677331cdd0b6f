"""Every row of the KPI table says its group's level and name, its period's kind and the KPI's
label (issue 18, the tables)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simcare.kpi.definitions import GROUP_KINDS
from simcare.kpi.levels import LABELS, group_level, group_levels, kpi_labels, period_kinds
from simcare.kpi.registry import REGISTRY
from simcare.pipeline import KPI_COLUMNS, replicate
from simcare.scenario.compile import compile_scenario
from simcare.scenario.load import load_scenario

SHORT = Path(__file__).parents[1] / "batch" / "data" / "short.yaml"


@pytest.fixture(scope="module")
def cs():  # type: ignore[no-untyped-def]
    return compile_scenario(load_scenario(SHORT), str(SHORT))


def test_levels_come_from_the_scenario_not_the_spelling(cs) -> None:  # type: ignore[no-untyped-def]
    site, trust = cs.ed_sites[0], cs.trusts[0]
    assert group_level(site, cs) == ("site", site)
    assert group_level(trust, cs) == ("trust", trust)
    assert group_level("ICB", cs) == ("ICB", "ICB")
    assert group_level(f"hub:{cs.hubs[0]}", cs) == ("hub", cs.hubs[0])
    assert group_level(f"sdec:{site}", cs) == ("sdec", site)
    assert group_level("P1:bristol", cs) == ("d2a", "P1:bristol")
    assert group_level("P2", cs) == ("pathway", "P2")
    with pytest.raises(KeyError, match="nowhere"):
        group_level("nowhere", cs)  # a bare name the scenario has no site or trust of


def test_period_kinds_and_labels() -> None:
    assert list(period_kinds(["run", "2026-01", "2026-01-05"])) == ["run", "month", "day"]
    with pytest.raises(ValueError, match="Jan"):
        period_kinds(["Jan"])
    assert set(LABELS) == set(REGISTRY)  # every KPI of the registry has a label
    assert list(kpi_labels(["ae_within_4h"])) == ["A&E attendances within 4 hours"]
    with pytest.raises(KeyError):
        kpi_labels(["no_such_kpi"])


def test_every_row_of_a_replication_has_level_name_kind_and_label(cs) -> None:  # type: ignore[no-untyped-def]
    table = replicate(str(SHORT), 0, 3).kpis
    assert list(table.columns[-len(KPI_COLUMNS) :]) == list(KPI_COLUMNS)
    assert table[["label", "level", "name", "period_kind"]].notna().all().all()
    assert set(table["level"]) <= set(GROUP_KINDS) and {"site", "trust", "ICB", "hub"} <= set(table["level"])
    hubs = table[table["level"] == "hub"]
    assert (("hub:" + hubs["name"]) == hubs["group"]).all()
    assert set(table["period_kind"]) == {"run", "month", "day"}
    level, name = group_levels(table["group"].to_numpy(), cs)
    assert (level == table["level"].to_numpy()).all() and (name == table["name"].to_numpy()).all()
