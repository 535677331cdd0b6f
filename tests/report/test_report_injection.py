"""Issue 16: no text from a scenario, plan or store reaches the report as markup (and the
calibration's pages carry the same Content-Security-Policy).

Scenario names, descriptions, files, levers, plan labels, engine and version columns, group names,
warm-up labels and the title all hold hostile strings. The report must show each as text (the
parsed page holds it in a text node) and the markup must be only the report's own: every ``<``
in the file opens a tag the report emits, with the attributes it emits, links only within the
page and images only as embedded PNG; a Content-Security-Policy forbids scripts.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from report_synthetic import synthetic_table

from simcare.calibration.report import rolling_html
from simcare.calibration.rolling import score
from simcare.cli import main
from simcare.pipeline import ScenarioInfo
from simcare.report import winter_figures as wf
from simcare.report.html import build_report

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SVG = '"><svg onload=alert(1)>'
LINK = "<a href='javascript:alert(3)'>click</a>"
STYLE = "</style><script>alert(2)</script>"
TITLE = "</title><script>alert(4)</script>"
COMMENT = "<!-- --><iframe srcdoc=x>"
ENTITY = "&lt;b&gt; stays &amp; text"  # already-escaped text must not be unescaped into a tag

#: the tags the report emits and the attributes each may carry
TAGS: dict[str, set[str]] = {
    "html": {"lang"},
    "head": set(),
    "meta": {"charset", "http-equiv", "content"},
    "title": set(),
    "style": set(),
    "body": set(),
    "section": {"id"},
    "h1": set(),
    "h2": set(),
    "h3": {"id"},
    "p": {"class"},
    "ul": set(),
    "li": set(),
    "b": set(),
    "i": set(),
    "small": set(),
    "br": set(),
    "code": set(),
    "a": {"href"},
    "span": {"class"},
    "div": {"class"},
    "table": set(),
    "thead": set(),
    "tbody": set(),
    "tr": set(),
    "th": set(),
    "td": {"class"},
    "figure": {"id"},
    "img": {"alt", "src"},
    "figcaption": set(),
}
CLASSES = {"note", "lede", "num", "scroll", "better", "worse", "unclear"}


class Page(HTMLParser):
    """The tags (with attributes) and text nodes of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.other: list[str] = []  # comments, processing instructions, unknown declarations

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.other.append(f"comment {data!r}")

    def handle_pi(self, data: str) -> None:
        self.other.append(f"pi {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.other.append(f"decl {data!r}")


def assert_only_own_markup(text: str, shown: list[str]) -> Page:
    """Every ``<`` opens one of :data:`TAGS` (or the doctype); every tag and attribute is the
    report's own; each string of ``shown`` is in a text node; a CSP forbids scripts."""
    for m in re.finditer("<", text):
        rest = text[m.start() : m.start() + 40]
        ok = re.match(r"</?([a-z0-9]+)[\s>/]", rest)
        assert rest.lower().startswith("<!doctype html>") or (ok and ok.group(1) in TAGS), (
            f"a '<' that is not the report's own markup: {rest!r}"
        )
    page = Page()
    page.feed(text)
    page.close()
    assert page.other == []
    for tag, attrs in page.tags:
        assert tag in TAGS, tag
        assert set(attrs) <= TAGS[tag], (tag, attrs)
        if "class" in attrs:
            assert attrs["class"] in CLASSES, attrs
        if tag == "a":
            assert str(attrs["href"]).startswith("#"), attrs
        if tag == "img":
            assert str(attrs["src"]).startswith("data:image/png;base64,"), attrs["src"][:80]
        if "id" in attrs:
            assert re.fullmatch(r"[a-z0-9-]+", str(attrs["id"])), attrs
    csp = [a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"]
    assert len(csp) == 1, "one Content-Security-Policy meta tag"
    policy = {d.split()[0]: d.split()[1:] for d in str(csp[0]).split(";") if d.strip()}
    assert policy["default-src"] == ["'none'"] and policy["img-src"] == ["data:"], policy
    assert "script-src" not in policy and "<script" not in text.lower()
    # the one style sheet is allowed by its hash (what a browser checks), nothing else inline
    styles = re.findall(r"<style>(.*?)</style>", text, flags=re.DOTALL)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode("utf-8")).digest()).decode("ascii")
    assert policy["style-src"] == [f"'sha256-{digest}'"], policy
    # the first meta tags come before anything the input can reach (the title)
    assert text.index("Content-Security-Policy") < text.index("<title>")
    nodes = page.text
    for s in shown:
        assert any(s in node for node in nodes), f"{s!r} is not shown as text"
    return page


def hostile_info(name: str, description: str, sets: int = 0) -> ScenarioInfo:
    return ScenarioInfo(
        file=f"scenarios/{IMG}.yaml",
        name=name,
        description=description,
        levers={LINK: {STYLE: TITLE}, "beds": [SVG, 2]},
        start=dt.date(2025, 12, 15),
        end=dt.date(2026, 1, 11),
        warm_up_days=21,
        census=False,
        seed=2025,
        scenario_hash="<svg/onload=alert(5)>0123",
        modelled=("111", "ambulance", "hubs", "ed", "beds", "d2a"),
        parameter_sets=sets,
    )


@pytest.fixture(scope="module")
def hostile_table() -> pd.DataFrame:
    """Three scenarios named with markup; engine and version columns and a site hostile too."""
    t = synthetic_table({SCRIPT: 0.0, SVG: 2.0, COMMENT: 0.0}, reps=4)
    t = t.assign(engine=IMG, version=STYLE)
    site = t["group"] == "weston"
    return t.assign(group=t["group"].where(~site, IMG))


def test_hostile_names_descriptions_and_levers_are_text(hostile_table: pd.DataFrame) -> None:
    warmup = pd.DataFrame(
        {
            "scenario": [SCRIPT],
            "series": ["nctr"],
            "label": [LINK],
            "configured_days": [21],
            "mser5_days": [15],
            "mser5_date": [SVG],
            "at_limit": [False],
            "enough": [False],
        }
    )
    infos = [
        hostile_info(SCRIPT, IMG, sets=2),
        hostile_info(SVG, ENTITY, sets=3),
        hostile_info(COMMENT, f"<{SCRIPT}"),
    ]
    report = build_report(hostile_table, SCRIPT, scenarios=infos, warmup=warmup, highlight=SVG, title=TITLE)
    page = assert_only_own_markup(
        report.html,
        [SCRIPT, SVG, COMMENT, IMG, ENTITY, f"<{SCRIPT}", LINK, STYLE, TITLE, f"scenarios/{IMG}.yaml"],
    )
    # the sections a hostile name passes through are all there
    ids = {a.get("id") for _, a in page.tags}
    assert {"what-was-run", "warm-up", "headline", "parameter-uncertainty", "notes"} <= ids
    assert "&lt;script&gt;" in report.html
    assert "&amp;lt;b&amp;gt;" in report.html  # escaped once more, shown as written


def test_store_style_report_without_scenario_files(hostile_table: pd.DataFrame) -> None:
    """Results read from a table (``compare --store``): names only in the table."""
    report = build_report(hostile_table, SVG, title=None)
    assert_only_own_markup(report.html, [SCRIPT, SVG, COMMENT, IMG, STYLE])


def test_single_hostile_scenario() -> None:
    t = synthetic_table({SCRIPT: 0.0}, reps=1)
    info = dataclasses.replace(hostile_info(SCRIPT, TITLE), levers={})
    report = build_report(t, SCRIPT, scenarios=[info])
    assert_only_own_markup(report.html, [SCRIPT, TITLE])


def test_normal_report_passes_the_same_checks(table: pd.DataFrame) -> None:
    """The checker accepts the report's own markup (so the tests above fail only on injection)."""
    report = build_report(table, "bnssg_base")
    assert_only_own_markup(report.html, ["bnssg_base", "combined"])


DATA = Path(__file__).parent / "data"


def test_compare_store_with_hostile_plan_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A plan's labels become the store's scenario names: ``compare --store`` shows them as text."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "name: hostile\nseed: 2025\nreplications: 1\nscenarios:\n"
        f"  - file: {DATA / 'short_winter.yaml'}\n    name: '{SCRIPT}'\n"
        f"  - file: {DATA / 'short_same.yaml'}\n    name: '{SVG}'\n",
        encoding="utf-8",
    )
    assert main(["batch", str(plan), "--out", str(tmp_path / "store")]) == 0
    out = tmp_path / "cmp"
    assert main(["compare", "--store", str(tmp_path / "store"), SCRIPT, "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert_only_own_markup((out / "report.html").read_text(encoding="utf-8"), [SCRIPT, SVG])


def test_calibration_rolling_page_escapes_and_has_the_policy() -> None:
    """The calibration's HTML pages (escaped by hand, not templated) carry the same policy; a
    target's name and the text of the result show as text."""
    obs = np.array([70.0, 72.0, 74.0])
    rolling = {
        "origins": ["2024-01", "2024-04"],
        "horizon": 3,
        "method": {"waves": 2, STYLE: IMG},
        "naive": SVG,
        "uncalibrated_replications": 2,
        "forecast_factor": 1.5,
        "timings_s": {"fit": 60.0},
        "targets": {SCRIPT: score(True, obs, obs + 1, obs + 2, obs + 3, 2.0)},
    }
    assert_only_own_markup(rolling_html(rolling, page=True), [SCRIPT, SVG, f"{STYLE} {IMG}"])


def test_dollar_signs_in_names_are_drawn_as_written() -> None:
    """Two dollar signs in a scenario or site name made matplotlib parse the text between them as
    mathtext: ``cost $5m`` beside ``$x^$`` raised ValueError deep in savefig. Names are literal."""
    t = synthetic_table({"cost $5m to $6m": 0.0, r"other $x^$ \frac{": 1.0}, reps=2)
    t = t.assign(group=t["group"].replace({"weston": r"site $\sqrt{$"}))
    report = build_report(t, "cost $5m to $6m", title="$a^$")
    assert_only_own_markup(report.html, ["cost $5m to $6m", "$a^$"])
    assert report.missing == []
    fig = wf.fan_chart(t, "ae_within_4h", [r"site $\sqrt{$"], ["cost $5m to $6m"], "%", "title")
    fig.canvas.draw()  # what savefig does: every text laid out
    as_drawn = {x._preprocess_math(x.get_text()) for x in fig.findobj(Text)}  # (text, mathtext?)
    assert ("cost $5m to $6m", False) in as_drawn and (r"site $\sqrt{$", False) in as_drawn
    assert not any(kind for _, kind in as_drawn)  # nothing parsed as mathtext
