"""Figures of the supervision pages (督查督办): petitions due and overdue per unit, backlog scorecards and trend."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.kpi import FONT_FAMILY

FONT = {"family": FONT_FAMILY, "size": 13}
OVERDUE_COLOUR, DUE_SOON_COLOUR = "#b2182b", "#f4a582"
STAGE_COLOURS = {"resolved_on_time": "#1b7837", "resolved_late": "#a6dba0", "overdue": "#b2182b",
                 "stalled": "#f4a582", "open": "#92c5de"}
TOP_UNITS = 15
ROW_HEIGHT = 26


def _layout(figure: go.Figure, title: str, height: int | None = None) -> go.Figure:
    figure.update_layout(title={"text": title, "x": 0.01}, font=FONT, template="simple_white",
                         margin={"l": 10, "r": 20, "t": 80, "b": 30},
                         legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "traceorder": "normal"},
                         **({"height": height} if height else {}))
    return figure


def due_bars(summary: pd.DataFrame, title: str = "") -> go.Figure:
    """Stacked horizontal bars per unit or owner: overdue and due soon, the ``TOP_UNITS`` with most first.

    ``summary`` is shaped like ``geo.deadlines.overdue_summary`` (code, name, overdue, due_soon, total …).
    Units with nothing due are left out; each bar's ``customdata`` is the unit's code.
    """
    shown = summary[summary["total"] > 0].head(TOP_UNITS).iloc[::-1]
    figure = go.Figure()
    for column, label, colour in (("overdue", "已超期", OVERDUE_COLOUR), ("due_soon", "临期", DUE_SOON_COLOUR)):
        figure.add_bar(orientation="h", y=list(shown["name"]), x=list(shown[column]), name=label,
                       marker_color=colour, customdata=list(shown["code"]),
                       hovertemplate="%{y}：" + label + " %{x:,} 件<extra></extra>")
    figure.update_layout(barmode="stack", xaxis={"tickformat": ",d"})
    if shown.empty:
        figure.add_annotation(text="所选日期没有临期或超期的信访事项", showarrow=False, x=0.5, y=0.5,
                              xref="paper", yref="paper", font={"color": "#666"})
    return _layout(figure, title, height=max(260, 90 + ROW_HEIGHT * len(shown)))


def backlog_stage_bars(counties: pd.DataFrame, title: str = "") -> go.Figure:
    """Per county: backlog cases by stage (stacked), from ``geo.backlog.scorecards(by="county")``.

    Stages: resolved on time, resolved late, overdue, other open (stalled included); the rate of resolved
    cases is written beside each bar.
    """
    rows = counties.iloc[::-1]
    other_open = rows["open"] - rows["overdue"]
    figure = go.Figure()
    for values, label, colour in (
        (rows["resolved_on_time"], "按期化解", STAGE_COLOURS["resolved_on_time"]),
        (rows["resolved_late"], "超期化解", STAGE_COLOURS["resolved_late"]),
        (rows["overdue"], "超期未化解", STAGE_COLOURS["overdue"]),
        (other_open, "化解中（含停滞）", STAGE_COLOURS["open"]),
    ):
        figure.add_bar(orientation="h", y=list(rows["county_name"]), x=list(values), name=label, marker_color=colour,
                       customdata=list(rows["county_code"]), hovertemplate="%{y}：" + label + " %{x:,} 件<extra></extra>")
    for name, total, rate in zip(rows["county_name"], rows["handed_down"], rows["resolution_rate"]):
        figure.add_annotation(x=total, y=name, text=f" 化解率 {rate:.0%}", showarrow=False, xanchor="left",
                              font={"size": 11, "color": "#333"})
    figure.update_layout(barmode="stack", xaxis={"tickformat": ",d"})
    return _layout(figure, title, height=max(260, 110 + ROW_HEIGHT * len(rows)))


def resolution_trend_figure(trend: pd.DataFrame, title: str = "积案化解率（累计口径，按月）") -> go.Figure:
    """The cumulative backlog resolution rate per month (``geo.backlog.resolution_trend``)."""
    figure = go.Figure(go.Scatter(
        x=[m.isoformat() for m in trend["month"]], y=list(trend["rate"]), mode="lines+markers",
        line={"color": "#9e1b1b"}, customdata=list(zip(trend["resolved"], trend["handed_down"])),
        hovertemplate="%{x|%Y年%-m月}：%{y:.1%}（%{customdata[0]:,}/%{customdata[1]:,}）<extra></extra>", name="积案化解率",
    ))
    figure.update_layout(yaxis={"tickformat": ".0%", "rangemode": "tozero"}, showlegend=False,
                         xaxis={"tickformat": "%Y年%-m月", "dtick": "M6", "hoverformat": "%Y年%-m月"})
    return _layout(figure, title, height=320)
