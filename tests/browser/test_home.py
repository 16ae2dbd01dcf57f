"""The home page in real headless Chromium: title, counties drawn from the database, the source note."""

import pytest

pytestmark = pytest.mark.browser


def test_home_page_draws_the_ten_counties(live_server, page):
    page.goto(live_server + "/")
    page.wait_for_selector("#county-map .maplibregl-canvas", timeout=30_000)
    assert "枫桥网格" in page.title()
    assert page.inner_text("#county-count") == "共 10 个县区有边界数据。"
    assert "官方区划边界" in page.inner_text("#map-note")
    # The choropleth is drawn on the canvas; its trace holds exactly the ten counties from the database.
    locations = page.evaluate("document.querySelector('#county-map .js-plotly-plot').data[0].locations")
    assert sorted(locations) == ["411502", "411503", *[f"4115{n}" for n in range(21, 29)]]
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.reload()
    page.wait_for_selector("#county-map .maplibregl-canvas", timeout=30_000)
    assert errors == []
