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

from simcare.errors import ModelError
from simcare.model.compiled import CompiledModel
from simcare.sampling import seeds
from simcare.sampling.arrivals import nhpp_times
from simcare.sampling.keys import patient_keys


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
    streams, indices, groups = [], [], []
    for k, t in enumerate(times):
        g = given_groups[k]
        if g is None:
            key = int(model.stream_keys[k])
            u = seeds.generator(seed, replication, seeds.KIND_ARRIVAL_GROUPS, key).random(t.shape[0])
            g = np.minimum(
                np.searchsorted(model.stream_group_cum[k], u, side="right"), model.n_groups - 1
            ).astype(np.int32)
        streams.append(np.full(t.shape[0], k, dtype=np.int32))
        indices.append(np.arange(t.shape[0], dtype=np.int64))
        groups.append(g)
    if times:
        time = np.concatenate(times)
        stream = np.concatenate(streams)
        index = np.concatenate(indices)
        group = np.concatenate(groups)
    else:
        time = np.zeros(0)
        stream = np.zeros(0, dtype=np.int32)
        index = np.zeros(0, dtype=np.int64)
        group = np.zeros(0, dtype=np.int32)
    # Sorted by (time, stream, index): the streams are concatenated in stream order, each in
    # index order, so a stable sort on time alone gives np.lexsort((index, stream, time)) at
    # two thirds of its cost (issue 15).
    order = np.argsort(time, kind="stable")
    time, stream, index, group = time[order], stream[order], index[order], group[order]
    return RunDraws(
        seed=seed,
        replication=replication,
        arrival_time=time,
        arrival_stream=stream,
        arrival_index=index,
        arrival_group=group,
        arrival_service=model.stream_service[stream].astype(np.int32),
        patient_key=patient_keys(model.stream_keys[stream], index),
        purpose_keys=seeds.purpose_keys(seed, replication),
    )
