"""The numba decorators used by every compiled function of simcare.

All compile into numba's on-disk cache (``cache=True``) where numba finds a writable place:
``NUMBA_CACHE_DIR`` if set, else the ``__pycache__`` folder beside each module, else the user's
cache folder (``~/.cache/numba``). Where none is writable (a read-only install without a
writable home), numba refuses ``cache=True`` at import; :func:`cached_njit` then compiles
without a cache, in every process, instead of failing (see README, "numba's cache").

``kernel_jit`` compiles with numba's reference counting switched off (``_nrt=False``). Kernel
functions never allocate; they only read and write arrays that the Python front door allocated
and keeps alive for the whole call. With reference counting on, every call between kernel
functions increments and decrements the count of each array it passes (atomic operations): on
the reference network that was most of the run time (0.65 M events/s with it, 3.2 M without).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit


def cached_njit(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit(cache=True, **options)``, or without the cache where numba has nowhere to
    write it (it raises "no locator available" then)."""
    cached = njit(cache=True, **options)
    uncached = njit(**options)

    def decorate(func: Callable[..., Any]) -> Any:
        try:
            return cached(func)
        except RuntimeError as exc:
            if "no locator available" not in str(exc):
                raise
            return uncached(func)

    return decorate


_NO_NRT: dict[str, Any] = {"_nrt": False}  # _nrt is not in numba's type stubs
kernel_jit = cached_njit(**_NO_NRT)

# For the kernel's event handlers that take the engine's state tuples, each called from one or
# two sites: numba inlines them into their caller. A call would pass every array of those tuples
# as separate arguments (hundreds of words), which cost more than the work itself (3.4 M
# events/s called, >6 M inlined). Do not use it for helpers called from many sites: numba
# re-runs its untyped pipeline on the callee at every site and types the inflated caller, which
# made the first compile last 80-100 s (issue 15). Those helpers take the few arrays they use and
# are ``kernel_jit_leaf`` functions (below), compiled once and inlined by LLVM.
kernel_jit_inline = cached_njit(**_NO_NRT, inline="always")

# For small hot helpers called from many sites with a few arrays: compiled once by numba, then
# inlined by LLVM at each call site (LLVM's alwaysinline; numba's ``forceinline`` option). Cheap
# to compile, and as fast as numba's own inlining (a plain call costs ~30% of the kernel time).
kernel_jit_leaf = cached_njit(**_NO_NRT, forceinline=True)
