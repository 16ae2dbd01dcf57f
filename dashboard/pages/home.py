"""首页: the city's county-level units on the map (the full overview comes with its own page)."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.database import read_session
from dashboard.figures.maps import source_note, unit_map
from geo.boundaries import unit_geometries
from geo.enums import RegionLevel

dash.register_page(__name__, path="/", name="首页", title="枫桥网格 · 首页")


def layout(**_kwargs):
    with read_session() as session:
        counties = unit_geometries(session, RegionLevel.COUNTY)
    return html.Div(
        [
            html.H2("信阳市县级行政区"),
            html.P(f"共 {len(counties)} 个县区有边界数据。", id="county-count"),
            dcc.Graph(id="county-map", figure=unit_map(counties), style={"height": "70vh"},
                      config={"displaylogo": False}),
            html.P(source_note(counties), className="map-note", id="map-note"),
        ]
    )
