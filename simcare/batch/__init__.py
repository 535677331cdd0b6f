"""Batch runs: a plan of scenario variants × replications, run on a backend (in-process, a
local process pool or a Dask cluster) into a result store that survives interruption.

See docs/batch.md. The pieces: :mod:`~simcare.batch.backends` (where tasks run),
:mod:`~simcare.batch.task` (one replication of one scenario variant -> KPI table),
:mod:`~simcare.batch.plan` (plan files), :mod:`~simcare.batch.store` (parquet files and the
manifest) and :mod:`~simcare.batch.runner` (running a plan into a store, with resume).
"""

from simcare.batch.backends import Backend, make_backend
from simcare.batch.plan import Plan, PlanError, load_plan
from simcare.batch.runner import run_batch
from simcare.batch.store import Store, StoreError, load_runs, load_store
from simcare.batch.task import run_replication

__all__ = [
    "Backend",
    "Plan",
    "PlanError",
    "Store",
    "StoreError",
    "load_plan",
    "load_runs",
    "load_store",
    "make_backend",
    "run_batch",
    "run_replication",
]
