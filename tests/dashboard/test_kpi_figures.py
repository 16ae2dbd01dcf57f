"""KPI formatting, cards, sparkline and county ranking, tested as plain functions (no database, no server)."""

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from dash import dcc

from dashboard.components.kpi_band import CAPTION, make_kpi_band, make_kpi_card
from dashboard.figures.kpi import FONT_FAMILY, format_change, format_value, sparkline
from dashboard.figures.ranking import county_ranking
from geo.enums import Direction
from geo.kpis import KPIS, KpiValue

KPI = {kpi.key: kpi for kpi in KPIS}
UP_RATE = KPI["one_time_resolution_rate"]
DOWN_RATE = KPI["national_registration_share"]
DOWN_COUNT = KPI["collective_count"]


def test_the_kpis_used_here_have_the_directions_the_tests_assume():
    assert (UP_RATE.direction, UP_RATE.is_rate) == (Direction.UP, True)
    assert (DOWN_RATE.direction, DOWN_RATE.is_rate) == (Direction.DOWN, True)
    assert (DOWN_COUNT.direction, DOWN_COUNT.is_rate) == (Direction.DOWN, False)


def months_frame(values: dict[str, list]) -> pd.DataFrame:
    """A frame shaped like ``kpi_frame(..., by="month")`` for January–April 2024."""
    return pd.DataFrame({"month": [date(2024, m, 1) for m in range(1, 5)], **values})


MONTHS = months_frame({kpi.key: [0.5, 0.6, float("nan"), 0.873] if kpi.is_rate else [3, 0, 1, 2] for kpi in KPIS})


def find(component, component_id: str):
    """The component with ``id`` ``component_id`` in a Dash component tree, or None."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if hasattr(child, "to_plotly_json"):
            found = find(child, component_id)
            if found is not None:
                return found
    return None


def text_of(component) -> str:
    """The text a browser would show for a component (its strings, depth first)."""
    if isinstance(component, str):
        return component
    children = getattr(component, "children", None)
    if children is None:
        return ""
    return "".join(text_of(child) for child in (children if isinstance(children, list) else [children]))


def classes_in(component) -> list[str]:
    """Every class name used in the tree."""
    names = (getattr(component, "className", None) or "").split()
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if hasattr(child, "to_plotly_json"):
            names += classes_in(child)
    return names


# --- formatting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kpi, value, expected", [
    (UP_RATE, 0.873, "87.3%"),
    (UP_RATE, 1.0, "100.0%"),
    (UP_RATE, 0.0, "0.0%"),
    (UP_RATE, 0.0125, "1.3%"),            # 四舍五入, not round-half-even on 1.25
    (UP_RATE, np.float64(0.8725), "87.3%"),
    (UP_RATE, -0.05, "\u22125.0%"),
    (UP_RATE, None, "—"),
    (UP_RATE, float("nan"), "—"),
    (UP_RATE, np.nan, "—"),
    (DOWN_COUNT, 1234, "1,234"),
    (DOWN_COUNT, np.int64(1234567), "1,234,567"),
    (DOWN_COUNT, 0, "0"),
    (DOWN_COUNT, 7.0, "7"),
    (DOWN_COUNT, -3, "\u22123"),
    (DOWN_COUNT, None, "—"),
    (DOWN_COUNT, float("nan"), "—"),
])
def test_format_value(kpi, value, expected):
    assert format_value(kpi, value) == expected


@pytest.mark.parametrize("kpi, change, expected", [
    (UP_RATE, 0.021, "+2.1 个百分点"),
    (UP_RATE, -0.008, "\u22120.8 个百分点"),
    (UP_RATE, 0.883 - 0.862, "+2.1 个百分点"),   # float noise: 0.02100000000000002
    (UP_RATE, 0.0305 - 0.01, "+2.1 个百分点"),   # 0.020499999999999997 is 2.05 points, rounded half up
    (UP_RATE, 0.0004, "+0.0 个百分点"),          # not zero: keeps its sign, agreeing with the arrow
    (UP_RATE, 0.0, "持平"),
    (UP_RATE, None, "—"),
    (UP_RATE, float("nan"), "—"),
    (DOWN_COUNT, 12, "+12"),
    (DOWN_COUNT, -3, "\u22123"),
    (DOWN_COUNT, 1500, "+1,500"),
    (DOWN_COUNT, np.int64(-2500), "\u22122,500"),
    (DOWN_COUNT, 0, "持平"),
    (DOWN_COUNT, None, "—"),
    (DOWN_COUNT, float("nan"), "—"),
])
def test_format_change(kpi, change, expected):
    assert format_change(kpi, change) == expected


# --- sparkline -------------------------------------------------------------------------------------


def test_sparkline_is_one_trace_of_the_monthly_values_in_month_order():
    shuffled = MONTHS.iloc[[2, 0, 3, 1]]
    figure = sparkline(shuffled, UP_RATE)
    assert len(figure.data) == 1
    trace = figure.data[0]
    assert [pd.Timestamp(x).month for x in trace.x] == [1, 2, 3, 4]
    assert list(trace.y[:2]) + [trace.y[3]] == [0.5, 0.6, 0.873]
    assert math.isnan(trace.y[2])
    assert trace.connectgaps is False


def test_sparkline_hover_reads_chinese_month_and_formatted_value():
    trace = sparkline(MONTHS, UP_RATE).data[0]
    assert list(trace.text) == ["2024年1月：50.0%", "2024年2月：60.0%", "2024年3月：—", "2024年4月：87.3%"]
    assert trace.hovertemplate == "%{text}<extra></extra>"
    assert sparkline(MONTHS, DOWN_COUNT).data[0].text[0] == "2024年1月：3"


def test_sparkline_is_bare_tiny_and_transparent():
    layout = sparkline(MONTHS, UP_RATE).layout
    assert layout.xaxis.visible is False and layout.yaxis.visible is False
    assert layout.xaxis.showgrid is False and layout.yaxis.showgrid is False
    assert layout.showlegend is False
    assert (layout.margin.l, layout.margin.r, layout.margin.t, layout.margin.b) == (0, 0, 0, 0)
    assert layout.paper_bgcolor == "rgba(0,0,0,0)" and layout.plot_bgcolor == "rgba(0,0,0,0)"
    assert 30 <= layout.height <= 50
    assert layout.font.family == FONT_FAMILY


# --- cards -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, tone, arrow", [
    (KpiValue(UP_RATE, 0.90, 0.85, 0.05, True), "kpi-better", "▲"),        # up KPI rises: better
    (KpiValue(UP_RATE, 0.80, 0.85, -0.05, False), "kpi-worse", "▼"),       # up KPI falls: worse
    (KpiValue(DOWN_COUNT, 12, 9, 3, False), "kpi-worse", "▲"),             # down KPI rises: worse, arrow still up
    (KpiValue(DOWN_COUNT, 6, 9, -3, True), "kpi-better", "▼"),             # down KPI falls: better, arrow down
    (KpiValue(DOWN_RATE, 0.02, 0.03, -0.01, True), "kpi-better", "▼"),
    (KpiValue(DOWN_RATE, 0.03, 0.03, 0.0, None), "kpi-neutral", ""),
    (KpiValue(UP_RATE, None, 0.85, None, None), "kpi-neutral", ""),
])
def test_card_colour_follows_better_and_arrow_follows_the_change(value, tone, arrow):
    card = make_kpi_card(value, MONTHS, "c")
    tones = {"kpi-better", "kpi-worse", "kpi-neutral"} & set(card.className.split())
    assert tones == {tone}
    change = find(card, "c-change")
    assert text_of(change) == arrow + format_change(value.kpi, value.change)


def test_card_shows_label_value_change_direction_and_definition_as_tooltip():
    value = KpiValue(DOWN_COUNT, 1234, 1246, -12, True)
    card = make_kpi_card(value, MONTHS, "kpi-collective")
    assert card.id == "kpi-collective"
    assert card.title == DOWN_COUNT.definition
    assert text_of(find(card, "kpi-collective-value")) == "1,234"
    assert text_of(find(card, "kpi-collective-change")) == "▼\u221212"
    text = text_of(card)
    assert DOWN_COUNT.label in text
    assert "目标方向：越低越好" in text
    assert "上年同期 1,246" in text
    assert "目标方向：越高越好" in text_of(make_kpi_card(KpiValue(UP_RATE, 0.9, 0.8, 0.1, True), MONTHS, "u"))


def test_card_sparkline_is_a_static_graph_of_its_own_kpi():
    card = make_kpi_card(KpiValue(UP_RATE, 0.9, 0.8, 0.1, True), MONTHS, "c")
    graphs = [child for child in card.children if isinstance(child, dcc.Graph)]
    assert len(graphs) == 1
    assert graphs[0].config == {"staticPlot": True, "displayModeBar": False}
    assert list(graphs[0].figure.data[0].y)[-1] == 0.873
    counts = make_kpi_card(KpiValue(DOWN_COUNT, 2, 1, 1, False), MONTHS, "d")
    assert list(next(c for c in counts.children if isinstance(c, dcc.Graph)).figure.data[0].y) == [3, 0, 1, 2]


def test_band_has_one_card_per_value_in_order_and_the_caption():
    values = [
        KpiValue(UP_RATE, 0.9, 0.8, 0.1, True),
        KpiValue(DOWN_COUNT, 4, 2, 2, False),
        KpiValue(DOWN_RATE, 0.01, 0.02, -0.01, True),
    ]
    band = make_kpi_band(values, MONTHS, id_prefix="home-kpi")
    grid = band.children[0]
    assert "kpi-grid" in grid.className.split()
    assert [card.id for card in grid.children] == [
        "home-kpi-one_time_resolution_rate", "home-kpi-collective_count", "home-kpi-national_registration_share",
    ]
    assert text_of(find(band, "home-kpi-collective_count-value")) == "4"
    assert CAPTION == "同比：与上年同期比较；颜色表示是否朝方案要求的方向变化"
    assert CAPTION in text_of(band)
    assert classes_in(band).count("kpi-card") == 3


def test_band_ids_are_unique():
    values = [KpiValue(kpi, None, None, None, None) for kpi in KPIS]
    ids = []

    def collect(component):
        if getattr(component, "id", None) is not None:
            ids.append(component.id)
        children = getattr(component, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if hasattr(child, "to_plotly_json"):
                collect(child)

    collect(make_kpi_band(values, MONTHS))
    assert len(ids) == len(set(ids)) == 1 + 4 * len(KPIS)


# --- county ranking --------------------------------------------------------------------------------


@pytest.fixture
def counties():
    return pd.DataFrame({
        "county_code": ["411502", "411503", "411521", "411522", "411523"],
        "county_name": ["浉河区", "平桥区", "罗山县", "光山县", "新县"],
        UP_RATE.key: [0.80, np.nan, 0.95, 0.70, 0.80],
        DOWN_RATE.key: [0.03, 0.01, np.nan, 0.05, 0.02],
        DOWN_COUNT.key: [4, 1200, 0, 7, 2],
    })


def test_ranking_of_an_up_kpi_puts_the_highest_first_and_no_data_last(counties):
    trace = county_ranking(counties, UP_RATE, 0.82).data[0]
    assert trace.orientation == "h"
    assert list(trace.y) == ["罗山县", "浉河区", "新县", "光山县", "平桥区"]   # tie 0.80: code order
    assert list(trace.x) == [0.95, 0.80, 0.80, 0.70, None]
    assert list(trace.customdata) == ["411521", "411502", "411523", "411522", "411503"]
    assert list(trace.text) == ["95.0%", "80.0%", "80.0%", "70.0%", ""]


def test_ranking_of_a_down_kpi_puts_the_lowest_first(counties):
    trace = county_ranking(counties, DOWN_RATE, 0.03).data[0]
    assert list(trace.y) == ["平桥区", "新县", "浉河区", "光山县", "罗山县"]
    assert list(trace.customdata) == ["411503", "411523", "411502", "411522", "411521"]
    count_trace = county_ranking(counties, DOWN_COUNT, 5).data[0]
    assert list(count_trace.y) == ["罗山县", "新县", "浉河区", "光山县", "平桥区"]
    assert list(count_trace.text) == ["0", "2", "4", "7", "1,200"]


def test_ranking_draws_the_first_row_at_the_top(counties):
    layout = county_ranking(counties, UP_RATE, 0.82).layout
    assert layout.yaxis.autorange == "reversed"


def test_ranking_marks_units_without_data(counties):
    annotations = county_ranking(counties, UP_RATE, 0.82).layout.annotations
    no_data = [a for a in annotations if a.text == "无数据"]
    assert [a.y for a in no_data] == ["平桥区"]
    assert not [a for a in county_ranking(counties, DOWN_COUNT, 5).layout.annotations if a.text == "无数据"]


def test_ranking_has_a_dashed_city_line_with_its_label(counties):
    layout = county_ranking(counties, UP_RATE, 0.873).layout
    lines = [s for s in layout.shapes if s.type == "line"]
    assert len(lines) == 1
    assert lines[0].x0 == lines[0].x1 == 0.873
    assert (lines[0].yref, lines[0].y0, lines[0].y1) == ("paper", 0, 1)
    assert lines[0].line.dash == "dash"
    labels = [a for a in layout.annotations if a.text.startswith("全市")]
    assert [(a.text, a.x) for a in labels] == [("全市 87.3%", 0.873)]
    count_labels = [a.text for a in county_ranking(counties, DOWN_COUNT, 1213).layout.annotations]
    assert "全市 1,213" in count_labels


def test_ranking_without_a_city_value_has_no_line(counties):
    layout = county_ranking(counties, UP_RATE, None).layout
    assert not layout.shapes
    assert not [a for a in layout.annotations if a.text.startswith("全市")]


def test_ranking_titles_fonts_and_no_external_resources(counties):
    figure = county_ranking(counties, UP_RATE, 0.82)
    layout = figure.layout
    assert layout.title.text == "各县区一次性化解率排名"
    assert layout.xaxis.title.text == "一次性化解率"
    assert layout.yaxis.title.text == "县区"
    assert layout.font.family == FONT_FAMILY
    assert layout.xaxis.tickformat == ".0%"
    assert county_ranking(counties, DOWN_COUNT, 5).layout.title.text == "各县区集体访排名"
    serialised = json.dumps(figure.to_plotly_json(), default=str)
    assert "http" not in serialised
    assert len(json.dumps(figure.to_plotly_json()["layout"].get("template", {}))) < 200
