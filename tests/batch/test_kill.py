"""kill -9 part-way through a real `simcare batch` process, then the same command again: the
work finished before the kill is kept (same files, not run again), the rest is done once, and the
store ends up identical to one from an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simcare.batch.plan import load_plan
from simcare.batch.runner import run_batch
from simcare.batch.store import load_store

from .conftest import DATA

ROOT = Path(__file__).resolve().parents[2]


def _command(plan: Path, store: Path) -> list[str]:
    return [sys.executable, "-m", "simcare", "batch", str(plan), "--out", str(store), "--no-progress"]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_resume_after_sigkill(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(
        f"name: killed\nseed: 8\nreplications: 3\nscenarios: [{DATA / 'short.yaml'}]\n"
        "grid:\n  calendar.growth: [0%, 3%, 6%]\n",
        encoding="utf-8",
    )
    store = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        _command(plan_file, store), cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    kpis = store / "kpis"
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if kpis.is_dir() and len(list(kpis.glob("*.parquet"))) >= 2:
                break
            time.sleep(0.005)
        assert proc.poll() is None, f"the batch ended before it could be killed: {proc.stderr.read()!r}"  # type: ignore[union-attr]
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in kpis.glob("*.parquet")}
    assert 2 <= len(before) < 9

    resumed = subprocess.run(
        _command(plan_file, store),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(before)} already in the store" in resumed.stdout, (sorted(before), resumed.stdout)
    assert "9 tasks: 9 done, 0 failed, 0 not run" in resumed.stdout, resumed.stdout
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in kpis.glob("*.parquet")}
    assert len(after) == 9
    assert all(after[name] == stamp for name, stamp in before.items())  # kept, not rewritten

    records = [json.loads(line) for line in (store / "manifest.jsonl").read_text().splitlines()]
    keys = [r["key"] for r in records]
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 9, records  # one record per task
    assert {r["status"] for r in records} == {"ok"}

    reference = tmp_path / "reference"
    run_batch(load_plan(plan_file), reference)
    assert load_store(store).equals(load_store(reference))
    assert {p.name: p.read_bytes() for p in kpis.glob("*.parquet")} == {
        p.name: p.read_bytes() for p in (reference / "kpis").glob("*.parquet")
    }


def _descendants(pid: int) -> dict[int, object]:
    """The processes below ``pid`` (children, grandchildren): pid -> an identity that tells a
    reused pid apart (start time)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is in the dev extra
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found: dict[int, object] = {}
        todo = list(children.get(pid, []))
        while todo:
            child = todo.pop()
            found[child] = _proc_start(child)
            todo += children.get(child, [])
        return found
    return {p.pid: p.create_time() for p in psutil.Process(pid).children(recursive=True)}


def _proc_start(pid: int) -> object:
    """(start time, state) of a process from /proc, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[19], fields[0]


def _alive(pid: int, identity: object) -> bool:
    """Whether the process ``pid`` started at ``identity`` still runs (a zombie does not)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        now = _proc_start(pid)
        return now is not None and now[0] == identity[0] and now[1] != "Z"  # type: ignore[index]
    try:
        p = psutil.Process(pid)
        return p.create_time() == identity and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs SIGKILL and /proc (Linux)")
@pytest.mark.parametrize("backend", [["--workers", "2"], ["--scheduler", "local", "--workers", "2"]])
def test_no_worker_outlives_a_killed_batch(tmp_path: Path, backend: list[str]) -> None:
    """kill -9 of a batch running on 2 worker processes: its workers (and multiprocessing's
    resource tracker, Dask's nannies) exit within seconds instead of running on as orphans."""
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(
        f"name: orphans\nseed: 8\nreplications: 10\nscenarios: [{DATA / 'short.yaml'}]\n"
        "grid:\n  calendar.growth: [0%, 3%, 6%]\n",
        encoding="utf-8",
    )
    store = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [*_command(plan_file, store), *backend],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    kpis = store / "kpis"
    below: dict[int, object] = {}
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if kpis.is_dir() and list(kpis.glob("*.parquet")):  # the workers are running tasks
                break
            time.sleep(0.01)
        below = _descendants(proc.pid)
        assert proc.poll() is None, f"the batch ended before it could be killed: {proc.stderr.read()!r}"  # type: ignore[union-attr]
        assert len(below) >= 2, below  # two workers at least (and a resource tracker or nannies)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p, i) for p, i in below.items()):
            time.sleep(0.05)
        survivors = {p for p, i in below.items() if _alive(p, i)}
        assert not survivors, f"still running after the batch was killed: {survivors}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid, identity in below.items():  # leave nothing behind if the test failed
            if _alive(pid, identity):
                os.kill(pid, signal.SIGKILL)


_POOL_IN_A_THREAD = """
import threading, time
from simcare.batch.backends import ProcessPoolBackend

def main():
    backend = ProcessPoolBackend(2)
    list(backend.map(time.sleep, [1.0] * 4))  # both workers started and past their initializer
    print("ready", flush=True)
    list(backend.map(time.sleep, [60.0] * 4))

threading.Thread(target=main).start()  # not the main thread: the workers get no death signal
time.sleep(60)
"""


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs SIGKILL and /proc (Linux)")
def test_pool_workers_watch_their_parent(tmp_path: Path) -> None:
    """A pool started from another thread relies on its workers' parent watch alone (the death
    signal follows the starting thread): they still exit soon after the parent is killed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _POOL_IN_A_THREAD], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True
    )
    below: dict[int, object] = {}
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(0.5)  # the workers are sleeping in a task
        below = _descendants(proc.pid)
        assert len(below) >= 3, below  # two workers and multiprocessing's resource tracker
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(p, i) for p, i in below.items()):
            time.sleep(0.05)
        assert not {p for p, i in below.items() if _alive(p, i)}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid, identity in below.items():
            if _alive(pid, identity):
                os.kill(pid, signal.SIGKILL)
