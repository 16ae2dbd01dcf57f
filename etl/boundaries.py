"""Boundary files (GeoJSON, zipped Shapefile, GeoPackage) in, region geometry out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pyogrio.errors
import shapely
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from geo.enums import GeometrySource, RegionLevel
from geo.errors import InvalidInput
from geo.models import SRID

CODE_ALIASES = ("code", "CODE", "代码", "区划代码", "行政区划代码", "adcode")
NAME_ALIASES = ("name", "NAME", "名称", "区划名称")


@dataclass(frozen=True)
class BoundarySummary:
    updated: int
    unknown_codes: list[str]


def _pick_column(frame: gpd.GeoDataFrame, aliases: tuple[str, ...], what: str, path: Path) -> str:
    for alias in aliases:
        if alias in frame.columns:
            return alias
    raise InvalidInput(f"{path.name}：缺少{what}列（可用列名：{'、'.join(aliases)}）。")


def read_boundaries(path: Path, crs: str | None = None) -> gpd.GeoDataFrame:
    """Read a boundary file into ``code, name, geometry`` in EPSG:4326, as valid MultiPolygons."""
    path = Path(path)
    try:
        frame = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FeatureError) as exc:
        raise InvalidInput(f"{path.name}：无法读取边界文件（{exc}）。") from exc
    if crs is not None:
        frame = frame.set_crs(crs, allow_override=True)
    if frame.crs is None:
        raise InvalidInput(f"{path.name}：文件没有坐标系信息，请用 --crs 指明，例如 --crs EPSG:4490。")
    code_col = _pick_column(frame, CODE_ALIASES, "区划代码", path)
    name_col = _pick_column(frame, NAME_ALIASES, "名称", path)
    frame = frame.to_crs(SRID)
    geometry = shapely.make_valid(frame.geometry.values)
    geometry = [_as_multipolygon(g) for g in geometry]
    return gpd.GeoDataFrame(
        {"code": frame[code_col].astype(str).str.strip(), "name": frame[name_col].astype(str).str.strip()},
        geometry=geometry,
        crs=SRID,
    )


def _as_multipolygon(geom: shapely.Geometry) -> shapely.MultiPolygon:
    polygons = shapely.get_parts(geom)
    polygons = [p for p in polygons if isinstance(p, shapely.Polygon) and not p.is_empty]
    return shapely.MultiPolygon(polygons)


def load_boundaries(
    frame: gpd.GeoDataFrame, session: Session, level: RegionLevel, source: GeometrySource
) -> BoundarySummary:
    """Set the geometry of known units of ``level`` from ``frame``; codes not in the catalogue are reported."""
    known = set(
        session.execute(text("SELECT code FROM region WHERE level = :level"), {"level": level.value}).scalars()
    )
    rows = [
        {"code": code, "wkb": shapely.to_wkb(geom, hex=True), "source": source.value}
        for code, geom in zip(frame["code"], frame.geometry)
        if code in known
    ]
    if rows:
        session.execute(
            text(
                "UPDATE region SET geom = ST_Multi(ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), :srid)),"
                " geom_source = :source WHERE code = :code"
            ).bindparams(bindparam("srid", SRID)),
            rows,
        )
    unknown = sorted(set(frame["code"]) - known)
    return BoundarySummary(updated=len(rows), unknown_codes=unknown)
