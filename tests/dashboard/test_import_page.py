"""The import page's callbacks as plain functions: preview writes nothing, confirm commits in a worker thread
whose progress the page polls, only into the supervisor's own area; other roles and other users are refused."""

from __future__ import annotations

import base64
import csv
import importlib
import io
import json
import re
import time
import zipfile
from contextvars import copy_context

import pytest
import sqlalchemy as sa
from dash._callback_context import context_value
from dash._utils import AttributeDict
from openpyxl import load_workbook
from werkzeug.exceptions import Forbidden

from dashboard.app import create_app
from geo import db
from geo.access import Principal
from geo.enums import Role
from tests.dashboard.test_overview import run
from tests.etl.ledger_files import DISPUTE_HEADERS, cells_in_two_townships, dispute_row, first_cells, write_csv
from tests.etl.test_ledger_mapping import COUNTY_HEADERS, county_rows


@pytest.fixture(scope="module")
def imports():
    create_app()
    return importlib.import_module("dashboard.pages.imports")


def as_upload(data: bytes, mime: str = "text/csv") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def shown(component) -> str:
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component,
                      ensure_ascii=False, default=str)


def imported(url) -> int:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(sa.text("SELECT count(*) FROM dispute WHERE source = 'import'")).scalar()
    engine.dispose()
    return value


def test_the_page_is_registered_for_the_navigation(imports):
    import dash

    page = dash.page_registry["dashboard.pages.imports"]
    assert (page["path"], page["name"], page["order"]) == ("/import", "数据导入", 7)


def supervisor_of(cell, username: str = "t") -> Principal:
    return Principal(username, Role.TOWNSHIP_SUPERVISOR, cell.code[:9] + "000")


def township_ledger(url, tmp_path):
    """A GBK ledger: two good rows in one township, one with an unknown category, one in another township."""
    engine = db.make_engine(url)
    with db.session_factory(engine)() as session:
        mine, theirs = cells_in_two_townships(session)
    engine.dispose()
    data = write_csv(tmp_path / "x.csv", DISPUTE_HEADERS, [
        dispute_row("W1", mine[0]), dispute_row("W2", mine[1]), dispute_row("W3", mine[1], domain="吵架"),
        dispute_row("W4", theirs[0])], encoding="gbk").read_bytes()
    return mine, data


def until_finished(imports, state, poll: str = "poll") -> list:
    """Poll (``imports.poll``, or the boundary section's) as the page's interval does until the import has
    ended; every poll's output."""
    polls = []
    deadline = time.monotonic() + 120
    while not polls or polls[-1][1] is not True:
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.05)
        polls.append(run(getattr(imports, poll), None, len(polls) + 1, state))
    return polls


def percent(component) -> int:
    return int(re.search(r"(\d+)%", shown(component)).group(1))


def test_preview_then_confirm_with_progress_then_download_the_error_report(imports, fresh_demo_db_url, dashboard_on,
                                                                            signed_in, tmp_path):
    dashboard_on(fresh_demo_db_url)
    mine, data = township_ledger(fresh_demo_db_url, tmp_path)
    signed_in(supervisor_of(mine[0]))
    report, state, confirm_disabled, errors_disabled, _, poll_disabled = run(
        imports.preview, None, as_upload(data), "../../三月台账.csv", "disputes", "EPSG:4326")
    text = shown(report)
    assert "新增 2 条" in text and "拒收 2 条" in text and "“吵架”无法识别" in text and "预检" in text
    assert "第 5 行：网格" in text and "不在您的管辖范围" in text
    assert (confirm_disabled, errors_disabled, poll_disabled) == (False, False, True)
    assert set(state) == {"token", "suffix", "kind", "crs", "file", "user", "mapping", "profile"} and state["user"] == "t"
    assert state["mapping"] is None and "imp-check-columns" in text  # every column's outcome is listed
    assert imported(fresh_demo_db_url) == 0
    assert not any(p.name.startswith("三月") for p in imports.upload_folder().iterdir())  # the name is never a path
    running, confirm_disabled, poll_disabled = run(imports.confirm, None, 1, state)
    assert "imp-progress" in shown(running) and (confirm_disabled, poll_disabled) == (True, False)
    polls = until_finished(imports, state)
    shares = [percent(children) for children, _, _ in polls]
    assert shares == sorted(shares) and shares[-1] == 100
    done, _, errors_disabled = polls[-1]
    assert "导入完成" in shown(done) and "新增 2 条" in shown(done) and "拒收 2 条" in shown(done)
    assert errors_disabled is False and imported(fresh_demo_db_url) == 2
    download = run(imports.download, "imp-errors.n_clicks", 1, 0, state, "disputes")
    assert download["filename"] == "三月台账_错误报告.xlsx"
    sheet = load_workbook(io.BytesIO(base64.b64decode(download["content"]))).active
    assert [sheet.cell(row=r, column=1).value for r in (2, 3)] == ["W3", "W4"]
    assert sheet.cell(row=1, column=sheet.max_column).value == "错误原因"
    template = run(imports.download, "imp-template.n_clicks", 0, 1, None, "hotline")
    assert template["filename"] == "12345热线工单导入模板.xlsx"


@pytest.mark.parametrize("role", [Role.LEADERSHIP, Role.REVIEWER])
def test_roles_without_imports_are_forbidden(imports, fresh_demo_db_url, dashboard_on, signed_in, role):
    dashboard_on(fresh_demo_db_url)
    signed_in(Principal("x", role))
    with pytest.raises(Forbidden):
        run(imports.preview, None, as_upload(b"a,b\n"), "x.csv", "disputes", "EPSG:4326")


def test_another_users_upload_cannot_be_confirmed_watched_or_downloaded(imports, fresh_demo_db_url, dashboard_on, signed_in,
                                                             tmp_path):
    dashboard_on(fresh_demo_db_url)
    mine, data = township_ledger(fresh_demo_db_url, tmp_path)
    signed_in(supervisor_of(mine[0], "owner"))
    state = run(imports.preview, None, as_upload(data), "x.csv", "disputes", "EPSG:4326")[1]
    signed_in(supervisor_of(mine[0], "colleague"))
    for callback, trigger, args in ((imports.confirm, None, (1, state)), (imports.poll, None, (1, state)),
                                    (imports.confirm, None, (1, {**state, "user": "colleague"})),
                                    (imports.download, "imp-errors.n_clicks", (1, 0, state, "disputes"))):
        with pytest.raises(Forbidden):
            run(callback, trigger, *args)
    assert imported(fresh_demo_db_url) == 0


def test_uploads_outside_the_limits_are_refused(imports, fresh_demo_db_url, dashboard_on, signed_in, monkeypatch):
    dashboard_on(fresh_demo_db_url)
    signed_in(Principal("t", Role.COUNTY_SUPERVISOR, "411502"))
    refused = run(imports.preview, None, as_upload(b"x"), "evil.exe", "disputes", "EPSG:4326")
    assert "只接受 .xlsx 或 .csv" in shown(refused[0]) and refused[1] is None and refused[2] is True
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 1000)
    big = run(imports.preview, None, as_upload(b"a," * 1000), "big.csv", "disputes", "EPSG:4326")
    assert "超过上限" in shown(big[0])
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
    monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 5 * 1024 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (8 * 1024 * 1024) + b"/>")
    bomb = run(imports.preview, None, as_upload(buffer.getvalue()), "bomb.xlsx", "disputes", "EPSG:4326")
    assert "解压后" in shown(bomb[0]) and "超过上限 5 MB" in shown(bomb[0])
    with pytest.raises(Forbidden, match="上传的文件属于其他用户"):  # a forged token names no upload of this user
        run(imports.confirm, None, 1, {"token": "../../etc/passwd", "suffix": ".csv", "kind": "disputes",
                                       "crs": "EPSG:4326", "file": "x.csv", "user": "t"})


def test_an_import_that_fails_in_its_thread_says_so_and_writes_nothing(imports, fresh_demo_db_url, dashboard_on,
                                                                      signed_in, tmp_path, monkeypatch):
    dashboard_on(fresh_demo_db_url)
    mine, data = township_ledger(fresh_demo_db_url, tmp_path)
    signed_in(supervisor_of(mine[0]))
    state = run(imports.preview, None, as_upload(data), "x.csv", "disputes", "EPSG:4326")[1]

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(imports, "load_ledger", broken)
    run(imports.confirm, None, 1, state)
    shown_, poll_disabled, errors_disabled = until_finished(imports, state)[-1]
    assert "导入失败（服务器内部错误），没有写入任何数据" in shown(shown_) and (poll_disabled, errors_disabled) == (True, True)
    assert imported(fresh_demo_db_url) == 0


def boundary_files(url, tmp_path):
    """A village file (a village of 411502 redrawn, and one of 411522) and a grid file (a cell of the village and
    one in another township), written as GeoJSON; with the village, its township and its cells."""
    from tests.etl.test_boundary_import import frame, geometry_of
    from tests.etl.test_boundary_reshape import reshaped_village, village_with_cells

    engine = db.make_engine(url)
    with db.session_factory(engine)() as session:
        village, township, cells = village_with_cells(session)
        other = session.execute(sa.text("SELECT code FROM region WHERE level = 'village' AND code LIKE '411522%'"
                                        " AND geom IS NOT NULL ORDER BY code LIMIT 1")).scalar()
        far_cell = session.execute(sa.text("SELECT code FROM grid_cell WHERE left(code, 9) <> :t ORDER BY code LIMIT 1"),
                                   {"t": township[:9]}).scalar()
        villages = frame([{"代码": village, "geometry": reshaped_village(session, village, township)},
                          {"代码": other, "geometry": geometry_of(session, other)}])
        grid = frame([{"网格编码": cells[0], "geometry": geometry_of(session, cells[0], "grid_cell").buffer(-0.0002)},
                      {"网格编码": far_cell, "geometry": geometry_of(session, far_cell, "grid_cell")}])
    engine.dispose()
    villages.to_file(tmp_path / "村界.geojson", driver="GeoJSON")
    grid.to_file(tmp_path / "网格.geojson", driver="GeoJSON")
    return (tmp_path / "村界.geojson").read_bytes(), (tmp_path / "网格.geojson").read_bytes(), village, township, other, \
        far_cell


def source_of(url, table: str, code: str) -> str | None:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(sa.text(f"SELECT geom_source FROM {table} WHERE code = :c"), {"c": code}).scalar()
    engine.dispose()
    return value


def test_a_county_supervisor_replaces_village_boundaries_of_the_county_only(imports, fresh_demo_db_url, dashboard_on,
                                                                           signed_in, tmp_path):
    dashboard_on(fresh_demo_db_url)
    villages, _grid, village, _township, other, _far = boundary_files(fresh_demo_db_url, tmp_path)
    signed_in(Principal("county", Role.COUNTY_SUPERVISOR, "411502"))
    report, state, confirm_disabled, _, poll_disabled = run(
        imports.boundary_preview, None, as_upload(villages, "application/geo+json"), "信阳村界.geojson", "village", "", 5)
    text = shown(report)
    assert "匹配 1 个" in text and "预检" in text and f"{other} 不在您的管辖范围（411502）内" in text
    assert "示意边界将让位" in text and confirm_disabled is False and state["level"] == "village" and poll_disabled
    assert source_of(fresh_demo_db_url, "region", village) == "illustrative"
    running, confirm_disabled, poll_disabled = run(imports.boundary_confirm, None, 1, state)
    assert "imp-b-progress" in shown(running) and (confirm_disabled, poll_disabled) == (True, False)
    polls = until_finished(imports, state, "boundary_poll")
    shares = [percent(children) for children, _ in polls]
    assert shares == sorted(shares) and shares[-1] == 100
    text = shown(polls[-1][0])
    assert "边界已替换" in text and "重新归属：住户" in text and "调整的示意网格" in text
    assert source_of(fresh_demo_db_url, "region", village) == "official"
    assert source_of(fresh_demo_db_url, "region", other) == "illustrative"


def test_a_township_supervisor_may_replace_only_grid_cells_of_the_township(imports, fresh_demo_db_url, dashboard_on,
                                                                         signed_in, tmp_path):
    dashboard_on(fresh_demo_db_url)
    villages, grid, _village, township, _other, far_cell = boundary_files(fresh_demo_db_url, tmp_path)
    signed_in(Principal("town", Role.TOWNSHIP_SUPERVISOR, township))
    refused = run(imports.boundary_preview, None, as_upload(villages), "村界.geojson", "village", "", 5)
    assert "只能导入本乡镇的网格边界" in shown(refused[0]) and refused[1] is None and refused[2] is True
    report, state, confirm_disabled, _, _ = run(imports.boundary_preview, None, as_upload(grid), "网格.geojson",
                                                "grid", "EPSG:4326", 5)
    assert "匹配 1 个" in shown(report) and f"{far_cell} 不在您的管辖范围" in shown(report) and confirm_disabled is False
    signed_in(Principal("colleague", Role.TOWNSHIP_SUPERVISOR, township))
    with pytest.raises(Forbidden):
        run(imports.boundary_confirm, None, 1, state)
    signed_in(Principal("town", Role.TOWNSHIP_SUPERVISOR, township))
    run(imports.boundary_confirm, None, 1, state)
    signed_in(Principal("colleague", Role.TOWNSHIP_SUPERVISOR, township))
    with pytest.raises(Forbidden):  # nor watch it
        run(imports.boundary_poll, None, 1, state)
    signed_in(Principal("town", Role.TOWNSHIP_SUPERVISOR, township))
    done, _ = until_finished(imports, state, "boundary_poll")[-1]
    assert "边界已替换" in shown(done) and source_of(fresh_demo_db_url, "grid_cell", far_cell) == "illustrative"
    bad = run(imports.boundary_preview, None, as_upload(b"not a zip"), "x.zip", "grid", "", 5)
    assert "压缩包已损坏" in shown(bad[0])
    wrong = run(imports.boundary_preview, None, as_upload(grid), "x.shp", "grid", "", 5)
    assert "边界文件只接受" in shown(wrong[0])


def _with_choices(callback, choices: dict[int, str], *args):
    """Run ``callback`` with the mapping dropdowns' values in ``dash.ctx.states_list`` as Dash sends them."""
    def call():
        states = [[{"id": {"type": "imp-map", "index": i}, "property": "value", "value": v} for i, v in choices.items()]]
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "imp-map-apply.n_clicks", "value": 1}],
                                        states_list=states))
        return callback(*args)
    return copy_context().run(call)


def test_unfamiliar_headers_are_mapped_once_and_the_next_file_goes_straight_through(imports, fresh_demo_db_url,
                                                                                   dashboard_on, signed_in):
    dashboard_on(fresh_demo_db_url)
    engine = db.make_engine(fresh_demo_db_url)
    with db.session_factory(engine)() as session:
        cells = first_cells(session, 3, county="411502")
    engine.dispose()
    buffer = io.StringIO()
    csv.writer(buffer).writerows([COUNTY_HEADERS, *county_rows(cells)])
    data = buffer.getvalue().encode("gb18030")
    signed_in(Principal("sx", Role.COUNTY_SUPERVISOR, "411502"))
    step, state, confirm_disabled, *_ = run(imports.preview, None, as_upload(data), "浉河区台账.csv", "disputes",
                                           "EPSG:4326")
    assert step.id == "imp-mapping" and confirm_disabled is True and "所在乡镇" in shown(step)
    proposed = {d.id["index"]: d.value for d in _dropdowns(step)}
    assert proposed[COUNTY_HEADERS.index("所在乡镇")] == "township_name" and proposed[0] == ""  # 序号: 不导入
    # A forged choice (a field that does not exist) is refused on the page; nothing is saved.
    *_, problem = _with_choices(imports.apply_mapping, {**proposed, 3: "drop"}, 1, None, "浉河区台账", state)
    assert "不是矛盾纠纷台账的字段" in shown(problem)
    report, state, confirm_disabled, _, problem = _with_choices(imports.apply_mapping, proposed, 1, None, "浉河区台账",
                                                                state)
    assert problem == "" and confirm_disabled is False and "新增 12 条" in shown(report) and "拒收 0 条" in shown(report)
    assert state["profile"] == "浉河区台账" and state["mapping"]["所在乡镇"] == "township_name"
    assert "按列对应" in shown(report)
    # The same headers again: straight to the report, with the saved mapping named.
    again, state2, confirm_disabled, *_ = run(imports.preview, None, as_upload(data), "四月.csv", "disputes", "EPSG:4326")
    assert again.id == "imp-check" and "已按列对应“浉河区台账”读取各列" in shown(again) and confirm_disabled is False
    back, _ = run(imports.edit_mapping, "imp-map-edit.n_clicks", 1, state2)
    assert back.id == "imp-mapping"
    # Another county does not see that county's mapping.
    signed_in(Principal("gs", Role.COUNTY_SUPERVISOR, "411522"))
    other, *_ = run(imports.preview, None, as_upload(data), "光山.csv", "disputes", "EPSG:4326")
    assert other.id == "imp-mapping"


def _dropdowns(component):
    found = []
    if isinstance(getattr(component, "id", None), dict) and component.id.get("type") == "imp-map":
        found.append(component)
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, str):
            found += _dropdowns(child)
    return found


def test_the_report_separates_refused_rows_from_rows_loaded_with_a_warning(imports, fresh_demo_db_url, dashboard_on,
                                                                          signed_in, tmp_path):
    dashboard_on(fresh_demo_db_url)
    engine = db.make_engine(fresh_demo_db_url)
    with db.session_factory(engine)() as session:
        mine, _ = cells_in_two_townships(session)
    engine.dispose()
    data = write_csv(tmp_path / "w.csv", DISPUTE_HEADERS, [
        dispute_row("V1", mine[0]), dispute_row("V2", mine[0], status="已化解"),
        dispute_row("V3", mine[1], domain="吵架")]).read_bytes()
    signed_in(supervisor_of(mine[0]))
    report, state, confirm_disabled, errors_disabled, _, _ = run(
        imports.preview, None, as_upload(data), "w.csv", "disputes", "EPSG:4326")
    text = shown(report)
    assert "imp-check-refusals" in text and "imp-check-warnings" in text
    assert "已导入但有提示" in text and "不计入化解用时统计" in text and "“吵架”无法识别" in text
    assert "拒收 1 条；导入的行中 1 条有提示" in text
    assert (confirm_disabled, errors_disabled) == (False, False)
    download = run(imports.download, "imp-errors.n_clicks", 1, 0, state, "disputes")
    book = load_workbook(io.BytesIO(base64.b64decode(download["content"])))
    assert [c.value for c in book["已导入但有提示"][2]][:2] == [None, 3]
