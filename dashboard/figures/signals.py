"""The warnings map: units coloured by the most severe signal touching them (on a blank MapLibre style)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go
from dash import Patch

from dashboard.figures.maps import unit_map
from geo.areas import ancestors, scope_prefix, township_of

SEVERITY_COLOURS = ["#eef1f5", "#fddbc7", "#f4a582", "#d6604d", "#67001f"]
"""0 = no signal, then 一般, 较大, 重大, 特别重大."""
SEVERITY_SCALE = [pair for k, colour in enumerate(SEVERITY_COLOURS)
                  for pair in ([k / 5, colour], [(k + 1) / 5, colour])]
NO_SIGNAL = "无预警"


def unit_severity(signals: pd.DataFrame, codes: list[str], level: str) -> pd.DataFrame:
    """For each unit of ``codes`` (townships or grid cells): the highest severity of the signals inside or
    over it, and how many there are.

    At township level a signal counts for the township its unit lies in. At grid level a grid signal counts
    for its cell, and a township's or village's signal for every cell of it. Columns code, severity (0 when
    none), count, in the order of ``codes``.
    """
    frame = pd.DataFrame({"code": list(codes)})
    frame["severity"], frame["count"] = 0, 0
    if signals.empty or frame.empty:
        return frame
    if level == "township":
        owner = signals["unit_code"].map(township_of)
        found = signals.assign(code=owner).groupby("code").agg(severity=("severity", "max"), count=("severity", "size"))
        frame = frame[["code"]].merge(found, on="code", how="left")
    else:
        by_prefix = {}
        for code, severity in zip(signals["unit_code"], signals["severity"]):
            by_prefix.setdefault(scope_prefix(code), []).append(int(severity))
        severities, counts = [], []
        for code in frame["code"]:
            hits = [s for unit in ancestors(code)[:3] for s in by_prefix.get(scope_prefix(unit), [])]
            severities.append(max(hits, default=0))
            counts.append(len(hits))
        frame["severity"], frame["count"] = severities, counts
    frame["severity"] = frame["severity"].fillna(0).astype("int64")
    frame["count"] = frame["count"].fillna(0).astype("int64")
    return frame


def _trace_values(values: pd.DataFrame, labels: dict[int, str]) -> dict:
    text = [f"{labels[s]}（{c} 条预警）" if c else NO_SIGNAL for s, c in zip(values["severity"], values["count"])]
    return {"z": values["severity"].tolist(), "customdata": text}


def signal_map(units: gpd.GeoDataFrame, values: pd.DataFrame, labels: dict[int, str], title: str = "") -> go.Figure:
    """Units coloured in five flat bands (none, then severity 1–4); ``values`` from ``unit_severity``."""
    figure = unit_map(units, values=[0] * len(units), title=title)
    figure.update_traces(
        colorscale=SEVERITY_SCALE, zmin=-0.5, zmax=4.5,
        colorbar={"title": {"text": "预警等级"}, "tickvals": list(range(5)),
                  "ticktext": [NO_SIGNAL, *(labels[k] for k in range(1, 5))]},
        marker={"line": {"width": 0.5 if len(units) > 500 else 1, "color": "#555"}, "opacity": 0.9},
        hovertemplate="%{text}<br>代码 %{location}<br>%{customdata}<extra></extra>",
        **_trace_values(values, labels),
    )
    figure.update_layout(uirevision=f"warnings-{len(units)}", clickmode="event")
    return figure


def signal_patch(values: pd.DataFrame, labels: dict[int, str], title: str = "") -> Patch:
    """Only the colours, hover text and title for another day: the geometry stays in the browser."""
    patch = Patch()
    patch["layout"]["title"]["text"] = title
    for key, value in _trace_values(values, labels).items():
        patch["data"][0][key] = value
    return patch
