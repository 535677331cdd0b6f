"""The 42 integrated care boards (ICBs) of England and the trusts whose A&E activity each holds.

The table is package data (``simcare/data/national/icb_trusts.csv``, source in its
``SOURCES.md``): one row per (ICB, trust), ``role`` ``acute`` for a trust with a type-1 ED, and
``other`` for a community or ambulance trust whose UTC/MIU attendances the ICB's published
total includes. :func:`find_icb` accepts what a planner would type: the ICB code, its name or a
unique part of it.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from simcare.errors import SimcareError

#: what a user may type to name an ICB (a name is at most this long)
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class Trust:
    """An NHS trust: ``code`` (ODS, e.g. ``RWH``), ``name``, ``role`` (``acute`` or ``other``)."""

    code: str
    name: str
    role: str

    @property
    def key(self) -> str:
        """Its key in a scenario file: the ODS code in lower case (``rwh``)."""
        return self.code.lower()


@dataclass(frozen=True)
class Icb:
    """One ICB: ``code`` (ONS, ``E54000025``), ``name`` and its trusts in the table's order."""

    code: str
    name: str
    trusts: tuple[Trust, ...]

    @property
    def key(self) -> str:
        """A file-name and scenario-name stem: ``hertfordshire_and_west_essex``."""
        return re.sub(r"[^a-z0-9]+", "_", self.name.lower()).strip("_")

    @property
    def acute(self) -> tuple[Trust, ...]:
        """The trusts with a type-1 ED."""
        return tuple(t for t in self.trusts if t.role == "acute")


class IcbError(SimcareError):
    """An ICB that simcare cannot find from what was typed."""


@cache
def icbs() -> tuple[Icb, ...]:
    """Every ICB in the table, by code."""
    text = resources.files("simcare.data.national").joinpath("icb_trusts.csv").read_text(encoding="utf-8")
    rows: dict[str, tuple[str, list[Trust]]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        name, trusts = rows.setdefault(row["icb_code"], (row["icb_name"], []))
        trusts.append(Trust(row["trust_code"], row["trust_name"], row["role"]))
    return tuple(Icb(code, name, tuple(trusts)) for code, (name, trusts) in sorted(rows.items()))


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


def find_icb(query: str) -> Icb:
    """The ICB named by ``query``: its code (``E54000025``), its name or key in any case, or a
    part of its name that only one ICB has (``hertfordshire``). Raise IcbError otherwise, with
    the close matches."""
    if not isinstance(query, str) or not query.strip() or len(query) > MAX_QUERY_LENGTH:
        raise IcbError(f"name an ICB by its code (E54000025) or name, at most {MAX_QUERY_LENGTH} characters")
    wanted = _fold(query)
    table = icbs()
    for icb in table:
        if wanted in (_fold(icb.code), _fold(icb.name), _fold(icb.key)):
            return icb
    found = [icb for icb in table if wanted in _fold(icb.name)]
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(f"{i.name} ({i.code})" for i in found)
        raise IcbError(
            f"{query.strip()!r} matches {len(found)} ICBs: {names}; type more of the name or the code"
        )
    close = difflib.get_close_matches(wanted, [_fold(i.name) for i in table], n=3, cutoff=0.5)
    hint = "; did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ""
    raise IcbError(f"no ICB called {query.strip()!r}{hint} (simcare new-icb --list shows all 42)")
