"""A SimPy Environment whose events fire at an absolute time in the kernel's event order.

The twin must process simultaneous events in exactly the kernel's order (docs/model.md R1-R3):
by time, then by the event's tie key ``kind << KIND_SHIFT | id``. SimPy orders its queue by
(time, priority, sequence number), which is the right shape, but its public API cannot fill it
as the twin needs:

* ``Environment.schedule(event, priority, delay)`` and ``Timeout`` take a delay relative to
  ``now``; ``now + (when - now)`` is not always the double ``when``, and an event one ulp late
  would be processed after events it should precede. The twin needs the absolute time.
* An event is marked triggered only by ``succeed``/``fail``/``trigger``, which also schedule it at
  SimPy's NORMAL priority (now, in the order of the calls). The twin needs an event that is
  triggered and scheduled once, at its own time and priority.

``KeyedClock.alarm`` does both, and is the only place in simcare that touches SimPy's private
attributes (``_queue``, ``_eid``, ``_ok``, ``_value``; checked against SimPy 4.1). Keys start
above SimPy's own priorities (URGENT 0, NORMAL 1), so a process resumed by an alarm (the
``succeed`` of the event it waits on, at NORMAL priority) runs before any other alarm at the
same time: everything an event causes happens before the next event, as in the kernel.
"""

from __future__ import annotations

from heapq import heappush
from typing import Any

import simpy

ALARM_PRIORITY_BASE = 2  # above SimPy's own URGENT (0) and NORMAL (1) priorities


class KeyedClock(simpy.Environment):
    """A SimPy Environment that can schedule an event at an absolute time with a tie key."""

    def alarm(self, when: float, key: int, value: Any = None) -> simpy.Event:
        """A triggered event (value ``value``) processed at ``when`` minutes, after SimPy's own
        events at that time and in increasing ``key`` (>= 0) among alarms at that time."""
        event = simpy.Event(self)
        event._ok = True
        event._value = value
        queue: list[Any] = self._queue
        heappush(queue, (when, ALARM_PRIORITY_BASE + key, next(self._eid), event))
        return event
