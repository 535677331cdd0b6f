"""The seed tree: one master seed, one ``numpy.random.SeedSequence`` child per named stream.

Replication ``r`` of every scenario uses the same streams (common random numbers): a stream's
seed depends only on (master seed, replication, stream path), never on the order in which
streams are created or on which other streams exist. Stream paths are small integers for the
kind of variation plus, where there are many of a kind, the stable 64-bit key of a name.
"""

from __future__ import annotations

import numpy as np

from simcare.model.enums import N_PURPOSES

KIND_ARRIVAL_TIMES = 0  # one stream per arrival stream (path: kind, stream name key)
KIND_ARRIVAL_GROUPS = 1  # one stream per arrival stream: patient group of each arrival
KIND_PURPOSE = 2  # one key per purpose of the keyed draws (service times, routing, patience …)


def seed_sequence(master_seed: int, replication: int, *path: int) -> np.random.SeedSequence:
    """The SeedSequence of one named stream of one replication."""
    if master_seed < 0 or replication < 0:
        raise ValueError("master seed and replication must be non-negative integers")
    return np.random.SeedSequence(master_seed, spawn_key=(replication, *path))


def generator(master_seed: int, replication: int, *path: int) -> np.random.Generator:
    """A numpy Generator (PCG64DXSM) for one named stream of one replication."""
    return np.random.Generator(np.random.PCG64DXSM(seed_sequence(master_seed, replication, *path)))


def purpose_keys(master_seed: int, replication: int) -> np.ndarray:
    """uint64[N_PURPOSES]: the per-replication key of each purpose of keyed draws."""
    keys = np.empty(N_PURPOSES, dtype=np.uint64)
    for purpose in range(N_PURPOSES):
        keys[purpose] = seed_sequence(master_seed, replication, KIND_PURPOSE, purpose).generate_state(
            1, np.uint64
        )[0]
    return keys
