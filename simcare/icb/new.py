"""``simcare new-icb``: write an ICB's baseline winter scenario and its interventions from the
national tables; with ``--all``, every ICB in its own folder and a batch plan for all England."""

from __future__ import annotations

from pathlib import Path

from simcare.errors import SimcareError
from simcare.files import atomic_write_text
from simcare.icb.interventions import NAMES, intervention_texts
from simcare.icb.lookup import Icb, find_icb, icbs
from simcare.icb.national import icb_facts
from simcare.icb.writer import scenario_text

BASELINE = "baseline_winter.yaml"
PLAN = "all_england.yaml"
#: replications per variant in the all-England plan (a first look; raise it for decisions)
PLAN_REPLICATIONS = 5
#: the files written per ICB: the baseline, then each intervention
FILE_NAMES: tuple[str, ...] = (BASELINE, *(f"{n}.yaml" for n in NAMES))


def scenario_path(icb: Icb, out: str | Path) -> Path:
    """Where ``new-icb`` writes the ICB's baseline in folder ``out`` (one ICB)."""
    return Path(out) / BASELINE


def _files(icb: Icb) -> dict[str, str]:
    """File name -> text: the baseline, then each intervention."""
    files = {BASELINE: scenario_text(icb, icb_facts(icb))}
    files |= {f"{name}.yaml": text for name, text in intervention_texts(icb, BASELINE).items()}
    return files


def plan_text(chosen: list[Icb]) -> str:
    """A batch plan running every ICB's baseline and interventions (folders beside the plan)."""
    lines = [
        "# All England: every ICB's baseline winter and the four interventions, combined too",
        "# (written by `simcare new-icb --all`; run with `simcare batch all_england.yaml --out store`,",
        "# summarise with `simcare national store --out national`; docs/new_icb.md).",
        "name: all_england_winter",
        "seed: 2025",
        f"replications: {PLAN_REPLICATIONS}",
        "scenarios:",
    ]
    for icb in chosen:
        lines += [f"  - {icb.key}/{name}" for name in FILE_NAMES]
    return "\n".join(lines) + "\n"


def new_icb(query: str | None, out: str | Path, *, every: bool = False, force: bool = False) -> list[Path]:
    """Write the files for the ICB named by ``query`` into ``out`` (or, with ``every``, each
    ICB into ``out/<icb key>/`` and the all-England plan into ``out``); return their paths.
    Every target is checked before any is written, so a refusal writes nothing."""
    root = Path(out)
    chosen = list(icbs()) if every else [find_icb(query or "")]
    folders = {icb.code: root / icb.key if every else root for icb in chosen}
    targets = [folders[icb.code] / name for icb in chosen for name in FILE_NAMES]
    if every:
        targets.append(root / PLAN)
    if not force:
        for path in targets:
            if path.exists():
                raise SimcareError(f"{path}: already exists (use --force to overwrite it)")
    written = []
    for icb in chosen:
        folders[icb.code].mkdir(parents=True, exist_ok=True)
        for name, text in _files(icb).items():
            written.append(atomic_write_text(folders[icb.code] / name, text))
    if every:
        written.append(atomic_write_text(root / PLAN, plan_text(chosen)))
    return written


def listing() -> str:
    """One line per ICB: code, name, acute trusts."""
    return "".join(f"{i.code}  {i.name}  ({', '.join(t.code for t in i.acute)})\n" for i in icbs())
