"""Built-in example networks: the engine benchmark's reference network and a small ED example."""

from __future__ import annotations

import math

import numpy as np

from simcare.model.compiled import CompiledModel
from simcare.network import HOURS_PER_WEEK, Network
from simcare.sampling.distributions import Exponential


def sinusoidal_hour_of_week(amplitude: float = 0.5, peak_hour: float = 14.0) -> np.ndarray:
    """168 multipliers with mean 1: 1 + amplitude * cos(2 pi (hour - peak) / 24), each hour's
    value the sinusoid's average over that hour (so the daily mean is exactly 1)."""
    h = np.arange(HOURS_PER_WEEK) % 24
    w = 2 * math.pi / 24
    # average of cos over [h, h+1): (sin(w(h+1-peak)) - sin(w(h-peak))) / w
    avg_cos = (np.sin(w * (h + 1 - peak_hour)) - np.sin(w * (h - peak_hour))) / w
    return 1.0 + amplitude * avg_cos


def reference_network(hours: float = 100_000, sinusoidal: bool = False) -> CompiledModel:
    """The engine benchmark network: Poisson arrivals 10/h -> triage (2 servers, exponential
    mean 5 min) -> minors with probability 0.3 (3 servers, mean 30 min), else majors (8 servers,
    mean 45 min) -> out. With ``sinusoidal``, an hour-of-day sinusoidal rate of the same mean."""
    net = Network(horizon_hours=hours)
    net.add_service("triage", servers=2, service_time=Exponential(5))
    net.add_service("minors", servers=3, service_time=Exponential(30))
    net.add_service("majors", servers=8, service_time=Exponential(45))
    net.add_route("triage", [("minors", 0.3), ("majors", 0.7)])
    net.add_arrivals(
        "walk_in",
        to="triage",
        rate_per_hour=10.0,
        hour_of_week=sinusoidal_hour_of_week() if sinusoidal else None,
    )
    return net.compile()
