"""The 党员联户 page's callbacks as plain functions, on a fresh copy of the small demo data set."""

import base64
import importlib
import inspect
import io
import json

import openpyxl
import plotly.graph_objects as go
import pytest
from dash import Patch, no_update
from sqlalchemy import text
from werkzeug.exceptions import Forbidden as HttpForbidden

from dashboard.app import create_app
from dashboard.guard import PAGE_ATTRIBUTE
from etl.demo.users import busiest_township
from geo import db
from geo.access import Principal
from geo.enums import Role
from tests.dashboard.conftest import LEADER
from tests.dashboard.test_overview import run

OTHER_TOWNSHIP = "411503001000"  # 羊山街道, another county


@pytest.fixture(scope="module")
def workspace():
    create_app()
    return importlib.import_module("dashboard.pages.workspace")


@pytest.fixture
def owner(fresh_demo_db_url, dashboard_on, workspace):
    """The dashboard on a fresh demo copy; returns a session on that copy as its owner (for checks)."""
    dashboard_on(fresh_demo_db_url)
    engine = db.make_engine(fresh_demo_db_url)
    session = db.session_factory(engine)()
    yield session
    session.close()
    engine.dispose()


@pytest.fixture
def township(owner, signed_in):
    """Sign in as the supervisor of the demo's busiest township; returns its code."""
    code = busiest_township(owner)
    signed_in(Principal("ws_township", Role.TOWNSHIP_SUPERVISOR, code, "测试·乡镇督导"))
    return code


def _text(component) -> str:
    return json.dumps(component, ensure_ascii=False, default=lambda c: c.to_plotly_json() if hasattr(
        c, "to_plotly_json") else str(c))


def _share(panel) -> str:
    """The coverage panel's first number block: label, share and linked/households."""
    numbers = panel[0].children[0]
    assert numbers.id == "ws-share"
    return " ".join(part.children for part in numbers.children)


def _unlinked_pair(owner, township: str, households: int = 2) -> tuple[list[int], int]:
    """Unlinked households of one grid cell and a member of that cell with room for them."""
    row = owner.execute(text("""
        SELECT m.id, array_agg(h.id ORDER BY h.id) AS households FROM household h
        JOIN party_member m ON m.grid_code = h.grid_code
        WHERE h.township_code = :t
          AND NOT EXISTS (SELECT 1 FROM member_household_link l WHERE l.household_id = h.id AND l.valid_to IS NULL)
          AND (SELECT count(*) FROM member_household_link l WHERE l.member_id = m.id AND l.valid_to IS NULL)
              + :n <= least(m.capacity, 15)
        GROUP BY m.id HAVING count(*) >= :n ORDER BY m.id LIMIT 1"""), {"t": township, "n": households}).one()
    return row.households[:households], row.id


def _refusals(owner, username: str) -> int:
    return owner.execute(text("SELECT count(*) FROM audit_log WHERE username = :u AND action = 'refused'"),
                         {"u": username}).scalar()


def test_the_supervisor_gets_their_townships_households_only(workspace, owner, township):
    figure, note, rows, options, member, panel, hidden, _, pending, message, seen, stale_hidden = run(
        workspace.load, None, township)
    expected = set(owner.scalars(text("SELECT id FROM household WHERE township_code = :t"), {"t": township}))
    assert {row["id"] for row in rows} == expected and len(rows) == len(expected) > 1000
    assert isinstance(figure, go.Figure) and set(figure.data[workspace.HOUSEHOLDS].customdata) == expected
    assert len(options) == owner.scalar(text("SELECT count(*) FROM party_member WHERE township_code = :t"),
                                        {"t": township})
    assert all("*" in row["head"] for row in rows if row["head"])  # masked
    plain = owner.scalar(text("SELECT head_name FROM household WHERE township_code = :t LIMIT 1"), {"t": township})
    assert plain not in _text(rows)
    assert "示意" in note and "程序生成" in note and message == "" and hidden is True and pending is None
    assert seen == owner.scalar(text("SELECT coalesce(max(id), 0) FROM link_change WHERE township_code = :t"),
                                {"t": township}) and stale_hidden is True
    assert "联户率" in _share(panel)


def test_linking_changes_the_coverage_and_undo_restores_it(workspace, owner, township):
    panel = run(workspace.load, None, township)[5]
    households, member = _unlinked_pair(owner, township)
    already = owner.scalar(text("SELECT household_id FROM member_household_link l JOIN household h"
                                " ON h.id = l.household_id WHERE l.valid_to IS NULL AND h.township_code = :t LIMIT 1"),
                           {"t": township})
    selected = [{"id": h, "status": "未联户"} for h in households] + [{"id": already, "status": "已联户"}]
    message, exception_hidden, _, pending, patch, transaction, linked_panel, options, _ = run(
        workspace.change, "ws-link.n_clicks", 1, 0, 0, 0, 0, township, selected, member, None)
    assert "已将 2 户联系到党员" in _text(message) and "另有 1 户已联户，未作调整" in _text(message)
    assert exception_hidden is True and pending is None
    assert isinstance(patch, Patch)
    assert sorted(r["id"] for r in transaction["update"]) == households
    assert all(r["status"] == "已联户" and "*" in r["member"] for r in transaction["update"])
    assert _share(linked_panel) != _share(panel)
    linked = owner.scalar(text("SELECT count(*) FROM member_household_link WHERE valid_to IS NULL"
                               " AND household_id = ANY(:ids) AND member_id = :m"), {"ids": households, "m": member})
    assert linked == 2

    message, *_, transaction, undone_panel, _, _ = run(
        workspace.change, "ws-undo.n_clicks", 1, 0, 0, 1, 0, township, selected, member, None)
    assert "已撤销" in _text(message)
    assert all(r["status"] == "未联户" for r in transaction["update"])
    assert _share(undone_panel) == _share(panel)


def test_a_link_across_cells_waits_for_the_confirmation(workspace, owner, township):
    household, member = owner.execute(text("""
        SELECT h.id, m.id FROM household h JOIN party_member m ON m.township_code = h.township_code
        JOIN grid_cell a ON a.code = h.grid_code JOIN grid_cell b ON b.code = m.grid_code
        WHERE h.township_code = :t AND NOT ST_Intersects(a.geom, b.geom)
          AND NOT EXISTS (SELECT 1 FROM member_household_link l WHERE l.household_id = h.id AND l.valid_to IS NULL)
          AND (SELECT count(*) FROM member_household_link l WHERE l.member_id = m.id AND l.valid_to IS NULL) < 10
        ORDER BY h.id, m.id LIMIT 1"""), {"t": township}).one()
    selected = [{"id": household, "status": "未联户"}]
    message, hidden, question, pending, *rest = run(
        workspace.change, "ws-link.n_clicks", 1, 0, 0, 0, 0, township, selected, member, None)
    assert hidden is False and "跨网格" in _text(message) and "确认" in question
    assert pending == {"kind": "link", "member": member, "households": [household], "skipped": 0}
    assert all(value is no_update for value in rest)
    message, hidden, _, pending, *_ = run(
        workspace.change, "ws-confirm.n_clicks", 1, 0, 0, 0, 1, township, [], None, pending)
    assert "跨网格联系" in _text(message) and hidden is True and pending is None
    assert owner.scalar(text("SELECT member_id FROM member_household_link WHERE household_id = :h"
                             " AND valid_to IS NULL"), {"h": household}) == member


def test_errors_are_sentences_on_the_page(workspace, owner, township):
    households, _ = _unlinked_pair(owner, township, 1)
    row = {"id": households[0], "status": "未联户"}
    message, *rest = run(workspace.change, "ws-link.n_clicks", 1, 0, 0, 0, 0, township, [row], None, None)
    assert "请先在“联系党员”中选择一名党员" in _text(message) and all(v is no_update for v in rest[3:])
    message, *_ = run(workspace.change, "ws-unlink.n_clicks", 0, 0, 1, 0, 0, township, [row], None, None)
    assert "所选 1 户中没有已联户的住户" in _text(message)
    message, *_ = run(workspace.change, "ws-unlink.n_clicks", 0, 0, 2, 0, 0, township, [{**row, "status": "已联户"}],
                      None, None)
    assert "尚未联系党员" in _text(message)  # a stale row: the server checks the real state
    message, *_ = run(workspace.change, "ws-undo.n_clicks", 0, 0, 0, 1, 0, township, [], None, None)
    assert "没有可以撤销" in _text(message)
    for forged in (None, {"kind": "unlink", "households": households}, "link"):
        message, hidden, *_ = run(workspace.change, "ws-confirm.n_clicks", 0, 0, 0, 0, 1, township, [], None, forged)
        assert "没有待确认的调整" in _text(message) and hidden is True


def test_map_and_table_selection_stay_in_step(workspace, owner, township):
    ids = list(owner.scalars(text("SELECT id FROM household WHERE township_code = :t ORDER BY id"), {"t": township}))
    points = {"points": [{"curveNumber": workspace.HOUSEHOLDS, "pointIndex": 3, "customdata": ids[3]},
                         {"curveNumber": workspace.MEMBERS, "pointIndex": 0, "customdata": 1},
                         {"curveNumber": workspace.HOUSEHOLDS, "pointIndex": 7, "customdata": ids[7]}]}
    rows, *rest = run(workspace.sync_selection, "ws-map.selectedData", points, None, township)
    assert rows == {"ids": [str(ids[3]), str(ids[7])]} and all(v is no_update for v in rest)
    selected = [{"id": ids[3], "status": "未联户"}, {"id": ids[7], "status": "已联户"}]
    rows, patch, summary, name_disabled, _, revealed = run(workspace.sync_selection, "ws-grid.selectedRows", None,
                                                          selected, township)
    assert rows is no_update and name_disabled is True and revealed == ""
    assert "已选择 2 户（未联户 1 户，已联户 1 户）" == summary
    assert patch.to_plotly_json()["operations"][0]["params"]["value"] == [3, 7]
    *_, name_disabled, _, _ = run(workspace.sync_selection, "ws-grid.selectedRows", None, selected[:1], township)
    assert name_disabled is False
    patch = run(workspace.sync_selection, "ws-grid.selectedRows", None, [], township)[1]
    assert patch.to_plotly_json()["operations"][0]["params"]["value"] is None


def test_clicking_a_member_marker_chooses_the_member(workspace, owner, township):
    member = {"points": [{"curveNumber": workspace.MEMBERS, "pointIndex": 0, "customdata": 42}]}
    household = {"points": [{"curveNumber": workspace.HOUSEHOLDS, "pointIndex": 0, "customdata": 7}]}
    assert run(workspace.pick_member, "ws-map.clickData", member) == 42
    assert run(workspace.pick_member, "ws-map.clickData", household) is no_update


def test_reveal_shows_one_field_of_one_household_and_is_logged(workspace, owner, township):
    household, name = owner.execute(text("SELECT id, head_name FROM household WHERE township_code = :t ORDER BY id"
                                         " LIMIT 1"), {"t": township}).one()
    shown = run(workspace.reveal_field, "ws-reveal-name.n_clicks", 1, 0, township, [{"id": household}])
    assert name in _text(shown)
    refused = run(workspace.reveal_field, "ws-reveal-phone.n_clicks", 1, 1, township, [{"id": 1}, {"id": 2}])
    assert "请只选择一户" in _text(refused)
    log = owner.execute(text("SELECT target, detail FROM audit_log WHERE username = 'ws_township'"
                             " AND action = 'reveal'")).all()
    assert [(t, d["field"]) for t, d in log] == [(f"household/{household}", "head_name")]


def test_suggestions_preview_and_accept(workspace, owner, township):
    patch, rows, summary, hidden, message = run(workspace.preview_suggestion, "ws-suggest.n_clicks", 1, township)
    assert rows and hidden is False and "建议为" in summary and message == ""
    lines = patch.to_plotly_json()["operations"]
    assert len(lines[0]["params"]["value"]) == 3 * len(rows)
    before = owner.scalar(text("SELECT count(*) FROM member_household_link WHERE valid_to IS NULL"))
    message, *_, transaction, panel, _, suggest_hidden = run(
        workspace.accept, "ws-accept-selected.n_clicks", 0, 1, township, rows, rows[:3])
    assert "已采纳建议：为 3 户" in _text(message) and suggest_hidden is True and len(transaction["update"]) == 3
    assert owner.scalar(text("SELECT count(*) FROM member_household_link WHERE valid_to IS NULL")) == before + 3


def test_the_coverage_downloads_as_a_workbook(workspace, owner, township):
    download = run(workspace.download_coverage, "ws-xlsx.n_clicks", 1, township)
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(download["content"]))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows.index(["代码", "名称", "住户数", "已联户", "联户率", "党员数", "超载党员", "空闲党员"])
    assert len(rows) - header - 1 == owner.scalar(text("SELECT count(*) FROM grid_cell WHERE township_code = :t"),
                                                  {"t": township})
    assert "党员联户覆盖情况" in rows[0][0] and "联户率" in rows[2][0]


def test_another_townships_code_is_refused_and_logged(workspace, owner, township):
    with pytest.raises(HttpForbidden):
        run(workspace.load, None, OTHER_TOWNSHIP)
    with pytest.raises(HttpForbidden):
        run(workspace.change, "ws-unlink.n_clicks", 0, 0, 1, 0, 0, OTHER_TOWNSHIP, [{"id": 1, "status": "已联户"}],
            None, None)
    assert _refusals(owner, "ws_township") == 2
    notice = workspace.layout(township=OTHER_TOWNSHIP)
    assert notice.id == "forbidden" and "无权访问" in _text(notice)
    assert _refusals(owner, "ws_township") == 3


def test_a_county_supervisor_chooses_a_township_of_their_county(workspace, owner, signed_in):
    signed_in(Principal("ws_county", Role.COUNTY_SUPERVISOR, "411502"))
    page = workspace.layout(township="411502002000")
    area = _find(page, "ws-area")
    assert area.value == "411502002000" and not area.disabled
    assert all(option["value"].startswith("411502") for option in area.options) and len(area.options) > 10


def test_leadership_may_not_link(workspace, owner, signed_in):
    signed_in(LEADER)
    with pytest.raises(HttpForbidden):
        run(workspace.change, "ws-link.n_clicks", 1, 0, 0, 0, 0, "411502001000", [{"id": 1}], 1, None)
    assert _refusals(owner, LEADER.username) == 1


def test_a_reviewer_can_use_no_workspace_callback(workspace, owner, signed_in):
    signed_in(Principal("ws_reviewer", Role.REVIEWER))
    callbacks = [f for f in vars(workspace).values() if getattr(f, PAGE_ATTRIBUTE, None) == "workspace"]
    assert len(callbacks) == 11
    for function in callbacks:
        with pytest.raises(HttpForbidden):
            run(function, None, *[None] * len(inspect.signature(function).parameters))
    assert _refusals(owner, "ws_reviewer") == 11
    assert workspace.layout().id == "forbidden"


def _find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str) and (found := _find(child, component_id)) is not None:
            return found
    return None


def _overloaded(panel) -> int:
    """The coverage panel's "超载党员" number."""
    return int(panel[0].children[1].children[1].children.replace(",", ""))


def test_the_township_sets_its_cap_and_loads_are_judged_against_it(workspace, owner, township):
    assert run(workspace.show_cap, None, township) == 15
    before = _overloaded(run(workspace.load, None, township)[5])
    message, *_, panel, options, _ = run(workspace.save_cap, "ws-cap-save.n_clicks", 1, township, 5)
    assert "联户上限设为 5 户" in _text(message)
    assert _overloaded(panel) > before and "/5 ·" in options[0]["label"]
    assert run(workspace.show_cap, None, township) == 5
    logged = owner.execute(text("SELECT username, detail->>'cap' FROM audit_log WHERE action = 'set_link_cap'")).all()
    assert [tuple(row) for row in logged] == [("ws_township", "5")]
    refused, *rest = run(workspace.save_cap, "ws-cap-save.n_clicks", 2, township, 500)
    assert "1 到 100" in _text(refused) and all(part is no_update for part in rest)


def test_forged_ids_in_the_townships_own_request_are_refused_and_nothing_changes(workspace, owner, township):
    """The page's township is the supervisor's own, but the rows, member and suggestion name another
    township's records: every id is checked against the database, never trusted from the page."""
    elsewhere = owner.execute(text(
        "SELECT DISTINCT h.township_code FROM household h WHERE left(h.township_code, 6) <> :county AND NOT EXISTS"
        " (SELECT 1 FROM member_household_link l WHERE l.household_id = h.id AND l.valid_to IS NULL)"
        " ORDER BY 1 LIMIT 1"), {"county": township[:6]}).scalar_one()
    other, member = _unlinked_pair(owner, elsewhere)
    own, own_member = _unlinked_pair(owner, township)
    links = "SELECT count(*) FROM member_household_link WHERE valid_to IS NULL"
    before = owner.execute(text(links)).scalar()
    forged = [
        (workspace.change, ("ws-link.n_clicks", 1, 0, 0, 0, 0, township, [{"id": h, "status": "未联户"} for h in other],
                            own_member, None)),
        (workspace.change, ("ws-link.n_clicks", 1, 0, 0, 0, 0, township, [{"id": h, "status": "未联户"} for h in own],
                            member, None)),
        (workspace.accept, ("ws-accept-all.n_clicks", 1, 0, township,
                            [{"household_id": h, "member_id": own_member} for h in other], None)),
        (workspace.change, ("ws-confirm.n_clicks", 0, 0, 0, 0, 1, township, [], None,
                            {"kind": "link", "member": own_member, "households": other, "skipped": 0})),
    ]
    for function, arguments in forged:
        message, *_ = run(function, *arguments)
        assert "不在您的管辖范围内" in _text(message) or "找不到" in _text(message)
    assert owner.execute(text(links)).scalar() == before
    assert _refusals(owner, "ws_township") >= len(forged)
