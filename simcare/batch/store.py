"""The result store of a batch: a directory that loses nothing when the batch is interrupted.

::

    STORE/
      plan.json          the expanded plan: digest, name, version, one record per task (atomic)
      plan.yaml          a copy of the plan file as given
      manifest.jsonl     append-only, one JSON line per finished task (fsync after each line)
      kpis/KEY.parquet   the KPI table of each task that succeeded (written to a temporary file,
                         fsync, os.replace: a file that exists is complete)
      visits/KEY.parquet the visit table, when the plan keeps visits
      lock               held (flock) by the simcare batch writing to the store

A manifest record: key, status ("ok" or "failed"), scenario, scenario_hash, parameters, seed,
replication, engine, version, code (:func:`code_digest` of the code that ran it), worker
(host:pid), seconds (task wall time), finished (UTC ISO time), rows, error (``Type: message``
for a failure, else null).

The result files are the truth for what is done. On opening (:meth:`Store.open`): a partial last
manifest line (the process was killed while writing it) is cut off, temporary files are
removed, and a result file without an ``ok`` record (killed between the two writes) gets one
rebuilt from the file, marked ``recovered``. So a batch killed at any point (even ``kill -9``)
resumes with the same command: finished tasks are kept and not run again, none is duplicated.

A store belongs to one plan: opening it with a plan whose digest differs is refused, with
what differs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simcare._version import __version__
from simcare.batch.task import Task, TaskResult
from simcare.errors import SimcareError
from simcare.files import atomic_write, atomic_write_text
from simcare.pipeline import KPI_COLUMNS, PROVENANCE_COLUMNS

__all__ = ["Store", "StoreError", "StoreStatus", "code_digest", "load_store"]

PLAN_FILE = "plan.json"
MANIFEST = "manifest.jsonl"
KPIS = "kpis"
VISITS = "visits"
LOCK = "lock"
FORMAT = 1


class StoreError(SimcareError):
    """A store cannot be used: not a store, made by another plan, or unreadable."""


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    atomic_write(path, lambda p: frame.to_parquet(p, index=False, engine="pyarrow"), durable=True)


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
class StoreStatus:
    """A summary of a store: task counts by state, compute time, errors."""

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

    @property
    def pending(self) -> int:
        return self.total - self.ok - self.failed

    def text(self, max_errors: int = 5) -> str:
        lines = [
            f"{self.path}: batch {self.name!r}, {self.total} tasks: {self.ok} done, "
            f"{self.failed} failed, {self.pending} not run",
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
        for key, scenario, error in self.errors[:max_errors]:
            lines.append(f"  failed {key} ({scenario}): {error.splitlines()[0] if error else ''}")
        if len(self.errors) > max_errors:
            lines.append(f"  ... and {len(self.errors) - max_errors} more failures")
        if self.pending:
            lines.append("  run the same `simcare batch` command again to finish it")
        return "\n".join(lines)


class Store:
    """An open result store (use :meth:`open` or :meth:`read`)."""

    def __init__(self, path: Path, plan_record: Mapping[str, Any]) -> None:
        self.path = path
        self.plan_record = dict(plan_record)
        self.tasks: list[dict[str, Any]] = list(plan_record["tasks"])
        self._by_key = {t["key"]: t for t in self.tasks}
        self.records: dict[str, dict[str, Any]] = {}  # key -> last manifest record
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
            store = cls.read(root)
            if store.plan_record["digest"] != record["digest"]:
                raise StoreError(
                    f"{root} holds the results of a different plan "
                    f"({store.plan_record.get('plan_file')}, digest "
                    f"{store.plan_record['digest'][:12]}; this plan: "
                    f"{record['digest'][:12]}): {_difference(store.tasks, record['tasks'])}. "
                    "Use another --out directory, or rerun the plan that made it."
                )
            lock = _lock(root)
            store = cls.read(root, repair=True)
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
        """Open an existing store. Without ``repair`` (status, analysis: safe while a batch
        is writing to it) nothing is written: what an interruption left is only read around."""
        root = Path(path)
        try:
            record = json.loads((root / PLAN_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            what = "does not exist" if not root.exists() else f"is not a batch store (no {PLAN_FILE})"
            raise StoreError(f"{root} {what}") from None
        except (OSError, ValueError) as exc:
            raise StoreError(f"{root / PLAN_FILE}: unreadable ({exc})") from None
        if record.get("format") != FORMAT:
            raise StoreError(f"{root}: store format {record.get('format')!r}, this simcare reads {FORMAT}")
        store = cls(root, record)
        store._recover(repair)
        return store

    def _recover(self, repair: bool = True) -> None:
        """Repair what an interruption can leave: a partial manifest line, temporary files,
        result files without their manifest record (in memory only, without ``repair``)."""
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
        for key in sorted(self.done_files()):
            if self.records.get(key, {}).get("status") != "ok":
                self._rebuild_record(key, repair)

    def _rebuild_record(self, key: str, write: bool) -> None:
        written = pd.read_parquet(self.kpi_file(key), columns=["version"])
        rows = len(written)
        version = str(written["version"].iloc[0]) if rows else __version__
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
        }
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
        """Keys of the tasks finished successfully."""
        return {k for k in self.done_files() if self.records.get(k, {}).get("status") == "ok"}

    def failed(self) -> set[str]:
        """Keys of the tasks whose last attempt failed (and that have no result)."""
        return {k for k, r in self.records.items() if r.get("status") == "failed"} - self.done_files()

    def pending(self, tasks: Sequence[Task], retry_failed: bool = False) -> list[Task]:
        """The tasks still to run: not done and, unless ``retry_failed``, not failed."""
        skip = self.done() | (set() if retry_failed else self.failed())
        return [t for t in tasks if t.key not in skip]

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
        """Keep a finished task: its files first (atomically), then its manifest record."""
        if result.visits is not None:
            (self.path / VISITS).mkdir(exist_ok=True)
            _write_parquet(self.visits_file(result.key), result.visits)
        _write_parquet(self.kpi_file(result.key), result.kpis)
        self._append(
            {
                **self._task_fields(self._by_key[result.key]),
                "status": "ok",
                "worker": result.worker,
                "seconds": round(result.seconds, 4),
                "finished": _now(),
                "rows": len(result.kpis),
                "error": None,
            }
        )

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
        )

    def manifest(self) -> pd.DataFrame:
        """The last manifest record of every task that has one, one row per task."""
        rows = [self.records[t["key"]] for t in self.tasks if t["key"] in self.records]
        return pd.DataFrame(rows)

    def kpis(self, keys: Iterable[str] | None = None, parameters: bool = False) -> pd.DataFrame:
        """The KPI tables of the finished tasks (all, or ``keys``), sorted canonically."""
        wanted = sorted(self.done() if keys is None else set(keys) & self.done())
        columns = [*PROVENANCE_COLUMNS, *KPI_COLUMNS]
        if not wanted:
            return pd.DataFrame({c: pd.Series(dtype="float64" if c == "value" else object) for c in columns})
        frames = [pd.read_parquet(self.kpi_file(k)) for k in wanted]
        table = pd.concat(frames, ignore_index=True)
        if parameters:
            names: list[str] = []
            for t in self.tasks:
                names += [n for n in t["parameters"] if n not in names]
            for name in names:
                values = {
                    self._by_key[k]["scenario"]: self._by_key[k]["parameters"].get(name) for k in wanted
                }
                table[name] = table["scenario"].map(values)
        return table.sort_values(
            ["scenario", "replication", "kpi", "group", "period"], kind="stable", ignore_index=True
        )


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


def load_store(path: str | os.PathLike[str], parameters: bool = False) -> pd.DataFrame:
    """The tidy KPI table of every finished task of a store, for analysis.

    Columns: scenario, replication, scenario_hash, seed, engine, version, kpi, group, period,
    value, unit (and, with ``parameters``, one column per grid/sample path with the variant's
    value), sorted by scenario, replication, kpi, group, period. Failed and unfinished tasks are
    absent: see ``simcare batch --status`` or :meth:`Store.status`.
    """
    return Store.read(path).kpis(parameters=parameters)
