"""County-level units ranked on one KPI, best first, against the city's value."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.kpi import FONT_FAMILY, format_value
from geo.enums import Direction
from geo.kpis import Kpi

BAR_COLOUR = "#3a5a80"
CITY_COLOUR = "#9e1b1b"
NO_DATA = "无数据"
ROW_HEIGHT = 28


def _value_ticks(kpi: Kpi, values: list[float | None]) -> dict:
    """Percent ticks for a rate; whole-number ticks (one apart when counts are small) for a count."""
    if kpi.is_rate:
        return {"tickformat": ".0%"}
    known = [value for value in values if value is not None]
    return {"tickformat": ",d", **({"dtick": 1} if max(known, default=0) < 10 else {})}


def county_ranking(frame: pd.DataFrame, kpi: Kpi, city_value, reference_label: str = "全市") -> go.Figure:
    """Horizontal bars of ``kpi`` per county, best at the top, units with no value last and marked 无数据.

    ``frame`` is shaped like ``kpi_frame(..., by="county")`` (``county_code``, ``county_name``, the
    KPI's column). "Best" follows ``kpi.direction``: highest first for ``UP``, lowest first for ``DOWN``;
    ties keep code order. A dashed line marks ``city_value`` ("全市 87.3%", or another
    ``reference_label`` such as 县区平均 for counts); none when it is unknown.
    Each bar's ``customdata`` is its county code, so a click maps back to the unit.
    """
    best_first = -frame[kpi.key] if kpi.direction == Direction.UP else frame[kpi.key]
    ranked = frame.assign(_rank_key=best_first).sort_values(["_rank_key", "county_code"], na_position="last")
    names = list(ranked["county_name"])
    values = [None if pd.isna(value) else float(value) for value in ranked[kpi.key]]
    figure = go.Figure(
        go.Bar(
            orientation="h",
            x=values,
            y=names,
            customdata=list(ranked["county_code"]),
            marker={"color": BAR_COLOUR},
            text=["" if value is None else format_value(kpi, value) for value in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}：%{text}<extra></extra>",
            showlegend=False,
        )
    )
    for name, value in zip(names, values):
        if value is None:
            figure.add_annotation(
                x=0, y=name, xref="x", yref="y", text=NO_DATA, showarrow=False, xanchor="left",
                font={"color": "#8c99a8"},
            )
    if not pd.isna(city_value):
        figure.add_shape(
            type="line", x0=city_value, x1=city_value, xref="x", y0=0, y1=1, yref="paper",
            line={"color": CITY_COLOUR, "width": 1.5, "dash": "dash"},
        )
        figure.add_annotation(
            x=city_value, y=1, xref="x", yref="paper", yanchor="bottom", showarrow=False,
            text=f"{reference_label} {format_value(kpi, city_value)}", font={"color": CITY_COLOUR},
        )
    figure.update_layout(
        template="none",
        font={"family": FONT_FAMILY, "size": 13, "color": "#1f2d3d"},
        title={"text": f"各县区{kpi.label}排名", "x": 0.01},
        height=ROW_HEIGHT * max(len(names), 1) + 110,
        margin={"l": 90, "r": 60, "t": 60, "b": 50},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        separators=".,",
        bargap=0.3,
        xaxis={
            "title": {"text": kpi.label}, "rangemode": "tozero", "showgrid": True, "gridcolor": "#e3e8ee",
            "zeroline": False, **_value_ticks(kpi, values),
        },
        yaxis={"title": {"text": "县区"}, "autorange": "reversed", "type": "category", "showgrid": False},
    )
    return figure
