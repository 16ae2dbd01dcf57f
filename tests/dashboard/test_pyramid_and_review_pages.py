"""The pyramid and demonstration-county pages' callbacks as plain functions, on the small demo data."""

import base64
import importlib
import json

import plotly.graph_objects as go
import pytest

from dashboard.app import create_app
from geo.access import Principal
from geo.enums import Role
from tests.dashboard.test_overview import run
from werkzeug.exceptions import Forbidden as HttpForbidden

YEAR_2024 = [12, 23]


@pytest.fixture(scope="module")
def pages():
    create_app()
    return (importlib.import_module("dashboard.pages.pyramid"), importlib.import_module("dashboard.pages.demo_county"))


@pytest.fixture
def on_demo(demo_engine, dashboard_on, pages):
    dashboard_on(demo_engine.url)
    return pages


def test_pyramid_page_draws_counts_flows_and_multiples(on_demo):
    pyramid, _ = on_demo
    bars, index, trend, sankey, multiples, period, error = run(pyramid.update, None, YEAR_2024, "", None, None)
    assert error == "" and period == "2024年1月—2024年12月"
    actual = bars.data[0]
    total = sum(actual.x)
    upper = sum(actual.x[2:])
    assert index.startswith(f"{upper / total:.1%}") and f"{upper:,}/{total:,}" in index
    assert list(actual.customdata) == ["township", "county", "city", "province", "beijing"]
    assert isinstance(sankey.data[0], go.Sankey) and sum(sankey.data[0].link.value) == 2 * total
    assert len(multiples.data) == 11 and len(trend.data[0].x) == 12


def test_pyramid_filters_narrow_the_counts(on_demo):
    pyramid, _ = on_demo
    everything = run(pyramid.update, None, YEAR_2024, "", None, None)[0]
    complaints = run(pyramid.update, None, YEAR_2024, "411502", ["complaint_request"], None)[0]
    assert 0 < sum(complaints.data[0].x) < sum(everything.data[0].x)


def test_clicking_a_bar_or_a_flow_lists_the_petitions_masked(on_demo):
    pyramid, _ = on_demo
    bar = {"points": [{"customdata": "beijing"}]}
    title, table = run(pyramid.drill, "py-pyramid.clickData", bar, None, YEAR_2024, "", None, None)
    text = json.dumps(table.to_plotly_json(), ensure_ascii=False, default=str)
    assert title.startswith("信访事项明细：共") and "赴京" in text and "*" in text
    flow = {"points": [{"customdata": ["初信初访", "county", "411522", ""]}]}
    title, table = run(pyramid.drill, "py-sankey.clickData", None, flow, YEAR_2024, "", None, None)
    text = json.dumps(table.to_plotly_json(), ensure_ascii=False, default=str)
    assert "县级" in text and "赴京" not in text


@pytest.mark.parametrize("trigger, click", [
    ("py-sankey.clickData", {"points": [{"customdata": ["初信初访", "county", "411522", ""]}]}),  # another county
    ("py-sankey.clickData", {"points": [{"customdata": ["初信初访", "moon", "", ""]}]}),
    ("py-pyramid.clickData", {"points": [{"customdata": "moon"}]}),
    ("py-pyramid.clickData", {"points": "x"}),
    ("py-sankey.clickData", {"points": [{"customdata": 7}]}),
])
def test_a_forged_drill_is_answered_with_a_message(on_demo, signed_in, trigger, click):
    pyramid, _ = on_demo
    signed_in(Principal("py_county", Role.COUNTY_SUPERVISOR, "411502"))
    bar, flow = (click, None) if trigger == "py-pyramid.clickData" else (None, click)
    title, answer = run(pyramid.drill, trigger, bar, flow, YEAR_2024, "", None, None)
    assert title == "信访事项明细" and getattr(answer, "id", None) != "py-drill-table"
    assert answer.children and isinstance(answer.children, str)


def test_review_page_compares_chosen_counties(on_demo):
    _, review = on_demo
    scores, trend, comparison, radar, changes, error = run(review.update, None, 2025, ["411502", "411522"], None)
    assert error == ""
    assert {t.name for t in radar.data} == {"浉河区", "光山县"} and len(trend.data) == 2
    text = json.dumps(comparison.to_plotly_json(), ensure_ascii=False, default=str)
    assert "初信初访一次性化解率" in text and ("达标" in text)
    too_few = run(review.update, None, 2025, ["411502"], None)
    assert "请选择 2 到 4 个县区" in too_few[-1]


def test_review_pack_downloads(on_demo):
    _, review = on_demo
    pdf = run(review.download, "dc-pdf.n_clicks", 0, 1, 2025, ["411502", "411522"])
    assert pdf["filename"].endswith(".pdf") and base64.b64decode(pdf["content"]).startswith(b"%PDF")
    xlsx = run(review.download, "dc-xlsx.n_clicks", 1, 0, 2025, ["411502", "411522"])
    assert xlsx["filename"].endswith(".xlsx")


def test_catalogue_upload_reports_rows_and_refuses_other_files(fresh_demo_db_url, dashboard_on, pages, signed_in):
    dashboard_on(fresh_demo_db_url)  # the upload commits: a database of its own
    _, review = pages
    good = "year,name,weight,target,direction,measure\n2026,新指标,10,0.9,up,satisfaction_rate\n"
    payload = "data:text/csv;base64," + base64.b64encode(good.encode()).decode()
    with pytest.raises(HttpForbidden):  # only administrators keep the catalogue
        run(review.upload_catalogue, None, payload, "目录.csv")
    signed_in(Principal("admin", Role.ADMIN))
    result = run(review.upload_catalogue, None, payload, "目录.csv")
    assert "新增 1 条" in json.dumps(result.to_plotly_json(), ensure_ascii=False)
    bad = "year,name,weight,target,direction\n2026,缺列,10,0.9,up\n"
    result = run(review.upload_catalogue, None, "data:text/csv;base64," + base64.b64encode(bad.encode()).decode(),
                 "坏目录.csv")
    text = json.dumps(result.to_plotly_json(), ensure_ascii=False)
    assert "坏目录.csv" in text and ("计算方式" in text or "measure" in text)
    refused = run(review.upload_catalogue, None, payload, "../../etc/passwd")
    assert "只接受" in json.dumps(refused.to_plotly_json(), ensure_ascii=False)
