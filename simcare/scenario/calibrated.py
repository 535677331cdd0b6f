"""Whether a scenario is calibrated: does its ``extends`` chain reach an overlay written by
``simcare calibrate``, and how well did that calibration fit?

An overlay written by :func:`simcare.calibration.fit.write_outputs` starts with
:data:`FITTED_HEADER` and states its fit window on the next line; its errors JSON (``fit``: the
window, ``in_sample_limits``: each target's mean absolute error against its limit) sits beside it.
Only a file that carries that header counts: a hand-written file is never called calibrated.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from simcare.files import MAX_INPUT_BYTES
from simcare.scenario.load import read_yaml

FITTED_HEADER = "# Fitted by `simcare calibrate"
_WINDOW = re.compile(r"^# Fit window (\d{4}-\d{2}) \.\. (\d{4}-\d{2})", re.MULTILINE)
MAX_CHAIN = 50


@dataclass(frozen=True)
class Calibration:
    """The fitted overlay a scenario extends: its path (as reached from the scenario file), the
    fit window (``YYYY-MM``), and the targets whose mean absolute error over the window met
    (``met``) or missed (``missed``) its limit: measure names as in the errors JSON
    (``ae_within_4h``), each once (missed if any organisation missed it); empty when the errors
    JSON is not found."""

    overlay: str
    fit_from: str
    fit_until: str
    met: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()


def _head(path: Path) -> str:
    with path.open(encoding="utf-8", errors="replace") as f:
        return f.read(4096)


def _limits(folder: Path, window: tuple[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(met, missed) from the errors JSON of ``folder`` fitted over ``window`` (none: empty)."""
    for candidate in sorted(folder.glob("*errors.json")):
        try:
            if candidate.stat().st_size > MAX_INPUT_BYTES:
                continue
            data = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or tuple(data.get("fit") or ()) != window:
            continue
        limits = data.get("in_sample_limits")
        if not isinstance(limits, dict):
            continue
        passed: dict[str, bool] = {}
        for key, entry in limits.items():
            measure = str(key).split(" ")[0]
            ok = bool(isinstance(entry, dict) and entry.get("pass"))
            passed[measure] = passed.get(measure, True) and ok
        return (
            tuple(m for m, ok in passed.items() if ok),
            tuple(m for m, ok in passed.items() if not ok),
        )
    return (), ()


def fitted_overlay(path: str | Path) -> Calibration | None:
    """The first overlay written by ``simcare calibrate`` in the ``extends`` chain of the scenario
    file ``path`` (itself included), or None. Call it on a file that has been loaded (its chain
    is then known to be readable and confined); an unreadable link ends the search."""
    current, display = Path(path), str(path)
    for _ in range(MAX_CHAIN):
        try:
            head = _head(current)
        except OSError:
            return None
        if head.startswith(FITTED_HEADER):
            m = _WINDOW.search(head)
            window = (m.group(1), m.group(2)) if m else ("", "")
            met, missed = _limits(current.parent, window) if m else ((), ())
            return Calibration(display, window[0], window[1], met, missed)
        data, _ = read_yaml(current, display)
        parent = data.get("extends") if isinstance(data, dict) else None
        if not isinstance(parent, str) or not parent.strip():
            return None
        current = current.parent / parent
        display = os.path.normpath(os.path.join(os.path.dirname(display), parent))
    return None
