"""``simcare calibrate``: direct estimates, history matching, posterior runs, overlay and report.

1. Read the published monthly figures of the whole window (fit + check months); gaps stay NaN.
2. Estimate directly, from the fit months only, what the data give (:mod:`.direct`).
3. Estimate the stochastic variance of every output from ``stochastic_replicates`` replications
   at the centre of the parameter box (common random numbers: replication r has the same random
   streams at every point).
4. History-match the parameters against the fit months (:mod:`.history`); the NROY simulated
   points are the plausible sample.
5. Run ``posterior_sets`` plausible sets x ``posterior_replicates`` replications over the whole
   window: intervals, errors per target in the fit and check months, and the split of the spread
   into parameter and stochastic variance (law of total variance).
6. Write the overlay (the most plausible set, with the direct estimates; ``extends`` the
   uncalibrated scenario; its ``parameter_sets`` hold the posterior sets as multipliers of its
   values), the sample (CSV), the errors (JSON) and the HTML report, each atomically.
"""

from __future__ import annotations

import calendar as _calendar
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simcare.batch.backends import Backend
from simcare.calibration import history as H
from simcare.calibration.direct import clip_dated, direct_overlay, recent_growth, without_overrides
from simcare.calibration.evaluate import simulate_docs
from simcare.calibration.observed import describe_gaps, month_range, monthly_observations
from simcare.calibration.report import Outcome, html_report, in_sample_limits, parameter_edges
from simcare.calibration.sets import parameter_sets_section, section_yaml
from simcare.calibration.spec import Spec, SpecError, Target
from simcare.files import atomic_write_text
from simcare.scenario import document
from simcare.scenario.calibrated import FITTED_HEADER
from simcare.scenario.load import load_scenario_data
from simcare.scenario.sets import apply_multipliers
from simcare.units import parse_duration

#: the baseline regression test compares this many replications (tolerances are for their mean)
REGRESSION_REPLICATIONS = 2


def _layer(spec: Spec) -> dict[str, Any]:
    last = pd.Timestamp(spec.last_month)
    end = last.replace(day=_calendar.monthrange(last.year, last.month)[1])
    run = {"start": f"{spec.fit_from}-01", "end": end.date().isoformat()}
    return document.merge(spec.layer, {"run": run})


def window_document(spec: Spec, base: dict[str, Any], direct: dict[str, Any]) -> dict[str, Any]:
    """The document the calibration simulates: ``base`` (the prior, or a fitted overlay) with the
    direct estimates and the calibration layer, run over the fit window, its dated events (bank
    holidays, bed roster overrides) clipped to the simulated period, warm-up included."""
    doc = document.merge(document.merge(base, direct), _layer(spec))
    first_day = pd.Timestamp(doc["run"]["start"]) - pd.Timedelta(
        minutes=parse_duration(doc["run"].get("warm_up", "0d"))
    )
    return clip_dated(doc, first_day.date().isoformat(), str(doc["run"]["end"]))


def fitted_window_document(spec: Spec, overlay: Path) -> dict[str, Any]:
    """A fitted overlay (a file) as the calibration simulates it over the fit window: its direct
    estimates re-made from the fit months with the overlay's month factors, the calibration layer
    (:func:`window_document`), no parameter sets."""
    observed, _ = monthly_observations(
        spec.fit_from, spec.last_month, spec.data, icb=spec.icb, trusts=spec.trusts
    )
    fitted = load_scenario_data(overlay, allow_outside=spec.allow_outside)
    direct, _ = direct_overlay(observed, spec.demand_org, spec.beds, fitted["calendar"]["monthly"])
    doc = window_document(spec, fitted, direct)
    doc.pop("parameter_sets", None)
    return doc


def _observed_matrix(
    spec: Spec, targets: list[Target], months: list[str], observed: pd.DataFrame
) -> np.ndarray:
    obs = observed.assign(period=pd.DatetimeIndex(observed["month"]).strftime("%Y-%m"))
    rows = []
    for t in targets:
        s = obs[(obs.measure == t.measure) & (obs.org == t.org)].set_index("period")["value"]
        if s.empty:
            raise SpecError(
                spec.path, f"targets ({t.name})", f"no published series {t.measure!r} for {t.org!r}"
            )
        rows.append(s.reindex(months).to_numpy(dtype=float) * t.observed_scale)
    return np.vstack(rows)


def _vectors(frames: list[pd.DataFrame], targets: list[Target], months: list[str]) -> np.ndarray:
    """(R, T*M) model outputs of the replications of one point."""
    return np.vstack([np.concatenate([t.model_values(f, months) for t in targets]) for f in frames])


def calibrate(
    spec: Spec, backend: Backend, progress: Callable[[str], None] = print, write: bool = True
) -> Outcome:
    """Run the whole calibration (module docstring) and, if ``write``, write its outputs (else
    :func:`write_outputs` can write them later, e.g. after the rolling check); returns the outcome.

    Only the months up to ``spec.fit_until`` are read by the fit: direct estimates and the
    implausibility use the fit months alone, the check months only enter the errors."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    months = [m.strftime("%Y-%m") for m in month_range(spec.fit_from, spec.last_month)]
    fit_months = [m for m in months if m <= spec.fit_until]
    check_months = [m for m in months if m > spec.fit_until]
    observed, gaps = monthly_observations(
        spec.fit_from, spec.last_month, spec.data, icb=spec.icb, trusts=spec.trusts
    )
    gap_lines = describe_gaps(gaps)
    for line in gap_lines:
        progress(f"data gap: {line}")
    fit_obs = observed[pd.DatetimeIndex(observed["month"]).strftime("%Y-%m") <= spec.fit_until]

    prior = load_scenario_data(spec.scenario, allow_outside=spec.allow_outside)
    direct, direct_summary = direct_overlay(
        fit_obs, spec.demand_org, spec.beds, prior.get("calendar", {}).get("monthly", {})
    )
    base = document.merge(prior, without_overrides(direct))
    if spec.growth_months is not None and "calendar" in direct:
        demand = fit_obs[(fit_obs.measure == "ae_attendances") & (fit_obs.org == spec.demand_org)]
        recent = recent_growth(demand, direct["calendar"]["monthly"], spec.growth_months)
        # the calibration runs follow the whole window's trend (they must reproduce every fit
        # month); a projection continues the recent one
        base = document.merge(base, {"calendar": {"growth": f"{100 * recent:.2f}%"}})
        direct_summary[f"growth per year in the overlay (last {spec.growth_months} months)"] = (
            f"{100 * recent:.2f} %"
        )
    calib = window_document(spec, prior, direct)
    low = np.array([p.low for p in spec.parameters])
    high = np.array([p.high for p in spec.parameters])
    try:  # each value grows with every factor, so the box's two ends bound it (a share <= 100 %)
        for corner in (low, high):
            apply_multipliers(calib, spec.parameters, corner)
    except ValueError as exc:
        raise SpecError(spec.path, "parameters", str(exc)) from None
    seed = spec.settings.seed
    kpis = sorted(
        {k for t in spec.targets for k in t.kpis} | {t.divide_by[0] for t in spec.targets if t.divide_by}
    )

    progress(f"stochastic variance: {spec.stochastic_replicates} replications at the centre of the box")
    centre = apply_multipliers(calib, spec.parameters, (low + high) / 2)
    frames = simulate_docs(
        backend, [centre], list(range(spec.stochastic_replicates)), seed, kpis, label="centre"
    )[0]
    timings["stochastic"] = time.perf_counter() - started
    targets, dropped = [], []
    published = fit_obs.dropna(subset=["value"])
    published_series = set(zip(published["measure"], published["org"], strict=True))
    for t in spec.targets:
        if t.kpi_in(frames[0]) is None:
            dropped.append(
                f"{t.name}: the model's KPI table has none of {list(t.kpis)} for groups {list(t.groups)}"
            )
        elif (t.measure, t.org) not in published_series:
            # a series published only later (the delay reasons start in June 2024): a fit that
            # ends before it (a rolling origin) cannot use it
            dropped.append(f"{t.name}: no published month in the fit window (to {spec.fit_until})")
        else:
            targets.append(t)
    for line in dropped:
        progress(f"target left out: {line}")
    T, M = len(targets), len(months)
    z = _observed_matrix(spec, targets, months, observed)
    centre_out = _vectors(frames, targets, months)
    var_s1 = centre_out.var(axis=0, ddof=1).reshape(T, M)
    level = np.where(np.isfinite(z), np.abs(z), np.nanmean(np.abs(z), axis=1, keepdims=True))
    var_md = np.vstack(
        [
            (t.discrepancy * level[i]) ** 2 if t.relative else np.full(M, t.discrepancy**2)
            for i, t in enumerate(targets)
        ]
    )
    var_obs = np.vstack([(t.observation * level[i]) ** 2 for i, t in enumerate(targets)])
    z_fit = np.where(np.array([m <= spec.fit_until for m in months])[None, :], z, np.nan)
    problem = H.Problem(
        z_fit.ravel(), var_obs.ravel(), var_md.ravel(), np.repeat(np.arange(T), M), [t.name for t in targets]
    )

    def simulate(thetas: np.ndarray, wave: int) -> np.ndarray:
        docs = [apply_multipliers(calib, spec.parameters, th) for th in thetas]
        runs = simulate_docs(backend, docs, list(range(spec.replicates)), seed, kpis, label=f"wave {wave}")
        return np.vstack([_vectors(r, targets, months).mean(axis=0) for r in runs])

    result = H.history_match(
        problem, simulate, low, high, var_s1.ravel() / spec.replicates, spec.settings, progress
    )
    progress(f"stopped: {result.stop_reason}")
    timings["history matching"] = time.perf_counter() - started - timings["stochastic"]

    thetas, _, imp, wave = result.all_points()
    idx, any_plausible = result.plausible(at_least=spec.posterior_sets)
    sample = pd.DataFrame(thetas[idx], columns=[p.name for p in spec.parameters])
    sample.insert(0, "wave", wave[idx])
    sample.insert(1, "implausibility", imp[idx].max(axis=1))
    chosen = sample.head(spec.posterior_sets)
    progress(
        f"posterior: {len(chosen)} plausible sets x {spec.posterior_replicates} replications"
        + ("" if any_plausible else " (no point was NROY: the least implausible are used)")
    )
    t0 = time.perf_counter()
    docs = [
        apply_multipliers(calib, spec.parameters, row)
        for row in chosen[[p.name for p in spec.parameters]].to_numpy()
    ]
    runs = simulate_docs(backend, docs, list(range(spec.posterior_replicates)), seed, kpis, label="posterior")
    posterior = np.stack([_vectors(r, targets, months).reshape(-1, T, M) for r in runs])
    timings["posterior"] = time.perf_counter() - t0

    errors = fit_errors(targets, months, fit_months, check_months, z, posterior, var_s1)
    best = sample[[p.name for p in spec.parameters]].iloc[0].to_numpy()
    fitted = apply_multipliers(base, spec.parameters, best)
    timings["total"] = time.perf_counter() - started
    outcome = Outcome(
        spec,
        months,
        fit_months,
        check_months,
        targets,
        dropped,
        gap_lines,
        z,
        var_md,
        var_s1,
        result,
        sample,
        any_plausible,
        posterior,
        direct_summary,
        errors,
        timings,
        overlay=document.diff(prior, fitted),
    )
    if write:
        write_outputs(outcome)
    return outcome


def _window_errors(
    obs: np.ndarray, pred: np.ndarray, lo: np.ndarray, hi: np.ndarray, tol_extra: np.ndarray
) -> dict[str, float] | None:
    ok = np.isfinite(obs) & np.isfinite(pred)
    if not ok.any():
        return None
    err = pred[ok] - obs[ok]
    return {
        "months": int(ok.sum()),
        "mean_error": float(err.mean()),
        "mean_abs_error": float(np.abs(err).mean()),
        "max_abs_error": float(np.abs(err).max()),
        "mean_abs_pct_error": float(np.mean(np.abs(err) / np.abs(obs[ok])) * 100),
        "within_interval": float(np.mean((obs[ok] >= lo[ok]) & (obs[ok] <= hi[ok]))),
        "tolerance": float(np.max(np.abs(err) + tol_extra[ok])),
    }


def fit_errors(
    targets: list[Target],
    months: list[str],
    fit_months: list[str],
    check_months: list[str],
    z: np.ndarray,
    posterior: np.ndarray,
    var_s1: np.ndarray,
) -> dict[str, Any]:
    """Errors per target and window for the overlay (best set) and the whole posterior sample.

    ``tolerance`` is the largest monthly absolute error of the overlay plus three standard
    deviations of a mean of ``REGRESSION_REPLICATIONS`` replications. ``monthly`` lists, per month,
    the observed value, the overlay's and the sample's simulated means, the sample's 2.5-97.5 %
    band and those three standard deviations (JSON null where missing).
    """
    flat = posterior.reshape(-1, *posterior.shape[2:])
    lo, hi = np.nanpercentile(flat, 2.5, axis=0), np.nanpercentile(flat, 97.5, axis=0)
    best = posterior[0].mean(axis=0)
    mean = flat.mean(axis=0)
    extra = 3.0 * np.sqrt(var_s1 / REGRESSION_REPLICATIONS)
    out: dict[str, Any] = {}
    for i, t in enumerate(targets):
        entry: dict[str, Any] = {
            "measure": t.measure,
            "org": t.org,
            "kpis": list(t.kpis),
            "groups": list(t.groups),
            "observed_scale": t.observed_scale,
            "per_day": t.per_day,
            "divide_by": None if t.divide_by is None else [t.divide_by[0], list(t.divide_by[1])],
        }
        for window, ms in (("fit", fit_months), ("check", check_months)):
            cols = np.array([months.index(m) for m in ms], dtype=int)
            if len(cols) == 0:
                continue
            entry[window] = {
                "months": [months[c] for c in cols],
                "overlay": _window_errors(
                    z[i, cols], best[i, cols], lo[i, cols], hi[i, cols], extra[i, cols]
                ),
                "sample": _window_errors(z[i, cols], mean[i, cols], lo[i, cols], hi[i, cols], extra[i, cols]),
            }
        param = (
            posterior.mean(axis=1).var(axis=0, ddof=1)[i] if posterior.shape[0] > 1 else np.zeros(len(months))
        )
        stoch = (
            posterior.var(axis=1, ddof=1).mean(axis=0)[i] if posterior.shape[1] > 1 else np.zeros(len(months))
        )
        total = np.nanmean(param) + np.nanmean(stoch)
        entry["parameter_share"] = float(np.nanmean(param) / total) if total > 0 else float("nan")

        def listed(a: np.ndarray) -> list[float | None]:
            return [None if not np.isfinite(x) else round(float(x), 3) for x in a]

        entry["monthly"] = {
            "months": months,
            "observed": listed(z[i]),
            "overlay": listed(best[i]),
            "sample_mean": listed(mean[i]),
            "low": listed(lo[i]),
            "high": listed(hi[i]),
            "three_sd_of_mean": listed(extra[i]),
        }
        out[t.name] = entry
    return out


def write_outputs(o: Outcome, overlay: dict[str, Any] | None = None) -> None:
    """Overlay YAML (with the ``parameter_sets`` of the ``posterior_sets`` best plausible sets,
    :mod:`simcare.calibration.sets`), sample CSV, errors JSON (with the rolling-origin check under
    ``rolling`` when ``o.rolling`` is set) and HTML report (each written atomically).
    ``overlay``: the fitted values as a diff from the prior (default ``o.overlay``)."""
    spec = o.spec
    overlay = o.overlay if overlay is None else overlay
    rel = os.path.relpath(spec.scenario, spec.overlay.parent)
    header = (
        f"{FITTED_HEADER} {os.path.relpath(spec.path)}` (history matching; report: "
        f"{spec.report.name}).\n# Fit window {spec.fit_from} .. {spec.fit_until}"
        + (f", checked {o.check_months[0]} .. {o.check_months[-1]}" if o.check_months else "")
        + f". Values: the most plausible simulated parameter set\n# and the direct estimates from the "
        f"published data; {len(o.sample)} plausible sets are in {spec.sample.name}.\n"
        "# Generated file: re-run the calibration rather than editing it.\n"
    )
    doc = {
        "extends": rel,
        # named after the spec (calibration/hwe.yaml -> hwe_fitted), not after one system
        "name": f"{spec.path.stem}_fitted" + (f"_to_{spec.fit_until}" if o.check_months else ""),
        "description": f"Calibrated parameters over {spec.fit_from} .. {spec.fit_until}",
        **overlay,
    }
    sets = parameter_sets_section(o.sample, spec.parameters, spec.posterior_sets)
    atomic_write_text(
        spec.overlay, header + yaml.safe_dump(doc, sort_keys=False, width=110) + section_yaml(sets)
    )
    atomic_write_text(spec.sample, o.sample.to_csv(index=False, float_format="%.10g"))
    meta = {
        "fit": [spec.fit_from, spec.fit_until],
        "check_until": spec.check_until,
        "regression_replications": REGRESSION_REPLICATIONS,
        "any_plausible": o.any_plausible,
        "stop_reason": o.result.stop_reason,
        "timings_s": {k: round(v, 1) for k, v in o.timings.items()},
        "targets": o.errors,
        "in_sample_limits": in_sample_limits(o),
        "parameter_edges": parameter_edges(o),
    }
    if o.rolling is not None:
        meta["rolling"] = o.rolling
    atomic_write_text(spec.errors, json.dumps(meta, indent=1))
    atomic_write_text(spec.report, html_report(o))
