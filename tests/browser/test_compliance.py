"""The 排查报告 page in real headless Chromium: the matrix and the map draw, a county narrows them, a late
report entered through the form turns its cell from missing to late."""

from datetime import date

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from geo import db, screening

pytestmark = pytest.mark.browser

MATRIX = "#cp-matrix .js-plotly-plot"
LATE, MISSING = 1, 0  # dashboard.figures.compliance.MATRIX_CODES


def wait_rows(page, rows: int):
    page.wait_for_function(
        "n => { const g = document.querySelector('#cp-matrix .js-plotly-plot');"
        " return g && g.data && g.data.length > 0 && g.data[0].type === 'heatmap' && g.data[0].y.length === n; }",
        arg=rows, timeout=60_000,
    )


def cell(page, label: str, column: int) -> float:
    return page.evaluate(
        "([label, j]) => { const d = document.querySelector('#cp-matrix .js-plotly-plot')._fullData[0];"
        " return d.z[d.y.indexOf(label)][j]; }", [label, column])


def settle(page):
    """Wait until Dash has no callback in flight (it sets the title to "Updating..." meanwhile)."""
    page.wait_for_timeout(300)
    page.wait_for_function("document.title !== 'Updating...'", timeout=60_000)


def choose(page, selector: str, typed: str, attempts: int = 6):
    """Pick an option by typing part of its label, once the callbacks that fill the options are done.

    Options that arrive while the search is typed may not be filtered in: close the list, clear what was
    typed and type again."""
    for attempt in range(attempts):
        settle(page)
        page.click(selector)
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        page.keyboard.type(typed)
        try:
            page.wait_for_selector(f".dash-dropdown-option:has-text(\"{typed}\")", timeout=15_000)
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
            continue
        page.keyboard.press("Enter")
        return


def a_missing_weekly_report(url):
    """A village's weekly report the demo data lacks in the page's default weeks (29 September to
    28 December 2025, no sensitive period), with its township's name and its column in the matrix."""
    engine = db.make_engine(url)
    with db.session_factory(engine)() as session:
        gaps = screening.compliance(session, date(2025, 9, 29), date(2025, 12, 28), "411502", levels=["village"])
        missing = gaps[(gaps["status"] == "missing") & (gaps["kind"] == "weekly")].iloc[-1]
        township = screening.reporting_units(session, missing["unit_code"][:9] + "000", ["township"])
    engine.dispose()
    return missing, township["name"].iat[0], (missing["period_start"] - date(2025, 9, 29)).days // 7


def test_matrix_map_and_a_late_entry(demo_live_server, fresh_demo_db_url, page):
    missing, township, column = a_missing_weekly_report(fresh_demo_db_url)
    labels = [missing["unit_name"], f"{missing['unit_name']}（{missing['unit_code']}）"]
    demo_live_server.sign_in(page, "demo_leader", "/compliance")
    wait_rows(page, 38)  # the city: the demo's 38 townships, the last 13 weeks
    assert page.evaluate(f"document.querySelector('{MATRIX}').data[0].x.length") == 13
    legend = page.text_content("#cp-matrix g.legend")
    for label in ("未报告", "逾期报告", "按时报告", "按时零报告"):
        assert label in legend
    page.wait_for_selector("#cp-map .maplibregl-canvas", timeout=60_000)
    page.wait_for_function("() => { const g = document.querySelector('#cp-map .js-plotly-plot');"
                           " return g && g.data && g.data.length > 0 && g.data[0].locations && g.data[0].locations.length === 38; }",
                           timeout=60_000)
    assert "未报告" in page.text_content("#cp-map g.colorbar")
    page.wait_for_function("document.querySelectorAll('#cp-ranking-table tbody tr').length === 38", timeout=60_000)

    choose(page, "#cp-county", "浉河区")
    choose(page, "#cp-township", township)
    page.wait_for_function(  # the township's villages, the one that missed a report among them
        "names => { const g = document.querySelector('#cp-matrix .js-plotly-plot');"
        " return g && g.data.length > 0 && g.data[0].y.length < 38 && g.data[0].y.some(v => names.includes(v)); }",
        arg=labels, timeout=60_000)
    villages = page.evaluate(f"document.querySelector('{MATRIX}').data[0].y")
    label = next(v for v in villages if v in labels)  # a name two villages share carries the code
    assert cell(page, label, column) == MISSING

    assert not page.is_visible("#cp-entry-submit")  # the leadership reads everything and writes nothing
    demo_live_server.sign_in(page, "demo_county", "/compliance")  # 浉河区's supervisor enters the report
    choose(page, "#cp-township", township)
    page.wait_for_function(
        "names => { const g = document.querySelector('#cp-matrix .js-plotly-plot');"
        " return g && g.data.length > 0 && g.data[0].y.some(v => names.includes(v)); }", arg=labels, timeout=60_000)
    choose(page, "#cp-entry-unit", missing["unit_code"])  # the code is in the label and unique
    page.fill("#cp-entry-period", missing["period_start"].isoformat())
    page.keyboard.press("Enter")
    page.click("#cp-entry-zero input[value=zero]")
    page.click("#cp-entry-submit")
    page.wait_for_selector("#cp-entry-ok", timeout=60_000)
    assert "计为逾期报告" in page.inner_text("#cp-entry-ok")
    page.wait_for_function(
        "([label, j, late]) => { const d = document.querySelector('#cp-matrix .js-plotly-plot')._fullData[0];"
        " return d.z[d.y.indexOf(label)][j] === late; }", arg=[label, column, LATE], timeout=60_000)
    page.screenshot(path=str(demo_live_server.screenshot_dir / "compliance.png"), full_page=True)
