"""The app in a real headless Chromium (Debian's ``chromium``, driven by Playwright): the
walk-through of docs/app.md, from the baseline to a compared intervention and its report.

Starts ``python -m simcare app`` on a free port, then: choose the one-week test scenario, run the
baseline, switch on a lever, run the comparison, read the impact, look at the system map, and
download the HTML report. A screenshot of each step goes to the test's output folder
(``SIMCARE_APP_SCREENSHOTS=DIR`` also copies them there, as docs/img/app/ was made). Any Python
traceback in the page fails the test. Skipped only when Chromium is missing and CI is not set.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).with_name("data")
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

pytestmark = pytest.mark.slow


def _need_browser() -> None:
    missing = []
    if CHROMIUM is None:
        missing.append("chromium (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[app]')")
    if not missing:
        return
    if os.environ.get("CI"):
        pytest.fail(f"the browser test must run in CI, but {' and '.join(missing)} is missing")
    pytest.skip(f"browser test skipped: {' and '.join(missing)} not installed (CI installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    _need_browser()
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    log = (tmp_path / "app.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "simcare", "app", "--port", str(port), "--no-browser"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail(f"the app did not start:\n{(tmp_path / 'app.log').read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_walk_through_in_chromium(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    copy_to = os.environ.get("SIMCARE_APP_SCREENSHOTS")
    steps: list[str] = []

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)

        def no_traceback() -> None:
            text = page.inner_text("body")
            assert "Traceback (most recent call last)" not in text, text[:3000]
            assert page.locator("[data-testid='stException']").count() == 0, text[:3000]

        def shot(name: str) -> None:
            page.wait_for_timeout(700)  # let charts finish drawing
            no_traceback()
            path = shots / f"{len(steps) + 1:02d}-{name}.png"
            page.screenshot(path=str(path), full_page=False)
            steps.append(path.name)

        sidebar = page.locator("[data-testid='stSidebar']")
        main = page.locator("[data-testid='stMain']")
        # 1. open the app: the shipped BNSSG baseline is chosen and valid
        page.goto(app_url, wait_until="networkidle")
        expect(page.get_by_text("simcare: urgent and emergency care scenarios")).to_be_visible(timeout=60_000)
        expect(sidebar.get_by_text("Run the baseline")).to_be_visible(timeout=60_000)
        shot("start")
        # 2. a scenario folder: the one-week test scenario (its dated events outside are noted)
        sidebar.get_by_text("scenario folder").click()
        box = sidebar.get_by_label("Folder with scenario files (YAML)")
        box.fill(str(DATA))
        box.press("Enter")
        expect(main.get_by_text("is outside the simulated period").first).to_be_visible(timeout=60_000)
        reps = sidebar.get_by_label("Replications")
        reps.fill("2")
        reps.press("Enter")
        expect(sidebar.get_by_text("2 replications of 10 days")).to_be_visible(timeout=30_000)
        shot("scenario")
        # 3. run the baseline: headline figures with 95 % intervals
        sidebar.get_by_role("button", name="Run the baseline").click()
        expect(main.get_by_text("replications of 1 scenario(s)")).to_be_visible(timeout=180_000)
        expect(main.get_by_text("Headline figures (mean over replications, 95 % interval)")).to_be_visible()
        shot("baseline")
        # 4. an intervention: move 10 % of NHS 111 phone demand online (the slider's default)
        sidebar.get_by_text("digital first").click()
        use = sidebar.get_by_text("use digital_first")
        expect(use).to_be_visible(timeout=60_000)  # the expander's content, under a loaded machine
        use.click()
        run = sidebar.get_by_role("button", name="Run baseline and intervention")
        expect(run).to_be_visible(timeout=120_000)
        shot("lever")
        run.click()
        expect(main.get_by_text("replications of 2 scenario(s)")).to_be_visible(timeout=180_000)
        # 5. the impact, with its interval and verdict
        main.get_by_role("tab", name="Impacts").click()
        expect(main.get_by_text("Impact of bnssg_app_tiny_variant against bnssg_app_tiny")).to_be_visible(
            timeout=30_000
        )
        panel = main.get_by_role("tabpanel", name="Impacts")
        expect(panel.locator("[data-testid='stDataFrame']")).to_be_visible()
        panel.get_by_text("Impact of").scroll_into_view_if_needed()
        shot("impacts")
        # 6. day by day and the system map
        main.get_by_role("tab", name="Day by day").click()
        expect(main.get_by_text("Daily measure")).to_be_visible(timeout=30_000)
        shot("daily")
        main.get_by_role("tab", name="System map").click()
        expect(main.get_by_text("Hour of day")).to_be_visible(timeout=60_000)
        expect(main.locator("svg .node").first).to_be_visible(timeout=60_000)
        main.locator("svg .node").first.scroll_into_view_if_needed()
        shot("map")
        # 7. the report: download it
        main.get_by_role("tab", name="Save and download").click()
        button = main.get_by_role("button", name="Download the HTML report")
        expect(button).to_be_visible(timeout=60_000)
        shot("download")
        with page.expect_download(timeout=60_000) as info:
            button.click()
        report = tmp_path / "report.html"
        info.value.save_as(str(report))
        no_traceback()
        browser.close()

    html = report.read_text(encoding="utf-8")
    assert "<html" in html and "Impacts at a glance" in html
    assert "bnssg_app_tiny_variant" in html
    assert len(steps) == 8
    if copy_to:
        Path(copy_to).mkdir(parents=True, exist_ok=True)
        for name in steps:
            shutil.copy(shots / name, Path(copy_to) / name)
