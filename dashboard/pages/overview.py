"""综合研判 — the leadership overview: KPI band, hotspot map drilling city → county → township → grid,
the county ranking, big-screen mode and exports."""

from __future__ import annotations

import dash
from dash import Input, Output, State, ctx, dcc, html, no_update
from werkzeug.exceptions import Forbidden as HttpForbidden

from dashboard.components.kpi_band import make_kpi_band
from dashboard.database import read_session
from dashboard.exports import table_workbook
from dashboard.figures.maps import measure_map, measure_patch, source_note
from dashboard.figures.ranking import county_ranking
from dashboard.geometry import level_geometry
from dashboard.guard import check_area, page_callback, page_layout, refuse, scoped_area
from dashboard.period import MONTHS, month_marks, period_of, period_text
from geo import access
from geo.areas import level_of
from geo.dispute_stats import MEASURES, DisputeFilter, dispute_measures, measure_values, unit_disputes, unit_trail
from geo.enums import DisputeDomain, DisputeStatus, RiskLevel
from geo.errors import FengqiaoError
from geo.hotspots import METHOD
from geo.kpis import KPIS, kpi_frame, kpi_summary

dash.register_page(__name__, path="/", name="综合研判", title="枫桥网格 · 综合研判", order=0)

callback = page_callback("overview")

LEVEL_NAMES = {"county": "县区", "township": "乡镇（街道）", "grid": "网格"}
NEXT_LEVEL = {"county": "township", "township": "grid"}
CITY = {"area": "", "level": "county", "trail": [["", "信阳市"]]}
TOP_N = 10
REFRESH_MS = 60_000


def _options(enum_cls) -> list[dict]:
    return [{"label": member.label, "value": member.value} for member in enum_cls]


def root_scope(level: str | None = None) -> dict:
    """The top of the user's map: the city for city-wide roles, a supervisor's own county or township."""
    principal = access.current()
    if principal.role not in access.SUPERVISORS:
        return {**CITY, "level": level if level in LEVEL_NAMES else "county"}
    area = principal.region_code
    below = _level_below(area)
    with read_session() as session:
        trail = [step for step in unit_trail(session, area) if principal.covers(step[0])]
    return {"area": area, "level": level if level in levels_below(area) else below, "trail": trail}


def levels_below(area: str) -> list[str]:
    """The map levels that can be drawn inside ``area``."""
    return list(LEVEL_NAMES)[list(LEVEL_NAMES).index(_level_below(area)):]


def initial_scope(level: str | None = None, area: str | None = None) -> dict:
    """The scope a link asks for (``/?area=411502`` or ``/?level=grid``); unknown values fall back to the
    user's root. An area outside the user's own is refused (logged)."""
    if level_of(area) in ("county", "township"):
        with read_session() as session:
            trail = unit_trail(session, area)
        if trail:
            check_area(area)
            root = root_scope()
            trail = [step for step in trail if step[0] not in {code for code, _ in root["trail"]}]
            return {"area": area, "level": _level_below(area), "trail": root["trail"] + trail}
    return root_scope(level)


@page_layout("overview")
def layout(level: str | None = None, area: str | None = None, **_kwargs):
    try:
        scope = initial_scope(level, area)
    except HttpForbidden:
        return html.Div([html.H2("无权访问"), html.P(f"{area} 不在您的查看范围内。")], className="forbidden", id="forbidden")
    city_wide = access.current().area_prefix == access.CITY_PREFIX
    return html.Div(
        [
            dcc.Store(id="ov-scope", data=scope),
            dcc.Store(id="ov-selected"),
            dcc.Interval(id="ov-play-timer", interval=1500, disabled=True),
            dcc.Interval(id="ov-refresh-timer", interval=REFRESH_MS, disabled=True),
            dcc.Download(id="ov-download"),
            html.Div(
                [
                    html.H2("综合研判：矛盾纠纷热点与“一升一降一减少”"),
                    html.Button("大屏模式", id="ov-bigscreen", n_clicks=0, className="button"),
                ],
                className="page-head",
            ),
            html.Div(
                [
                    html.Div([
                        html.Label("时段（按月）"),
                        html.Div([
                            html.Button("▶ 播放", id="ov-play", n_clicks=0, className="button small"),
                            dcc.RangeSlider(id="ov-period", min=0, max=len(MONTHS) - 1, step=1,
                                            value=[len(MONTHS) - 12, len(MONTHS) - 1], marks=month_marks(),
                                            allowCross=False, updatemode="mouseup", allow_direct_input=False),
                        ], className="period-row"),
                        html.Div(id="ov-period-text", className="hint"),
                    ], className="control wide"),
                    html.Div([html.Label("纠纷类别"), dcc.Dropdown(id="ov-domains", options=_options(DisputeDomain), multi=True,
                                                               placeholder="全部类别")], className="control"),
                    html.Div([html.Label("状态"), dcc.Dropdown(id="ov-statuses", options=_options(DisputeStatus), multi=True,
                                                             placeholder="全部状态")], className="control"),
                    html.Div([html.Label("风险等级"), dcc.Dropdown(id="ov-risks", options=_options(RiskLevel), multi=True,
                                                               placeholder="全部等级")], className="control"),
                ],
                className="controls",
            ),
            html.Div(id="ov-kpis"),
            html.Div(
                [
                    html.Div([
                        html.Div([
                            html.Nav(id="ov-breadcrumb", className="breadcrumb"),
                            dcc.RadioItems(id="ov-level", options=[{"label": LEVEL_NAMES[k], "value": k}
                                                                   for k in levels_below(scoped_area(""))],
                                           value=level if level in LEVEL_NAMES else "county", inline=True,
                                           className="radio"),
                            dcc.Dropdown(id="ov-measure", options=[{"label": v, "value": k} for k, v in MEASURES.items()],
                                         value="disputes", clearable=False, className="measure"),
                            html.Button("下载地图 PNG", id="ov-png", n_clicks=0, className="button small"),
                        ], className="map-head"),
                        dcc.Graph(id="ov-map", className="map", responsive=True, style={"height": "62vh"},
                                  config={"displaylogo": False, "scrollZoom": True}),
                        html.P(id="ov-map-note", className="map-note"),
                        html.Details([html.Summary("冷热点方法说明"), html.P(METHOD)], className="method"),
                    ], className="map-panel"),
                    html.Aside([
                        html.Div([html.H3("排名前列的单元"),
                                  html.Button("下载表格 xlsx", id="ov-xlsx", n_clicks=0, className="button small")],
                                 className="panel-head"),
                        html.Table(id="ov-top", className="table"),
                        html.H3(id="ov-records-title"),
                        html.Div(id="ov-records", className="records"),
                    ], className="side-panel"),
                ],
                className="map-row",
            ),
            html.Div(
                hidden=not city_wide,  # a supervisor's overview stays inside their own area
                children=[
                    html.Div([html.H3("县区比较"),
                              dcc.Dropdown(id="ov-rank-kpi", options=[{"label": k.label, "value": k.key} for k in KPIS],
                                           value=KPIS[0].key, clearable=False, className="measure")],
                             className="panel-head"),
                    dcc.Graph(id="ov-ranking", className="ranking", responsive=True, style={"height": "420px"},
                              config={"displaylogo": False}),
                ],
                className="ranking-panel",
            ),
            html.Div(id="ov-error", className="error", role="alert"),
        ],
        id="ov-page",
        className="overview",
    )


def _filter(period, domains, statuses, risks) -> DisputeFilter:
    start, end = period_of(period)
    return DisputeFilter(start, end, tuple(domains or ()), tuple(statuses or ()), tuple(risks or ()))


def checked_scope(scope: dict) -> dict:
    """The scope a callback may draw: its area checked (refused and logged outside the user's own);
    "" (the whole city) from a supervisor, as a forged request would send, becomes their own root."""
    if scoped_area(scope["area"]) != scope["area"]:
        return root_scope()
    return scope


def _map_values(scope: dict, chosen: DisputeFilter, measure: str):
    units, neighbours = level_geometry(scope["level"], scope["area"])
    with read_session() as session:
        measures = dispute_measures(session, scope["level"], scope["area"], chosen)
    values = measure_values(measures[measures["code"].isin(units["code"])], measure, neighbours)
    return units, values, measures


@callback(
    Output("ov-map", "figure"),
    Output("ov-top", "children"),
    Output("ov-map-note", "children"),
    Output("ov-error", "children"),
    Input("ov-scope", "data"),
    Input("ov-period", "value"),
    Input("ov-domains", "value"),
    Input("ov-statuses", "value"),
    Input("ov-risks", "value"),
    Input("ov-measure", "value"),
)
def update_map(scope, period, domains, statuses, risks, measure):
    """A new scope sends the figure with geometry; a filter change sends only the values (Patch)."""
    try:
        chosen = _filter(period, domains, statuses, risks)
        scope = checked_scope(scope)
        units, values, measures = _map_values(scope, chosen, measure)
    except FengqiaoError as exc:
        return no_update, no_update, no_update, str(exc)
    title = (f"{scope['trail'][-1][1]} · {LEVEL_NAMES[scope['level']]} · {MEASURES[measure]} · "
             f"{period_text(chosen.start, chosen.end)}<br><sub>{_filter_text(chosen)}</sub>")
    if ctx.triggered_id in (None, "ov-scope"):
        figure = measure_map(units, values, measure, title)
    else:
        figure = measure_patch(units, values, measure, title)
    return figure, _top_table(units, values, measures, measure), source_note(units), ""


def _top_table(units, values, measures, measure) -> list:
    table = values.merge(units[["code", "name"]], on="code").merge(measures, on="code", how="left")
    table = table.dropna(subset=["value"]).sort_values(["value", "code"], ascending=[False, True]).head(TOP_N)
    header = html.Tr([html.Th("排名"), html.Th("单元"), html.Th("代码"), html.Th(MEASURES[measure])])
    rows = [
        html.Tr([html.Td(int(r["rank"])),
                 html.Td(html.A(r["name"], id={"type": "ov-unit", "code": r["code"], "name": r["name"]}, className="unit-link")),
                 html.Td(r["code"]), html.Td(_cell_text(measure, r))])
        for _, r in table.iterrows()
    ]
    return [html.Thead(header), html.Tbody(rows)]


def _cell_text(measure: str, row) -> str:
    if measure == "hotspot":
        return row["label"]
    value = row["value"]
    return f"{value:.1%}" if measure == "leakage" else (f"{value:.1f}" if measure == "per_1000" else f"{int(value):,}")


@callback(
    Output("ov-scope", "data"),
    Output("ov-selected", "data"),
    Input("ov-map", "clickData"),
    Input("ov-level", "value"),
    Input({"type": "ov-crumb", "index": dash.ALL}, "n_clicks"),
    Input({"type": "ov-unit", "code": dash.ALL, "name": dash.ALL}, "n_clicks"),
    State("ov-scope", "data"),
    prevent_initial_call=True,
)
def navigate(click, level, _crumbs, _units, scope):
    """Clicking a unit (on the map or in the table) drills one level down and selects it; at grid level
    it only selects the cell. Crumbs go back up; the level radio shows the whole city at that level."""
    trigger = ctx.triggered_id
    if trigger == "ov-level":
        return root_scope(level), None
    if isinstance(trigger, dict) and trigger.get("type") == "ov-crumb":
        if not any(_crumbs):
            return no_update, no_update
        trail = scope["trail"][: trigger["index"] + 1]
        area = trail[-1][0]
        return {"area": area, "level": _level_below(area), "trail": trail}, None
    if isinstance(trigger, dict) and trigger.get("type") == "ov-unit":
        if not any(_units):
            return no_update, no_update
        code, name = trigger["code"], trigger["name"]
    elif click and click.get("points"):
        code = click["points"][0]["location"]
        if scope["level"] not in NEXT_LEVEL:
            return no_update, code
        with read_session() as session:
            trail = unit_trail(session, code)
        if not trail:
            return no_update, no_update
        name = trail[-1][1]
    else:
        return no_update, no_update
    if scope["level"] in NEXT_LEVEL:
        return {"area": code, "level": NEXT_LEVEL[scope["level"]], "trail": scope["trail"] + [[code, name]]}, code
    return no_update, code


def _level_below(area: str) -> str:
    return {"": "county", "county": "township"}.get(area and level_of(area), "grid")


@callback(Output("ov-breadcrumb", "children"), Output("ov-level", "value"), Input("ov-scope", "data"))
def breadcrumb(scope):
    crumbs = []
    for index, (_, name) in enumerate(scope["trail"]):
        if index:
            crumbs.append(html.Span(" › ", className="sep"))
        crumbs.append(html.Button(name, id={"type": "ov-crumb", "index": index}, className="crumb", n_clicks=0))
    return crumbs, scope["level"] if scope["area"] == "" else no_update


@callback(
    Output("ov-kpis", "children"),
    Output("ov-period-text", "children"),
    Input("ov-scope", "data"),
    Input("ov-period", "value"),
    Input("ov-refresh-timer", "n_intervals"),
)
def update_kpis(scope, period, _tick):
    start, end = period_of(period)
    scope = checked_scope(scope)
    area = scope["area"]
    with read_session() as session:
        values = kpi_summary(session, start, end, area)
        months = kpi_frame(session, MONTHS[0], end, area, by="month")
    return make_kpi_band(values, months), f"{period_text(start, end)}（{scope['trail'][-1][1]}）"


@callback(Output("ov-ranking", "figure"), Input("ov-period", "value"), Input("ov-rank-kpi", "value"),
          Input("ov-refresh-timer", "n_intervals"))
def update_ranking(period, key, _tick):
    if access.current().area_prefix != access.CITY_PREFIX:
        raise refuse("县区比较仅对市级用户开放")
    start, end = period_of(period)
    kpi = next(k for k in KPIS if k.key == key)
    with read_session() as session:
        counties = kpi_frame(session, start, end, by="county")
        if kpi.is_rate:
            return county_ranking(counties, kpi, kpi_frame(session, start, end)[key].iat[0])
    # a city count is the sum of the counties: the comparable reference is their mean
    return county_ranking(counties, kpi, counties[key].mean(), reference_label="县区平均")


@callback(
    Output("ov-records-title", "children"),
    Output("ov-records", "children"),
    Input("ov-selected", "data"),
    Input("ov-period", "value"),
    Input("ov-domains", "value"),
    Input("ov-statuses", "value"),
    Input("ov-risks", "value"),
)
def update_records(code, period, domains, statuses, risks):
    if not code:
        return "单元纠纷记录", html.P("点击地图上的单元或排名表中的名称，查看该单元的纠纷记录（个人信息已脱敏）。", className="hint")
    check_area(code)
    chosen = _filter(period, domains, statuses, risks)
    with read_session() as session:
        records = unit_disputes(session, code, chosen)
    if records.empty:
        return f"{code} 的纠纷记录", html.P("该时段内没有符合条件的纠纷。", className="hint")
    header = html.Tr([html.Th(t) for t in ("编号", "登记日期", "类别", "状态", "风险", "事由", "当事人")])
    rows = [
        html.Tr([html.Td(r.ref_no), html.Td(str(r.reported_on)), html.Td(DisputeDomain(r.domain).label),
                 html.Td(DisputeStatus(r.status).label), html.Td(RiskLevel(r.risk_level).label),
                 html.Td(r.summary or ""), html.Td(r.party)])
        for r in records.itertuples()
    ]
    title = f"{code} 的纠纷记录（最近 {len(records)} 条，当事人已脱敏）"
    return title, html.Table([html.Thead(header), html.Tbody(rows)], className="table records-table")


@callback(
    Output("ov-play-timer", "disabled"),
    Output("ov-play", "children"),
    Input("ov-play", "n_clicks"),
    prevent_initial_call=True,
)
def toggle_play(n_clicks):
    playing = n_clicks % 2 == 1
    return not playing, "⏸ 暂停" if playing else "▶ 播放"


@callback(Output("ov-period", "value"), Input("ov-play-timer", "n_intervals"), State("ov-period", "value"),
          prevent_initial_call=True)
def advance_period(_tick, period):
    """Playing moves the window one month forward, wrapping to the start at the end."""
    width = period[1] - period[0]
    start = period[0] + 1 if period[1] < len(MONTHS) - 1 else 0
    return [start, start + width]


@callback(
    Output("ov-page", "className"),
    Output("ov-refresh-timer", "disabled"),
    Output("ov-bigscreen", "children"),
    Input("ov-bigscreen", "n_clicks"),
    prevent_initial_call=True,
)
def toggle_bigscreen(n_clicks):
    big = n_clicks % 2 == 1
    return ("overview bigscreen" if big else "overview"), not big, "退出大屏" if big else "大屏模式"


@callback(
    Output("ov-download", "data"),
    Input("ov-xlsx", "n_clicks"),
    State("ov-scope", "data"),
    State("ov-period", "value"),
    State("ov-domains", "value"),
    State("ov-statuses", "value"),
    State("ov-risks", "value"),
    State("ov-measure", "value"),
    prevent_initial_call=True,
)
def download_table(_n, scope, period, domains, statuses, risks, measure):
    chosen = _filter(period, domains, statuses, risks)
    scope = checked_scope(scope)
    units, values, measures = _map_values(scope, chosen, measure)
    table = units[["code", "name"]].merge(measures, on="code", how="left").merge(
        values[["code", "rank"] + (["label"] if measure == "hotspot" else [])], on="code", how="left")
    title = f"{scope['trail'][-1][1]} {LEVEL_NAMES[scope['level']]}矛盾纠纷统计"
    filters = _filter_text(chosen)
    payload = table_workbook(table.sort_values("rank"), title, period_text(chosen.start, chosen.end), filters)
    return dcc.send_bytes(payload, f"fengqiao-{scope['level']}-{chosen.start:%Y%m}-{chosen.end:%Y%m}.xlsx")


def _filter_text(chosen: DisputeFilter) -> str:
    parts = []
    for name, enum_cls, values in (("类别", DisputeDomain, chosen.domains), ("状态", DisputeStatus, chosen.statuses),
                                   ("风险", RiskLevel, chosen.risks)):
        parts.append(f"{name}：{'、'.join(enum_cls(v).label for v in values) if values else '全部'}")
    return "；".join(parts)


dash.clientside_callback(
    dash.ClientsideFunction(namespace="fengqiao", function_name="resizeGraphs"),
    Output("ov-bigscreen", "title"),
    Input("ov-page", "className"),
    prevent_initial_call=True,
)

dash.clientside_callback(
    dash.ClientsideFunction(namespace="fengqiao", function_name="downloadMapPng"),
    Output("ov-png", "title"),
    Input("ov-png", "n_clicks"),
    State("ov-map-note", "children"),
    prevent_initial_call=True,
)
