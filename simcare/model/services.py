"""Service names: the one place that spells them (build) and reads them (parse).

The compiler (:mod:`simcare.scenario.compile`) names every service it builds from the scenario's
keys (ED sites, trusts, hubs, local authorities); escalation rules, ``run.census`` keys, KPIs,
the warm-up and census analyses and the app's system map refer to services by those names. A
name is either fixed (:data:`PHONE_111`, :data:`RETRY_111`, :data:`ONLINE_111`, :data:`CAS`,
:data:`AMBULANCE`) or ``KIND:PART[:PART]``, its parts the scenario keys:

==================  ====================  ==========================================================
kind                builder               service
==================  ====================  ==========================================================
``ed_triage``       :func:`ed_triage`     ``ed_triage:SITE``: ED triage (walk-ins, 111 referrals)
``ed``              :func:`ed`            ``ed:SITE``: ED cubicles
``ed_corridor``     :func:`ed_corridor`   ``ed_corridor:SITE``: released ambulance handovers
``ed_hours``        :func:`ed_hours`      ``ed_hours:SITE``: opening-hours calendar (no patients)
``sdec_referral``   :func:`sdec_referral` ``sdec_referral:SITE``: the zero-time step into SDEC
``sdec``            :func:`sdec`          ``sdec:SITE``: same-day emergency care
``hub``             :func:`hub`           ``hub:NAME``: urgent community hub (UTC/MIU)
``beds``            :func:`beds`          ``beds:TRUST``: general and acute beds
``d2a``             :func:`d2a`           ``d2a:PATHWAY:LOCAL_AUTHORITY``: discharge to assess
``nctr``            :func:`nctr`          ``nctr:TRUST``: not a service but a ``run.census`` key
                                          (medically fit patients in ``beds:TRUST``)
==================  ====================  ==========================================================

The KPI table's hub and SDEC groups (``hub:NAME``, ``sdec:SITE``; docs/kpis.md) are spelt as
these services' names, so they are built here too. Other group names (``locality:NAME``,
``P1:bristol``, ...) belong to the KPIs. Names are plain strings; nothing here checks that a
scenario has the site or trust named.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "AMBULANCE",
    "ARITY",
    "BEDS",
    "CAS",
    "D2A",
    "ED",
    "ED_CORRIDOR",
    "ED_HOURS",
    "ED_TRIAGE",
    "FIXED",
    "HUB",
    "NCTR",
    "NHS111",
    "ONLINE_111",
    "PHONE_111",
    "RETRY_111",
    "SDEC",
    "SDEC_REFERRAL",
    "SEP",
    "ServiceName",
    "beds",
    "d2a",
    "ed",
    "ed_corridor",
    "ed_hours",
    "ed_triage",
    "hub",
    "is_kind",
    "kind_of",
    "name",
    "nctr",
    "parse",
    "sdec",
    "sdec_referral",
]

SEP = ":"  #: between a name's kind and its parts, and between the parts of ``d2a``

# --- fixed names: one service each -------------------------------------------------------------
PHONE_111 = "111_phone"  #: NHS 111 call handlers
RETRY_111 = "111_retry"  #: callers who abandoned, waiting to ring again (zero servers, a delay)
ONLINE_111 = "111_online"  #: NHS 111 online assessment
CAS = "cas"  #: the clinical assessment service validating ED and ambulance dispositions
AMBULANCE = "ambulance"  #: ambulance crews for the whole job cycle
NHS111 = (PHONE_111, RETRY_111, ONLINE_111)  #: the NHS 111 services a caller queues in (not CAS)
FIXED = (*NHS111, CAS, AMBULANCE)

# --- kinds of the ``KIND:PART`` names ----------------------------------------------------------
ED_TRIAGE = "ed_triage"
ED = "ed"
ED_CORRIDOR = "ed_corridor"
ED_HOURS = "ed_hours"
SDEC_REFERRAL = "sdec_referral"
SDEC = "sdec"
HUB = "hub"
BEDS = "beds"
D2A = "d2a"
NCTR = "nctr"

#: number of parts of each kind's names
ARITY: dict[str, int] = {
    ED_TRIAGE: 1,
    ED: 1,
    ED_CORRIDOR: 1,
    ED_HOURS: 1,
    SDEC_REFERRAL: 1,
    SDEC: 1,
    HUB: 1,
    BEDS: 1,
    D2A: 2,
    NCTR: 1,
}


class ServiceName(NamedTuple):
    """A name read by :func:`parse`: its kind and the parts after it."""

    kind: str  # a key of ARITY, a fixed name, or (for a name of neither shape) its text before ":"
    parts: tuple[str, ...]  # () for a fixed name; ARITY[kind] strings for a known kind


def name(kind: str, *parts: str) -> str:
    """``KIND:PART[:PART]``; ValueError for a kind not in :data:`ARITY` or the wrong number of
    parts."""
    if kind not in ARITY:
        raise ValueError(f"service kind {kind!r} is not one of {', '.join(ARITY)}")
    if len(parts) != ARITY[kind]:
        raise ValueError(f"a {kind} service name has {ARITY[kind]} part(s), got {len(parts)}: {parts!r}")
    return SEP.join((kind, *map(str, parts)))  # str() as an f-string would: keys may be str subclasses


def ed_triage(site: str) -> str:
    """``ed_triage:SITE``: triage of the ED at ``site``."""
    return name(ED_TRIAGE, site)


def ed(site: str) -> str:
    """``ed:SITE``: the cubicles of the ED at ``site``."""
    return name(ED, site)


def ed_corridor(site: str) -> str:
    """``ed_corridor:SITE``: where released ambulance handovers wait for a cubicle at ``site``."""
    return name(ED_CORRIDOR, site)


def ed_hours(site: str) -> str:
    """``ed_hours:SITE``: the opening-hours calendar of the ED at ``site``."""
    return name(ED_HOURS, site)


def sdec_referral(site: str) -> str:
    """``sdec_referral:SITE``: the zero-time step from the ED at ``site`` into its SDEC queue."""
    return name(SDEC_REFERRAL, site)


def sdec(site: str) -> str:
    """``sdec:SITE``: the same-day emergency care unit of ED site ``site`` (also its KPI group)."""
    return name(SDEC, site)


def hub(hub_name: str) -> str:
    """``hub:NAME``: the urgent community hub ``hub_name`` (also its KPI group)."""
    return name(HUB, hub_name)


def beds(trust: str) -> str:
    """``beds:TRUST``: the general and acute beds of ``trust``."""
    return name(BEDS, trust)


def nctr(trust: str) -> str:
    """``nctr:TRUST``: the ``run.census`` key of medically fit patients in ``beds:TRUST``."""
    return name(NCTR, trust)


def d2a(pathway: str, local_authority: str) -> str:
    """``d2a:PATHWAY:LOCAL_AUTHORITY``: discharge-to-assess capacity of ``pathway`` (``P1``-``P3``)."""
    return name(D2A, pathway, local_authority)


def parse(service: str) -> ServiceName:
    """The kind and parts of ``service``, never an error (names come from outside too: census
    keys, escalation rules): for a kind of :data:`ARITY`, exactly ``ARITY[kind]`` parts, the text
    after the kind split at ``:`` (missing parts are ``""``, the last part keeps any further
    ``:``), so ``parse(name(kind, *parts)) == (kind, parts)`` when no part but the last holds a
    ``:`` (always so for the compiler's names: only ``d2a`` has two parts, the first a pathway
    ``P1``-``P3``). A fixed name, or any name without ``:`` of no known kind, is its own kind
    with no parts; any other name splits once at ``:``."""
    kind, colon, rest = service.partition(SEP)
    n = ARITY.get(kind)
    if n is None:
        return ServiceName(kind, (rest,) if colon else ())
    parts = rest.split(SEP, n - 1)
    return ServiceName(kind, tuple(parts) + ("",) * (n - len(parts)))


def kind_of(service: str) -> str:
    """The kind of ``service`` (its text before the first ``:``; a fixed name is its own kind)."""
    return service.partition(SEP)[0]


def is_kind(service: str, *kinds: str) -> bool:
    """Whether ``service`` is spelt ``KIND:...`` for one of ``kinds`` (a bare ``KIND`` is not)."""
    kind, colon, _ = service.partition(SEP)
    return bool(colon) and kind in kinds
