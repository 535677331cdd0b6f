"""Dotted override paths into a scenario document: ``calendar.surges[0].height``.

A path names a place in the merged scenario document (``extends`` resolved, before
validation), written the way validation errors name fields: keys joined by dots, list items by
``[i]``. Setting a value replaces whatever was there; missing mapping keys on the way are
created (so ``levers.discharge_capacity.increase`` works on a scenario without levers), list
items must exist. Validation of the changed document then checks the value itself.

A key that contains a dot or a bracket (rare: most scenario keys are plain names) is written in
quotes: ``ed."site.a".cubicles``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["OverrideError", "apply_overrides", "parse_path"]

_TOKEN = re.compile(r'\.?(?:"([^"]+)"|([^.\[\]"]+))|\[(\d+)\]')


class OverrideError(ValueError):
    """An override path is malformed or does not fit the document (message says why)."""


def parse_path(path: str) -> tuple[str | int, ...]:
    """``"calendar.surges[0].height"`` -> ``("calendar", "surges", 0, "height")``."""
    if not isinstance(path, str) or not path.strip():
        raise OverrideError(f"an override path must be text like 'calendar.growth', got {path!r}")
    parts: list[str | int] = []
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None or m.end() == pos or (pos == 0 and path.startswith(".")):
            raise OverrideError(f"malformed override path {path!r} at character {pos + 1} "
                                "(write keys joined by '.', list items as [0])")
        quoted, plain, index = m.groups()
        parts.append(int(index) if index is not None else (quoted if quoted is not None else plain))
        pos = m.end()
    if isinstance(parts[0], int):
        raise OverrideError(f"override path {path!r} must start with a section name")
    return tuple(parts)


def _show(parts: tuple[str | int, ...]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def apply_overrides(document: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``document`` with each ``path: value`` of ``overrides`` set, in order.
    Raises OverrideError naming the path and what does not fit."""
    out: dict[str, Any] = copy.deepcopy(dict(document))
    for path, value in overrides.items():
        parts = parse_path(path)
        cur: Any = out
        for depth, part in enumerate(parts[:-1]):
            nxt = parts[depth + 1]
            where = _show(parts[: depth + 1])
            if isinstance(part, int):
                if not isinstance(cur, list):
                    raise OverrideError(f"{path}: {_show(parts[:depth]) or 'the document'} is not a list")
                if part >= len(cur):
                    raise OverrideError(f"{path}: {_show(parts[:depth])} has {len(cur)} "
                                        f"entr{'y' if len(cur) == 1 else 'ies'}, no [{part}]")
                if not isinstance(cur[part], (dict, list)):
                    raise OverrideError(f"{path}: {where} is a value, not a mapping or list")
                cur = cur[part]
                continue
            if not isinstance(cur, dict):
                raise OverrideError(f"{path}: {_show(parts[:depth])} is not a mapping")
            if part not in cur or cur[part] is None:
                if isinstance(nxt, int):
                    raise OverrideError(f"{path}: {where} is not in the scenario, so it has no [{nxt}]")
                cur[part] = {}
            elif not isinstance(cur[part], (dict, list)):
                raise OverrideError(f"{path}: {where} is a value ({cur[part]!r}), not a mapping or list")
            cur = cur[part]
        last = parts[-1]
        if isinstance(last, int):
            if not isinstance(cur, list) or last >= len(cur):
                raise OverrideError(f"{path}: {_show(parts[:-1])} has no item [{last}]")
            cur[last] = copy.deepcopy(value)
        else:
            if not isinstance(cur, dict):
                raise OverrideError(f"{path}: {_show(parts[:-1])} is not a mapping")
            cur[last] = copy.deepcopy(value)
    return out
