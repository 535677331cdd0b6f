"""The exact effect of a leave window (docs/model.md, R15a) on patients ready at times spread
uniformly over the week: no randomness, numpy only. Used by the lever that moves a scenario to
seven-day discharge (simcare.scenario.levers) and, re-exported by simcare.analysis.queueing, as
ground truth for the engines (tests/statistical/test_leave_window.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simcare.model.compiled import LEAVE_WINDOW_HOURS


@dataclass(frozen=True)
class LeaveWindowWait:
    """What a leave window (docs/model.md, R15a) does to patients ready at uniformly spread
    times of the week: ``mean_wait`` in minutes, ``departures`` the share leaving in each hour
    of the window's week (168 values, sum 1)."""

    mean_wait: float
    departures: np.ndarray


def leave_window_wait(window: npt.ArrayLike) -> LeaveWindowWait:
    """Exact mean extra stay (minutes) under a leave window of 168 hourly leave probabilities
    a[h] in [0, 1] (at least one above 0), for patients ready at times spread uniformly over the
    week (the stationary case: a long run whose readiness has no weekly pattern).

    A patient ready inside hour h leaves at once with probability a[h], else waits to the end of
    h (30 minutes on average); one carried to the start of hour h leaves then with probability
    a[h], else waits the whole hour. The carried share c[h] at the start of each hour solves the
    cyclic recursion c[h + 1] = (1 - a[h]) (1/168 + c[h]), in closed form:
    c[0] = sum over h of (1/168) prod_{i >= h} (1 - a[i]) / (1 - prod_i (1 - a[i])). With only
    0 and 1 (a fixed window) the mean wait is sum of L^2 / 2 over the closed stretches of L
    hours, divided by 168, in hours."""
    a = np.asarray(window, dtype=np.float64)
    n = LEAVE_WINDOW_HOURS
    if a.shape != (n,) or not (np.isfinite(a) & (a >= 0) & (a <= 1)).all() or not (a > 0).any():
        raise ValueError("a leave window is 168 probabilities in [0, 1], at least one above 0")
    stay = 1.0 - a
    tail = np.cumprod(stay[::-1])[::-1]  # tail[h] = prod_{i >= h} (1 - a[i])
    carried = np.empty(n)
    carried[0] = float(np.sum(tail) / n / (1.0 - tail[0]))
    for h in range(n - 1):
        carried[h + 1] = stay[h] * (1.0 / n + carried[h])
    departures = a * (1.0 / n + carried)
    mean_wait = float(np.sum(stay * (30.0 / n + 60.0 * carried)))
    return LeaveWindowWait(mean_wait, departures)


def weekly_window(hourly: npt.ArrayLike, weekday: npt.ArrayLike) -> np.ndarray:
    """168 leave probabilities, hour 0 = Monday 00:00-01:00: weekday[day] x hourly[hour]."""
    h = np.asarray(hourly, dtype=np.float64)
    d = np.asarray(weekday, dtype=np.float64)
    if h.shape != (24,) or d.shape != (7,):
        raise ValueError("a weekly window needs 24 hourly and 7 weekday values")
    return np.outer(d, h).ravel()


def weekend_share(window: npt.ArrayLike) -> float:
    """Mean departures a weekend day over mean departures a weekday (Monday-Friday), for
    readiness spread over the week; ``window`` by hour of week, Monday 00:00 first."""
    per_day = leave_window_wait(window).departures.reshape(7, 24).sum(axis=1)
    return float(per_day[5:].mean() / per_day[:5].mean())


def weekend_multiplier(hourly: npt.ArrayLike, share: float) -> float:
    """The weekend multiplier m in [0, 1] of ``hourly`` (weekdays 1) whose weekend share
    (:func:`weekend_share`) is ``share``, by bisection to 1e-6 (the share rises with m); 1 when
    ``share`` is at least the share at m = 1, 0 when it is at most the share at m = 0."""

    def at(m: float) -> float:
        return weekend_share(weekly_window(hourly, [1.0] * 5 + [m] * 2))

    lo, hi = 0.0, 1.0
    if share >= at(hi):
        return 1.0
    if share <= at(lo):
        return 0.0
    while hi - lo > 1e-6:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if at(mid) < share else (lo, mid)
    return (lo + hi) / 2
