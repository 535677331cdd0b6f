"""The store checks its own result files (issue 16): a result that was truncated, emptied, copied
over another's or deleted is reported by status and ``--verify``, refused by ``load_store`` (one
StoreError naming the file and what is wrong) and run again on resume, which supersedes its stale
manifest record. Stores written before checksums were recorded are checked by their content."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from simcare.batch.plan import Plan, load_plan
from simcare.batch.runner import run_batch
from simcare.batch.store import Store, StoreError, load_store
from simcare.cli import main

from .conftest import DATA

PLAN = DATA / "plan_small.yaml"
KEYS = ["p00000-r0000", "p00000-r0001", "p00001-r0000", "p00001-r0001"]
VICTIM = "p00000-r0001"
TABLE_KEYS = ["scenario", "replication", "kpi", "group", "period"]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(PLAN)


@pytest.fixture(scope="module")
def pristine(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One finished store, copied by each test that damages it."""
    store = tmp_path_factory.mktemp("pristine") / "store"
    run_batch(plan, store)
    return store


@pytest.fixture
def store(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(pristine, copy)
    (copy / "lock").unlink(missing_ok=True)
    return copy


def _records(store: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (store / "manifest.jsonl").read_text().splitlines()]


def _kpi(store: Path, key: str = VICTIM) -> Path:
    return store / "kpis" / f"{key}.parquet"


def _truncate(store: Path) -> None:
    path = _kpi(store)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _empty(store: Path) -> None:
    _kpi(store).write_bytes(b"")


def _copy_over(store: Path) -> None:
    shutil.copyfile(_kpi(store, "p00000-r0000"), _kpi(store))


def _delete(store: Path) -> None:
    _kpi(store).unlink()


DAMAGE: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # what is done to the victim's result file -> (damage, state, words in the detail)
    "truncated": (_truncate, "corrupt", "bytes, the manifest recorded"),
    "emptied": (_empty, "corrupt", "0 bytes, the manifest recorded"),
    "copied over": (_copy_over, "duplicate", "a copy of the result of p00000-r0000"),
    "deleted": (_delete, "missing", "no result file"),
}


def _strip_checksums(store: Path) -> None:
    """Make the manifest look like one written before results had checksums."""
    lines = []
    for record in _records(store):
        for name in ("sha256", "bytes"):
            record.pop(name, None)
        lines.append(json.dumps(record, sort_keys=True, separators=(",", ":")))
    (store / "manifest.jsonl").write_text("\n".join(lines) + "\n")


def test_each_result_records_its_checksum_and_size(pristine: Path) -> None:
    records = _records(pristine)
    assert [r["key"] for r in records] == KEYS
    for record in records:
        data = _kpi(pristine, str(record["key"])).read_bytes()
        assert record["sha256"] == hashlib.sha256(data).hexdigest()
        assert record["bytes"] == len(data)
    checks = Store.read(pristine).verify(deep=True)
    assert [(c.key, c.state) for c in checks] == [(k, "ok") for k in KEYS]


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_result_is_reported_refused_and_rerun(
    plan: Plan, store: Path, pristine: Path, damage: str
) -> None:
    harm, state, words = DAMAGE[damage]
    harm(store)
    reader = Store.read(store)
    status = reader.status()
    assert (status.ok, status.failed, status.bad) == (3, 0, ((VICTIM, state, status.bad[0][2]),))
    assert words in status.bad[0][2]
    assert "4 tasks: 3 done, 0 failed, 1 damaged, 0 not run" in status.text()
    assert f"{state} {VICTIM}" in status.text()
    # refused, naming the file and what is wrong, unless told to leave the bad result out
    with pytest.raises(StoreError, match=rf"kpis/{VICTIM}\.parquet.*{state}"):
        load_store(store)
    partial = load_store(store, skip_bad=True)
    assert set(partial.groupby(["scenario", "replication"]).groups) == {
        (r["scenario"], r["replication"]) for r in _records(pristine) if r["key"] != VICTIM
    }
    # resume runs it again, once, after a record that supersedes the stale one
    outcome = run_batch(plan, store)
    assert (outcome.ran, outcome.skipped, outcome.status.ok, outcome.status.bad) == (1, 3, 4, ())
    statuses = [r["status"] for r in _records(store) if r["key"] == VICTIM]
    assert statuses == ["ok", state, "ok"]
    assert _kpi(store).read_bytes() == _kpi(pristine).read_bytes()
    assert len(Store.read(store).manifest()) == 4
    table = load_store(store)
    assert not table.duplicated(TABLE_KEYS).any()
    assert table.equals(load_store(pristine))
    assert run_batch(plan, store).ran == 0


@pytest.mark.parametrize("damage", ["truncated", "emptied", "copied over"])
def test_a_store_without_checksums_is_checked_by_content(plan: Plan, store: Path, damage: str) -> None:
    _strip_checksums(store)
    assert Store.read(store).status().ok == 4  # an old, sound store stays usable
    assert len(load_store(store)) == sum(len(pd.read_parquet(_kpi(store, k))) for k in KEYS)
    harm, state, _ = DAMAGE[damage]
    harm(store)
    status = Store.read(store).status()
    assert status.ok == 3 and [(k, s) for k, s, _ in status.bad] == [(VICTIM, state)]
    with pytest.raises(StoreError, match=rf"{VICTIM}\.parquet"):
        load_store(store)
    outcome = run_batch(plan, store)
    assert (outcome.ran, outcome.status.ok) == (1, 4)
    assert not load_store(store).duplicated(TABLE_KEYS).any()


def test_a_damaged_result_without_its_record_is_not_recovered(plan: Plan, store: Path) -> None:
    """Killed between the two writes, then the file damaged: not counted as a recovered result."""
    manifest = store / "manifest.jsonl"
    lines = manifest.read_bytes().splitlines(keepends=True)
    manifest.write_bytes(b"".join(lines[:3]) + lines[3][:40])  # the last task's record lost
    last = _kpi(store, KEYS[3])
    last.write_bytes(last.read_bytes()[:100])
    status = Store.read(store).status()
    assert (status.ok, status.recovered) == (3, 0)
    assert [(k, s) for k, s, _ in status.bad] == [(KEYS[3], "corrupt")]
    assert "unreadable" in status.bad[0][2]
    outcome = run_batch(plan, store)
    assert (outcome.ran, outcome.status.ok, outcome.status.recovered) == (1, 4, 0)


def test_a_recovered_result_gets_a_checksum(plan: Plan, store: Path) -> None:
    manifest = store / "manifest.jsonl"
    lines = manifest.read_bytes().splitlines(keepends=True)
    manifest.write_bytes(b"".join(lines[:3]))
    assert run_batch(plan, store).ran == 0
    record = _records(store)[-1]
    assert record["recovered"] is True and record["key"] == KEYS[3]
    assert record["sha256"] == hashlib.sha256(_kpi(store, KEYS[3]).read_bytes()).hexdigest()


def test_a_damaged_visit_table_is_found(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(f"seed: 5\nreplications: 1\nkeep_visits: true\nscenarios: [{DATA / 'short.yaml'}]\n")
    store = tmp_path / "store"
    run_batch(load_plan(path), store)
    visits = store / "visits" / "p00000-r0000.parquet"
    (record,) = _records(store)
    assert record["visits_sha256"] == hashlib.sha256(visits.read_bytes()).hexdigest()
    data = bytearray(visits.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte flipped: only the checksum tells
    visits.write_bytes(bytes(data))
    assert Store.read(store).status().ok == 1  # status checks a visit table's size only
    (check,) = Store.read(store).verify(deep=True)
    assert check.state == "corrupt" and "visits/p00000-r0000.parquet" in check.detail
    visits.write_bytes(bytes(data[:1000]))
    assert [s for _, s, _ in Store.read(store).status().bad] == ["corrupt"]
    outcome = run_batch(load_plan(path), store)
    assert (outcome.ran, outcome.status.ok) == (1, 1)


def test_verify_reports_every_task(
    plan: Plan, store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["batch", "--verify", str(store)]) == 0
    out = capsys.readouterr().out
    for key in KEYS:
        assert f"{key}  ok" in out
    assert "4 tasks: 4 ok" in out
    _copy_over(store)
    _kpi(store, KEYS[2]).write_bytes(b"PAR1")
    _kpi(store, KEYS[3]).unlink()
    records = _records(store)
    records[0] = {**records[0], "status": "failed", "error": "EngineError: deadlock", "sha256": None}
    (store / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    _kpi(store, KEYS[0]).unlink()
    assert main(["batch", "--verify", str(store)]) == 1
    out = capsys.readouterr().out
    assert f"{KEYS[0]}  failed" in out and "EngineError: deadlock" in out
    assert f"{KEYS[1]}  duplicate" in out
    assert f"{KEYS[2]}  corrupt" in out
    assert f"{KEYS[3]}  missing" in out
    assert "4 tasks: 0 ok, 1 missing, 1 corrupt, 1 duplicate, 1 failed" in out
    monkeypatch.chdir(store.parent)
    assert main(["batch", "--verify", "nowhere"]) == 2
    assert "nowhere does not exist" in capsys.readouterr().err
    assert main(["batch", "--verify", str(store), "--status", str(store)]) == 2
    assert main(["batch", str(PLAN), "--verify", str(store)]) == 2


def test_a_file_changed_between_checking_and_loading_is_a_store_error(store: Path) -> None:
    reader = Store.read(store)
    _kpi(store).write_bytes(b"not parquet")
    with pytest.raises(StoreError, match=rf"{VICTIM}\.parquet"):
        reader.kpis()


def test_a_hand_edited_result_is_corrupt_not_a_traceback(store: Path) -> None:
    """Valid parquet holding rows of no task of the plan, or no replication number at all."""
    _strip_checksums(store)  # so only the content can tell
    table = pd.read_parquet(_kpi(store))
    table.assign(scenario_hash="0" * 64).to_parquet(_kpi(store), index=False)
    (check,) = [c for c in Store.read(store).verify() if c.key == VICTIM]
    assert check.state == "corrupt" and "holds rows of no task of this plan" in check.detail
    table.assign(replication=float("nan")).to_parquet(_kpi(store), index=False)
    assert [(k, s) for k, s, _ in Store.read(store).status().bad] == [(VICTIM, "corrupt")]
