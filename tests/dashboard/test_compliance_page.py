"""The 排查报告 page's callbacks as plain functions, on the small demo data set (浉河区 and 光山县)."""

import importlib
import json
from datetime import date, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from dash import Patch, no_update

from dashboard.app import create_app
from dashboard.figures.compliance import MATRIX_CODES, NO_REPORT
from geo import db, screening
from geo.access import Principal
from geo.enums import Role
from tests.dashboard.conftest import LEADER
from tests.dashboard.test_overview import run
from werkzeug.exceptions import Forbidden as HttpForbidden

LIANGHUI_2024 = (date(2024, 2, 26), date(2024, 3, 11))  # the weeks around the 2024 sessions (1–11 March)
TOWNSHIP = "411502001000"  # 老城街道, 13 communities


@pytest.fixture(scope="module")
def page():
    create_app()
    return importlib.import_module("dashboard.pages.compliance")


def positions(page, first: date, last: date) -> list[int]:
    return [page.WEEKS.index(first), page.WEEKS.index(last)]


@pytest.fixture
def on_demo(demo_engine, dashboard_on, page):
    dashboard_on(demo_engine.url)
    return page


@pytest.fixture
def on_fresh(fresh_demo_db_url, dashboard_on, page):
    """The page on a database of the test's own, for callbacks that write."""
    dashboard_on(fresh_demo_db_url)
    engine = db.make_engine(fresh_demo_db_url)
    yield page, engine
    engine.dispose()


def text_of(component) -> str:
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component,
                      ensure_ascii=False, default=lambda c: c.to_plotly_json())


def test_matrix_rows_are_townships_for_the_city_and_villages_below(on_demo, demo_session):
    page = on_demo
    weeks = positions(page, *LIANGHUI_2024)
    city, caption, error = run(page.update_matrix, None, weeks, "", None, 0, 0)
    assert error == "" and caption == "2024年2月26日—2024年3月17日（3 周）"
    heatmap = city.data[0]
    assert len(heatmap.y) == 38 and "老城街道" in heatmap.y  # 19 townships in each demo county
    assert len(heatmap.x) == 3
    assert [trace.name for trace in city.data[1:]] == ["未报告", "逾期报告", "按时报告", "按时零报告", "未到期"]
    county, *_ = run(page.update_matrix, "cp-county.value", weeks, "411522", None, 0, 0)
    assert len(county.data[0].y) == 365  # 光山县's villages
    township, *_ = run(page.update_matrix, "cp-township.value", weeks, "411502", TOWNSHIP, 0, 0)
    assert len(township.data[0].y) == 13 and "义阳社区" in township.data[0].y
    # each cell is the worst status of the unit's week, as geo computes it
    cells = screening.status_by_week(demo_session, LIANGHUI_2024[0], LIANGHUI_2024[1] + timedelta(days=6), "411522",
                                     "village")
    z = np.array(county.data[0].z, dtype=float)
    rows = {code: i for i, code in enumerate(screening.reporting_units(demo_session, "411522", ["village"])["code"])}
    for status in ("missing", "late", "zero"):
        cell = cells[cells["status"] == status].iloc[0]
        assert z[rows[cell.unit_code], list(heatmap.x).index(cell.week)] == MATRIX_CODES[status]
    assert set(np.unique(z[~np.isnan(z)])) == {float(MATRIX_CODES[s]) for s in ("missing", "late", "on_time", "zero")}


def test_map_is_coloured_by_on_time_rate_and_a_week_change_sends_only_values(on_demo):
    page = on_demo
    weeks = positions(page, *LIANGHUI_2024)
    figure, note = run(page.update_map, None, weeks, "", None, 0, 0)
    trace = figure.data[0]
    assert len(trace.locations) == 38 and all(len(code) == 12 for code in trace.locations)
    assert all(0 <= z <= 1 for z in trace.z) and min(trace.z) < 1
    assert "按时率" in trace.customdata[0] and "示意边界" in note
    patch, note = run(page.update_map, "cp-weeks.value", [0, 155], "", None, 0, 0)
    assert isinstance(patch, Patch)
    sent = json.dumps(patch.to_plotly_json(), ensure_ascii=False)
    assert "geojson" not in sent and "2023年1月2日—2025年12月28日" in sent
    villages, _ = run(page.update_map, "cp-county.value", weeks, "411522", None, 0, 0)
    assert len(villages.data[0].locations) == 365


def test_rankings_of_counties_and_townships(on_demo, demo_session):
    page = on_demo
    weeks = positions(page, *LIANGHUI_2024)
    counties = run(page.update_county_ranking, None, weeks, 0, 0)
    rates = screening.compliance_rates(demo_session, date(2024, 2, 26), date(2024, 3, 17), "", by="county")
    assert list(counties.data[0].y) == list(rates.sort_values("rank", ascending=False)["name"])  # best on top
    assert counties.data[0].x[-1] == rates["on_time_rate"].max()
    title, table = run(page.update_rankings, None, weeks, "", None, 0, 0)
    assert title.startswith("乡镇（街道")
    rows = table.children[1].children
    assert len(rows) == 38 and rows[0].children[0].children == 1
    first, last = rows[0].children[3].children, rows[-1].children[3].children
    assert float(first.rstrip("%")) >= float(last.rstrip("%"))
    title, villages = run(page.update_rankings, None, weeks, "411502", TOWNSHIP, 0, 0)
    assert title == "村（社区）按时率排名" and len(villages.children[1].children) == 13


def test_units_missing_now_and_the_sensitive_periods(on_demo, demo_session):
    page = on_demo
    listed = run(page.update_missing, None, "2025-12-31", "", None, 0, 0)
    expected = screening.missing_now(demo_session, date(2025, 12, 31), "")
    assert len(expected) > 0
    assert f"共 {len(expected):,} 项" in listed[0].children
    assert len(listed[1].children[1].children) == min(len(expected), page.MAX_LISTED)
    assert expected["unit_name"].iat[0] in text_of(listed[1])
    township = screening.missing_now(demo_session, date(2025, 12, 31), TOWNSHIP)
    assert set(township["unit_code"]) < set(expected["unit_code"])
    narrowed = run(page.update_missing, None, "2025-12-31", "411502", TOWNSHIP, 0, 0)
    if len(township):
        assert f"共 {len(township):,} 项" in narrowed[0].children
    outside = run(page.update_missing, None, "2025-12-31", "411503", None, 0, 0)  # no grid network there yet
    assert "所有单位最近一期报告均已报送" in outside.children
    periods = text_of(run(page.update_sensitive, None, 0))
    assert "2024年全国两会" in periods and "光山县重点项目征迁攻坚期" in periods and "演示数据" in periods


def test_entry_units_follow_the_area(on_demo):
    page = on_demo
    city = run(page.entry_units, None, "", None)
    assert {len(o["value"]) for o in city} == {6, 12} and all(not o["value"].endswith("001") for o in city)
    township = run(page.entry_units, None, "411502", TOWNSHIP)
    assert [o["value"] for o in township][0] == TOWNSHIP and len(township) == 14


def test_declaring_a_sensitive_period_makes_daily_reports_due(on_fresh, signed_in):
    page, engine = on_fresh
    weeks = positions(page, date(2025, 6, 2), date(2025, 6, 2))
    before, *_ = run(page.update_matrix, None, weeks, "411502", TOWNSHIP, 0, 0)
    assert set(np.array(before.data[0].z, dtype=float)[:, 0]) != {MATRIX_CODES["missing"]}  # most filed that week
    with pytest.raises(HttpForbidden):  # the city leadership reads everything and writes nothing
        run(page.declare, "cp-sp-submit.n_clicks", 1, "端午节", "2025-06-02", "2025-06-03", None, None, 0)
    signed_in(Principal("city_admin", Role.ADMIN, None, "市联席办"))
    error, store = run(page.declare, "cp-sp-submit.n_clicks", 1, " ", "2025-06-02", "2025-06-03", None, None, 0)
    assert "名称" in text_of(error) and store is no_update
    message, store = run(page.declare, "cp-sp-submit.n_clicks", 1, "端午节", "2025-06-02", "2025-06-03", ["411502"],
                         "测试", 0)
    assert store == 1 and "已发布敏感时期“端午节”" in message.children
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT county_codes, source, declared_by FROM sensitive_period WHERE name = '端午节'")).one()
    assert tuple(row) == (["411502"], "entered", "city_admin")
    signed_in(LEADER)
    assert "端午节" in text_of(run(page.update_sensitive, None, store))
    after, *_ = run(page.update_matrix, None, weeks, "411502", TOWNSHIP, 0, store)
    # nobody filed the daily reports the new period asks for: every village's week is now missing
    assert set(np.array(after.data[0].z, dtype=float)[:, 0]) == {MATRIX_CODES["missing"]}
    elsewhere, *_ = run(page.update_matrix, None, weeks, "411522", None, 0, store)  # 光山县 is not covered
    assert set(np.array(elsewhere.data[0].z, dtype=float)[:, 0]) != {MATRIX_CODES["missing"]}


def test_the_entry_form_writes_a_late_report(on_fresh, signed_in):
    page, engine = on_fresh
    with db.session_factory(engine)() as session:
        gaps = screening.compliance(session, date(2024, 4, 8), date(2024, 4, 14), "411502", levels=["village"])
    missing = gaps[(gaps["status"] == "missing") & (gaps["kind"] == "weekly")].iloc[0]
    unit, monday = missing["unit_code"], missing["period_start"]
    weeks = positions(page, monday, monday)
    township = unit[:9] + "000"
    elsewhere = Principal("other", Role.TOWNSHIP_SUPERVISOR, "411522001000" if township != "411522001000" else "411502001000")
    signed_in(elsewhere)
    with pytest.raises(HttpForbidden):
        run(page.enter, "cp-entry-submit.n_clicks", 1, unit, "weekly", str(monday), "zero", 0, 0)
    signed_in(Principal("laocheng", Role.TOWNSHIP_SUPERVISOR, township, "老城街道综治中心"))
    refused, store = run(page.enter, "cp-entry-submit.n_clicks", 1, unit, "weekly", str(monday + timedelta(days=2)),
                         "zero", 0, 0)
    assert f"应从 {monday} 开始" in text_of(refused) and store is no_update
    before = datetime.now(screening.LOCAL)
    result, store = run(page.enter, "cp-entry-submit.n_clicks", 1, unit, "weekly", str(monday), "found", 2, 0)
    assert store == 1 and "计为逾期报告" in result.children and result.className == "late"
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT source, is_zero, disputes_found, submitted_at FROM screening_report"
            " WHERE unit_code = :u AND kind = 'weekly' AND period_start = :s"), {"u": unit, "s": monday}).one()
        audit = conn.execute(sa.text("SELECT username FROM audit_log WHERE action = 'enter_screening_report'")).scalar()
    assert (row.source, row.is_zero, row.disputes_found) == ("entered", False, 2)
    assert before <= row.submitted_at <= datetime.now(screening.LOCAL) and audit == "laocheng"
    figure, *_ = run(page.update_matrix, "cp-entered.data", weeks, "411502", township, store, 0)
    units = list(figure.data[0].y)
    with db.session_factory(engine)() as session:
        name = screening.reporting_units(session, township, ["village"]).set_index("code").loc[unit, "name"]
    row_of_unit = [i for i, label in enumerate(units) if label.startswith(name)][0]
    assert np.array(figure.data[0].z, dtype=float)[row_of_unit, 0] == MATRIX_CODES["late"]
    again, _ = run(page.enter, "cp-entry-submit.n_clicks", 2, unit, "weekly", str(monday), "zero", 0, 1)
    assert "不能重复报送" in text_of(again)


def test_the_map_tells_no_report_from_zero_reports():
    import geopandas as gpd
    import pandas as pd
    import shapely

    from dashboard.figures.compliance import compliance_map

    units = gpd.GeoDataFrame({"code": ["411502001001", "411502001003", "411502001004"], "name": ["甲", "乙", "丙"],
                              "geom_source": "illustrative"},
                             geometry=[shapely.box(114 + i * 0.01, 32, 114.01 + i * 0.01, 32.01) for i in range(3)],
                             crs=4326)
    rates = pd.DataFrame({"code": ["411502001001", "411502001003"], "due": [2, 2], "timely": [2, 0], "zero": [2, 0],
                          "late": [0, 0], "missing": [0, 2], "on_time_rate": [1.0, 0.0]})
    trace = compliance_map(units, rates, "t").data[0]
    assert list(trace.z) == [1.0, NO_REPORT, None]  # all zero reports: a full on-time rate; nothing filed: 未报告
    assert "零报告 2" in trace.customdata[0] and trace.customdata[1].startswith("未报告")
    assert trace.customdata[2] == "本时段无应报报告"
    assert list(trace.colorbar.ticktext)[0] == "未报告"
