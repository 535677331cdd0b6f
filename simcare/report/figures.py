"""Figures of one run, for people: labelled axes, units and plain titles."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no screen needed; figures are saved or embedded, never shown

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from simcare.engine.result import RunResult  # noqa: E402


def daily_profile_figure(result: RunResult, warmup_hours: int = 24) -> Figure:
    """Average by hour of day (after the warm-up) of patients in service and waiting, with the
    servers in force, one panel per service. Returns the Figure."""
    S = len(result.service_names)
    fig = Figure(figsize=(4.2 * S, 3.6), layout="constrained")
    axes = fig.subplots(1, S, sharey=False, squeeze=False)[0]
    hours = np.arange(result.in_service.shape[1])
    keep = hours >= warmup_hours
    hod = hours[keep] % 24
    for s, ax in enumerate(axes):

        def by_hour(series: np.ndarray, s: int = s) -> np.ndarray:
            x = series[s, keep]
            return np.array([x[hod == h].mean() for h in range(24)])

        in_service = by_hour(result.in_service)
        waiting = by_hour(result.waiting)
        ax.bar(range(24), in_service, color="#4c72b0", label="in service")
        ax.bar(range(24), waiting, bottom=in_service, color="#dd8452", label="waiting")
        capacity = by_hour(result.capacity)
        if np.isfinite(capacity).all():
            ax.step(
                np.arange(25) - 0.5,
                np.append(capacity, capacity[-1]),
                where="post",
                color="black",
                lw=1.5,
                label="servers",
            )
        ax.set_title(result.service_names[s])
        ax.set_xlabel("hour of day")
        ax.set_xticks(range(0, 24, 4))
        if s == 0:
            ax.set_ylabel("patients (mean over the run)")
    axes[-1].legend(loc="upper left", fontsize=8)
    days = (result.in_service.shape[1] - warmup_hours) / 24
    fig.suptitle(
        f"Average patients by hour of day over {days:.0f} days "
        f"(seed {result.provenance.get('seed')}, {result.provenance.get('engine')} engine)"
    )
    return fig
