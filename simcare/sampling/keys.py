"""Counter-based random numbers keyed by (patient, purpose, service, occurrence).

Every random number a patient needs during a run is a pure function of a key, so it does not
depend on what happened to other patients or on the order in which an engine asks for it. Both
engines call these same functions; a scenario that changes what happens to patient j leaves
patient k's draws unchanged (common random numbers at the level of the patient).

The mixing function is SplitMix64's finaliser (Steele, Lea & Flood 2014; the "variant 13"
constants of Stafford), applied in a chain: each input word is added to the running state and
mixed. Uniforms are the top 53 bits plus one half, scaled into the open interval (0, 1), so
``log(u)`` and the inverse normal are always finite.

Calling these from plain Python: numba returns a uint64 result as a Python ``int``, and a
Python ``int`` passed back in is typed as a signed integer, which gives different keys. Wrap
keys in ``numpy.uint64(...)`` before passing them on (the SimPy twin does).
"""

from __future__ import annotations

import hashlib

import numpy as np

from simcare._jit import kernel_jit

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S32 = np.uint64(32)
_ONE = np.uint64(1)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


def name_key(name: str) -> int:
    """Stable 64-bit key of a name (a service or arrival stream), independent of its index."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


@kernel_jit
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64 finaliser: a bijection of uint64 with full avalanche."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@kernel_jit
def patient_key(stream_key: np.uint64, index: np.int64) -> np.uint64:
    """Key of the ``index``-th patient (0-based) of an arrival stream; the same in every run."""
    return mix64(mix64(stream_key) + np.uint64(index) * GOLDEN)


@kernel_jit
def draw_key(
    pkey: np.uint64, purpose_key: np.uint64, service_key: np.uint64, occurrence: np.int64
) -> np.uint64:
    """Key of one random quantity: patient, purpose (seeded per replication), service, and
    the occurrence number of this patient's visit to this service (0 for the first visit)."""
    return mix64(mix64(mix64(pkey ^ purpose_key) ^ service_key) + np.uint64(occurrence) * GOLDEN)


@kernel_jit
def uniform(key: np.uint64, j: np.int64) -> float:
    """The ``j``-th uniform in (0, 1) of a draw key (j = 0 for most draws)."""
    x = mix64(key + (np.uint64(j) + _ONE) * GOLDEN)
    return (float(x >> _S11) + 0.5) * _TO_UNIT
