"""倒金字塔 — petitions by the level where they were lodged, their flows, and every county's shape."""

from __future__ import annotations

import dash
from dash import Input, Output, ctx, dcc, html, no_update

from dashboard.components.supervision import area_options
from dashboard.database import read_session
from dashboard.figures.pyramid import pyramid_figure, sankey_figure, small_multiples, trend_figure
from dashboard.guard import page_callback, page_layout, scoped_area
from dashboard.period import MONTHS, month_marks, period_of, period_text
from geo import access
from geo.enums import DisputeDomain, PetitionCategory
from geo.errors import FengqiaoError
from geo.pyramid import (
    INVERSION_DEFINITION,
    OUTCOME_DEFINITION,
    OUTCOME_LABELS,
    county_level_counts,
    inversion_trend,
    level_counts,
    petitions_behind,
    sankey_flows,
)

dash.register_page(__name__, path="/pyramid", name="倒金字塔", title="枫桥网格 · 倒金字塔", order=1)

callback = page_callback("pyramid")

def _options(enum_cls) -> list[dict]:
    return [{"label": member.label, "value": member.value} for member in enum_cls]


@page_layout("pyramid")
def layout(**_kwargs):
    return html.Div(
        [
            html.H2("信访“倒金字塔”：信访事项是否在县级及以下化解"),
            html.Div(
                [
                    html.Div([html.Label("时段（按月）"),
                              dcc.RangeSlider(id="py-period", min=0, max=len(MONTHS) - 1, step=1, value=[0, 11],
                                              marks=month_marks(), allowCross=False, updatemode="mouseup",
                                              allow_direct_input=False),
                              html.Div(id="py-period-text", className="hint")], className="control wide"),
                    html.Div([html.Label("地区"), dcc.Dropdown(id="py-area", options=area_options(), value="",
                                                             clearable=False)], className="control"),
                    html.Div([html.Label("信访类别"), dcc.Dropdown(id="py-categories", options=_options(PetitionCategory),
                                                               multi=True, placeholder="全部类别")], className="control"),
                    html.Div([html.Label("领域"), dcc.Dropdown(id="py-domains", options=_options(DisputeDomain),
                                                             multi=True, placeholder="全部领域")], className="control"),
                ],
                className="controls",
            ),
            html.Div(
                [
                    html.Div([
                        html.Div([html.Span("倒金字塔指数 ", className="hint"), html.Strong(id="py-index", className="big-number")]),
                        html.P(INVERSION_DEFINITION, className="hint"),
                        dcc.Graph(id="py-pyramid", config={"displaylogo": False}, style={"height": "360px"}),
                    ], className="panel"),
                    html.Div(dcc.Graph(id="py-trend", config={"displaylogo": False}, style={"height": "420px"}),
                             className="panel"),
                ],
                className="two-columns",
            ),
            html.Div([dcc.Graph(id="py-sankey", config={"displaylogo": False}, style={"height": "520px"}),
                      html.P(OUTCOME_DEFINITION, className="hint")], className="panel"),
            html.Div(dcc.Graph(id="py-multiples", config={"displaylogo": False}), className="panel"),
            html.Div([html.H3(id="py-drill-title"), html.Div(id="py-drill")], className="panel"),
            html.Div(id="py-error", className="error", role="alert"),
        ],
        className="pyramid-page",
    )


def _filters(period, area, categories, domains) -> tuple:
    start, end = period_of(period)
    return start, end, scoped_area(area), tuple(categories or ()), tuple(domains or ())


@callback(
    Output("py-pyramid", "figure"),
    Output("py-index", "children"),
    Output("py-trend", "figure"),
    Output("py-sankey", "figure"),
    Output("py-multiples", "figure"),
    Output("py-period-text", "children"),
    Output("py-error", "children"),
    Input("py-period", "value"),
    Input("py-area", "value"),
    Input("py-categories", "value"),
    Input("py-domains", "value"),
)
def update(period, area, categories, domains):
    try:
        start, end, area, categories, domains = _filters(period, area, categories, domains)
        with read_session() as session:
            counts = level_counts(session, start, end, area, categories, domains)
            trend = inversion_trend(session, start, end, area, categories, domains)
            flows = sankey_flows(session, start, end, area, categories, domains)
            table = county_level_counts(session, start, end, "", categories, domains)
    except FengqiaoError as exc:
        return (no_update,) * 6 + (str(exc),)
    total = int(counts.sum())
    upper = int(counts[["city", "province", "beijing"]].sum())
    index = f"{upper / total:.1%}（{upper:,}/{total:,}）" if total else "无数据"
    title = f"{period_text(start, end)} 共 {total:,} 件"
    return (pyramid_figure(counts, title), index, trend_figure(trend), sankey_figure(flows, OUTCOME_LABELS),
            small_multiples(table), period_text(start, end), "")


@callback(
    Output("py-drill-title", "children"),
    Output("py-drill", "children"),
    Input("py-pyramid", "clickData"),
    Input("py-sankey", "clickData"),
    Input("py-period", "value"),
    Input("py-area", "value"),
    Input("py-categories", "value"),
    Input("py-domains", "value"),
)
def drill(bar_click, flow_click, period, area, categories, domains):
    """The petitions behind a clicked bar (a level) or flow (origin → level, or level → outcome)."""
    if access.current().person_prefix is None:
        return "信访事项明细", html.P("评审角色只查看汇总数据，不显示具体信访事项。", className="hint", id="py-no-records")
    selection = {}
    if ctx.triggered_id == "py-pyramid" and bar_click:
        selection = {"level": _clicked(bar_click).get("customdata")}
    elif ctx.triggered_id == "py-sankey" and flow_click:
        selection = _flow_selection(_clicked(flow_click))
    if not any(selection.values()):
        return "信访事项明细", html.P("点击金字塔的某一层或流向图中的一条流向，查看其中的信访事项（个人信息已脱敏）。",
                                   className="hint")
    try:
        start, end, area, categories, domains = _filters(period, area, categories, domains)
        with read_session() as session:
            rows = petitions_behind(session, start, end, area, categories, domains, **selection)
    except FengqiaoError as exc:
        return "信访事项明细", html.P(str(exc), className="error", role="alert", id="py-drill-error")
    header = html.Tr([html.Th(t) for t in ("编号", "登记日期", "类别", "领域", "层级", "初/重", "人数", "状态",
                                             "信访人", "电话", "受理期限", "办理期限", "超期")])
    body = [
        html.Tr([html.Td(r.ref_no), html.Td(str(r.received_on)), html.Td(r.category), html.Td(r.domain),
                 html.Td(r.level), html.Td("初信初访" if r.is_first else "重复"), html.Td(r.head_count),
                 html.Td(r.status), html.Td(r.petitioner_name), html.Td(r.petitioner_phone),
                 html.Td(str(r.acceptance_due)), html.Td(str(r.handling_due or "—")),
                 html.Td(_overdue_text(r), className="overdue" if r.acceptance_overdue or r.handling_overdue else "")],
                className="overdue-row" if r.acceptance_overdue or r.handling_overdue else "")
        for r in rows.itertuples()
    ]
    total = rows.attrs.get("total", len(rows))
    title = f"信访事项明细：共 {total:,} 件，显示最近 {len(rows)} 件（个人信息已脱敏）"
    return title, html.Table([html.Thead(header), html.Tbody(body)], className="table records-table", id="py-drill-table")


def _overdue_text(row) -> str:
    flags = [name for name, flag in (("受理超期", row.acceptance_overdue), ("办理超期", row.handling_overdue)) if flag]
    return "、".join(flags) or "—"


def _clicked(click) -> dict:
    """The first point of a figure's clickData ({} when the data are not a click's)."""
    points = click.get("points") if isinstance(click, dict) else None
    return points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else {}


def _flow_selection(point: dict) -> dict:
    """A clicked Sankey link → filters, from the link's customdata [text, level, origin, outcome]."""
    data = point.get("customdata")
    _, level, origin, outcome = data if isinstance(data, list) and len(data) == 4 else [None] * 4
    selection = {"level": level} if level else {}
    if origin:
        selection["origin"] = origin
    if outcome:
        selection["outcome"] = outcome
    return selection
