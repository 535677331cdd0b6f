"""The result store: atomic results, a manifest, resume without repeats, failures recorded,
another plan refused, and what an interruption leaves repaired."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from simcare import pipeline as P
from simcare.batch.plan import Plan, load_plan
from simcare.batch.runner import run_batch
from simcare.batch.store import Store, StoreError, code_digest, load_store
from simcare.errors import EngineError
from simcare.pipeline import KPI_COLUMNS, PROVENANCE_COLUMNS

from .conftest import DATA

PLAN = DATA / "plan_small.yaml"
KEYS = ["p00000-r0000", "p00000-r0001", "p00001-r0000", "p00001-r0001"]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(PLAN)


def _manifest(store: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (store / "manifest.jsonl").read_text().splitlines()]


def test_run_then_resume_runs_nothing_twice(plan: Plan, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = run_batch(plan, store, plan_text=PLAN.read_text())
    assert (first.ran, first.failed, first.skipped) == (4, 0, 0)
    assert sorted(p.stem for p in (store / "kpis").glob("*.parquet")) == KEYS
    assert (store / "plan.yaml").read_text() == PLAN.read_text()
    records = _manifest(store)
    assert [r["key"] for r in records] == KEYS and {r["status"] for r in records} == {"ok"}
    rows = {p.stem: len(pd.read_parquet(p)) for p in (store / "kpis").glob("*.parquet")}
    assert all(r["seconds"] > 0 and r["rows"] == rows[r["key"]] > 0 for r in records)  # type: ignore[operator]
    assert records[2]["parameters"] == {"levers.acute_capacity.cubicles.bri": 6}
    again = run_batch(plan, store)
    assert (again.ran, again.skipped) == (0, 4)
    assert len(_manifest(store)) == 4
    table = load_store(store)
    assert list(table.columns) == [*PROVENANCE_COLUMNS, *KPI_COLUMNS] and len(table) == sum(rows.values())
    # one group per task, each with its own row count (a KPI such as a day's D2A wait exists only on
    # days with such an event, so replications may differ by a row)
    assert sorted(table.groupby(["scenario", "replication"]).size().tolist()) == sorted(rows.values())
    assert set(table["seed"]) == {5}
    with_params = load_store(store, parameters=True)
    assert set(with_params["levers.acute_capacity.cubicles.bri"]) == {0, 6}
    status = Store.read(store).status()
    assert (status.total, status.ok, status.failed, status.pending) == (4, 4, 0, 0)
    assert "4 tasks: 4 done, 0 failed, 0 not run" in status.text()


def test_a_failing_replication_is_recorded_and_the_batch_carries_on(
    plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = P.run

    def flaky(model, seed, replication, engine):  # type: ignore[no-untyped-def]
        if replication == 1:
            raise EngineError("deadlock at ed:bri after 3 days")
        return real(model, seed=seed, replication=replication, engine=engine)

    monkeypatch.setattr(P, "run", flaky)
    store = tmp_path / "store"
    outcome = run_batch(plan, store)
    assert (outcome.ran, outcome.failed) == (4, 2)
    status = outcome.status
    assert (status.ok, status.failed, status.pending) == (2, 2, 0)
    assert status.errors[0] == (
        "p00000-r0001",
        plan.variants[0].label,
        "EngineError: deadlock at ed:bri after 3 days",
    )
    assert "failed p00000-r0001" in status.text()
    assert sorted(set(load_store(store)["replication"])) == [0]
    # failures stay failures unless asked to retry
    assert run_batch(plan, store).ran == 0
    monkeypatch.setattr(P, "run", real)
    retried = run_batch(plan, store, retry_failed=True)
    assert (retried.ran, retried.failed, retried.status.ok) == (2, 0, 4)
    assert len(load_store(store)) == sum(len(pd.read_parquet(store / "kpis" / f"{k}.parquet")) for k in KEYS)


def test_a_store_of_another_plan_is_refused(plan: Plan, tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_batch(plan, store)
    text = PLAN.read_text().replace("seed: 5", "seed: 6")
    changed = tmp_path / "changed.yaml"
    changed.write_text(text.replace("short.yaml", str(DATA / "short.yaml")))
    with pytest.raises(
        StoreError,
        match=r"holds the results of a different plan .*task p00000-r0000 "
        r"\(batch_test_short.*\): seed 5 in the store, 6 in this plan",
    ):
        run_batch(load_plan(changed), store)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    with pytest.raises(StoreError, match="exists and is not a batch store"):
        run_batch(plan, tmp_path / "other")
    with pytest.raises(StoreError, match="does not exist"):
        load_store(tmp_path / "nowhere")


def test_what_an_interruption_leaves_is_repaired(plan: Plan, tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_batch(plan, store)
    manifest = store / "manifest.jsonl"
    lines = manifest.read_bytes().splitlines(keepends=True)
    # killed between writing the last result file and finishing its manifest line
    manifest.write_bytes(b"".join(lines[:3]) + lines[3][:40])
    (store / "kpis" / ".p00001-r0001.parquet.abc.tmp").write_bytes(b"half a file")
    before = manifest.read_bytes()
    reader = Store.read(store)  # read-only: counts the result, writes nothing
    assert reader.status().ok == 4 and reader.status().recovered == 1
    assert manifest.read_bytes() == before
    assert run_batch(plan, store).ran == 0  # opening to resume repairs
    records = _manifest(store)
    assert [r["key"] for r in records] == KEYS
    assert records[3]["recovered"] is True and records[3]["status"] == "ok"
    assert not list((store / "kpis").glob(".*.tmp"))
    # a result file lost (say, deleted by hand): its task runs again
    (store / "kpis" / "p00000-r0001.parquet").unlink()
    again = run_batch(plan, store)
    assert again.ran == 1 and again.status.ok == 4
    assert len(load_store(store)) == sum(len(pd.read_parquet(store / "kpis" / f"{k}.parquet")) for k in KEYS)


def test_keep_visits(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(f"seed: 5\nreplications: 1\nkeep_visits: true\nscenarios: [{DATA / 'short.yaml'}]\n")
    store = tmp_path / "store"
    run_batch(load_plan(path), store)
    visits = pd.read_parquet(store / "visits" / "p00000-r0000.parquet")
    assert {"patient", "service", "arrival", "departure"} <= set(visits.columns) and len(visits) > 10_000


def test_status_warns_when_results_come_from_different_code(plan: Plan, tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_batch(plan, store)
    status = Store.read(store).status()
    assert status.codes == (code_digest(),) and "warning" not in status.text()
    lines = (store / "manifest.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["code"] = "0123456789ab"  # as if the code changed between two runs of the batch
    (store / "manifest.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    status = Store.read(store).status()
    assert status.codes == tuple(sorted(("0123456789ab", code_digest())))
    assert "warning: results made by 2 different versions of the code" in status.text()


def test_one_writer_at_a_time(plan: Plan, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = Store.open(store, plan)
    try:
        with pytest.raises(StoreError, match="is being written by another simcare batch"):
            run_batch(plan, store)
        assert Store.read(store).status().pending == 4  # reading is always allowed
    finally:
        first.close()
    assert run_batch(plan, store).ran == 4  # the lock went with its holder


def test_killed_while_creating_the_store(plan: Plan, tmp_path: Path) -> None:
    store = tmp_path / "store"
    (store / "kpis").mkdir(parents=True)
    (store / "plan.yaml").write_text("half")
    (store / ".plan.json.x.tmp").write_text("{")
    assert run_batch(plan, store).ran == 4
    assert not list(store.glob(".*.tmp"))
