"""An indexed binary min-heap of patient events keyed on (time, key), at most one per patient.

Setting a patient's event replaces its pending one in place (no stale entries), so the heap never
holds more entries than there are patients in the system. Events are ordered by time, then by
their tie key (kind << KIND_SHIFT | id, see simcare.model.enums and docs/model.md R1).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simcare._jit import kernel_jit_inline


class Heap(NamedTuple):
    """The heap's arrays; all but ``size`` have length N (patients). Slots [0, size) are live."""

    t: np.ndarray  # (N,) float64, minutes: time of the event in each slot
    k: np.ndarray  # (N,) int64, tie key of the event in each slot: kind << KIND_SHIFT | patient
    pid: np.ndarray  # (N,) int64, patient whose event is in each slot
    pay: np.ndarray  # (N,) int64, payload of the event in each slot: a visit row
    pos: np.ndarray  # (N,) int64, slot of each patient's pending event, -1 if none
    size: np.ndarray  # (1,) int64, number of live slots


def new_heap(n_patients: int) -> Heap:
    """An empty heap with room for one pending event per patient (``n_patients`` of them)."""
    n = max(n_patients, 1)
    return Heap(
        t=np.empty(n),
        k=np.empty(n, np.int64),
        pid=np.empty(n, np.int64),
        pay=np.empty(n, np.int64),
        pos=np.full(n, -1, np.int64),
        size=np.zeros(1, np.int64),
    )


@kernel_jit_inline
def _before(t1: float, k1: int, t2: float, k2: int) -> bool:
    return t1 < t2 or (t1 == t2 and k1 < k2)


@kernel_jit_inline
def _place(h: Heap, i: int, t: float, k: int, pid: int, pay: int) -> None:
    h.t[i] = t
    h.k[i] = k
    h.pid[i] = pid
    h.pay[i] = pay
    h.pos[pid] = i


@kernel_jit_inline
def _sift_up(h: Heap, i: int) -> None:
    t, k, pid, pay = h.t[i], h.k[i], h.pid[i], h.pay[i]
    while i > 0:
        parent = (i - 1) >> 1
        if _before(t, k, h.t[parent], h.k[parent]):
            _place(h, i, h.t[parent], h.k[parent], h.pid[parent], h.pay[parent])
            i = parent
        else:
            break
    _place(h, i, t, k, pid, pay)


@kernel_jit_inline
def _sift_down(h: Heap, i: int) -> None:
    n = h.size[0]
    t, k, pid, pay = h.t[i], h.k[i], h.pid[i], h.pay[i]
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        right = child + 1
        if right < n and _before(h.t[right], h.k[right], h.t[child], h.k[child]):
            child = right
        if _before(h.t[child], h.k[child], t, k):
            _place(h, i, h.t[child], h.k[child], h.pid[child], h.pay[child])
            i = child
        else:
            break
    _place(h, i, t, k, pid, pay)


@kernel_jit_inline
def heap_set(h: Heap, pid: int, t: float, k: int, pay: int) -> None:
    """Give patient ``pid`` the pending event (t, k, pay), replacing any it had."""
    i = h.pos[pid]
    if i < 0:
        i = h.size[0]
        h.size[0] = i + 1
        _place(h, i, t, k, pid, pay)
        _sift_up(h, i)
        return
    earlier = _before(t, k, h.t[i], h.k[i])
    _place(h, i, t, k, pid, pay)
    if earlier:
        _sift_up(h, i)
    else:
        _sift_down(h, i)


@kernel_jit_inline
def heap_pop(h: Heap) -> None:
    """Remove the first event (read it from slot 0 before calling)."""
    top = h.pid[0]
    h.pos[top] = -1
    n = h.size[0] - 1
    h.size[0] = n
    if n > 0:
        _place(h, 0, h.t[n], h.k[n], h.pid[n], h.pay[n])
        _sift_down(h, 0)
