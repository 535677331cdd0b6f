"""Leave windows (docs/model.md, R15a) against their exact mean wait.

A service with infinitely many servers and exponential stays has patients ready to leave at
times spread uniformly over the week (Poisson arrivals, flat rate, a horizon of many weeks), so
the mean of departure - end (the wait the window adds) is
``simcare.analysis.queueing.leave_window_wait``: for a fixed window (0 and 1) the sum over the
closed stretches of L hours of L^2 / 2, over 168 hours. The tolerance is 4 standard errors of
the sample mean (patients are independent: infinite servers), so a wrong rule fails and a right
one passes but for a 1-in-15,000 draw.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simcare.analysis.queueing import leave_window_wait
from simcare.engine import run
from simcare.network import HOURS_PER_WEEK, Network
from simcare.sampling.distributions import Exponential

WEEKS = 20


def discharge_window(day_hours: range, weekday: float, weekend: float) -> np.ndarray:
    """168 leave probabilities by hour of week: ``weekday`` / ``weekend`` in ``day_hours``."""
    day = np.arange(HOURS_PER_WEEK) // 24
    hour = np.arange(HOURS_PER_WEEK) % 24
    return np.where(np.isin(hour, list(day_hours)), np.where(day >= 5, weekend, weekday), 0.0)


def waits(window: np.ndarray, seed: int, start_hour_of_week: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(minutes each patient waited for the window, hour of week it left) for patients who left
    the ward after the first week, from one run of WEEKS weeks."""
    net = Network(horizon_hours=HOURS_PER_WEEK * WEEKS, start_hour_of_week=start_hour_of_week)
    net.add_service("ward", servers=math.inf, service_time=Exponential(3 * 1440), leave_window=window)
    net.add_arrivals("admissions", to="ward", rate_per_hour=4)
    v = run(net.compile(), seed=seed).visits
    done = np.isfinite(v["departure"]) & (v["end"] >= 10080)
    left = v["departure"][done]
    return left - v["end"][done], ((left // 60).astype(int) + start_hour_of_week) % HOURS_PER_WEEK


def test_fixed_window_closed_form() -> None:
    """10:00-18:00 every day: 16 closed hours a day, mean wait 16^2 / 2 / 24 h = 320 min."""
    window = discharge_window(range(10, 18), 1.0, 1.0)
    assert leave_window_wait(window).mean_wait == pytest.approx(16**2 / 2 / 24 * 60)
    assert leave_window_wait(np.ones(HOURS_PER_WEEK)).mean_wait == 0.0
    weekdays_only = discharge_window(range(24), 1.0, 0.0)  # closed 48 h a week
    assert leave_window_wait(weekdays_only).mean_wait == pytest.approx(48**2 / 2 / 168 * 60)


@pytest.mark.parametrize(
    ("window", "start"),
    [
        (discharge_window(range(10, 18), 1.0, 1.0), 0),  # fixed window, every day
        (discharge_window(range(8, 22), 0.2, 0.06), 37),  # HWE's pattern today, run from Tue 13:00
        (discharge_window(range(8, 22), 0.2, 0.2), 0),  # seven-day working
    ],
    ids=["fixed_10_18", "hwe_today", "seven_day"],
)
def test_engine_mean_wait_matches_the_exact_value(window: np.ndarray, start: int) -> None:
    w, hour = waits(window, seed=5, start_hour_of_week=start)
    assert len(w) > 10_000
    se = w.std(ddof=1) / math.sqrt(len(w))
    exact = leave_window_wait(window).mean_wait
    assert abs(w.mean() - exact) < 4 * se, (w.mean(), exact, se)
    assert (window[hour] > 0).all(), "a patient left in an hour the window keeps shut"
    assert (w >= 0).all() and (w[window[hour] < 1] >= 0).all()


def test_engine_weekend_share_matches_the_exact_departures() -> None:
    """Today's HWE pattern: the share of departures on each day of the week is the exact one
    (each share within 4 binomial standard errors), and weekends discharge 61 % of the weekday
    level (the published April-November 2024 ratio for the ICB, docs/parameters.md)."""
    window = discharge_window(range(8, 22), 0.2, 0.06)
    exact = leave_window_wait(window).departures.reshape(7, 24).sum(axis=1)
    assert exact[5:].mean() / exact[:5].mean() == pytest.approx(0.61, abs=0.01)
    _, hour = waits(window, seed=9)
    share = np.bincount(hour // 24, minlength=7) / len(hour)
    se = np.sqrt(exact * (1 - exact) / len(hour))
    assert (np.abs(share - exact) < 4 * se).all(), (share, exact)
