"""An indexed binary min-heap of patient events keyed on (time, key), at most one per patient.

Setting a patient's event replaces its pending one in place (no stale entries), so the heap never
holds more entries than there are patients in the system. Arrays (all of length N, patients):
h_t float64 (event times), h_k int64 (tie key: kind << 40 | id), h_pid int64 (patient),
h_pay int64 (payload: a visit row), pos int64 (heap slot of each patient, -1 if none).
``size`` is a 1-element int64 array holding the number of entries.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from simcare._jit import kernel_jit_inline

Heap = namedtuple("Heap", ["t", "k", "pid", "pay", "pos", "size"])


def new_heap(n_patients: int) -> Heap:
    n = max(n_patients, 1)
    return Heap(np.empty(n), np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64),
                np.full(n, -1, np.int64), np.zeros(1, np.int64))


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
