"""Run a plan into a store on a backend, resuming whatever an earlier run left unfinished.

Workers return KPI tables (small: tens of rows per replication), never visit tables unless the
plan keeps them; this process writes each result as it arrives, so memory does not grow with the
size of the batch. A task that raises is recorded with its error and the batch carries on.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from simcare.batch.backends import Backend, make_backend
from simcare.batch.plan import Plan
from simcare.batch.store import Store, StoreStatus
from simcare.batch.task import TaskResult, run_task
from simcare.errors import SimcareError
from simcare.pipeline import imap_with_progress

__all__ = ["BatchOutcome", "run_batch"]


@dataclass(frozen=True)
class BatchOutcome:
    """What one invocation did: tasks skipped (already done or failed before), run now, failed
    now; wall time in seconds; the store's status afterwards."""

    skipped: int
    ran: int
    failed: int
    seconds: float
    status: StoreStatus


def run_batch(
    plan: Plan,
    store: str | os.PathLike[str],
    backend: Backend | None = None,
    *,
    retry_failed: bool = False,
    progress: bool = False,
    plan_text: str | None = None,
) -> BatchOutcome:
    """Run the tasks of ``plan`` that ``store`` does not hold yet (creating the store if
    needed) on ``backend`` (default: in this process).

    ``retry_failed``: also run again the tasks that failed before (by default they stay
    recorded as failed). ``progress``: show a tqdm bar (counts, rate, ETA, failures) on stderr.
    ``plan_text``: the plan file's text, kept in the store as plan.yaml.
    """
    started = time.perf_counter()
    st = Store.open(Path(store), plan, plan_text)
    own = backend is None
    failed = ran = 0
    try:
        tasks = plan.tasks()
        todo = st.pending(tasks, retry_failed=retry_failed)
        backend = backend or make_backend()
        earlier = 0 if retry_failed else len(st.failed())  # failures kept from an earlier run
        for index, result in imap_with_progress(
            backend,
            run_task,
            todo,
            plan.name,
            progress,
            keep_failures=True,
            done=len(tasks) - len(todo),
            failed=earlier,
        ):
            task = todo[index]
            if isinstance(result, TaskResult):
                st.record_result(result)
            elif isinstance(result, BaseException):
                st.record_failure(task.key, result)
                failed += 1
            else:  # pragma: no cover - run_task returns a TaskResult or raises
                st.record_failure(task.key, SimcareError(f"unexpected result {type(result).__name__}"))
                failed += 1
            ran += 1
    finally:
        st.close()
        if own and backend is not None:
            backend.close()
    return BatchOutcome(
        skipped=len(tasks) - len(todo),
        ran=ran,
        failed=failed,
        seconds=time.perf_counter() - started,
        status=st.status(),
    )
