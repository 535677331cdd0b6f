"""JSON Schema of scenario files, for editor completion and checking (``simcare schema``).

It describes files as they are written (``'4h'``, ``'30%'``, ``servers: 6`` or a roster), with
the unit of each field in its description. A file that ``extends`` another may leave out the
sections it inherits: the schema only requires the top-level sections when there is no
``extends``. It cannot express the checks across sections (names that must exist, fractions
that sum to 1): ``simcare validate`` does those.
"""

from __future__ import annotations

from typing import Any

from simcare.scenario.schema import Scenario

__all__ = ["scenario_json_schema"]

_UNIT_KEY = "x-simcare-unit"
_BOUND_KEY = "x-simcare-bound"  # a unit type's bound (docs/scenarios.md, "Bounds"), e.g. "at most 20 years"


def _describe_units(node: Any) -> None:
    """Append each field's bound and unit to its description, and drop the private markers."""
    if isinstance(node, dict):
        for value in node.values():
            _describe_units(value)
        unit = node.pop(_UNIT_KEY, None)
        bound = node.pop(_BOUND_KEY, None)
        text = str(node.get("description", ""))
        if bound is not None and text and str(bound) not in text and "at most" not in text:
            node["description"] = f"{text} ({bound})"  # unless the field states a tighter bound
        if unit is not None and "description" in node:
            text = str(node["description"])
            if f"[{unit}" not in text:
                node["description"] = f"{text} [{unit}]"
    elif isinstance(node, list):
        for value in node:
            _describe_units(value)


def _mark_units(node: Any) -> None:
    """Pydantic replaces a unit type's description by the field's: keep the unit as a marker
    on the field so that :func:`_describe_units` can append it."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for prop in props.values():
                if isinstance(prop, dict):
                    unit = _find_unit(prop)
                    if unit is not None:
                        prop[_UNIT_KEY] = unit
        for value in node.values():
            _mark_units(value)
    elif isinstance(node, list):
        for value in node:
            _mark_units(value)


def _find_unit(prop: dict[str, Any]) -> str | None:
    if _UNIT_KEY in prop:
        return str(prop[_UNIT_KEY])
    for key in ("anyOf", "oneOf"):
        for arm in prop.get(key, []):
            if isinstance(arm, dict) and "discriminator" in arm:
                return "distribution {dist: ...} of durations, or one fixed duration"
            if isinstance(arm, dict) and _UNIT_KEY in arm:
                return str(arm[_UNIT_KEY])
    items = prop.get("items")
    if isinstance(items, dict) and _UNIT_KEY in items:
        return f"list of {items[_UNIT_KEY]}"
    return None


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    _mark_units(schema)
    _describe_units(schema)
    required = schema.pop("required", [])
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "file this one extends (relative to this file); this file is deep-merged over it",
    }
    schema["if"] = {"required": ["extends"]}
    schema["then"] = {}
    schema["else"] = {"required": required}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "simcare scenario"
    return schema
