"""`simcare batch`: runs a plan, summarises a store, and turns bad input into one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from simcare.cli import main

from .conftest import DATA


def test_batch_then_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store"
    assert main(["batch", str(DATA / "plan_small.yaml"), "--out", str(store), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "batch 'small': 2 variants, 4 tasks on InProcessBackend()" in out
    assert "ran 4 task(s)" in out and "4 tasks: 4 done, 0 failed, 0 not run" in out
    assert main(["batch", "--status", str(store)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{store}: batch 'small', 4 tasks: 4 done, 0 failed, 0 not run")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["batch"], "batch needs a PLAN file and --out STORE"),
        (["batch", "--status", "nowhere"], "nowhere does not exist"),
        (["batch", "plan.yaml", "--status", "x"], "either a PLAN to run or --status STORE"),
        (["batch", "missing.yaml", "--out", "s"], "missing.yaml: 1 problem:\n  file not found"),
        (
            ["batch", "p.yaml", "--out", "s", "--scheduler", "tcp://h:1", "--workers", "2"],
            "--workers is for local runs",
        ),
        (["batch", "p.yaml", "--out", "s", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_bad_input_is_one_clear_error(
    argv: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(f"scenarios: [{DATA / 'short.yaml'}]\n")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("simcare: error: ") and message in err
