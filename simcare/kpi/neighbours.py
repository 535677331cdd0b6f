"""Each visit's previous and next visit of the same patient, in one pass over the visit table."""

from __future__ import annotations

import numpy as np

from simcare._jit import cached_njit


@cached_njit()
def neighbours_nb(patient: np.ndarray, prev: np.ndarray, nxt: np.ndarray, last: np.ndarray) -> None:
    """Fill prev (n,) and nxt (n,) with the previous / next row of the same patient, or -1;
    every entry of both is written, so they need no filling first (issue 15). ``last``
    (n_patients,) must hold -1 on entry (the last row seen of each patient)."""
    for i in range(patient.shape[0]):
        p = patient[i]
        j = last[p]
        prev[i] = j
        nxt[i] = -1  # until the patient's next row, if any, overwrites it
        if j >= 0:
            nxt[j] = i
        last[p] = i


def neighbours(patient: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(prev, next) row of the same patient for each visit row (-1 if none); rows of one patient
    are in the order they were created. patient: (n,) int64, non-negative ids."""
    n = patient.shape[0]
    prev = np.empty(n, dtype=np.int64)
    nxt = np.empty(n, dtype=np.int64)
    if n:
        if patient.min() < 0:
            raise ValueError("patient ids must be non-negative")
        neighbours_nb(patient, prev, nxt, np.full(int(patient.max()) + 1, -1, dtype=np.int64))
    return prev, nxt
