"""Figures of a winter comparison, drawn from the tidy KPI table (matplotlib Figures, never shown).

- :func:`fan_chart`: a daily KPI over the winter, the median over replications with a band from
  the 10th to the 90th percentile (all replications when there are fewer than 10), one panel per
  group (site, trust), for the base and one highlighted scenario.
- :func:`occupancy_chart`: G&A beds occupied against the beds in force, per trust.
- :func:`impact_chart`: each scenario's difference from the base with its interval.
- :func:`published_chart`: the model's monthly figures beside published ones.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no screen needed; figures are embedded, never shown

from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

# Figures are drawn WIDTH inches wide at the report's 100 dpi and shrink with the page: at 760 px
# (728 px of content) the smallest text, 10 pt, is still about 11 px (docs/report.md).
WIDTH = 9.0
MIN_FONT_PT = 10
COLOURS = ("#1f5fa8", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c", "#8a8a8a")
DAY_RE = r"^\d{4}-\d{2}-\d{2}$"


def _literal(text: object) -> str:
    """A name from the results (scenario, site, series) as matplotlib text shown as written:
    without this, two dollar signs make matplotlib parse the text between them as mathtext,
    which draws something else or raises on a name like ``cost $5m to $6m`` (issue 16)."""
    return str(text).replace("$", r"\$")


def daily_matrix(table: pd.DataFrame, scenario: str, kpi: str, group: str) -> pd.DataFrame:
    """Daily values of one KPI: index day (Timestamp), one column per replication."""
    t = table[(table["scenario"] == scenario) & (table["kpi"] == kpi) & (table["group"] == group)]
    t = t[t["period"].astype(str).str.match(DAY_RE)]
    if t.empty:
        return pd.DataFrame()
    m = t.pivot_table(index="period", columns="replication", values="value", aggfunc="first")
    m.index = pd.to_datetime(m.index)
    return m.sort_index()


def has_daily(table: pd.DataFrame, kpi: str) -> bool:
    t = table[table["kpi"] == kpi]
    return bool(t["period"].astype(str).str.match(DAY_RE).any())


def _band(ax: Axes, m: pd.DataFrame, colour: str, label: str) -> None:
    """Median line and a 10-90 % band (min-max with fewer than 10 replications)."""
    x = m.index.to_numpy()
    values = m.to_numpy(dtype=float)
    if values.shape[1] >= 10:
        lo, hi = np.nanpercentile(values, [10, 90], axis=1)
    else:
        lo, hi = np.nanmin(values, axis=1), np.nanmax(values, axis=1)
    if values.shape[1] > 1:
        ax.fill_between(x, lo, hi, color=colour, alpha=0.22, linewidth=0)
    ax.plot(x, np.nanmedian(values, axis=1), color=colour, lw=1.4, label=label)


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(True, color="#dddddd", lw=0.6)
    ax.tick_params(labelsize=11)


def band_label(replications: int) -> str:
    """What the shaded band of a fan chart shows."""
    if replications >= 10:
        return "line: median over replications; band: 10th-90th percentile"
    if replications > 1:
        return "line: median over replications; band: lowest to highest replication"
    return "one replication"


@dataclass(frozen=True)
class Panel:
    """One panel of a fan chart: daily ``kpi`` of ``group``, with its title, vertical-axis label
    and reference lines (value, label), e.g. a national standard."""

    kpi: str
    group: str
    title: str
    ylabel: str
    reference: tuple[tuple[float, str], ...] = ()


def fan_panels(
    table: pd.DataFrame,
    panels: Sequence[Panel],
    scenarios: Sequence[str],
    title: str,
    *,
    ncols: int = 3,
    sharey: bool = False,
) -> Figure:
    """A fan chart per panel: for each of ``scenarios`` a band and median line over replications of
    the panel's daily KPI. ``sharey``: one vertical scale for every panel (for like groups)."""
    n = len(panels)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig = Figure(figsize=(WIDTH, 3.3 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=sharey)
    reps = int(table["replication"].nunique())
    for i, p in enumerate(panels):
        ax = axes[i // ncols][i % ncols]
        for j, scenario in enumerate(scenarios):
            m = daily_matrix(table, scenario, p.kpi, p.group)
            if not m.empty:
                _band(ax, m, COLOURS[j % len(COLOURS)], _literal(scenario))
        for value, text in p.reference:
            ax.axhline(value, color="black", lw=1, ls="--", label=text)
        ax.set_title(_literal(p.title), fontsize=13)
        _date_axis(ax)
        if i % ncols == 0 or not sharey:
            ax.set_ylabel(p.ylabel, fontsize=12)
    for k in range(n, nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    axes[0][0].legend(loc="best", fontsize=10, framealpha=0.9)
    fig.suptitle(f"{title}\n({band_label(reps)})", fontsize=14)
    return fig


def fan_chart(
    table: pd.DataFrame,
    kpi: str,
    groups: Sequence[str],
    scenarios: Sequence[str],
    ylabel: str,
    title: str,
    *,
    group_labels: dict[str, str] | None = None,
    reference: Sequence[tuple[float, str]] = (),
    ncols: int = 3,
    sharey: bool = True,
) -> Figure:
    """:func:`fan_panels` of one daily ``kpi``, a panel for each of ``groups``."""
    labels = group_labels or {}
    panels = [Panel(kpi, g, labels.get(g, g), ylabel, tuple(reference)) for g in groups]
    return fan_panels(table, panels, scenarios, title, ncols=ncols, sharey=sharey)


def occupancy_chart(
    table: pd.DataFrame,
    trusts: Sequence[str],
    scenarios: Sequence[str],
    trust_labels: dict[str, str] | None = None,
) -> Figure:
    """G&A beds occupied (``ga_beds_occupied``, or ga_occupancy x ga_beds / 100 where the table has
    no such rows; per replication and day) against the beds in force (dashed, median over
    replications) per trust."""
    fig = Figure(figsize=(WIDTH, 3.8), layout="constrained")
    axes = fig.subplots(1, len(trusts), squeeze=False)[0]
    labels = trust_labels or {}
    reps = int(table["replication"].nunique())
    for ax, trust in zip(axes, trusts, strict=True):
        for j, scenario in enumerate(scenarios):
            occupied = daily_matrix(table, scenario, "ga_beds_occupied", trust)
            beds = daily_matrix(table, scenario, "ga_beds", trust)
            if occupied.empty:
                occupied = daily_matrix(table, scenario, "ga_occupancy", trust) * beds / 100.0
            if occupied.empty or beds.empty:
                continue
            colour = COLOURS[j % len(COLOURS)]
            _band(ax, occupied, colour, f"{_literal(scenario)}: beds occupied")
            ax.plot(
                beds.index,
                beds.median(axis=1),
                color=colour,
                lw=1.2,
                ls="--",
                label=f"{_literal(scenario)}: beds open",
            )
        ax.set_title(_literal(labels.get(trust, trust)), fontsize=13)
        ax.set_ylabel("G&A beds", fontsize=12)
        _date_axis(ax)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=min(2, len(names)), fontsize=11)
    fig.suptitle(f"G&A beds occupied against beds open, by trust\n({band_label(reps)})", fontsize=14)
    return fig


def warmup_chart(
    daily: pd.DataFrame,
    scenario: str,
    warmup: pd.DataFrame,
    labels: dict[str, str],
    reference: pd.DataFrame | None = None,
) -> Figure:
    """The daily series the warm-up check was applied to (mean over replications, every
    simulated day; patients), with the configured warm-up (grey span) and the day the check
    says the series settled (dashed: ``coupled_days`` of the coupling check, or ``mser5_days``)
    marked; one panel per series. ``reference``: the reference run's daily series (same
    columns), drawn grey beside them when given.

    ``daily``: scenario, replication, series, day, date, value; ``warmup``: from
    :func:`simcare.analysis.warmup.coupling_table` (or :func:`~simcare.analysis.warmup.warmup_table`)."""
    d = daily[daily["scenario"] == scenario]
    series = list(dict.fromkeys(d["series"]))
    fig = Figure(figsize=(WIDTH, 3.3), layout="constrained")
    axes = fig.subplots(1, len(series), squeeze=False)[0]
    for ax, name in zip(axes, series, strict=True):
        g = d[d["series"] == name]
        mean = g.groupby("date")["value"].mean()
        x = pd.to_datetime(mean.index)
        ax.plot(x, mean.to_numpy(), color=COLOURS[0], lw=1.2, label="mean over replications")
        if reference is not None and not reference.empty:
            r = reference[(reference["scenario"] == scenario) & (reference["series"] == name)]
            m = r.groupby("date")["value"].mean()
            m = m[m.index >= mean.index.min()]
            if not m.empty:
                ax.plot(pd.to_datetime(m.index), m.to_numpy(), color="#888888", lw=0.9, label="reference run")
        w = warmup[(warmup["scenario"] == scenario) & (warmup["series"] == name)]
        if not w.empty:
            configured = int(w["configured_days"].iloc[0])
            if configured > 0:
                ax.axvspan(
                    x[0],
                    x[min(configured, len(x) - 1)],
                    color="#cccccc",
                    alpha=0.5,
                    label="warm-up (not reported)",
                )
            column = "coupled_days" if "coupled_days" in w.columns else "mser5_days"
            cut = int(w[column].iloc[0])
            if cut >= 0:
                label = "agrees from" if column == "coupled_days" else "MSER-5 cut"
                ax.axvline(x[min(cut, len(x) - 1)], color="black", ls="--", lw=1.2, label=label)
        ax.set_title(_literal(labels.get(name, name)), fontsize=12)
        ax.set_ylabel("patients", fontsize=12)
        _date_axis(ax)
    axes[0].legend(loc="lower right", fontsize=10, framealpha=0.9)
    fig.suptitle(f"Filling up from the start: daily series of {_literal(scenario)}", fontsize=14)
    return fig


def _impact_limits(ax: Axes, g: pd.DataFrame) -> None:
    """Shade ±MID (column ``mid``, the minimum important difference, when present) and keep the
    x axis at least that wide and symmetric about 0 when the panel's differences are all about
    zero, so an unchanged scenario shows "0" on a sensible scale, not a 1e-17 axis."""
    mids = pd.to_numeric(g["mid"], errors="coerce") if "mid" in g.columns else pd.Series(dtype=float)
    mid = float(mids.max()) if mids.notna().any() else 0.0
    if mid > 0:
        ax.axvspan(-mid, mid, color="#eeeeee", zorder=0, lw=0)
    values = pd.concat([g[c] for c in ("difference", "low", "high") if c in g.columns])
    values = pd.to_numeric(values, errors="coerce").dropna()
    span = float(values.abs().max()) if not values.empty else 0.0
    if span <= 1e-9 * max(1.0, mid):  # every difference is (numerically) zero
        half = 1.2 * mid if mid > 0 else 1.0
        ax.set_xlim(-half, half)
    elif mid > 0:
        lo, hi = ax.get_xlim()
        ax.set_xlim(min(lo, -1.2 * mid), max(hi, 1.2 * mid))


def impact_chart(impacts: pd.DataFrame, level: float = 0.95) -> Figure:
    """One panel per headline measure: each scenario's difference from the base (dot) with its
    interval (bar); green where the interval shows an improvement, red a deterioration, grey
    where it includes no change. ``impacts``: :func:`simcare.report.headline.impact_table`."""
    labels = list(dict.fromkeys(impacts["label"]))
    scenarios = list(dict.fromkeys(impacts["scenario"]))
    ncols = 2
    nrows = -(-len(labels) // ncols)
    fig = Figure(figsize=(WIDTH, 0.35 * len(scenarios) * nrows + 1.1 * nrows + 0.8), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    colour = {"better": "#2e933c", "worse": "#c62828"}
    for i, label in enumerate(labels):
        ax = axes[i // ncols][i % ncols]
        g = impacts[impacts["label"] == label].set_index("scenario").reindex(scenarios)
        y = np.arange(len(scenarios))[::-1]
        for yy, (_, r) in zip(y, g.iterrows(), strict=True):
            if pd.isna(r["difference"]):
                continue
            c = colour.get(str(r["verdict"]), "#777777")
            err = None if pd.isna(r["low"]) else [[r["difference"] - r["low"]], [r["high"] - r["difference"]]]
            ax.errorbar(r["difference"], yy, xerr=err, fmt="o", color=c, capsize=3, ms=5)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_ylim(-0.6, len(scenarios) - 0.4)
        ax.margins(x=0.15)
        _impact_limits(ax, g)
        ax.set_yticks(y, [_literal(sc) for sc in scenarios], fontsize=11)
        unit = str(g["unit"].dropna().iloc[0]) if g["unit"].notna().any() else ""
        unit = "percentage points" if unit == "%" else unit
        ax.set_xlabel(f"difference from base ({_literal(unit)})", fontsize=11)
        ax.set_title(_literal(label), fontsize=12)
        ax.grid(True, axis="x", color="#dddddd", lw=0.6)
        ax.tick_params(axis="x", labelsize=11)
    for k in range(len(labels), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    fig.suptitle(
        f"Impact of each scenario against the base ({100 * level:g} % intervals)\n"
        "green: better, red: worse, grey: no clear or material change;\n"
        "shaded: within the minimum important difference",
        fontsize=14,
    )
    return fig


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def published_chart(
    model: pd.DataFrame, published: pd.DataFrame, panels: Sequence[tuple[str, str, str]], scenario_label: str
) -> Figure:
    """Monthly model figures (dots with interval bars) beside published ones (open markers), by
    calendar month.

    ``model``: columns ``kpi, group, period`` ("YYYY-MM"), ``mean, low, high``; ``published``:
    columns ``kpi, group, month`` ("YYYY-MM"), ``value``, ``label`` (which published series, e.g.
    "published winter 2023/24"); ``panels``: (kpi, group, title with unit)."""
    ncols = 2
    nrows = -(-len(panels) // ncols)
    fig = Figure(figsize=(WIDTH, 3.4 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    series_labels = list(dict.fromkeys(published["label"])) if not published.empty else []
    markers = ("s", "^", "D", "v")
    for i, (kpi, group, title) in enumerate(panels):
        ax = axes[i // ncols][i % ncols]
        m = model[(model["kpi"] == kpi) & (model["group"] == group)].sort_values("period")
        months = list(m["period"])
        x = np.arange(len(months))
        err = np.vstack([m["mean"] - m["low"], m["high"] - m["mean"]])
        ax.errorbar(
            x,
            m["mean"],
            yerr=None if np.isnan(err).all() else err,
            fmt="o-",
            color=COLOURS[0],
            capsize=3,
            label=f"model: {_literal(scenario_label)}",
        )
        cal = [p[5:7] for p in months]
        for j, label in enumerate(series_labels):
            p = published[
                (published["kpi"] == kpi) & (published["group"] == group) & (published["label"] == label)
            ]
            if p.empty:
                continue
            by_month = dict(zip(p["month"].str[5:7], p["value"], strict=True))
            y = [by_month.get(c, np.nan) for c in cal]
            ax.plot(
                x,
                y,
                ls="none",
                marker=markers[j % len(markers)],
                mfc="none",
                ms=7,
                color=COLOURS[(j + 1) % len(COLOURS)],
                mew=1.5,
                label=_literal(label),
            )
        ax.set_xticks(x, [f"{MONTH_NAMES[int(p[5:7]) - 1]}\n{p[:4]}" for p in months], fontsize=11)
        ax.set_title(_literal(title), fontsize=12)
        ax.grid(True, color="#dddddd", lw=0.6)
        ax.tick_params(axis="y", labelsize=11)
    for k in range(len(panels), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    axes[0][0].legend(loc="best", fontsize=10, framealpha=0.9)
    fig.suptitle("Model by month beside published figures for the same calendar months", fontsize=14)
    return fig
