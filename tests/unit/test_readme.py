"""The README's Python walk-through runs as written (keeps the documentation true)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text()
    first_block = text.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_readme_python_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no Python example"
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102
    result = namespace["result"]
    counts = result.service_counts()  # type: ignore[attr-defined]
    assert (counts["arrived"] == counts["departed"] + counts["inside"]).all()
    assert counts.loc["beds", "arrived"] > 0
