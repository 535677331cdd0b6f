"""simcare: discrete-event simulation of NHS urgent and emergency care demand and capacity.

Public API::

    from simcare import Network, Roster, Exponential, run
    net = Network(horizon="28d")
    ...
    result = run(net.compile(), seed=2025)

Nothing runs at import time; numba kernels compile (or load from cache) on first use.
"""

from simcare._version import __version__
from simcare.engine import run
from simcare.engine.result import RunResult
from simcare.errors import (
    ConservationError,
    DeadlockError,
    EngineError,
    ModelError,
    SimcareError,
)
from simcare.model.compiled import CompiledModel
from simcare.network import Network, Roster
from simcare.sampling.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
    Weibull,
)
from simcare.sampling.draws import RunDraws, draw, draws_from_arrivals

__all__ = [
    "CompiledModel",
    "ConservationError",
    "DeadlockError",
    "Distribution",
    "Empirical",
    "EngineError",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "ModelError",
    "Network",
    "Normal",
    "Roster",
    "RunDraws",
    "RunResult",
    "SimcareError",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
    "Weibull",
    "__version__",
    "draw",
    "draws_from_arrivals",
    "run",
]
