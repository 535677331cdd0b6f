"""The all-England summary page and table (``simcare national STORE --out DIR``).

Per headline measure, one figure of two ranked panels: every ICB's baseline (mean and 95 %
interval) with its published figure of April-November 2024, and the impact of the combined
intervention (paired difference and interval). The page embeds the figures (data: PNG) under
the Content-Security-Policy of every simcare page; names from the store are escaped.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from markupsafe import Markup  # noqa: E402

from simcare.files import atomic_write_text  # noqa: E402
from simcare.html_policy import csp_meta  # noqa: E402
from simcare.icb.summary import MEASURES, Measure  # noqa: E402
from simcare.report.files import write_csv  # noqa: E402
from simcare.report.html import CSS, _environment, _png, _table  # noqa: E402

#: the intervention drawn in the impact panels
DRAWN = "combined"


def measure_figure(summary: pd.DataFrame, m: Measure) -> plt.Figure | None:
    """The two ranked panels of measure ``m``, or None if the summary has no baseline of it."""
    rows = summary[summary["measure"] == m.kpi]
    base = rows[rows["what"] == "baseline"].sort_values("mean")
    if base.empty:
        return None
    impact = rows[rows["what"] == DRAWN].set_index("icb").reindex(base["icb"]).dropna(subset=["mean"])
    height = 1.4 + 0.22 * len(base)
    fig, axes = plt.subplots(1, 2 if len(impact) else 1, figsize=(11, height), squeeze=False, sharey=True)
    y = range(len(base))
    ax = axes[0, 0]
    ax.barh(
        list(y), base["mean"], xerr=[base["mean"] - base["low"], base["high"] - base["mean"]], color="#9ecae1"
    )
    ax.plot(base["published"], list(y), "k|", markersize=10, label="published, Apr-Nov 2024")
    ax.set_yticks(list(y), base["icb"], fontsize=8)
    ax.set_xlabel(f"{m.label} ({m.unit}), baseline winter 2025/26")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=8, frameon=False)
    if len(impact):
        ax2 = axes[0, 1]
        order = [list(base["icb"]).index(name) for name in impact.index]
        good = (impact["mean"] > 0) == m.higher_is_better
        ax2.barh(
            order,
            impact["mean"],
            xerr=[impact["mean"] - impact["low"], impact["high"] - impact["mean"]],
            color=["#1b7a2e" if g else "#b71c1c" for g in good],
        )
        ax2.axvline(0.0, color="k", lw=0.8)
        unit = "percentage points" if m.unit == "%" else m.unit
        ax2.set_xlabel(f"change with the {DRAWN} intervention ({unit})")
    fig.tight_layout()
    return fig


def _display(summary: pd.DataFrame) -> pd.DataFrame:
    shown = summary.copy()
    for c in ("mean", "low", "high", "published"):
        shown[c] = shown[c].map(lambda v: "" if pd.isna(v) else f"{v:.1f}".replace("-0.0", "0.0"))
    return shown[["icb", "label", "unit", "what", "n", "mean", "low", "high", "published"]]


def write_national(summary: pd.DataFrame, out: str | Path, reps: int) -> list[Path]:
    """Write ``national_summary.csv.gz``, one ``national_<measure>.png`` per measure and
    ``national.html`` into ``out``; return their paths."""
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    written = [write_csv(root / "national_summary.csv.gz", summary)]
    figures = []
    for m in MEASURES:
        fig = measure_figure(summary, m)
        if fig is None:
            continue
        png = root / f"national_{m.kpi}.png"
        fig.savefig(png, dpi=100, metadata={"Software": None})
        written.append(png)
        figures.append((f"{m.label}: every ICB's baseline and the {DRAWN} intervention's change", _png(fig)))
        plt.close(fig)
    n_interventions = summary.loc[summary["what"] != "baseline", "what"].nunique()
    html = (
        _environment()
        .get_template("national.html.j2")
        .render(
            csp=Markup(csp_meta(CSS)),
            css=Markup(CSS),
            title="All England: uncalibrated ICB baselines and interventions",
            n_icbs=summary["icb_code"].nunique(),
            n_interventions=n_interventions,
            reps=reps,
            figures=figures,
            table=_table(_display(summary), numeric=["n", "mean", "low", "high", "published"]),
        )
    )
    written.append(atomic_write_text(root / "national.html", html))
    return written
