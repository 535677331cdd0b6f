"""Batch runs: a plan of scenario variants × replications, run on a backend (in-process, a
local process pool or a Dask cluster) into a result store that survives interruption.

See docs/batch.md. The pieces: :mod:`~simcare.batch.backends` (where tasks run),
:mod:`~simcare.batch.task` (one replication of one scenario variant -> KPI table),
:mod:`~simcare.batch.plan` (plan files), :mod:`~simcare.batch.store` (parquet files and the
manifest) and :mod:`~simcare.batch.runner` (running a plan into a store, with resume).
"""

from simcare.batch.backends import Backend, make_backend

__all__ = ["Backend", "make_backend"]
