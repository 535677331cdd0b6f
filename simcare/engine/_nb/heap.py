"""An indexed binary min-heap of patient events keyed on (time, key), at most one per patient.

Setting a patient's event replaces its pending one in place (no stale entries), so the heap never
holds more entries than there are patients in the system. Events are ordered by time, then by
their tie key (kind << KIND_SHIFT | id, see simcare.model.enums and docs/model.md R1).

The heap is three arrays (``Heap``): slot times, an int64 matrix with one row per slot field
(H_KEY, H_PID, H_PAY) plus the H_POS row indexed by patient, and the size. The functions take
those arrays, not the tuple: a call then passes a few words and numba types it quickly (see
simcare._jit on compile time).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simcare._jit import kernel_jit_leaf

# rows of Heap.i
H_KEY = 0  # tie key of the event in each slot: kind << KIND_SHIFT | patient
H_PID = 1  # patient whose event is in each slot
H_PAY = 2  # payload of the event in each slot: a visit row
H_POS = 3  # slot of each patient's pending event, -1 if none (indexed by patient)
N_HEAP_ROWS = 4


class Heap(NamedTuple):
    """The heap's arrays; ``t`` and the rows of ``i`` have length N (patients). Slots [0, size)
    are live."""

    t: np.ndarray  # (N,) float64, minutes: time of the event in each slot
    i: np.ndarray  # (N_HEAP_ROWS, N) int64: key, patient and payload per slot; slot per patient
    size: np.ndarray  # (1,) int64, number of live slots


def new_heap(n_patients: int) -> Heap:
    """An empty heap with room for one pending event per patient (``n_patients`` of them)."""
    n = max(n_patients, 1)
    i = np.empty((N_HEAP_ROWS, n), np.int64)
    i[H_POS] = -1
    return Heap(t=np.empty(n), i=i, size=np.zeros(1, np.int64))


@kernel_jit_leaf
def _before(t1: float, k1: int, t2: float, k2: int) -> bool:
    return t1 < t2 or (t1 == t2 and k1 < k2)


# Slot and patient indices are never negative: the functions below index with np.uintp(i),
# so numba skips its negative-index wraparound on every access (the heap is the kernel's
# busiest code; issue 15). Arithmetic stays in int64: numba types uint64 with int64 as float64.


@kernel_jit_leaf
def _place(ht: np.ndarray, hi: np.ndarray, i: int, t: float, k: int, pid: int, pay: int) -> None:
    u = np.uintp(i)
    ht[u] = t
    hi[H_KEY, u] = k
    hi[H_PID, u] = pid
    hi[H_PAY, u] = pay
    hi[H_POS, np.uintp(pid)] = i


@kernel_jit_leaf
def _sift_up(ht: np.ndarray, hi: np.ndarray, i: int) -> None:
    u = np.uintp(i)
    t, k, pid, pay = ht[u], hi[H_KEY, u], hi[H_PID, u], hi[H_PAY, u]
    while i > 0:
        parent = (i - 1) >> 1
        q = np.uintp(parent)
        if _before(t, k, ht[q], hi[H_KEY, q]):
            _place(ht, hi, i, ht[q], hi[H_KEY, q], hi[H_PID, q], hi[H_PAY, q])
            i = parent
        else:
            break
    _place(ht, hi, i, t, k, pid, pay)


@kernel_jit_leaf
def _sift_down(ht: np.ndarray, hi: np.ndarray, n: int, i: int) -> None:
    u = np.uintp(i)
    t, k, pid, pay = ht[u], hi[H_KEY, u], hi[H_PID, u], hi[H_PAY, u]
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        c = np.uintp(child)
        right = child + 1
        if right < n:
            r = np.uintp(right)
            if _before(ht[r], hi[H_KEY, r], ht[c], hi[H_KEY, c]):
                child = right
                c = r
        if _before(ht[c], hi[H_KEY, c], t, k):
            _place(ht, hi, i, ht[c], hi[H_KEY, c], hi[H_PID, c], hi[H_PAY, c])
            i = child
        else:
            break
    _place(ht, hi, i, t, k, pid, pay)


@kernel_jit_leaf
def heap_set(ht: np.ndarray, hi: np.ndarray, hsize: np.ndarray, pid: int, t: float, k: int, pay: int) -> None:
    """Give patient ``pid`` the pending event (t, k, pay), replacing any it had."""
    i = hi[H_POS, np.uintp(pid)]
    if i < 0:
        i = hsize[0]
        hsize[0] = i + 1
        _place(ht, hi, i, t, k, pid, pay)
        _sift_up(ht, hi, i)
        return
    u = np.uintp(i)
    earlier = _before(t, k, ht[u], hi[H_KEY, u])
    _place(ht, hi, i, t, k, pid, pay)
    if earlier:
        _sift_up(ht, hi, i)
    else:
        _sift_down(ht, hi, hsize[0], i)


@kernel_jit_leaf
def heap_pop(ht: np.ndarray, hi: np.ndarray, hsize: np.ndarray) -> None:
    """Remove the first event (read it from slot 0 before calling)."""
    top = hi[H_PID, 0]
    hi[H_POS, top] = -1
    n = hsize[0] - 1
    hsize[0] = n
    if n > 0:
        root = np.int64(0)  # not the literal 0: numba would compile _place and _sift_down again
        _place(ht, hi, root, ht[n], hi[H_KEY, n], hi[H_PID, n], hi[H_PAY, n])
        _sift_down(ht, hi, n, root)
