"""Exceptions raised by simcare, each naming where the problem is."""

from __future__ import annotations

from pathlib import Path


class SimcareError(Exception):
    """Base class of every error simcare raises on purpose."""


class ModelError(SimcareError):
    """A compiled model or network description is inconsistent (names the field at fault)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class EngineError(SimcareError):
    """The engine could not complete a run, or a completed run failed its own checks."""


class DeadlockError(EngineError):
    """Patients holding servers are blocked by each other in a cycle: no one can ever move.

    ``services`` names the services in the blocked cycle; ``time`` is the simulation time
    (minutes) at which the deadlock was detected; ``result`` holds the run up to that moment.
    """

    def __init__(self, message: str, services: list[str], time: float, result: object) -> None:
        self.services = services
        self.time = time
        self.result = result
        super().__init__(message)


class ConservationError(EngineError):
    """Patients were created or lost: arrived != departed + inside for some service."""


class DataError(SimcareError):
    """A published data file is missing, malformed or implausible.

    ``file`` is the path read, ``column`` the column at fault (``None`` when the whole file is)
    and ``problem`` what is wrong; the message holds all three.
    """

    def __init__(self, file: Path | str, column: str | None, problem: str) -> None:
        self.file = str(file)
        self.column = column
        self.problem = problem
        where = self.file if column is None else f"{self.file}, column {column!r}"
        super().__init__(f"{where}: {problem}")
