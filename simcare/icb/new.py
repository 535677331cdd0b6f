"""``simcare new-icb``: write an ICB's baseline winter scenario from the national tables."""

from __future__ import annotations

from pathlib import Path

from simcare.errors import SimcareError
from simcare.files import atomic_write_text
from simcare.icb.lookup import Icb, find_icb, icbs
from simcare.icb.national import icb_facts
from simcare.icb.writer import scenario_text


def scenario_path(icb: Icb, out: str | Path) -> Path:
    """Where ``new-icb`` writes the ICB's scenario in folder ``out``."""
    return Path(out) / f"{icb.key}_winter.yaml"


def write_icb(icb: Icb, out: str | Path, *, force: bool = False) -> Path:
    """Write ``icb``'s baseline winter scenario into folder ``out`` (created if needed) and
    return its path; refuse to overwrite an existing file unless ``force``."""
    path = scenario_path(icb, out)
    if path.exists() and not force:
        raise SimcareError(f"{path}: already exists (use --force to overwrite it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, scenario_text(icb, icb_facts(icb)))


def new_icb(query: str | None, out: str | Path, *, every: bool = False, force: bool = False) -> list[Path]:
    """The files written for the ICB named by ``query`` (or all 42 with ``every``). Every file
    is checked for existence before any is written, so a refusal writes nothing."""
    chosen = list(icbs()) if every else [find_icb(query or "")]
    if not force:
        for icb in chosen:
            if scenario_path(icb, out).exists():
                raise SimcareError(f"{scenario_path(icb, out)}: already exists (use --force to overwrite it)")
    return [write_icb(icb, out, force=True) for icb in chosen]


def listing() -> str:
    """One line per ICB: code, name, acute trusts."""
    return "".join(f"{i.code}  {i.name}  ({', '.join(t.code for t in i.acute)})\n" for i in icbs())
