"""One unit of work: a scenario variant's replication -> its KPI table with provenance."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from simcare import pipeline as P
from simcare._version import __version__
from simcare.batch.task import Task, run_replication, run_task
from simcare.engine import run
from simcare.kpi.uec import COLUMNS, uec_measures
from simcare.pipeline import KPI_COLUMNS, PROVENANCE_COLUMNS, prepare
from simcare.scenario import ScenarioError, load_scenario_data
from simcare.scenario.compile import compile_scenario
from simcare.scenario.load import load_scenario

from .conftest import DATA

SHORT = DATA / "short.yaml"


def test_run_replication_is_the_plain_run_with_provenance() -> None:
    table = run_replication(SHORT, replication=1, seed=9)
    assert list(table.columns) == [*PROVENANCE_COLUMNS, *KPI_COLUMNS]
    cs = compile_scenario(load_scenario(SHORT), str(SHORT))
    direct = uec_measures(run(cs.model, seed=9, replication=1), cs)
    pd.testing.assert_frame_equal(table[list(COLUMNS)], direct[list(COLUMNS)], check_dtype=False)
    assert set(table["scenario"]) == {"batch_test_short"} and set(table["replication"]) == {1}
    assert set(table["seed"]) == {9} and set(table["version"]) == {__version__}
    assert set(table["engine"]) == {"numba"}


def test_overrides_change_the_run_and_its_hash() -> None:
    doc = load_scenario_data(SHORT)
    base = run_replication(doc, seed=9, name="base")
    more = run_replication(doc, {"levers.acute_capacity.beds": {"rvj": 200, "ra7": 200}}, seed=9, name="more")
    assert base["scenario_hash"].iloc[0] != more["scenario_hash"].iloc[0]
    occ = {
        name: t[(t.kpi == "ga_occupancy") & (t.period == "run")]["value"].mean()
        for name, t in (("base", base), ("more", more))
    }
    assert occ["more"] < occ["base"]  # 400 more beds, same demand and random numbers


def test_compiled_once_per_scenario_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = P.compile_scenario

    def counting(scenario: object, source: str = "") -> object:
        calls.append(source)
        return real(scenario, source)

    monkeypatch.setattr(P, "compile_scenario", counting)
    monkeypatch.setattr(P, "_CACHE", type(P._CACHE)())
    doc = load_scenario_data(SHORT)
    sc, digest = prepare(doc, {"calendar.growth": "1%"}, "short")
    task = Task(
        key="p00000-r0000",
        scenario="s",
        document=doc,
        source="short",
        overrides={"calendar.growth": "1%"},
        scenario_hash=digest,
        replication=0,
        seed=1,
    )
    first = run_task(task)
    second = run_task(dataclasses.replace(task, key="p00000-r0001", replication=1))
    assert calls == ["short"]
    assert first.visits is None and first.kpis["replication"].iloc[0] == 0
    assert second.kpis["replication"].iloc[0] == 1
    kept = run_task(dataclasses.replace(task, keep_visits=True))
    assert kept.visits is not None and len(kept.visits) > 10_000
    pd.testing.assert_frame_equal(kept.kpis, first.kpis)


def test_task_refuses_a_scenario_that_changed() -> None:
    doc = load_scenario_data(SHORT)
    task = Task(
        key="p00000-r0000",
        scenario="s",
        document=doc,
        source="short.yaml",
        overrides={},
        scenario_hash="0" * 64,
        replication=0,
        seed=1,
    )
    with pytest.raises(ScenarioError, match="the scenario of task p00000-r0000 changed"):
        run_task(task)


def test_bad_override_is_a_scenario_error_at_its_path() -> None:
    with pytest.raises(ScenarioError, match=r"calendar\.surges\[2\]\.height: calendar.surges has 1 entry"):
        run_replication(SHORT, {"calendar.surges[2].height": 0.1})
