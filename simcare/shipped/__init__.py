"""The systems simcare ships, as package data: their scenario files, fitted calibration overlays,
calibration specs and (for BNSSG) the published extracts they were fitted to.

In a source checkout the folders here are symbolic links to the repository's own ``scenarios/``
and ``calibration/`` files, so there is one copy of each file; a built wheel holds real copies
(``pyproject.toml``, package data), laid out the same way, so every relative ``extends:``,
``scenario:`` and ``data:`` path in them resolves in both::

    scenarios/<system>/*.yaml                  the shipped scenarios (baseline, interventions, ...)
    calibration/<system>.yaml                  the calibration spec (``simcare calibrate``)
    calibration/fitted/<system>_fitted*.yaml   the fitted overlay each baseline extends
    calibration/data/                          BNSSG's published extracts, with SOURCES.md

``simcare scenarios SYSTEM --out DIR`` copies one system out of here (:mod:`simcare.shipped.copy`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def root() -> Path:
    """The shipped folder, symbolic links resolved (the repository's own folders in a checkout)."""
    return Path(str(resources.files(__name__))).resolve()


def scenarios_folder() -> Path:
    """The folder of shipped systems: one sub-folder of scenario files per system."""
    return (root() / "scenarios").resolve()


def calibration_folder() -> Path:
    """The folder of calibration specs, fitted overlays (``fitted/``) and BNSSG data (``data/``)."""
    return (root() / "calibration").resolve()


def systems() -> tuple[str, ...]:
    """The shipped systems' names (``bnssg``, ``hwe``, ...), sorted."""
    folder = scenarios_folder()
    return tuple(sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.yaml"))))
