"""Child processes that end with their parent: no orphan keeps running after simcare is killed."""

from __future__ import annotations

import contextlib
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def ask_kernel_to_kill_on_parent_death() -> None:
    """Linux: have the kernel send this process SIGKILL as soon as the thread that started it
    dies (``prctl(PR_SET_PDEATHSIG)``), even when the parent is killed with ``kill -9``.
    Elsewhere (or if prctl is unavailable) nothing happens and the caller's other means apply.
    Safe to call between fork and exec (``subprocess.Popen(preexec_fn=...)``)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
