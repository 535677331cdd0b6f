"""The rolling-origin forecast check of a calibration (issue 13, item 3).

For each origin ``o`` of the spec's ``rolling`` section (:class:`~simcare.calibration.spec.Rolling`):

1. Refit on the fit months ``fit.from .. o`` only: :func:`simcare.calibration.fit.calibrate` with
   ``fit_until = o`` and ``check_until = o + horizon`` and the reduced ``rolling.method`` settings.
   The fit reads no month after ``o``: the direct estimates (growth, month factors, beds) come from
   the months ``<= o`` and the implausibility uses only those months (the published values of the
   projected months enter only the errors computed here).
2. The calibrated forecast of months ``o+1 .. o+horizon`` is the mean of the posterior runs (the
   ``posterior_sets`` plausible sets x ``posterior_replicates`` replications), the same runs as
   ``--check-until`` projects.
3. Two baselines from the same data: the seasonal naive forecast (:func:`naive_forecast`) and the
   uncalibrated model (the prior scenario with the calibration layer: data-year calendar, no dated
   surge; :data:`UNCALIBRATED_REPLICATIONS` replications, run once over the whole window since it
   uses no data).

Scores per target (:func:`score`): the mean absolute error over every origin x horizon month where
the published value and all three forecasts exist, in the target's unit -- % points for a
percentage target, % of the published value for a count (:attr:`Target.is_share`) -- the skill
(calibrated MAE / baseline MAE) against each baseline, and pass = both skills < 1 and the
calibrated MAE <= :data:`~simcare.calibration.spec.FORECAST_FACTOR` x the in-sample limit.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from simcare.batch.backends import Backend
from simcare.calibration.direct import clip_dated
from simcare.calibration.evaluate import simulate_docs
from simcare.calibration.fit import _layer, _observed_matrix, calibrate
from simcare.calibration.observed import month_range, monthly_observations
from simcare.calibration.spec import FORECAST_FACTOR, Spec, SpecError, Target
from simcare.scenario import document
from simcare.scenario.load import load_scenario_data
from simcare.units import parse_duration

#: replications of the uncalibrated model (its forecast is their mean)
UNCALIBRATED_REPLICATIONS = 2
#: months before the origin whose ratio to the year before gives the naive trend
NAIVE_TREND_MONTHS = 6
NAIVE_RULE = (
    "the same month a year before x the mean ratio value(k) / value(k-12) over the months k of "
    f"the last {NAIVE_TREND_MONTHS} up to the origin that have both values (multiplicative for "
    "every target, percentages included)"
)


def shift(month: str, k: int) -> str:
    """``month`` ('YYYY-MM') moved by ``k`` months."""
    return (pd.Period(month, "M") + k).strftime("%Y-%m")


def naive_forecast(values: pd.Series, origin: str, horizon: int) -> np.ndarray:
    """Seasonal naive forecast of the ``horizon`` months after ``origin`` (shape ``(horizon,)``).

    ``values``: published values indexed by month ('YYYY-MM'), NaN = gap. Forecast of month
    ``m = origin + h`` = ``value(m - 12) x trend``, trend = mean of ``value(k) / value(k - 12)``
    over ``k`` in ``origin - 5 .. origin`` with both values (and ``value(k - 12) > 0``). Only
    months ``<= origin`` are read (``horizon <= 12``); NaN where ``m - 12`` or every ratio is missing.
    """
    if not 1 <= horizon <= 12:
        raise ValueError(f"horizon must be 1..12 months, got {horizon}")
    known = values[[str(i) <= origin for i in values.index]]  # nothing after the origin
    known = known[np.isfinite(known.to_numpy(dtype=float))]
    ratios = []
    for back in range(NAIVE_TREND_MONTHS):
        k = shift(origin, -back)
        ref = shift(k, -12)
        if k in known.index and ref in known.index and known[ref] > 0:
            ratios.append(float(known[k]) / float(known[ref]))
    out = np.full(horizon, np.nan)
    if ratios:
        trend = float(np.mean(ratios))
        for h in range(1, horizon + 1):
            ref = shift(origin, h - 12)
            if ref in known.index:
                out[h - 1] = float(known[ref]) * trend
    return out


def abs_errors(is_share: bool, observed: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Absolute errors in the target's unit: % points for a share, % of |observed| for a count."""
    err = np.abs(np.asarray(forecast, dtype=float) - np.asarray(observed, dtype=float))
    if is_share:
        return err
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * err / np.abs(observed)


def score(
    is_share: bool,
    observed: np.ndarray,
    calibrated: np.ndarray,
    naive: np.ndarray,
    uncalibrated: np.ndarray,
    limit: float | None,
) -> dict[str, Any]:
    """MAE of each forecast, skills and pass for one target (arrays of equal shape: every origin x
    horizon month, flattened or not); only months where all four values are finite count."""
    arrays = [np.asarray(a, dtype=float).ravel() for a in (observed, calibrated, naive, uncalibrated)]
    ok = np.logical_and.reduce([np.isfinite(a) for a in arrays])
    if not is_share:
        ok &= arrays[0] != 0
    mae: dict[str, float | None] = {}
    for name, a in zip(("calibrated", "naive", "uncalibrated"), arrays[1:], strict=True):
        mae[name] = float(abs_errors(is_share, arrays[0][ok], a[ok]).mean()) if ok.any() else None

    def ratio(den: float | None) -> float | None:
        cal = mae["calibrated"]
        return None if cal is None or den is None or den == 0 else cal / den

    skill_n, skill_u = ratio(mae["naive"]), ratio(mae["uncalibrated"])
    forecast_limit = None if limit is None else FORECAST_FACTOR * limit
    passed = None
    if forecast_limit is not None and skill_n is not None and skill_u is not None:
        assert mae["calibrated"] is not None
        passed = bool(skill_n < 1 and skill_u < 1 and mae["calibrated"] <= forecast_limit)
    return {
        "unit": "points" if is_share else "% of published",
        "months": int(ok.sum()),
        "mae": mae,
        "skill_naive": skill_n,
        "skill_uncalibrated": skill_u,
        "limit": limit,
        "forecast_limit": forecast_limit,
        "pass": passed,
    }


def origin_spec(spec: Spec, origin: str) -> Spec:
    """The spec of one origin's refit: fit ``fit.from .. origin``, check the next ``horizon``
    months, with the ``rolling.method`` settings replacing the spec's."""
    if spec.rolling is None:
        raise SpecError(spec.path, "rolling", "missing: the rolling-origin check needs a rolling section")
    if origin < spec.fit_from:
        raise SpecError(spec.path, "rolling.origins", f"origin {origin} is before fit.from {spec.fit_from}")
    method = dict(spec.rolling.method)
    hm = {k: method.pop(k) for k in list(method) if k in {f.name for f in dataclasses.fields(spec.settings)}}
    return dataclasses.replace(
        spec,
        fit_until=origin,
        check_until=shift(origin, spec.rolling.horizon),
        settings=dataclasses.replace(spec.settings, **hm),
        replicates=int(method.get("replicates", spec.replicates)),
        stochastic_replicates=int(method.get("stochastic_replicates", spec.stochastic_replicates)),
        posterior_sets=int(method.get("posterior_sets", spec.posterior_sets)),
        posterior_replicates=int(method.get("posterior_replicates", spec.posterior_replicates)),
    )


def _listed(a: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(x) else round(float(x), 4) for x in a]


def rolling_check(
    spec: Spec,
    backend: Backend,
    progress: Callable[[str], None] = print,
    targets: Sequence[Target] | None = None,
) -> dict[str, Any]:
    """Run the rolling-origin check (module docstring); returns the JSON-ready result.

    ``targets``: the targets to score (default: every spec target the model's KPI table has).
    Keys: ``origins``, ``horizon``, ``method``, ``naive``, ``uncalibrated_replications``,
    ``forecast_factor``, ``timings_s`` and ``targets`` (per target name: :func:`score`'s fields and
    ``per_origin``: months, observed and the three forecasts per origin).
    """
    if spec.rolling is None:
        raise SpecError(spec.path, "rolling", "missing: the rolling-origin check needs a rolling section")
    r = spec.rolling
    for origin in r.origins:
        origin_spec(spec, origin)  # refuse a bad origin before running anything
    started = time.perf_counter()
    timings: dict[str, float] = {}
    last = shift(r.origins[-1], r.horizon)
    first_naive = min(spec.fit_from, shift(r.origins[0], -(12 + NAIVE_TREND_MONTHS - 1)))
    observed, _ = monthly_observations(first_naive, last, spec.data, icb=spec.icb, trusts=spec.trusts)
    all_months = [m.strftime("%Y-%m") for m in month_range(first_naive, last)]

    # the uncalibrated model: prior + calibration layer over fit.from .. the last projected month
    window = dataclasses.replace(spec, fit_until=r.origins[0], check_until=last)
    prior = load_scenario_data(spec.scenario, allow_outside=spec.allow_outside)
    uncal = document.merge(prior, _layer(window))
    first_day = pd.Timestamp(uncal["run"]["start"]) - pd.Timedelta(
        minutes=parse_duration(uncal["run"].get("warm_up", "0d"))
    )
    uncal = clip_dated(uncal, first_day.date().isoformat(), str(uncal["run"]["end"]))
    kpis = sorted(
        {k for t in spec.targets for k in t.kpis} | {t.divide_by[0] for t in spec.targets if t.divide_by}
    )
    reps = list(range(UNCALIBRATED_REPLICATIONS))
    progress(f"rolling: uncalibrated model, {len(reps)} replications {spec.fit_from} .. {last}")
    frames = simulate_docs(backend, [uncal], reps, spec.settings.seed, kpis, label="uncalibrated")[0]
    timings["uncalibrated"] = time.perf_counter() - started
    if targets is None:
        targets = [t for t in spec.targets if t.kpi_in(frames[0]) is not None]
    targets = list(targets)
    z = _observed_matrix(spec, targets, all_months, observed)  # (T, all months)
    run_months = [m.strftime("%Y-%m") for m in month_range(spec.fit_from, last)]
    uncal_values = np.mean([[t.model_values(f, run_months) for t in targets] for f in frames], axis=0)

    per: dict[str, dict[str, Any]] = {t.name: {} for t in targets}
    n = len(r.origins)
    for i, origin in enumerate(r.origins):
        t0 = time.perf_counter()
        sub = origin_spec(spec, origin)
        progress(
            f"rolling origin {i + 1}/{n}: fit {spec.fit_from} .. {origin}, project {shift(origin, 1)} .. "
            f"{sub.check_until}"
        )

        def tagged(line: str, o: str = origin) -> None:
            progress(f"  [{o}] {line}")

        outcome = calibrate(sub, backend, tagged, write=False)
        flat = outcome.posterior.reshape(-1, *outcome.posterior.shape[2:]).mean(axis=0)  # (T', M')
        ahead = [shift(origin, h) for h in range(1, r.horizon + 1)]
        fitted_names = [t.name for t in outcome.targets]
        for ti, t in enumerate(targets):
            obs = z[ti, [all_months.index(m) for m in ahead]]
            if t.name in fitted_names:
                cal = flat[fitted_names.index(t.name), [outcome.months.index(m) for m in ahead]]
            else:
                cal = np.full(r.horizon, np.nan)
            series = pd.Series(z[ti], index=all_months)
            per[t.name][origin] = {
                "months": ahead,
                "observed": _listed(obs),
                "calibrated": _listed(cal),
                "naive": _listed(naive_forecast(series, origin, r.horizon)),
                "uncalibrated": _listed(uncal_values[ti, [run_months.index(m) for m in ahead]]),
            }
        timings[f"origin {origin}"] = time.perf_counter() - t0
        elapsed = time.perf_counter() - started
        done = [timings[f"origin {o}"] for o in r.origins[: i + 1]]
        left = float(np.mean(done)) * (n - i - 1)
        progress(
            f"rolling origin {i + 1}/{n} ({origin}) done in {done[-1] / 60:.1f} min; elapsed "
            f"{elapsed / 60:.1f} min, estimate left {left / 60:.1f} min"
        )
    timings["total"] = time.perf_counter() - started

    def stacked(name: str, key: str) -> np.ndarray:
        return np.array([[np.nan if v is None else v for v in per[name][o][key]] for o in r.origins])

    out_targets: dict[str, Any] = {}
    for t in targets:
        s = score(
            t.is_share,
            stacked(t.name, "observed"),
            stacked(t.name, "calibrated"),
            stacked(t.name, "naive"),
            stacked(t.name, "uncalibrated"),
            spec.limit_of(t),
        )
        out_targets[t.name] = {"measure": t.measure, "org": t.org, **s, "per_origin": per[t.name]}
    return {
        "origins": list(r.origins),
        "horizon": r.horizon,
        "method": dict(r.method),
        "naive": NAIVE_RULE,
        "uncalibrated_replications": UNCALIBRATED_REPLICATIONS,
        "forecast_factor": FORECAST_FACTOR,
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
        "targets": out_targets,
    }
