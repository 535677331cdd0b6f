"""Atomic file writes (a file that exists is complete, and a failed write keeps the old one) and
the project root (which input files simcare agrees to read).

Every output simcare writes (tables, reports, the result store, calibration overlays) goes
through :func:`atomic_write`: the content is written to a temporary file beside the target
and moved onto it with ``os.replace``, which is atomic on POSIX file systems.

Input files (scenarios, what they extend, plan scenarios, calibration paths) are read only under
the :func:`project_root` of the file simcare was handed, or in :func:`shipped_folders`, unless
the caller allows files outside (``--allow-outside``): :func:`outside_root` says why a path is
refused. docs/scenarios.md ("Which files are read") states the rule for users.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def file_mode() -> int:
    """Permissions of a new file under this process's umask (mkstemp makes files 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: str | Path, write: Callable[[Path], object], *, durable: bool = False) -> Path:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then move it onto ``path``.

    ``durable``: fsync the content before the move, so the file survives a machine crash, not
    only a killed process (the batch result store). OSError propagates; the temporary file is
    removed whatever happens."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        if durable:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.chmod(tmp, file_mode())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return target


def atomic_write_text(path: str | Path, text: str, *, durable: bool = False) -> Path:
    """:func:`atomic_write` of UTF-8 text."""
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"), durable=durable)


# --- which files simcare reads: the project root ------------------------------------------------

#: a folder holding one of these is a project root (the ``.simcare-root`` file marks one by hand)
ROOT_MARKERS = (".git", "pyproject.toml", ".simcare-root")
#: the largest scenario, plan or calibration file read (bytes); larger ones are refused unread
MAX_INPUT_BYTES = 10 * 1024 * 1024

_HERE = Path(__file__).resolve().parent.parent


def shipped_folders() -> tuple[Path, ...]:
    """simcare's own shipped files (:mod:`simcare.shipped`: in a source checkout the repository's
    ``scenarios/`` and ``calibration/`` folders, in an installed wheel their copies), and the
    ``tests/`` folder of a source checkout (its test scenarios): always readable, wherever the file
    given lies."""
    from simcare.shipped import root

    return (_HERE / "scenarios", _HERE / "calibration", _HERE / "tests", root())


def project_root(path: str | Path) -> Path:
    """The project root of a file handed to simcare: the nearest folder, from the file's own
    folder upwards, that holds ``.git``, ``pyproject.toml`` or ``.simcare-root``; else the file's
    own folder. Symbolic links are resolved first."""
    folder = Path(path).resolve().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    return folder


def outside_root(path: str | Path, root: Path) -> str | None:
    """Why ``path`` may not be read from a project whose root is ``root`` (None: it may): a file
    is readable when, with symbolic links resolved, it lies under ``root`` or under one of
    :func:`shipped_folders`."""
    real = Path(path).resolve()
    for allowed in (root.resolve(), *shipped_folders()):
        if real.is_relative_to(allowed):
            return None
    return (
        f"outside the project root {root} (simcare reads only files under the root of the file "
        "it was given, see docs/scenarios.md; pass --allow-outside to read it anyway)"
    )
