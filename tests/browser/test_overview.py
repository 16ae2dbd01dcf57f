"""The overview page in real headless Chromium: drill down, change the period, big screen, exports."""

import re

import pytest

pytestmark = pytest.mark.browser


def wait_map(page, level_codes: int):
    """Wait until the map trace holds locations with codes of the given length, and the other callbacks are done."""
    page.wait_for_function(
        "n => { const g = document.querySelector('#ov-map .js-plotly-plot');"
        " return g && g.data && g.data[0].locations.length > 0 && g.data[0].locations[0].length === n; }",
        arg=level_codes, timeout=30_000,
    )
    settle(page)  # the breadcrumb, note and lists come from other callbacks


def settle(page):
    """Wait until Dash has no callback in flight (it sets the title to "Updating..." meanwhile)."""
    page.wait_for_timeout(300)
    page.wait_for_function("document.title !== 'Updating...'", timeout=30_000)


def kpi_text(page) -> str:
    return page.inner_text("#ov-kpis")


def test_overview_drills_plays_and_goes_big(demo_live_server, page):
    demo_live_server.sign_in(page, "demo_leader", "/")
    page.wait_for_selector("#ov-map .maplibregl-canvas", timeout=30_000)
    wait_map(page, 6)
    assert "一次性化解率" in kpi_text(page) and "同比" in kpi_text(page)
    assert "官方区划边界" in page.inner_text("#ov-map-note")

    page.click("#ov-top a.unit-link >> nth=0")  # the top county
    wait_map(page, 12)
    county = page.inner_text("#ov-breadcrumb")
    assert re.search(r"信阳市\s*›\s*(浉河区|光山县)", county)
    assert "示意边界" in page.inner_text("#ov-map-note")

    page.click("#ov-top a.unit-link >> nth=0")  # the top township of that county
    wait_map(page, 15)
    assert page.inner_text("#ov-breadcrumb").count("›") == 2
    assert page.inner_text("#ov-records-title").endswith("当事人已脱敏）")

    before_kpis, before_title = kpi_text(page), page.evaluate(
        "document.querySelector('#ov-map .js-plotly-plot').layout.title.text")
    page.click("#ov-play")
    page.wait_for_function(
        "t => document.querySelector('#ov-map .js-plotly-plot').layout.title.text !== t",
        arg=before_title, timeout=30_000)
    page.click("#ov-play")  # pause
    settle(page)
    assert kpi_text(page) != before_kpis

    page.click("#ov-breadcrumb button >> nth=0")  # back to the city
    wait_map(page, 6)

    with page.expect_download() as table:
        page.click("#ov-xlsx")
    assert table.value.suggested_filename.endswith(".xlsx")

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.click("#ov-bigscreen")
    page.wait_for_selector("#ov-page.bigscreen")
    page.wait_for_timeout(500)
    boxes = page.evaluate("() => ['#ov-kpis', '#ov-map', '#ov-ranking'].map(s => {"
                          " const r = document.querySelector(s).getBoundingClientRect();"
                          " return [r.top, r.left, r.bottom, r.right, r.height]; })")
    for top, left, bottom, right, height in boxes:  # all three on the 1920x1080 screen, none squashed
        assert top >= 0 and left >= 0 and bottom <= 1080 and right <= 1920 and height > 200
    assert page.is_visible("#ov-map") and page.is_visible("#ov-ranking") and page.is_visible("#ov-kpis")
    page.screenshot(path=str(demo_live_server.screenshot_dir / "overview-bigscreen.png"))
