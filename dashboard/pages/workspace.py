"""党员联户 — grid supervisors link households to party members: map and table selection in step, link /
move / unlink / undo, suggestions to preview and accept, coverage, and a logged reveal of one field."""

from __future__ import annotations

import math
from datetime import date

import dash
import dash_ag_grid as dag
import pandas as pd
from dash import Input, Output, State, ctx, dcc, html, no_update
from werkzeug.exceptions import Forbidden as HttpForbidden

from dashboard import exports
from dashboard.components.reveal import failure, revealed
from dashboard.database import read_session, write_session
from dashboard.figures.workspace import (
    HOUSEHOLDS,
    MEMBERS,
    selection_patch,
    status_patch,
    suggestion_patch,
    workspace_map,
    workspace_note,
)
from dashboard.geometry import level_geometry
from dashboard.guard import check_area, page_callback, page_layout
from dashboard.workspace_watch import WATCH_MS
from geo import access
from geo.areas import TOWNSHIP_CODE
from geo.coverage import coverage
from geo.enums import Role
from geo.errors import FengqiaoError, InvalidInput
from geo.linking import (
    NeedsException,
    apply_suggestion,
    link,
    link_cap,
    move,
    set_link_cap,
    undo_last,
    unlink,
)
from geo.suggest import suggest
from geo.workspace import (
    changes_since,
    household_frame,
    household_ids,
    households_of_change,
    latest_change,
    masked_member_names,
    member_places,
    townships_of,
    unit_name,
)

dash.register_page(__name__, path="/workspace", name="党员联户", title="枫桥网格 · 党员联户", order=8)

callback = page_callback("workspace")

WORST_SHOWN = 8
LINKED, UNLINKED = "已联户", "未联户"
ACTIONS = {"ws-link": "link", "ws-move": "move", "ws-unlink": "unlink", "ws-undo": "undo"}
WANTED = {"link": UNLINKED, "move": LINKED, "unlink": LINKED}
"""Action → the status of the selected rows it changes (the other rows are skipped)."""
REVEALABLE = {"ws-reveal-name": ("head_name", "户主姓名"), "ws-reveal-phone": ("head_phone", "联系电话")}
GRID_TEXT = {
    "noRowsToShow": "没有住户", "loadingOoo": "加载中…", "selectAll": "全选", "searchOoo": "搜索…",
    "filterOoo": "筛选…", "contains": "包含", "notContains": "不包含", "equals": "等于", "notEqual": "不等于",
    "startsWith": "开头是", "endsWith": "结尾是", "blank": "空白", "notBlank": "非空", "lessThan": "小于",
    "greaterThan": "大于", "inRange": "介于", "andCondition": "且", "orCondition": "或",
    "applyFilter": "应用", "resetFilter": "重置", "clearFilter": "清除",
}
HOUSEHOLD_COLUMNS = [
    {"field": "id", "headerName": "住户编号", "filter": "agNumberColumnFilter", "width": 130},
    {"field": "grid", "headerName": "网格", "flex": 2},
    {"field": "head", "headerName": "户主（脱敏）", "flex": 1},
    {"field": "phone", "headerName": "联系电话（脱敏）", "flex": 1},
    {"field": "member", "headerName": "联系党员（脱敏）", "flex": 1},
    {"field": "status", "headerName": "状态", "width": 110},
]
SUGGESTION_COLUMNS = [
    {"field": "household_id", "headerName": "住户编号", "width": 130},
    {"field": "grid", "headerName": "住户网格", "flex": 2},
    {"field": "member", "headerName": "建议党员（脱敏）", "flex": 1},
    {"field": "member_grid", "headerName": "党员网格", "flex": 2},
    {"field": "distance_m", "headerName": "距离（米）", "filter": "agNumberColumnFilter", "width": 120},
]


def _grid(component_id: str, columns: list[dict], row_id: str) -> dag.AgGrid:
    return dag.AgGrid(
        id=component_id, columnDefs=columns, rowData=[], getRowId=f"params.data.{row_id}",
        defaultColDef={"sortable": True, "filter": True, "resizable": True},
        dashGridOptions={"rowSelection": {"mode": "multiRow", "enableClickSelection": True},
                         "localeText": GRID_TEXT, "animateRows": False},
        className="ws-grid", style={"height": "420px"},
    )


# --- reads ---------------------------------------------------------------------------------------------------------

def township_options(principal: access.Principal) -> list[dict]:
    """The townships the user works in: their own, or every township of their county."""
    with read_session() as session:
        return [{"label": name, "value": code} for code, name in townships_of(session, principal)]


def member_frame(session, township: str, found, grid_names: dict[str, str]) -> pd.DataFrame:
    """The township's members ordered by grid cell: the columns of ``found.members`` (a ``Coverage``), grid_name,
    lon, lat."""
    members = found.members.merge(member_places(session, township), on="member_id")
    members["grid_name"] = members["grid_code"].map(lambda code: grid_names.get(code, code))
    return members.sort_values(["grid_code", "member_id"], ignore_index=True)


def grid_cells(township: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """The township's grid cells (cached geometry) and their names by code."""
    cells, _ = level_geometry("grid", township)
    return cells, dict(zip(cells["code"], cells["name"]))


def township_state(township: str):
    """Everything the page draws of a township: cells, grid names, households, members, coverage."""
    cells, names = grid_cells(township)
    with read_session() as session:
        households = household_frame(session, township)
        found = coverage(session, township)
        members = member_frame(session, township, found, names)
    return cells, names, households, members, found


def _township(code) -> str:
    """``code`` when it is a township inside the user's area; refused (logged) outside it."""
    check_area(code)
    if not (isinstance(code, str) and TOWNSHIP_CODE.fullmatch(code)):
        raise InvalidInput("请先选择一个乡镇（街道）。")
    return code


# --- layout --------------------------------------------------------------------------------------------------------

@page_layout("workspace")
def layout(township: str | None = None, **_kwargs):
    try:
        check_area(township)
    except HttpForbidden:
        return html.Div([html.H2("无权访问"), html.P(f"{township} 不在您的管辖范围内，此次访问已记录。")],
                        className="forbidden", id="forbidden")
    principal = access.current()
    options = township_options(principal)
    codes = [option["value"] for option in options]
    chosen = township if township in codes else (codes[0] if codes else None)
    return html.Div(
        [
            dcc.Store(id="ws-pending"),
            dcc.Store(id="ws-seen"),
            dcc.Interval(id="ws-watch", interval=WATCH_MS),
            dcc.Download(id="ws-download"),
            html.H2("党员联户：为网格内住户联系党员"),
            html.Div(
                [
                    html.Div([html.Label("乡镇（街道）"),
                              dcc.Dropdown(id="ws-area", options=options, value=chosen, clearable=False,
                                           disabled=principal.role is Role.TOWNSHIP_SUPERVISOR)],
                             className="control"),
                    html.Div([html.Label("联系党员"),
                              dcc.Dropdown(id="ws-member", placeholder="选择党员（可输入姓氏或网格名称搜索）")],
                             className="control wide"),
                    html.Div([
                        html.Button("联系", id="ws-link", n_clicks=0, className="button"),
                        html.Button("调整到此党员", id="ws-move", n_clicks=0, className="button"),
                        html.Button("解除", id="ws-unlink", n_clicks=0, className="button secondary"),
                        html.Button("撤销上一步", id="ws-undo", n_clicks=0, className="button secondary"),
                        html.Button("智能建议", id="ws-suggest", n_clicks=0, className="button suggest"),
                    ], className="ws-actions"),
                ],
                className="ws-controls",
            ),
            html.Div(id="ws-message", className="ws-message", role="status"),
            html.Div([html.Span(id="ws-stale-text"), html.Button("更新", id="ws-refresh", n_clicks=0, className="button small")],
                     id="ws-stale", className="ws-stale", role="status", hidden=True),
            html.Div([html.P(id="ws-exception-text"),
                      html.Button("确认例外（跨网格联系）", id="ws-confirm", n_clicks=0, className="button")],
                     id="ws-exception", className="ws-exception", hidden=True),
            html.Div(
                [
                    html.Div([
                        dcc.Graph(id="ws-map", className="map", style={"height": "62vh"},
                                  config={"displaylogo": False, "scrollZoom": True,
                                          "modeBarButtonsToRemove": ["autoScale2d", "toggleSpikelines"]}),
                        html.Div([_swatch("linked", "已联户住户"), _swatch("unlinked", "未联户住户"),
                                  _swatch("member", "党员（越大负荷越高；紫色超载，灰色空闲）"),
                                  _swatch("suggested", "建议联系")], className="ws-legend"),
                        html.P("在地图上框选或套索选择住户（工具栏中的“框选”“套索”），或在下表中勾选；点击党员标记可选中该党员。",
                               className="hint"),
                        html.P(id="ws-map-note", className="map-note"),
                    ], className="map-panel"),
                    html.Aside([
                        html.Div([html.H3("覆盖情况"),
                                  html.Button("下载覆盖情况 xlsx", id="ws-xlsx", n_clicks=0, className="button small")],
                                 className="panel-head"),
                        html.Div(id="ws-coverage"),
                        html.Div([html.Label("每名党员联户上限（本乡镇）", htmlFor="ws-cap"),
                                  dcc.Input(id="ws-cap", type="number", min=1, max=100, step=1, className="input"),
                                  html.Button("保存上限", id="ws-cap-save", n_clicks=0, className="button small")],
                                 className="ws-cap"),
                    ], className="side-panel"),
                ],
                className="map-row",
            ),
            html.Div(
                [
                    html.Div([html.Span(id="ws-selection", className="hint"),
                              html.Div([html.Button("查看户主姓名", id="ws-reveal-name", n_clicks=0, disabled=True,
                                                    className="button small secondary"),
                                        html.Button("查看联系电话", id="ws-reveal-phone", n_clicks=0, disabled=True,
                                                    className="button small secondary"),
                                        html.Span(id="ws-revealed", className="ws-revealed")],
                                       className="ws-reveal")],
                             className="panel-head"),
                    _grid("ws-grid", HOUSEHOLD_COLUMNS, "id"),
                ],
                className="panel",
            ),
            html.Div(
                [
                    html.Div([html.H3("智能建议（预览）"),
                              html.Div([html.Button("全部采纳", id="ws-accept-all", n_clicks=0, className="button small"),
                                        html.Button("采纳所选", id="ws-accept-selected", n_clicks=0,
                                                    className="button small")], className="ws-actions")],
                             className="panel-head"),
                    html.P(id="ws-suggest-summary", className="hint"),
                    _grid("ws-suggest-grid", SUGGESTION_COLUMNS, "household_id"),
                ],
                id="ws-suggest-panel", className="panel", hidden=True,
            ),
        ],
        className="workspace-page",
    )


def _swatch(kind: str, label: str) -> html.Span:
    return html.Span([html.Span(className=f"swatch {kind}"), label], className="legend-item")


# --- pieces the callbacks send ---------------------------------------------------------------------------------------

def _rows(households: pd.DataFrame, grid_names: dict[str, str]) -> list[dict]:
    return [{"id": int(h.id), "grid": grid_names.get(h.grid_code, h.grid_code), "head": h.head, "phone": h.phone,
             "member": h.member, "status": LINKED if h.linked else UNLINKED} for h in households.itertuples()]


def _member_options(members: pd.DataFrame) -> list[dict]:
    return [{"label": f"{m.name} · 负荷 {m.load}/{m.cap} · {m.grid_name}", "value": int(m.member_id)}
            for m in members.itertuples()]


def _number(label: str, value: str, note: str, number_id: str | None = None) -> html.Div:
    parts = [html.Span(label, className="hint"), html.Span(value, className="big-number"),
             html.Span(note, className="hint")]
    return html.Div(parts, className="ws-number", **({"id": number_id} if number_id else {}))


def _coverage_panel(found) -> list:
    share = "—" if math.isnan(found.share_linked) else f"{found.share_linked:.1%}"
    numbers = html.Div([
        _number("联户率", share, f"{found.linked:,}/{found.households:,} 户", "ws-share"),
        _number("超载党员", f"{found.members_over:,}", "名（负荷超过上限）"),
        _number("空闲党员", f"{found.members_under:,}", "名（未联系住户）"),
        _number("无党员网格", f"{found.cells_without_member:,}", "个（有住户无党员）"),
    ], className="ws-numbers")
    worst = found.units[found.units["households"] > 0].head(WORST_SHOWN)
    header = html.Tr([html.Th(t) for t in ("网格", "住户", "已联户", "联户率", "党员", "超载")])
    rows = [html.Tr([html.Td(u.name), html.Td(f"{u.households:,}"), html.Td(f"{u.linked:,}"),
                     html.Td(f"{u.share_linked:.1%}"), html.Td(u.members), html.Td(u.over_cap)])
            for u in worst.itertuples()]
    return [numbers, html.H4("联户率最低的网格"), html.Table([html.Thead(header), html.Tbody(rows)], className="table")]


def _message(text: str, ok: bool = True) -> html.P:
    return html.P(text, className="ok" if ok else "error")


def _selected_ids(rows) -> list[int]:
    """Household ids of the table's selected rows (a forged payload is refused with a sentence)."""
    try:
        return sorted({int(row["id"]) for row in rows or []})
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("所选住户无效，请刷新页面后重新选择。") from None


# --- callbacks -----------------------------------------------------------------------------------------------------

@callback(
    Output("ws-map", "figure"),
    Output("ws-map-note", "children"),
    Output("ws-grid", "rowData"),
    Output("ws-member", "options"),
    Output("ws-member", "value"),
    Output("ws-coverage", "children"),
    Output("ws-suggest-panel", "hidden"),
    Output("ws-exception", "hidden"),
    Output("ws-pending", "data"),
    Output("ws-message", "children"),
    Output("ws-seen", "data"),
    Output("ws-stale", "hidden"),
    Input("ws-area", "value"),
)
def load(township):
    """A township's map (geometry included), its households' rows, its members and its coverage; whatever
    was pending for another township is closed. The newest link change is read first: anything later is
    announced by the watch."""
    try:
        township = _township(township)
        with read_session() as session:
            seen = latest_change(session, township)
        cells, names, households, members, found = township_state(township)
    except FengqiaoError as exc:
        return no_update, no_update, [], [], None, no_update, True, True, None, _message(str(exc), ok=False), None, True
    return (workspace_map(cells, households, members), workspace_note(cells, households), _rows(households, names),
            _member_options(members), None, _coverage_panel(found), True, True, None, "", seen, True)


@callback(
    Output("ws-grid", "selectedRows"),
    Output("ws-map", "figure", allow_duplicate=True),
    Output("ws-selection", "children"),
    Output("ws-reveal-name", "disabled"),
    Output("ws-reveal-phone", "disabled"),
    Output("ws-revealed", "children"),
    Input("ws-map", "selectedData"),
    Input("ws-grid", "selectedRows"),
    State("ws-area", "value"),
    prevent_initial_call=True,
)
def sync_selection(selected_data, selected_rows, township):
    """Box or lasso on the map selects the table's rows; selected rows are highlighted on the map."""
    township = _township(township)
    if ctx.triggered_id == "ws-map":
        points = (selected_data or {}).get("points", [])
        ids = [str(p["customdata"]) for p in points if p.get("curveNumber") == HOUSEHOLDS and "customdata" in p]
        return {"ids": ids}, no_update, no_update, no_update, no_update, no_update
    rows = selected_rows if isinstance(selected_rows, list) else []
    chosen = set(_selected_ids(rows))
    with read_session() as session:
        order = household_ids(session, township)
    indices = [index for index, household in enumerate(order) if household in chosen]
    unlinked = sum(row.get("status") == UNLINKED for row in rows)
    text = f"已选择 {len(chosen):,} 户（未联户 {unlinked:,} 户，已联户 {len(chosen) - unlinked:,} 户）" if chosen \
        else "未选择住户：在地图上框选，或在表中勾选。"
    single = len(chosen) != 1
    return no_update, selection_patch(indices if chosen else None), text, single, single, ""


@callback(Output("ws-member", "value", allow_duplicate=True), Input("ws-map", "clickData"), prevent_initial_call=True)
def pick_member(click):
    """Clicking a member's marker chooses that member."""
    point = ((click or {}).get("points") or [{}])[0]
    if point.get("curveNumber") != MEMBERS or not isinstance(point.get("customdata"), int):
        return no_update
    return point["customdata"]


CHANGE_OUTPUTS = [Output(component, prop, allow_duplicate=True) for component, prop in (
    ("ws-message", "children"), ("ws-exception", "hidden"), ("ws-exception-text", "children"), ("ws-pending", "data"),
    ("ws-map", "figure"), ("ws-grid", "rowTransaction"), ("ws-coverage", "children"), ("ws-member", "options"),
    ("ws-suggest-panel", "hidden"))]
UNCHANGED = (no_update,) * 5


def _changed(township: str, text: str, touched: list[int]) -> tuple:
    """What the page redraws after a change: colours and member markers (Patch), the touched rows, coverage,
    the members' loads in the dropdown; the suggestion preview is closed."""
    _, names, households, members, found = township_state(township)
    rows = _rows(households[households["id"].isin(touched)], names)
    return (_message(text), True, "", None, status_patch(households, members), {"update": rows},
            _coverage_panel(found), _member_options(members), True)


@callback(
    *CHANGE_OUTPUTS,
    Input("ws-link", "n_clicks"),
    Input("ws-move", "n_clicks"),
    Input("ws-unlink", "n_clicks"),
    Input("ws-undo", "n_clicks"),
    Input("ws-confirm", "n_clicks"),
    State("ws-area", "value"),
    State("ws-grid", "selectedRows"),
    State("ws-member", "value"),
    State("ws-pending", "data"),
    prevent_initial_call=True,
)
def change(_link, _move, _unlink, _undo, _confirm, township, selected_rows, member, pending):
    """Link the selected unlinked households, or move or unlink the selected linked ones (the others are
    skipped and counted), or undo; a link or move across non-neighbouring cells waits for the confirmation,
    which then retries exactly the request it was asked for."""
    township = _township(township)
    confirming = ctx.triggered_id == "ws-confirm"
    actor = access.current()
    with write_session() as session:  # refusals the backend logs are committed with this transaction
        try:
            request = _pending(pending) if confirming else _request(ACTIONS[ctx.triggered_id], member, selected_rows)
            result = _apply(session, actor, request, confirming)
            touched = households_of_change(session, result.change_id) if result.change_id else []
        except NeedsException as exc:
            return _message("需要确认：跨网格联系。", ok=False), False, str(exc), request, *UNCHANGED
        except FengqiaoError as exc:
            return _message(str(exc), ok=False), True, "", None, *UNCHANGED
    if not touched:
        return _message(result.message), True, "", None, *UNCHANGED
    return _changed(township, result.message + _skipped_note(request), touched)


def _request(kind: str, member, selected_rows) -> dict:
    """What to change: the selected rows whose status the action applies to; the others are counted."""
    if kind == "undo":
        return {"kind": kind}
    rows = selected_rows if isinstance(selected_rows, list) else []
    status = WANTED[kind]
    households = _selected_ids([row for row in rows if isinstance(row, dict) and row.get("status") == status])
    if rows and not households:
        raise InvalidInput(f"所选 {len(rows):,} 户中没有{status}的住户。")
    return {"kind": kind, "member": member, "households": households, "skipped": len(rows) - len(households)}


def _pending(pending) -> dict:
    """The request waiting for the confirmation (only a link or a move waits for one)."""
    if not (isinstance(pending, dict) and pending.get("kind") in ("link", "move")):
        raise InvalidInput("没有待确认的调整：请重新选择住户和党员后再提交。")
    return pending


def _skipped_note(request: dict) -> str:
    skipped = request.get("skipped")
    if request["kind"] not in WANTED or not isinstance(skipped, int) or skipped <= 0:
        return ""
    return f"（所选住户中另有 {skipped:,} 户{LINKED if WANTED[request['kind']] == UNLINKED else UNLINKED}，未作调整）"


def _apply(session, actor, request: dict, confirm: bool):
    kind, member, households = request["kind"], request.get("member"), request.get("households")
    if kind == "undo":
        return undo_last(session, actor)
    if kind == "unlink":
        return unlink(session, actor, households)
    if not member:
        raise InvalidInput("请先在“联系党员”中选择一名党员。")
    change_members = link if kind == "link" else move
    return change_members(session, actor, households, member, confirm_exception=confirm)


@callback(
    *CHANGE_OUTPUTS,
    Input("ws-accept-all", "n_clicks"),
    Input("ws-accept-selected", "n_clicks"),
    State("ws-area", "value"),
    State("ws-suggest-grid", "rowData"),
    State("ws-suggest-grid", "selectedRows"),
    prevent_initial_call=True,
)
def accept(_all, _selected, township, rows, selected_rows):
    """Accept all the previewed suggestions, or only the ticked ones."""
    township = _township(township)
    chosen = rows if ctx.triggered_id == "ws-accept-all" else selected_rows
    actor = access.current()
    with write_session() as session:
        try:
            pairs = _pairs(chosen)
            result = apply_suggestion(session, actor, pairs)
            touched = households_of_change(session, result.change_id)
        except FengqiaoError as exc:
            return _message(str(exc), ok=False), True, "", None, *UNCHANGED
    return _changed(township, result.message, touched)


def _pairs(rows) -> list[tuple[int, int]]:
    if not rows:
        raise InvalidInput("请先勾选要采纳的建议。")
    try:
        return [(int(row["household_id"]), int(row["member_id"])) for row in rows]
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("建议数据无效，请重新生成建议。") from None


@callback(
    Output("ws-map", "figure", allow_duplicate=True),
    Output("ws-suggest-grid", "rowData"),
    Output("ws-suggest-summary", "children"),
    Output("ws-suggest-panel", "hidden", allow_duplicate=True),
    Output("ws-message", "children", allow_duplicate=True),
    Input("ws-suggest", "n_clicks"),
    State("ws-area", "value"),
    prevent_initial_call=True,
)
def preview_suggestion(_n, township):
    """The suggested links of the township's unlinked households: lines on the map and a table to tick."""
    township = _township(township)
    _, names = grid_cells(township)
    try:
        with read_session() as session:
            found = suggest(session, township)
            members = masked_member_names(session, found.pairs["member_id"].tolist())
    except FengqiaoError as exc:
        return no_update, no_update, no_update, no_update, _message(str(exc), ok=False)
    rows = [{"household_id": int(p.household_id), "member_id": int(p.member_id),
             "grid": names.get(p.household_grid_code, p.household_grid_code),
             "member": members.get(p.member_id, ""),
             "member_grid": names.get(p.member_grid_code, p.member_grid_code), "distance_m": round(p.distance_m)}
            for p in found.pairs.itertuples()]
    return suggestion_patch(found.pairs), rows, found.summary, not rows, ""


@callback(
    Output("ws-revealed", "children", allow_duplicate=True),
    Input("ws-reveal-name", "n_clicks"),
    Input("ws-reveal-phone", "n_clicks"),
    State("ws-area", "value"),
    State("ws-grid", "selectedRows"),
    prevent_initial_call=True,
)
def reveal_field(_name, _phone, township, selected_rows):
    """One personal field of the one selected household, in clear, logged; masked again on the next selection."""
    _township(township)
    field, label = REVEALABLE[ctx.triggered_id]
    try:
        ids = _selected_ids(selected_rows)
        if len(ids) != 1:
            raise InvalidInput("请只选择一户，再查看其个人信息。")
    except FengqiaoError as exc:
        return failure(exc)
    return revealed("household", ids[0], field, label, f"住户 {ids[0]}")


dash.clientside_callback(
    dash.ClientsideFunction(namespace="workspace", function_name="watchChanges"),
    Output("ws-stale", "hidden", allow_duplicate=True),
    Output("ws-stale-text", "children"),
    Input("ws-watch", "n_intervals"),
    State("ws-area", "value"),
    State("ws-seen", "data"),
    prevent_initial_call=True,
)


@callback(
    Output("ws-message", "children", allow_duplicate=True),
    Output("ws-map", "figure", allow_duplicate=True),
    Output("ws-grid", "rowTransaction", allow_duplicate=True),
    Output("ws-coverage", "children", allow_duplicate=True),
    Output("ws-member", "options", allow_duplicate=True),
    Output("ws-seen", "data", allow_duplicate=True),
    Output("ws-stale", "hidden", allow_duplicate=True),
    Input("ws-refresh", "n_clicks"),
    State("ws-area", "value"),
    State("ws-seen", "data"),
    prevent_initial_call=True,
)
def refresh(_n, township, seen):
    """Redraw what was changed since the page last drew the township: the rows touched, colours, loads, coverage."""
    township = _township(township)
    seen = seen if isinstance(seen, int) and not isinstance(seen, bool) else 0
    with read_session() as session:
        found = changes_since(session, township, seen)
    message, *_, figure, rows, panel, options, _ = _changed(
        township, "已更新为最新的联户情况。", sorted(set(found["household_id"].tolist())))
    return message, figure, rows, panel, options, int(found["id"].max()) if len(found) else seen, True


@callback(Output("ws-cap", "value"), Input("ws-area", "value"))
def show_cap(township):
    """The township's cap on households per member (15 unless the township set another)."""
    township = _township(township)
    with read_session() as session:
        return link_cap(session, township)


@callback(*CHANGE_OUTPUTS, Input("ws-cap-save", "n_clicks"), State("ws-area", "value"), State("ws-cap", "value"),
          prevent_initial_call=True)
def save_cap(_n, township, cap):
    """Set the township's cap; loads are then judged against it (members above it stay linked, shown overloaded)."""
    township = _township(township)
    cap = int(cap) if isinstance(cap, float) and cap.is_integer() else cap
    with write_session() as session:  # a refusal the backend logs is committed with this transaction
        try:
            set_link_cap(session, access.current(), township, cap)
        except FengqiaoError as exc:
            error = str(exc)
        else:
            error = None
    if error:
        return (_message(error, ok=False),) + (no_update,) * (len(CHANGE_OUTPUTS) - 1)
    return _changed(township, f"已将本乡镇每名党员的联户上限设为 {cap} 户。", [])


@callback(Output("ws-download", "data"), Input("ws-xlsx", "n_clicks"), State("ws-area", "value"),
          prevent_initial_call=True)
def download_coverage(_n, township):
    """The coverage of every grid cell of the township, worst first, as .xlsx."""
    township = _township(township)
    with read_session() as session:
        found = coverage(session, township)
        cap = link_cap(session, township)
        name = unit_name(session, township)
    summary = (f"联户率 {found.share_linked:.1%}（{found.linked:,}/{found.households:,} 户）；联户上限 {cap} 户/人；"
               f"超载党员 {found.members_over:,} 名，空闲党员 {found.members_under:,} 名，"
               f"无党员网格 {found.cells_without_member:,} 个")
    payload = exports.table_workbook(found.units, f"{name} 党员联户覆盖情况", f"截至 {date.today():%Y-%m-%d}", summary)
    return dcc.send_bytes(payload, f"fengqiao-coverage-{township}-{date.today():%Y%m%d}.xlsx")
