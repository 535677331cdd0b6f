"""The system map: NHS 111 -> ambulance -> hubs -> EDs -> beds -> discharge pathways, drawn as a
graphviz diagram whose boxes show what one replication had in service, queueing and blocked,
day by day and hour by hour.

The state comes from the engine's hourly series (:class:`simcare.engine.result.RunResult`:
``in_service``, ``waiting``, ``blocked``, ``capacity``, each (services S, hours H), time-averaged
patients per hour), summed over the services of each box.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simcare.engine import run
from simcare.model import services
from simcare.pipeline import compiled

#: box -> (title, stage); stages are drawn left to right in this order
STAGES = ("111", "ambulance", "hubs", "ed", "beds", "d2a")


@dataclass(frozen=True)
class MapState:
    """Hourly state of every box of the map for one replication.

    boxes: box id -> (label, stage). ``in_service``, ``waiting``, ``blocked``, ``capacity``:
    float arrays (boxes B, hours H), patients (capacity: servers), in the order of ``boxes``;
    ``in_use``: servers of the box's main services (those counted in ``capacity``: ED cubicles,
    not triage or the corridor) holding a patient, in service or blocked (patients).
    origin: the first simulated day (hour 0 is its midnight); warm_up_days: days before the
    reported window."""

    boxes: dict[str, tuple[str, str]]
    in_use: np.ndarray
    in_service: np.ndarray
    waiting: np.ndarray
    blocked: np.ndarray
    capacity: np.ndarray
    origin: dt.date
    warm_up_days: int

    @property
    def days(self) -> int:
        return int(self.in_service.shape[1] // 24)

    def at(self, day: int, hour: int | None = None) -> pd.DataFrame:
        """One row per box at ``day`` (0 = first simulated day): the hour's values, or the day's
        means when ``hour`` is None; columns ``box, label, stage, in_use, in_service, waiting,
        blocked, capacity, occupancy`` (occupancy: in use / capacity; capacity and occupancy NaN
        for a service without a limit)."""
        if not 0 <= day < self.days:
            raise ValueError(f"day {day} is outside 0..{self.days - 1}")
        cols = slice(day * 24, day * 24 + 24) if hour is None else slice(day * 24 + hour, day * 24 + hour + 1)
        values = {
            k: getattr(self, k)[:, cols].mean(axis=1)
            for k in ("in_use", "in_service", "waiting", "blocked", "capacity")
        }
        frame = pd.DataFrame(
            {
                "box": list(self.boxes),
                "label": [v[0] for v in self.boxes.values()],
                "stage": [v[1] for v in self.boxes.values()],
                **values,
            }
        )
        cap = frame["capacity"].to_numpy()
        limited = np.isfinite(cap) & (cap > 0)  # unlimited services (no roster): no capacity shown
        frame["capacity"] = np.where(limited, cap, np.nan)
        busy = frame["in_use"].to_numpy()
        frame["occupancy"] = np.where(limited, busy / np.where(limited, cap, 1.0), np.nan)
        return frame

    def daily(self, what: str = "waiting") -> pd.DataFrame:
        """Daily means of ``what`` (in_service, waiting or blocked): index date, a column per box."""
        values = getattr(self, what)[:, : self.days * 24].reshape(len(self.boxes), self.days, 24).mean(axis=2)
        index = pd.to_datetime([self.origin + dt.timedelta(days=d) for d in range(self.days)])
        return pd.DataFrame(values.T, index=index, columns=[v[0] for v in self.boxes.values()])


def _box_of(service: str) -> tuple[str, str, str] | None:
    """(box id, label, stage) of an engine service name, or None for services not drawn. A box
    is named after its main service (``ed:SITE`` also holds the site's triage, corridor and
    opening hours); the D2A box of a pathway, ``d2a:PATHWAY``, holds every local authority's."""
    if service in services.NHS111 or service == services.CAS:
        return "nhs111", "NHS 111 and CAS", "111"
    if service == services.AMBULANCE:
        return services.AMBULANCE, "Ambulance", "ambulance"
    kind, parts = services.parse(service)
    if kind == services.HUB:
        return services.hub(parts[0]), f"Hub {parts[0]}", "hubs"
    if kind in (services.SDEC, services.SDEC_REFERRAL):
        return services.sdec(parts[0]), f"SDEC {parts[0]}", "hubs"
    if kind in (services.ED, services.ED_TRIAGE, services.ED_CORRIDOR, services.ED_HOURS):
        return services.ed(parts[0]), f"ED {parts[0]}", "ed"
    if kind == services.BEDS:
        return services.beds(parts[0]), f"Beds {parts[0]}", "beds"
    if kind == services.D2A:
        pathway = parts[0]
        return services.SEP.join((services.D2A, pathway)), f"Discharge {pathway}", "d2a"
    return None


def map_state(path: str, replication: int = 0, seed: int | None = None) -> MapState:
    """Run replication ``replication`` of a scenario file (compiled once per process, by scenario
    hash) and sum its hourly state into the boxes of the map."""
    cs, _ = compiled(path)
    result = run(cs.model, seed=cs.seed if seed is None else seed, replication=replication)
    boxes: dict[str, tuple[str, str]] = {}
    rows: dict[str, list[int]] = {}
    for i, name in enumerate(result.service_names):
        found = _box_of(name)
        if found is None:
            continue
        box, label, stage = found
        boxes.setdefault(box, (label, stage))
        rows.setdefault(box, []).append(i)
    order = sorted(boxes, key=lambda b: (STAGES.index(boxes[b][1]), b))
    boxes = {b: boxes[b] for b in order}

    def summed(array: np.ndarray) -> np.ndarray:
        return np.stack([array[rows[b]].sum(axis=0) for b in order])

    # capacity: servers of the boxes' main services (ED cubicles, not triage, the corridor or the
    # opening-hours gate)
    cap_rows = {
        b: [
            i
            for i in rows[b]
            if not services.is_kind(
                result.service_names[i], services.ED_TRIAGE, services.ED_CORRIDOR, services.ED_HOURS
            )
        ]
        for b in order
    }
    capacity = np.stack([result.capacity[cap_rows[b]].sum(axis=0) for b in order])
    held = result.in_service + result.blocked
    in_use = np.stack([held[cap_rows[b]].sum(axis=0) for b in order])
    return MapState(
        boxes=boxes,
        in_use=in_use,
        in_service=summed(result.in_service),
        waiting=summed(result.waiting),
        blocked=summed(result.blocked),
        capacity=capacity,
        origin=cs.timeline.origin,
        warm_up_days=cs.timeline.warm_up_hours // 24,
    )


def _colour(occupancy: float) -> str:
    """Fill colour: green below 85 % of capacity in use, amber to 95 %, red above."""
    if not np.isfinite(occupancy):
        return "#eeeeee"
    if occupancy < 0.85:
        return "#cfe8d5"
    if occupancy < 0.95:
        return "#f6dfa6"
    return "#f2b8b5"


def map_dot(state: pd.DataFrame, title: str = "") -> str:
    """Graphviz DOT of the map for one row-per-box frame from :meth:`MapState.at`: boxes by stage
    left to right, each with patients in service / capacity, waiting and blocked, coloured by
    occupancy; arrows follow the patient flow between stages."""
    lines = [
        "digraph system {",
        '  rankdir=LR; node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        f'  label="{title}"; labelloc=t; fontname="Helvetica";',
    ]
    stages: dict[str, list[str]] = {}
    for r in state.to_dict("records"):
        cap, used, busy, queue, held = (
            float(r[k]) for k in ("capacity", "in_use", "in_service", "waiting", "blocked")
        )
        first = f"in use {used:,.1f} / {cap:,.0f}" if np.isfinite(cap) else f"in service {busy:,.1f}"
        text = f"{r['label']}\\n{first}\\nwaiting {queue:,.1f}"
        if held > 0.05:
            text += f"\\nblocked {held:,.1f}"
        node = str(r["box"]).replace(":", "_")
        lines.append(f'  {node} [label="{text}", fillcolor="{_colour(float(r["occupancy"]))}"];')
        stages.setdefault(str(r["stage"]), []).append(node)
    for nodes in stages.values():
        lines.append("  { rank=same; " + "; ".join(nodes) + "; }")
    flows = [("111", "ambulance"), ("111", "hubs"), ("111", "ed"), ("ambulance", "ed"), ("hubs", "ed")]
    flows += [("ed", "beds"), ("hubs", "beds"), ("beds", "d2a")]
    for a, b in flows:
        for x in stages.get(a, []):
            for y in stages.get(b, []):
                if a == "hubs" and b == "beds" and not x.startswith("sdec"):
                    continue  # only SDEC admits to beds
                lines.append(f'  {x} -> {y} [color="#8a8a8a"];')
    lines.append("}")
    return "\n".join(lines)
