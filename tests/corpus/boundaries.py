"""Boundary files in the forms they come in, for tests and benchmarks.

``county_townships`` cuts a county's official polygon into one strip per township of the catalogue (real codes,
names and parent). ``write_variant`` writes such units as GeoJSON, a zipped Shapefile or a GeoPackage, in EPSG
4326, 4490 or 4547, with codes of 12 or 9 digits, as numbers or as text with “.0”, and names with or without
their suffixes; ``write_corpus`` writes N seeded variants, a share of their features damaged as real files are
(``DAMAGES``: an unknown code, a village's code, a code Excel wrote in scientific notation, no geometry).
"""

from __future__ import annotations

import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas import name_key

FORMATS = ("geojson", "zip", "gpkg")
CRSES = (4326, 4490, 4547)
CODE_FORMS = ("12", "9", "number", "dotzero")
NAME_FORMS = ("full", "key", "none")
DAMAGES = ("unknown_code", "village_code", "scientific", "no_geometry")


@dataclass(frozen=True)
class Variant:
    format: str = "zip"
    crs: int = 4547
    code_form: str = "9"
    name_form: str = "full"
    code_column: str = "XZQDM"
    name_column: str = "XZQMC"


def county_townships(session: Session, county: str = "411502", n: int | None = None) -> gpd.GeoDataFrame:
    """The county's townships (code, name) with strips of the county polygon west to east, in EPSG:4326."""
    wkb = session.execute(text("SELECT ST_AsBinary(geom) FROM region WHERE code = :c"), {"c": county}).scalar()
    polygon = shapely.from_wkb(bytes(wkb))
    rows = session.execute(text("SELECT code, name FROM region WHERE parent_code = :c AND level = 'township'"
                                " ORDER BY code"), {"c": county}).all()[:n]
    minx, miny, maxx, maxy = polygon.bounds
    step = (maxx - minx) / len(rows)
    strips = [polygon.intersection(shapely.box(minx + i * step, miny, minx + (i + 1) * step, maxy))
              for i in range(len(rows))]
    strips = [shapely.MultiPolygon([p for p in shapely.get_parts(s) if isinstance(p, shapely.Polygon)])
              for s in strips]  # a cut along a county's edge can leave lines beside the polygons
    return gpd.GeoDataFrame({"code": [r.code for r in rows], "name": [r.name for r in rows]},
                            geometry=strips, crs=4326)


def coded(code: str, form: str):
    """A 12-digit township code written in one of ``CODE_FORMS``."""
    short = code[:9] if code.endswith("000") else code
    return {"12": code, "9": short, "number": int(short), "dotzero": f"{code}.0"}[form]


def named(name: str, form: str) -> str | None:
    return {"full": name, "key": name_key(name), "none": None}[form]


def write_frame(frame: gpd.GeoDataFrame, path: Path, fmt: str) -> Path:
    """Write ``frame`` to ``path`` (suffix set by ``fmt``); a Shapefile is zipped with its side files."""
    if fmt == "zip":
        folder = path.with_suffix("")
        folder.mkdir(parents=True, exist_ok=True)
        frame.to_file(folder / "xz.shp", encoding="utf-8")
        target = path.with_suffix(".zip")
        with zipfile.ZipFile(target, "w") as archive:
            for part in sorted(folder.iterdir()):
                archive.write(part, part.name)
        return target
    target = path.with_suffix("." + fmt)
    frame.to_file(target, driver="GeoJSON" if fmt == "geojson" else "GPKG")
    return target


def write_variant(units: gpd.GeoDataFrame, variant: Variant, path: Path, damage: dict[int, str] | None = None) -> Path:
    """``units`` (code, name, geometry) written as ``variant`` describes; ``damage``: position → one of ``DAMAGES``."""
    codes = [coded(c, variant.code_form) for c in units["code"]]
    geometry = list(units.geometry)
    for i, kind in (damage or {}).items():
        code = units["code"].iloc[i]
        if kind == "no_geometry":
            geometry[i] = None
        else:
            codes[i] = {"unknown_code": code[:6] + "999", "village_code": code[:9] + "201",
                        "scientific": f"{int(code):.5E}"}[kind]
    columns = {variant.code_column: codes if variant.code_form != "number" or not damage else [str(c) for c in codes]}
    if variant.name_form != "none":
        columns[variant.name_column] = [named(n, variant.name_form) for n in units["name"]]
    frame = gpd.GeoDataFrame(columns, geometry=geometry, crs=units.crs).to_crs(variant.crs)
    return write_frame(frame, path, variant.format)


def write_corpus(units: gpd.GeoDataFrame, folder: Path, n: int, seed: int = 0,
                 damaged: float = 0.1) -> list[tuple[Path, Variant]]:
    """N variant files of ``units`` in ``folder``, chosen with ``seed``; about ``damaged`` of the features damaged."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(n):
        variant = Variant(rng.choice(FORMATS), rng.choice(CRSES), rng.choice(CODE_FORMS), rng.choice(NAME_FORMS),
                          rng.choice(("XZQDM", "代码", "code")), rng.choice(("XZQMC", "名称", "name")))
        damage = {j: rng.choice(DAMAGES) for j in range(len(units)) if rng.random() < damaged}
        written.append((write_variant(units, variant, folder / f"v{i:04d}", damage), variant))
    return written
