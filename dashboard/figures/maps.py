"""Maps on a blank MapLibre style: no tiles, no CDN, so they draw on an intranet."""

from __future__ import annotations

import math

import geopandas as gpd
import plotly.graph_objects as go
import shapely

from geo.enums import GeometrySource

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
        margin={"l": 0, "r": 0, "t": 30 if title else 0, "b": 0},
        title={"text": title, "x": 0.01},
        uirevision="unit-map",
    )
    return figure
