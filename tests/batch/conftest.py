"""Shared fixtures of the batch tests: one Dask LocalCluster for the session (it takes seconds
to start), and the short test scenario."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simcare.batch.backends import DaskBackend

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def dask_backend() -> Iterator[DaskBackend]:
    backend = DaskBackend("local", workers=2)
    try:
        yield backend
    finally:
        backend.close()
