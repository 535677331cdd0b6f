"""Outputs stay byte-identical across refactors: each path's digest equals the pinned one.

The cases and how to regenerate them: tests/regression/pinned.py. A failure here after a change
that was not meant to alter results is a behaviour change; one that was meant to (a model change)
regenerates the file and says so in the commit message.
"""

from __future__ import annotations

import json

import pytest
from pinned import CASES, PINNED


@pytest.mark.parametrize("case", sorted(CASES))
def test_output_digest_unchanged(case: str) -> None:
    pinned = json.loads(PINNED.read_text())
    assert CASES[case]() == pinned[case], f"{case}: output changed (see tests/regression/pinned.py)"


def test_every_case_is_pinned() -> None:
    assert set(json.loads(PINNED.read_text())) == set(CASES)
