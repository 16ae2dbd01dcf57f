"""Figures of the demonstration-county review: scores, trend, progress, radar, zero-petition map."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.maps import unit_map

FONT = {"family": "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif", "size": 13}
PALETTE = ["#9e1b1b", "#2166ac", "#1b7837", "#b35806"]


def _layout(figure: go.Figure, title: str, **kwargs) -> go.Figure:
    figure.update_layout(title={"text": title, "x": 0.01}, font=FONT, template="simple_white",
                         margin={"l": 60, "r": 20, "t": 50, "b": 40}, **kwargs)
    return figure


def score_bars(scores: pd.DataFrame, year: int) -> go.Figure:
    """Weighted total score per county (best on top), labelled with the creation stage."""
    ordered = scores.sort_values("score", ascending=True)
    figure = go.Figure(go.Bar(
        y=ordered["county_name"], x=ordered["score"], orientation="h", marker_color="#2166ac",
        text=[f"{s:.1f} 分 · {stage or '未申报'} · 达标 {p}/{n}" for s, stage, p, n in
              zip(ordered["score"], ordered["stage_label"], ordered["passed"], ordered["criteria"])],
        textposition="outside", customdata=ordered["county_code"],
        hovertemplate="%{y}：%{x:.1f} 分<extra></extra>",
    ))
    return _layout(figure, f"{year}年示范县创建加权得分（满分 100）", xaxis={"range": [0, 125], "title": "得分"})


def trend_figure(trend: pd.DataFrame, names: dict[str, str]) -> go.Figure:
    figure = go.Figure()
    for i, (county, rows) in enumerate(trend.groupby("county_code", sort=False)):
        figure.add_scatter(x=rows["year"], y=rows["score"], mode="lines+markers", name=names.get(county, county),
                           line={"color": PALETTE[i % len(PALETTE)]})
    return _layout(figure, "得分三年趋势", xaxis={"dtick": 1, "title": "年度"}, yaxis={"range": [0, 100], "title": "得分"})


def radar_figure(comparison: pd.DataFrame, names: dict[str, str]) -> go.Figure:
    """Progress toward each target (0–100%) per county, one closed polygon per county."""
    criteria = comparison[("criterion", "name")].to_list()
    figure = go.Figure()
    counties = [c for c in comparison.columns.get_level_values(0).unique() if c != "criterion"]
    for i, county in enumerate(counties):
        progress = (comparison[(county, "progress")].fillna(0) * 100).to_list()
        figure.add_scatterpolar(r=progress + progress[:1], theta=criteria + criteria[:1], name=names.get(county, county),
                                line={"color": PALETTE[i % len(PALETTE)]}, fill="toself", opacity=0.55)
    figure.update_layout(polar={"radialaxis": {"range": [0, 100], "ticksuffix": "%"}})
    return _layout(figure, "各指标目标完成度（雷达图）")


def zero_map(units, zero: pd.DataFrame, title: str):
    """Villages (or townships) with no petition in the year in green, others grey."""
    merged = units.merge(zero[["code", "zero"]], on="code", how="left")
    figure = unit_map(merged, values=merged["zero"].fillna(False).astype(int).to_list(), title=title)
    figure.update_traces(colorscale=[[0, "#d9d9d9"], [0.5, "#d9d9d9"], [0.5, "#1b7837"], [1, "#1b7837"]],
                         zmin=0, zmax=1, showscale=False, marker={"line": {"width": 0.3, "color": "#777"}},
                         hovertemplate="%{text}<br>%{z}<extra></extra>")
    figure.update_traces(customdata=merged["zero"].map({True: "零上访", False: "有信访"}).fillna("无数据"),
                         hovertemplate="%{text}：%{customdata}<extra></extra>")
    return figure
