"""The numba cache of the kernel is flushed when any source compiled into it changes.

numba keys a cached function on its own file only; simcare.engine._nb.cache adds a digest of
every module the kernel inlines, calls or reads constants from. A cached kernel built from an
older heap, sampler or enums module would otherwise run against the current front door.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from numba.core.dispatcher import Dispatcher

import simcare
import simcare.engine  # noqa: F401
from simcare.engine._nb import cache, kernel


def _defines_numba_code(m: ModuleType) -> bool:
    return any(isinstance(v, Dispatcher) and v.py_func.__module__ == m.__name__ for v in vars(m).values())


def _simcare_modules_used_by(module: ModuleType) -> set[str]:
    """Names of the simcare modules that ``module``'s namespace refers to (modules, functions,
    classes), followed through every module that defines numba functions."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        m = todo.pop()
        for value in vars(m).values():
            if isinstance(value, ModuleType):
                name = value.__name__
            elif isinstance(value, Dispatcher):
                name = value.py_func.__module__
            else:
                name = getattr(value, "__module__", None) or ""
            if name.startswith("simcare") and name in sys.modules and name not in seen:
                seen.add(name)
                if _defines_numba_code(sys.modules[name]):
                    todo.append(sys.modules[name])
    return seen


def test_digest_covers_every_module_the_kernel_uses() -> None:
    covered = {m.__name__ for m in cache.KERNEL_SOURCES}
    used = _simcare_modules_used_by(kernel) - {"simcare.errors"}  # errors: Python side only
    assert used <= covered, sorted(used - covered)


def test_cache_is_left_alone_while_sources_are_unchanged() -> None:
    cache.drop_stale_kernel_cache()  # writes the digest if this cache directory has none yet
    assert cache.drop_stale_kernel_cache() is False


def test_import_without_any_writable_cache_place(tmp_path: Path) -> None:
    # A read-only install with no writable user cache: numba has nowhere to put its cache and
    # refuses cache=True ("no locator available"); simcare must still import (and then compile
    # without a cache) instead of failing at import.
    package = Path(simcare.__file__).parent
    copy = tmp_path / "site" / "simcare"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for folder in [copy, *[p for p in copy.rglob("*") if p.is_dir()]]:
        (folder / "__pycache__").write_text("")  # a file: numba cannot make its cache folder here
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env |= {"PYTHONPATH": str(copy.parent), "HOME": str(blocked), "XDG_CACHE_HOME": str(blocked / "cache")}
    code = (
        "import simcare.engine, simcare.kpi.neighbours; from simcare.engine._nb import cache; "
        f"assert cache.__file__.startswith({str(copy)!r}); print(len(cache.cached_kernel_functions())); "
        "print(cache.compile_notice())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    n_cached, notice = done.stdout.strip().splitlines()
    assert n_cached == "0"  # nothing cached, nothing to flush
    assert "no writable cache folder" in notice and "NUMBA_CACHE_DIR" in notice


def test_compile_notice_only_when_numba_will_compile(tmp_path: Path) -> None:
    from simcare.examples import reference_network

    simcare.run(reference_network(hours=1.0), seed=0)  # compiled or loaded in this process
    assert cache.compile_notice() is None
    # a fresh process with an empty cache folder: numba will compile, and the notice says where
    # the result goes
    env = os.environ | {"NUMBA_CACHE_DIR": str(tmp_path)}
    code = "from simcare.engine._nb import cache; print(cache.compile_notice())"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    notice = done.stdout.strip()
    assert notice.startswith("simcare: compiling the engine once (about ") and str(tmp_path) in notice
