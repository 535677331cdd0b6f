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

# For the kernel's event handlers that take the engine's state tuples, each called from one or
# two sites: numba inlines them into their caller. A call would pass every array of those tuples
# as separate arguments (hundreds of words), which cost more than the work itself (3.4 M
# events/s called, >6 M inlined). Do not use it for helpers called from many sites: numba
# re-runs its untyped pipeline on the callee at every site and types the inflated caller, which
# made the first compile last 80-100 s (issue 15). Those helpers take the few arrays they use and
# are plain ``kernel_jit`` functions, compiled once; LLVM inlines them where that pays.
kernel_jit_inline = njit(**_NO_NRT, inline="always")

# For small hot helpers called from many sites with a few arrays: compiled once by numba, then
# inlined by LLVM at each call site (LLVM's alwaysinline; numba's ``forceinline`` option). Cheap
# to compile, and as fast as numba's own inlining (a plain call costs ~30% of the kernel time).
kernel_jit_leaf = njit(**_NO_NRT, forceinline=True)
