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

from simcare._jit import cached_njit


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
    return _points_to_times(points, cum, edges, rate, total, np.nextafter(horizon, 0))


@cached_njit(error_model="numpy")
def _points_to_times(
    points: np.ndarray, cum: np.ndarray, edges: np.ndarray, rate: np.ndarray, total: float, last: float
) -> np.ndarray:
    """Lambda^{-1} of the unit-rate points below ``total``: times in minutes, float64 (n,).

    points: float64 (m,) non-decreasing; cum: float64 (H+1,) Lambda at the hour edges (minutes
    ``edges``, (H+1,)); rate: float64 (H,) patients/hour; last: the largest time returned.

    One walk of an hour pointer over the sorted points (issue 15: ``np.searchsorted`` and the
    mapping's temporaries took most of the draw): hour h is the largest index with
    cum[h] <= point (searchsorted side="right" minus 1, then at most H-1), and each time is the
    same float arithmetic, in the same order, as the vectorised formula it replaced."""
    n = 0
    while n < points.shape[0] and points[n] < total:
        n += 1
    H = rate.shape[0]
    top = cum.shape[0] - 1
    out = np.empty(n)
    h = 0
    for i in range(n):
        p = points[i]
        while h < top and cum[h + 1] <= p:
            h += 1
        j = min(h, H - 1)
        t = edges[j] + (p - cum[j]) / rate[j] * 60.0
        out[i] = last if t > last else t
    return out
