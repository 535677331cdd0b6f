"""Per-replication random draws: arrivals drawn up front, keys for everything else.

``draw(model, seed, replication)`` is the only place randomness enters a run. Arrival times and
groups are drawn vectorised from one Generator per (kind, stream); service times, routes and
patience are drawn inside the engines from counter-based keys (see simcare.sampling.keys), so both
engines see the same numbers without sharing state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    times, streams, indices, groups = [], [], [], []
    for k in range(model.n_streams):
        key = int(model.stream_keys[k])
        if model.stream_count[k] >= 0:  # a census: a fixed number of patients at one time
            t = np.full(int(model.stream_count[k]), float(model.stream_at[k]))
        else:
            t = nhpp_times(model.stream_rate[k], model.horizon,
                           seeds.generator(seed, replication, seeds.KIND_ARRIVAL_TIMES, key))
        u = seeds.generator(seed, replication, seeds.KIND_ARRIVAL_GROUPS, key).random(t.shape[0])
        g = np.searchsorted(model.stream_group_cum[k], u, side="right")
        times.append(t)
        streams.append(np.full(t.shape[0], k, dtype=np.int32))
        indices.append(np.arange(t.shape[0], dtype=np.int64))
        groups.append(np.minimum(g, model.n_groups - 1).astype(np.int32))
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
    order = np.lexsort((index, stream, time))
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
