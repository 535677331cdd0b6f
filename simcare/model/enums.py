"""The engine <-> analysis contract: integer enums and the visit-record dtype.

Both engines (the numba kernel and the SimPy twin) and every consumer of a run's results use
these names; nothing else may hard-code the integers.
"""

from __future__ import annotations

import numpy as np

# --- Service-time and patience distributions (parameters in minutes) -------------------------
# Each distribution (its code, name, parameters p0-p2 and sampler) is defined once, by its
# ``@distribution`` line in simcare.sampling.distributions (DISTRIBUTIONS, DIST_NAMES); codes run
# from 1 to N_DIST_KINDS - 1. The model layer needs only the sentinel and that range.
DIST_NONE = 0  # no draw: used for "no patience" (the patient waits for ever)
N_DIST_KINDS = 11  # one more than the largest code (a unit test checks every code is used)

# --- Route tables: which event a routing decision follows -------------------------------------
ROUTE_SERVED = 0  # after service ends
ROUTE_ABANDONED = 1  # after leaving the queue when patience ran out
ROUTE_TURNED_AWAY = 2  # after finding the queue full on arrival
N_ROUTE_KINDS = 3

EXIT = -1  # route destination meaning "leaves the modelled system"
KEEP_GROUP = -1  # route group meaning "patient group unchanged"

# --- Visit outcomes (column ``outcome`` of the visit table) ------------------------------------
OUT_SERVED = 0  # served and moved on (or out)
OUT_ABANDONED = 1  # left the queue when patience ran out (abandoned call, left without being seen)
OUT_TURNED_AWAY = 2  # found the waiting places full and went elsewhere
OUT_RELEASED = 3  # blocked after service longer than the maximum; moved to the overflow service
OUT_WAITING = 4  # still waiting at the end of the run (in the queue, or blocked upstream)
OUT_IN_SERVICE = 5  # still in service at the end of the run
OUT_BLOCKED = 6  # still holding a server after service at the end of the run

OUTCOME_NAMES = {
    OUT_SERVED: "served",
    OUT_ABANDONED: "abandoned",
    OUT_TURNED_AWAY: "turned_away",
    OUT_RELEASED: "released",
    OUT_WAITING: "waiting",
    OUT_IN_SERVICE: "in_service",
    OUT_BLOCKED: "blocked",
}
FINISHED_OUTCOMES = (OUT_SERVED, OUT_ABANDONED, OUT_TURNED_AWAY, OUT_RELEASED)

# --- Event kinds, in the order they are processed when their times are equal -----------------
# Events are ordered by (time, kind << KIND_SHIFT | id); the tie rules are docs/model.md R1-R3.
EV_CAPACITY = 0  # a service's capacity changes (id = service)
EV_END = 1  # a patient's service ends (id = patient)
EV_BLOCK_TIMEOUT = 2  # a blocked patient reaches the maximum blocked time (id = patient)
EV_START = 3  # a patient taken from a queue or blocked list starts service (id = patient)
EV_PATIENCE = 4  # a waiting patient's patience runs out (id = patient)
EV_MOVE = 5  # a patient who abandoned or was released moves on (id = patient)
EV_ARRIVAL = 6  # a new patient arrives (id = patient)
EV_CHECK = 7  # escalation rules are evaluated on the state (id = 0)
N_EVENT_KINDS = 8

EVENT_NAMES = {
    EV_CAPACITY: "capacity",
    EV_END: "end",
    EV_BLOCK_TIMEOUT: "block_timeout",
    EV_START: "start",
    EV_PATIENCE: "patience",
    EV_MOVE: "move",
    EV_ARRIVAL: "arrival",
    EV_CHECK: "check",
}

# --- Event keys, event sources, patient states and the routing-loop guard (kernel and twin) ----
KIND_SHIFT = 40  # an event's tie key is kind << KIND_SHIFT | id (id: patient or service < 2**40)
MAX_HOPS = 1000  # visits one patient may begin at one instant before the run stops (R31)

# Where the kernel's next event comes from (the twin runs one SimPy process per source)
SRC_ARRIVAL = 0  # the next arrival of the draws (EV_ARRIVAL)
SRC_CAPACITY = 1  # the next scheduled capacity change (EV_CAPACITY)
SRC_PATIENT = 2  # the earliest pending patient event (EV_END ... EV_MOVE)
SRC_CHECK = 3  # the next escalation check (EV_CHECK)

# A patient's state between events
P_NEW = 0  # not arrived yet
P_WAITING = 1  # in a service's queue (takes a waiting place)
P_PENDING = 2  # blocked: holds a server upstream, in the waiting line of the next service
P_STARTING = 3  # taken from a line; its START event is pending
P_IN_SERVICE = 4  # in service, or holding its server during a route delay; its END is pending
P_MOVING = 5  # abandoned or released; its MOVE event is pending
P_GONE = 6  # left the modelled system

# --- Escalation rules -------------------------------------------------------------------------
MEASURE_OCCUPANCY = 0  # (in service + blocked + waiting) / servers in force (can exceed 1)
MEASURE_WAITING = 1  # patients waiting (queue plus blocked upstream for this service)
MEASURE_CLOSED = 2  # 1 while the service has no servers in force (closed), else 0
ACTION_ADD_SERVERS = 0  # add (or, if negative, remove) servers at a service
ACTION_DIVERT = 1  # patients leaving a service for one destination go to another instead

# --- Run status ------------------------------------------------------------------------------
STATUS_OK = 0
STATUS_DEADLOCK = 1
STATUS_ROUTING_LOOP = 2
STATUS_NAMES = {STATUS_OK: "ok", STATUS_DEADLOCK: "deadlock", STATUS_ROUTING_LOOP: "routing_loop"}

# --- Purposes of counter-based draws (part of each draw's key) --------------------------------
PURPOSE_SERVICE = 0
PURPOSE_ROUTE = 1
PURPOSE_PATIENCE = 2
PURPOSE_ABANDON_ROUTE = 3
PURPOSE_TURNED_AWAY_ROUTE = 4
PURPOSE_ROUTE_DELAY = 5
PURPOSE_LEAVE_WINDOW = 6  # the u_j of a leave window's hourly tries (R15a)
N_PURPOSES = 7

# --- The visit table: one row per (patient, service) visit --------------------------------------
VISIT_DTYPE = np.dtype(
    [
        ("patient", np.int64),  # patient id: rank of the arrival in (time, stream, index) order
        ("group", np.int32),  # patient group during this visit
        ("service", np.int32),  # service index
        ("arrival", np.float64),  # minutes: asked for this service (joined queue or blocked)
        ("start", np.float64),  # minutes: service started (NaN if never)
        ("end", np.float64),  # minutes: service ended (NaN if not yet / never)
        ("departure", np.float64),  # minutes: left this service (server freed; NaN if inside)
        ("outcome", np.int8),  # OUT_* code
    ]
)  # packed (49 bytes, no padding): equal tables are equal byte for byte
