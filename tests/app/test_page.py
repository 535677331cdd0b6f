"""The app's page with Streamlit's own harness (streamlit.testing.v1.AppTest): every section,
tab and control, on a one-week scenario (tests/app/data/tiny.yaml) with 1-2 replications."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from simcare.app import PAGE  # noqa: E402
from simcare.cli import main  # noqa: E402

DATA = Path(__file__).with_name("data")
TINY = DATA / "tiny.yaml"


def _app() -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _tiny(at: AppTest, folder: Path = DATA) -> AppTest:
    at.radio(key="source").set_value("scenario folder").run()
    at.text_input(key="folder").set_value(str(folder)).run()
    if at.sidebar.selectbox and any(w.key == "workers" for w in at.sidebar.selectbox):
        at.selectbox(key="workers").set_value(1)
    return at


def _texts(items: object) -> list[str]:
    return [str(e.value) for e in items]  # type: ignore[attr-defined]


def _finish(at: AppTest, seconds: float = 120) -> AppTest:
    """Rerun until the run in the background has finished (the page shows its success line)."""
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        at.run()
        assert not at.exception, _texts(at.exception)
        if at.success or at.error:
            return at
        time.sleep(0.3)
    raise AssertionError("the run did not finish")


def test_shipped_system_is_the_default_and_valid() -> None:
    at = _app()
    assert at.radio(key="source").value == "shipped system"
    assert at.selectbox(key="system").value == "bnssg"
    assert at.selectbox(key="scenario").value == "baseline_winter.yaml"
    assert "baseline_winter.yaml" in at.selectbox(key="scenario").options
    assert not at.error
    # every lever of simcare.scenario.levers.LEVERS is offered, off by default
    from simcare.scenario.levers import LEVERS

    for name in LEVERS:
        assert at.checkbox(key=f"use.{name}").value is False
    # the estimate: BNSSG winter with its 52-week warm-up, 546 simulated days (1.5 s per 266 days),
    # 5 replications on 2 processes: 3 rounds of 3.1 s and 8 s to start the pool
    caption = " ".join(_texts(at.sidebar.caption))
    assert "about 17 s" in caption and "546 days" in caption


def test_folder_that_is_not_one_is_an_error_in_the_page(tmp_path: Path) -> None:
    at = _app()
    at.radio(key="source").set_value("scenario folder").run()
    at.text_input(key="folder").set_value(str(tmp_path / "nowhere")).run()
    assert any("not a folder" in t for t in _texts(at.error))
    at.text_input(key="folder").set_value(str(tmp_path)).run()
    assert any("no scenario files" in t for t in _texts(at.error))


def test_broken_file_shows_the_messages_of_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        f"extends: {TINY}\nname: broken\nrun: {{replications: many}}\ned: {{bri: {{cubicle: 3}}}}\n"
    )
    main(["validate", str(broken)])
    expected = capsys.readouterr().out.strip()
    assert "problem" in expected
    at = _tiny(_app(), tmp_path)
    page = "\n".join(_texts(at.error))
    assert expected in page


def test_uploaded_broken_file_shows_the_messages_of_validate(capsys: pytest.CaptureFixture[str]) -> None:
    at = _app()
    at.radio(key="source").set_value("upload a file").run()
    assert any("Upload a scenario file" in t for t in _texts(at.info))
    at.file_uploader(key="upload").upload("bad.yaml", b"name: [unclosed\n", "application/x-yaml").run()
    assert not at.exception
    page = "\n".join(_texts(at.error))
    assert "bad.yaml: 1 problem" in page and "YAML" in page


def test_tiny_baseline_run_then_every_tab(tmp_path: Path) -> None:
    at = _tiny(_app())
    notes = _texts(at.info)
    assert any("2026-01-01 is outside the simulated period" in n and n.endswith("skipped") for n in notes)
    caption = " ".join(_texts(at.sidebar.caption))
    assert "10 days" in caption  # 7 reported + 3 warm-up
    at.number_input(key="reps").set_value(2)
    at.sidebar.button(key="run").click().run()
    _finish(at)
    assert any("2 replications of 1 scenario" in t for t in _texts(at.success))
    assert [t.label for t in at.tabs] == [
        "Baseline",
        "Impacts",
        "Day by day",
        "Published months",
        "System map",
        "Save and download",
    ]
    baseline = at.dataframe[0].value
    assert {"measure", "mean", "low", "high", "95 % interval"} <= set(baseline.columns)
    row = baseline[baseline["measure"] == "G&A bed occupancy"].iloc[0]
    assert row["low"] <= row["mean"] <= row["high"] and 50 < row["mean"] < 110
    # impacts: none yet, a hint to choose a lever
    assert any("Choose an intervention" in t for t in _texts(at.info))
    # day by day: a fan chart per measure chosen
    kpis = at.selectbox(key="daily_kpi").options
    assert "ga_occupancy" in kpis
    at.selectbox(key="daily_kpi").set_value("nctr").run()
    assert not at.exception
    # the system map: day and hour sliders, play
    day = at.slider(key="map_day")
    assert day.value == 3  # the first reported day (after 3 days of warm-up)
    day.set_value(6).run()
    at.select_slider(key="map_hour").set_value(14).run()
    at.button(key="play").click().run()
    assert not at.exception
    at.button(key="play_hours").click().run()
    assert not at.exception
    # downloads: report and measures (no variant yet)
    labels = [b.label for b in at.get("download_button")]
    assert "Download the HTML report" in labels and "Download the measures (CSV)" in labels


def test_lever_and_comparison_then_save_the_variant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = _tiny(_app())
    at.checkbox(key="use.digital_first").check().run()
    at.slider(key="digital_first.online_shift").set_value(40.0).run()
    at.number_input(key="reps").set_value(2)
    assert any("2 scenarios" in t for t in _texts(at.sidebar.caption))
    at.sidebar.button(key="run").click().run()
    _finish(at)
    assert any("2 scenario(s)" in t for t in _texts(at.success))
    impacts = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert {"measure", "base", "intervention", "difference", "95 % low", "95 % high", "verdict"} <= set(
        impacts.columns
    )
    answered = impacts[impacts["measure"].str.startswith("NHS 111: % of calls answered")].iloc[0]
    assert answered["difference"] > 0  # 40 % of phone demand moved online: calls answered sooner
    # shown to the headline's decimals (1 for percentages, 0 for counts), not float precision
    assert answered["base"] == round(answered["base"], 1)
    over_12h = impacts[impacts["measure"] == "A&E: attendances over 12 hours"].iloc[0]
    assert over_12h["difference"] == round(over_12h["difference"])
    labels = [b.label for b in at.get("download_button")]
    assert "Download the comparison (CSV)" in labels
    assert "Download the variant (scenario YAML)" in labels
    at.text_input(key="save_folder").set_value(str(tmp_path)).run()
    at.button(key="save").click().run()
    saved = tmp_path / "bnssg_app_tiny_variant.yaml"
    assert saved.exists()
    assert any("simcare validate accepts it" in t for t in _texts(at.success))
    assert main(["validate", str(saved)]) == 0
    assert f"{saved}: ok" in capsys.readouterr().out


def test_lever_out_of_range_shows_the_message_of_validate(capsys: pytest.CaptureFixture[str]) -> None:
    at = _tiny(_app())
    at.checkbox(key="use.community_capacity").check().run()
    at.number_input(key="community_capacity.extra_clinicians").set_value(-3).run()
    page = "\n".join(_texts(at.error))
    assert "levers.community_capacity.extra_clinicians: Input should be greater than or equal to 0" in page
    variant = page.split("```\n", 1)[1].split(": 1 problem", 1)[0]
    assert main(["validate", variant]) == 1
    assert capsys.readouterr().out.strip() in page  # word for word what simcare validate prints
    assert not at.get("download_button")  # nothing runs from an invalid variant


@pytest.mark.parametrize(
    ("lever", "kind_key"),
    [
        ("digital_first", "online_shift"),
        ("handover_release", "after"),
        ("acute_capacity", "crews"),
        ("high_intensity_users", "channels"),
    ],
)
def test_every_kind_of_lever_field_gives_a_valid_variant(lever: str, kind_key: str) -> None:
    at = _tiny(_app())
    at.checkbox(key=f"use.{lever}").check().run()
    assert at.get_by_key(f"{lever}.{kind_key}") is not None
    assert not at.error, _texts(at.error)
    assert any("2 scenarios" in t for t in _texts(at.sidebar.caption))


def test_changed_window_skips_dated_events_with_notes() -> None:
    at = _tiny(_app())
    at.checkbox(key="window").check().run()
    at.date_input(key="start").set_value("2025-12-23").run()
    at.date_input(key="end").set_value("2025-12-24").run()
    at.text_input(key="warm_up").set_value("2d").run()
    notes = "\n".join(_texts(at.info))
    assert "calendar.bank_holidays[0]: 2025-12-25 is outside the simulated period" in notes
    assert not at.error
    assert "4 days" in " ".join(_texts(at.sidebar.caption))


def test_cancel_stops_a_run() -> None:
    at = _tiny(_app())
    at.number_input(key="reps").set_value(60)
    at.sidebar.button(key="run").click().run()
    if at.success:  # finished before the page came back: nothing to cancel
        pytest.skip("the run finished before it could be cancelled")
    assert at.get("progress"), "a progress bar while the run is going"
    at.button(key="cancel").click().run()
    _finish(at)
    assert any("did not finish" in t and "cancelled" in t for t in _texts(at.error))
