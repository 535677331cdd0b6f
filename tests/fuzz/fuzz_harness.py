"""Run one fuzz case in a forked child and judge what came back.

A case is a ``simcare`` command line (run in-process through :func:`simcare.cli.main`) or any
callable. It runs in a child process forked from the test process, so that

* a case that eats memory is killed once its resident set passes the limit (2 GiB, the issue's
  bound) instead of taking the machine with it, and its peak resident set is read back from the
  kernel (``wait4``'s ``ru_maxrss``, in KiB on Linux);
* a case that runs too long is killed at its time limit (30 s);
* a crash of the interpreter (a segfault in compiled code) is seen as a signal, not as a lost
  test run.

The child inherits the parent's warm numba kernel and imported modules, so a case costs what
its own work costs. Outcomes:

``ok``        the command returned 0
``refused``   the command returned its documented refusal code with a message (2 for every
              command; ``simcare validate`` returns 1 and prints the problems)
``traceback`` an exception other than SystemExit escaped (the text holds the traceback)
``exit``      any other return code
``killed``    time or memory limit reached, or the child died of a signal
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

MEMORY_LIMIT = 2 * 1024**3  # bytes of resident memory per case (issue 16)
TIME_LIMIT = 30.0  # seconds per case (issue 16)
_POLL = 0.02  # seconds between checks of the child's resident set


@dataclass(frozen=True)
class Outcome:
    kind: str  # ok | refused | traceback | exit | killed
    code: int | None  # return code of the command (None if it did not return)
    stderr: str  # what the command printed, stdout then stderr (the last 4,000 characters)
    seconds: float  # wall time of the case
    peak_bytes: int  # peak resident set of the child process

    def describe(self) -> str:
        return (
            f"{self.kind} (code {self.code}, {self.seconds:.1f} s, "
            f"{self.peak_bytes / 2**20:.0f} MiB): {self.stderr[-2000:]}"
        )


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _child(work: Callable[[], int], pipe_w: int) -> None:
    err = io.StringIO()
    out = io.StringIO()
    kind, code = "ok", None
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = int(work())
    except SystemExit as exc:  # argparse refusing an option
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException:  # noqa: BLE001 - the point is to see what escapes
        kind = "traceback"
        err.write(traceback.format_exc())
    printed = (out.getvalue() + err.getvalue())[-4000:]
    payload = json.dumps({"kind": kind, "code": code, "stderr": printed})
    os.write(pipe_w, payload.encode("utf-8", "replace"))
    os.close(pipe_w)
    os._exit(0)


def run_case(
    work: Callable[[], int],
    *,
    refusal: tuple[int, ...] = (2,),
    seconds: float = TIME_LIMIT,
    memory: int = MEMORY_LIMIT,
) -> Outcome:
    """Run ``work()`` (returns an exit code) in a forked child under the time and memory limits;
    a return code in ``refusal`` with something printed counts as a refusal."""
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        try:
            _child(work, write_fd)
        finally:
            os._exit(1)
    os.close(write_fd)
    os.set_blocking(read_fd, False)
    chunks: list[bytes] = []
    killed = ""
    status = 0
    usage = None
    while True:
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(read_fd, 65536):
                chunks.append(chunk)
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        elapsed = time.perf_counter() - start
        if not killed and elapsed > seconds:
            killed = f"time limit: still running after {seconds:.0f} s"
        elif not killed and _rss_bytes(pid) > memory:
            killed = f"memory limit: resident set over {memory / 2**30:.1f} GiB"
        if killed:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            break
        time.sleep(_POLL)
    with contextlib.suppress(BlockingIOError):
        while chunk := os.read(read_fd, 65536):
            chunks.append(chunk)
    os.close(read_fd)
    seconds_taken = time.perf_counter() - start
    peak = usage.ru_maxrss * 1024 if usage is not None else 0
    if killed or not chunks:
        why = killed or f"child died: wait status {status}"
        return Outcome("killed", None, why, seconds_taken, peak)
    data = json.loads(b"".join(chunks).decode("utf-8", "replace"))
    kind, code, printed = data["kind"], data["code"], data["stderr"]
    if kind == "ok" and code != 0:
        kind = "refused" if code in refusal and printed.strip() else "exit"
    return Outcome(kind, code, printed, seconds_taken, peak)


def run_cli(argv: Sequence[object], *, seconds: float = TIME_LIMIT, memory: int = MEMORY_LIMIT) -> Outcome:
    """Run ``simcare ARGV`` in a forked child (see :func:`run_case`)."""
    from simcare.cli import main

    args = [str(a) for a in argv]
    refusal = (1, 2) if args[:1] == ["validate"] else (2,)
    return run_case(lambda: main(args), refusal=refusal, seconds=seconds, memory=memory)


def assert_handled(outcome: Outcome, what: str) -> None:
    """The issue's rule for every case: a clear simcare error or a valid run, within limits."""
    assert outcome.kind in ("ok", "refused"), f"{what}: {outcome.describe()}"
    if outcome.kind == "refused":
        assert "Traceback" not in outcome.stderr, f"{what}: {outcome.describe()}"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
