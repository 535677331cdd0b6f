"""The names readers know a scenario's places by: the optional ``label`` of each locality, hub,
ED site and trust, else its key humanised. Keyed by the group names of the KPI table
(docs/kpis.md, "Group kinds"): a site or trust by its key, ``hub:NAME``, ``locality:NAME``."""

from __future__ import annotations

from simcare.model import services
from simcare.scenario.schema import Scenario


def humanise(key: str) -> str:
    """'weston_utc' -> 'Weston utc': underscores as spaces, the first letter in capitals."""
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def group_labels(scenario: Scenario) -> dict[str, str]:
    """KPI group name -> the name to show for every site, trust, hub and locality."""
    out: dict[str, str] = {}
    for key, beds in scenario.beds.items():
        out[key] = beds.label or humanise(key)
    for key, site in scenario.ed.items():
        out[key] = site.label or humanise(key)
    for key, hub in scenario.hubs.items():
        out[services.hub(key)] = hub.label or humanise(key)
    for key, place in scenario.localities.items():
        out[f"locality:{key}"] = place.label or humanise(key)
    return out
