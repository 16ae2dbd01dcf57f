"""审计日志 — who did what and when (writes, reveals of personal data, sign-ins, refusals), for administrators."""

from __future__ import annotations

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update
from openpyxl import Workbook
from openpyxl.styles import Font

from dashboard.components.supervision import parse_day, table
from dashboard.database import read_session
from dashboard.exports import safe_cell
from dashboard.guard import page_callback, page_layout
from geo.audit import ACTION_LABELS, entries
from geo.errors import FengqiaoError, InvalidInput
from geo.kpis import LOCAL_TIMEZONE

dash.register_page(__name__, path="/audit", name="审计日志", title="枫桥网格 · 审计日志", order=9)

callback = page_callback("audit")

MAX_ROWS = 500
"""Entries shown at most (newest first); the export takes up to ``MAX_EXPORTED``."""
MAX_EXPORTED = 50_000
MAX_USERNAME = 64
MAX_DETAIL = 80
"""Characters of an entry's detail shown in the table (the export has all of it)."""
HEADERS = ["时间", "用户", "操作", "对象", "详情"]
REFUSALS = {"refused", "sign_in_failed", "sign_in_refused"}
LOCAL = ZoneInfo(LOCAL_TIMEZONE)


@page_layout("audit")
def layout(**_kwargs):
    return html.Div(
        [
            dcc.Download(id="au-download"),
            html.H2("审计日志：谁在何时做了什么"),
            html.Div(
                [
                    html.Div([html.Label("用户名（完整填写）"),
                              dcc.Input(id="au-user", type="text", debounce=True, maxLength=MAX_USERNAME,
                                        placeholder="全部用户", className="text-input")], className="control"),
                    html.Div([html.Label("操作"), dcc.Dropdown(id="au-action", placeholder="全部操作",
                                                             options=[{"label": label, "value": code}
                                                                      for code, label in ACTION_LABELS.items()])],
                             className="control"),
                    html.Div([html.Label("日期范围"),
                              dcc.DatePickerRange(id="au-dates", display_format="YYYY-MM-DD", first_day_of_week=1,
                                                  month_format="YYYY年M月", clearable=True,
                                                  start_date_placeholder_text="开始日期",
                                                  end_date_placeholder_text="结束日期")], className="control"),
                    html.Div(html.Button("导出 xlsx", id="au-xlsx", n_clicks=0, className="button small"),
                             className="control export"),
                ],
                className="controls",
            ),
            html.Div(id="au-error", className="error", role="alert"),
            html.Div([html.H3(id="au-title"), html.Div(id="au-table", className="scroll tall")], className="panel"),
        ],
        className="audit-page",
    )


@callback(
    Output("au-title", "children"),
    Output("au-table", "children"),
    Output("au-error", "children"),
    Input("au-user", "value"),
    Input("au-action", "value"),
    Input("au-dates", "start_date"),
    Input("au-dates", "end_date"),
)
def update(user, action, start, end):
    """The newest entries matching the filters, at most ``MAX_ROWS`` of them."""
    try:
        filters = _filters(user, action, start, end)
        with read_session() as session:
            found = entries(session, **filters, limit=MAX_ROWS + 1)
    except FengqiaoError as exc:
        return no_update, no_update, str(exc)
    shown = found.head(MAX_ROWS)
    rows = [[_time(r.at), r.username, ACTION_LABELS.get(r.action, r.action), _target(r.target), _detail_cell(r.detail)]
            for r in shown.itertuples()]
    listing = table(HEADERS, rows, table_id="au-entries", class_name="table records-table audit-table",
                    row_classes=["refused-row" if r.action in REFUSALS else "" for r in shown.itertuples()])
    if len(found) > MAX_ROWS:
        title = f"仅显示最新的 {MAX_ROWS} 条（符合条件的记录更多，请缩小筛选范围或导出）"
    else:
        title = f"符合条件 {len(found):,} 条，最新的在前"
    return title, listing, ""


@callback(
    Output("au-download", "data"),
    Input("au-xlsx", "n_clicks"),
    State("au-user", "value"),
    State("au-action", "value"),
    State("au-dates", "start_date"),
    State("au-dates", "end_date"),
    prevent_initial_call=True,
)
def download(_clicks, user, action, start, end):
    """The filtered entries as an .xlsx (newest first, up to ``MAX_EXPORTED``)."""
    try:
        filters = _filters(user, action, start, end)
    except FengqiaoError:
        return no_update  # the table's callback shows the same error
    with read_session() as session:
        found = entries(session, **filters, limit=MAX_EXPORTED + 1)
    payload = _workbook(found.head(MAX_EXPORTED), _filter_text(filters), len(found) > MAX_EXPORTED)
    return dcc.send_bytes(payload, f"fengqiao-audit-{datetime.now(LOCAL):%Y%m%d-%H%M}.xlsx")


def _filters(user, action, start, end) -> dict:
    """The callback's inputs as ``entries`` filters; anything a form could not send is refused."""
    user = user or ""
    if not isinstance(user, str) or len(user.strip()) > MAX_USERNAME:
        raise InvalidInput(f"用户名无效：请填写不超过 {MAX_USERNAME} 个字符的完整用户名。")
    if action and not (isinstance(action, str) and action in ACTION_LABELS):
        raise InvalidInput("请选择列表中的操作。")
    since = parse_day(start, "开始日期") if start else None
    until = parse_day(end, "结束日期") if end else None
    if since and until and since > until:
        raise InvalidInput("开始日期晚于结束日期：请重新选择日期范围。")
    return {"username": user.strip() or None, "action": action or None, "since": since, "until": until}


def _filter_text(filters: dict) -> str:
    days = (f"{filters['since'] or '最早'} 至 {filters['until'] or '最新'}"
            if filters["since"] or filters["until"] else "全部")
    action = ACTION_LABELS[filters["action"]] if filters["action"] else "全部"
    return f"用户：{filters['username'] or '全部'}；操作：{action}；日期：{days}"


def _time(at) -> str:
    return f"{at.astimezone(LOCAL):%Y-%m-%d %H:%M:%S}"


def _target(target) -> str:
    return target if isinstance(target, str) else "—"  # the frame holds NaN where the log has NULL


def _detail_text(detail) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True) if isinstance(detail, dict) else ""


def _detail_cell(detail):
    text = _detail_text(detail)
    if len(text) <= MAX_DETAIL:
        return text
    return html.Span(text[:MAX_DETAIL - 1] + "…", title=text)


def _workbook(found: pd.DataFrame, filters: str, truncated: bool) -> bytes:
    """One sheet: a title block, then every entry with its whole detail (times as Beijing time)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "审计日志"
    sheet.append(["枫桥网格审计日志"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"导出时间：{datetime.now(LOCAL):%Y-%m-%d %H:%M}（北京时间）"])
    sheet.append([f"筛选：{filters}"])
    note = (f"符合条件的记录超过 {MAX_EXPORTED:,} 条，仅导出最新的 {MAX_EXPORTED:,} 条" if truncated
            else f"共 {len(found):,} 条，最新的在前")
    sheet.append([f"说明：{note}。"])
    sheet.append([])
    sheet.append(HEADERS)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for r in found.itertuples():
        sheet.append([r.at.astimezone(LOCAL).replace(tzinfo=None), *(safe_cell(v) for v in (
            r.username, ACTION_LABELS.get(r.action, r.action), _target(r.target), _detail_text(r.detail)))])
        sheet.cell(sheet.max_row, 1).number_format = "yyyy-mm-dd hh:mm:ss"
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["E"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
