"""Every backend maps a function over items, yields each index once with its result, and reports
a task's exception in place of its result without stopping the others."""

from __future__ import annotations

import math
import os

import pytest

from simcare.batch.backends import (
    Backend,
    DaskBackend,
    InProcessBackend,
    ProcessPoolBackend,
    make_backend,
)
from simcare.errors import SimcareError

ITEMS = [4.0, -1.0, 9.0, 16.0, -4.0, 25.0, 36.0, 49.0, 64.0]  # negative: math domain error


def _check(backend: Backend) -> None:
    out = list(backend.map(math.sqrt, ITEMS))
    assert sorted(i for i, _ in out) == list(range(len(ITEMS)))
    for i, result in out:
        if ITEMS[i] < 0:
            assert isinstance(result, ValueError) and "math domain error" in str(result)
        else:
            assert result == math.sqrt(ITEMS[i])


def test_in_process_runs_in_order() -> None:
    backend = make_backend()
    assert isinstance(backend, InProcessBackend) and backend.workers == 1
    assert [i for i, _ in backend.map(math.sqrt, ITEMS)] == list(range(len(ITEMS)))
    _check(backend)


def test_process_pool() -> None:
    backend = make_backend(workers=2)
    assert isinstance(backend, ProcessPoolBackend) and backend.workers == 2
    try:
        _check(backend)
        _check(backend)  # the pool is reused
    finally:
        backend.close()
        backend.close()


def test_dask_local_cluster(dask_backend: DaskBackend) -> None:
    assert dask_backend.workers == 2
    _check(dask_backend)


def _malloc_trim_threshold() -> str | None:
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_local_cluster_workers_keep_glibc_adaptive_allocation(dask_backend: DaskBackend) -> None:
    """Dask's nanny default MALLOC_TRIM_THRESHOLD_=65536 made every replication's large arrays
    fresh mmaps (about 1.4x slower tasks than in a process pool); the local cluster unsets it."""
    found = dask_backend._client.run(_malloc_trim_threshold)
    assert len(found) == 2 and set(found.values()) == {None}


def _frozen() -> int:
    import gc

    return gc.get_freeze_count()


def test_dask_workers_have_their_own_objects_frozen(dask_backend: DaskBackend) -> None:
    """The workers' start-up objects are out of the garbage collector's reach (gc.freeze)."""
    counts = dask_backend._client.run(_frozen)
    assert len(counts) == 2 and min(counts.values()) > 1000


def test_make_backend_rejects_bad_worker_counts() -> None:
    with pytest.raises(SimcareError, match="at least 1, got 0"):
        make_backend(workers=0)


def test_unreachable_scheduler_is_a_clear_error() -> None:
    with pytest.raises(SimcareError, match="cannot connect to the Dask scheduler at tcp://127.0.0.1:9"):
        DaskBackend("tcp://127.0.0.1:9", connect_timeout=1.0)


class _Watched(list[float]):
    """A list that remembers the highest index read (how far ahead a backend has submitted)."""

    highest = -1

    def __getitem__(self, i):  # type: ignore[no-untyped-def,override]
        self.highest = max(self.highest, i)
        return super().__getitem__(i)


@pytest.mark.parametrize("kind", ["in_process", "pool", "dask"])
def test_tasks_in_flight_are_bounded(kind: str, request: pytest.FixtureRequest) -> None:
    """Memory stays flat with the number of items: a backend reads an item only when it has room
    for it (at most 3 per worker ahead of the results it has yielded)."""
    items = _Watched(float(i) for i in range(40))
    backend: Backend = (
        request.getfixturevalue("dask_backend")
        if kind == "dask"
        else make_backend(workers=1 if kind == "in_process" else 2)
    )
    try:
        yielded = 0
        for _ in backend.map(math.sqrt, items):
            yielded += 1
            assert items.highest < yielded + 3 * backend.workers
        assert yielded == 40
    finally:
        if kind != "dask":
            backend.close()


def _exit_if_negative(x: float) -> float:
    """A task that kills its worker process (like a crash in compiled code) when x < 0."""
    if x < 0:
        import os

        os._exit(3)
    return x


def test_pool_carries_on_after_a_worker_dies() -> None:
    backend = ProcessPoolBackend(2)
    items = [1.0, 2.0, -1.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0]
    try:
        out = dict(backend.map(_exit_if_negative, items))
    finally:
        backend.close()
    assert sorted(out) == list(range(len(items)))
    from concurrent.futures.process import BrokenProcessPool

    assert isinstance(out[2], BrokenProcessPool)
    broken = [i for i, r in out.items() if isinstance(r, BrokenProcessPool)]
    # only tasks in flight with the crash fail (at most 3 per worker); later ones run on a new pool
    assert len(broken) <= 6 and out[12] == 12.0
    assert all(out[i] == items[i] for i in out if i not in broken)
