"""积案攻坚 — backlog cases with their leaders (领导包案), 四办 mode, deadline and stage; scorecards; the rate over time."""

from __future__ import annotations

from datetime import date

import dash
from dash import Input, Output, dcc, html, no_update

from dashboard.guard import page_callback, page_layout, scoped_area
from dashboard.components.supervision import (
    area_options,
    chinese_day,
    data_end,
    date_picker,
    day_text,
    parse_day,
    table,
)
from dashboard.database import read_session
from dashboard.figures.supervision import backlog_stage_bars, resolution_trend_figure
from geo.backlog import DEFINITION, STAGES, backlog_cases, resolution_trend, score_table
from geo.errors import FengqiaoError

dash.register_page(__name__, path="/backlog", name="积案攻坚", title="枫桥网格 · 积案攻坚", order=5)

callback = page_callback("backlog")

TREND_START = date(2023, 1, 1)
"""The plan's first day: the trend runs from here to the chosen day."""
MAX_CASES = 200
MAX_LEADERS = 50
AGAIN = "again"


@page_layout("backlog")
def layout(**_kwargs):
    return html.Div(
        [
            html.H2("积案攻坚：领导包案、四办推进与化解成效"),
            html.Div(
                [
                    html.Div([html.Label("截至日期"), date_picker("bl-as-of", data_end())], className="control"),
                    html.Div([html.Label("地区"), dcc.Dropdown(id="bl-area", options=area_options(), value="",
                                                             clearable=False)], className="control"),
                    html.Div([html.Label("办理阶段"), dcc.Dropdown(id="bl-stages", multi=True, placeholder="全部阶段",
                                                               options=[{"label": v, "value": k}
                                                                        for k, v in STAGES.items()])],
                             className="control"),
                    html.Div([html.Label("筛选"), dcc.Checklist(id="bl-again", value=[], className="radio",
                                                              options=[{"label": "仅看交办后又信访", "value": AGAIN}])],
                             className="control"),
                ],
                className="controls",
            ),
            html.Div(id="bl-error", className="error", role="alert"),
            html.Div(id="bl-summary", className="sv-summary"),
            html.Div(
                [
                    html.Div(dcc.Graph(id="bl-trend", config={"displaylogo": False}), className="panel"),
                    html.Div(dcc.Graph(id="bl-counties", config={"displaylogo": False}), className="panel"),
                ],
                className="two-columns",
            ),
            html.Div([html.H3(id="bl-leaders-title"), html.Div(id="bl-leaders", className="scroll")], className="panel"),
            html.Div([html.H3(id="bl-cases-title"), html.Div(id="bl-cases", className="scroll tall")], className="panel"),
            html.Details([html.Summary("口径说明"), html.P(DEFINITION)], className="method panel"),
        ],
        className="supervision-page backlog-page",
    )


@callback(
    Output("bl-summary", "children"),
    Output("bl-trend", "figure"),
    Output("bl-counties", "figure"),
    Output("bl-leaders-title", "children"),
    Output("bl-leaders", "children"),
    Output("bl-cases-title", "children"),
    Output("bl-cases", "children"),
    Output("bl-error", "children"),
    Input("bl-as-of", "date"),
    Input("bl-area", "value"),
    Input("bl-stages", "value"),
    Input("bl-again", "value"),
)
def update(as_of, area, stages, again):
    """The board for one "as of" day and area; the stage and "petitioned again" filters narrow the case list."""
    try:
        day = parse_day(as_of, "截至日期")
        area = scoped_area(area)
        with read_session() as session:
            cases = backlog_cases(session, day, area)
            trend = resolution_trend(session, min(TREND_START, day), day, area)
        leaders, counties = score_table(cases, "leader"), score_table(cases, "county")
    except FengqiaoError as exc:
        return (no_update,) * 7 + (str(exc),)
    summary = _summary(cases, day)
    trend_figure = resolution_trend_figure(trend)
    county_figure = backlog_stage_bars(counties, "各县区积案办理阶段")
    leader_rows = [[f"{r.county_name}", f"{r.leader_title} {r.leader_name}", r.handed_down, r.resolved,
                    r.resolved_on_time, r.resolved_late, r.overdue, r.petitioned_again, f"{r.resolution_rate:.0%}"]
                   for r in leaders.head(MAX_LEADERS).itertuples()]
    leader_table = table(["县区", "包案领导", "交办", "已化解", "按期化解", "超期化解", "超期未化解", "交办后又信访", "化解率"],
                         leader_rows, table_id="bl-leaders-table",
                         row_classes=["overdue-row" if r.overdue else "" for r in leaders.head(MAX_LEADERS).itertuples()])
    leaders_title = f"包案领导记分卡：共 {len(leaders):,} 位，按超期未化解件数排序，显示前 {min(len(leaders), MAX_LEADERS)} 位"
    chosen = cases
    if stages:
        chosen = chosen[chosen["stage"].isin(stages)]
    if again and AGAIN in again:
        chosen = chosen[chosen["petitioned_again"]]
    shown = chosen.head(MAX_CASES)
    rows = [[r.ref_no, r.title, r.county_name, f"{r.leader_title} {r.leader_name}", r.mode, day_text(r.handed_down_on),
             day_text(r.deadline), r.stage_label, _due_text(r), day_text(r.resolved_on),
             f"是（{r.later_petitions} 件，最近 {day_text(r.last_petition_on)}）" if r.petitioned_again else "否",
             r.petitioner_name]
            for r in shown.itertuples()]
    case_table = table(["编号", "案件", "县区", "包案领导", "办理方式", "交办日期", "化解期限", "阶段", "期限", "化解日期",
                        "交办后又信访", "信访人"], rows, table_id="bl-cases-table",
                       row_classes=[_row_class(r) for r in shown.itertuples()])
    cases_title = f"积案明细：符合条件 {len(chosen):,} 件，显示最近交办的 {len(shown):,} 件（信访人已脱敏）"
    return summary, trend_figure, county_figure, leaders_title, leader_table, cases_title, case_table, ""


def _summary(cases, day) -> html.Div:
    total = len(cases)
    resolved = int(cases["stage"].str.startswith("resolved").sum())
    numbers = [
        ("累计交办", total, ""),
        ("已化解", resolved, f"化解率 {resolved / total:.1%}" if total else "化解率 —"),
        ("按期化解", int((cases["stage"] == "resolved_on_time").sum()), ""),
        ("超期未化解", int((cases["stage"] == "overdue").sum()), ""),
        ("交办后又信访", int(cases["petitioned_again"].sum()), ""),
    ]
    return html.Div([
        *[html.Div([html.Span(label, className="hint"), html.Strong(f"{value:,}", className="big-number"),
                    html.Span(f" 件 {extra}")], className="sv-number") for label, value, extra in numbers],
        html.P(f"截至 {chinese_day(day)}。", className="hint"),
    ], className="sv-numbers")


def _due_text(row) -> str:
    if row.stage.startswith("resolved"):
        return f"超期 {row.days_overdue} 日化解" if row.days_overdue else "按期"
    return f"超期 {row.days_overdue} 日" if row.days_overdue else f"剩 {row.days_left} 日"


def _row_class(row) -> str:
    if row.stage == "overdue":
        return "overdue-row"
    return "again-row" if row.petitioned_again else ""
