"""Atomic file writes: a file that exists is complete, and a failed write keeps the old one.

Every output simcare writes (tables, reports, the result store, calibration overlays) goes
through :func:`atomic_write`: the content is written to a temporary file beside the target
and moved onto it with ``os.replace``, which is atomic on POSIX file systems.
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
