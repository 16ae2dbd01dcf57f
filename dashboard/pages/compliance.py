"""排查报告 — who files the screening reports the cadence asks for, on time, late, as zero reports, or not
at all: a units × weeks matrix, a map by on-time rate, rankings, who is missing now, the sensitive
periods (with a form to declare one) and a form to enter a report."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import dash
from dash import Input, Output, State, ctx, dcc, html, no_update

from dashboard.database import read_session, write_session
from dashboard.figures.compliance import (
    compliance_map,
    compliance_map_patch,
    county_ranking,
    empty_map,
    status_matrix,
)
from dashboard.figures.maps import source_note
from dashboard.geometry import level_geometry
from dashboard.guard import check_area, check_write, page_callback, page_layout, scoped_area
from geo import access
from geo.areas import county_of
from geo.enums import RegionLevel, ReportKind, Role
from geo.errors import FengqiaoError
from geo.screening import (
    LOCAL,
    STATUS_DEFINITION,
    cadence_text,
    cadences,
    compliance_rates,
    declare_sensitive_period,
    enter_report,
    missing_now,
    reporting_units,
    sensitive_periods,
    status_by_week,
)

dash.register_page(__name__, path="/compliance", name="排查报告", title="枫桥网格 · 排查报告", order=3)

callback = page_callback("compliance")

WEEKS = [date(2023, 1, 2) + timedelta(weeks=i) for i in range(156)]
"""The plan's weeks, Monday to Sunday, 2 January 2023 to 28 December 2025: the slider's positions."""
PLAN_END = date(2025, 12, 31)
DEFAULT_WEEKS = [len(WEEKS) - 13, len(WEEKS) - 1]
MAX_LISTED = 200
ENTRY_KINDS = (ReportKind.WEEKLY, ReportKind.HALF_MONTHLY, ReportKind.DAILY)


def week_marks() -> dict[int, str]:
    return {i: (f"{w.year}年" if w.month == 1 else f"{w.month}月") for i, w in enumerate(WEEKS)
            if w.day <= 7 and w.month in (1, 7)}


def weeks_of(positions) -> tuple[date, date]:
    """Slider positions [i, j] → (Monday of week i, Sunday of week j)."""
    first, last = sorted(positions or DEFAULT_WEEKS)
    return WEEKS[first], WEEKS[last] + timedelta(days=6)


def weeks_text(start: date, end: date) -> str:
    return f"{start.year}年{start.month}月{start.day}日—{end.year}年{end.month}月{end.day}日（{(end - start).days // 7 + 1} 周）"


def area_of(county: str | None, township: str | None) -> str:
    """The chosen area, refused (and logged) when it lies outside the user's own."""
    return scoped_area(township or county)


def default_as_of() -> date:
    return min(date.today(), PLAN_END)


@page_layout("compliance")
def layout(**_kwargs):
    principal = access.current()
    with read_session() as session:
        counties = reporting_units(session, "", ["county"])
        rules = cadences(session, date.today())
    county_options = [{"label": r.name, "value": r.code} for r in counties.itertuples()]
    township_value, township_choices = None, []
    if principal.role in access.SUPERVISORS:
        county_value = county_of(principal.region_code)
        county_choices = [option for option in county_options if option["value"] == county_value]
        if principal.role is Role.TOWNSHIP_SUPERVISOR:
            township_value = principal.region_code
            township_choices = [o for o in _townships(county_value) if o["value"] == township_value]
    else:
        county_value, county_choices = "", [{"label": "信阳市（全市）", "value": ""}] + county_options
    return html.Div(
        [
            dcc.Store(id="cp-declared", data=0),
            dcc.Store(id="cp-entered", data=0),
            html.H2("排查报告：三报告、日报告与零报告按时情况"),
            html.Details([html.Summary("报送要求与判定口径"),
                          html.Ul([html.Li(cadence_text(r)) for r in rules.itertuples()], id="cp-cadence"),
                          html.P(STATUS_DEFINITION, className="hint", id="cp-definition")], className="method"),
            html.Div(
                [
                    html.Div([html.Label("时段（按周）"),
                              dcc.RangeSlider(id="cp-weeks", min=0, max=len(WEEKS) - 1, step=1, value=DEFAULT_WEEKS,
                                              marks=week_marks(), allowCross=False, updatemode="mouseup",
                                              allow_direct_input=False),
                              html.Div(id="cp-weeks-text", className="hint")], className="control wide"),
                    html.Div([html.Label("县区"), dcc.Dropdown(id="cp-county", options=county_choices,
                                                             value=county_value, clearable=False)], className="control"),
                    html.Div([html.Label("乡镇（街道）"), dcc.Dropdown(id="cp-township", options=township_choices,
                                                                   value=township_value, placeholder="全部乡镇",
                                                                   clearable=township_value is None)], className="control"),
                ],
                className="controls compliance-controls",
            ),
            html.Div(id="cp-error", className="error", role="alert"),
            html.Div(dcc.Loading(dcc.Graph(id="cp-matrix", config={"displaylogo": False})),
                     className="panel matrix-panel"),
            html.Div(
                [
                    html.Div([dcc.Graph(id="cp-map", style={"height": "560px"},
                                        config={"displaylogo": False, "scrollZoom": True}),
                              html.P(id="cp-map-note", className="map-note")], className="panel"),
                    html.Div([dcc.Graph(id="cp-county-ranking", config={"displaylogo": False}),
                              html.H3(id="cp-ranking-title"),
                              html.Div(id="cp-ranking", className="scroll-table")], className="panel"),
                ],
                className="two-columns",
            ),
            html.Div(
                [
                    html.Div([
                        html.Div([html.H3("当前未报告的单位"),
                                  html.Div([html.Label("截至"),
                                            dcc.DatePickerSingle(id="cp-as-of", date=default_as_of(),
                                                                 display_format="YYYY-MM-DD",
                                                                 first_day_of_week=1)],
                                           className="inline-control")], className="panel-head"),
                        html.P("各单位最近一期已过截止时间的报告仍未报送（按报告类型分别判断）。", className="hint"),
                        html.Div(id="cp-missing", className="scroll-table"),
                    ], className="panel"),
                    html.Div([
                        html.H3("敏感时期（每日一碰）"),
                        html.Div(id="cp-sensitive", className="scroll-table"),
                        html.H4("发布敏感时期（管理员）"),
                        html.Div(className="form", hidden=not principal.may("declare_sensitive_period"), children=[
                            html.Div([html.Label("名称"), dcc.Input(id="cp-sp-name", type="text", placeholder="如：全国两会",
                                                                  className="input")], className="field"),
                            html.Div([html.Label("起止日期"),
                                      dcc.DatePickerRange(id="cp-sp-dates", display_format="YYYY-MM-DD",
                                                          first_day_of_week=1, start_date_placeholder_text="开始",
                                                          end_date_placeholder_text="结束")], className="field"),
                            html.Div([html.Label("覆盖县区（留空为全市）"),
                                      dcc.Dropdown(id="cp-sp-counties", options=county_options[1:], multi=True,
                                                   placeholder="全市")], className="field"),
                            html.Div([html.Label("备注"), dcc.Input(id="cp-sp-note", type="text", className="input")],
                                     className="field"),
                            html.Button("发布", id="cp-sp-submit", n_clicks=0, className="button"),
                        ]),
                        html.Div(id="cp-sp-result", role="status"),
                    ], className="panel"),
                ],
                className="two-columns",
            ),
            html.Div([
                html.H3("录入排查报告"),
                html.P("补报也可录入：录入时间即报送时间，超过截止时间的记为逾期报告。", className="hint"),
                html.Div([
                    html.Div([html.Label("报送单位"), dcc.Dropdown(id="cp-entry-unit", placeholder="选择单位（可输入名称搜索）")],
                             className="field wide"),
                    html.Div([html.Label("报告类型"),
                              dcc.Dropdown(id="cp-entry-kind", options=[{"label": k.label, "value": k.value}
                                                                       for k in ENTRY_KINDS],
                                           value=ReportKind.WEEKLY.value, clearable=False)], className="field"),
                    html.Div([html.Label("报告期开始日期"),
                              dcc.DatePickerSingle(id="cp-entry-period", display_format="YYYY-MM-DD",
                                                   first_day_of_week=1, placeholder="周报为周一")], className="field"),
                    html.Div([html.Label("排查结果"),
                              dcc.RadioItems(id="cp-entry-zero", options=[{"label": "零报告（未发现）", "value": "zero"},
                                                                          {"label": "有发现", "value": "found"}],
                                             value="zero", inline=True, className="radio")], className="field"),
                    html.Div([html.Label("发现纠纷数"), dcc.Input(id="cp-entry-found", type="number", min=0, step=1,
                                                               value=0, className="input")], className="field"),
                    html.Button("提交报告", id="cp-entry-submit", n_clicks=0, className="button"),
                ], className="form"),
                html.Div(id="cp-entry-result", role="status"),
            ], className="panel", hidden=not principal.may("enter_report")),
        ],
        className="compliance-page",
    )


def _townships(county: str) -> list[dict]:
    with read_session() as session:
        townships = reporting_units(session, county, ["township"])
    return [{"label": r.name, "value": r.code} for r in townships.itertuples()]


def _alert(exc: FengqiaoError) -> html.Div:
    return html.Div(str(exc), className="error", role="alert")


@callback(Output("cp-township", "options"), Output("cp-township", "value"), Input("cp-county", "value"))
def township_options(county):
    """The townships of the chosen county (only their own for a township supervisor, chosen already)."""
    if not county:
        return [], None
    principal = access.current()
    if principal.role is not Role.TOWNSHIP_SUPERVISOR:
        check_area(county)
    options = _townships(county)
    if principal.role is Role.TOWNSHIP_SUPERVISOR:
        return [o for o in options if o["value"] == principal.region_code], principal.region_code
    return options, None


@callback(Output("cp-entry-unit", "options"), Input("cp-county", "value"), Input("cp-township", "value"))
def entry_units(county, township):
    """Units of the chosen area; city-wide, the counties and townships (choose a county for its villages)."""
    area = area_of(county, township)
    levels = None if area else ["county", "township"]
    with read_session() as session:
        units = reporting_units(session, area, levels)
    return [{"label": f"{r.name}（{RegionLevel(r.level).label}，{r.code}）", "value": r.code} for r in units.itertuples()]


def _map_level(area: str) -> str:
    return "township" if area == "" else "village"


@callback(
    Output("cp-matrix", "figure"),
    Output("cp-weeks-text", "children"),
    Output("cp-error", "children"),
    Input("cp-weeks", "value"),
    Input("cp-county", "value"),
    Input("cp-township", "value"),
    Input("cp-entered", "data"),
    Input("cp-declared", "data"),
)
def update_matrix(weeks, county, township, _entered, _declared):
    """Townships × weeks for the city, villages × weeks for a county or a township."""
    start, end = weeks_of(weeks)
    area = area_of(county, township)
    level = _map_level(area)
    try:
        with read_session() as session:
            cells = status_by_week(session, start, end, area, level)
            units = reporting_units(session, area, [level])
    except FengqiaoError as exc:
        return no_update, weeks_text(start, end), str(exc)
    chosen = [w for w in WEEKS if start <= w <= end]
    title = f"{'乡镇（街道）' if level == 'township' else '村（社区）'}每周报告状态 · {weeks_text(start, end)}"
    return status_matrix(cells, units, chosen, title), weeks_text(start, end), ""


@callback(
    Output("cp-map", "figure"),
    Output("cp-map-note", "children"),
    Input("cp-weeks", "value"),
    Input("cp-county", "value"),
    Input("cp-township", "value"),
    Input("cp-entered", "data"),
    Input("cp-declared", "data"),
)
def update_map(weeks, county, township, _entered, _declared):
    """The units by on-time rate; a change of weeks or a new report sends only the values (Patch)."""
    start, end = weeks_of(weeks)
    area = area_of(county, township)
    level = _map_level(area)
    try:
        units, _ = level_geometry(level, area)
        with read_session() as session:
            rates = compliance_rates(session, start, end, area, by="unit", levels=[level])
    except FengqiaoError as exc:
        return no_update, str(exc)
    title = f"按时率（含按时零报告；深灰为一份未报）· {weeks_text(start, end)}"
    if units.empty:
        return empty_map("该范围内没有单元边界，无法绘制地图"), "该范围内没有可显示的单元边界。"
    if ctx.triggered_id in ("cp-weeks", "cp-entered", "cp-declared"):
        return compliance_map_patch(units, rates, title), no_update
    return compliance_map(units, rates, title), source_note(units)


@callback(
    Output("cp-county-ranking", "figure"),
    Input("cp-weeks", "value"),
    Input("cp-entered", "data"),
    Input("cp-declared", "data"),
)
def update_county_ranking(weeks, _entered, _declared):
    """Every county, city-wide, whatever the area: a change of area does not recompute it."""
    start, end = weeks_of(weeks)
    with read_session() as session:
        counties = compliance_rates(session, start, end, "", by="county")
    return county_ranking(counties, f"县区按时率排名 · {weeks_text(start, end)}")


@callback(
    Output("cp-ranking-title", "children"),
    Output("cp-ranking", "children"),
    Input("cp-weeks", "value"),
    Input("cp-county", "value"),
    Input("cp-township", "value"),
    Input("cp-entered", "data"),
    Input("cp-declared", "data"),
)
def update_rankings(weeks, county, township, _entered, _declared):
    """The townships of the area (each with its villages' reports), or a township's villages."""
    start, end = weeks_of(weeks)
    area = area_of(county, township)
    try:
        with read_session() as session:
            if township:
                table = compliance_rates(session, start, end, area, by="unit", levels=["village"])
            else:
                table = compliance_rates(session, start, end, area, by="township")
    except FengqiaoError as exc:
        return no_update, _alert(exc)
    what = "村（社区）" if township else "乡镇（街道，含所辖村（社区）的报告）"
    return f"{what}按时率排名", _ranking_table(table)


def _percent(value) -> str:
    return "—" if value != value or value is None else f"{value:.1%}"


def _ranking_table(table) -> html.Table:
    header = html.Tr([html.Th(t) for t in ("排名", "单位", "代码", "按时率", "应报", "按时", "零报告", "逾期", "未报",
                                           "零报告占比")])
    rows = [html.Tr([html.Td(r.rank or "—"), html.Td(r.name), html.Td(r.code), html.Td(_percent(r.on_time_rate)),
                     html.Td(f"{r.due:,}"), html.Td(f"{r.timely:,}"), html.Td(f"{r.zero:,}"), html.Td(f"{r.late:,}"),
                     html.Td(f"{r.missing:,}", className="overdue" if r.missing else ""),
                     html.Td(_percent(r.zero_share))])
            for r in table.itertuples()]
    return html.Table([html.Thead(header), html.Tbody(rows)], className="table", id="cp-ranking-table")


@callback(
    Output("cp-missing", "children"),
    Input("cp-as-of", "date"),
    Input("cp-county", "value"),
    Input("cp-township", "value"),
    Input("cp-entered", "data"),
    Input("cp-declared", "data"),
)
def update_missing(as_of, county, township, _entered, _declared):
    """Units whose latest past-due report is not in, as of the end of the chosen day (or now, if today)."""
    try:
        day = date.fromisoformat(str(as_of)[:10]) if as_of else default_as_of()
        moment = datetime.now(LOCAL) if day >= date.today() else day
        with read_session() as session:
            missing = missing_now(session, moment, area_of(county, township))
    except ValueError:
        return html.P("日期无效：请从日历中选择。", className="error")
    except FengqiaoError as exc:
        return _alert(exc)
    if missing.empty:
        return html.P(f"截至 {day}，所有单位最近一期报告均已报送。", className="hint", id="cp-missing-none")
    header = html.Tr([html.Th(t) for t in ("单位", "层级", "报告类型", "报告期", "截止时间", "已逾期", "近40天未报")])
    rows = [html.Tr([html.Td(f"{r.unit_name}（{r.unit_code}）"), html.Td(RegionLevel(r.level).label),
                     html.Td(ReportKind(r.kind).label), html.Td(f"{r.period_start}—{r.period_end}"),
                     html.Td(f"{r.due_at:%Y-%m-%d %H:%M}"), html.Td(f"{r.overdue_days} 天", className="overdue"),
                     html.Td(f"{r.missed} 次")])
            for r in missing.head(MAX_LISTED).itertuples()]
    shown = f"共 {len(missing):,} 项" + (f"，显示前 {MAX_LISTED} 项" if len(missing) > MAX_LISTED else "")
    return [html.P(f"截至 {day}：{shown}。", className="hint"),
            html.Table([html.Thead(header), html.Tbody(rows)], className="table", id="cp-missing-table")]


@callback(Output("cp-sensitive", "children"), Input("cp-declared", "data"))
def update_sensitive(_declared):
    with read_session() as session:
        periods = sensitive_periods(session)
    if periods.empty:
        return html.P("尚未发布敏感时期。", className="hint")
    header = html.Tr([html.Th(t) for t in ("名称", "起止日期", "覆盖范围", "发布人", "发布时间", "备注")])
    rows = [html.Tr([html.Td(r.name), html.Td(f"{r.starts_on}—{r.ends_on}"), html.Td(r.county_names),
                     html.Td(r.declared_by), html.Td(f"{r.declared_at:%Y-%m-%d %H:%M}"),
                     html.Td(r.note or "", className="demo-note" if r.source == "demo" else "")])
            for r in periods.itertuples()]
    return html.Table([html.Thead(header), html.Tbody(rows)], className="table", id="cp-sensitive-table")


@callback(
    Output("cp-sp-result", "children"),
    Output("cp-declared", "data"),
    Input("cp-sp-submit", "n_clicks"),
    State("cp-sp-name", "value"),
    State("cp-sp-dates", "start_date"),
    State("cp-sp-dates", "end_date"),
    State("cp-sp-counties", "value"),
    State("cp-sp-note", "value"),
    State("cp-declared", "data"),
    prevent_initial_call=True,
)
def declare(_n, name, starts_on, ends_on, counties, note, declared):
    principal = check_write("declare_sensitive_period")
    try:
        with write_session() as session:
            declare_sensitive_period(session, name, starts_on, ends_on, counties, principal.username, note)
    except FengqiaoError as exc:
        return _alert(exc), no_update
    scope = "全市" if not counties else f"{len(counties)} 个县区"
    return (html.P(f"已发布敏感时期“{name.strip()}”（{starts_on[:10]} 至 {ends_on[:10]}，{scope}）：期间乡镇、村（社区）须每日报告。",
                   className="ok", id="cp-sp-ok"), (declared or 0) + 1)


@callback(
    Output("cp-entry-result", "children"),
    Output("cp-entered", "data"),
    Input("cp-entry-submit", "n_clicks"),
    State("cp-entry-unit", "value"),
    State("cp-entry-kind", "value"),
    State("cp-entry-period", "date"),
    State("cp-entry-zero", "value"),
    State("cp-entry-found", "value"),
    State("cp-entered", "data"),
    prevent_initial_call=True,
)
def enter(_n, unit, kind, period_start, zero, found, entered):
    """Write the report (source 'entered', submitted now) and say how it counts: on time, zero or late."""
    principal = check_write("enter_report", unit or "")
    try:
        with write_session() as session:
            saved = enter_report(session, unit, kind, period_start, zero == "zero", found, principal.username)
    except FengqiaoError as exc:
        return _alert(exc), no_update
    verdict = {"late": "逾期报告（超过截止时间后录入）", "zero": "按时零报告", "on_time": "按时报告"}[saved.status]
    message = (f"已录入：{saved.unit_name} {ReportKind(saved.kind).label}，报告期 {saved.period_start} 至 {saved.period_end}，"
               f"截止 {saved.due_at:%Y-%m-%d %H:%M}，录入时间 {saved.submitted_at:%Y-%m-%d %H:%M}，计为{verdict}。")
    return html.P(message, className="late" if saved.status == "late" else "ok", id="cp-entry-ok"), (entered or 0) + 1
