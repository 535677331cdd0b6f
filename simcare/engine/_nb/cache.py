"""Keep numba's on-disk cache of the kernel consistent with the sources compiled into it.

numba (``cache=True``) keys a cached function on the modification time and size of the one
file that defines it. The kernel's functions (``simulate_nb``, the helpers it calls and those
of the heap and the samplers, each cached on its own) inline or call code and read constants
from other modules: the event heap, the samplers and draw keys, the enums (event kinds, status
codes, ``MAX_HOPS``) and ``INF_CAPACITY``. An edit to one of those alone (or a branch switch
that changes only them) leaves the cached machine code of the old version in place, and a run
then executes a kernel that disagrees with the Python front door and the SimPy twin, in every
process, until kernel.py itself changes. :func:`drop_stale_kernel_cache` records a digest of
all those sources next to the cache and flushes the kernel's cached entries when it differs,
so numba compiles afresh.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import ModuleType

from numba.core.caching import FunctionCache
from numba.core.dispatcher import Dispatcher

from simcare import _jit
from simcare.engine._nb import heap, kernel
from simcare.model import compiled, enums
from simcare.sampling import arrivals, distributions, draws, keys, seeds

# Every module whose source ends up in the kernel's machine code (inlined, called or read as a
# global constant). Add a module here when the kernel starts using code from it. arrivals and
# seeds: draws, which the kernel module refers to, has numba passes of its own (issue 15; one
# calls keys.patient_key) and refers to them.
KERNEL_SOURCES: tuple[ModuleType, ...] = (
    kernel,
    heap,
    distributions,
    keys,
    draws,
    arrivals,
    seeds,
    enums,
    compiled,
    _jit,
)


def _cache_of(f: Dispatcher) -> object:
    return getattr(f, "_cache", None)  # numba's cache of f (not in numba's type stubs)


def cached_kernel_functions() -> list[Dispatcher]:
    """The numba functions of KERNEL_SOURCES that numba compiles and caches on their own (entry
    points and called helpers; ``inline="always"`` helpers have no cache entry of their own)."""
    found = []
    for module in KERNEL_SOURCES:
        for value in vars(module).values():
            if (
                isinstance(value, Dispatcher)
                and value.py_func.__module__ == module.__name__
                and isinstance(_cache_of(value), FunctionCache)  # cache=True and a writable place
                and value.targetoptions.get("inline", "never") != "always"
            ):
                found.append(value)
    return found


STAMP_NAME = "kernel-sources.sha256"


def kernel_sources_digest() -> str:
    """SHA-256 (hex) of the source files of KERNEL_SOURCES, in that order."""
    h = hashlib.sha256()
    for module in KERNEL_SOURCES:
        assert module.__file__ is not None
        h.update(Path(module.__file__).read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def drop_stale_kernel_cache() -> bool:
    """Flush the kernel's cached entries if the sources compiled into them changed since the
    cache was written (the digest in ``STAMP_NAME`` beside the cache files); returns True if
    it flushed. Call before the kernel's first call in a process: numba reads its cache then.
    Without a cache directory (caching disabled or not writable) it does nothing."""
    caches = [c for c in map(_cache_of, cached_kernel_functions()) if isinstance(c, FunctionCache)]
    if not caches:
        return False
    # one stamp per cache directory (the kernel's modules live in two packages)
    stamps = sorted({Path(c.cache_path) / STAMP_NAME for c in caches})
    digest = kernel_sources_digest()
    try:
        if all(stamp.exists() and stamp.read_text() == digest for stamp in stamps):
            return False
        for c in caches:
            c.flush()
        for stamp in stamps:
            tmp = stamp.with_name(f"{STAMP_NAME}.{digest[:12]}.tmp")
            tmp.write_text(digest)
            tmp.replace(stamp)  # atomic: concurrent processes write the same digest
    except OSError:  # read-only cache directory: numba then cannot write the cache either
        return False
    return True


# Measured cold first call on the 2-core development machine under load (issue 15); printed in
# the one-line notice below so that a user knows the wait is a one-off.
COMPILE_SECONDS = 15


def compile_notice() -> str | None:
    """The line to print before the kernel's first call in a process if numba will compile it
    (nothing usable in its cache), else None. Call after :func:`drop_stale_kernel_cache`."""
    if kernel.simulate_nb.signatures:  # already compiled or loaded in this process
        return None
    c = _cache_of(kernel.simulate_nb)
    if not isinstance(c, FunctionCache):
        return (
            f"simcare: compiling the engine (about {COMPILE_SECONDS} s); numba has no writable cache "
            "folder, so every new process compiles again (set NUMBA_CACHE_DIR to a writable folder)"
        )
    try:
        cached = bool(c._cache_file._load_index())  # numba's own check: current sources, same numba
    except Exception:  # an unreadable index: numba recompiles too
        cached = False
    if cached:
        return None
    return (
        f"simcare: compiling the engine once (about {COMPILE_SECONDS} s); later runs load it from "
        f"the cache ({c.cache_path})"
    )
