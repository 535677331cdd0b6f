"""The HTML fit report of a calibration: one self-contained file (figures inlined as PNG)."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simcare.calibration import history as H
from simcare.calibration.spec import Spec, Target
from simcare.html_policy import csp_meta

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class Outcome:
    """Everything the report shows."""

    spec: Spec
    months: list[str]
    fit_months: list[str]
    check_months: list[str]
    targets: list[Target]
    dropped: list[str]
    gaps: list[str]
    observed: np.ndarray  # (T, M) in model units, NaN = gap
    var_md: np.ndarray  # (T, M)
    var_stochastic: np.ndarray  # (T, M) of one replication
    result: H.Result
    sample: pd.DataFrame  # plausible parameter sets, best first
    any_plausible: bool
    posterior: np.ndarray  # (K, R, T, M)
    direct_summary: dict[str, Any]
    errors: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    #: the fitted values as a diff from the prior scenario (what the overlay file holds)
    overlay: dict[str, Any] = field(default_factory=dict)
    #: the rolling-origin check (:func:`simcare.calibration.rolling.rolling_check`), if run
    rolling: dict[str, Any] | None = None


#: a best value this close to a prior bound (fraction of the box width) is "on the edge"
EDGE_FRACTION = 0.05


def in_sample_limits(o: Outcome) -> dict[str, Any]:
    """Per target with a limit (:attr:`Spec.limits`): the overlay's in-sample mean absolute
    error in the limit's unit (% points for a percentage target, % of the published value for a
    count), the limit and whether the error is within it."""
    out: dict[str, Any] = {}
    for t in o.targets:
        limit = o.spec.limit_of(t)
        s = (o.errors.get(t.name, {}).get("fit") or {}).get("overlay")
        if limit is None or s is None:
            continue
        mae = s["mean_abs_error"] if t.is_share else s["mean_abs_pct_error"]
        out[t.name] = {
            "unit": "points" if t.is_share else "% of published",
            "mae": round(float(mae), 3),
            "limit": limit,
            "pass": bool(mae <= limit),
        }
    return out


def _rank(a: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return np.asarray(rankdata(a), dtype=float)


def parameter_edges(o: Outcome) -> dict[str, Any]:
    """Per fitted parameter: prior box, NROY (plausible sample) range, the overlay's value, whether
    it lies within :data:`EDGE_FRACTION` of the box width of a bound, and the target pulling it
    there.

    The pull is measured on every simulated design point of every wave (``n`` points): the
    Spearman rank correlation between the parameter and each target series' implausibility
    ``J_s``. At the upper edge the pulling target is the one whose ``J_s`` falls most as the
    parameter rises (most negative correlation), at the lower edge the one whose ``J_s`` rises
    most (most positive); the value is reported as ``correlation``. ``None`` where no edge is
    reached or fewer than 3 points were simulated.
    """
    thetas, _, imp, _ = o.result.all_points()
    names = [t.name for t in o.targets]
    out: dict[str, Any] = {}
    for j, p in enumerate(o.spec.parameters):
        best = float(o.sample[p.name].iloc[0])
        width = p.high - p.low
        edge = None
        if best - p.low <= EDGE_FRACTION * width:
            edge = "low"
        elif p.high - best <= EDGE_FRACTION * width:
            edge = "high"
        pull: dict[str, Any] | None = None
        if edge is not None and len(thetas) >= 3 and np.ptp(thetas[:, j]) > 0:
            x = _rank(thetas[:, j])
            corr = []
            for s in range(imp.shape[1]):
                y = _rank(np.where(np.isfinite(imp[:, s]), imp[:, s], np.inf))
                corr.append(float(np.corrcoef(x, y)[0, 1]) if np.ptp(y) > 0 else 0.0)
            sign = -1.0 if edge == "high" else 1.0
            k = int(np.argmax(sign * np.asarray(corr)))
            pull = {"target": names[k], "correlation": round(corr[k], 3)}
        out[p.name] = {
            "prior": [p.low, p.high],
            "nroy": [float(o.sample[p.name].min()), float(o.sample[p.name].max())],
            "best": best,
            "edge": edge,
            "pulled_by": pull,
        }
    return out


def rolling_html(r: dict[str, Any], page: bool = False) -> str:
    """The rolling-origin check's table (a section; a whole HTML page if ``page``)."""
    rows = []
    for name, e in r["targets"].items():
        mae = e["mae"]
        rows.append(
            [
                name,
                e["unit"],
                e["months"],
                _fmt(mae["calibrated"], 2),
                _fmt(mae["naive"], 2),
                _fmt(mae["uncalibrated"], 2),
                _fmt(e["skill_naive"], 2),
                _fmt(e["skill_uncalibrated"], 2),
                _fmt(e["forecast_limit"], 2),
                {True: "pass", False: "FAIL", None: "–"}[e["pass"]],
            ]
        )
    timing = ", ".join(f"{k} {v / 60:.1f} min" for k, v in r["timings_s"].items())
    settings = ", ".join(f"{k} {v}" for k, v in r["method"].items())
    section = f"""<h2>Rolling-origin forecast check</h2>
<p>Origins {", ".join(r["origins"])}, each refitted on the fit months up to it (direct estimates
included) with reduced settings {html.escape(settings)}, projecting the next {r["horizon"]}
months. MAE over every origin x horizon month where the published value and all three forecasts
exist, in % points for percentages and % of the published value for counts. Calibrated: mean of
the posterior runs; naive: {html.escape(r["naive"])}; uncalibrated: the prior scenario with the
calibration layer, {r["uncalibrated_replications"]} replications. Skill = calibrated MAE / baseline
MAE; pass = both skills &lt; 1 and MAE &lt;= {r["forecast_factor"]} x the in-sample limit. Time: {timing}.</p>
{
        _table(
            [
                "target",
                "unit",
                "months",
                "MAE calibrated",
                "MAE naive",
                "MAE uncalibrated",
                "skill vs naive",
                "skill vs uncalibrated",
                "forecast limit",
                "result",
            ],
            rows,
        )
    }"""
    if not page:
        return section
    return f"{_head('simcare rolling-origin check')}<body>{section}</body></html>\n"


#: the style sheet of the calibration pages (allowed by its hash in their security policy)
STYLE = (
    "body{font-family:sans-serif;max-width:1300px;margin:1em auto}table{border-collapse:collapse;"
    "font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
)


def _head(title: str) -> str:
    """The doctype and ``<head>`` of a calibration page: its security policy (no script, no
    request, images only embedded), title and style sheet."""
    return (
        f'<!doctype html><html><head><meta charset="utf-8">{csp_meta(STYLE)}'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
    )


def _edges_html(o: Outcome) -> str:
    rows = []
    for name, e in parameter_edges(o).items():
        pull = e["pulled_by"]
        rows.append(
            [
                name,
                f"{e['prior'][0]:g} – {e['prior'][1]:g}",
                f"{e['nroy'][0]:.3f} – {e['nroy'][1]:.3f}",
                f"{e['best']:.3f}",
                e["edge"] or "no",
                "–" if pull is None else f"{pull['target']} (rank corr {pull['correlation']:+.2f})",
            ]
        )
    return f"""<h2>Parameters on a prior edge</h2>
<p>A best value within {EDGE_FRACTION:.0%} of the box width of a bound is on the edge. The target
pulling it there: over every simulated design point, the Spearman correlation of the parameter with
each target's implausibility; the target whose implausibility falls most towards that edge.</p>
{_table(["parameter", "prior", "NROY range", "best", "on edge", "pulled by"], rows)}"""


def _limits_html(o: Outcome) -> str:
    lim = in_sample_limits(o)
    if not lim:
        return ""
    rows = [
        [k, v["unit"], _fmt(v["mae"], 2), _fmt(v["limit"], 2), "pass" if v["pass"] else "FAIL"]
        for k, v in lim.items()
    ]
    return f"""<h2>In-sample limits</h2>
<p>The overlay's mean absolute error over the fit months against the spec's <code>limits</code>.</p>
{_table(["target", "unit", "MAE", "limit", "result"], rows)}"""


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _table(header: list[str], rows: list[list[Any]]) -> str:
    th = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _fmt(x: Any, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:,.{digits}f}" if isinstance(x, float) else str(x)


def series_figure(o: Outcome) -> Figure:
    """Observed (dots) against simulated per month: posterior mean, 95 % interval of the runs."""
    from matplotlib.figure import Figure

    T = len(o.targets)
    cols = 3
    rows = (T + cols - 1) // cols
    fig = Figure(figsize=(5.2 * cols, 2.9 * rows))
    flat = o.posterior.reshape(-1, *o.posterior.shape[2:])
    x = np.arange(len(o.months))
    for i, t in enumerate(o.targets):
        ax = fig.add_subplot(rows, cols, i + 1)
        lo, hi = np.nanpercentile(flat[:, i], 2.5, axis=0), np.nanpercentile(flat[:, i], 97.5, axis=0)
        ax.fill_between(x, lo, hi, color="tab:blue", alpha=0.25, label="simulated 95 %")
        ax.plot(x, flat[:, i].mean(axis=0), color="tab:blue", lw=1.2, label="simulated mean")
        ax.plot(x, o.posterior[0, :, i].mean(axis=0), color="tab:green", lw=0.8, ls="--", label="overlay set")
        ax.plot(x, o.observed[i], "k.", ms=4, label="published")
        if o.check_months:
            ax.axvline(len(o.fit_months) - 0.5, color="tab:red", lw=0.8)
        ax.set_title(t.name, fontsize=9)
        step = max(1, len(x) // 6)
        ax.set_xticks(x[::step], [o.months[j] for j in x[::step]], fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        if i == 0:
            ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def html_report(o: Outcome) -> str:
    spec = o.spec
    waves = [
        [
            i + 1,
            len(w.thetas),
            int((w.implausibility.max(axis=1) <= 1).sum()),
            f"{w.nroy_volume:.2%}",
            _fmt(w.emulator_ratio, 2),
        ]
        for i, w in enumerate(o.result.waves)
    ]
    names = [p.name for p in spec.parameters]
    params = [
        [
            p.name,
            p.description,
            f"{p.low:g} – {p.high:g}",
            f"{o.sample[p.name].min():.3f} – {o.sample[p.name].max():.3f}",
            f"{o.sample[p.name].iloc[0]:.3f}",
        ]
        for p in spec.parameters
    ]
    err_rows = []
    for t in o.targets:
        e = o.errors[t.name]
        for window in ("fit", "check"):
            w = e.get(window)
            if w is None:
                continue
            for which in ("overlay", "sample"):
                s = w[which]
                if s is None:
                    continue
                err_rows.append(
                    [
                        t.name,
                        window,
                        which,
                        s["months"],
                        _fmt(s["mean_error"]),
                        _fmt(s["mean_abs_error"]),
                        _fmt(s["mean_abs_pct_error"]),
                        _fmt(s["max_abs_error"]),
                        f"{100 * s['within_interval']:.0f} %",
                        _fmt(s["tolerance"]),
                    ]
                )
    share = [
        [
            t.name,
            f"{100 * o.errors[t.name]['parameter_share']:.0f} %",
            f"{100 * (1 - o.errors[t.name]['parameter_share']):.0f} %",
        ]
        for t in o.targets
    ]
    notes = "".join(f"<li>{html.escape(x)}</li>" for x in [*o.gaps, *o.dropped]) or "<li>none</li>"
    timing = ", ".join(f"{k} {v / 60:.1f} min" for k, v in o.timings.items())
    check = (
        f"; out-of-sample check {o.check_months[0]} .. {o.check_months[-1]} (not used in the fit, red line)"
        if o.check_months
        else ""
    )
    plausible = (
        f"{len(o.sample)} simulated parameter sets are not ruled out"
        if o.any_plausible
        else f"no simulated set was within the implausibility cut-off; the {len(o.sample)} least "
        "implausible are shown and used: the model discrepancy is larger than stated"
    )
    return f"""{_head("simcare fit report")}<body>
<h1>Calibration fit report</h1>
<p>Specification <code>{html.escape(str(spec.path))}</code>, scenario <code>{
        html.escape(str(spec.scenario))
    }</code>.
Fit window {spec.fit_from} .. {spec.fit_until}{check}. Method: history matching (simcare.calibration.history):
Latin hypercube wave 1, quadratic emulators screening later waves, multivariate implausibility per target
series with observation, model-discrepancy and stochastic variance; common random numbers
(replication r uses the same random streams at every point). Stopped: {html.escape(o.result.stop_reason)}.
{plausible}. Time: {timing}.</p>
<h2>Waves</h2>{
        _table(
            ["wave", "points", "not ruled out", "NROY volume before the wave", "emulator/other var"], waves
        )
    }
<h2>Parameters (multipliers of the uncalibrated scenario's values)</h2>
{_table(["parameter", "what it scales", "prior range", "plausible range", "overlay value"], params)}
{_edges_html(o)}
<h2>Estimated directly from the data (fit months only)</h2>
{_table(["estimate", "value"], [[k, v] for k, v in o.direct_summary.items()])}
<h2>Observed against simulated</h2>
<p>Simulated: {o.posterior.shape[0]} plausible sets x {o.posterior.shape[1]} replications; band = 2.5–97.5 %
of those runs (parameter and stochastic uncertainty).</p>
{_png(series_figure(o))}
<h2>Errors per target</h2>
<p>Errors are simulated minus published, in the model's units (% for shares, counts per month, per day where
stated). "overlay" is the fitted overlay's set (mean of its replications), "sample" the mean of all runs;
"within" = share of months whose published value lies in the simulated 95 % band; "tolerance" = the largest
monthly |error| of the overlay plus 3 standard deviations of a {2}-replication mean (the baseline
regression test applies the same rule to April–November 2024, month values in the errors JSON).</p>
{
        _table(
            [
                "target",
                "window",
                "set",
                "months",
                "mean error",
                "mean |error|",
                "mean |error| %",
                "max |error|",
                "within band",
                "tolerance",
            ],
            err_rows,
        )
    }
{_limits_html(o)}
{"" if o.rolling is None else rolling_html(o.rolling)}
<h2>Where the spread comes from</h2>
<p>Law of total variance over the posterior runs, averaged over the months: variance of the set means
(parameter) against the mean variance between replications of one set (stochastic).</p>
{_table(["target", "parameter", "stochastic"], share)}
<h2>Data gaps and targets left out</h2><ul>{notes}</ul>
<h2>Plausible sample (first 20 of {len(o.sample)})</h2>
{
        _table(
            ["wave", "max J", *names],
            [
                [int(r["wave"]), f"{r['implausibility']:.2f}", *[f"{r[n]:.3f}" for n in names]]
                for r in o.sample.head(20).to_dict("records")
            ],
        )
    }
</body></html>
"""
