"""The dose-response view of a store report: the headline measures' impact against the one lever
a batch grid varies (:func:`simcare.analysis.dose_response.dose_response`).

- :func:`lever_words`: a parameter column in words (``levers.discharge_capacity.increase_pct``
  -> ``discharge capacity increase (%)``).
- :func:`dose_response_figure`: one panel per headline, the difference (dot, line) with its
  interval (bar) against the lever's value.
- :func:`dose_response_outputs`: the table, the report section and the terminal text for a tidy
  table whose scenarios differ in one numeric lever (None when they do not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure

from simcare.analysis.dose_response import dose_response, grid_lever
from simcare.errors import SimcareError
from simcare.report.headline import Headline, available_headlines
from simcare.report.html import _png, _render
from simcare.report.winter_figures import _literal

__all__ = ["DoseResponse", "dose_response_figure", "dose_response_outputs", "lever_words"]

_UNITS = {"_pct": "%", "_min": "minutes"}


def lever_words(column: str) -> str:
    """A parameter column in words: the last two parts of its dotted path, underscores as
    spaces, the unit suffix of :mod:`simcare.batch.parameters` in brackets."""
    unit = next((u for s, u in _UNITS.items() if column.endswith(s)), None)
    path = column[: -len(next(s for s in _UNITS if column.endswith(s)))] if unit else column
    parts = [p for p in path.split(".") if p and p != "levers"][-2:]
    words = " ".join(parts).replace("_", " ")
    return f"{words} ({unit})" if unit else words


def dose_response_figure(dr: pd.DataFrame, headlines: list[Headline], lever: str, level: float) -> Figure:
    """One panel per headline (kpi, group) of ``dr`` (:func:`dose_response` rows): the
    difference from the reference against the lever's value, the bar its ``level`` interval."""
    ncols = 2 if len(headlines) > 1 else 1
    nrows = -(-len(headlines) // ncols)
    fig = Figure(figsize=(5.2 * ncols, 2.8 * nrows + 0.4), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, h in enumerate(headlines):
        ax = axes[i // ncols][i % ncols]
        g = dr[(dr["kpi"] == h.kpi) & (dr["group"] == h.group)].sort_values("lever_value")
        x, y = g["lever_value"].to_numpy(float), g["difference"].to_numpy(float)
        err = np.vstack([y - g["low"].to_numpy(float), g["high"].to_numpy(float) - y])
        ax.errorbar(x, y, yerr=np.nan_to_num(err), fmt="-o", color="#1f5fa8", capsize=3, ms=5, lw=1.2)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(x, [f"{v:g}" for v in x])  # the grid's values, not round numbers between them
        unit = "percentage points" if h.unit == "%" else h.unit
        ax.set_title(_literal(h.label), fontsize=10)
        ax.set_ylabel(f"difference ({_literal(unit)})", fontsize=9)
        ax.set_xlabel(_literal(lever_words(lever)), fontsize=9)
        ax.grid(True, color="#dddddd", lw=0.6)
        ax.tick_params(labelsize=9)
        low, high = np.nanmin(g["low"].to_numpy(float)), np.nanmax(g["high"].to_numpy(float))
        if np.isfinite(low) and np.isfinite(high) and high - low < 1e-9:
            ax.set_ylim(-1.0, 1.0)  # all differences zero: no 1e-17 axis
    for j in range(len(headlines), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    return fig


@dataclass(frozen=True)
class DoseResponse:
    """table: every KPI's dose-response (:func:`dose_response`, periods run and months);
    section: the report's section; text: lines for the terminal."""

    table: pd.DataFrame
    section: Markup
    text: str


def _number(x: float) -> str:
    text = f"{x:+.3g}" if x != 0 else "0"
    return text.replace("-", "\u2212")


def dose_response_outputs(table: pd.DataFrame, base: str, level: float = 0.95) -> DoseResponse | None:
    """The dose-response of a tidy table whose scenarios differ in one numeric lever
    (:func:`~simcare.analysis.dose_response.grid_lever`), differences from ``base``: None when
    no lever varies, several do, or no headline measure is in the table."""
    try:
        lever = grid_lever(table)
    except SimcareError:
        return None
    heads = available_headlines(table)
    if lever is None or not heads:
        return None
    periods = [p for p in pd.unique(table["period"]) if len(str(p)) <= 7]
    dr = dose_response(table, lever, base, level, periods=periods)
    run = dr[dr["period"] == "run"]
    pct = f"{100 * level:g} %"
    rows, lines = [], [f"dose-response against {lever} (differences from {base}, {pct} intervals):"]
    for h in heads:
        g = run[(run["kpi"] == h.kpi) & (run["group"] == h.group)]
        steps = []
        records: list[dict[Any, Any]] = g.to_dict("records")
        for r in records:
            interval = f"{_number(float(r['low']))} to {_number(float(r['high']))}"
            value, difference = f"{float(r['lever_value']):g}", _number(float(r["difference"]))
            rows.append(
                {
                    "measure": h.label,
                    "value": value,
                    "difference": f"{difference} {h.unit}",
                    "interval": interval,
                }
            )
            steps.append(f"{value}: {difference} ({interval})")
        lines.append(f"  {h.label} [{h.unit}]: " + "; ".join(steps))
    png = _png(dose_response_figure(run, heads, lever, level))
    section = _render(
        "dose_response.html.j2", png=png, lever=lever_words(lever), reference=base, pct=pct, rows=rows
    )
    return DoseResponse(dr, section, "\n".join(lines))
