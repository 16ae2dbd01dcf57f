"""Figures of screening-report compliance: the units × weeks matrix, the on-time map, the county ranking."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Patch

from dashboard.figures.maps import unit_map
from geo.screening import CELL_ORDER, STATUS_LABELS

FONT = {"family": "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif", "size": 12}
STATUS_COLOURS = {
    "on_time": "#1b7837",  # filed in time, disputes found
    "zero": "#74add1",  # filed in time, nothing found: a report, not a gap
    "late": "#f1a340",
    "missing": "#b2182b",
    "not_due": "#d9d9d9",
}
MATRIX_CODES = {status: i for i, status in enumerate(CELL_ORDER)}
"""Status → the integer the heatmap colours (one flat band per status)."""
ROW_PX, MIN_HEIGHT, MAX_HEIGHT = 16, 320, 2400

NO_REPORT = -0.2
"""Map value of a unit that filed nothing due in the window: its own colour, apart from the 0–100% scale."""
NO_REPORT_COLOUR = "#3d3d3d"
RATE_SCALE = [[0.0, NO_REPORT_COLOUR], [0.16, NO_REPORT_COLOUR], [0.16, "#b2182b"], [0.2, "#b2182b"],
              [0.6, "#fee08b"], [0.84, "#a6d96a"], [1.0, "#1a9850"]]
"""Over z in [−0.25, 1] (position = (z + 0.25) ÷ 1.25): below −0.05 the 未报告 band (nothing filed);
then on-time rate 0% red → 50% yellow → 80% light green → 100% green."""
RATE_MIN = -0.25
BAR_SCALE = [[0.0, "#b2182b"], [0.5, "#f7f7a1"], [0.8, "#a6d96a"], [1.0, "#1a9850"]]


def _discrete_scale() -> list:
    n = len(CELL_ORDER)
    return [pair for i, status in enumerate(CELL_ORDER)
            for pair in ([i / n, STATUS_COLOURS[status]], [(i + 1) / n, STATUS_COLOURS[status]])]


def unique_labels(units: pd.DataFrame) -> list[str]:
    """Unit names as row labels; a name that occurs twice (two 王岗村) is told apart by its code."""
    repeated = units["name"].duplicated(keep=False)
    return [f"{name}（{code}）" if twice else name for name, code, twice in zip(units["name"], units["code"], repeated)]


def status_matrix(cells: pd.DataFrame, units: pd.DataFrame, weeks: list[date], title: str) -> go.Figure:
    """Units (rows, in ``units`` order: code, name) × weeks (columns, Mondays): each cell the status of
    the unit's reports that week (the worst present, see ``geo.screening.CELL_ORDER``), its counts on
    hover; blank where nothing was owed. ``cells`` is ``status_by_week``'s frame."""
    row = {code: i for i, code in enumerate(units["code"])}
    column = {week: j for j, week in enumerate(weeks)}
    z = np.full((len(units), len(weeks)), np.nan)
    counts = np.zeros((len(units), len(weeks), len(CELL_ORDER)), dtype=int)
    known = cells[cells["unit_code"].isin(row) & cells["week"].isin(column)]
    rows = known["unit_code"].map(row).to_numpy(int)
    columns = known["week"].map(column).to_numpy(int)
    z[rows, columns] = known["status"].map(MATRIX_CODES).to_numpy(float)
    counts[rows, columns] = known[list(CELL_ORDER)].to_numpy(int)
    shown = " · ".join(f"{STATUS_LABELS[s]} %{{customdata[{k}]}}" for k, s in enumerate(CELL_ORDER))
    figure = go.Figure(go.Heatmap(
        z=z, x=weeks, y=unique_labels(units), zmin=-0.5, zmax=len(CELL_ORDER) - 0.5,
        colorscale=_discrete_scale(), showscale=False, xgap=1, ygap=1, customdata=counts,
        hovertemplate="%{y}<br>%{x|%Y年%m月%d日}起的一周<br>" + shown + "<extra></extra>", hoverongaps=False,
    ))
    for status in CELL_ORDER:  # the legend: one square per status
        figure.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=STATUS_LABELS[status],
                                    marker={"symbol": "square", "size": 12, "color": STATUS_COLOURS[status]},
                                    hoverinfo="skip"))
    figure.update_layout(
        title={"text": title, "x": 0.01}, font=FONT, template="simple_white",
        height=int(min(MAX_HEIGHT, max(MIN_HEIGHT, 130 + ROW_PX * len(units)))),
        margin={"l": 150, "r": 20, "t": 90, "b": 40},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0,
                "title": {"text": "每格为该周报告状态（一周多份时取最差）："}},
        yaxis={"type": "category", "autorange": "reversed", "tickfont": {"size": 11}, "showgrid": False},
        xaxis={"type": "date", "showgrid": False, "tickformatstops": [
            {"dtickrange": [None, 2_700_000_000], "value": "%-m月%-d日"},  # ticks under a month apart: days
            {"dtickrange": [2_700_000_000, None], "value": "%Y年%-m月"}]},
        plot_bgcolor="#ffffff",
    )
    return figure


def _map_values(units: pd.DataFrame, rates: pd.DataFrame) -> dict:
    """z (on-time rate, NO_REPORT for units that filed nothing due, NaN where nothing was due) and hover."""
    merged = units[["code"]].merge(rates, on="code", how="left")
    due = merged["due"].fillna(0).to_numpy()
    reported = merged["timely"].fillna(0).to_numpy() + merged["late"].fillna(0).to_numpy()
    rate = merged["on_time_rate"].to_numpy(float)
    z = np.where(due == 0, np.nan, np.where(reported == 0, NO_REPORT, rate))
    text = []
    for r, d, rep, row in zip(rate, due, reported, merged.itertuples()):
        if d == 0:
            text.append("本时段无应报报告")
        elif rep == 0:
            text.append(f"未报告：应报 {int(d)} 份，一份未报")
        else:
            text.append(f"按时率 {r:.1%}（按时 {int(row.timely)}，其中零报告 {int(row.zero)}；逾期 {int(row.late)}；"
                        f"未报 {int(row.missing)}）")
    return {"z": [None if np.isnan(v) else round(float(v), 4) for v in z], "customdata": text}


def compliance_map(units: gpd.GeoDataFrame, rates: pd.DataFrame, title: str) -> go.Figure:
    """Units coloured by on-time rate; units that filed nothing due are dark (未报告), apart from a unit
    whose reports were all zero reports (on time, so green): no report is not a zero report."""
    figure = unit_map(units, values=[0.0] * len(units), title=title)
    figure.update_traces(
        colorscale=RATE_SCALE, zmin=RATE_MIN, zmax=1.0,
        colorbar={"title": {"text": "按时率"}, "tickvals": [-0.15, 0, 0.5, 0.8, 1.0],
                  "ticktext": ["未报告", "0%", "50%", "80%", "100%"]},
        marker={"line": {"width": 0.5 if len(units) > 300 else 1, "color": "#555"}, "opacity": 0.85},
        hovertemplate="%{text}<br>代码 %{location}<br>%{customdata}<extra></extra>",
        **_map_values(units, rates),
    )
    figure.update_layout(font=FONT, uirevision=f"compliance-{len(units)}-{units['code'].iat[0] if len(units) else ''}")
    return figure


def compliance_map_patch(units: pd.DataFrame, rates: pd.DataFrame, title: str) -> Patch:
    """Only the values and the title: the geometry stays in the browser when the weeks change."""
    patch = Patch()
    patch["layout"]["title"]["text"] = title
    for key, value in _map_values(units, rates).items():
        patch["data"][0][key] = value
    return patch


def county_ranking(rates: pd.DataFrame, title: str) -> go.Figure:
    """Counties by on-time rate, best on top, each bar labelled with its missing count and zero share."""
    ranked = rates.dropna(subset=["on_time_rate"]).sort_values("rank", ascending=False)
    figure = go.Figure(go.Bar(
        orientation="h", y=ranked["name"], x=ranked["on_time_rate"], customdata=ranked["code"],
        marker={"color": ranked["on_time_rate"], "colorscale": BAR_SCALE, "cmin": 0, "cmax": 1},
        text=[f"{r:.1%} · 未报 {m:,} · 零报告占比 {'—' if pd.isna(z) else f'{z:.0%}'}"
              for r, m, z in zip(ranked["on_time_rate"], ranked["missing"], ranked["zero_share"])],
        textposition="outside", cliponaxis=False, hovertemplate="%{y}：%{text}<extra></extra>",
    ))
    figure.update_layout(
        title={"text": title, "x": 0.01}, font=FONT, template="simple_white",
        height=max(260, 60 + 30 * len(ranked)), margin={"l": 140, "r": 40, "t": 50, "b": 40},
        xaxis={"range": [0, 1.45], "tickformat": ".0%", "title": "按时率（含按时零报告）"},
    )
    return figure


def empty_map(message: str) -> go.Figure:
    """A blank panel saying why there is no map (no unit in the area has a boundary)."""
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                          font={"size": 14, "color": "#666"})
    figure.update_layout(font=FONT, template="simple_white", xaxis={"visible": False}, yaxis={"visible": False})
    return figure
