"""Figures of the petition pyramid: centred bars against the healthy shape, trend, flows, small multiples."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from geo.enums import LodgedLevel

FONT = {"family": "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif", "size": 13}
LEVELS = [level.value for level in LodgedLevel]
LEVEL_LABELS = [level.label for level in LodgedLevel]
HEALTHY_SHARES = pd.Series([0.50, 0.30, 0.12, 0.06, 0.02], index=LEVELS)
"""The reference shape drawn beside the actual one: most petitions at county level and below."""
UPPER_COLOUR, LOWER_COLOUR, TARGET_COLOUR = "#b2182b", "#2166ac", "#bdbdbd"
KIND_COLOURS = {("first", False): "rgba(33,102,172,0.45)", ("first", True): "rgba(33,102,172,0.85)",
                ("repeat", False): "rgba(178,24,43,0.45)", ("repeat", True): "rgba(178,24,43,0.85)"}


def _bar_colours() -> list[str]:
    return [LOWER_COLOUR if level in ("township", "county") else UPPER_COLOUR for level in LEVELS]


def pyramid_figure(counts: pd.Series, title: str = "") -> go.Figure:
    """Centred horizontal bars by level lodged (bottom: 乡村, top: 赴京), beside the healthy shape."""
    counts = counts.reindex(LEVELS, fill_value=0)
    total = int(counts.sum())
    target = HEALTHY_SHARES * total
    figure = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                           subplot_titles=("实际（按登记层级）", "健康的正金字塔（参照）"))
    figure.add_bar(y=LEVEL_LABELS, x=counts.to_list(), base=(-counts / 2).to_list(), orientation="h",
                   marker_color=_bar_colours(), customdata=LEVELS, name="实际",
                   text=[f"{int(v):,}（{v / total:.0%}）" if total else "0" for v in counts], textposition="inside",
                   insidetextanchor="middle", textfont={"color": "white"},
                   hovertemplate="%{y}：%{x:,} 件<extra></extra>", row=1, col=1)
    figure.add_bar(y=LEVEL_LABELS, x=target.to_list(), base=(-target / 2).to_list(), orientation="h",
                   marker_color=TARGET_COLOUR, name="参照", hoverinfo="skip", row=1, col=2)
    figure.update_xaxes(visible=False)
    figure.update_layout(title={"text": title, "x": 0.01}, showlegend=False, font=FONT, template="simple_white",
                         margin={"l": 60, "r": 20, "t": 60, "b": 10}, bargap=0.15, clickmode="event")
    return figure


def trend_figure(trend: pd.DataFrame) -> go.Figure:
    """The inversion index by month, with the 0.5 line above which petitions flow upward."""
    figure = go.Figure(go.Scatter(x=trend["month"], y=trend["index"], mode="lines+markers", name="倒金字塔指数",
                                  line={"color": UPPER_COLOUR},
                                  hovertemplate="%{x|%Y年%m月}：%{y:.1%}<extra></extra>"))
    figure.add_hline(y=0.5, line_dash="dash", line_color="#666", annotation_text="0.5：上行警戒线")
    figure.update_layout(title={"text": "倒金字塔指数（按月）", "x": 0.01}, yaxis={"tickformat": ".0%", "range": [0, 1]},
                         xaxis={"tickformat": "%Y年%-m月"},
                         font=FONT, template="simple_white", margin={"l": 50, "r": 20, "t": 50, "b": 40})
    return figure


def sankey_figure(flows: pd.DataFrame, outcome_labels: dict[str, str]) -> go.Figure:
    """Origin county → level lodged → outcome; link colour: first (blue) or repeat (red), darker if collective."""
    origins = list(dict.fromkeys(flows["origin_name"]))
    outcomes = list(outcome_labels)
    nodes = origins + LEVEL_LABELS + [outcome_labels[o] for o in outcomes]
    level_at = {level: len(origins) + i for i, level in enumerate(LEVELS)}
    outcome_at = {o: len(origins) + len(LEVELS) + i for i, o in enumerate(outcomes)}
    sources, targets, values, colours, details = [], [], [], [], []
    for stage in ("origin", "outcome"):
        keys = ["origin", "origin_name", "level"] if stage == "origin" else ["level", "outcome"]
        grouped = flows.groupby([*keys, "kind", "collective"], as_index=False)["count"].sum()
        for row in grouped.itertuples(index=False):
            if stage == "origin":
                sources.append(origins.index(row.origin_name))
                targets.append(level_at[row.level])
            else:
                sources.append(level_at[row.level])
                targets.append(outcome_at[row.outcome])
            values.append(int(row.count))
            colours.append(KIND_COLOURS[(row.kind, bool(row.collective))])
            kind = ("初信初访" if row.kind == "first" else "重复信访") + ("·集体访" if row.collective else "")
            # what a click on this link selects: [hover text, level, origin code, outcome]
            details.append([kind, row.level, getattr(row, "origin", ""), getattr(row, "outcome", "")])
    figure = go.Figure(go.Sankey(
        node={"label": nodes, "pad": 12, "thickness": 14, "color": "#8c8c8c"},
        link={"source": sources, "target": targets, "value": values, "color": colours, "customdata": details,
              "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata[0]}：%{value:,} 件<extra></extra>"},
    ))
    figure.update_layout(title={"text": "信访流向：来源县区 → 登记层级 → 办理结果（蓝：初信初访；红：重复信访；深色：集体访）",
                                "x": 0.01}, font=FONT, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return figure


def small_multiples(table: pd.DataFrame, columns: int = 4) -> go.Figure:
    """One small pyramid per county-level unit, ordered by inversion index (most inverted first)."""
    rows = max(1, math.ceil(len(table) / columns))
    titles = [
        f"{r.county_name} {r.index:.0%}{' 上行' if r.index > 0.5 else ''}" if r.index == r.index else f"{r.county_name} 无数据"
        for r in table.itertuples()
    ]
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=titles, horizontal_spacing=0.03,
                           vertical_spacing=0.08)
    for i, r in enumerate(table.itertuples()):
        counts = pd.Series([getattr(r, level) for level in LEVELS], index=LEVELS, dtype=float)
        shares = counts / counts.sum() if counts.sum() else counts
        figure.add_bar(y=LEVEL_LABELS, x=shares.to_list(), base=(-shares / 2).to_list(), orientation="h",
                       marker_color=_bar_colours(), showlegend=False,
                       hovertemplate=f"{r.county_name} " + "%{y}：%{x:.0%}<extra></extra>",
                       row=i // columns + 1, col=i % columns + 1)
    figure.update_xaxes(visible=False, range=[-0.6, 0.6])
    figure.update_yaxes(showticklabels=False)
    figure.update_yaxes(showticklabels=True, col=1)
    figure.update_layout(title={"text": "各县区金字塔（按倒金字塔指数排序，红色为市级及以上）", "x": 0.01}, font=FONT,
                         template="simple_white", height=260 * rows, margin={"l": 50, "r": 10, "t": 70, "b": 10},
                         bargap=0.1)
    return figure
