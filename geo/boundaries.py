"""Unit geometries per level, simplified as a coverage so neighbours keep their shared borders."""

from __future__ import annotations

import geopandas as gpd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.enums import RegionLevel
from geo.models import SRID

SIMPLIFY_DEGREES = {RegionLevel.COUNTY: 0.002, RegionLevel.TOWNSHIP: 0.001, RegionLevel.VILLAGE: 0.0005}


def unit_geometries(session: Session, level: RegionLevel, within: str = "") -> gpd.GeoDataFrame:
    """Units of ``level`` that have geometry, optionally only those whose code starts with ``within``.

    Columns: code, name, geom_source, geometry (EPSG:4326), simplified with
    ``shapely.coverage_simplify`` so the units still tile without gaps or overlaps on the map.
    """
    rows = session.execute(
        text(
            "SELECT code, name, geom_source, ST_AsBinary(geom) AS wkb FROM region"
            " WHERE level = :level AND geom IS NOT NULL AND code LIKE :prefix ORDER BY code"
        ),
        {"level": level.value, "prefix": within + "%"},
    ).all()
    geometry = shapely.from_wkb([row.wkb for row in rows])
    if len(geometry):
        geometry = shapely.coverage_simplify(geometry, SIMPLIFY_DEGREES[level])
    return gpd.GeoDataFrame(
        {"code": [r.code for r in rows], "name": [r.name for r in rows], "geom_source": [r.geom_source for r in rows]},
        geometry=list(geometry),
        crs=SRID,
    )
