"""The result store of a batch: a directory that loses nothing when the batch is interrupted
and checks its own files.

::

    STORE/
      plan.json          the expanded plan: digest, name, version, one record per task (atomic)
      plan.yaml          a copy of the plan file as given
      manifest.jsonl     append-only, one JSON line per finished task (fsync after each line)
      kpis/KEY.parquet   the KPI table of each task that succeeded (written to a temporary file,
                         fsync, os.replace: a file that exists is complete)
      visits/KEY.parquet the visit table, when the plan keeps visits
      lock               held (flock) by the simcare batch writing to the store

A manifest record: key, status ("ok", "failed", or the state of a damaged result it supersedes:
"missing", "corrupt", "duplicate"), scenario, scenario_hash, parameters, seed, replication,
engine, version, code (:func:`code_digest` of the code that ran it), worker (host:pid), seconds
(task wall time), finished (UTC ISO time), rows, error (``Type: message`` for a failure, what is
wrong for a damaged result, else null); for an ok result also sha256 and bytes of its KPI file
(and visits_sha256, visits_bytes of its visit table). The last record of a task is its state.

The result files are the truth for what is done, once checked against their records
(:meth:`Store.read` checks every ok result: its file exists, has the recorded size and sha256,
and for a record without a checksum, written before they were kept, the file is readable parquet
with the recorded row count and its provenance columns name this task; ``verify(deep=True)``
also checks visit tables' checksums and the provenance inside every file). A damaged result
(missing, corrupt, or a copy of another task's) is left out of :meth:`Store.kpis` and the status,
refused by :func:`load_store`, and on resume superseded by a record saying what was wrong, its
files moved aside (``KEY.parquet.bad``) and its task run again. On opening to resume
(:meth:`Store.open`): a partial last manifest line (the process was killed while writing it) is
cut off, temporary files are removed, and a sound result file without an ``ok`` record (killed
between the two writes) gets one rebuilt from the file, marked ``recovered``. So a batch killed
at any point (even ``kill -9``) resumes with the same command: finished tasks are kept and not
run again, none is duplicated.

A store belongs to one plan: opening it with a plan whose digest differs is refused, with
what differs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from simcare._version import __version__
from simcare.batch.parameters import parameter_columns
from simcare.batch.task import Task, TaskResult
from simcare.errors import SimcareError
from simcare.files import atomic_write, atomic_write_text
from simcare.kpi.levels import kpi_labels, period_kinds
from simcare.pipeline import KPI_COLUMNS, PROVENANCE_COLUMNS, RUN_COLUMNS

__all__ = ["Store", "StoreError", "StoreStatus", "TaskCheck", "code_digest", "load_runs", "load_store"]

PLAN_FILE = "plan.json"
MANIFEST = "manifest.jsonl"
KPIS = "kpis"
VISITS = "visits"
LOCK = "lock"
FORMAT = 1
BAD = ("missing", "corrupt", "duplicate")  # states of a result that is not what its record says
STATES = ("ok", *BAD, "failed", "not run")
IDENTITY = ("scenario", "replication", "scenario_hash", "seed", "engine")  # names a file's task


class StoreError(SimcareError):
    """A store cannot be used: not a store, made by another plan, or unreadable."""


def _file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, sha256 hex digest) of a file's content."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def _write_parquet(path: Path, frame: pd.DataFrame) -> tuple[int, str]:
    """Write ``frame`` atomically; return the (size, sha256) of the bytes written."""
    digest: list[tuple[int, str]] = []

    def write(tmp: Path) -> None:
        frame.to_parquet(tmp, index=False, engine="pyarrow")
        digest.append(_file_digest(tmp))

    atomic_write(path, write, durable=True)
    return digest[0]


def _short(exc: BaseException, path: Path | None = None) -> str:
    """``Type: first sentence`` of an error, without the file's path (the message names it)."""
    text = (str(exc).strip() or repr(exc)).splitlines()[0]
    if path is not None and str(path) in text:
        text = text.split(str(path), 1)[1].lstrip("'\": ")
    return f"{type(exc).__name__}: {text.split('. ')[0][:200]}"


@functools.cache
def code_digest() -> str:
    """sha256 (first 12 hex digits) of simcare's source files: tells apart results made by
    different code that carries the same version number (a checkout between two runs)."""
    import hashlib

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for file in sorted(root.rglob("*.py")):
        h.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return h.hexdigest()[:12]


_OWN = {KPIS, VISITS, "plan.yaml", LOCK}  # what a store holds before its plan.json is written


def _lock(root: Path) -> int:
    """Take the store's writer lock (one ``simcare batch`` at a time per store), or raise.
    An advisory ``flock``: the system releases it when the holder exits, even by ``kill -9``."""
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StoreError(
            f"{root} is being written by another simcare batch: wait for it to "
            "finish (or stop it) before running this one"
        ) from None
    return fd


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip() or repr(exc)
    return f"{type(exc).__name__}: {text}"


@dataclass(frozen=True)
class TaskCheck:
    """The state of one task's result: ``ok``, ``missing`` (recorded as done, no file),
    ``corrupt`` (unreadable, or not the size, checksum, rows or task its record says),
    ``duplicate`` (a copy of another task's result), ``failed`` (its run raised) or ``not run``;
    ``detail`` says what is wrong (the file, then what), "" when ok or not run."""

    key: str
    scenario: str
    state: str
    detail: str = ""


@dataclass(frozen=True)
class StoreStatus:
    """A summary of a store: task counts by state, compute time, errors, damaged results."""

    path: str
    name: str
    total: int
    ok: int
    failed: int
    recovered: int
    seconds: float
    versions: tuple[str, ...]
    codes: tuple[str, ...]  # code digests of the finished results (recovered ones unknown)
    errors: tuple[tuple[str, str, str], ...]  # (key, scenario, error) of the failed tasks
    bad: tuple[tuple[str, str, str], ...] = ()  # (key, state, detail) of the damaged results

    @property
    def pending(self) -> int:
        """Tasks not run yet (damaged results are counted in ``bad``, not here)."""
        return self.total - self.ok - self.failed - len(self.bad)

    def text(self, max_errors: int = 5) -> str:
        damaged = f"{len(self.bad)} damaged, " if self.bad else ""
        lines = [
            f"{self.path}: batch {self.name!r}, {self.total} tasks: {self.ok} done, "
            f"{self.failed} failed, {damaged}{self.pending} not run",
            f"  compute time {self.seconds:,.1f} s (sum over tasks); simcare "
            f"{', '.join(self.versions) or 'n/a'}",
        ]
        if len(self.codes) > 1:
            lines.append(
                f"  warning: results made by {len(self.codes)} different versions of the code "
                f"({', '.join(self.codes)}): rerun into a new store for consistent results"
            )
        if self.recovered:
            lines.append(f"  {self.recovered} result(s) recovered after an interruption")
        for key, state, detail in self.bad[:max_errors]:
            lines.append(f"  {state} {key}: {detail}")
        if len(self.bad) > max_errors:
            lines.append(f"  ... and {len(self.bad) - max_errors} more damaged results")
        for key, scenario, error in self.errors[:max_errors]:
            lines.append(f"  failed {key} ({scenario}): {error.splitlines()[0] if error else ''}")
        if len(self.errors) > max_errors:
            lines.append(f"  ... and {len(self.errors) - max_errors} more failures")
        if self.bad:
            lines.append("  run the same `simcare batch` command again to run the damaged results again")
        elif self.pending:
            lines.append("  run the same `simcare batch` command again to finish it")
        return "\n".join(lines)


class Store:
    """An open result store (use :meth:`open` or :meth:`read`)."""

    def __init__(self, path: Path, plan_record: Mapping[str, Any]) -> None:
        self.path = path
        self.plan_record = dict(plan_record)
        self.tasks: list[dict[str, Any]] = list(plan_record["tasks"])
        self._by_key = {t["key"]: t for t in self.tasks}
        self._by_identity = {self._identity(t): t["key"] for t in self.tasks}
        self.records: dict[str, dict[str, Any]] = {}  # key -> last manifest record
        self._bad: dict[str, tuple[str, str]] = {}  # key -> (state, detail) of a damaged result
        self._lock: int | None = None  # file descriptor holding the writer's lock

    def close(self) -> None:
        """Release the writer's lock (also released if the process dies)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], plan: Any, plan_text: str | None = None) -> Store:
        """Create the store for ``plan`` (a :class:`~simcare.batch.plan.Plan`) or reopen it to
        resume; refuse a store made by another plan."""
        root = Path(path)
        record = {
            "format": FORMAT,
            "name": plan.name,
            "plan_file": plan.file,
            "digest": plan.digest,
            "created": _now(),
            "version": __version__,
            "tasks": plan.describe(),
        }
        plan_json = root / PLAN_FILE
        if plan_json.exists():
            existing = _plan_record(root)
            if existing["digest"] != record["digest"]:
                raise StoreError(
                    f"{root} holds the results of a different plan "
                    f"({existing.get('plan_file')}, digest "
                    f"{existing['digest'][:12]}; this plan: "
                    f"{record['digest'][:12]}): {_difference(existing['tasks'], record['tasks'])}. "
                    "Use another --out directory, or rerun the plan that made it."
                )
            lock = _lock(root)
            try:
                store = cls.read(root, repair=True)
            except BaseException:
                os.close(lock)
                raise
            store._lock = lock
            return store
        if root.exists() and (
            not root.is_dir()
            or any(p.name not in _OWN and not p.name.endswith(".tmp") for p in root.iterdir())
        ):
            raise StoreError(
                f"{root} exists and is not a batch store (no {PLAN_FILE}): "
                "give a new or empty directory to --out"
            )
        (root / KPIS).mkdir(parents=True, exist_ok=True)
        lock = _lock(root)
        if plan.spec.keep_visits:
            (root / VISITS).mkdir(exist_ok=True)
        if plan_text is not None:
            atomic_write_text(root / "plan.yaml", plan_text, durable=True)
        # last: its presence marks a store
        atomic_write_text(plan_json, json.dumps(record, indent=1), durable=True)
        store = cls(root, record)
        store._lock = lock
        store._recover()
        return store

    @classmethod
    def read(cls, path: str | os.PathLike[str], repair: bool = False) -> Store:
        """Open an existing store and check its ok results (size and checksum; content for
        records without a checksum). Without ``repair`` (status, analysis: safe while a batch
        is writing to it) nothing is written: what an interruption left is only read around,
        and damaged results are only reported (:meth:`status`, :meth:`verify`)."""
        root = Path(path)
        store = cls(root, _plan_record(root))
        store._recover(repair)
        return store

    def _recover(self, repair: bool = True) -> None:
        """Repair what an interruption can leave: a partial manifest line, temporary files,
        result files without their manifest record (in memory only, without ``repair``); then
        check every ok result, and with ``repair`` supersede the damaged ones (to run again)."""
        manifest = self.path / MANIFEST
        if manifest.exists():
            raw = manifest.read_bytes()
            if raw and not raw.endswith(b"\n") and not repair:
                raw = raw[: raw.rfind(b"\n") + 1]
            elif raw and not raw.endswith(b"\n"):
                keep = raw[: raw.rfind(b"\n") + 1]
                with open(manifest, "r+b") as fh:
                    fh.truncate(len(keep))
                    fh.flush()
                    os.fsync(fh.fileno())
                raw = keep
            for line in raw.splitlines():
                with contextlib.suppress(ValueError):
                    rec = json.loads(line)
                    if isinstance(rec, dict) and rec.get("key") in self._by_key:
                        self.records[rec["key"]] = rec
        for folder in (self.path, self.path / KPIS, self.path / VISITS) if repair else ():
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    with contextlib.suppress(OSError):
                        tmp.unlink()
        self._bad = {}
        files = self.done_files()
        checksums = self._checksums()
        for task in self.tasks:
            key = task["key"]
            record = self.records.get(key, {})
            if record.get("status") == "ok":
                problem = self._check(key, record, checksums)
            elif key in files:  # killed between writing the file and its record
                problem, table = self._check_content(key, None)
                if problem is None:
                    self._rebuild_record(key, table, repair)
            else:
                continue
            if problem is not None:
                if repair:
                    self._supersede(key, *problem)
                else:
                    self._bad[key] = problem

    def _checksums(self) -> dict[str, str]:
        """sha256 -> key of the ok results that record one (to name what a copy is a copy of)."""
        return {
            str(r["sha256"]): k
            for k, r in self.records.items()
            if r.get("status") == "ok" and r.get("sha256")
        }

    @staticmethod
    def _identity(values: Mapping[Any, Any]) -> tuple[str, int, str, int, str]:
        return (
            str(values["scenario"]),
            int(values["replication"]),
            str(values["scenario_hash"]),
            int(values["seed"]),
            str(values["engine"]),
        )

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.path).as_posix()

    def _check_content(
        self, key: str, record: Mapping[str, Any] | None
    ) -> tuple[tuple[str, str] | None, pd.DataFrame | None]:
        """Read the provenance columns of ``key``'s KPI file: (problem, table); the problem is
        (state, detail) when the file is unreadable, holds another task's rows (a duplicate) or
        not the rows its record says."""
        path = self.kpi_file(key)
        where = self._relative(path)
        try:
            table = pd.read_parquet(path, columns=[*IDENTITY, "version"])
            rows_of = table[list(IDENTITY)].drop_duplicates().to_dict("records")
            found = {self._identity(row) for row in rows_of}
        except Exception as exc:  # pyarrow raises many types for a damaged file; int(NaN) too
            return ("corrupt", f"{where}: unreadable ({_short(exc, path)})"), None
        if len(table) and found != {self._identity(self._by_key[key])}:
            known = sorted({self._by_identity[i] for i in found if i in self._by_identity} - {key})
            if len(found) == 1 and known:
                return ("duplicate", f"{where}: a copy of the result of {known[0]}"), table
            whose = ", ".join(known) or "no task of this plan"
            return ("corrupt", f"{where}: holds rows of {whose}, not only of {key}"), table
        rows = None if record is None else record.get("rows")
        if rows is not None and len(table) != rows:
            return ("corrupt", f"{where}: {len(table)} rows, the manifest recorded {rows}"), table
        if record is None and not len(table):
            return ("corrupt", f"{where}: no rows"), table
        return None, table

    def _check(
        self, key: str, record: Mapping[str, Any], checksums: Mapping[str, str], deep: bool = False
    ) -> tuple[str, str] | None:
        """What is wrong with the result that ``record`` (status ok) says is done, or None.
        KPI file: size and sha256 as recorded (content when the record has no checksum; also
        with ``deep``); visit table: size (and sha256 with ``deep``)."""
        path = self.kpi_file(key)
        where = self._relative(path)
        try:
            size, sha = _file_digest(path)
        except FileNotFoundError:
            return "missing", f"{where}: no result file (the manifest records the task as done)"
        except OSError as exc:
            return "corrupt", f"{where}: unreadable ({_short(exc, path)})"
        expected = record.get("sha256")
        if expected is None or record.get("bytes") is None:  # written before checksums were kept
            problem, _ = self._check_content(key, record)
        elif size != record["bytes"] or sha != expected:
            copy_of = checksums.get(sha)
            if copy_of is not None and copy_of != key:
                return "duplicate", f"{where}: a copy of the result of {copy_of}"
            problem, _ = self._check_content(key, record)
            if problem is None or problem[0] != "duplicate":
                what = (
                    f"{size} bytes, the manifest recorded {record['bytes']}"
                    if size != record["bytes"]
                    else "its sha256 is not the one in the manifest"
                )
                problem = ("corrupt", f"{where}: {what}")
        else:
            problem = self._check_content(key, record)[0] if deep else None
        if problem is not None or not self._by_key[key].get("keep_visits"):
            return problem
        visits = self.visits_file(key)
        where = self._relative(visits)
        try:
            size = visits.stat().st_size
        except FileNotFoundError:
            return "missing", f"{where}: no visit table (the plan keeps visits)"
        if record.get("visits_bytes") is not None and size != record["visits_bytes"]:
            return "corrupt", f"{where}: {size} bytes, the manifest recorded {record['visits_bytes']}"
        if deep and record.get("visits_sha256") is not None:
            if _file_digest(visits)[1] != record["visits_sha256"]:
                return "corrupt", f"{where}: its sha256 is not the one in the manifest"
        elif deep:
            try:
                pq.read_metadata(visits)
            except Exception as exc:
                return "corrupt", f"{where}: unreadable ({_short(exc, visits)})"
        return None

    def _supersede(self, key: str, state: str, detail: str) -> None:
        """Record that ``key``'s result is damaged and move its files aside (KEY.parquet.bad),
        so that its task runs again and its stale ok record no longer counts."""
        for path in (self.kpi_file(key), self.visits_file(key)):
            if path.exists():
                os.replace(path, path.with_name(path.name + ".bad"))
        self._append(
            {
                **self._task_fields(self._by_key[key]),
                "status": state,
                "worker": None,
                "seconds": None,
                "finished": _now(),
                "rows": 0,
                "error": detail,
            }
        )

    def _rebuild_record(self, key: str, written: pd.DataFrame | None, write: bool) -> None:
        rows = 0 if written is None else len(written)
        version = str(written["version"].iloc[0]) if written is not None and rows else __version__
        size, sha = _file_digest(self.kpi_file(key))
        record = {
            **self._task_fields(self._by_key[key]),
            "version": version,
            "code": None,
            "status": "ok",
            "worker": None,
            "seconds": None,
            "finished": _now(),
            "rows": rows,
            "error": None,
            "recovered": True,
            "sha256": sha,
            "bytes": size,
        }
        visits = self.visits_file(key)
        if self._by_key[key].get("keep_visits") and visits.exists():
            record["visits_bytes"], record["visits_sha256"] = _file_digest(visits)
        if write:
            self._append(record)
        else:
            self.records[key] = record

    # --- paths and state --------------------------------------------------------------------

    def kpi_file(self, key: str) -> Path:
        return self.path / KPIS / f"{key}.parquet"

    def visits_file(self, key: str) -> Path:
        return self.path / VISITS / f"{key}.parquet"

    def done_files(self) -> set[str]:
        """Keys of the tasks whose KPI file exists (and belongs to this plan)."""
        folder = self.path / KPIS
        if not folder.is_dir():
            return set()
        return {p.stem for p in folder.glob("*.parquet") if p.stem in self._by_key}

    def done(self) -> set[str]:
        """Keys of the tasks finished successfully, with a sound result."""
        return {
            k
            for k in self.done_files()
            if self.records.get(k, {}).get("status") == "ok" and k not in self._bad
        }

    def bad(self) -> dict[str, tuple[str, str]]:
        """The damaged results found on reading: key -> (state, detail), state one of
        "missing", "corrupt", "duplicate" (none after opening to resume: they are rerun)."""
        return dict(self._bad)

    def failed(self) -> set[str]:
        """Keys of the tasks whose last attempt failed (and that have no result)."""
        return {k for k, r in self.records.items() if r.get("status") == "failed"} - self.done_files()

    def pending(self, tasks: Sequence[Task], retry_failed: bool = False) -> list[Task]:
        """The tasks still to run: not done and, unless ``retry_failed``, not failed."""
        skip = self.done() | (set() if retry_failed else self.failed())
        return [t for t in tasks if t.key not in skip]

    def verify(self, deep: bool = True) -> list[TaskCheck]:
        """The state of every task, in plan order (:class:`TaskCheck`). ``deep``: also check
        every visit table's checksum and the provenance inside every KPI file (reads them)."""
        checksums = self._checksums()
        failed = self.failed()
        out = []
        for task in self.tasks:
            key = task["key"]
            record = self.records.get(key, {})
            status = record.get("status")
            if key in self._bad:
                state, detail = self._bad[key]
            elif status == "ok":
                state, detail = self._check(key, record, checksums, deep) or ("ok", "")
            elif key in failed:
                state, detail = "failed", str(record.get("error") or "")
            elif status in BAD:  # superseded, moved aside: the next run runs it again
                state, detail = str(status), f"{record.get('error')} (moved aside; runs again on resume)"
            else:
                state, detail = "not run", ""
            out.append(TaskCheck(key, str(task["scenario"]), state, detail))
        return out

    # --- writing ----------------------------------------------------------------------------

    @staticmethod
    def _task_fields(task: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "key": task["key"],
            "scenario": task["scenario"],
            "scenario_hash": task["scenario_hash"],
            "parameters": task["parameters"],
            "seed": task["seed"],
            "replication": task["replication"],
            "engine": task["engine"],
            "version": __version__,
            "code": code_digest(),
        }

    def _append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
        fd = os.open(self.path / MANIFEST, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.records[record["key"]] = record

    def record_result(self, result: TaskResult) -> None:
        """Keep a finished task: its files first (atomically), then its manifest record with
        each file's size and sha256."""
        files: dict[str, Any] = {}
        if result.visits is not None:
            (self.path / VISITS).mkdir(exist_ok=True)
            files["visits_bytes"], files["visits_sha256"] = _write_parquet(
                self.visits_file(result.key), result.visits
            )
        files["bytes"], files["sha256"] = _write_parquet(self.kpi_file(result.key), result.kpis)
        self._append(
            {
                **self._task_fields(self._by_key[result.key]),
                "status": "ok",
                "worker": result.worker,
                "seconds": round(result.seconds, 4),
                "finished": _now(),
                "rows": len(result.kpis),
                "error": None,
                **files,
            }
        )
        self._bad.pop(result.key, None)

    def record_failure(self, key: str, error: BaseException) -> None:
        """Record that a task failed, with its error (the batch carries on)."""
        self._append(
            {
                **self._task_fields(self._by_key[key]),
                "status": "failed",
                "worker": None,
                "seconds": None,
                "finished": _now(),
                "rows": 0,
                "error": _error_text(error),
            }
        )

    # --- reading ----------------------------------------------------------------------------

    def status(self) -> StoreStatus:
        done = self.done()
        failed = self.failed()
        ok_records = [self.records[k] for k in done]
        errors = tuple(
            (k, str(self.records[k].get("scenario")), str(self.records[k].get("error")))
            for k in sorted(failed)
        )
        versions = Counter(str(r.get("version")) for r in ok_records)
        return StoreStatus(
            path=str(self.path),
            name=str(self.plan_record.get("name")),
            total=len(self.tasks),
            ok=len(done),
            failed=len(failed),
            recovered=sum(bool(r.get("recovered")) for r in ok_records),
            seconds=sum(float(r.get("seconds") or 0.0) for r in ok_records),
            versions=tuple(sorted(versions)),
            codes=tuple(sorted({str(r["code"]) for r in ok_records if r.get("code")})),
            errors=errors,
            bad=tuple((k, *self._bad[k]) for k in sorted(self._bad)),
        )

    def manifest(self) -> pd.DataFrame:
        """The last manifest record of every task that has one, one row per task."""
        rows = [self.records[t["key"]] for t in self.tasks if t["key"] in self.records]
        return pd.DataFrame(rows)

    def kpis(self, keys: Iterable[str] | None = None, parameters: bool = False) -> pd.DataFrame:
        """The KPI tables of the finished tasks with sound results (all, or ``keys``), sorted
        canonically. A file that cannot be read, or holds another task's rows (changed since the
        store was read), is a StoreError naming it."""
        wanted = sorted(self.done() if keys is None else set(keys) & self.done())
        columns = [*PROVENANCE_COLUMNS, *KPI_COLUMNS]
        if not wanted:
            return pd.DataFrame({c: pd.Series(dtype="float64" if c == "value" else object) for c in columns})
        frames = []
        for key in wanted:
            path = self.kpi_file(key)
            try:
                frame = pd.read_parquet(path)
                found = {
                    self._identity(r) for r in frame[list(IDENTITY)].drop_duplicates().to_dict("records")
                }
            except Exception as exc:  # pyarrow raises many types for a damaged file
                raise StoreError(
                    f"{path}: unreadable ({_short(exc, path)}); check the store with "
                    f"`simcare batch --verify {self.path}`"
                ) from None
            if found - {self._identity(self._by_key[key])}:
                raise StoreError(
                    f"{path}: holds rows of another task than {key}; check the store "
                    f"with `simcare batch --verify {self.path}`"
                )
            frames.append(_with_descriptors(frame))
        table = pd.concat(frames, ignore_index=True)
        if parameters:
            table = self._with_parameters(table)
        return table.sort_values(
            ["scenario", "replication", "kpi", "group", "period"], kind="stable", ignore_index=True
        )

    def runs(self) -> pd.DataFrame:
        """The run lookup of the finished tasks with sound results, from the manifest: one row
        per task, columns :data:`~simcare.pipeline.RUN_COLUMNS` then ``key`` (the task), sorted
        by scenario and replication. Join it to :meth:`kpis` on (scenario, replication)."""
        rows = []
        for key in sorted(self.done()):
            record, task = self.records[key], self._by_key[key]
            rows.append(
                {
                    **{c: record.get(c) for c in RUN_COLUMNS if c != "parameter_set"},
                    "parameter_set": task.get("parameter_set"),
                    "key": key,
                }
            )
        table = pd.DataFrame(rows, columns=[*RUN_COLUMNS, "key"])
        table["parameter_set"] = table["parameter_set"].astype("Int64")
        return table.sort_values(["scenario", "replication"], kind="stable", ignore_index=True)

    def _with_parameters(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` with one column per grid/sample parameter of the plan
        (:func:`~simcare.batch.parameters.parameter_columns`: numbers, the unit in the name)."""
        by_scenario: dict[str, Mapping[str, Any]] = {}
        for t in self.tasks:
            by_scenario.setdefault(t["scenario"], t["parameters"])
        labels = list(by_scenario)
        try:
            columns = parameter_columns([by_scenario[s] for s in labels])
        except ValueError as exc:
            raise StoreError(f"{self.path / PLAN_FILE}: {exc}") from None
        for name, values in columns.items():
            table[name] = table["scenario"].map(dict(zip(labels, values, strict=True)))
        return table


def _with_descriptors(frame: pd.DataFrame) -> pd.DataFrame:
    """A KPI file's table in :data:`~simcare.pipeline.KPI_COLUMNS` form. Files written before
    issue 18 lack label, level, name and period_kind: the label and period kind are added (they
    follow from kpi and period); level and name need the compiled scenario and stay empty."""
    if "label" in frame.columns and "period_kind" in frame.columns:
        return frame
    frame = frame.copy()
    frame["label"] = kpi_labels(frame["kpi"].to_numpy(dtype=object))
    frame["period_kind"] = period_kinds(frame["period"].to_numpy(dtype=object))
    for c in ("level", "name"):
        if c not in frame.columns:
            frame[c] = pd.Series([None] * len(frame), dtype=object)
    return frame[[*PROVENANCE_COLUMNS, *KPI_COLUMNS]]


def _plan_record(root: Path) -> dict[str, Any]:
    """A store's plan.json, or StoreError saying why it cannot be read."""
    try:
        record = json.loads((root / PLAN_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        what = "does not exist" if not root.exists() else f"is not a batch store (no {PLAN_FILE})"
        raise StoreError(f"{root} {what}") from None
    except (OSError, ValueError) as exc:
        raise StoreError(f"{root / PLAN_FILE}: unreadable ({exc})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        found = record.get("format") if isinstance(record, dict) else None
        raise StoreError(f"{root}: store format {found!r}, this simcare reads {FORMAT}")
    return record


def _difference(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> str:
    """What differs between two plans' task records, in words (first difference found)."""
    if len(old) != len(new):
        return f"{len(old)} tasks in the store, {len(new)} in this plan"
    for a, b in zip(old, new, strict=True):
        for field in (
            "scenario",
            "scenario_hash",
            "parameters",
            "replication",
            "seed",
            "engine",
            "keep_visits",
        ):
            if a.get(field) != b.get(field):
                what = (
                    "the scenario's content changed"
                    if field == "scenario_hash"
                    else f"{field} {a.get(field)!r} in the store, {b.get(field)!r} in this plan"
                )
                return f"task {a['key']} ({a['scenario']}): {what}"
    return "the task records differ"


def load_store(
    path: str | os.PathLike[str],
    parameters: bool = False,
    skip_bad: bool = False,
    provenance: bool = True,
) -> pd.DataFrame:
    """The tidy KPI table of every finished task of a store, for analysis.

    Columns: scenario, replication, scenario_hash, seed, engine, version (left out unless
    ``provenance``: :func:`load_runs` has them, one row per run), then
    :data:`~simcare.pipeline.KPI_COLUMNS` (and, with ``parameters``, one column per grid/sample
    path, :mod:`simcare.batch.parameters`), sorted by scenario, replication, kpi, group, period.
    Failed and unfinished tasks are absent: see ``simcare batch --status`` or
    :meth:`Store.status`. Results stored before issue 18 have no label, level, name and
    period_kind (empty in those rows).

    A store with a damaged result (missing, corrupt or duplicate: ``simcare batch --verify``) is
    refused with a StoreError naming each file and what is wrong, unless ``skip_bad``: then the
    damaged results are left out like unfinished tasks.
    """
    store = Store.read(path)
    bad = store.bad()
    if bad and not skip_bad:
        listed = "; ".join(
            f"{detail.split(': ', 1)[0]} ({state}): {detail.split(': ', 1)[-1]}"
            for state, detail in (bad[k] for k in sorted(bad)[:5])
        )
        more = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise StoreError(
            f"{store.path}: {len(bad)} damaged result{'s' * (len(bad) != 1)}: {listed}{more}. "
            "Run the plan again into this store (`simcare batch PLAN --out STORE`) to run them "
            "again (in Python, load_store(STORE, skip_bad=True) leaves them out)"
        )
    table = store.kpis(parameters=parameters)
    if not provenance:
        table = table.drop(columns=[c for c in PROVENANCE_COLUMNS if c not in ("scenario", "replication")])
    return table


def load_runs(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The run lookup of a store (:meth:`Store.runs`): scenario, replication, parameter_set,
    scenario_hash, seed, engine, version, key; join it to ``load_store(path, provenance=False)``
    on (scenario, replication)."""
    return Store.read(path).runs()
