"""风险预警 — the day's risk signals (防变量) with their reasons and severity, on a map, each acknowledged by name."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import dash
from dash import ALL, MATCH, Input, Output, State, ctx, dcc, html, no_update

from dashboard.components.supervision import area_options, chinese_day, data_end, date_picker, parse_day
from dashboard.database import read_session, write_session
from dashboard.figures.maps import source_note
from dashboard.figures.signals import signal_map, signal_patch, unit_severity
from dashboard.geometry import level_geometry
from dashboard.guard import check_write, page_callback, page_layout, refuse, scoped_area
from geo.areas import scope_prefix
from geo.enums import SignalKind
from geo.errors import FengqiaoError, Forbidden, NotFound
from geo.kpis import LOCAL_TIMEZONE
from geo.signals import (
    DEFINITIONS,
    LEVEL_LABELS,
    MAX_NOTE_LENGTH,
    SEVERITY_LABELS,
    acknowledge,
    acknowledged_count,
    acknowledgements,
    compute_signals,
    earlier_acknowledgements,
)

dash.register_page(__name__, path="/warnings", name="风险预警", title="枫桥网格 · 风险预警", order=6)

callback = page_callback("warnings")

MAP_LEVELS = {"township": "乡镇（街道）", "grid": "网格"}
MAX_CARDS = 100
"""Signals shown as cards at most (most severe first); the map and the counts cover all of them."""
LOCAL = ZoneInfo(LOCAL_TIMEZONE)


@page_layout("warnings")
def layout(**_kwargs):
    return html.Div(
        [
            html.H2("风险预警：纠纷激增、集体访苗头、重复信访与越级上行"),
            html.Div(
                [
                    html.Div([html.Label("预警日期"), date_picker("wn-day", data_end())], className="control"),
                    html.Div([html.Label("地区"), dcc.Dropdown(id="wn-area", options=area_options(), value="",
                                                             clearable=False)], className="control"),
                    html.Div([html.Label("预警类别"), dcc.Dropdown(id="wn-kinds", multi=True, placeholder="全部类别",
                                                               options=[{"label": k.label, "value": k.value}
                                                                        for k in SignalKind])], className="control"),
                ],
                className="controls",
            ),
            html.Div(id="wn-error", className="error", role="alert"),
            html.Div(id="wn-summary", className="sv-summary"),
            html.Div(
                [
                    html.Div([
                        html.Div([html.Span("地图单元", className="hint"),
                                  dcc.RadioItems(id="wn-level", value="township", inline=True, className="radio",
                                                 options=[{"label": v, "value": k} for k, v in MAP_LEVELS.items()])],
                                 className="map-head"),
                        dcc.Graph(id="wn-map", className="map", responsive=True, style={"height": "64vh"},
                                  config={"displaylogo": False, "scrollZoom": True}),
                        html.P(id="wn-map-note", className="map-note"),
                    ], className="map-panel"),
                    html.Aside(html.Div(id="wn-list", className="signal-list"), className="side-panel warnings-side"),
                ],
                className="map-row",
            ),
            html.Details([html.Summary("预警规则"),
                          html.Ul([html.Li([html.Strong(_rule_name(key) + "："), text])
                                   for key, text in DEFINITIONS.items()])],
                         className="method panel"),
        ],
        className="supervision-page warnings-page",
    )


def _rule_name(key: str) -> str:
    return "敏感时期" if key == "sensitive" else SignalKind(key).label


@callback(
    Output("wn-map", "figure"),
    Output("wn-map-note", "children"),
    Output("wn-summary", "children"),
    Output("wn-list", "children"),
    Output("wn-error", "children"),
    Input("wn-day", "date"),
    Input("wn-level", "value"),
    Input("wn-area", "value"),
    Input("wn-kinds", "value"),
)
def update(day_value, level, area, kinds):
    """The signals of the day: the map (geometry only when the level or area changes) and one card per signal."""
    try:
        day = parse_day(day_value, "预警日期")
        area = scoped_area(area)
        with read_session() as session:
            signals = _in_area(compute_signals(session, day), area)
            if kinds:
                signals = signals[signals["kind"].isin(kinds)]
            keys = list(signals["signal_key"])
            acks = acknowledgements(session, keys)
            earlier = earlier_acknowledgements(session, keys, day)
            acknowledged = acknowledged_count(session, keys)
        units, _ = level_geometry(level, area)
    except FengqiaoError as exc:
        return no_update, no_update, no_update, no_update, str(exc)
    values = unit_severity(signals, list(units["code"]), level)
    title = f"{chinese_day(day)} 风险预警（按{MAP_LEVELS[level]}，颜色为最高预警等级）"
    if ctx.triggered_id in ("wn-day", "wn-kinds"):
        figure = signal_patch(values, SEVERITY_LABELS, title)
    else:
        figure = signal_map(units, values, SEVERITY_LABELS, title)
    return figure, source_note(units), _summary(signals, acknowledged, day), _cards(signals, acks, earlier), ""


def _in_area(signals, area: str):
    """The signals of units inside ``area`` ('' is the whole city)."""
    return signals[signals["unit_code"].str.startswith(scope_prefix(area))] if area else signals


def _summary(signals, acknowledged: int, day) -> html.Div:
    counts = signals["kind"].value_counts()
    parts = [f"{SignalKind(kind).label} {counts.get(kind, 0)} 条" for kind in (k.value for k in SignalKind)]
    severe = int((signals["severity"] >= 3).sum())
    return html.Div([
        html.Div([html.Span("预警", className="hint"), html.Strong(f"{len(signals):,}", className="big-number"),
                  html.Span(" 条")], className="sv-number"),
        html.Div([html.Span("重大及以上", className="hint"), html.Strong(f"{severe:,}", className="big-number"),
                  html.Span(" 条")], className="sv-number"),
        html.Div([html.Span("已确认", className="hint"),
                  html.Strong(f"{acknowledged:,}", id="wn-ack-count", className="big-number soon"),
                  html.Span(" 条")], className="sv-number"),
        html.P(f"{chinese_day(day)}：{'，'.join(parts)}。", className="hint"),
    ], className="sv-numbers")


def _cards(signals, acks, earlier) -> list:
    if signals.empty:
        return [html.P("所选日期没有符合条件的预警。", className="hint")]
    by_key = {key: group for key, group in acks.groupby("signal_key")} if len(acks) else {}
    before = {row.for_key: row for row in earlier.itertuples()}
    shown = signals.head(MAX_CARDS)
    cards = [html.P(f"共 {len(signals):,} 条预警，按等级从高到低显示前 {len(shown):,} 条。", className="hint")]
    for row in shown.itertuples():
        mine = by_key.get(row.signal_key)
        cards.append(html.Div(
            [
                html.Div([
                    html.Span(row.severity_label, className=f"severity sev-{row.severity}"),
                    html.Span(row.kind_label, className="signal-kind"),
                    html.Strong(row.unit_name),
                    html.Span(f"{LEVEL_LABELS.get(row.level, '')} {row.unit_code}", className="hint"),
                ], className="signal-head"),
                html.P(row.reason, className="signal-reason"),
                html.P(_figures(row), className="hint"),
                html.Div(_ack_view(mine, before.get(row.signal_key)), id={"type": "wn-ack-status", "key": row.signal_key},
                         className="ack-status"),
                html.Div([
                    dcc.Input(id={"type": "wn-ack-note", "key": row.signal_key}, type="text", maxLength=MAX_NOTE_LENGTH,
                              placeholder="备注：核实或处置情况（可选）", className="text-input ack-note"),
                    html.Button("确认", id={"type": "wn-ack", "key": row.signal_key}, n_clicks=0,
                                className="button small ack-button"),
                ], className="ack-form"),
            ],
            id={"type": "wn-card", "key": row.signal_key},
            className=_card_class(row.severity, mine is not None),
        ))
    return cards


def _figures(row) -> str:
    parts = []
    if row.observed == row.observed:  # not NaN
        parts.append(f"实际 {row.observed:g}")
    if row.expected == row.expected:
        parts.append(f"期望 {row.expected:.1f}")
    if row.threshold == row.threshold:
        parts.append(f"阈值 {row.threshold:g}")
    if row.sensitive_periods:
        parts.append("敏感时期：" + "、".join(row.sensitive_periods))
    return " · ".join(parts)


def _card_class(severity: int, acknowledged: bool) -> str:
    return f"signal-card sev-border-{severity}" + (" acknowledged" if acknowledged else "")


def _ack_view(acks, earlier=None) -> list:
    """Who acknowledged the signal, when, with what note; or an earlier day's acknowledgement as a hint."""
    children = []
    if acks is not None and len(acks):
        for ack in acks.itertuples():
            when = ack.acknowledged_at.astimezone(LOCAL)
            note = ack.note if isinstance(ack.note, str) and ack.note else ""
            children.append(html.P([html.Span("已确认", className="ack-badge"),
                                    f" {ack.acknowledged_by} · {when:%Y-%m-%d %H:%M}" + (f" · {note}" if note else "")],
                                   className="ack-line"))
    elif earlier is not None:
        note = earlier.note if isinstance(earlier.note, str) and earlier.note else ""
        children.append(html.P(f"此前 {earlier.day:%Y-%m-%d} 已由 {earlier.acknowledged_by} 确认" + (f"：{note}" if note else "")
                               + "；今日尚未确认。", className="hint"))
    return children


@callback(
    Output({"type": "wn-ack-status", "key": MATCH}, "children"),
    Output({"type": "wn-card", "key": MATCH}, "className"),
    Output({"type": "wn-ack-note", "key": MATCH}, "value"),
    Input({"type": "wn-ack", "key": MATCH}, "n_clicks"),
    State({"type": "wn-ack", "key": MATCH}, "id"),
    State({"type": "wn-ack-note", "key": MATCH}, "value"),
    prevent_initial_call=True,
)
def acknowledge_signal(n_clicks, button_id, note):
    """Record an acknowledgement (never replacing an earlier one) and show every acknowledgement of the signal.

    Only the signal's key comes from the page: its unit (for the area check) and severity are looked up.
    """
    if not n_clicks:
        return no_update, no_update, no_update
    key = button_id.get("key") if isinstance(button_id, dict) else None
    principal = check_write("acknowledge")
    signal, error = None, None
    try:
        with write_session() as session:
            signal = acknowledge(session, key, principal, note)
    except Forbidden as exc:
        raise refuse(str(exc), {"action": "acknowledge", "signal_key": str(key)[:80]}) from None
    except NotFound as exc:  # outside the user's scope, or not raised that day: logged, and said on the card
        refuse(str(exc), {"action": "acknowledge", "signal_key": str(key)[:80]})
        error = str(exc)
    except FengqiaoError as exc:
        error = str(exc)
    with read_session() as session:
        acks = acknowledgements(session, [key] if isinstance(key, str) else [])
    view = _ack_view(acks)
    if error:
        return view + [html.P(error, className="error", role="alert")], no_update, no_update
    return view, _card_class(int(signal["severity"]), True), ""


@callback(
    Output("wn-ack-count", "children"),
    Input({"type": "wn-card", "key": ALL}, "className"),
    State("wn-day", "date"),
    State("wn-area", "value"),
    State("wn-kinds", "value"),
    prevent_initial_call=True,
)
def count_acknowledged(_classes, day_value, area, kinds):
    """Keep the "已确认" count in step when a card is acknowledged (it counts every signal of the day shown)."""
    try:
        day = parse_day(day_value, "预警日期")
        with read_session() as session:
            signals = _in_area(compute_signals(session, day), scoped_area(area))
            if kinds:
                signals = signals[signals["kind"].isin(kinds)]
            return f"{acknowledged_count(session, signals['signal_key']):,}"
    except FengqiaoError:
        return no_update
