"""The overview page's callbacks as plain functions, on the small demo data set."""

import base64
import importlib
import io
import json
from contextvars import copy_context

import openpyxl
import plotly.graph_objects as go
import pytest
from dash import Patch
from dash._callback_context import context_value
from dash._utils import AttributeDict

from dashboard.app import create_app

YEAR_2024 = [12, 23]
NO_FILTERS = (None, None, None)


@pytest.fixture(scope="module")
def overview():
    """The page module, imported the way Dash imports it (pages register with an app)."""
    create_app()
    return importlib.import_module("dashboard.pages.overview")


def run(callback, trigger: str | None, *args):
    """Call a callback's function as Dash would, with ``trigger`` as the input that fired."""
    def call():
        triggered = [{"prop_id": trigger, "value": None}] if trigger else []
        context_value.set(AttributeDict(triggered_inputs=triggered))
        return callback(*args)  # the page_callback wrapper: role and area checks run too
    return copy_context().run(call)


@pytest.fixture
def demo_dashboard(demo_engine, dashboard_on, overview):
    dashboard_on(demo_engine.url)
    return overview


def test_first_draw_sends_geometry_and_a_filter_change_sends_only_values(demo_dashboard):
    overview = demo_dashboard
    figure, top, note, error = run(overview.update_map, None, overview.CITY, YEAR_2024, *NO_FILTERS, "disputes")
    assert isinstance(figure, go.Figure) and error == ""
    assert len(figure.data[0].geojson["features"]) == 10  # counties with boundaries (411571 has none here)
    patch, *_ = run(overview.update_map, "ov-domains.value", overview.CITY, YEAR_2024,
                    ["labour_social_security"], None, None, "disputes")
    assert isinstance(patch, Patch)
    sent = json.dumps(patch.to_plotly_json(), ensure_ascii=False)
    assert "geojson" not in sent and len(sent) < len(figure.to_json()) / 5
    assert "劳动社保" in sent  # the title names the filter
    assert "官方区划边界" in note


def test_values_follow_the_filters(demo_dashboard):
    overview = demo_dashboard
    scope = {"area": "", "level": "county", "trail": [["", "信阳市"]]}
    all_figure, *_ = run(overview.update_map, None, scope, YEAR_2024, *NO_FILTERS, "disputes")
    labour, *_ = run(overview.update_map, "ov-domains.value", scope, YEAR_2024, ["labour_social_security"],
                     None, None, "disputes")
    z_all = dict(zip(all_figure.data[0].locations, all_figure.data[0].z))
    z_labour = dict(zip(all_figure.data[0].locations, labour.to_plotly_json()["operations"][1]["params"]["value"]))
    assert 0 < z_labour["411502"] < z_all["411502"]


def test_drilling_from_city_to_county_to_township_to_cell(demo_dashboard):
    overview = demo_dashboard
    click = {"points": [{"location": "411502", "z": 848}]}
    scope, selected = run(overview.navigate, "ov-map.clickData", click, "county", [], [], overview.CITY)
    assert scope == {"area": "411502", "level": "township", "trail": [["", "信阳市"], ["411502", "浉河区"]]}
    figure, top, *_ = run(overview.update_map, None, scope, YEAR_2024, *NO_FILTERS, "per_1000")
    assert all(code.startswith("411502") and len(code) == 12 for code in figure.data[0].locations)
    township = {"type": "ov-unit", "code": "411502001000", "name": "老城街道"}
    scope, _ = run(overview.navigate, json.dumps(township, separators=(",", ":")) + ".n_clicks",
                   None, "county", [], [1], scope)
    assert scope["level"] == "grid" and scope["trail"][-1] == ["411502001000", "老城街道"]
    figure, *_ = run(overview.update_map, None, scope, YEAR_2024, *NO_FILTERS, "hotspot")
    assert all(code.startswith("411502001") and len(code) == 15 for code in figure.data[0].locations)
    assert set(figure.data[0].z) <= {-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0}
    crumb = {"type": "ov-crumb", "index": 0}
    back, _ = run(overview.navigate, json.dumps(crumb, separators=(",", ":")) + ".n_clicks",
                  None, "county", [1, 0, 0], [], scope)
    assert back["area"] == "" and back["level"] == "county"


def test_records_of_a_unit_are_masked(demo_dashboard):
    overview = demo_dashboard
    title, table = run(overview.update_records, None, "411502", YEAR_2024, *NO_FILTERS)
    text = json.dumps(table.to_plotly_json(), ensure_ascii=False, default=str)
    assert "最近 50 条" in title and "*" in text


def test_kpi_band_and_ranking(demo_dashboard):
    overview = demo_dashboard
    band, caption = run(overview.update_kpis, None, overview.CITY, YEAR_2024, None)
    assert "2024年1月—2024年12月" in caption
    assert "一次性化解率" in json.dumps(band.to_plotly_json(), ensure_ascii=False, default=str)
    ranking = run(overview.update_ranking, None, YEAR_2024, "collective_count", None)
    assert "县区平均" in json.dumps(ranking.to_plotly_json()["layout"], ensure_ascii=False)


def test_table_export_is_titled_and_safe(demo_dashboard):
    overview = demo_dashboard
    scope = {"area": "411502", "level": "township", "trail": [["", "信阳市"], ["411502", "浉河区"]]}
    download = run(overview.download_table, None, 1, scope, YEAR_2024, ["labour_social_security"], None, None,
                   "disputes")
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(download["content"])))
    rows = list(book.active.values)
    assert rows[0][0] == "浉河区 乡镇（街道）矛盾纠纷统计"
    assert rows[1][0] == "时段：2024年1月—2024年12月" and "劳动社保" in rows[2][0]
    assert rows[5][:3] == ("代码", "名称", "住户数")
    assert len(rows) - 6 == 19  # 浉河区 has 19 townships, one row each
    assert download["filename"].endswith(".xlsx")


@pytest.mark.parametrize("level, area, expected_area, expected_level, crumbs", [
    (None, None, "", "county", 1),
    ("grid", None, "", "grid", 1),
    ("planet", None, "", "county", 1),
    (None, "411502", "411502", "township", 2),
    (None, "411502001000", "411502001000", "grid", 3),
    (None, "999999", "", "county", 1),
    (None, "4115'; --", "", "county", 1),
])
def test_links_open_a_scope(demo_dashboard, level, area, expected_area, expected_level, crumbs):
    scope = demo_dashboard.initial_scope(level, area)
    assert (scope["area"], scope["level"], len(scope["trail"])) == (expected_area, expected_level, crumbs)
