"""The real reference geography of Xinyang shipped with the project (see reference/PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from etl.boundaries import load_boundaries, read_boundaries
from geo.areas import CITY_CODE, county_of
from geo.enums import GeometrySource, RegionKind, RegionLevel
from geo.models import Region

REFERENCE = Path(__file__).resolve().parent / "reference"
COUNTY_POLYGONS = REFERENCE / "counties_tianditu.geojson"
TOWNSHIPS = REFERENCE / "townships.csv"
VILLAGES = REFERENCE / "villages.csv"
CITY_NAME = "信阳市"

TOWNSHIP_KINDS = {"街道": RegionKind.SUBDISTRICT, "镇": RegionKind.TOWN, "乡": RegionKind.XIANG, "other": RegionKind.OTHER_TOWNSHIP}
VILLAGE_KINDS = {"社区": RegionKind.COMMUNITY, "村": RegionKind.VILLAGE}


def county_kind(name: str) -> RegionKind:
    if "开发区" in name:
        return RegionKind.ZONE
    return RegionKind.DISTRICT if name.endswith("区") else RegionKind.COUNTY


def unit_rows() -> list[dict]:
    """City, county-level units, townships and villages from the statistical division tables."""
    townships = pd.read_csv(TOWNSHIPS, dtype=str)
    villages = pd.read_csv(VILLAGES, dtype=str)
    rows = [dict(code=CITY_CODE, name=CITY_NAME, short_name=None, level=RegionLevel.CITY,
                 kind=RegionKind.PREFECTURE, parent_code=None, county_code=None)]
    counties = townships[["county_code", "county_name"]].drop_duplicates().sort_values("county_code")
    rows += [
        dict(code=c, name=n, short_name=None, level=RegionLevel.COUNTY, kind=county_kind(n),
             parent_code=CITY_CODE, county_code=c)
        for c, n in counties.itertuples(index=False)
    ]
    rows += [
        dict(code=t.code, name=t.name, short_name=None, level=RegionLevel.TOWNSHIP, kind=TOWNSHIP_KINDS[t.kind],
             parent_code=t.county_code, county_code=t.county_code)
        for t in townships.itertuples(index=False)
    ]
    rows += [
        dict(code=v.code, name=v.name, short_name=v.short_name, level=RegionLevel.VILLAGE, kind=VILLAGE_KINDS[v.kind],
             parent_code=v.township_code, county_code=county_of(v.code))
        for v in villages.itertuples(index=False)
    ]
    return rows


def load_reference(session: Session) -> dict[str, int]:
    """Upsert the unit catalogue and the official county polygons; returns counts per level.

    County polygons are set only where a unit has no geometry yet or an illustrative one, so an
    official boundary a user imported is never overwritten.
    """
    statement = insert(Region).values(unit_rows())
    session.execute(statement.on_conflict_do_update(
        index_elements=[Region.code],
        set_={c: statement.excluded[c] for c in ("name", "short_name", "level", "kind", "parent_code", "county_code")},
    ))
    counties = read_boundaries(COUNTY_POLYGONS)
    missing = session.scalars(
        select(Region.code).where(Region.level == RegionLevel.COUNTY)
        .where((Region.geom.is_(None)) | (Region.geom_source == GeometrySource.ILLUSTRATIVE))
    ).all()
    load_boundaries(counties[counties["code"].isin(missing)], session, RegionLevel.COUNTY, GeometrySource.OFFICIAL)
    return dict(session.execute(select(Region.level, func.count()).group_by(Region.level)).all())
