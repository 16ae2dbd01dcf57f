"""Unit geometry and contiguity per (level, area), computed once per data version and kept in memory."""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd

from dashboard.database import read_session
from geo.aggregates import data_version
from geo.boundaries import unit_geometries
from geo.hotspots import Neighbours, queen_neighbours


@lru_cache(maxsize=64)
def _geometry(level: str, within: str, version: str) -> tuple[gpd.GeoDataFrame, Neighbours]:
    with read_session() as session:
        units = unit_geometries(session, level, within)
    return units, queen_neighbours(list(units["code"]), list(units.geometry))


def level_geometry(level: str, within: str) -> tuple[gpd.GeoDataFrame, Neighbours]:
    """Simplified units of ``level`` inside ``within`` and their queen contiguity."""
    with read_session() as session:
        version = data_version(session)
    return _geometry(level, within, version)
