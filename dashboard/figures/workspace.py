"""The 党员联户 workspace map: grid-cell outlines, households by link status, members by load, suggestions.

A plain cartesian plot in longitude/latitude (no tiles, no CDN) with the aspect of the ground at the
township's latitude, so that box and lasso selection work on WebGL scatter traces of 10,000+ points.
Trace order is fixed (``OUTLINES`` … ``SUGGESTED``): patches address traces by index.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely
from dash import Patch

from dashboard.figures.maps import COORD_DECIMALS, source_note
from geo.coverage import IDLE, OVER
from geo.enums import RecordSource

OUTLINES, HOUSEHOLDS, MEMBERS, SUGGESTED = range(4)
LINKED, UNLINKED = "#1a9850", "#d73027"
LINK_SCALE = [[0, UNLINKED], [1, LINKED]]
MEMBER_COLOURS = {OVER: "#7b3294", IDLE: "#9e9e9e"}
MEMBER_NORMAL = "#2166ac"
SUGGESTION_COLOUR = "#f28e2b"
NO_PAIRS = pd.DataFrame(columns=["household_lon", "household_lat", "member_lon", "member_lat"])


def _round(values) -> list:
    return np.round(np.asarray(values, float), COORD_DECIMALS).tolist()


def outline_xy(cells: gpd.GeoDataFrame) -> tuple[list, list]:
    """Every cell's boundary rings as one polyline, rings separated by None."""
    xs: list = []
    ys: list = []
    for ring in shapely.get_rings(shapely.get_parts(cells.geometry.values)):
        coords = shapely.get_coordinates(ring)
        xs += _round(coords[:, 0]) + [None]
        ys += _round(coords[:, 1]) + [None]
    return xs, ys


def member_style(members: pd.DataFrame) -> dict:
    """What a change alters on the member trace: marker size (grows with load ÷ cap), colour (status), load text."""
    ratio = (members["load"] / members["cap"].clip(lower=1)).clip(upper=2)
    return {
        "size": np.round(6 + 6 * ratio, 1).tolist(),
        "color": [MEMBER_COLOURS.get(s, MEMBER_NORMAL) for s in members["status"]],
        "text": [f"负荷 {load}/{cap} · {s}" for load, cap, s in zip(members["load"], members["cap"], members["status"])],
    }


def workspace_map(cells: gpd.GeoDataFrame, households: pd.DataFrame, members: pd.DataFrame) -> go.Figure:
    """The township: ``cells`` (code, geometry); ``households`` (id, lon, lat, linked) in trace order;
    ``members`` (member_id, lon, lat, load, cap, status, name, grid_name) in a fixed order."""
    xs, ys = outline_xy(cells)
    style = member_style(members)
    figure = go.Figure([
        go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#8a9bb0", "width": 1}, hoverinfo="skip",
                   name="网格"),
        go.Scattergl(x=_round(households["lon"]), y=_round(households["lat"]), mode="markers",
                     customdata=households["id"].tolist(), name="住户",
                     marker={"size": 6, "color": households["linked"].astype(int).tolist(), "colorscale": LINK_SCALE,
                             "cmin": 0, "cmax": 1},
                     selected={"marker": {"size": 11, "opacity": 1}}, unselected={"marker": {"opacity": 0.25}},
                     hovertemplate="住户 %{customdata}<extra></extra>"),
        go.Scattergl(x=_round(members["lon"]), y=_round(members["lat"]), mode="markers", name="党员",
                     customdata=members["member_id"].tolist(),
                     marker={"size": style["size"], "color": style["color"], "symbol": "diamond", "opacity": 0.85,
                             "line": {"width": 1, "color": "#fff"}},
                     hovertext=[f"党员 {n}（{g}）" for n, g in zip(members["name"], members["grid_name"])],
                     text=style["text"], hovertemplate="%{hovertext}<br>%{text}<extra></extra>",
                     unselected={"marker": {"opacity": 0.85}}),
        go.Scattergl(x=[], y=[], mode="lines", line={"color": SUGGESTION_COLOUR, "width": 1.5},
                     hoverinfo="skip", name="建议联系"),
    ])
    minx, miny, maxx, maxy = cells.total_bounds if len(cells) else (114, 32, 114.1, 32.1)
    figure.update_layout(
        showlegend=False, dragmode="select", clickmode="event", plot_bgcolor="#fff",
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        xaxis={"visible": False, "range": [minx, maxx]},
        yaxis={"visible": False, "range": [miny, maxy], "scaleanchor": "x",
               "scaleratio": 1 / math.cos(math.radians((miny + maxy) / 2))},
        uirevision=f"workspace-{cells['code'].iat[0] if len(cells) else ''}",
    )
    return figure


def status_patch(households: pd.DataFrame, members: pd.DataFrame) -> Patch:
    """After a change: the households' colours and the members' markers; the suggestion lines cleared."""
    patch = Patch()
    patch["data"][HOUSEHOLDS]["marker"]["color"] = households["linked"].astype(int).tolist()
    style = member_style(members)
    patch["data"][MEMBERS]["marker"]["size"] = style["size"]
    patch["data"][MEMBERS]["marker"]["color"] = style["color"]
    patch["data"][MEMBERS]["text"] = style["text"]
    return suggestion_patch(NO_PAIRS, patch)


def selection_patch(indices: list[int] | None) -> Patch:
    """Highlight the households at ``indices`` of the household trace (None: no selection)."""
    patch = Patch()
    patch["data"][HOUSEHOLDS]["selectedpoints"] = indices
    return patch


def suggestion_patch(pairs: pd.DataFrame, patch: Patch | None = None) -> Patch:
    """Lines from each household of ``pairs`` to its suggested member (an empty frame clears them)."""
    patch = patch if patch is not None else Patch()
    for axis in ("lon", "lat"):
        starts, ends = _round(pairs[f"household_{axis}"]), _round(pairs[f"member_{axis}"])
        patch["data"][SUGGESTED]["x" if axis == "lon" else "y"] = [
            v for start, end in zip(starts, ends) for v in (start, end, None)]
    return patch


def workspace_note(cells: gpd.GeoDataFrame, households: pd.DataFrame) -> str:
    """Which of what the map shows is illustrative: generated cells (``source_note``) and demo households."""
    notes = [source_note(cells)] if len(cells) else []
    if (households["source"] == RecordSource.DEMO.value).any():
        notes.append("住户与党员的位置为示意数据（程序生成，非真实住址）")
    return "；".join(n for n in notes if n)
