"""Hypothesis strategies that mutate shipped simcare inputs the way a careless or hostile user
would: one field at a time, on the parsed document, and on the raw text.

Each strategy returns a :class:`Mutation`: the new document or text, what was done (for the
failure message) and whether the project's documentation calls the result invalid
(``must_refuse``), in which case ``simcare validate`` has to refuse it.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import yaml
from hypothesis import strategies as st

Path_ = tuple[Any, ...]

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# Values no numeric field of a scenario may hold (docs/scenarios.md: every quantity is bounded,
# numbers are finite and written in ASCII digits).
INVALID_NUMBERS: list[Any] = [math.nan, math.inf, -math.inf, 2**70, -(2**70), 1e300, "1e300"]
# Values any field may be given: the answer must be a clear error or a valid run.
ANY_VALUES: list[Any] = [
    None,
    0,
    -1,
    7,
    2.5,
    1e9,
    1e11,
    True,
    "",
    "text",
    "30%",
    "-5min",
    "0min",
    "nan",
    "2025-13-45",
    "08:00",
    [],
    [1, "a"],
    {},
    {"x": 1},
    "x" * 5000,
]
CONTROL_NAMES = ["bad\x1b[31mname", "bell\x07", "nul\x00name", "cr\rname", "tab\tname"]
SCALES = [0, -1, 0.5, 2, 10]
# Run-window fields are left alone by the "scale" mutation: a legitimately long run is not a
# defect, and the fuzz cases must stay within their time limit when they are valid.
RUN_WINDOW = ("run",)


class Mutation:
    """A mutated input: ``what`` was done, the ``text`` written, whether the documentation calls
    it invalid (``must_refuse``) and text that must never be echoed back (``never_echo``)."""

    __slots__ = ("must_refuse", "never_echo", "text", "what")

    def __init__(self, what: str, text: str, must_refuse: bool = False, never_echo: str = "") -> None:
        self.what, self.text, self.must_refuse, self.never_echo = what, text, must_refuse, never_echo

    def __repr__(self) -> str:  # hypothesis prints it on failure: the change, not the whole file
        return f"Mutation({self.what!r}, must_refuse={self.must_refuse})"


def paths(node: Any, here: Path_ = ()) -> list[tuple[Path_, Any]]:
    """Every (field path, value) below ``node``, depth first."""
    out: list[tuple[Path_, Any]] = []
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return out
    for key, value in items:
        out.append(((*here, key), value))
        out.extend(paths(value, (*here, key)))
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_quantity(value: Any) -> bool:
    return (
        isinstance(value, str) and re.fullmatch(r"-?[\d.]+(e-?\d+)?\s*[a-z/%][a-z/0-9 ]*", value) is not None
    )


def numeric_paths(doc: Any) -> list[Path_]:
    return [p for p, v in paths(doc) if _is_number(v) or _is_quantity(v)]


def _get_parent(doc: Any, path: Path_) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10_000)


def _scaled(value: Any, factor: float) -> Any:
    if _is_number(value):
        out = value * factor
        return int(out) if isinstance(value, int) and float(out).is_integer() else out
    number = re.match(r"-?[\d.]+(e-?\d+)?", value)
    assert number is not None
    return f"{float(number.group(0)) * factor:g}{value[number.end() :]}"


@st.composite
def document_mutations(draw: st.DrawFn, doc: dict[str, Any]) -> Mutation:
    """One change to one field of ``doc`` (a parsed scenario or plan)."""
    doc = copy.deepcopy(doc)
    everything = paths(doc)
    numeric = numeric_paths(doc)
    kind = draw(
        st.sampled_from(["invalid_number", "foreign_digits", "any_value", "scale", "delete", "control_name"])
    )
    if kind in ("invalid_number", "foreign_digits", "scale") and numeric:
        path = draw(st.sampled_from(numeric))
        parent = _get_parent(doc, path)
        old = parent[path[-1]]
        if kind == "invalid_number":
            parent[path[-1]] = draw(st.sampled_from(INVALID_NUMBERS))
            must = True
        elif kind == "foreign_digits":
            table = draw(st.sampled_from([ARABIC_INDIC, FULL_WIDTH]))
            parent[path[-1]] = str(old).translate(table)
            must = True
        else:
            if path[0] in RUN_WINDOW:
                path = draw(st.sampled_from([p for p in numeric if p[0] not in RUN_WINDOW] or numeric))
                parent = _get_parent(doc, path)
                old = parent[path[-1]]
            factor = draw(st.sampled_from(SCALES))
            parent[path[-1]] = _scaled(old, factor)
            must = False
        return Mutation(f"{kind} at {path!r}: {old!r} -> {parent[path[-1]]!r}", _dump(doc), must)
    if kind == "control_name":
        name = draw(st.sampled_from(CONTROL_NAMES))
        if "name" in doc and draw(st.booleans()):
            doc["name"] = name
            return Mutation(f"name -> {name!r}", _dump(doc), True)
        maps = [p for p, v in everything if isinstance(v, dict) and v and len(p) == 1]
        if maps:
            path = draw(st.sampled_from(maps))
            section = doc[path[0]]
            key = draw(st.sampled_from(sorted(str(k) for k in section)))
            section[name] = section.pop(key)
            return Mutation(f"key {path!r}/{key!r} -> {name!r}", _dump(doc), True)
    path = draw(st.sampled_from([p for p, _ in everything]))
    parent = _get_parent(doc, path)
    if kind == "delete":
        del parent[path[-1]]
        return Mutation(f"delete {path!r}", _dump(doc))
    value = copy.deepcopy(draw(st.sampled_from(ANY_VALUES)))
    parent[path[-1]] = value
    return Mutation(f"set {path!r} = {str(value)[:40]!r}", _dump(doc))


ALIAS_BOMB = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
)
BAD_TAGS = [
    ("run.start", "!!timestamp notadate"),
    ("run.replications", "!!int many"),
    ("run.seed", "!!float 5%"),
    ("name", "!!binary bm90IGJhc2U2NA=="),
    ("name", "!!python/object/apply:os.system ['echo pwned']"),
    ("run.warm_up", "!!set {a, b}"),
]


@st.composite
def text_mutations(draw: st.DrawFn, text: str, outside: str) -> Mutation:
    """One change to the raw YAML text: broken syntax, hostile tags, alias bombs, huge values,
    truncation, binary bytes, a reference to a file outside the folder (``outside``)."""
    kind = draw(
        st.sampled_from(["truncate", "garbage", "tag", "alias_bomb", "huge_name", "outside", "duplicate"])
    )
    lines = text.splitlines()
    if kind == "truncate":
        cut = draw(st.integers(0, len(text)))
        return Mutation(f"truncated at {cut}", text[:cut])
    if kind == "garbage":
        at = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from(["\x00\xff\xfe", "{[", ": : :", "\t- x", "%YAML 9.9\n", "&x *x"]))
        return Mutation(f"{junk!r} inserted at {at}", text[:at] + junk + text[at:])
    if kind == "tag":
        field, tagged = draw(st.sampled_from(BAD_TAGS))
        top, _, sub = field.partition(".")
        out = [ln for ln in lines if not ln.startswith(f"{top}:")] if not sub else lines
        if sub:
            out = [ln for ln in out if not ln.startswith(f"  {sub}:")]
            i = out.index(f"{top}:") if f"{top}:" in out else len(out)
            if i == len(out):
                out.append(f"{top}:")
            out.insert(i + 1, f"  {sub}: {tagged}")
        else:
            out.insert(0, f"{top}: {tagged}")
        return Mutation(f"{field}: {tagged}", "\n".join(out) + "\n", True)
    if kind == "alias_bomb":
        return Mutation("alias bomb", ALIAS_BOMB + "\n" + text, True)
    if kind == "huge_name":
        return Mutation(
            "5 MB name",
            f"name: {'x' * 5_000_000}\n" + "\n".join(ln for ln in lines if not ln.startswith("name:")),
            True,
        )
    if kind == "outside":
        return Mutation(f"extends: {outside}", f"extends: {outside}\n" + text, True, never_echo="root:x:0:0")
    key = lines[0].split(":")[0] if lines else "name"
    return Mutation(f"duplicate key {key!r}", text + f"\n{key}: again\n", True)
