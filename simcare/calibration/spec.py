"""The calibration specification file (``calibration/bnssg.yaml``) and the targets it names.

Paths in the file are relative to it. Sections: ``scenario`` (the uncalibrated scenario the fit
starts from), ``data`` (folder of published files), ``icb`` / ``trusts`` (org codes to read),
``fit`` (``from`` / ``until`` months), ``check_until`` (optional), ``outputs`` (``overlay``,
``report``, ``sample``, ``errors``), ``layer`` (scenario values used only while calibrating:
run warm-up, bank holidays of the data years, no dated surges), ``direct`` (``demand`` org,
``beds``: scenario trust -> org), ``parameters``, ``targets``, ``method``, and optionally ``limits``
(in-sample mean-absolute-error limits per target, :class:`Limit`) and ``rolling`` (the
rolling-origin forecast check, :class:`Rolling`). Every problem is reported as :class:`SpecError`
naming the file and the field.

The file is read as scenario files are (:func:`simcare.scenario.load.read_yaml`: YAML 1.2
scalars, duplicate keys and alias bombs refused, at most 10 MB). ``scenario`` and ``data`` must
lie under the spec's project root (:func:`simcare.files.project_root`) or simcare's shipped
folders, and every ``outputs`` path under the project root, unless ``allow_outside``.
"""

from __future__ import annotations

import calendar as _calendar
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simcare.calibration.history import Settings
from simcare.calibration.parameters import Parameter
from simcare.errors import SimcareError
from simcare.files import outside_root, project_root
from simcare.scenario.errors import ScenarioError
from simcare.scenario.load import read_yaml


class SpecError(SimcareError):
    """A calibration specification is malformed: ``file``, ``field`` and what is wrong."""

    def __init__(self, file: Path | str, field: str, problem: str) -> None:
        self.file, self.field, self.problem = str(file), field, problem
        super().__init__(f"{self.file}: {field}: {problem}")


@dataclass(frozen=True)
class Target:
    """A published monthly series and how the model's KPI table reproduces it.

    The model value of a month is the sum over ``groups`` of the first KPI in ``kpis`` that has
    every group; divided by the days in the month if ``per_day``; or 100 x that / the sum of
    ``divide_by`` (a share in %). The published value is multiplied by ``observed_scale`` (e.g.
    100 for a fraction compared with a model %). ``discrepancy`` is the model-discrepancy
    standard deviation: relative to the observed value if ``relative``, else in model units;
    ``observation`` the relative observation error sd.
    """

    measure: str
    org: str
    kpis: tuple[str, ...]
    groups: tuple[str, ...]
    discrepancy: float
    relative: bool
    observed_scale: float = 1.0
    per_day: bool = False
    divide_by: tuple[str, tuple[str, ...]] | None = None
    observation: float = 0.01

    @property
    def name(self) -> str:
        return f"{self.measure} {self.org}"

    @property
    def is_share(self) -> bool:
        """True for a percentage target (compared in % points): a published fraction scaled by
        100 (``observed_scale: 100``) or a model share (``divide_by``); False for a count or
        rate (compared in % of the published value)."""
        return self.divide_by is not None or self.observed_scale == 100.0

    def kpi_in(self, frame: pd.DataFrame) -> str | None:
        """The first of ``kpis`` whose rows in ``frame`` cover every group (None if none does)."""
        for kpi in self.kpis:
            have = set(frame.loc[frame["kpi"] == kpi, "group"])
            if set(self.groups) <= have:
                return kpi
        return None

    def model_values(self, frame: pd.DataFrame, months: list[str]) -> np.ndarray:
        """Model value per month (shape ``(len(months),)``; NaN where it cannot be formed)."""
        kpi = self.kpi_in(frame)
        if kpi is None:
            return np.full(len(months), np.nan)

        def total(k: str, groups: tuple[str, ...]) -> pd.Series:
            rows = frame[(frame["kpi"] == k) & frame["group"].isin(groups)]
            return rows.groupby("period")["value"].sum(min_count=1).reindex(months)

        values = total(kpi, self.groups)
        if self.divide_by is not None:
            den = total(*self.divide_by)
            values = 100.0 * values / den.where(den > 0)
        elif self.per_day:
            days = [_calendar.monthrange(int(m[:4]), int(m[5:7]))[1] for m in months]
            values = values / np.asarray(days, dtype=float)
        return values.to_numpy(dtype=float)


@dataclass(frozen=True)
class Limit:
    """The in-sample mean-absolute-error limit of one target, in the target's unit.

    ``value`` is in % points for a percentage target (:attr:`Target.is_share`) and in % of the
    published value for a count or rate; a forecast is held to ``forecast_factor`` x ``value``.
    """

    measure: str
    org: str
    value: float

    @property
    def name(self) -> str:
        return f"{self.measure} {self.org}"


#: a rolling-origin forecast is held to this multiple of the in-sample limit
FORECAST_FACTOR = 1.5

#: the reduced history-matching settings a ``rolling.method`` may set (all positive numbers)
ROLLING_METHOD_KEYS = (
    "design_points",
    "max_waves",
    "candidates",
    "quantile",
    "min_shrink",
    "emulator_ratio",
    "seed",
    "replicates",
    "stochastic_replicates",
    "posterior_sets",
    "posterior_replicates",
)


@dataclass(frozen=True)
class Rolling:
    """The rolling-origin check: refit at each of ``origins`` (months, ascending) on the fit
    months up to it, project the next ``horizon`` months (1..12), with the history-matching
    settings of ``method`` replacing the spec's ``method`` values they name."""

    origins: tuple[str, ...]
    horizon: int
    method: dict[str, Any]


@dataclass(frozen=True)
class Spec:
    path: Path
    scenario: Path
    data: Path
    icb: str
    trusts: tuple[str, ...]
    fit_from: str
    fit_until: str
    check_until: str | None
    overlay: Path
    report: Path
    sample: Path
    errors: Path
    layer: dict[str, Any]
    demand_org: str
    beds: dict[str, str]
    #: months (from the end of the fit window) whose trend is the overlay's growth; None: all
    growth_months: int | None
    parameters: tuple[Parameter, ...]
    targets: tuple[Target, ...]
    settings: Settings
    replicates: int = 1
    stochastic_replicates: int = 6
    posterior_sets: int = 10
    posterior_replicates: int = 2
    extra: dict[str, Any] = field(default_factory=dict)
    limits: tuple[Limit, ...] = ()
    rolling: Rolling | None = None
    #: its paths may lead outside its project root (``--allow-outside``; the prior's extends too)
    allow_outside: bool = False

    def limit_of(self, target: Target) -> float | None:
        """The in-sample MAE limit of ``target`` (its unit, :class:`Limit`), None if not set."""
        for lim in self.limits:
            if (lim.measure, lim.org) == (target.measure, target.org):
                return lim.value
        return None

    @property
    def last_month(self) -> str:
        return self.check_until or self.fit_until


def _outside_only_root(path: Path, root: Path) -> str | None:
    """Why ``path`` may not be written (None: it may): it must lie under ``root``."""
    if path.resolve().is_relative_to(root.resolve()):
        return None
    return (
        f"outside the project root {root}: a calibration writes only under the root of its "
        "specification (pass --allow-outside to write there anyway)"
    )


def _month(value: Any, file: Path, where: str) -> str:
    try:
        return pd.Timestamp(str(value)).strftime("%Y-%m")
    except ValueError:
        raise SpecError(file, where, f"{value!r} is not a month (write YYYY-MM)") from None


def _growth_months(value: Any, file: Path) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 12:
        raise SpecError(
            file, "direct.growth_months", f"must be a whole number of months >= 12, got {value!r}"
        )
    return value


def _need(d: dict[str, Any], key: str, file: Path, where: str = "") -> Any:
    if key not in d:
        raise SpecError(file, f"{where}{key}", "missing")
    return d[key]


def _fraction(value: Any, file: Path, where: str) -> tuple[float, bool]:
    """'5%' -> (0.05, relative); a number -> (number, absolute)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100.0, True
        except ValueError:
            pass
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), False
    raise SpecError(file, where, f"{value!r} is neither a percentage ('5%') nor a number")


_KNOWN = {
    "scenario",
    "data",
    "icb",
    "trusts",
    "fit",
    "check_until",
    "outputs",
    "layer",
    "direct",
    "parameters",
    "targets",
    "method",
    "limits",
    "rolling",
}


def _limits(raw: Any, targets: list[Target], file: Path) -> tuple[Limit, ...]:
    """``limits: [{measure, org, mae}]``: each names a target; ``mae`` is a number of % points
    for a percentage target and a percentage ('3%') of the published value for a count."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise SpecError(file, "limits", "expected a list of {measure, org, mae}")
    by_key = {(t.measure, t.org): t for t in targets}
    out: list[Limit] = []
    for i, item in enumerate(raw):
        where = f"limits[{i}]"
        if not isinstance(item, dict):
            raise SpecError(file, where, "expected a mapping {measure, org, mae}")
        extra = sorted(set(item) - {"measure", "org", "mae"})
        if extra:
            raise SpecError(file, f"{where}.{extra[0]}", "unknown key; expected measure, org, mae")
        key = (str(_need(item, "measure", file, where + ".")), str(_need(item, "org", file, where + ".")))
        if key not in by_key:
            raise SpecError(file, where, f"no target has measure {key[0]!r} and org {key[1]!r}")
        if any((lim.measure, lim.org) == key for lim in out):
            raise SpecError(file, where, f"a second limit for {key[0]} {key[1]}")
        value, relative = _fraction(_need(item, "mae", file, where + "."), file, where + ".mae")
        target = by_key[key]
        if target.is_share and relative:
            raise SpecError(
                file,
                where + ".mae",
                f"{target.name} is a percentage: give its limit in points (e.g. 3), not {item['mae']!r}",
            )
        if not target.is_share and not relative:
            raise SpecError(
                file,
                where + ".mae",
                f"{target.name} is a count: give its limit as a percentage ('5%'), not {item['mae']!r}",
            )
        value = 100.0 * value if relative else value
        if not value > 0:
            raise SpecError(file, where + ".mae", f"must be positive, got {item['mae']!r}")
        out.append(Limit(key[0], key[1], value))
    return tuple(out)


def _rolling(raw: Any, file: Path) -> Rolling | None:
    """``rolling: {origins: [YYYY-MM, ...], horizon: months, method: {...}}`` (:class:`Rolling`).

    Origins before ``fit.from`` are refused when the check runs, not here, so that a
    ``--fit-from`` override of a spec with a rolling section still loads for a plain fit."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SpecError(file, "rolling", "expected a mapping with origins, horizon and method")
    extra = sorted(set(raw) - {"origins", "horizon", "method"})
    if extra:
        raise SpecError(file, f"rolling.{extra[0]}", "unknown key; expected origins, horizon, method")
    origins_raw = _need(raw, "origins", file, "rolling.")
    if not isinstance(origins_raw, list) or not origins_raw:
        raise SpecError(file, "rolling.origins", "expected a non-empty list of months (YYYY-MM)")
    origins = [_month(o, file, f"rolling.origins[{i}]") for i, o in enumerate(origins_raw)]
    if origins != sorted(set(origins)):
        raise SpecError(file, "rolling.origins", f"must be distinct and in ascending order, got {origins}")
    horizon = _need(raw, "horizon", file, "rolling.")
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= 12:
        raise SpecError(
            file, "rolling.horizon", f"must be a whole number of months from 1 to 12, got {horizon!r}"
        )
    method = raw.get("method", {}) or {}
    if not isinstance(method, dict):
        raise SpecError(file, "rolling.method", "expected a mapping of history-matching settings")
    for key, value in method.items():
        where = f"rolling.method.{key}"
        if key not in ROLLING_METHOD_KEYS:
            raise SpecError(file, where, f"unknown setting; expected one of {list(ROLLING_METHOD_KEYS)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise SpecError(file, where, f"must be a positive number, got {value!r}")
        if key not in ("quantile", "min_shrink", "emulator_ratio") and not isinstance(value, int):
            raise SpecError(file, where, f"must be a whole number, got {value!r}")
    return Rolling(tuple(origins), horizon, dict(method))


def load_spec(
    path: str | Path,
    fit_until: str | None = None,
    check_until: str | None = None,
    fit_from: str | None = None,
    *,
    allow_outside: bool = False,
) -> Spec:
    """Read a calibration specification; ``fit_from``, ``fit_until``, ``check_until`` override it.
    ``allow_outside``: its paths may lead outside its project root (module docstring)."""
    file = Path(path)
    if not file.is_file():
        raise SpecError(file, "(file)", "not found")
    try:
        raw, _lines = read_yaml(file, str(file), "calibration specification")
    except ScenarioError as exc:
        raise SpecError(file, "(file)", "; ".join(m for _, m in exc.problems)) from None
    if not isinstance(raw, dict):
        raise SpecError(file, "(file)", "is not a YAML mapping: expected a mapping of sections")
    unknown = sorted(set(raw) - _KNOWN)
    if unknown:
        raise SpecError(file, unknown[0], f"unknown section; expected one of {sorted(_KNOWN)}")
    base = file.parent
    fit = _need(raw, "fit", file)
    fit_from = _month(fit_from or _need(fit, "from", file, "fit."), file, "fit.from")
    until = _month(fit_until or _need(fit, "until", file, "fit."), file, "fit.until")
    check = raw.get("check_until") if check_until is None else check_until
    check = None if check is None else _month(check, file, "check_until")
    if until < fit_from:
        raise SpecError(file, "fit.until", f"{until} is before fit.from {fit_from}")
    if check is not None and check <= until:
        raise SpecError(file, "check_until", f"{check} must be after the fit window's end {until}")
    outputs = _need(raw, "outputs", file)
    default_from = _month(_need(fit, "from", file, "fit."), file, "fit.from")
    suffix = "" if check is None else f"_check_{until}"
    if fit_from is not None and suffix and default_from != fit_from:
        suffix = f"_{fit_from}{suffix}"  # e.g. bnssg_fitted_2022-04_check_2024-05.yaml

    root = project_root(file)

    def inside(p: Path, where: str, shipped: bool) -> Path:
        """``p``, or SpecError if it lies outside the root (or, to read, the shipped folders)."""
        if allow_outside:
            return p
        refused = outside_root(p, root) if shipped else _outside_only_root(p, root)
        if refused is not None:
            raise SpecError(file, where, f"{p}: {refused}")
        return p

    if not isinstance(outputs, dict):
        raise SpecError(file, "outputs", "expected a mapping of overlay, report, sample, errors")

    def out(key: str) -> Path:
        p = base / str(_need(outputs, key, file, "outputs."))
        inside(p, f"outputs.{key}", shipped=False)
        return p.with_name(p.stem + suffix + p.suffix) if suffix else p

    params = []
    for name, p in (_need(raw, "parameters", file) or {}).items():
        where = f"parameters.{name}"
        rng = _need(p, "range", file, where + ".")
        if not (isinstance(rng, list) and len(rng) == 2 and 0 < float(rng[0]) < float(rng[1])):
            raise SpecError(file, where + ".range", f"expected [low, high] with 0 < low < high, got {rng!r}")
        paths = _need(p, "paths", file, where + ".")
        params.append(
            Parameter(
                name,
                tuple(str(x) for x in paths),
                float(rng[0]),
                float(rng[1]),
                str(p.get("description", "")),
            )
        )
    targets = []
    for i, t in enumerate(_need(raw, "targets", file)):
        where = f"targets[{i}]"
        model = _need(t, "model", file, where + ".")
        kpis = (
            model["kpi"]
            if isinstance(model.get("kpi"), list)
            else [_need(model, "kpi", file, where + ".model.")]
        )
        disc, relative = _fraction(_need(t, "discrepancy", file, where + "."), file, where + ".discrepancy")
        obs, _ = _fraction(t.get("observation", "1%"), file, where + ".observation")
        div = model.get("divide_by")
        targets.append(
            Target(
                measure=str(_need(t, "measure", file, where + ".")),
                org=str(_need(t, "org", file, where + ".")),
                kpis=tuple(kpis),
                groups=tuple(_need(model, "groups", file, where + ".model.")),
                discrepancy=disc,
                relative=relative,
                observed_scale=float(t.get("observed_scale", 1.0)),
                per_day=bool(model.get("per_day", False)),
                divide_by=None if div is None else (str(div["kpi"]), tuple(div["groups"])),
                observation=obs,
            )
        )
    method = raw.get("method", {}) or {}
    settings = Settings(**{f.name: method[f.name] for f in dataclasses.fields(Settings) if f.name in method})
    direct = raw.get("direct", {}) or {}
    return Spec(
        path=file,
        scenario=inside(base / str(_need(raw, "scenario", file)), "scenario", shipped=True),
        data=inside(base / str(raw.get("data", "data")), "data", shipped=True),
        icb=str(raw.get("icb", "E54000039")),
        trusts=tuple(raw.get("trusts", ["RVJ", "RA7"])),
        fit_from=fit_from,
        fit_until=until,
        check_until=check,
        overlay=out("overlay"),
        report=out("report"),
        sample=out("sample"),
        errors=out("errors"),
        layer=raw.get("layer", {}) or {},
        demand_org=str(direct.get("demand", raw.get("icb", "E54000039"))),
        beds=dict(direct.get("beds", {})),
        growth_months=_growth_months(direct.get("growth_months"), file),
        parameters=tuple(params),
        targets=tuple(targets),
        settings=settings,
        replicates=int(method.get("replicates", 1)),
        stochastic_replicates=int(method.get("stochastic_replicates", 6)),
        posterior_sets=int(method.get("posterior_sets", 10)),
        posterior_replicates=int(method.get("posterior_replicates", 2)),
        limits=_limits(raw.get("limits"), targets, file),
        rolling=_rolling(raw.get("rolling"), file),
        allow_outside=allow_outside,
    )
