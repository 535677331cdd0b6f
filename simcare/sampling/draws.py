"""Per-replication random draws: arrivals drawn up front, keys for everything else.

``draw(model, seed, replication)`` is the only place randomness enters a run. Arrival times and
groups are drawn vectorised from one Generator per (kind, stream); service times, routes and
patience are drawn inside the engines from counter-based keys (see simcare.sampling.keys), so both
engines see the same numbers without sharing state.

``draws_from_arrivals(model, {stream: times}, seed, replication)`` is the same with arrival times
given by the caller (a trace, or a process simcare does not draw): patients get the keys ``draw``
would give the same (stream, index within stream), so a trace equal to ``draw``'s arrivals gives
the same run, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from simcare._jit import cached_njit
from simcare.errors import ModelError
from simcare.model.compiled import CompiledModel
from simcare.sampling import seeds
from simcare.sampling.arrivals import nhpp_times
from simcare.sampling.keys import patient_key


@dataclass(frozen=True, eq=False)
class RunDraws:
    """Random inputs of one replication; arrays of length N (patients), in patient-id order.

    arrival_time: float64 (N,) minutes, non-decreasing; arrival_stream: int32 (N,);
    arrival_index: int64 (N,), index of the patient within its stream; arrival_group: int32 (N,);
    arrival_service: int32 (N,); patient_key: uint64 (N,); purpose_keys: uint64 (N_PURPOSES,).
    """

    seed: int
    replication: int
    arrival_time: np.ndarray
    arrival_stream: np.ndarray
    arrival_index: np.ndarray
    arrival_group: np.ndarray
    arrival_service: np.ndarray
    patient_key: np.ndarray
    purpose_keys: np.ndarray

    @property
    def n_patients(self) -> int:
        return int(self.arrival_time.shape[0])


def draw(model: CompiledModel, seed: int, replication: int = 0) -> RunDraws:
    """Draw the random inputs of replication ``replication`` of ``model`` from master ``seed``.

    Patient ids are the ranks of arrivals sorted by (time, stream index, index within stream).
    """
    times = []
    for k in range(model.n_streams):
        key = int(model.stream_keys[k])
        if model.stream_count[k] >= 0:  # a census: a fixed number of patients at one time
            t = np.full(int(model.stream_count[k]), float(model.stream_at[k]))
        else:
            t = nhpp_times(
                model.stream_rate[k],
                model.horizon,
                seeds.generator(seed, replication, seeds.KIND_ARRIVAL_TIMES, key),
            )
        times.append(t)
    return _assemble(model, seed, replication, times, [None] * model.n_streams)


def draws_from_arrivals(
    model: CompiledModel,
    arrivals: Mapping[str | int, ArrayLike],
    seed: int = 0,
    replication: int = 0,
    *,
    groups: Mapping[str | int, ArrayLike] | None = None,
) -> RunDraws:
    """Random inputs of one replication whose arrival times are given, not drawn.

    ``arrivals`` maps an arrival stream of ``model`` (its name or index; census streams too)
    to its arrival times: float minutes from the start of the run, non-decreasing, finite and
    in [0, model.horizon). Patients enter the stream's service. The given times replace the
    model's arrival process: streams not in ``arrivals`` bring nobody (declare a stream with
    ``rate_per_hour=0`` as the entry point of a trace). ``groups`` optionally maps a stream to
    its patients' groups (names or indices, one per arrival); otherwise groups are drawn from
    the stream's group probabilities exactly as :func:`draw` draws them. Service times, routes
    and patience are keyed by (stream, index within stream) exactly as in :func:`draw`, from
    master ``seed`` and ``replication``: a trace equal to ``draw``'s arrival times gives the
    same run, and two traces differing in one patient leave the others' draws unchanged.

    Raises ModelError naming the stream whose times or groups are wrong."""
    index_of = {name: k for k, name in enumerate(model.stream_names)}

    def stream_index(where: str, stream: str | int) -> int:
        if isinstance(stream, str):
            if stream not in index_of:
                raise ModelError(
                    where, f"unknown arrival stream {stream!r}; known: {list(model.stream_names)}"
                )
            return index_of[stream]
        if (
            isinstance(stream, (int, np.integer))
            and not isinstance(stream, bool)
            and 0 <= int(stream) < model.n_streams
        ):
            return int(stream)
        raise ModelError(
            where,
            f"must name an arrival stream or give its index (0...{model.n_streams - 1}), got {stream!r}",
        )

    times: list[np.ndarray] = [np.zeros(0) for _ in range(model.n_streams)]
    given_groups: list[np.ndarray | None] = [None] * model.n_streams
    for stream, values in arrivals.items():
        k = stream_index("arrivals", stream)
        where = f"arrivals.{model.stream_names[k]}"
        t = np.asarray(values, dtype=np.float64)
        if t.ndim != 1:
            raise ModelError(where, f"needs a 1-d sequence of times in minutes, got shape {t.shape}")
        if not np.isfinite(t).all():
            raise ModelError(where, "arrival times must be finite")
        if t.size and (t[0] < 0 or t[-1] >= model.horizon):
            raise ModelError(
                where,
                f"arrival times must be in [0, {model.horizon:g}) minutes "
                f"(the horizon), got {t.min():g} to {t.max():g}",
            )
        if (np.diff(t) < 0).any():
            raise ModelError(where, "arrival times must be sorted (non-decreasing)")
        times[k] = t
    for stream, values in (groups or {}).items():
        k = stream_index("groups", stream)
        where = f"groups.{model.stream_names[k]}"
        g = np.asarray(values)
        if g.shape != times[k].shape:
            raise ModelError(where, f"needs one group per arrival ({times[k].shape[0]}), got shape {g.shape}")
        if g.dtype.kind in "iu":
            if g.size and (g.min() < 0 or g.max() >= model.n_groups):
                raise ModelError(where, f"group indices must be in 0...{model.n_groups - 1}")
            given_groups[k] = g.astype(np.int32)
        else:
            gidx = {name: i for i, name in enumerate(model.group_names)}
            unknown = sorted({str(x) for x in g.tolist()} - set(gidx))
            if unknown:
                raise ModelError(where, f"unknown groups {unknown}; known: {list(model.group_names)}")
            given_groups[k] = np.array([gidx[str(x)] for x in g.tolist()], dtype=np.int32)
    return _assemble(model, seed, replication, times, given_groups)


def _assemble(
    model: CompiledModel,
    seed: int,
    replication: int,
    times: list[np.ndarray],
    given_groups: list[np.ndarray | None],
) -> RunDraws:
    """RunDraws from arrival times per stream (float64 (n_k,) minutes, sorted) and, per stream,
    the arrivals' groups (int32 (n_k,)) or None to draw them from the stream's probabilities."""
    groups = []
    for k, t in enumerate(times):
        g = given_groups[k]
        groups.append(_drawn_groups(model, seed, replication, k, t.shape[0]) if g is None else g)
    if times:
        time = np.concatenate(times)
        group = np.concatenate(groups).astype(np.int32, copy=False)
    else:
        time = np.zeros(0)
        group = np.zeros(0, dtype=np.int32)
    starts = np.zeros(len(times) + 1, dtype=np.int64)
    starts[1:] = np.cumsum(np.array([t.shape[0] for t in times], dtype=np.int64))
    # Sorted by (time, stream, index): the streams are concatenated in stream order, each in
    # index order, so a stable sort on time alone gives np.lexsort((index, stream, time)) at
    # two thirds of its cost (issue 15). Times already in order (one stream) need no sort: the
    # stable sort of a non-decreasing array is the identity; otherwise a tiled bucket sort
    # gives numpy's stable order in 40 % of its time (numpy's sort remains for non-finite
    # times). A numba merge of the sorted streams (binary heap, tournament tree) and an
    # untiled bucket sort were no faster than numpy. One numba pass then gathers every array,
    # a quarter of the time of numpy's gathers and the keys' own pass (issue 15).
    n = time.shape[0]
    if _non_decreasing_nb(time):
        order = np.arange(n)
    else:
        order = np.empty(n, dtype=np.int64)
        if not _time_order_nb(time, starts, order):
            order = np.argsort(time, kind="stable")
    arrival_time = np.empty(n)
    stream = np.empty(n, dtype=np.int32)
    index = np.empty(n, dtype=np.int64)
    arrival_group = np.empty(n, dtype=np.int32)
    service = np.empty(n, dtype=np.int32)
    key = np.empty(n, dtype=np.uint64)
    _gather_nb(
        order,
        time,
        group,
        starts,
        np.ascontiguousarray(model.stream_service, dtype=np.int32),
        np.ascontiguousarray(model.stream_keys, dtype=np.uint64),
        arrival_time,
        stream,
        index,
        arrival_group,
        service,
        key,
    )
    return RunDraws(
        seed=seed,
        replication=replication,
        arrival_time=arrival_time,
        arrival_stream=stream,
        arrival_index=index,
        arrival_group=arrival_group,
        arrival_service=service,
        patient_key=key,
        purpose_keys=seeds.purpose_keys(seed, replication),
    )


def _drawn_groups(model: CompiledModel, seed: int, replication: int, k: int, n: int) -> np.ndarray:
    """Groups (int32 (n,)) of stream ``k``'s n arrivals drawn from its cumulative group
    probabilities: the number of entries of ``stream_group_cum[k]`` at or below a uniform in
    [0, 1) (``np.searchsorted(cum, u, side="right")``), at most the last group."""
    cum = np.ascontiguousarray(model.stream_group_cum[k], dtype=np.float64)
    cap = model.n_groups - 1
    ordered = bool(np.all(cum[1:] >= cum[:-1]))  # also False if NaN: searchsorted's own order
    if ordered and not ((cum > 0) & (cum < 1)).any():
        # Every u in [0, 1) lies above the same entries: the group is fixed and the stream's group
        # generator, used for nothing else, need not be made (issue 15).
        return np.full(n, min(int(np.count_nonzero(cum <= 0)), cap), dtype=np.int32)
    key = int(model.stream_keys[k])
    u = seeds.generator(seed, replication, seeds.KIND_ARRIVAL_GROUPS, key).random(n)
    if not ordered:
        return np.minimum(np.searchsorted(cum, u, side="right"), cap).astype(np.int32)
    out = np.empty(n, dtype=np.int32)
    _groups_nb(cum, u, cap, out)
    return out


@cached_njit()
def _groups_nb(cum: np.ndarray, u: np.ndarray, cap: int, out: np.ndarray) -> None:
    """out[i] = min(number of entries of ``cum`` (float64 (G,), non-decreasing, no NaN) <= u[i],
    cap) for uniforms u (float64 (n,)); out int32 (n,). A binary search per uniform, as
    ``np.searchsorted(side="right")`` without its temporaries (issue 15)."""
    G = cum.shape[0]
    for i in range(u.shape[0]):
        x = u[i]
        lo = 0
        hi = G
        while lo < hi:
            mid = (lo + hi) >> 1
            if cum[mid] <= x:
                lo = mid + 1
            else:
                hi = mid
        out[i] = min(lo, cap)


@cached_njit()
def _non_decreasing_nb(time: np.ndarray) -> bool:
    """Whether float64 (n,) ``time`` never decreases (False if it holds a NaN)."""
    for i in range(1, time.shape[0]):
        if not time[i] >= time[i - 1]:
            return False
    return time.shape[0] == 0 or time[0] == time[0]


_TILE = 1024  # buckets per tile: a tile's counts and items stay in the cache


@cached_njit()
def _bucket(t: float, lo: float, scale: float, n: int) -> int:
    """Bucket of time ``t`` (minutes) among n buckets from ``lo``, ``scale`` buckets a minute:
    floor((t - lo) * scale), at most n - 1; monotone in t (see :func:`_time_order_nb`)."""
    b = int(np.int64((t - lo) * scale))
    return b if b < n - 1 else n - 1


@cached_njit()
def _time_order_nb(time: np.ndarray, starts: np.ndarray, order: np.ndarray) -> bool:
    """Fill ``order`` (int64 (n,)) with ``np.argsort(time, kind="stable")`` for float64 (n,)
    times made of K runs each sorted (stream k at rows starts[k]:starts[k+1], starts int64
    (K+1,)); returns False, order unspecified, if a time is not finite or a run decreases.

    A bucket sort: n buckets over [min, max] keyed by floor((t - min) * n / (max - min)),
    monotone in t, so ordering buckets and then times within a bucket is ordering times. The
    buckets are taken a tile at a time, and within a tile each run from where it stopped, so
    counts and writes stay in the cache; the runs enter each bucket in stream order and a
    stable insertion sort (merge sort for a crowded bucket) orders it by time, so equal times
    keep the order of the concatenated runs. About half of numpy's timsort on BNSSG's 53
    streams (issue 15)."""
    n = time.shape[0]
    K = starts.shape[0] - 1
    if n == 0:
        return True
    lo = time[0]
    hi = time[0]
    for k in range(K):
        for i in range(starts[k], starts[k + 1]):
            t = time[i]
            if not (t < np.inf and t > -np.inf):
                return False
            if i > starts[k] and t < time[i - 1]:
                return False
            lo = min(lo, t)
            hi = max(hi, t)
    if not hi > lo:
        for i in range(n):
            order[i] = i
        return True
    scale = n / (hi - lo)
    pos = starts[:K].copy()
    count = np.zeros(_TILE + 1, dtype=np.int64)
    fill = np.zeros(_TILE, dtype=np.int64)
    done = 0
    for tile in range(0, n, _TILE):
        top = min(tile + _TILE, n)
        count[:] = 0
        for k in range(K):
            end = starts[k + 1]
            i = pos[k]
            while i < end:
                b = _bucket(time[i], lo, scale, n)
                if b >= top:
                    break
                count[b - tile + 1] += 1
                i += 1
        for j in range(_TILE):
            count[j + 1] += count[j]
            fill[j] = count[j]
        for k in range(K):
            end = starts[k + 1]
            i = pos[k]
            while i < end:
                b = _bucket(time[i], lo, scale, n)
                if b >= top:
                    break
                order[done + fill[b - tile]] = i
                fill[b - tile] += 1
                i += 1
            pos[k] = i
        for j in range(top - tile):
            s = done + count[j]
            e = done + count[j + 1]
            if e - s > 32:
                part = order[s:e].copy()
                sub = np.argsort(time[part], kind="mergesort")
                for a in range(e - s):
                    order[s + a] = part[sub[a]]
                continue
            for a in range(s + 1, e):
                x = order[a]
                tx = time[x]
                c = a - 1
                while c >= s and time[order[c]] > tx:  # strict: equal times keep their order
                    order[c + 1] = order[c]
                    c -= 1
                order[c + 1] = x
        done += count[_TILE]
    return True


@cached_njit()
def _gather_nb(
    order: np.ndarray,
    time: np.ndarray,
    group: np.ndarray,
    starts: np.ndarray,
    stream_service: np.ndarray,
    stream_keys: np.ndarray,
    out_time: np.ndarray,
    out_stream: np.ndarray,
    out_index: np.ndarray,
    out_group: np.ndarray,
    out_service: np.ndarray,
    out_key: np.ndarray,
) -> None:
    """Fill the out arrays (n,) in patient-id order: out[i] describes row ``order[i]`` (int64
    (n,)) of the streams concatenated in stream order, stream k at rows starts[k]:starts[k+1]
    (starts int64 (K+1,)); time float64 (n,) minutes and group int32 (n,) by row,
    stream_service int32 (K,), stream_keys uint64 (K,). Outputs: time, stream, index within the
    stream, group, service and patient key."""
    n = time.shape[0]
    stream_of = np.empty(n, dtype=np.int32)
    for k in range(starts.shape[0] - 1):
        for row in range(starts[k], starts[k + 1]):
            stream_of[row] = k
    for i in range(n):
        row = order[i]
        k = stream_of[row]
        index = row - starts[k]
        out_time[i] = time[row]
        out_stream[i] = k
        out_index[i] = index
        out_group[i] = group[row]
        out_service[i] = stream_service[k]
        out_key[i] = patient_key(stream_keys[k], index)
