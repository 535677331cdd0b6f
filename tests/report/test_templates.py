"""The report's templates ship in the wheel and escape by default (issue 16)."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from simcare.report import html

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "simcare" / "report" / "templates"


def test_every_template_is_package_data() -> None:
    """jinja2.PackageLoader reads them beside the code: a file the package-data globs miss would
    be left out of the wheel and the installed report would fail."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["simcare.report"]
    files = sorted(p.relative_to(TEMPLATES.parent).as_posix() for p in TEMPLATES.rglob("*") if p.is_file())
    assert files and all(any(fnmatch(f, g) for g in globs) for f in files), (files, globs)


def test_environment_escapes_every_template_and_marks_its_output() -> None:
    env = html._environment()
    assert env.autoescape is True  # every template, whatever its name (not select_autoescape)
    cell = html._macro("scenario_cell")("<b>x</b>", True, "a&b")
    assert isinstance(cell, Markup) and cell == "<b>&lt;b&gt;x&lt;/b&gt;</b> (base)<br><small>a&amp;b</small>"
    table = html._table(pd.DataFrame({"name": ["<i>"], "cell": [cell]}, dtype=object), numeric=["cell"])
    assert "<td>&lt;i&gt;</td>" in table and f'<td class="num">{cell}</td>' in table
