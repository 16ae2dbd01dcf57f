"""The plan's headline results as people read them: formatted values and changes, and a sparkline.

Rates are fractions (0.873) shown as percentages with one decimal ("87.3%"), changes of rates in
percentage points; counts with thousands separators. Rounding is 四舍五入 (half up) on the decimal
value, not Python's round-half-even on the binary one. A missing value (None, NaN) is "—".
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from numbers import Integral

import pandas as pd
import plotly.graph_objects as go

from geo.kpis import Kpi

FONT_FAMILY = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"
MISSING = "—"
MINUS = "\u2212"
"""The typographic minus sign (−), not the hyphen."""
UNCHANGED = "持平"
NEUTRAL_COLOUR = "#8c99a8"
"""A mid grey that reads on the light cards and on the dark big-screen variant."""
SPARKLINE_HEIGHT = 40
SPARKLINE_CONFIG = {"staticPlot": True, "displayModeBar": False}


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _rounded(value, places: int) -> Decimal:
    """``value`` rounded half up to ``places`` decimals; 12 significant digits first drop float noise."""
    exact = Decimal(int(value)) if isinstance(value, Integral) else Decimal(f"{float(value):.12g}")
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded == 0 else rounded


def _rounded_text(value, is_rate: bool) -> tuple[Decimal, str]:
    """``value`` rounded as shown (a rate as a percentage) and its digits without sign: "87.3", "1,234"."""
    if is_rate:
        rounded = _rounded(float(value) * 100, 1)
        return rounded, f"{rounded.copy_abs():.1f}"
    rounded = _rounded(value, 0)
    return rounded, f"{int(rounded.copy_abs()):,}"


def format_value(kpi: Kpi, value) -> str:
    """"87.3%" for a rate, "1,234" for a count, "—" when the value is unknown."""
    if _is_missing(value):
        return MISSING
    rounded, digits = _rounded_text(value, kpi.is_rate)
    return f"{MINUS if rounded < 0 else ''}{digits}{'%' if kpi.is_rate else ''}"


def format_change(kpi: Kpi, change) -> str:
    """"+2.1 个百分点" / "−0.8 个百分点" for a rate, "+12" / "−3" for a count, "持平" for 0, "—" if unknown.

    A change that is not zero keeps its sign even when it rounds to zero ("+0.0 个百分点"), so the text
    agrees with the arrow and colour worked out from the exact change.
    """
    if _is_missing(change):
        return MISSING
    if float(change) == 0:
        return UNCHANGED
    sign = "+" if float(change) > 0 else MINUS
    return f"{sign}{_rounded_text(change, kpi.is_rate)[1]}{' 个百分点' if kpi.is_rate else ''}"


def month_label(day) -> str:
    """"2024年3月" for any date or timestamp in March 2024."""
    stamp = pd.Timestamp(day)
    return f"{stamp.year}年{stamp.month}月"


def sparkline(months: pd.DataFrame, kpi: Kpi) -> go.Figure:
    """A 40-pixel line of the KPI's monthly values: no axes, grid or legend, transparent, no margin.

    ``months`` is shaped like ``kpi_frame(..., by="month")``: a ``month`` column of dates and a column
    named ``kpi.key``. Months with no value (NaN) are gaps in the line. Hover reads "2024年3月：87.3%".
    """
    ordered = months.sort_values("month")
    stamps = pd.to_datetime(ordered["month"])
    values = ordered[kpi.key].astype("float64")
    figure = go.Figure(
        go.Scatter(
            x=list(stamps),
            y=list(values),
            mode="lines+markers",
            connectgaps=False,
            line={"color": NEUTRAL_COLOUR, "width": 1.5},
            marker={"color": NEUTRAL_COLOUR, "size": 3},
            text=[f"{month_label(stamp)}：{format_value(kpi, value)}" for stamp, value in zip(stamps, values)],
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    hidden_axis = {"visible": False, "showgrid": False, "zeroline": False, "fixedrange": True}
    figure.update_layout(
        template="none",
        font={"family": FONT_FAMILY, "size": 11},
        height=SPARKLINE_HEIGHT,
        margin={"l": 0, "r": 0, "t": 0, "b": 0, "pad": 0},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
        xaxis=hidden_axis,
        yaxis=hidden_axis,
        hovermode="closest",
    )
    return figure
