"""The same plan gives byte-identical results in this process, on a 2-process pool and on a Dask
LocalCluster: results depend on (scenario, seed, replication, version), not on where they ran."""

from __future__ import annotations

import json
from pathlib import Path

from simcare.batch.backends import DaskBackend, ProcessPoolBackend
from simcare.batch.plan import load_plan
from simcare.batch.runner import run_batch
from simcare.batch.store import load_store

from .conftest import DATA


def test_same_bytes_on_every_backend(tmp_path: Path, dask_backend: DaskBackend) -> None:
    plan = load_plan(DATA / "plan_small.yaml")
    stores = {"in_process": tmp_path / "one", "pool": tmp_path / "pool", "dask": tmp_path / "dask"}
    run_batch(plan, stores["in_process"])
    pool = ProcessPoolBackend(2)
    try:
        run_batch(plan, stores["pool"], pool)
    finally:
        pool.close()
    run_batch(plan, stores["dask"], dask_backend)
    workers = {
        name: {json.loads(line)["worker"] for line in (path / "manifest.jsonl").open()}
        for name, path in stores.items()
    }
    assert len(workers["in_process"]) == 1 and workers["pool"].isdisjoint(workers["in_process"])

    def files(store: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted((store / "kpis").glob("*.parquet"))}

    reference = files(stores["in_process"])
    assert len(reference) == 4
    table = load_store(stores["in_process"])
    by_variant = [
        t.drop(columns=["scenario", "scenario_hash"]).reset_index(drop=True)
        for _, t in table.groupby("scenario")
    ]
    assert not by_variant[0].equals(by_variant[1])  # the variants differ, so a mix-up would show
    tables = {name: load_store(path).to_csv(index=False).encode() for name, path in stores.items()}
    for name in ("pool", "dask"):
        assert files(stores[name]) == reference, name
        assert tables[name] == tables["in_process"], name
