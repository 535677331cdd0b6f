"""The fitted overlay's ``parameter_sets`` section, built from the plausible sample.

The sample (``bnssg_fitted_sample.csv``: columns wave, implausibility, then one multiplier per
calibration parameter, relative to the *uncalibrated* scenario; row 0 is the best set, whose
values the overlay holds) becomes, for its first ``posterior_sets`` rows, multipliers relative to
the *overlay*: set i = row i / row 0 (so set 0 is all ones), rounded to 6 significant figures.
Applied to the overlay's values these give the uncalibrated values times row i, up to that
rounding and to integer counts (cubicles, D2A slots), which round again.

Rebuild the section of an overlay from its sample without re-fitting::

    python -m simcare.calibration.sets calibration/bnssg.yaml
    python -m simcare.calibration.sets calibration/bnssg.yaml --fit-until 2024-05 --check-until 2024-11
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from simcare.calibration.parameters import Parameter
from simcare.calibration.spec import Spec, SpecError, load_spec
from simcare.files import atomic_write_text

__all__ = ["add_to_overlay", "parameter_sets_section", "section_yaml"]

SIGNIFICANT = 6


def _round(x: float) -> float:
    return float(f"{x:.{SIGNIFICANT}g}")


def parameter_sets_section(
    sample: pd.DataFrame, parameters: Sequence[Parameter], n_sets: int, draw: bool = False
) -> dict[str, Any]:
    """The ``parameter_sets`` mapping for the first ``n_sets`` rows of ``sample`` (a frame with
    one column per parameter name, best first); raises ValueError naming a missing column or a
    multiplier that is not positive."""
    names = [p.name for p in parameters]
    missing = [n for n in names if n not in sample.columns]
    if missing:
        raise ValueError(f"the sample has no column {', '.join(missing)}")
    rows = sample[names].head(n_sets).to_numpy(dtype=float)
    if len(rows) == 0:
        raise ValueError("the sample has no rows")
    if not (rows > 0).all():
        raise ValueError("every multiplier of the sample must be positive")
    sets = [[1.0] * len(names)] + [[_round(x) for x in row / rows[0]] for row in rows[1:]]
    return {
        "draw": draw,
        "parameters": [{"name": p.name, "paths": list(p.paths)} for p in parameters],
        "sets": sets,
    }


def section_yaml(section: dict[str, Any]) -> str:
    """``parameter_sets:`` as YAML text with comments (one flow list per set)."""

    def flow(items: Sequence[Any]) -> str:
        return "[" + ", ".join(f'"{x}"' if isinstance(x, str) else repr(float(x)) for x in items) + "]"

    lines = [
        "parameter_sets:  # the plausible sample as multipliers of this file's values (docs/calibration.md)",
        f"  draw: {'true' if section['draw'] else 'false'}  # true: replication r of every run uses "
        "set r mod n; or ask with --parameter-sets",
        "  parameters:  # what each column multiplies: paths into the merged scenario document",
    ]
    lines += [f"    - {{name: {p['name']}, paths: {flow(p['paths'])}}}" for p in section["parameters"]]
    lines.append("  sets:  # the first set is this file's values (the most plausible set)")
    lines += [f"    - {flow(row)}" for row in section["sets"]]
    return "\n".join(lines) + "\n"


_SECTION = re.compile(r"^parameter_sets:.*\n(?:(?:[ \t]+.*|[ \t]*)\n)*", re.MULTILINE)


def add_to_overlay(spec: Spec, draw: bool = False) -> Path:
    """Write (or replace) the ``parameter_sets`` section of ``spec``'s overlay from its sample
    CSV (first ``spec.posterior_sets`` rows), keeping the rest of the file as it is; returns the
    overlay's path. Raises SpecError naming the file when the overlay or sample is unusable."""
    if not spec.overlay.is_file():
        raise SpecError(spec.overlay, "(file)", "no fitted overlay: run simcare calibrate first")
    if not spec.sample.is_file():
        raise SpecError(spec.sample, "(file)", "no plausible sample beside the overlay")
    try:
        section = parameter_sets_section(pd.read_csv(spec.sample), spec.parameters, spec.posterior_sets, draw)
    except ValueError as exc:
        raise SpecError(spec.sample, "(columns)", str(exc)) from None
    text = _SECTION.sub("", spec.overlay.read_text(encoding="utf-8"))
    atomic_write_text(spec.overlay, text.rstrip("\n") + "\n" + section_yaml(section))
    return spec.overlay


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m simcare.calibration.sets SPEC [--fit-from M] [--fit-until M] [--check-until M]``."""
    ap = argparse.ArgumentParser(
        prog="python -m simcare.calibration.sets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("spec", help="calibration specification (calibration/bnssg.yaml)")
    ap.add_argument("--fit-from", metavar="YYYY-MM")
    ap.add_argument("--fit-until", metavar="YYYY-MM")
    ap.add_argument("--check-until", metavar="YYYY-MM")
    args = ap.parse_args(argv)
    spec = load_spec(
        args.spec, fit_until=args.fit_until, check_until=args.check_until, fit_from=args.fit_from
    )
    path = add_to_overlay(spec)
    n = min(spec.posterior_sets, len(pd.read_csv(spec.sample)))
    print(f"{path}: parameter_sets written ({n} set{'s' * (n != 1)} from {spec.sample.name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
