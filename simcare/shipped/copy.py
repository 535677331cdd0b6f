"""``simcare scenarios``: list the shipped systems, or copy one into a folder of the user's.

A copy is a small simcare project of its own, laid out as the repository is, so the shipped files'
relative paths keep working and ``simcare validate``, ``run``, ``compare`` and ``calibrate`` read
it with no edits::

    DIR/.simcare-root                           marks DIR as the project root (docs/security.md)
    DIR/scenarios/<system>/*.yaml
    DIR/calibration/<system>.yaml               when the system has a calibration spec
    DIR/calibration/fitted/<system>_fitted*.yaml, its posterior samples (*.csv), fit errors (*.json)
                                                and fit reports (*.html)
    DIR/calibration/data/                       when the spec reads published files from there
"""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path

import yaml

from simcare.errors import SimcareError
from simcare.files import ROOT_MARKERS, atomic_write, atomic_write_text
from simcare.shipped import calibration_folder, scenarios_folder, systems

#: the marker written at the top of a copy, so files there may refer to each other (files.py)
MARKER = ROOT_MARKERS[-1]
#: the published-data folder a calibration spec names with ``data: data``
DATA = "data"


def _system(name: str) -> str:
    key = name.strip().lower()
    if key not in systems():
        raise SimcareError(f"simcare scenarios: no shipped system '{name}' (shipped: {', '.join(systems())})")
    return key


def _uses_shipped_data(spec: Path) -> bool:
    """Whether a calibration spec reads the shipped published extracts (``data: data``)."""
    raw = yaml.safe_load(spec.read_text(encoding="utf-8"))
    return isinstance(raw, dict) and raw.get("data") == DATA


def files_of(name: str) -> dict[Path, Path]:
    """Where each shipped file of system ``name`` goes in a copy (relative path) -> its source."""
    key = _system(name)
    out: dict[Path, Path] = {}
    for src in sorted((scenarios_folder() / key).glob("*.yaml")):
        out[Path("scenarios", key, src.name)] = src
    calibration = calibration_folder()
    spec = calibration / f"{key}.yaml"
    if spec.is_file():
        out[Path("calibration", spec.name)] = spec
        if _uses_shipped_data(spec):
            data = calibration / DATA
            for src in sorted(p for p in data.rglob("*") if p.is_file() and p.suffix in {".csv", ".md"}):
                out[Path("calibration", DATA, src.relative_to(data))] = src
    for pattern in (f"{key}_fitted*.yaml", f"{key}_fitted*.csv", f"{key}_fit_*.json", f"{key}_fit_*.html"):
        for src in sorted((calibration / "fitted").glob(pattern)):
            out[Path("calibration", "fitted", src.name)] = src
    return out


def _copy(src: Path, tmp: Path) -> None:
    shutil.copyfile(src, tmp)


def copy_system(name: str, out: str | Path, *, force: bool = False) -> list[Path]:
    """Copy shipped system ``name`` into folder ``out``; return the paths written (the marker
    first). Every target is checked before any is written, so a refusal writes nothing."""
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise SimcareError(f"{root}: not a folder")
    plan = files_of(name)
    if not force:
        for rel in plan:
            if (root / rel).exists():
                raise SimcareError(f"{root / rel}: already exists (use --force to overwrite it)")
    root.mkdir(parents=True, exist_ok=True)
    marker = root / MARKER
    written = [marker if marker.exists() else atomic_write_text(marker, "")]
    for rel, src in plan.items():
        written.append(atomic_write(root / rel, partial(_copy, src)))
    return written


def listing() -> str:
    """One line per shipped system: its name and scenario files."""
    lines = []
    for key in systems():
        names = sorted(p.stem for p in (scenarios_folder() / key).glob("*.yaml"))
        lines.append(f"{key}  {', '.join(names)}\n")
    return "".join(lines)
