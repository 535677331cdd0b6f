"""Batch plan files: which scenario variants to run, how many replications, with which seed.

::

    name: winter_discharge_grid
    seed: 2025                      # master seed (default: each scenario's run.seed)
    replications: 10                # per variant (default: each scenario's run.replications)
    engine: numba
    scenarios:                      # relative to this file
      - ../scenarios/bnssg/baseline_winter.yaml
      - file: ../scenarios/bnssg/flu_surge.yaml
        name: flu                   # label (default: the scenario's name)
        set: {calendar.growth: 3%}  # fixed overrides of this scenario
    grid:                           # every combination (cartesian product), in the order written
      levers.discharge_capacity.increase: [0%, 10%, 20%]
      calendar.surges[0].height: [8%, 16%]
    sample:                         # and/or a space-filling sample (scipy.stats.qmc)
      method: latin_hypercube       # or sobol
      n: 20
      seed: 7                       # the sample's own seed (the design does not move with `seed`)
      parameters:
        calendar.growth: {low: 0.0, high: 0.08}
        beds.rvj.beds: {low: 900, high: 1100, integer: true}
    keep_visits: false              # also store every visit table (large)
    parameter_sets: false           # true: replication r uses the scenario's parameter set r mod n

Variants are scenarios × grid points × sample points (a missing grid or sample counts as one
point with no overrides); tasks are variants × replications. Override paths are dotted paths into
the scenario document (:mod:`simcare.scenario.document`); every variant is validated when the plan
is read, so a bad path or value is reported before anything runs, with the plan file, the field
and the variant. Replication r of every variant uses the same random streams (seed, r): common
random numbers, so differences between variants are paired.

Limits: at most :data:`MAX_REPLICATIONS` replications, :data:`MAX_VARIANTS` variants (grid
points × sample points × scenarios) and :data:`MAX_TASKS` tasks; the count is made from the
plan's sizes before any variant is built (:func:`plan_size`), and ``simcare batch`` asks for
``--yes`` above :data:`CONFIRM_TASKS` tasks. Scenario files must lie under the plan's project
root (:func:`simcare.files.project_root`) or simcare's shipped folders unless ``allow_outside``.

With ``parameter_sets: true`` (or a scenario whose ``parameter_sets.draw`` is true), replication r
of a variant uses row ``r mod n`` of its scenario's ``parameter_sets`` (multipliers applied
before the overrides, :mod:`simcare.scenario.sets`), with the same random streams as without.
Each set used is validated when the plan is read; its scenario hash is the task's.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from simcare.batch.task import Task
from simcare.errors import SimcareError
from simcare.files import outside_root, project_root
from simcare.pipeline import prepare
from simcare.scenario.document import PathError, format_path, parse_path
from simcare.scenario.errors import ScenarioError
from simcare.scenario.load import load_scenario_data, read_yaml
from simcare.scenario.schema.base import Name, Seed
from simcare.scenario.sets import drawn_sets, set_for

__all__ = [
    "CONFIRM_TASKS",
    "MAX_REPLICATIONS",
    "MAX_TASKS",
    "MAX_VARIANTS",
    "Plan",
    "PlanError",
    "PlanSize",
    "PlanSpec",
    "Variant",
    "load_plan",
    "plan_from_spec",
    "plan_size",
]

#: replications per variant (task keys have four digits for the replication)
MAX_REPLICATIONS = 10_000
#: variants of a plan: scenarios × grid points × sample points (task keys have five digits)
MAX_VARIANTS = 100_000
#: tasks of a plan (variants × replications): a million whole-winter runs is weeks of CPU
MAX_TASKS = 1_000_000
#: above this many tasks ``simcare batch`` runs only with ``--yes``
CONFIRM_TASKS = 10_000


class PlanError(SimcareError):
    """A plan file is unreadable or invalid: ``problems`` lists (field path, message) pairs, all
    of them at once."""

    def __init__(self, file: str, problems: Sequence[tuple[str, str]]) -> None:
        self.file = str(file)
        self.problems = [(str(p), str(m)) for p, m in problems]
        n = len(self.problems)
        lines = [f"{self.file}: {n} problem{'' if n == 1 else 's'}:"]
        lines += [f"  {p}: {m}" if p else f"  {m}" for p, m in self.problems]
        super().__init__("\n".join(lines))


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_paths(value: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``value`` must be override paths (validation reports the first bad one)."""
    for path in value:
        try:
            parse_path(path)
        except PathError as exc:
            raise ValueError(str(exc)) from None
    return value


PathKeys = AfterValidator(_check_paths)


class ScenarioEntry(_Spec):
    """One scenario of the plan: a file, an optional label, fixed overrides."""

    file: str = Field(min_length=1, description="scenario file, relative to the plan file")
    name: Name | None = Field(default=None, description="label (default: its name)")
    set: Annotated[dict[str, Any], PathKeys] = Field(default_factory=dict, description="dotted path -> value")


class SampleParameter(_Spec):
    """A sampled parameter: uniform on [low, high] (whole numbers if ``integer``)."""

    low: float
    high: float
    integer: bool = False

    @model_validator(mode="after")
    def _range(self) -> SampleParameter:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.high < self.low:
            raise ValueError(f"needs finite low <= high, got low {self.low}, high {self.high}")
        if self.integer and math.floor(self.high) < math.ceil(self.low):
            raise ValueError(f"no whole number between low {self.low} and high {self.high}")
        return self


class SampleSpec(_Spec):
    """A space-filling sample of ``n`` points over the parameters (scipy.stats.qmc)."""

    method: Literal["latin_hypercube", "sobol"] = "latin_hypercube"
    n: int = Field(ge=1, le=MAX_VARIANTS, description="points")
    seed: Seed = Field(description="the sample's own seed")
    parameters: Annotated[dict[str, SampleParameter], PathKeys] = Field(min_length=1)


class PlanSpec(_Spec):
    """A plan file as written (see the module docstring)."""

    name: Name | None = None
    scenarios: list[ScenarioEntry] = Field(min_length=1, description="files, or {file, name, set}")
    replications: int | None = Field(default=None, ge=1, le=MAX_REPLICATIONS)
    seed: Seed | None = None
    engine: Literal["numba", "simpy"] = "numba"
    grid: Annotated[dict[str, Annotated[list[Any], Field(min_length=1)]], PathKeys] = Field(
        default_factory=dict
    )
    sample: SampleSpec | None = None
    keep_visits: bool = False
    parameter_sets: bool = Field(
        default=False,
        description="draw one parameter set per replication from each scenario's parameter_sets",
    )

    @field_validator("scenarios", mode="before")
    @classmethod
    def _files(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"file": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _disjoint(self) -> PlanSpec:
        if self.sample is not None:
            both = sorted(set(self.grid) & set(self.sample.parameters))
            if both:
                raise ValueError(f"{', '.join(both)} both in grid and sample: choose one")
        return self

    @model_validator(mode="after")
    def _variants(self) -> PlanSpec:
        points = self.points
        variants = len(self.scenarios) * points
        if variants > MAX_VARIANTS:
            raise ValueError(
                f"{len(self.scenarios)} scenario(s) x {points:,} grid/sample points = {variants:,} "
                f"variants, more than the {MAX_VARIANTS:,} a plan may have: split it into plans"
            )
        return self

    @property
    def points(self) -> int:
        """Grid points × sample points (counted, not built)."""
        return math.prod(len(v) for v in self.grid.values()) * (self.sample.n if self.sample else 1)


@dataclass(frozen=True)
class Variant:
    """One scenario variant: a scenario file with overrides.

    index: position in the plan; label: the ``scenario`` column of its results; parameters: the
    grid/sample values of this point (dotted path -> value); overrides: the scenario entry's
    ``set`` plus ``parameters``; document: the merged scenario document before overrides.
    set_hashes: when the variant draws parameter sets, the scenario hash of each set it uses,
    one per set up to the replications (replication r uses set ``r mod len(set_hashes)``, which
    is ``r mod n`` for every r < replications); empty when it does not draw.
    """

    index: int
    label: str
    source: str
    document: Mapping[str, Any] = field(repr=False)
    parameters: Mapping[str, Any]
    overrides: Mapping[str, Any]
    scenario_hash: str
    seed: int
    replications: int
    set_hashes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """A validated, expanded plan: variants and the tasks they make."""

    file: str
    name: str
    spec: PlanSpec
    variants: tuple[Variant, ...]

    def tasks(self) -> list[Task]:
        """Every task: variants × replications, in plan order (key ``pVVVVV-rRRRR``)."""
        out = []
        for v in self.variants:
            for r in range(v.replications):
                k = set_for(r, len(v.set_hashes)) if v.set_hashes else None
                out.append(
                    Task(
                        key=task_key(v.index, r),
                        scenario=v.label,
                        document=v.document,
                        source=v.source,
                        overrides=v.overrides,
                        scenario_hash=v.scenario_hash if k is None else v.set_hashes[k],
                        replication=r,
                        seed=v.seed,
                        engine=self.spec.engine,
                        keep_visits=self.spec.keep_visits,
                        parameter_set=k,
                    )
                )
        return out

    def describe(self) -> list[dict[str, Any]]:
        """One JSON-ready record per task (what the store keeps and compares)."""
        out = []
        for t in self.tasks():
            record = {
                "key": t.key,
                "scenario": t.scenario,
                "scenario_hash": t.scenario_hash,
                "parameters": jsonable(self.variants[int(t.key[1:6])].parameters),
                "replication": t.replication,
                "seed": t.seed,
                "engine": t.engine,
                "keep_visits": t.keep_visits,
            }
            if t.parameter_set is not None:  # absent otherwise: plans without sets keep their digest
                record["parameter_set"] = t.parameter_set
            out.append(record)
        return out

    @property
    def digest(self) -> str:
        """sha256 of the task records: the same plan (same variants, scenario contents, seeds,
        replications, engine) gives the same digest however the file is written."""
        text = json.dumps(self.describe(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def task_key(variant: int, replication: int) -> str:
    return f"p{variant:05d}-r{replication:04d}"


def jsonable(value: Any) -> Any:
    """Plain JSON types: dates as ISO text, tuples as lists, numpy scalars as numbers."""
    return json.loads(
        json.dumps(
            value,
            default=lambda x: (
                x.isoformat() if hasattr(x, "isoformat") else x.item() if hasattr(x, "item") else str(x)
            ),
        )
    )


def _show_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(jsonable(value), separators=(",", ":"))
    return str(value)


def _sample_points(spec: SampleSpec) -> list[dict[str, Any]]:
    from scipy.stats import qmc

    names = list(spec.parameters)
    d = len(names)
    if spec.method == "sobol":
        unit = qmc.Sobol(d, scramble=True, seed=spec.seed).random(spec.n)
    else:
        unit = qmc.LatinHypercube(d, seed=spec.seed).random(spec.n)
    points = []
    for row in unit:
        point: dict[str, Any] = {}
        for name, u in zip(names, row, strict=True):
            p = spec.parameters[name]
            if p.integer:
                lo, hi = math.ceil(p.low), math.floor(p.high)
                point[name] = int(min(hi, lo + math.floor(float(u) * (hi - lo + 1))))
            else:
                point[name] = float(p.low + float(u) * (p.high - p.low))
        points.append(point)
    return points


def _points(spec: PlanSpec) -> list[dict[str, Any]]:
    grid = [dict(zip(spec.grid, combo, strict=True)) for combo in itertools.product(*spec.grid.values())]
    sample = _sample_points(spec.sample) if spec.sample is not None else [{}]
    return [{**g, **s} for g in grid for s in sample]


def _pydantic_problems(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        out.append((format_path(loc, quote=False), message))  # grid keys are paths themselves
    return list(dict.fromkeys(out))


def _scenario_document(
    n: int, path: Path, root: Path | None
) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    """(document, None) of scenario entry ``n``, or (None, problem): outside ``root`` (None:
    anywhere) or unreadable."""
    refused = None if root is None else outside_root(path, root)
    if refused is not None:
        return None, (f"scenarios[{n}]", f"{os.path.normpath(path)}: {refused}")
    try:
        return load_scenario_data(path, allow_outside=root is None, root=root), None
    except ScenarioError as exc:
        return None, (f"scenarios[{n}]", str(exc).replace("\n", "\n    "))


def _root(file: str, allow_outside: bool, root: str | os.PathLike[str] | None) -> Path | None:
    if allow_outside:
        return None
    return Path(root) if root is not None else project_root(file)


def plan_from_spec(
    spec: PlanSpec,
    file: str = "<plan>",
    base_dir: str | os.PathLike[str] = ".",
    *,
    allow_outside: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> Plan:
    """Expand and validate a plan: every variant's scenario is validated (with its levers);
    raises PlanError listing every problem with the variant it belongs to. Scenario files (and
    what they extend) must lie under ``root`` (default: the project root of ``base_dir``) or
    simcare's shipped folders, unless ``allow_outside``."""
    entries = spec.scenarios
    confine = _root(os.path.join(base_dir, "plan"), allow_outside, root)
    points = _points(spec)
    problems: list[tuple[str, str]] = []
    variants: list[Variant] = []
    labels: set[str] = set()
    for n, entry in enumerate(entries):
        path = Path(base_dir) / entry.file
        source = os.path.normpath(path)
        document, problem = _scenario_document(n, path, confine)
        if document is None:
            assert problem is not None
            problems.append(problem)
            continue
        for point in points:
            overrides = {**entry.set, **point}
            where = f"scenarios[{n}]" + (f" with {_label_suffix(point)}" if point else "")
            try:
                scenario, digest = prepare(document, overrides, source)
            except ScenarioError as exc:
                for p, m in exc.problems:
                    problems.append((where, f"{p}: {m}" if p else m))
                continue
            replications = scenario.run.replications if spec.replications is None else spec.replications
            try:
                set_hashes = _set_hashes(
                    document, overrides, source, scenario, spec.parameter_sets, replications
                )
            except ScenarioError as exc:
                problems += [(where, f"{p}: {m}" if p else m) for p, m in exc.problems]
                continue
            base = entry.name or scenario.name
            label = base + (f"[{_label_suffix(point)}]" if point else "")
            if label in labels:
                label = f"{label}#{len(variants)}"
            labels.add(label)
            variants.append(
                Variant(
                    index=len(variants),
                    label=label,
                    source=source,
                    document=document,
                    parameters=point,
                    overrides=overrides,
                    scenario_hash=digest,
                    seed=scenario.run.seed if spec.seed is None else spec.seed,
                    replications=replications,
                    set_hashes=set_hashes,
                )
            )
    if problems:
        raise PlanError(file, problems)
    name = spec.name or Path(file).stem
    return Plan(file=file, name=name, spec=spec, variants=tuple(variants))


def _set_hashes(
    document: Mapping[str, Any],
    overrides: Mapping[str, Any],
    source: str,
    scenario: Any,
    asked: bool,
    replications: int,
) -> tuple[str, ...]:
    """Scenario hash of each parameter set the variant's replications use (() if it does not draw);
    ScenarioError if the plan asks for sets and the scenario has none, or a set is invalid."""
    try:
        n = drawn_sets(scenario, asked)
    except ValueError as exc:
        raise ScenarioError(
            source, [("parameter_sets", f"plan key parameter_sets is true, but the scenario {exc}")]
        ) from None
    return tuple(prepare(document, overrides, source, k)[1] for k in range(min(n, replications)))


def _label_suffix(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_show_value(v)}" for k, v in point.items())


@dataclass(frozen=True)
class PlanSize:
    """How big a plan is, counted from its sizes before any variant is built."""

    variants: int
    tasks: int


def _replications_of(document: Mapping[str, Any], overrides: Mapping[str, Any]) -> int:
    """``run.replications`` of a document with overrides, as written (1, the schema's default,
    when it is not a whole number: validation reports that)."""
    value = overrides.get("run.replications", (document.get("run") or {}).get("replications", 1))
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def plan_size(
    spec: PlanSpec,
    base_dir: str | os.PathLike[str] = ".",
    *,
    allow_outside: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> PlanSize:
    """Variants and tasks of a plan without building them: the plan's replications, else each
    scenario's ``run.replications`` (read from its file; grid or sample values of
    ``run.replications`` counted point by point). A scenario file it cannot read counts as one
    replication per point (expanding the plan then reports what is wrong with it)."""
    confine = _root(os.path.join(base_dir, "plan"), allow_outside, root)
    variants = len(spec.scenarios) * spec.points
    if spec.replications is not None:
        return PlanSize(variants, variants * spec.replications)
    tasks = 0
    varied = "run.replications" in spec.grid or (
        spec.sample is not None and "run.replications" in spec.sample.parameters
    )
    for n, entry in enumerate(spec.scenarios):
        document = _scenario_document(n, Path(base_dir) / entry.file, confine)[0] or {}
        if varied:
            tasks += sum(_replications_of(document, {**entry.set, **p}) for p in _points(spec))
        else:
            tasks += spec.points * _replications_of(document, entry.set)
    return PlanSize(variants, tasks)


def load_plan(
    path: str | os.PathLike[str],
    *,
    allow_outside: bool = False,
    confirm: Callable[[PlanSize], None] | None = None,
) -> Plan:
    """Read, validate and expand a plan file (PlanError naming the file and each field).

    The plan is counted (:func:`plan_size`) before anything is built: more than
    :data:`MAX_TASKS` tasks is a PlanError; ``confirm(size)`` is then called, and may raise to
    stop (``simcare batch`` asks for ``--yes`` there). ``allow_outside``: scenario files may lie
    outside the plan's project root."""
    display = os.fspath(path)
    try:
        data, _lines = read_yaml(Path(display), display, "plan file")
    except ScenarioError as exc:
        raise PlanError(display, exc.problems) from None
    if not isinstance(data, dict):
        raise PlanError(
            display,
            [
                (
                    "",
                    "expected a mapping with scenarios, replications, seed, "
                    f"grid or sample; got {type(data).__name__}",
                )
            ],
        )
    try:
        spec = PlanSpec.model_validate(data)
    except ValidationError as exc:
        raise PlanError(display, _pydantic_problems(exc)) from None
    base = Path(display).parent
    root = None if allow_outside else project_root(display)
    size = plan_size(spec, base, allow_outside=allow_outside, root=root)
    if size.tasks > MAX_TASKS:
        raise PlanError(
            display,
            [
                (
                    "",
                    f"{size.variants:,} variant(s) make {size.tasks:,} tasks, more than the "
                    f"{MAX_TASKS:,} a plan may have: fewer replications or variants, or split it",
                )
            ],
        )
    if confirm is not None:
        confirm(size)
    return plan_from_spec(spec, display, base, allow_outside=allow_outside, root=root)
