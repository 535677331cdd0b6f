"""Reporting periods and the vectorised aggregations every KPI uses.

A run covers ``n_days`` simulated days from the timeline's origin; the first ``warm_up_days`` are
the warm-up and are never reported. The reported days ``D = n_days - warm_up_days`` are labelled
``"YYYY-MM-DD"``, grouped into calendar months ``"YYYY-MM"``, and summed over the whole window
(period ``"run"``).

Aggregations work on day-level matrices of shape (G, D), one row per group of a ``Level``:

- tallies: ``day_sums`` adds a value (1 for a count) for each visit or event into the group and
  day of the time it is counted at (minutes from the origin); times in the warm-up, after the
  end or NaN are dropped;
- time-weighted: ``hour_sums`` adds the hourly series (G, H) over the hours of each reported day.

``ratio_blocks`` then turns numerator and denominator matrices into rows for each period (day,
month, run): ``scale * sum(numerator) / sum(denominator)``, or the plain sum when there is no
denominator. A ratio with a zero denominator (nothing to average) gives no row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from simcare._jit import cached_njit
from simcare.errors import ModelError
from simcare.scenario.timeline import Timeline

MINUTES_PER_DAY = 1440.0
PERIOD_KINDS = ("run", "month", "day")


@dataclass(frozen=True, eq=False)
class Block:
    """Rows of one KPI: ``groups``, ``periods`` (object arrays of names) and ``values`` (float64),
    all of shape (n,)."""

    kpi: str
    unit: str
    groups: np.ndarray
    periods: np.ndarray
    values: np.ndarray


@dataclass(frozen=True, eq=False)
class Level:
    """One way of grouping: group ``names`` (G,) and, per item (visit, event), its group code
    (n,) int (-1: in no group of this level). ``daily``: whether day rows are produced (off for
    fine groupings such as acuity or locality, to keep the table small)."""

    names: tuple[str, ...]
    codes: np.ndarray
    daily: bool = True

    @staticmethod
    def whole(name: str, n: int, daily: bool = True) -> Level:
        """A single group holding every item (e.g. ``"ICB"``)."""
        return Level((name,), np.zeros(n, dtype=np.int64), daily)


class Calendar:
    """The reported days of a run: labels and the day -> month map.

    ``first``: index of the first reported day from the origin; ``n_days`` (D): reported days;
    ``day_labels`` (D,), ``month_labels`` (M,), ``month_of_day`` (D,) int.
    """

    def __init__(self, timeline: Timeline, periods: Sequence[str] = PERIOD_KINDS) -> None:
        unknown = set(periods) - set(PERIOD_KINDS)
        if unknown or not periods:
            raise ModelError("periods", f"expected some of {', '.join(PERIOD_KINDS)}; got {list(periods)}")
        self.timeline = timeline
        self.periods = tuple(p for p in PERIOD_KINDS if p in periods)
        self.first = timeline.day_index(timeline.start)
        self.n_days = timeline.n_days - self.first
        days = np.datetime64(timeline.start, "D") + np.arange(self.n_days)
        self.day_labels = np.datetime_as_string(days, unit="D").astype(object)
        months = days.astype("datetime64[M]")
        unique_months, self.month_of_day = np.unique(months, return_inverse=True)
        self.month_labels = np.datetime_as_string(unique_months, unit="M").astype(object)
        self._days: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def n_months(self) -> int:
        return int(self.month_labels.shape[0])

    @cached_property
    def month_matrix(self) -> np.ndarray:
        """(D, M) 0/1: day d lies in month m."""
        m = np.zeros((self.n_days, self.n_months))
        m[np.arange(self.n_days), self.month_of_day] = 1.0
        return m

    def day_of(self, minutes: np.ndarray) -> np.ndarray:
        """Reported-day index of each time (minutes from the origin); -1 outside the window or NaN.
        Remembered for the last arrays seen (several KPIs count the same moments)."""
        seen = self._days.get(id(minutes))
        if seen is not None and seen[0] is minutes:
            return seen[1]
        day = self._day_of(minutes)
        self._days[id(minutes)] = (minutes, day)  # holds ``minutes`` so its id is not reused
        return day

    def _day_of(self, minutes: np.ndarray) -> np.ndarray:
        if minutes.dtype == np.float64 and minutes.ndim == 1:
            day = np.empty(minutes.shape[0], dtype=np.int64)
            _day_of_nb(minutes, float(self.first), float(self.n_days), day)
            return day
        with np.errstate(invalid="ignore"):
            days = np.floor(minutes / MINUTES_PER_DAY) - self.first
        ok = (days >= 0) & (days < self.n_days)
        return np.where(ok, days, -1).astype(np.int64)

    # --- day-level matrices -----------------------------------------------------------------------
    def day_sums(
        self,
        level: Level,
        minutes: np.ndarray,
        weights: np.ndarray | None = None,
        day: np.ndarray | None = None,
    ) -> np.ndarray:
        """(G, D) sums of ``weights`` (default 1) by group and reported day of ``minutes`` (or of
        the precomputed ``day_of(minutes)``)."""
        if day is None:
            day = self.day_of(minutes)
        return _bin_sums(level, day, self.n_days, weights, finite=False)

    def hour_sums(self, series: np.ndarray) -> np.ndarray:
        """(G, D) sums over the 24 hours of each reported day of hourly series (G, H)."""
        G = series.shape[0]
        cut = series[:, self.first * 24 : (self.first + self.n_days) * 24]
        return cut.reshape(G, self.n_days, 24).sum(axis=2)

    # --- rows --------------------------------------------------------------------------------------
    def tally_blocks(
        self,
        kpi: str,
        unit: str,
        levels: Sequence[Level],
        minutes: np.ndarray,
        numerator: np.ndarray | None = None,
        denominator: np.ndarray | None = None,
        scale: float = 1.0,
    ) -> list[Block]:
        """Rows of a tally per level and period: ``scale * sum(numerator) / sum(denominator)`` over the
        items counted at ``minutes`` (n,). ``numerator`` None counts items; ``denominator`` None gives
        the plain sum. Items whose weight is NaN are left out of that sum (a mean passes NaN values
        and a denominator of 1 or NaN)."""
        out = []
        day = self.day_of(minutes)
        for level in levels:
            if denominator is None:
                num, den = _bin_sums(level, day, self.n_days, numerator, finite=True), None
            else:
                num, den = _bin_sum_pair(level, day, self.n_days, numerator, denominator)
            out += self.ratio_blocks(kpi, unit, level, num, den, scale)
        return out

    def series_blocks(
        self,
        kpi: str,
        unit: str,
        names: Sequence[str],
        numerator: np.ndarray,
        denominator: np.ndarray | None = None,
        scale: float = 1.0,
        daily: bool = True,
    ) -> list[Block]:
        """Rows of a time-weighted measure per group (G = len(names)) and period from hourly series
        (G, H): ``scale * sum(numerator) / sum(denominator)`` over the reported hours of the period
        (denominator None: the mean over hours)."""
        level = Level(tuple(names), np.zeros(0, dtype=np.int64), daily)
        num = self.hour_sums(numerator)
        den = np.full_like(num, 24.0) if denominator is None else self.hour_sums(denominator)
        return self.ratio_blocks(kpi, unit, level, num, den, scale)

    def ratio_blocks(
        self,
        kpi: str,
        unit: str,
        level: Level,
        numerator: np.ndarray,
        denominator: np.ndarray | None = None,
        scale: float = 1.0,
    ) -> list[Block]:
        """Rows of ``scale * sum(num) / sum(den)`` (or ``scale * sum(num)``) per group and period."""
        out = []
        for kind in self.periods:
            if kind == "day" and not level.daily:
                continue
            num, labels = self._collapse(numerator, kind)
            den = None if denominator is None else self._collapse(denominator, kind)[0]
            with np.errstate(invalid="ignore", divide="ignore"):
                value = scale * num if den is None else np.where(den > 0, scale * num / den, np.nan)
            out.append(self._block(kpi, unit, level, labels, value))
        return out

    def summary_blocks(
        self, kpi: str, unit: str, level: Level, daily: np.ndarray, how: str, threshold: float = 0.0
    ) -> list[Block]:
        """Month and run rows summarising daily values (G, D): ``how`` = "max" (the highest day)
        or "days_over" (days whose value exceeds ``threshold``). Days with NaN are ignored."""
        out = []
        for kind in self.periods:
            if kind == "day":
                continue
            if kind == "run":
                index = np.zeros(self.n_days, dtype=np.int64)
                labels = np.array(["run"], dtype=object)
            else:
                index, labels = self.month_of_day, self.month_labels
            P = labels.shape[0]
            if how == "max":
                filled = np.where(np.isnan(daily), -np.inf, daily)
                value = np.stack([filled[:, index == p].max(axis=1) for p in range(P)], axis=1)
                value[~np.isfinite(value)] = np.nan
            elif how == "days_over":
                over = (daily > threshold).astype(np.float64)
                value = over @ np.eye(P)[index]
            else:
                raise ValueError(f"unknown summary {how!r}")
            out.append(self._block(kpi, unit, level, labels, value))
        return out

    def quantile_blocks(
        self, kpi: str, unit: str, levels: Sequence[Level], minutes: np.ndarray, values: np.ndarray, q: float
    ) -> list[Block]:
        """Rows of the ``q`` quantile (linear interpolation, as numpy.quantile) of ``values`` (n,)
        per level, group and period of ``minutes`` (n,); NaN values are left out."""
        day = self.day_of(minutes)
        ok = (day >= 0) & ~np.isnan(values)
        order = np.flatnonzero(ok)[stable_argsort(values[ok])]  # sorted once by value
        day, vals = day[order], np.ascontiguousarray(values[order], dtype=np.float64)
        # Each (level, period) quantile keys its values by code * P + period index, computed in
        # the numba passes instead of an (n,) key array each; the month of each value is looked
        # up once, not once per level (issue 15).
        index_of = {
            "run": np.zeros(day.shape[0], dtype=np.int64),
            "month": np.ascontiguousarray(self.month_of_day[day], dtype=np.int64)
            if "month" in self.periods
            else None,
            "day": day,
        }
        out = []
        for level in levels:
            G = len(level.names)
            codes = np.ascontiguousarray(level.codes[order], dtype=np.int64)
            top = codes.max() if codes.shape[0] else -1
            for kind in self.periods:
                if kind == "day" and not level.daily:
                    continue
                if kind == "run":
                    labels = np.array(["run"], dtype=object)
                elif kind == "month":
                    labels = self.month_labels
                else:
                    labels = self.day_labels
                P = labels.shape[0]
                if top >= G:  # a key code * P + index at or above G * P
                    raise ValueError(f"keys must be below n_keys={G * P}")
                value = np.full(G * P, np.nan)
                _group_quantile_nb(codes, index_of[kind], P, vals, float(q), value)
                out.append(self._block(kpi, unit, level, labels, value.reshape(G, P)))
        return out

    def _collapse(self, matrix: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
        if kind == "day":
            return matrix, self.day_labels
        if kind == "month":
            return matrix @ self.month_matrix, self.month_labels
        return matrix.sum(axis=1, keepdims=True), np.array(["run"], dtype=object)

    @staticmethod
    def _block(kpi: str, unit: str, level: Level, labels: np.ndarray, value: np.ndarray) -> Block:
        G, P = value.shape
        keep = ~np.isnan(value.ravel())
        groups = np.repeat(np.array(level.names, dtype=object), P)[keep]
        periods = np.tile(labels, G)[keep]
        return Block(kpi, unit, groups, periods, value.ravel()[keep].astype(np.float64))


@cached_njit()
def _day_of_nb(minutes: np.ndarray, first: float, n_days: float, day: np.ndarray) -> None:
    """day[i] (int64 (n,)): the reported day of minutes[i] (float64 (n,), from the origin),
    floor(minutes / 1440) - first, or -1 outside [0, n_days) or NaN. One pass where numpy made
    five (issue 15); the same float operations, so the same days."""
    for i in range(minutes.shape[0]):
        d = np.floor(minutes[i] / MINUTES_PER_DAY) - first
        day[i] = np.int64(d) if (d >= 0 and d < n_days) else -1


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` for float64 values (n,): the same int64 (n,) order,
    -0.0 tied with 0.0 and every NaN last, by an LSD radix sort (see :func:`_radix_argsort_nb`)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    order = np.empty(values.shape[0], dtype=np.int64)
    _radix_argsort_nb(values, order)
    return order


_RADIX_BITS = 11
_RADIX_PASSES = 6  # 6 x 11 bits cover the 64 of a float64


@cached_njit()
def _radix_argsort_nb(values: np.ndarray, order: np.ndarray) -> None:
    """Fill ``order`` (int64 (n,)) with the stable ascending order of ``values`` (float64 (n,)).

    Each value becomes a uint64 key in the order of the floats (sign bit flipped, or every bit
    for negatives), with -0.0 keyed as 0.0 and each NaN as one positive NaN, so keys tie exactly
    where numpy's comparisons tie and NaN sorts last; then six stable counting-sort passes of 11
    bits each (a pass whose digit is the same for all is skipped). On A&E times in department
    (490k, unsorted) it takes a seventh of the time of numpy's stable sort (timsort; issue 15);
    on data made of a few long sorted runs (draw's arrival times) timsort is the faster."""
    n = values.shape[0]
    canon = np.empty(n)
    for i in range(n):
        v = values[i]
        if v != v:
            v = np.nan
        elif v == 0.0:
            v = 0.0
        canon[i] = v
    bits = canon.view(np.uint64)
    top = np.uint64(1) << np.uint64(63)
    mask = np.uint64((1 << _RADIX_BITS) - 1)
    keys = np.empty(n, dtype=np.uint64)
    hist = np.zeros((_RADIX_PASSES, 1 << _RADIX_BITS), dtype=np.int64)
    for i in range(n):
        b = bits[i]
        k = ~b if (b & top) else (b | top)
        keys[i] = k
        for p in range(_RADIX_PASSES):
            hist[p, (k >> np.uint64(_RADIX_BITS * p)) & mask] += 1
    idx = np.arange(n)
    keys2 = np.empty(n, dtype=np.uint64)
    idx2 = np.empty(n, dtype=np.int64)
    pos = np.empty(1 << _RADIX_BITS, dtype=np.int64)
    for p in range(_RADIX_PASSES):
        h = hist[p]
        if n == 0 or h.max() == n:
            continue
        s = 0
        for d in range(h.shape[0]):
            pos[d] = s
            s += h[d]
        shift = np.uint64(_RADIX_BITS * p)
        for i in range(n):
            k = keys[i]
            d = (k >> shift) & mask
            j = pos[d]
            pos[d] = j + 1
            keys2[j] = k
            idx2[j] = idx[i]
        keys, keys2 = keys2, keys
        idx, idx2 = idx2, idx
    for i in range(n):
        order[i] = idx[i]


def sorted_group_quantile(keys: np.ndarray, values: np.ndarray, q: float, n_keys: int) -> np.ndarray:
    """The ``q`` quantile of ``values`` for each key in 0..n_keys-1 (linear interpolation between
    order statistics, numpy's default); NaN for keys with no values. ``values`` (n,) must be sorted
    ascending; ``keys`` (n,) int, -1 for values in no group. Returns (n_keys,).

    Two passes, no sort (issue 15: a radix sort of the keys per level and period was most of the
    time of the centile KPIs): count each key's values, then pick each key's two order statistics
    while walking the values in order. Positions and the interpolation are the arithmetic of the
    sort-based version they replaced, so the results are the same to the last bit."""
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    values = np.ascontiguousarray(values, dtype=np.float64)
    if keys.shape != values.shape:
        raise ValueError(f"keys have shape {keys.shape}, values {values.shape}")
    if keys.shape[0] and keys.max() >= n_keys:
        raise ValueError(f"keys must be below n_keys={n_keys}")
    out = np.full(n_keys, np.nan)
    _group_quantile_nb(keys, np.zeros(keys.shape[0], dtype=np.int64), 1, values, float(q), out)
    return out


@cached_njit()
def _group_quantile_nb(
    codes: np.ndarray, index: np.ndarray, P: int, values: np.ndarray, q: float, out: np.ndarray
) -> None:
    """Fill ``out`` (n_keys,) with each key's ``q`` quantile (see :func:`sorted_group_quantile`)
    where value i has key codes[i] * P + index[i], or none if codes[i] < 0 (codes, index int64
    (n,), index in 0..P-1); keys without values keep what ``out`` holds."""
    n_keys = out.shape[0]
    n_values = codes.shape[0]
    keys = np.empty(n_values, dtype=np.int64)
    count = np.zeros(n_keys, dtype=np.int64)
    outside = 0  # values in no group: the sort put them first, so they shift every start
    for i in range(n_values):
        c = codes[i]
        if c >= 0:
            k = c * P + index[i]
            keys[i] = k
            count[k] += 1
        else:
            keys[i] = -1
            outside += 1
    lo_rank = np.full(n_keys, -1, dtype=np.int64)
    hi_rank = np.full(n_keys, -1, dtype=np.int64)
    frac = np.zeros(n_keys)
    start = outside
    for k in range(n_keys):
        n = count[k]
        if n > 0:
            pos = start + q * (n - 1)  # as in the key-sorted table: start is the key's first row
            lo = np.int64(np.floor(pos))
            hi = min(lo + 1, start + n - 1)
            lo_rank[k] = lo - start
            hi_rank[k] = hi - start
            frac[k] = pos - lo
        start += n
    low = np.zeros(n_keys)
    high = np.zeros(n_keys)
    seen = np.zeros(n_keys, dtype=np.int64)
    for i in range(keys.shape[0]):
        k = keys[i]
        if k < 0:
            continue
        r = seen[k]
        if r == lo_rank[k]:
            low[k] = values[i]
        if r == hi_rank[k]:
            high[k] = values[i]
        seen[k] = r + 1
    for k in range(n_keys):
        if count[k] > 0:
            out[k] = low[k] + (high[k] - low[k]) * frac[k]


_NO_WEIGHTS = np.zeros(0)


def _bin_sums(
    level: Level, day: np.ndarray, n_days: int, weights: np.ndarray | None, finite: bool
) -> np.ndarray:
    """(G, D) float64 sums of ``weights`` (None: 1 per item) of the items (n,) by group of ``level``
    and reported day ``day`` (int (n,), -1 outside the window); items in no group (code -1), outside
    the window or whose weight is NaN are left out. ``finite``: an infinite weight counts as the
    largest finite float of its sign (numpy.nan_to_num), else as itself.

    One pass over the items: each bin adds its items' weights in item order, as ``np.bincount``
    does, so the sums are the same to the last bit (issue 15: the bincounts, one per level and
    weight, each after building a key array, were most of the KPI table's time)."""
    G = len(level.names)
    codes = np.ascontiguousarray(level.codes, dtype=np.int64)  # one machine-code version
    day = np.ascontiguousarray(day, dtype=np.int64)
    if codes.shape != day.shape:
        raise ValueError(f"level codes have shape {codes.shape}, items {day.shape}")
    out = np.zeros(G * n_days)
    if weights is None:
        _bin_sums_nb(codes, day, n_days, _NO_WEIGHTS, False, finite, out)
    else:
        w = np.ascontiguousarray(weights, dtype=np.float64)
        if w.shape != day.shape:
            raise ValueError(f"weights have shape {w.shape}, items {day.shape}")
        _bin_sums_nb(codes, day, n_days, w, True, finite, out)
    return out.reshape(G, n_days)


def _bin_sum_pair(
    level: Level, day: np.ndarray, n_days: int, numerator: np.ndarray | None, denominator: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(G, D) sums of ``numerator`` (None: 1 per item) and of ``denominator`` (float (n,)), each
    as ``_bin_sums(level, day, n_days, weights, finite=True)``, in one pass over the items
    (issue 15: the ratio KPIs made two)."""
    G = len(level.names)
    codes = np.ascontiguousarray(level.codes, dtype=np.int64)
    day = np.ascontiguousarray(day, dtype=np.int64)
    if codes.shape != day.shape:
        raise ValueError(f"level codes have shape {codes.shape}, items {day.shape}")
    num_w = _NO_WEIGHTS if numerator is None else np.ascontiguousarray(numerator, dtype=np.float64)
    if numerator is not None and num_w.shape != day.shape:
        raise ValueError(f"weights have shape {num_w.shape}, items {day.shape}")
    den_w = np.ascontiguousarray(denominator, dtype=np.float64)
    if den_w.shape != day.shape:
        raise ValueError(f"weights have shape {den_w.shape}, items {day.shape}")
    num = np.zeros(G * n_days)
    den = np.zeros(G * n_days)
    _bin_sum_pair_nb(codes, day, n_days, num_w, numerator is not None, den_w, num, den)
    return num.reshape(G, n_days), den.reshape(G, n_days)


_BIG = float(np.finfo(np.float64).max)


@cached_njit()
def _finite(w: float) -> float:
    """``w`` with an infinity replaced by the largest finite float of its sign (not NaN)."""
    if np.isinf(w):
        return _BIG if w > 0 else -_BIG
    return w


@cached_njit()
def _bin_sum_pair_nb(
    codes: np.ndarray,
    day: np.ndarray,
    n_days: int,
    num_w: np.ndarray,
    num_weighted: bool,
    den_w: np.ndarray,
    num: np.ndarray,
    den: np.ndarray,
) -> None:
    """:func:`_bin_sums_nb` with ``finite`` for two weights at once: each item adds its numerator
    weight (1 if not ``num_weighted``) into ``num`` and its denominator weight into ``den``, each
    skipped where NaN, in item order, so each sum is the one of its own pass."""
    for i in range(day.shape[0]):
        d = day[i]
        c = codes[i]
        if d < 0 or c < 0:
            continue
        k = c * n_days + d
        w = 1.0
        if num_weighted:
            w = num_w[i]
        if not np.isnan(w):
            num[k] += _finite(w)
        w = den_w[i]
        if not np.isnan(w):
            den[k] += _finite(w)


@cached_njit()
def _bin_sums_nb(
    codes: np.ndarray,
    day: np.ndarray,
    n_days: int,
    weights: np.ndarray,
    weighted: bool,
    finite: bool,
    out: np.ndarray,
) -> None:
    """Add each item's weight (1 if not ``weighted``) into ``out[codes[i] * n_days + day[i]]``,
    in item order, skipping negative codes or days and NaN weights (see :func:`_bin_sums`)."""
    for i in range(day.shape[0]):
        d = day[i]
        c = codes[i]
        if d < 0 or c < 0:
            continue
        w = 1.0
        if weighted:
            w = weights[i]
            if np.isnan(w):
                continue
            if finite:
                w = _finite(w)
        out[c * n_days + d] += w
