"""The web app for urgent and emergency care leads (Streamlit): ``simcare app``.

:func:`command` is the ``streamlit run`` command line of the app script (:mod:`simcare.app.page`),
bound to 127.0.0.1 by default; :func:`launch` runs it until it is stopped (Ctrl-C). The page's
work is in :mod:`simcare.app.core` (systems, levers, variants, background runs) and
:mod:`simcare.app.sysmap` (the system map). Walk-through: docs/app.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
    """Serve the app until it is stopped; returns the server's exit status."""
    try:
        import streamlit  # noqa: F401
    except ImportError:
        raise SimcareError(
            "the app needs Streamlit: pip install -e '.[app]' (or make app, which installs it)"
        ) from None
    print(f"simcare app: http://{host}:{port} (Ctrl-C stops it)", file=sys.stderr)
    try:
        return subprocess.call(command(host, port, browser))
    except KeyboardInterrupt:
        return 0
