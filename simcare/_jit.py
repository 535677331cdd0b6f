"""The numba decorator used by every kernel function.

``kernel_jit`` compiles with numba's reference counting switched off (``_nrt=False``). Kernel
functions never allocate; they only read and write arrays that the Python front door allocated
and keeps alive for the whole call. With reference counting on, every call between kernel
functions increments and decrements the count of each array it passes (atomic operations): on
the reference network that was most of the run time (0.65 M events/s with it, 3.2 M without).
"""

from __future__ import annotations

from typing import Any

from numba import njit

_NO_NRT: dict[str, Any] = {"cache": True, "_nrt": False}  # _nrt is not in numba's type stubs
kernel_jit = njit(**_NO_NRT)

# For hot kernel helpers that take the engine's state tuples: numba inlines them into their
# caller. A call would pass every array of those tuples as separate arguments (hundreds of
# words), which cost more than the work itself (3.4 M events/s called, >6 M inlined).
kernel_jit_inline = njit(**_NO_NRT, inline="always")
