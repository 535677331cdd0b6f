"""Where the spread between replications comes from: parameter sets or chance.

A run that draws parameter sets (:mod:`simcare.scenario.sets`) gives replication r set
``r mod n``, so the replications of a KPI fall into ``n`` groups of (nearly) equal size. The
one-way random-effects analysis of variance over the set index splits their variance into

* **within** (stochastic): the pooled variance of replications that share a set,
  ``MSW = sum_i sum_j (x_ij - mean_i)^2 / (N - k)``;
* **between** (parameter): the variance of the set means beyond what the noise of a mean of
  ``m`` replications explains, ``(MSB - MSW) / m0`` floored at 0, where
  ``MSB = sum_i m_i (mean_i - mean)^2 / (k - 1)`` and ``m0 = (N - sum_i m_i^2 / N) / (k - 1)``
  (``m0 = m`` when every set has ``m`` replications, so then it is
  ``var(set means) - MSW / m``);
* **parameter share** = between / (between + within).

Each set needs at least 2 replications (``2 n`` in all) for the within-set variance; with fewer
the split is not formed and :attr:`VarianceSplit.needed` says how many replications would do.
Variances are in the KPI's unit squared; shares are fractions in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["VarianceSplit", "spread_by_source", "spread_table", "variance_split"]


@dataclass(frozen=True)
class VarianceSplit:
    """One KPI's split. ``sets``: groups seen; ``min_reps``: fewest replications in a set;
    ``within`` / ``between``: variance components (unit squared; NaN when not formed);
    ``parameter_share``: between / (between + within) (NaN when not formed or both are 0);
    ``needed``: replications for a split (2 per set) when there are too few, else 0."""

    sets: int
    min_reps: int
    within: float
    between: float
    parameter_share: float
    needed: int


def variance_split(
    values: Sequence[float] | np.ndarray, sets: Sequence[int] | np.ndarray, n_sets: int | None = None
) -> VarianceSplit:
    """One-way random-effects split of ``values`` (shape (N,)) by their set index ``sets``
    (shape (N,)); ``n_sets``: how many sets the run drew from (default: those seen), for the
    replications needed when a set has fewer than 2 (see the module docstring)."""
    x = np.asarray(values, dtype=np.float64)
    g = np.asarray(sets)
    if x.shape != g.shape or x.ndim != 1:
        raise ValueError(f"values and sets need the same 1-d shape, got {x.shape} and {g.shape}")
    labels, counts = np.unique(g, return_counts=True)
    k = len(labels)
    n = max(int(n_sets or 0), k)
    nan = float("nan")
    if k < 2 or n > k or counts.min() < 2:
        return VarianceSplit(k, int(counts.min()) if k else 0, nan, nan, nan, 2 * max(n, 2))
    N = len(x)
    means = np.array([x[g == lab].mean() for lab in labels])
    within_ss = sum(float(((x[g == lab] - m) ** 2).sum()) for lab, m in zip(labels, means, strict=True))
    msw = within_ss / (N - k)
    msb = float((counts * (means - x.mean()) ** 2).sum()) / (k - 1)
    m0 = (N - float((counts**2).sum()) / N) / (k - 1)
    between = max(0.0, (msb - msw) / m0)
    total = between + msw
    share = between / total if total > 0 else nan
    return VarianceSplit(k, int(counts.min()), msw, between, share, 0)


def spread_by_source(
    table: pd.DataFrame, n_sets: Mapping[str, int], measures: Sequence[tuple[str, str]], period: str = "run"
) -> pd.DataFrame:
    """:func:`variance_split` of each (kpi, group) of ``measures`` at ``period`` for every
    scenario of ``n_sets`` that drew sets (n > 0), replication r in set ``r mod n``.

    ``table``: the tidy KPI table (scenario, replication, kpi, group, period, value, unit).
    Returns one row per (scenario, kpi, group) with columns scenario, kpi, group, unit, sets,
    replications, min_reps, mean, within, between, parameter_share, needed (empty if none drew).
    """
    rows = []
    t = table[table["period"] == period]
    for scenario, n in n_sets.items():
        if n <= 0:
            continue
        s = t[t["scenario"] == scenario]
        for kpi, group in measures:
            r = s[(s["kpi"] == kpi) & (s["group"] == group)]
            if r.empty:
                continue
            reps = r["replication"].to_numpy(dtype=np.int64)
            split = variance_split(r["value"].to_numpy(dtype=np.float64), reps % n, n)
            rows.append(
                {
                    "scenario": scenario,
                    "kpi": kpi,
                    "group": group,
                    "unit": r["unit"].iloc[0],
                    "sets": n,
                    "replications": len(r),
                    "min_reps": split.min_reps,
                    "mean": float(r["value"].mean()),
                    "within": split.within,
                    "between": split.between,
                    "parameter_share": split.parameter_share,
                    "needed": split.needed,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "kpi",
            "group",
            "unit",
            "sets",
            "replications",
            "min_reps",
            "mean",
            "within",
            "between",
            "parameter_share",
            "needed",
        ],
    )


def spread_table(
    table: pd.DataFrame,
    n_sets: Mapping[str, int],
    measures: Sequence[tuple[str, str, str]],
    period: str = "run",
) -> pd.DataFrame:
    """:func:`spread_by_source` of ``measures`` (kpi, group, label) with a ``label`` column; an
    empty frame (no columns) when no scenario of ``n_sets`` (name -> sets drawn) drew sets."""
    if not any(n > 0 for n in n_sets.values()):
        return pd.DataFrame()
    split = spread_by_source(table, n_sets, [(k, g) for k, g, _ in measures], period)
    labels = {(k, g): label for k, g, label in measures}
    return split.assign(label=[labels[k, g] for k, g in zip(split["kpi"], split["group"], strict=True)])
