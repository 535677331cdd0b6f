"""Where batch tasks run: in this process, a local process pool, or a Dask cluster.

Every backend has the same small interface (:class:`Backend`): ``map(func, items)`` yields
``(index, result)`` pairs as tasks complete, in completion order, with the exception in place of
the result when ``func`` raised; the caller decides what a failure means. ``func`` must be a
picklable top-level function and each item picklable: the pool and Dask send them to other
processes. The same function on the same item gives the same result on every backend, so a batch
does not depend on where it ran.

Only a bounded number of tasks is in flight at once (a few per worker), so memory does not grow
with the number of items: results are yielded as they finish and can be written out at once.

::

    backend = make_backend(workers=2)          # or scheduler="tcp://10.0.0.5:8786" / "local"
    try:
        for index, result in backend.map(run_task, tasks):
            ...
    finally:
        backend.close()
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

from simcare._process import ask_kernel_to_kill_on_parent_death
from simcare.errors import SimcareError

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["Backend", "DaskBackend", "InProcessBackend", "ProcessPoolBackend", "make_backend"]

IN_FLIGHT_PER_WORKER = 2  # tasks queued per worker beyond the one running: keeps workers busy


@runtime_checkable
class Backend(Protocol):
    """Runs one function over many items on ``workers`` workers."""

    workers: int

    def map(self, func: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R | BaseException]]:
        """Yield (index, result-or-exception) as tasks complete; func must be a picklable
        top-level function."""
        ...

    def close(self) -> None:
        """Release the workers (idempotent)."""
        ...


class InProcessBackend:
    """Runs every task here, one after another, in index order."""

    def __init__(self) -> None:
        self.workers = 1

    def map(self, func: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R | BaseException]]:
        for i, item in enumerate(items):
            try:
                result: R | BaseException = func(item)
            except Exception as exc:  # a task's failure is reported, not raised
                result = exc
            yield i, result

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return "InProcessBackend()"


PARENT_POLL_SECONDS = 0.5  # how often a pool worker checks that the batch that started it lives


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)  # the parent is gone: nobody will read our results


def exit_with_parent(parent: int, death_signal: bool) -> None:
    """Pool worker initializer: end this worker when ``parent`` (the process that started the
    pool) dies, even by ``kill -9``, instead of waiting forever on the pool's queue as an orphan
    (which also keeps multiprocessing's resource tracker alive).

    A daemon thread checks ``os.getppid()`` every :data:`PARENT_POLL_SECONDS` and calls
    ``os._exit`` once the worker has been handed to another parent; it needs the GIL, so a
    worker inside a numba kernel exits when the kernel returns. ``death_signal`` (Linux): also
    ask the kernel to send SIGKILL at once when the parent dies (``prctl(PR_SET_PDEATHSIG)``).
    That signal follows the *thread* that started the worker, so it is asked for only when the
    pool is started from the main thread (whose end is the process's end)."""
    if death_signal:
        ask_kernel_to_kill_on_parent_death()
    if os.getppid() != parent:  # died before we were watching
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="simcare-parent-watch", daemon=True).start()


class ProcessPoolBackend:
    """A local pool of ``workers`` processes (``concurrent.futures``), started with ``spawn`` so
    it behaves the same on every platform and never inherits a half-initialised numba state.
    Workers exit when this process dies (:func:`exit_with_parent`): a killed batch leaves no
    orphans."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise SimcareError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self._pool: cf.ProcessPoolExecutor | None = None

    def _executor(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=exit_with_parent,
                initargs=(os.getpid(), threading.current_thread() is threading.main_thread()),
            )
        return self._pool

    def map(self, func: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R | BaseException]]:
        """As :meth:`Backend.map`. If a worker process dies (killed, out of memory, a crash in
        compiled code), the tasks in flight on the pool fail with BrokenProcessPool and the rest
        go on on a new pool."""
        limit = self.workers * (1 + IN_FLIGHT_PER_WORKER)
        pending: dict[cf.Future[R], int] = {}
        next_index = 0
        n = len(items)
        while next_index < n or pending:
            while next_index < n and len(pending) < limit:
                pending[self._executor().submit(func, items[next_index])] = next_index
                next_index += 1
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            broken = False
            for future in sorted(done, key=pending.__getitem__):
                index = pending.pop(future)
                error = future.exception()
                broken = broken or isinstance(error, cf.process.BrokenProcessPool)
                yield index, (error if error is not None else future.result())
            if broken and self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None  # the next submit starts a new pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __repr__(self) -> str:
        return f"ProcessPoolBackend(workers={self.workers})"


def freeze_worker_heap() -> int:
    """Move a worker's existing objects out of the garbage collector's reach (gc.freeze);
    returns how many are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


NANNY_MALLOC_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
# Dask settings for a LocalCluster on the machine that also runs the batch: fewer background
# wake-ups on cores that the tasks keep busy (see DaskBackend).
QUIET_CLUSTER: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.tick.interval": "1s",
    "distributed.scheduler.work-stealing": False,
    "distributed.scheduler.active-memory-manager.start": False,
    "distributed.worker.memory.monitor-interval": "5s",
}


class DaskBackend:
    """Tasks on a Dask distributed cluster: ``scheduler`` is its address (``tcp://host:8786``)
    or ``"local"`` for a :class:`distributed.LocalCluster` of ``workers`` single-threaded
    processes started here (tests, benchmarks). Cluster workers need only ``pip install
    simcare``: tasks carry their scenario document, not file paths. ``connect_timeout``:
    seconds to wait for a remote scheduler."""

    def __init__(self, scheduler: str, workers: int | None = None, connect_timeout: float = 30.0) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise SimcareError(
                "the Dask backend needs Dask, which is not installed: "
                "pip install 'simcare[cluster]' (or pip install 'dask[distributed]')"
            ) from None
        self._cluster: Any = None
        if scheduler == "local":
            n = workers or os.cpu_count() or 1
            # silence_logs: a failing task is reported by map(), not logged by the worker too.
            # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which turns off
            # glibc's adaptive mmap threshold: every large array of a replication is then a
            # fresh mmap with fresh page faults (tasks ran about 1.4x slower than in a pool).
            # The worker's profiler, memory monitor (memory_limit=0) and frequent system
            # monitor took a further ~10 % of two busy cores (benchmarks/batch.py); a
            # replication's memory is bounded, so nothing needs watching here. Every event loop
            # (scheduler, nannies, workers) also wakes every 20 ms to check that it is not
            # blocked, the scheduler looks for work to steal every second and runs its memory
            # manager every 2 s: with the task running in the worker's other thread each wake-up
            # is a context switch off a busy core (about 110 per task; 35 with QUIET_CLUSTER).
            with dask.config.set({NANNY_MALLOC_TRIM: None, **QUIET_CLUSTER}):
                self._cluster = LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    memory_limit=0,
                    silence_logs=logging.CRITICAL,
                )
            self._client: Any = Client(self._cluster)
        else:
            try:
                self._client = Client(scheduler, timeout=f"{connect_timeout}s")
            except (OSError, TimeoutError) as exc:
                raise SimcareError(f"cannot connect to the Dask scheduler at {scheduler}: {exc}") from None
        self.scheduler = scheduler
        # A Dask worker holds ~140k long-lived objects of its own, which every full collection
        # of the garbage collector scans again during simcare's pandas work; freezing them
        # (gc.freeze) cut the CPU per task by ~5 % (median 0.152 s -> 0.145 s; pool 0.135 s).
        self._client.run(freeze_worker_heap)
        threads = self._client.nthreads()
        self.workers = max(1, sum(threads.values())) if threads else max(1, workers or 1)

    def map(self, func: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R | BaseException]]:
        from distributed import as_completed

        limit = self.workers * (1 + IN_FLIGHT_PER_WORKER)
        n = len(items)
        index_of: dict[str, int] = {}
        first = min(n, limit)
        futures = [self._client.submit(func, items[i], pure=False) for i in range(first)]
        for i, f in enumerate(futures):
            index_of[f.key] = i
        next_index = first
        queue = as_completed(futures)
        for future in queue:
            index = index_of.pop(future.key)
            if future.status == "error":
                error = future.exception()
                result: Any = error if isinstance(error, BaseException) else SimcareError(str(error))
            elif future.status == "cancelled":
                result = SimcareError("the task was cancelled by the Dask cluster")
            else:
                result = future.result()
            future.release()
            if next_index < n:
                new = self._client.submit(func, items[next_index], pure=False)
                index_of[new.key] = next_index
                next_index += 1
                queue.add(new)
            yield index, result

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __repr__(self) -> str:
        return f"DaskBackend(scheduler={self.scheduler!r}, workers={self.workers})"


def make_backend(workers: int | None = None, scheduler: str | None = None) -> Backend:
    """The backend for ``simcare batch``'s options.

    ``scheduler`` set: Dask (``"local"``: a LocalCluster of ``workers`` processes; otherwise the
    address of a running scheduler, whose workers are used whatever ``workers`` says).
    Otherwise ``workers`` None or 1: in this process; N > 1: a local pool of N processes.
    """
    if workers is not None and workers < 1:
        raise SimcareError(f"--workers must be at least 1, got {workers}")
    if scheduler is not None:
        return DaskBackend(scheduler, workers)
    if workers is None or workers == 1:
        return InProcessBackend()
    return ProcessPoolBackend(workers)
