"""The web app for urgent and emergency care leads (Streamlit): ``simcare app``.

:func:`command` is the ``streamlit run`` command line of the app script (:mod:`simcare.app.page`),
bound to 127.0.0.1 by default; :func:`launch` runs it until it is stopped (Ctrl-C). The page's
work is in :mod:`simcare.app.core` (systems, levers, variants, background runs) and
:mod:`simcare.app.sysmap` (the system map). Walk-through: docs/app.md.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

from simcare._process import ask_kernel_to_kill_on_parent_death
from simcare.errors import SimcareError

__all__ = ["PAGE", "command", "launch"]

PAGE = Path(__file__).with_name("page.py")
DEFAULT_PORT = 8501


def command(host: str = "127.0.0.1", port: int = DEFAULT_PORT, browser: bool = True) -> list[str]:
    """The command that serves the app on ``host``:``port`` (``browser``: open a web browser)."""
    if not 0 < port < 65536:
        raise SimcareError(f"--port must be between 1 and 65535, got {port}")
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PAGE),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "false" if browser else "true",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
    ]


def launch(host: str = "127.0.0.1", port: int = DEFAULT_PORT, browser: bool = True) -> int:
    """Serve the app until it is stopped (Ctrl-C, SIGTERM, SIGHUP: exit status 0); returns the
    server's exit status if it ends by itself. The server never outlives this process."""
    try:
        import streamlit  # noqa: F401
    except ImportError:
        raise SimcareError(
            "the app needs Streamlit: pip install -e '.[app]' (or make app, which installs it)"
        ) from None
    print(f"simcare app: http://{host}:{port} (Ctrl-C stops it)", file=sys.stderr)
    # The server is a child process: it must not outlive `simcare app` (an orphan keeps the
    # port and the CPU). SIGTERM/SIGHUP are passed on to it; a kill -9 of this process is
    # answered by the kernel (Linux) through the death signal the child asks for.
    posix = os.name == "posix"
    server = subprocess.Popen(
        command(host, port, browser), preexec_fn=ask_kernel_to_kill_on_parent_death if posix else None
    )

    stopped = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopped
        stopped = True
        server.terminate()

    passed_on = [signal.SIGTERM] + ([signal.SIGHUP] if posix else [])
    previous = {s: signal.signal(s, stop) for s in passed_on}
    try:
        while True:
            try:
                status = server.wait()
                return 0 if stopped else status  # stopped as asked: not a failure
            except KeyboardInterrupt:
                stopped = True
                server.terminate()  # Ctrl-C reached the whole group; make sure the server goes
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if server.poll() is None:
            server.kill()
            server.wait()
