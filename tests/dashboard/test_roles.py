"""Each role through the pages' own callbacks: its area by default, another area refused and logged."""

from __future__ import annotations

import importlib

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import Forbidden as HttpForbidden

from dashboard.app import create_app
from geo.access import Principal
from geo.enums import Role
from tests.dashboard.test_overview import run

TOWNSHIP = "411502001000"  # 老城街道, 浉河区
OTHER_COUNTY = "411522"    # 光山县
TOWNSHIP_SUPERVISOR = Principal("laocheng", Role.TOWNSHIP_SUPERVISOR, TOWNSHIP)
COUNTY_SUPERVISOR = Principal("shihe", Role.COUNTY_SUPERVISOR, "411502")
REVIEWER = Principal("reviewer", Role.REVIEWER)
YEAR_2024 = [12, 23]


@pytest.fixture(scope="module")
def pages():
    create_app()
    return {name: importlib.import_module(f"dashboard.pages.{name}")
            for name in ("overview", "pyramid", "clock", "warnings", "compliance")}


@pytest.fixture
def on_fresh(fresh_demo_db_url, dashboard_on, pages):
    dashboard_on(fresh_demo_db_url)
    engine = sa.create_engine(fresh_demo_db_url)
    yield pages, engine
    engine.dispose()


def refusals(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT username, detail->>'area' FROM audit_log WHERE action = 'refused' ORDER BY id"))]


def test_a_township_supervisors_overview_stays_in_the_township(on_fresh, signed_in):
    pages, engine = on_fresh
    overview = pages["overview"]
    signed_in(TOWNSHIP_SUPERVISOR)
    scope = overview.initial_scope()
    assert (scope["area"], scope["level"], [code for code, _ in scope["trail"]]) == (TOWNSHIP, "grid", [TOWNSHIP])
    figure, *_ = run(overview.update_map, None, scope, YEAR_2024, None, None, None, "disputes")
    cells = [f["id"] for f in figure.data[0].geojson["features"]]
    assert cells and all(code.startswith(TOWNSHIP[:9]) for code in cells)
    forged = {"area": "", "level": "county", "trail": [["", "信阳市"]]}  # "the whole city" → their own area
    figure, *_ = run(overview.update_map, None, forged, YEAR_2024, None, None, None, "disputes")
    assert all(f["id"].startswith(TOWNSHIP[:9]) for f in figure.data[0].geojson["features"])
    with pytest.raises(HttpForbidden):
        run(overview.update_map, None, {"area": OTHER_COUNTY, "level": "township", "trail": []}, YEAR_2024,
            None, None, None, "disputes")
    with pytest.raises(HttpForbidden):
        run(overview.update_records, None, "411522001001001", YEAR_2024, None, None, None)
    with pytest.raises(HttpForbidden):  # the county ranking is for city-wide users
        run(overview.update_ranking, None, YEAR_2024, "disputes", 0)
    assert refusals(engine)[:2] == [("laocheng", OTHER_COUNTY), ("laocheng", "411522001001001")]


def test_a_county_supervisor_reads_the_county_and_not_the_next(on_fresh, signed_in):
    pages, engine = on_fresh
    signed_in(COUNTY_SUPERVISOR)
    *_, error = run(pages["clock"].update, None, "2024-06-30", 60, "", "county")
    assert error == ""
    summary = run(pages["clock"].update, None, "2024-06-30", 60, "", "township")[3]
    assert "光山" not in str(summary)
    for call in (lambda: run(pages["clock"].update, None, "2024-06-30", 60, OTHER_COUNTY, "county"),
                 lambda: run(pages["pyramid"].update, None, YEAR_2024, OTHER_COUNTY, None, None),
                 lambda: run(pages["warnings"].update, None, "2025-12-31", "township", OTHER_COUNTY, None),
                 lambda: run(pages["compliance"].township_options, None, OTHER_COUNTY)):
        with pytest.raises(HttpForbidden):
            call()
    assert [area for _, area in refusals(engine)] == [OTHER_COUNTY] * 4


def test_a_reviewer_sees_the_pyramid_but_no_petition(on_fresh, signed_in):
    pages, _ = on_fresh
    signed_in(REVIEWER)
    *_, error = run(pages["pyramid"].update, None, YEAR_2024, "", None, None)
    assert error == ""
    bar = {"points": [{"customdata": "beijing"}]}
    title, table = run(pages["pyramid"].drill, "py-pyramid.clickData", bar, None, YEAR_2024, "", None, None)
    assert table.id == "py-no-records"
    with pytest.raises(HttpForbidden):  # the overview is not a reviewer's page
        run(pages["overview"].update_kpis, None, {"area": "", "level": "county", "trail": []}, YEAR_2024, 0)
