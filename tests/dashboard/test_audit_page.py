"""The 审计日志 page's callbacks as plain functions: administrators filter and export, everyone else gets a 403."""

import base64
import importlib
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from dash import html, no_update
from werkzeug.exceptions import Forbidden as HttpForbidden

from dashboard.app import create_app
from geo import db
from geo.access import Principal
from geo.audit import entries
from geo.enums import Role
from geo.models import AuditLog
from tests.dashboard.test_overview import run

BEIJING = ZoneInfo("Asia/Shanghai")
ADMIN = Principal("admin", Role.ADMIN, display_name="管理员")
LONG_REASON = "411502001 不在您的管辖范围内" * 10
LOG = [  # (username, action, target, detail, day of January 2026 at noon, Beijing time)
    ("alice", "sign_in", None, None, 5),
    ("bob", "reveal", "household/7", {"field": "head_phone"}, 6),
    ("alice", "refused", "household/9", {"action": "reveal", "reason": LONG_REASON}, 7),
    ("=cmd", "sign_in_failed", None, {"reason": "密码错误"}, 7),
]


@pytest.fixture(scope="module")
def audit():
    create_app()
    return importlib.import_module("dashboard.pages.audit")


@pytest.fixture
def logged(fresh_db_url, dashboard_on):
    """A database of its own holding ``LOG``, served by the dashboard; yields its owner engine."""
    engine = db.make_engine(fresh_db_url)
    with db.session_factory(engine).begin() as session:
        session.add_all([AuditLog(username=u, action=a, target=t, detail=d,
                                  at=datetime(2026, 1, day, 12, tzinfo=BEIJING)) for u, a, t, d, day in LOG])
    dashboard_on(fresh_db_url)
    yield engine
    engine.dispose()


def _rows(listing) -> list[list]:
    return [[cell.children for cell in row.children] for row in listing.children[1].children]


def test_an_admin_sees_the_newest_entries_first(audit, logged, signed_in):
    signed_in(ADMIN)
    title, listing, error = run(audit.update, None, None, None, None, None)
    rows = _rows(listing)
    assert error == "" and title == "符合条件 4 条，最新的在前"
    assert [r[1] for r in rows] == ["=cmd", "alice", "bob", "alice"]
    assert rows[2] == ["2026-01-06 12:00:00", "bob", "查看个人信息", "household/7", '{"field": "head_phone"}']
    assert rows[3][2:] == ["登录", "—", ""]
    detail = rows[1][4]
    assert isinstance(detail, html.Span) and detail.children.endswith("…") and LONG_REASON in detail.title
    assert [row.className for row in listing.children[1].children] == ["refused-row", "refused-row", "", ""]


@pytest.mark.parametrize("user, action, start, end, users", [
    ("alice", None, None, None, ["alice", "alice"]),
    (" bob ", None, None, None, ["bob"]),
    ("ali", None, None, None, []),
    (None, "reveal", None, None, ["bob"]),
    ("alice", "refused", None, None, ["alice"]),
    (None, None, "2026-01-06", "2026-01-06", ["bob"]),
    (None, None, "2026-01-06T00:00:00", None, ["=cmd", "alice", "bob"]),
    (None, None, None, "2026-01-05", ["alice"]),
])
def test_filters(audit, logged, signed_in, user, action, start, end, users):
    signed_in(ADMIN)
    title, listing, error = run(audit.update, None, user, action, start, end)
    assert error == "" and f"符合条件 {len(users)} 条" in title
    assert [r[1] for r in _rows(listing)] == users


@pytest.mark.parametrize("user, action, start, end, message", [
    (None, None, "2026-01-07", "2026-01-06", "开始日期晚于结束日期"),
    (None, None, "7 January", None, "开始日期"),
    (None, "drop_table", None, None, "请选择列表中的操作"),
    (None, ["reveal"], None, None, "请选择列表中的操作"),
    ("x" * 65, None, None, None, "用户名无效"),
    (["alice"], None, None, None, "用户名无效"),
])
def test_bad_filters_are_refused_with_a_sentence(audit, logged, signed_in, user, action, start, end, message):
    signed_in(ADMIN)
    assert run(audit.update, None, user, action, start, end)[:2] == (no_update, no_update)
    assert message in run(audit.update, None, user, action, start, end)[2]
    assert run(audit.download, None, 1, user, action, start, end) is no_update


def test_a_long_list_is_cut_with_a_note(audit, logged, signed_in, monkeypatch):
    signed_in(ADMIN)
    monkeypatch.setattr(audit, "MAX_ROWS", 2)
    title, listing, _ = run(audit.update, None, None, None, None, None)
    assert "仅显示最新的 2 条" in title and len(_rows(listing)) == 2
    monkeypatch.setattr(audit, "MAX_EXPORTED", 3)
    download = run(audit.download, None, 1, None, None, None, None)
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(download["content"]))).active
    assert "仅导出最新的 3 条" in sheet["A4"].value and sheet.max_row == 6 + 3


def test_the_export_holds_the_filtered_entries_in_full(audit, logged, signed_in):
    signed_in(ADMIN)
    download = run(audit.download, None, 1, None, None, "2026-01-06", "2026-01-07")
    assert download["filename"].endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(download["content"]))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[2] == ["筛选：用户：全部；操作：全部；日期：2026-01-06 至 2026-01-07"] + [None] * 4
    assert "共 3 条" in rows[3][0]
    header = rows.index(["时间", "用户", "操作", "对象", "详情"])
    body = rows[header + 1:]
    assert [r[1] for r in body] == ["'=cmd", "alice", "bob"]  # a formula-like name is neutralised
    assert body[2][0] == datetime(2026, 1, 6, 12) and body[2][2] == "查看个人信息"
    assert LONG_REASON in body[1][4]


def test_a_township_supervisor_is_refused_and_the_refusal_is_logged(audit, logged, signed_in):
    supervisor = Principal("tw_sup", Role.TOWNSHIP_SUPERVISOR, "411502001000")
    signed_in(supervisor)
    with pytest.raises(HttpForbidden) as refused:  # called through the page's guard, as Dash calls it
        audit.update(None, None, None, None)
    assert refused.value.code == 403
    with pytest.raises(HttpForbidden):
        audit.download(1, None, None, None, None)
    with db.session_factory(logged)() as session:
        log = entries(session, username="tw_sup")
    assert list(log["action"]) == ["refused", "refused"] and all(d["page"] == "audit" for d in log["detail"])


def test_the_layout_is_a_notice_for_other_roles(audit, logged, signed_in):
    signed_in(Principal("leader", Role.LEADERSHIP))
    assert audit.layout().id == "forbidden"
    signed_in(ADMIN)
    assert audit.layout().className == "audit-page"
