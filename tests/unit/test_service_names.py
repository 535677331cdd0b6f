"""simcare.model.services owns service names (issue 14): its builders and parser agree, and no
module of the package spells a service name itself.

The scan reads every module's syntax tree and flags the shapes service names were spelt in
before the module existed: f-strings and string constants ``KIND:...`` for a kind of
:data:`~simcare.model.services.ARITY` (``f"ed:{site}"``, ``"d2a:"`` prefixes), the fixed 111
names (``"111_phone"``, any ``"111_..."`` prefix), ``"cas"`` anywhere but as a scenario field
(``getattr(spec, "cas")``, ``doc.get("cas")``), and ``"ambulance"`` where a service is meant
(compared with ``==``, looked up in a run's names, passed to the network builder, a KPI context
or ``append``). ``"ambulance"`` as a scenario section, a 111 disposition or a map stage is not a
service name and is not flagged; nor is KPI-group parsing (``group.partition(":")``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simcare.model import services

PACKAGE = Path(__file__).resolve().parents[2] / "simcare"
OWNER = PACKAGE / "model" / "services.py"

_KIND = "|".join(sorted(map(re.escape, services.ARITY), key=len, reverse=True))
_PREFIXED = re.compile(rf"(?:{_KIND}):\S*")  # "ed:bri", "d2a:", "beds:rvj"
_NAMED = re.compile(rf"(?:{_KIND}):\S+")  # with a part: anywhere a literal is a name
_111 = re.compile(r"111_\w*")
_WORDS = {services.CAS, services.AMBULANCE}
#: methods whose string arguments are service names or name prefixes
_NAME_CALLS = {
    "add_service",
    "add_route",
    "add_escalation",
    "service",
    "series",
    "services_of",
    "present",
    "index",
    "startswith",
    "removeprefix",
    "append",
}
_PREFIX_CALLS = {"startswith", "removeprefix", "endswith", "removesuffix"}
#: names of containers of service names (``"ambulance" in names``)
_NAME_CONTAINERS = re.compile(r"(^|_)(names|index|service_names)$")


def _strings(node: ast.AST) -> list[ast.Constant]:
    """String constants of ``node`` itself or of a list, tuple or set literal."""
    items = node.elts if isinstance(node, ast.List | ast.Tuple | ast.Set) else [node]
    return [c for c in items if isinstance(c, ast.Constant) and isinstance(c.value, str)]


def _container_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def offences(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """(line, literal) of every service name spelt in ``source`` (Python code)."""
    tree = ast.parse(source, filename)
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    fields = {id(a) for n in ast.walk(tree) if isinstance(n, ast.Call) for a in _field_args(n)}
    out: list[tuple[int, str]] = []
    in_fstring: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            in_fstring.update(id(v) for v in node.values)
            head = node.values[0] if node.values else None
            if isinstance(head, ast.Constant) and _PREFIXED.match(str(head.value)):
                out.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            for arg in [*node.args, *(k.value for k in node.keywords if k.arg in ("divert", "watch"))]:
                for c in _strings(arg):
                    text = str(c.value)
                    prefix = method in _PREFIX_CALLS and bool(_PREFIXED.fullmatch(text) or _111.match(text))
                    word = (method in _NAME_CALLS or _is_divert(node, arg)) and text in _WORDS
                    if prefix or word:
                        out.append((c.lineno, repr(text)))
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, sides[:-1], sides[1:], strict=True):
                pairs = ((left, right), (right, left))
                for const, other in pairs:
                    if not (isinstance(const, ast.Constant) and const.value in _WORDS):
                        continue
                    if isinstance(op, ast.Eq | ast.NotEq) or (
                        isinstance(op, ast.In | ast.NotIn)
                        and const is left
                        and _NAME_CONTAINERS.search(_container_name(other))
                    ):
                        out.append((const.lineno, repr(const.value)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and id(node) not in in_fstring
            and (
                _NAMED.fullmatch(node.value)
                or _111.fullmatch(node.value)
                or (node.value == services.CAS and id(node) not in fields)
            )
        ):
            out.append((node.lineno, repr(node.value)))
    return sorted(set(out))


def _field_args(call: ast.Call) -> list[ast.AST]:
    """The arguments of ``call`` that name a scenario field: ``getattr(x, "cas")``,
    ``hasattr(x, "cas")``, ``doc.get("cas")``."""
    if isinstance(call.func, ast.Name) and call.func.id in ("getattr", "hasattr") and len(call.args) > 1:
        return [call.args[1]]
    if isinstance(call.func, ast.Attribute) and call.func.attr == "get" and call.args:
        return [call.args[0]]
    return []


def _is_divert(call: ast.Call, arg: ast.AST) -> bool:
    """Whether ``arg`` is the ``divert=(SERVICE, FROM, TO)`` of ``call``."""
    return any(k.arg == "divert" and k.value is arg for k in call.keywords)


def _modules() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if p != OWNER]


def test_no_service_name_is_spelt_outside_the_services_module() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {text}"
        for path in _modules()
        for line, text in offences(path.read_text(encoding="utf-8"), str(path))
    ]
    assert not found, "build or parse these with simcare.model.services:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "code",
    [
        'x = f"ed:{site}"',
        'x = f"ed_triage:{site}"',
        'x = f"d2a:{p}:{la}"',
        'x = f"beds:{trust}"',
        'x = f"nctr:{trust}"',
        'x = f"hub:{name}"',
        'x = f"sdec_referral:{site}"',
        'net.add_route("111_retry", [])',
        'x = ("111_phone", 1.0)',
        'ok = name.startswith("111_")',
        'ok = name.startswith("d2a:")',
        'ok = name.startswith(("ed_triage:", "ed_corridor:"))',
        'g = name.removeprefix("sdec:")',
        'key = "beds:rvj"',
        'ok = service == "cas"',
        'ok = "ambulance" != service',
        'ok = "ambulance" in names',
        'ok = "cas" in ctx.index',
        's = ctx.service("ambulance")',
        'net.add_service("cas", servers=1)',
        'x = ctx.series("blocked", ["ambulance"])',
        'net.add_escalation("r", divert=("ambulance", a, b))',
        'out.append("ambulance")',
        'out["cas"] = 1.0',
        'PHONE, CAS = x, "cas"',
    ],
)
def test_the_scan_finds_each_shape(code: str) -> None:
    assert offences(code), code


@pytest.mark.parametrize(
    "code",
    [
        '"""A docstring naming ``ed:SITE`` and d2a:P1:bristol."""',
        'def f():\n    """ed:bri is a service."""',
        "x = services.ed(site)",
        'path = f"ed.{site}"',
        'out = ["ed:"]',  # a YAML section header (simcare/icb/writer.py)
        'line = "beds:    # data: G&A beds"',
        'ok = "ambulance" not in doc',  # a scenario section
        'x = doc["ambulance"]["crews"]',
        'DISPOSITIONS = ("ambulance", "ed", "hub")',
        'group = f"{reason}:{t}"',
        'cas = getattr(spec, "cas", None)',
        'cas = doc.get("nhs111", {}).get("cas")',
        'group = f"locality:{key}"',
        'msg = f"no trust {rest!r} in beds (write {kind}:TRUST)"',
    ],
)
def test_the_scan_leaves_other_strings(code: str) -> None:
    assert not offences(code), code


# --- build and parse ----------------------------------------------------------------------------

BUILDERS: dict[str, Callable[..., str]] = {
    services.ED_TRIAGE: services.ed_triage,
    services.ED: services.ed,
    services.ED_CORRIDOR: services.ed_corridor,
    services.ED_HOURS: services.ed_hours,
    services.SDEC_REFERRAL: services.sdec_referral,
    services.SDEC: services.sdec,
    services.HUB: services.hub,
    services.BEDS: services.beds,
    services.NCTR: services.nctr,
    services.D2A: services.d2a,
}


def test_every_kind_has_a_builder() -> None:
    assert set(BUILDERS) == set(services.ARITY)


def test_the_names_the_compiler_has_always_used() -> None:
    assert services.ed_triage("bri") == "ed_triage:bri"
    assert services.ed("bri") == "ed:bri"
    assert services.ed_corridor("bri") == "ed_corridor:bri"
    assert services.ed_hours("weston") == "ed_hours:weston"
    assert services.sdec_referral("bri") == "sdec_referral:bri"
    assert services.sdec("bri") == "sdec:bri"
    assert services.hub("weston_utc") == "hub:weston_utc"
    assert services.beds("rvj") == "beds:rvj"
    assert services.nctr("rvj") == "nctr:rvj"
    assert services.d2a("P1", "bristol") == "d2a:P1:bristol"
    assert services.FIXED == ("111_phone", "111_retry", "111_online", "cas", "ambulance")


_PART = st.text(st.characters(exclude_characters=":", codec="utf-8"), min_size=1)


@given(kind=st.sampled_from(sorted(services.ARITY)), data=st.data())
def test_parse_inverts_build(kind: str, data: st.DataObject) -> None:
    parts = tuple(data.draw(_PART) for _ in range(services.ARITY[kind]))
    built = services.name(kind, *parts)
    assert built == BUILDERS[kind](*parts)
    assert services.parse(built) == (kind, parts)
    assert services.kind_of(built) == kind
    assert services.is_kind(built, kind)
    assert not services.is_kind(built, *(k for k in services.ARITY if k != kind))


@pytest.mark.parametrize("fixed", services.FIXED)
def test_a_fixed_name_is_its_own_kind(fixed: str) -> None:
    assert services.parse(fixed) == (fixed, ())
    assert services.kind_of(fixed) == fixed
    assert not services.is_kind(fixed, fixed)  # not spelt KIND:...


@pytest.mark.parametrize(
    ("text", "kind", "parts"),
    [
        ("d2a:P1", services.D2A, ("P1", "")),  # a census key missing its local authority
        ("d2a:P1:north:somerset", services.D2A, ("P1", "north:somerset")),
        ("beds", services.BEDS, ("",)),
        ("beds:a:b", services.BEDS, ("a:b",)),
        ("ward:7", "ward", ("7",)),
        ("ward", "ward", ()),
    ],
)
def test_parse_reads_any_text_like_partition(text: str, kind: str, parts: tuple[str, ...]) -> None:
    assert services.parse(text) == (kind, parts)


def test_name_refuses_an_unknown_kind_or_the_wrong_number_of_parts() -> None:
    with pytest.raises(ValueError, match="'ward' is not one of"):
        services.name("ward", "7")
    with pytest.raises(ValueError, match="a d2a service name has 2 part"):
        services.name(services.D2A, "P1")


_TEXT = st.lists(st.sampled_from([*"ab:_1", *services.ARITY, *services.FIXED])).map("".join)


@given(_TEXT)
def test_parse_reads_any_text(text: str) -> None:
    kind, parts = services.parse(text)
    assert kind == services.kind_of(text)
    assert len(parts) == services.ARITY.get(kind, 1 if ":" in text else 0)
    if ":" in text and kind in services.ARITY:
        assert services.is_kind(text, kind)
        if text.count(":") >= services.ARITY[kind]:  # every part present: the name rebuilds it
            assert services.name(kind, *parts) == text
