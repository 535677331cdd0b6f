"""Service-time multipliers by day (CompiledModel.service_scale): built, checked and applied."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simcare.engine import run
from simcare.errors import ModelError
from simcare.network import Network
from simcare.sampling.distributions import Exponential


def _delay_network(scale: list[float] | None, days: int = 4) -> Network:
    net = Network(horizon_hours=24 * days)
    net.add_service("stay", servers=math.inf, service_time=Exponential(120), time_scale=scale)
    net.add_arrivals("in", to="stay", rate_per_hour=20)
    return net


def test_scale_is_ones_by_default_and_extends_its_last_value() -> None:
    m = _delay_network([2.0, 0.5], days=4).compile()
    assert m.service_scale.shape == (1, 4)
    assert m.service_scale[0].tolist() == [2.0, 0.5, 0.5, 0.5]
    assert (_delay_network(None).compile().service_scale == 1.0).all()


@pytest.mark.parametrize("bad", [[], [1.0, 0.0], [1.0, -2.0], [float("nan")], [[1.0]]])
def test_bad_scales_are_refused_naming_the_service(bad: list[float]) -> None:
    with pytest.raises(ModelError, match=r"services\.stay\.time_scale"):
        _delay_network(bad)


def test_unit_scale_changes_nothing() -> None:
    """A scale of ones gives the same run, bit for bit, as no scale (the multiplication by 1.0
    is exact), so models without a trend keep their results."""
    a = run(_delay_network(None).compile(), seed=3)
    b = run(_delay_network([1.0, 1.0]).compile(), seed=3)
    for name in a.visits.dtype.names:  # unfinished visits hold NaN times
        assert np.array_equal(a.visits[name], b.visits[name], equal_nan=True), name


def test_service_times_follow_the_day_service_begins() -> None:
    """An infinite-server delay, Exponential(120 min), scaled x3 on day 1 and x0.5 from day 2.
    Each day's mean service time must match 120 x scale: about 480 services a day, so the mean
    of n exponential times has relative sd 1/sqrt(n) ~ 4.6 %; the test asks for the 99.9 %
    interval of the mean (a gamma(n, mean/n) law), which a wrong day index (x3 vs x0.5) misses
    by far. Same draws as unscaled, so the ratio of each patient's time is the scale exactly."""
    scale = [1.0, 3.0, 0.5]
    m = _delay_network(scale).compile()
    scaled = run(m, seed=11).visits
    plain = run(_delay_network(None).compile(), seed=11).visits
    served = scaled["end"] < m.horizon
    duration = scaled["end"] - scaled["start"]
    day = (scaled["start"] // 1440).astype(int)
    for d in range(3):  # services begun on days 0-2 all end within the 4-day horizon
        pick = served & (day == d)
        n = int(pick.sum())
        assert n > 300
        mean = 120.0 * scale[d]
        lo, hi = stats.gamma.ppf([0.0005, 0.9995], a=n, scale=mean / n)
        assert lo <= duration[pick].mean() <= hi, (d, duration[pick].mean(), mean)
    both = served & (plain["end"] < m.horizon) & (day < 3)
    ratio = duration[both] / (plain["end"] - plain["start"])[both]
    np.testing.assert_allclose(ratio, np.array(scale)[day[both]], rtol=1e-9)  # end - start rounding
