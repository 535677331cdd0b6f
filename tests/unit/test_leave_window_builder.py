"""The leave window at the builder and in the compiled model (docs/model.md, R15a)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simcare.errors import ModelError
from simcare.model.compiled import CompiledModel
from simcare.network import HOURS_PER_WEEK, Network
from simcare.sampling.distributions import Exponential


def model(window: object = None, start_hour_of_week: int = 0) -> CompiledModel:
    net = Network(horizon_hours=48, start_hour_of_week=start_hour_of_week)
    net.add_service("ward", servers=3, service_time=Exponential(300), leave_window=window)  # type: ignore[arg-type]
    net.add_arrivals("admissions", to="ward", rate_per_hour=0.5)
    return net.compile()


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ([1.0] * 24, "needs 168 probabilities"),
        ([1.0] * 167 + [1.5], "probabilities must be in"),
        ([1.0] * 167 + [float("nan")], "probabilities must be in"),
        ([0.0] * 168, "needs an hour with a probability above 0"),
    ],
    ids=["length", "above_one", "nan", "never"],
)
def test_builder_names_the_service_and_the_mistake(window: list[float], message: str) -> None:
    with pytest.raises(ModelError, match=rf"services\.ward\.leave_window.*{message}"):
        model(window)


def test_window_is_stored_by_hour_of_the_run() -> None:
    """Hour of week h of the builder's list is run hour (h - start_hour_of_week) mod 168."""
    window = np.zeros(HOURS_PER_WEEK)
    window[10] = 1.0  # Monday 10:00-11:00
    m = model(window, start_hour_of_week=5)
    assert np.flatnonzero(m.leave_window[0]).tolist() == [5]


def test_validate_refuses_a_bad_window() -> None:
    m = model()
    bad = dataclasses.replace(m, leave_window=np.full((1, HOURS_PER_WEEK), 2.0))
    with pytest.raises(ModelError, match="leave_window"):
        bad.validate()
    never = dataclasses.replace(m, leave_window=np.zeros((1, HOURS_PER_WEEK)))
    with pytest.raises(ModelError, match=r"leave_window\.ward"):
        never.validate()
    short = dataclasses.replace(m, leave_window=np.ones((1, 24)))
    with pytest.raises(ModelError, match="leave_window"):
        short.validate()


def test_digest_leaves_out_the_default_window_only() -> None:
    """All ones (no window) hashes as models did before the field; a window changes the digest."""
    plain = model()
    assert model([1.0] * HOURS_PER_WEEK).digest() == plain.digest()
    assert model([0.5] * HOURS_PER_WEEK).digest() != plain.digest()
