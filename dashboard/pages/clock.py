"""法定时限 — petitions due within N days and overdue on a day, by unit or owner, with the rule behind each;
a supervisor may reveal one listed petitioner's name or phone (logged)."""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, ctx, dcc, html, no_update

from dashboard.components.reveal import revealed
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
from dashboard.figures.supervision import due_bars
from dashboard.guard import page_callback, page_layout, scoped_area
from geo import access, statutory
from geo.deadlines import DEFINITION, GROUPINGS, MAX_WITHIN_DAYS, OWNER_KINDS, STATES, due_petitions, overdue_summary
from geo.errors import FengqiaoError

dash.register_page(__name__, path="/clock", name="法定时限", title="枫桥网格 · 法定时限", order=4)

callback = page_callback("clock")

DEFAULT_WITHIN = 7
MAX_ROWS = 200
"""Petitions listed at most (most urgent first); the summary counts all of them."""
REVEALABLE = {"petitioner_name": "信访人姓名", "petitioner_phone": "联系电话"}
"""Personal fields of a listed petition a supervisor may reveal here → what the page calls them."""
REVEAL_TYPE = "ck-reveal"
"""Type of the reveal buttons' ids: {"type": REVEAL_TYPE, "petition": id, "ref": ref_no, "field": field}."""


@page_layout("clock")
def layout(**_kwargs):
    may_reveal = access.current().may("reveal")
    return html.Div(
        [
            html.H2("法定时限：临期与超期信访事项"),
            html.Div(
                [
                    html.Div([html.Label("截至日期"), date_picker("ck-as-of", data_end())], className="control"),
                    html.Div([html.Label("临期天数（N 日内到期）"),
                              dcc.Input(id="ck-within", type="number", min=0, max=MAX_WITHIN_DAYS, step=1,
                                        value=DEFAULT_WITHIN, debounce=True, className="number-input")],
                             className="control"),
                    html.Div([html.Label("地区"), dcc.Dropdown(id="ck-area", options=area_options(), value="",
                                                             clearable=False)], className="control"),
                    html.Div([html.Label("分组"), dcc.RadioItems(id="ck-by", value="county", inline=True,
                                                               options=[{"label": v, "value": k}
                                                                        for k, v in GROUPINGS.items()],
                                                               className="radio")], className="control"),
                ],
                className="controls",
            ),
            html.Div(id="ck-error", className="error", role="alert"),
            html.Div(id="ck-summary", className="sv-summary"),
            html.Div(
                [
                    html.Div(dcc.Graph(id="ck-bars", config={"displaylogo": False}), className="panel"),
                    html.Div([html.H3(id="ck-units-title"), html.Div(id="ck-units", className="scroll")],
                             className="panel"),
                ],
                className="two-columns",
            ),
            html.Div([html.H3(id="ck-list-title"),
                      html.P("点击信访人或电话旁的“查看”可显示一项完整信息；每次查看都会记录。", className="hint",
                             hidden=not may_reveal),
                      html.Div(id="ck-revealed", className="ck-revealed", role="status", hidden=not may_reveal),
                      html.Div(id="ck-list", className="scroll tall")], className="panel"),
            html.Details([html.Summary("法定时限与计算口径"), html.P(DEFINITION), _rules_table()],
                         className="method panel", open=False),
        ],
        className="supervision-page clock-page",
    )


def _rules_table():
    rows = [[rule.label, f"{rule.days} 日", rule.article, rule.note] for rule in statutory.RULES.values()]
    return table(["时限", "天数", "依据", "说明"], rows, class_name="table rules-table")


@callback(
    Output("ck-summary", "children"),
    Output("ck-bars", "figure"),
    Output("ck-units-title", "children"),
    Output("ck-units", "children"),
    Output("ck-list-title", "children"),
    Output("ck-list", "children"),
    Output("ck-error", "children"),
    Input("ck-as-of", "date"),
    Input("ck-within", "value"),
    Input("ck-area", "value"),
    Input("ck-by", "value"),
)
def update(as_of, within, area, by):
    """Everything on the page for one "as of" day, window, area and grouping."""
    try:
        day = parse_day(as_of, "截至日期")
        within = DEFAULT_WITHIN if within is None else within
        within = int(within) if isinstance(within, (int, float)) and float(within).is_integer() else within
        with read_session() as session:
            area = scoped_area(area)
            due = due_petitions(session, day, within, area)
            summary = overdue_summary(session, day, within, area, by)
    except FengqiaoError as exc:
        return (no_update,) * 6 + (str(exc),)
    overdue = int((due["state"] == "overdue").sum())
    soon = len(due) - overdue
    numbers = html.Div([
        html.Div([html.Span("已超期", className="hint"), html.Strong(f"{overdue:,}", className="big-number"),
                  html.Span(" 件")], className="sv-number overdue-number"),
        html.Div([html.Span(f"{within} 日内到期", className="hint"), html.Strong(f"{soon:,}", className="big-number soon"),
                  html.Span(" 件")], className="sv-number"),
        html.P(f"截至 {chinese_day(day)}，{'全市' if not area else '所选地区'}未办结信访事项的法定时限情况（个人信息已脱敏）。",
               className="hint"),
    ], className="sv-numbers")
    heading = GROUPINGS[by]
    figure = due_bars(summary, f"按{heading}：已超期与临期件数（前 15）")
    unit_rows = [[r.name, r.overdue, r.due_soon, r.acceptance_overdue, r.handling_overdue,
                  r.max_days_overdue or "—"] for r in summary[summary["total"] > 0].itertuples()]
    units = table([heading, "已超期", "临期", "受理超期", "办理超期", "最长超期（日）"], unit_rows, table_id="ck-units-table")
    shown, may_reveal = due.head(MAX_ROWS), access.current().may("reveal")
    rows = [[r.ref_no, day_text(r.received_on), f"{r.county_name}{r.township_name}", r.category, r.level,
             r.rule_label, r.article, day_text(r.due_on), _days_text(r.days_left), STATES[r.state],
             f"{OWNER_KINDS[r.owner_kind]}：{r.owner}", _personal(r, "petitioner_name", may_reveal),
             _personal(r, "petitioner_phone", may_reveal)]
            for r in shown.itertuples()]
    listing = table(["编号", "收到日期", "来源", "类别", "层级", "时限", "依据", "届满日", "剩余", "状态", "责任人",
                     "信访人", "电话"], rows, table_id="ck-list-table",
                    row_classes=["overdue-row" if r.state == "overdue" else "due-soon-row" for r in shown.itertuples()])
    list_title = f"信访事项明细：共 {len(due):,} 件，显示最紧迫的 {len(shown):,} 件（个人信息已脱敏）"
    return numbers, figure, f"按{heading}汇总", units, list_title, listing, ""


def _personal(row, field: str, may_reveal: bool):
    """A masked cell; with a button revealing it when the user may reveal and there is something to reveal."""
    masked = getattr(row, field)
    if not (masked and may_reveal):
        return masked
    button_id = {"type": REVEAL_TYPE, "petition": int(row.id), "ref": row.ref_no, "field": field}
    return [masked, html.Button("查看", id=button_id, n_clicks=0, className="button small secondary reveal-button",
                                title=f"查看{REVEALABLE[field]}（将记录）")]


@callback(
    Output("ck-revealed", "children", allow_duplicate=True),
    Input({"type": REVEAL_TYPE, "petition": ALL, "ref": ALL, "field": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def reveal_personal(_clicks):
    """The clicked field of the clicked petition, in clear and logged (``geo.reveal`` checks role, area and field)."""
    button = ctx.triggered_id
    if not (isinstance(button, dict) and ctx.triggered[0]["value"]):
        return no_update  # buttons drawn afresh with the list, not clicked
    field = button.get("field")
    return revealed("petition", button.get("petition"), field, REVEALABLE.get(str(field), "个人信息"),
                    f"信访事项 {button.get('ref', '')}")


@callback(
    Output("ck-revealed", "children"),
    Input("ck-as-of", "date"),
    Input("ck-within", "value"),
    Input("ck-area", "value"),
    Input("ck-by", "value"),
    prevent_initial_call=True,
)
def mask_again(*_filters):
    """A revealed value is masked again as soon as the list is drawn anew."""
    return ""


def _days_text(days_left: int) -> str:
    if days_left < 0:
        return f"超期 {-days_left} 日"
    return "今日到期" if days_left == 0 else f"剩 {days_left} 日"
