"""`import simcare` and a first `run()` stay light: pandas is imported only when a frame is asked for.

pandas costs about 0.3 s to import, a third of a warm first call (issue 15: under 1 s with the
cache warm). The check runs in a fresh interpreter so that other tests' imports do not hide it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_run_does_not_import_pandas_until_a_frame_is_asked_for() -> None:
    code = textwrap.dedent(
        """
        import sys
        import simcare
        from simcare.examples import reference_network
        result = simcare.run(reference_network(hours=200), seed=1)  # checks conservation too
        print("after run", "pandas" in sys.modules)
        frame = result.visits_frame()
        print("after frame", "pandas" in sys.modules, len(frame) == len(result.visits))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["after run False", "after frame True True"], out.stdout


def test_a_conservation_failure_still_names_the_services() -> None:
    """The O(n) check words its error with pandas only when it fails."""
    import dataclasses

    import numpy as np
    import pytest

    import simcare
    from simcare.errors import ConservationError
    from simcare.examples import reference_network

    result = simcare.run(reference_network(hours=200), seed=1)
    visits = result.visits.copy()
    visits["departure"][0] = np.nan  # one visit neither departed nor counted inside
    broken = dataclasses.replace(result, visits=visits)
    with pytest.raises(ConservationError, match="patients not conserved at") as info:
        broken.check_conservation()
    assert result.service_names[int(visits["service"][0])] in str(info.value)
