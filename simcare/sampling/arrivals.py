"""Exact non-homogeneous Poisson arrivals for a piecewise-constant hourly rate.

With rate lambda_h (patients/hour) constant within each hour h, the cumulative intensity
Lambda(t) is piecewise linear. If E_1 < E_2 < ... are the points of a unit-rate Poisson process
(cumulative sums of Exp(1) variates), then Lambda^{-1}(E_i) are exactly the points of the
non-homogeneous process (the time-change theorem; Cinlar 1975). No thinning, no approximation.
Patient i of a stream always takes the i-th Exp(1) cumulative sum: common random numbers across
scenarios that change the rate.
"""

from __future__ import annotations

import numpy as np


def nhpp_times(rate_per_hour: np.ndarray, horizon: float, rng: np.random.Generator) -> np.ndarray:
    """Arrival times (minutes, float64[n], increasing, all < horizon) of a Poisson process whose
    rate is ``rate_per_hour[h]`` (float64[H]) during hour h."""
    rate = np.asarray(rate_per_hour, dtype=np.float64)
    H = rate.shape[0]
    edges = np.minimum(np.arange(H + 1) * 60.0, horizon)
    widths = np.diff(edges)  # the last hour may be partial
    cum = np.concatenate(([0.0], np.cumsum(rate * widths / 60.0)))  # Lambda at hour edges
    total = cum[-1]
    if total <= 0:
        return np.zeros(0)
    # Draw unit-rate points in chunks until they pass Lambda(horizon); chunking does not change
    # the sequence of variates a Generator produces.
    chunks = []
    last = 0.0
    chunk = int(total + 6 * np.sqrt(total) + 16)
    while last <= total:
        e = last + np.cumsum(rng.standard_exponential(chunk))
        chunks.append(e)
        last = e[-1]
        chunk = max(16, chunk // 4)
    points = np.concatenate(chunks)
    points = points[points < total]
    h = np.searchsorted(cum, points, side="right") - 1
    h = np.minimum(h, H - 1)
    times = edges[h] + (points - cum[h]) / rate[h] * 60.0
    return np.minimum(times, np.nextafter(horizon, 0))
