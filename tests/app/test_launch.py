"""`simcare app` never leaves its Streamlit server running after it is stopped or killed.

Found when a test's SIGTERM to `simcare app` left the server (a child process) serving for the
rest of the CI run. Each test starts the app on a free port, waits until it answers, stops the
`simcare app` process and checks that the server process is gone within 20 s.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("streamlit")
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _started_app(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "simcare", "app", "--port", str(port), "--no-browser"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the app did not start")
        time.sleep(0.5)
    servers = _children(proc.pid)
    assert len(servers) == 1, servers
    return proc, servers[0]


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_server_ends_with_simcare_app(tmp_path: Path, how: str) -> None:
    proc, server = _started_app(tmp_path)
    try:
        os.kill(proc.pid, getattr(signal, how))
        status = proc.wait(timeout=30)
        assert _gone_within(server, 20), f"the Streamlit server {server} outlived simcare app ({how})"
        if how == "SIGTERM":
            assert status == 0  # stopped as asked: not a failure
    finally:
        for pid in (server, proc.pid):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
