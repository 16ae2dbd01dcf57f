"""Illustrative townships, villages and grid cells, generated inside the official county polygons.

Every unit keeps its real name and code; only the shapes are invented. Urban units (街道, 社区)
are small and cluster around the county seat or township centre; rural ones are large. Grid cells
split villages: one to three per rural village, about one per 400 households in urban communities.
Household counts per unit are full-scale targets; a scale thins them later.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from etl.demo.config import COUNTY_HOUSEHOLD_SHARE, COUNTY_SEATS, CITY_HOUSEHOLDS, GEOGRAPHY_SEED, HIGH_TECH_HOST, HIGH_TECH_ZONE
from etl.demo.partition import partition
from geo.enums import RegionKind
from geo.models import SRID

TOWNSHIP_AREA_WEIGHT = {RegionKind.SUBDISTRICT: 0.22, RegionKind.TOWN: 1.0, RegionKind.XIANG: 1.1,
                        RegionKind.OTHER_TOWNSHIP: 0.45}
TOWNSHIP_HOUSEHOLD_WEIGHT = {RegionKind.SUBDISTRICT: 1.9, RegionKind.TOWN: 1.0, RegionKind.XIANG: 0.7,
                             RegionKind.OTHER_TOWNSHIP: 0.35}
VILLAGE_AREA_WEIGHT = {RegionKind.COMMUNITY: 0.15, RegionKind.VILLAGE: 1.0}
VILLAGE_HOUSEHOLD_WEIGHT = {RegionKind.COMMUNITY: 3.0, RegionKind.VILLAGE: 1.0}
URBAN_HOUSEHOLDS_PER_CELL = 400
RURAL_HOUSEHOLDS_PER_CELL = 330


@dataclass(frozen=True)
class Geography:
    """Generated units: ``zone`` (411571), ``townships``, ``villages``, ``cells`` as GeoDataFrames.

    Unit frames have columns code, geometry; villages and cells also ``households`` (full scale),
    cells also village_code, name and ``urban``.
    """

    zone: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame


def _seat(polygon: shapely.Geometry, code: str) -> shapely.Point:
    """The county seat, moved inside the polygon if the approximate point falls outside it."""
    seat = shapely.Point(COUNTY_SEATS[code])
    if polygon.contains(seat):
        return seat
    return shapely.ops.nearest_points(polygon.buffer(-0.01), seat)[0]


def _jitter(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    return rng.lognormal(0.0, sigma, n)


def _split(rng, parent, units: pd.DataFrame, area_weight, centre=None) -> list[shapely.MultiPolygon]:
    weights = units["kind"].map(area_weight).to_numpy(float) * _jitter(rng, len(units), 0.3)
    central = units["kind"].isin([RegionKind.SUBDISTRICT, RegionKind.COMMUNITY]).to_list()
    return partition(parent, weights, rng, centre=centre, central=central)


def _households(rng, total: float, units: pd.DataFrame, household_weight) -> np.ndarray:
    weights = units["kind"].map(household_weight).to_numpy(float) * _jitter(rng, len(units), 0.35)
    return np.maximum(np.round(total * weights / weights.sum()), 30).astype(np.int64)


def build_geography(counties: gpd.GeoDataFrame, units: pd.DataFrame, county_codes: list[str]) -> Geography:
    """Generate units for ``county_codes`` inside ``counties`` (code, geometry).

    ``units`` is the unit catalogue (code, name, short_name, level, kind, parent_code). The result
    depends only on the codes, never on the caller's seed, so grid codes are stable across reloads.
    """
    county_geom = dict(zip(counties["code"], counties.geometry))
    townships_of = {code: frame for code, frame in units[units["level"] == "township"].groupby("parent_code")}
    villages_of = {code: frame for code, frame in units[units["level"] == "village"].groupby("parent_code")}
    zone_rows, township_rows, village_rows, cell_rows = [], [], [], []

    hosts = [c for c in county_codes if c != HIGH_TECH_ZONE]
    if HIGH_TECH_ZONE in county_codes and HIGH_TECH_HOST not in hosts:
        hosts.append(HIGH_TECH_HOST)
    for county in sorted(hosts):
        rng = np.random.default_rng([GEOGRAPHY_SEED, int(county)])
        parent = county_geom[county]
        townships = townships_of[county].sort_values("code")
        pieces = _split(rng, parent, _with_zone(townships, county), TOWNSHIP_AREA_WEIGHT, _seat(parent, county))
        if county == HIGH_TECH_HOST:
            zone_geom, pieces = pieces[-1], pieces[:-1]
            if HIGH_TECH_ZONE in county_codes:
                zone_rows.append({"code": HIGH_TECH_ZONE, "geometry": zone_geom})
                zone_townships = townships_of[HIGH_TECH_ZONE].sort_values("code")
                zone_rng = np.random.default_rng([GEOGRAPHY_SEED, int(HIGH_TECH_ZONE)])
                zone_pieces = _split(zone_rng, zone_geom, zone_townships, TOWNSHIP_AREA_WEIGHT)
                _fill(zone_rng, HIGH_TECH_ZONE, zone_townships, zone_pieces, villages_of,
                      township_rows, village_rows, cell_rows)
        if county in county_codes:
            _fill(rng, county, townships, pieces, villages_of, township_rows, village_rows, cell_rows)

    def frame(rows):
        return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=SRID) if rows else \
            gpd.GeoDataFrame({"code": []}, geometry=[], crs=SRID)

    return Geography(frame(zone_rows), frame(township_rows), frame(village_rows), frame(cell_rows))


def _with_zone(townships: pd.DataFrame, county: str) -> pd.DataFrame:
    """Townships of a county, plus a stand-in row for 411571 when the county hosts it."""
    if county != HIGH_TECH_HOST:
        return townships
    zone = pd.DataFrame([{"code": HIGH_TECH_ZONE, "kind": RegionKind.SUBDISTRICT}])
    return pd.concat([townships, zone], ignore_index=True)


def _fill(rng, county, townships, pieces, villages_of, township_rows, village_rows, cell_rows) -> None:
    county_households = CITY_HOUSEHOLDS * COUNTY_HOUSEHOLD_SHARE[county]
    township_households = _households(rng, county_households, townships, TOWNSHIP_HOUSEHOLD_WEIGHT)
    for township, piece, households in zip(townships.itertuples(index=False), pieces, township_households):
        township_rows.append({"code": township.code, "geometry": piece})
        villages = villages_of[township.code].sort_values("code")
        village_pieces = _split(rng, piece, villages, VILLAGE_AREA_WEIGHT)
        village_households = _households(rng, households, villages, VILLAGE_HOUSEHOLD_WEIGHT)
        for village, vpiece, vhouseholds in zip(villages.itertuples(index=False), village_pieces, village_households):
            village_rows.append({"code": village.code, "geometry": vpiece, "households": int(vhouseholds)})
            urban = village.kind == RegionKind.COMMUNITY
            if urban:
                n_cells = max(2, round(vhouseholds / URBAN_HOUSEHOLDS_PER_CELL))
            else:
                n_cells = int(np.clip(round(vhouseholds / RURAL_HOUSEHOLDS_PER_CELL), 1, 3))
            cell_pieces = [vpiece] if n_cells == 1 else partition(vpiece, _jitter(rng, n_cells, 0.25), rng)
            areas = np.array([p.area for p in cell_pieces])
            split = np.round(vhouseholds * areas / areas.sum()).astype(np.int64)
            split[-1] = vhouseholds - split[:-1].sum()
            label = village.short_name or village.name
            for i, (cpiece, chouseholds) in enumerate(zip(cell_pieces, split), start=1):
                cell_rows.append({
                    "code": f"{village.code}{i:03d}", "village_code": village.code, "name": f"{label}第{i}网格",
                    "geometry": cpiece, "households": int(max(chouseholds, 1)), "urban": urban,
                })
