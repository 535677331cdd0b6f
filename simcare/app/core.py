"""What the web app does, without the web page: systems, levers as form fields, variants as
scenario files, runs in the background with progress and cancel, and the tables shown.

Everything here calls the existing pipeline (:func:`simcare.pipeline.run_files`,
:mod:`simcare.batch.backends`, :func:`simcare.report.build.write_run_set`,
:func:`simcare.analysis.compare.paired_differences`); nothing is simulated or analysed twice.
The Streamlit script (:mod:`simcare.app.page`) only draws what these functions return, so they
are tested without a browser.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import yaml

from simcare.analysis.replications import replication_intervals
from simcare.batch.backends import Backend, make_backend
from simcare.errors import SimcareError
from simcare.pipeline import RunSet, compiled, run_files
from simcare.report.build import write_run_set
from simcare.report.headline import available_headlines, impact_table
from simcare.scenario.errors import ScenarioError, ScenarioNote
from simcare.scenario.levers import LEVERS
from simcare.scenario.load import load_scenario, load_scenario_data
from simcare.shipped import scenarios_folder

T = TypeVar("T")
R = TypeVar("R")

#: the shipped systems' scenario folders (the repository's ``scenarios/`` in a checkout)
SHIPPED = scenarios_folder()

#: wall time of one replication of the BNSSG winter baseline (266 simulated days: 182 reported
#: after the warm-up) on one core, measured on the development machine on 6 December 2026: 1.2 to
#: 1.4 s once the process has run one (the first, loading numba's cached kernel and compiling
#: the scenario, 3.2 s); scaled by the simulated days of a scenario
SECONDS_PER_REPLICATION = 1.5
REFERENCE_DAYS = 266
#: start of a pool of worker processes (spawned, each loading numba's cached kernel), measured in
#: the app: 2 replications of the one-week test scenario took 9-11 s on 2 processes
POOL_START_SECONDS = 8.0


# --- systems ------------------------------------------------------------------------------------


def shipped_systems(root: Path = SHIPPED) -> dict[str, list[Path]]:
    """The shipped systems: folder name -> its scenario files (sorted), e.g. ``bnssg``."""
    return {
        d.name: sorted(d.glob("*.yaml"))
        for d in sorted(root.iterdir())
        if d.is_dir() and any(d.glob("*.yaml"))
    }


def folder_scenarios(folder: str | Path) -> list[Path]:
    """The scenario files (``*.yaml``, ``*.yml``) of a folder; SimcareError if it is not one."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise SimcareError(f"{folder}: not a folder")
    files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    if not files:
        raise SimcareError(f"{folder}: no scenario files (*.yaml) in this folder")
    return files


@dataclass(frozen=True)
class Checked:
    """A scenario file as ``simcare validate`` sees it: ``error`` is the text it prints for an
    invalid file (None when valid); ``notes`` the notes it prints (dated events skipped)."""

    path: Path
    error: str | None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


def check_file(path: str | Path) -> Checked:
    """Validate a scenario file like ``simcare validate`` (same messages), collecting its notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScenarioNote)
        try:
            load_scenario(path)
        except ScenarioError as exc:
            error: str | None = str(exc)
        else:
            error = None
    notes = tuple(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, ScenarioNote)))
    return Checked(Path(path), error, notes)


# --- levers as form fields ----------------------------------------------------------------------


@dataclass(frozen=True)
class LeverField:
    """One setting of a lever, as the form shows it.

    kind: ``fraction`` (a share, shown in %, 0-100), ``count`` (whole number >= ``minimum``),
    ``duration`` (minutes, > 0), ``per_name`` (whole number per trust / ED site: servers added,
    may be negative), ``names`` (a choice among ``choices``; none chosen = the lever's default),
    ``other`` (settable in the YAML only). ``unit`` is what the form shows."""

    name: str
    kind: str
    description: str
    required: bool
    unit: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeverInfo:
    """A lever of :data:`simcare.scenario.levers.LEVERS` with its doc line and fields."""

    name: str
    doc: str
    fields: tuple[LeverField, ...]


def _choices(lever: str, setting: str, scenario: Mapping[str, Any]) -> tuple[str, ...]:
    """The names a list setting can take in this scenario (empty when unknown)."""
    if setting == "hubs":
        return tuple(scenario.get("hubs") or {})
    if setting == "pathways":
        return ("P1", "P2", "P3")
    if setting == "local_authorities":
        return tuple((scenario.get("discharge") or {}).get("d2a") or {})
    if setting == "sites":
        eds = scenario.get("ed") or {}
        return tuple(k for k, v in eds.items() if lever != "bed_management" or "bed_request" in (v or {}))
    if setting == "channels":
        return tuple(scenario.get("demand") or {})
    if setting == "trusts":
        return tuple(scenario.get("beds") or {})
    return ()


def lever_infos(scenario: Mapping[str, Any]) -> list[LeverInfo]:
    """Every lever, its fields read from its pydantic model (units and ranges from the JSON
    schema the model gives), with choices from ``scenario`` (a scenario document)."""
    out = []
    for name, (model, _) in LEVERS.items():
        props = model.model_json_schema()["properties"]
        required = set(model.model_json_schema().get("required", []))
        fields = []
        for key, prop in props.items():
            unit = prop.get("x-simcare-unit")
            desc = str(prop.get("description", key))
            if prop.get("type") == "array" and prop.get("items", {}).get("x-simcare-unit") == "fraction":
                # an hourly profile (seven_day_discharge.today_hourly): set in the file, not the form
                fields.append(LeverField(key, "other", desc, key in required, ""))
                continue
            if unit == "fraction":
                fields.append(LeverField(key, "fraction", desc, key in required, "%", 0, 100))
            elif unit == "duration":
                fields.append(LeverField(key, "duration", desc, key in required, "min", 0, None))
            elif prop.get("type") == "integer":
                low = prop.get("minimum")
                fields.append(LeverField(key, "count", desc, key in required, "servers", low, None))
            elif (
                prop.get("type") == "object" and prop.get("additionalProperties", {}).get("type") == "integer"
            ):
                names = (
                    tuple(scenario.get("beds") or {}) if key == "beds" else tuple(scenario.get("ed") or {})
                )
                fields.append(LeverField(key, "per_name", desc, key in required, key, None, None, names))
            elif "array" in str(prop):
                fields.append(
                    LeverField(
                        key, "names", desc, key in required, "", None, None, _choices(name, key, scenario)
                    )
                )
            else:
                fields.append(LeverField(key, "other", desc, key in required, ""))
        out.append(LeverInfo(name, (model.__doc__ or name).strip().splitlines()[0], tuple(fields)))
    return out


def lever_setting(f: LeverField, value: Any) -> Any:
    """A form value as written in a scenario file: a fraction in % -> ``"15%"``, minutes ->
    ``"45min"``, names -> a list; None (or an empty choice) -> not written."""
    if value is None:
        return None
    if f.kind == "fraction":
        return f"{float(value):g}%"
    if f.kind == "duration":
        return f"{float(value):g}min"
    if f.kind == "count":
        return int(value)
    if f.kind == "per_name":
        picked = {str(k): int(v) for k, v in dict(value).items() if int(v) != 0}
        return picked or None
    if f.kind == "names":
        return list(value) or None
    return value


# --- variants -----------------------------------------------------------------------------------


def variant_document(
    base: str | Path,
    name: str,
    levers: Mapping[str, Mapping[str, Any]],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    warm_up: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """A scenario document that extends ``base`` (absolute path) with ``levers`` (lever ->
    settings as written in a file; None settings left out) and, if given, another run window."""
    doc: dict[str, Any] = {"extends": str(Path(base).resolve()), "name": name}
    if description:
        doc["description"] = description
    run: dict[str, Any] = {}
    if start is not None:
        run["start"] = start.isoformat()
    if end is not None:
        run["end"] = end.isoformat()
    if warm_up:
        run["warm_up"] = warm_up
    if run:
        doc["run"] = run
    chosen = {k: {s: v for s, v in dict(v).items() if v is not None} for k, v in levers.items()}
    if chosen:
        doc["levers"] = chosen
    return doc


def variant_yaml(doc: Mapping[str, Any]) -> str:
    """The scenario file text of a variant document (``simcare validate`` accepts it)."""
    head = "# Written by the simcare app (docs/app.md): a variant of the scenario it extends.\n"
    return head + yaml.safe_dump(dict(doc), sort_keys=False, allow_unicode=True)


def write_variant(doc: Mapping[str, Any], folder: str | Path, *, unique: bool = False) -> Path:
    """Write the variant as ``FOLDER/<name>.yaml`` and return the path. ``unique``: name the file
    after its content too (``<name>-<sha256 prefix>.yaml``): the pipeline keeps prepared files
    per process by path, so a changed variant must never be written over an earlier one."""
    text = variant_yaml(doc)
    tag = f"-{hashlib.sha256(text.encode()).hexdigest()[:12]}" if unique else ""
    path = Path(folder) / f"{doc['name']}{tag}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:  # unchanged: same mtime
        path.write_text(text, encoding="utf-8")
    return path


def base_name(path: str | Path) -> str:
    """The ``name`` of a scenario file (its stem when it has none)."""
    data = load_scenario_data(path)
    return str(data.get("name") or Path(path).stem)


def simulated_days(path: str | Path) -> int:
    """Days a replication of a (valid) scenario file simulates, warm-up included."""
    cs, _ = compiled(path)
    return int(cs.timeline.n_days)


def estimate_seconds(days: int, scenarios: int, replications: int, workers: int) -> float:
    """Wall time of ``replications`` of ``scenarios`` scenarios of ``days`` simulated days on
    ``workers`` processes (s), at :data:`SECONDS_PER_REPLICATION` per BNSSG winter per core,
    plus :data:`POOL_START_SECONDS` when more than one process runs them."""
    runs = scenarios * replications
    per_run = SECONDS_PER_REPLICATION * days / REFERENCE_DAYS
    used = max(1, min(workers, runs))
    return per_run * -(-runs // used) + (POOL_START_SECONDS if used > 1 else 0.0)


# --- runs in the background ---------------------------------------------------------------------


class CancelledError(SimcareError):
    """The user cancelled the run."""


class ProgressBackend:
    """A backend (:class:`simcare.batch.backends.Backend`) that reports each finished task to
    ``on_done(done, total)`` and stops when ``cancel`` is set (the pipeline's map raises
    :class:`CancelledError`; tasks in flight finish, queued ones are dropped when it closes)."""

    def __init__(self, inner: Backend, on_done: Callable[[int, int], None], cancel: threading.Event) -> None:
        self.inner = inner
        self.workers = inner.workers
        self.on_done = on_done
        self.cancel = cancel

    def map(self, func: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R | BaseException]]:
        if self.cancel.is_set():
            raise CancelledError("cancelled before it started")
        for done, (index, result) in enumerate(self.inner.map(func, items), start=1):
            self.on_done(done, len(items))
            yield index, result
            if self.cancel.is_set() and done < len(items):
                raise CancelledError(f"cancelled after {done} of {len(items)} replications")

    def close(self) -> None:
        self.inner.close()


@dataclass
class Job:
    """A run of scenario files in a background thread: state ``running`` / ``done`` /
    ``cancelled`` / ``failed``; ``done`` of ``total`` replications finished; ``result`` the
    RunSet when done; ``error`` the message when failed or cancelled."""

    files: tuple[str, ...]
    replications: int
    workers: int
    seed: int | None = None
    state: str = "running"
    done: int = 0
    total: int = 0
    result: RunSet | None = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def _progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def _work(self) -> None:
        backend = ProgressBackend(
            make_backend(workers=min(self.workers, len(self.files) * self.replications)),
            self._progress,
            self.cancel,
        )
        state, error = "failed", None
        try:
            self.result = run_files(
                list(self.files), self.replications, backend, seed=self.seed, progress=False
            )
            state = "done"
        except CancelledError as exc:
            state, error = "cancelled", str(exc)
        except Exception as exc:  # shown in the page, not raised in a thread nobody joins
            cause = exc.__cause__
            error = f"{exc}" if cause is None else f"{exc} ({type(cause).__name__})"
        finally:
            backend.close()
            self.seconds = time.monotonic() - self.started
            self.error = error
            self.state = state  # last: the page reads the rest once it sees the state change

    def start(self) -> Job:
        self.total = len(self.files) * self.replications
        self.thread = threading.Thread(target=self._work, name="simcare-app-run", daemon=True)
        self.thread.start()
        return self

    def wait(self, timeout: float | None = None) -> Job:
        if self.thread is not None:
            self.thread.join(timeout)
        return self

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


def run_key(hashes: Sequence[str], replications: int, seed: int | None) -> str:
    """The cache key of a run: the scenario hashes in order, replications and seed."""
    return "|".join([*hashes, f"r{replications}", f"s{seed}"])


def scenario_hash_of(path: str | Path) -> str:
    """The scenario hash of a valid file (the key its runs are cached under)."""
    return compiled(path)[1]


# --- what the page shows ------------------------------------------------------------------------


def headline_intervals(rs: RunSet, level: float = 0.95) -> pd.DataFrame:
    """The headline measures of each scenario (whole window): columns ``scenario, measure, unit,
    mean, low, high`` (low/high: ``level`` t-interval over replications; NaN with one)."""
    heads = available_headlines(rs.table)
    ci = replication_intervals(rs.table[rs.table["period"] == "run"], level)
    rows = []
    for info in rs.scenarios:
        for h in heads:
            r = ci[(ci["scenario"] == info.name) & (ci["kpi"] == h.kpi) & (ci["group"] == h.group)]
            if r.empty:
                continue
            rows.append(
                {
                    "scenario": info.name,
                    "measure": h.label,
                    "unit": h.unit,
                    "mean": round(float(r["mean"].iloc[0]), h.digits),
                    "low": round(float(r["low"].iloc[0]), h.digits),
                    "high": round(float(r["high"].iloc[0]), h.digits),
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "measure", "unit", "mean", "low", "high"])


def impacts(rs: RunSet, level: float = 0.95) -> pd.DataFrame:
    """Paired differences of the headline measures from the first scenario (the base):
    :func:`simcare.report.headline.impact_table` (empty for a single scenario)."""
    if len(rs.scenarios) < 2:
        return pd.DataFrame()
    from simcare.analysis.compare import paired_differences

    diff = paired_differences(rs.table, rs.scenarios[0].name, level, periods=["run"])
    return impact_table(diff, available_headlines(rs.table))


@dataclass(frozen=True)
class Files:
    """The files of a finished run, as bytes for download: the HTML report, the tidy measures
    (CSV), the comparison table (CSV, None for one scenario), and the folder they are in."""

    report: bytes
    measures_csv: bytes
    comparison_csv: bytes | None
    folder: Path


def run_files_out(rs: RunSet, folder: str | Path | None = None, level: float = 0.95) -> Files:
    """Write the run's tables and HTML report as ``simcare compare`` does
    (:func:`simcare.report.build.write_run_set`) and read them back for download."""
    out = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="simcare-app-"))
    write_run_set(rs, out, level=level)
    comparison = out / "comparison.csv"
    return Files(
        report=(out / "report.html").read_bytes(),
        measures_csv=rs.table.to_csv(index=False).encode("utf-8"),
        comparison_csv=comparison.read_bytes() if comparison.exists() else None,
        folder=out,
    )
