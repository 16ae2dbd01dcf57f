"""The band of headline-result cards: value, change on a year earlier, target direction, sparkline.

A card's colour says whether the change goes the way the plan wants (``KpiValue.better``), not
whether the number went up: a fall in 集体访 is green. The arrow shows the actual direction.
"""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from dashboard.figures.kpi import SPARKLINE_CONFIG, SPARKLINE_HEIGHT, format_change, format_value, sparkline
from geo.kpis import KpiValue

CAPTION = "同比：与上年同期比较；颜色表示是否朝方案要求的方向变化"
UP_ARROW = "▲"
DOWN_ARROW = "▼"
_TONE = {True: "kpi-better", False: "kpi-worse", None: "kpi-neutral"}
_VERDICT = {True: "（向好）", False: "（变差）", None: ""}


def _arrow(change) -> str:
    """▲ for a rise, ▼ for a fall, nothing when unchanged or unknown."""
    if pd.isna(change) or change == 0:
        return ""
    return UP_ARROW if change > 0 else DOWN_ARROW


def make_kpi_card(value: KpiValue, months: pd.DataFrame, card_id: str) -> html.Div:
    """One KPI's card; its ``title`` (tooltip) is the KPI's definition.

    Ids for browser tests: ``{card_id}`` (the card), ``{card_id}-value``, ``{card_id}-change``
    (arrow and change, e.g. "▲+2.1 个百分点"), ``{card_id}-sparkline``.
    """
    kpi = value.kpi
    arrow = _arrow(value.change)
    return html.Div(
        [
            html.Div(kpi.label, className="kpi-label"),
            html.Div(format_value(kpi, value.value), id=f"{card_id}-value", className="kpi-value"),
            html.Div(
                [
                    html.Span(
                        [
                            html.Span("同比", className="kpi-yoy-label"),
                            html.Span(
                                [html.Span(arrow, className="kpi-arrow"), html.Span(format_change(kpi, value.change))],
                                id=f"{card_id}-change",
                                className="kpi-change",
                            ),
                        ],
                        className="kpi-yoy-main",
                    ),
                    html.Span(_VERDICT[value.better], className="kpi-sr-only"),
                    html.Span(f"上年同期 {format_value(kpi, value.previous)}", className="kpi-previous"),
                ],
                className="kpi-yoy",
            ),
            html.Div(f"目标方向：{kpi.direction.label}", className="kpi-direction"),
            dcc.Graph(
                id=f"{card_id}-sparkline",
                figure=sparkline(months, kpi),
                config=SPARKLINE_CONFIG,
                responsive=True,
                className="kpi-sparkline",
                style={"height": f"{SPARKLINE_HEIGHT}px"},
            ),
        ],
        id=card_id,
        className=f"kpi-card {_TONE[value.better]}",
        title=kpi.definition,
    )


def make_kpi_band(values: list[KpiValue], months: pd.DataFrame, id_prefix: str = "kpi") -> html.Div:
    """The cards in a wrapping grid, with the caption that explains 同比 and the colours.

    Card ids are ``{id_prefix}-{kpi.key}``, e.g. ``kpi-satisfaction_rate``.
    """
    cards = [make_kpi_card(value, months, f"{id_prefix}-{value.kpi.key}") for value in values]
    return html.Div(
        [html.Div(cards, className="kpi-grid"), html.P(CAPTION, className="kpi-caption")],
        id=id_prefix,
        className="kpi-band",
    )
