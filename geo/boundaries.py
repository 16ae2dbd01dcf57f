"""Unit geometries per map level, simplified as a coverage so neighbours keep their shared borders."""

from __future__ import annotations

import geopandas as gpd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas import scope_prefix
from geo.models import SRID

MAP_LEVELS = ("county", "township", "grid")
SIMPLIFY_DEGREES = {"county": 0.002, "township": 0.001, "village": 0.0005, "grid": 0.0003}
COUNTY_QUERY = text(
    # A county-level unit carved out of another (411571 inside 平桥区) is cut out of its host, so the
    # map shows each unit's own statistical area and the units still form a coverage.
    "SELECT c.code, c.name, c.geom_source, ST_AsBinary(COALESCE(ST_Multi(ST_Difference(c.geom,"
    " (SELECT ST_Union(z.geom) FROM region z WHERE z.level = 'county' AND z.code <> c.code"
    "  AND ST_Within(z.geom, c.geom)))), c.geom)) AS wkb"
    " FROM region c WHERE c.level = 'county' AND c.geom IS NOT NULL AND c.code LIKE :prefix ORDER BY c.code"
)
QUERIES = {"county": COUNTY_QUERY} | {
    level: text(
        "SELECT code, name, geom_source, ST_AsBinary(geom) AS wkb FROM region"
        " WHERE level = :level AND geom IS NOT NULL AND code LIKE :prefix ORDER BY code"
    ).bindparams(level=level)
    for level in ("township", "village")
} | {
    "grid": text(
        "SELECT code, name, geom_source, ST_AsBinary(geom) AS wkb FROM grid_cell"
        " WHERE geom IS NOT NULL AND code LIKE :prefix ORDER BY code"
    )
}


def unit_geometries(session: Session, level: str, within: str = "") -> gpd.GeoDataFrame:
    """Units of ``level`` (county, township, village or grid) with geometry inside the area ``within``.

    Columns: code, name, geom_source, geometry (EPSG:4326), simplified with
    ``shapely.coverage_simplify`` so the units still tile without gaps or overlaps on the map.
    """
    rows = session.execute(QUERIES[level], {"prefix": scope_prefix(within) + "%"}).all()
    geometry = shapely.from_wkb([row.wkb for row in rows])
    if len(geometry):
        geometry = shapely.coverage_simplify(geometry, SIMPLIFY_DEGREES[level])
    return gpd.GeoDataFrame(
        {"code": [r.code for r in rows], "name": [r.name for r in rows], "geom_source": [r.geom_source for r in rows]},
        geometry=list(geometry),
        crs=SRID,
    )


def county_names(session: Session) -> dict[str, str]:
    """Code → name of every county-level unit."""
    return dict(session.execute(text("SELECT code, name FROM region WHERE level = 'county'")).all())
