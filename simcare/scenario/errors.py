"""ScenarioError: every problem found in a scenario file, each with its field path; ScenarioNote:
a warning about a scenario that is still valid (e.g. a dated event outside the run, skipped)."""

from __future__ import annotations

from collections.abc import Sequence

from simcare.errors import SimcareError

__all__ = ["ScenarioError", "ScenarioNote", "printable"]

MAX_SHOWN_PATH = 300
MAX_SHOWN_MESSAGE = 3000


def printable(text: str, limit: int | None = None) -> str:
    """``text`` safe to print on a terminal: characters that are not printable (control and
    format characters: ANSI escapes, bells, carriage returns; not line breaks) written as
    ``\\x1b`` escapes, and cut to ``limit`` characters with "..." (a path or message quoting a
    hostile key)."""
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() or ch == "\n" else ascii(ch)[1:-1] for ch in text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


class ScenarioError(SimcareError):
    """A scenario file (or the files it extends) could not be read or is invalid.

    ``file``: the file the problems belong to (for problems found after merging ``extends``,
    the file that was loaded). ``problems``: every problem found, as ``(field path, message)``
    pairs, e.g. ``("ed.bri.cubicles.shifts[1].servers", "must be >= 0, got -2")``; the path is
    ``""`` for problems with the file as a whole (YAML syntax, missing file). ``locations``: for
    each problem, where in which file the offending value was written (``"line 42"`` or
    ``"baseline.yaml line 42"``), or ``""`` when unknown; shown in the message, not part of the
    problem itself.

    ``str(error)`` lists them all::

        baseline.yaml: 2 problems:
          ed.bri.cubicles: servers must be >= 0, got -2 (line 42)
          run.end: must not be before run.start (2025-10-01), got 2025-09-01 (line 5)
    """

    def __init__(
        self, file: str, problems: Sequence[tuple[str, str]], locations: Sequence[str] | None = None
    ) -> None:
        self.file = str(file)
        self.problems: list[tuple[str, str]] = [(str(p), str(m)) for p, m in problems]
        locs = list(locations) if locations is not None else []
        self.locations: list[str] = [str(x) for x in locs] + [""] * (len(self.problems) - len(locs))
        super().__init__(self._text())

    def _text(self) -> str:
        n = len(self.problems)
        lines = [f"{printable(self.file)}: {n} problem{'' if n == 1 else 's'}:"]
        for (path, message), where in zip(self.problems, self.locations, strict=False):
            path, message = printable(path, MAX_SHOWN_PATH), printable(message, MAX_SHOWN_MESSAGE)
            text = f"{path}: {message}" if path else message
            lines.append(f"  {text} ({where})" if where else f"  {text}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._text()


class ScenarioNote(UserWarning):
    """A note on a valid scenario, issued with :func:`warnings.warn` while it is validated: what
    was done for the user (a dated event outside the simulated period skipped). The text is
    ``"<field path>: <what>"``; ``simcare validate`` / ``run`` and the app show these notes."""
