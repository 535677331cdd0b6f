"""Fixtures of the report tests."""

from __future__ import annotations

import pandas as pd
import pytest
from report_synthetic import synthetic_table


@pytest.fixture(scope="session")
def table() -> pd.DataFrame:
    return synthetic_table({"bnssg_base": 0.0, "bnssg_combined": 2.0, "bnssg_same": 0.0})
