"""Maps on a blank MapLibre style: no tiles, no CDN, so they draw on an intranet."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely
from dash import Patch

from geo.dispute_stats import MEASURES
from geo.enums import GeometrySource
from geo.hotspots import CLASS_LABELS

BLANK_STYLE = "white-bg"
COORD_DECIMALS = 5


def fit_zoom(minx: float, miny: float, maxx: float, maxy: float, width: int = 900, height: int = 560) -> float:
    """The web-map zoom at which the extent fits a ``width`` x ``height`` pixel map (512 px tiles)."""

    def mercator_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lon_zoom = math.log2(width * 360 / (512 * max(maxx - minx, 1e-6)))
    lat_zoom = math.log2(height * 2 * math.pi / (512 * max(mercator_y(maxy) - mercator_y(miny), 1e-9)))
    return round(min(lon_zoom, lat_zoom), 2)


def lean_geojson(frame: gpd.GeoDataFrame) -> dict:
    """A FeatureCollection with only ``id`` = unit code and 5-decimal coordinates (about 1 m)."""
    rounded = shapely.set_precision(frame.geometry.values, 10**-COORD_DECIMALS)
    features = [
        {"type": "Feature", "id": code, "properties": {}, "geometry": shapely.geometry.mapping(geom)}
        for code, geom in zip(frame["code"], rounded)
    ]
    return {"type": "FeatureCollection", "features": features}


def source_note(frame: gpd.GeoDataFrame) -> str:
    """A line saying which boundaries on the map are illustrative (generated) and which official."""
    sources = set(frame["geom_source"])
    if sources == {GeometrySource.OFFICIAL.value}:
        return "边界：官方区划边界（天地图县级界线，已概化）"
    if GeometrySource.ILLUSTRATIVE.value in sources:
        return "注意：乡镇、村和网格边界为示意边界（程序生成，非官方数据），仅用于演示"
    return ""


def unit_map(frame: gpd.GeoDataFrame, values: list[float] | None = None, title: str = "") -> go.Figure:
    """A choropleth of units (or plain outlines when ``values`` is None), fitted to their extent."""
    minx, miny, maxx, maxy = frame.total_bounds
    colour = values if values is not None else [0] * len(frame)
    figure = go.Figure(
        go.Choroplethmap(
            geojson=lean_geojson(frame),
            locations=list(frame["code"]),
            z=colour,
            text=list(frame["name"]),
            colorscale="YlOrRd" if values is not None else [[0, "#dbe7f3"], [1, "#dbe7f3"]],
            showscale=values is not None,
            marker={"line": {"width": 1, "color": "#3a5a80"}, "opacity": 0.8},
            hovertemplate="%{text}<br>代码 %{location}<extra></extra>",
        )
    )
    figure.update_layout(
        map={"style": BLANK_STYLE, "center": {"lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2},
             "zoom": fit_zoom(minx, miny, maxx, maxy)},
        margin={"l": 0, "r": 0, "t": 48 if title else 0, "b": 0},
        title={"text": title, "x": 0.01},
        uirevision="unit-map",
    )
    return figure


HOTSPOT_COLOURS = ["#2166ac", "#67a9cf", "#d1e5f0", "#f0f0f0", "#fddbc7", "#ef8a62", "#b2182b"]
HOTSPOT_SCALE = [pair for k, colour in enumerate(HOTSPOT_COLOURS) for pair in ([k / 7, colour], [(k + 1) / 7, colour])]
"""Seven flat bands over z in [−3.5, 3.5], one per Gi* class."""
VALUE_SCALE = "YlOrRd"


VALUE_FORMATS = {"disputes": "%{z:,.0f}", "unresolved": "%{z:,.0f}", "petitioned": "%{z:,.0f}",
                 "per_1000": "%{z:.1f}", "leakage": "%{z:.1%}"}


def measure_trace_values(units: pd.DataFrame, values: pd.DataFrame, measure: str) -> dict:
    """The parts of the map trace that change with the filters: colours, ranks, scale, hover.

    ``units`` (code, name) fixes the order of the locations; ``values`` has code, value, rank (and
    label for ``hotspot``). Names travel once, as ``text`` in the full figure; a filter change sends
    only z (two decimals) and ranks, so the update stays small at 6,000+ grid cells.
    """
    merged = units[["code"]].merge(values, on="code", how="left")
    z = merged["value"].to_numpy(float)
    n = int(np.isfinite(z).sum())
    ranks = merged["rank"].astype(float).fillna(0).astype(int).tolist()
    if measure == "hotspot":
        scale, zmin, zmax = HOTSPOT_SCALE, -3.5, 3.5
        colorbar = {"title": {"text": "Gi* 冷热点"}, "tickvals": list(range(-3, 4)),
                    "ticktext": [CLASS_LABELS[k] for k in range(-3, 4)]}
        customdata = merged["label"].fillna("无数据").tolist()
        value_text = "%{customdata}"
    else:
        finite = z[np.isfinite(z)]
        scale, zmin = VALUE_SCALE, 0.0
        zmax = float(np.quantile(finite, 0.98)) if len(finite) and finite.max() > 0 else 1.0
        colorbar = {"title": {"text": MEASURES[measure]}}
        customdata = ranks
        value_text = VALUE_FORMATS[measure] + "<br>排名 %{customdata}/" + str(n)
    return {
        "z": np.round(np.nan_to_num(z, nan=zmin), 4).tolist(), "customdata": customdata, "colorscale": scale,
        "zmin": zmin, "zmax": zmax, "colorbar": colorbar,
        "hovertemplate": "%{text}<br>代码 %{location}<br>" + MEASURES[measure] + "：" + value_text + "<extra></extra>",
    }


def measure_map(units: gpd.GeoDataFrame, values: pd.DataFrame, measure: str, title: str = "") -> go.Figure:
    """The choropleth of one measure over ``units``; geometry goes out once with this figure."""
    figure = unit_map(units, values=[0.0] * len(units), title=title)
    figure.update_traces(marker={"line": {"width": 0.6 if len(units) > 500 else 1, "color": "#555"}, "opacity": 0.85},
                         **measure_trace_values(units, values, measure))
    figure.update_layout(uirevision=f"map-{len(units)}-{units['code'].iat[0] if len(units) else ''}",
                         clickmode="event")
    return figure


def measure_patch(units: pd.DataFrame, values: pd.DataFrame, measure: str, title: str = "") -> Patch:
    """Only the values (and title) for a filter change: the map's geometry stays in the browser."""
    patch = Patch()
    patch["layout"]["title"]["text"] = title
    for key, value in measure_trace_values(units, values, measure).items():
        patch["data"][0][key] = value
    return patch
