"""Property-based: real boundary files, mutated the ways users' files come, never end in a traceback.

Each example writes the townships of 浉河区 (strips of its official polygon, real codes and names) as one
format and CRS, mutates codes, names, geometries, the declared CRS or the bytes, and imports it as a dry run.
Either the whole file is refused with a domain error naming it, or every feature read is accounted for:
loaded + warned + refused = read.
"""

from __future__ import annotations

import math
import zipfile

import geopandas as gpd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.boundaries import import_boundaries
from geo.errors import InvalidInput
from tests.corpus.boundaries import CODE_FORMS, CRSES, FORMATS, coded, county_townships, write_frame

CODES = st.one_of(st.sampled_from(CODE_FORMS), st.sampled_from(["nan", "junk", "village", "float", "sci", "blank"]))
GEOMETRIES = st.sampled_from(["keep", "empty", "none", "multipart", "hole", "collection", "point", "bowtie", "far"])
NAMES = st.sampled_from(["full", "key", "none", "unknown", "spaces"])


@pytest.fixture(scope="module")
def units(engine):
    with engine.connect() as conn:
        from sqlalchemy.orm import Session

        return county_townships(Session(bind=conn), "411502", 4)


def code_of(code: str, form: str):
    if form in CODE_FORMS:
        return coded(code, form)
    return {"nan": float("nan"), "junk": "代码待定", "village": code[:9] + "001", "float": float(code),
            "sci": "4.11502E+11", "blank": ""}[form]


def name_of(name: str, form: str):
    return {"full": name, "key": name[:-2], "none": None, "unknown": "无名镇", "spaces": f" {name[0]} {name[1:]} "}[form]


def geometry_of(geom, form: str):
    c = geom.representative_point()
    if form == "empty":
        return shapely.Polygon()
    if form == "none":
        return None
    if form == "multipart":
        west = geom.intersection(shapely.box(-180, -90, c.x, 90))
        east = geom.intersection(shapely.box(c.x + 0.001, -90, 180, 90))
        return shapely.MultiPolygon([*shapely.get_parts(west), *shapely.get_parts(east)])
    if form == "hole":
        return geom.difference(c.buffer(0.002))
    if form == "collection":
        return shapely.GeometryCollection([geom, c, shapely.LineString([(c.x, c.y), (c.x + 0.01, c.y)])])
    if form == "point":
        return c
    if form == "bowtie":
        d = 0.01
        return shapely.Polygon([(c.x - d, c.y - d), (c.x + d, c.y + d), (c.x + d, c.y - d), (c.x - d, c.y + d)])
    if form == "far":
        return shapely.affinity.translate(geom, 60, 0)
    return geom


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(FORMATS), crs=st.sampled_from(CRSES),
       declared=st.sampled_from([None, None, "EPSG:4326", "EPSG:4547", "EPSG:4490", "gcj02"]),
       features=st.lists(st.tuples(st.integers(0, 3), CODES, NAMES, GEOMETRIES), min_size=1, max_size=6),
       cut=st.one_of(st.none(), st.floats(0.05, 0.95)), shapefile_part=st.sampled_from([".shp", ".dbf", ".shx", ".prj", ".cpg", None, None]))
def test_mutated_boundary_files_are_reported_never_raised(session, tmp_path_factory, units, fmt, crs, declared,
                                                          features, cut, shapefile_part):
    rows = [{"XZQDM": code_of(units["code"][i], code), "XZQMC": name_of(units["name"][i], name),
             "geometry": geometry_of(units.geometry[i], geom)} for i, code, name, geom in features]
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    frame["XZQDM"] = frame["XZQDM"].astype(object)
    if fmt == "zip":  # a Shapefile holds one geometry type: keep the polygons, as a real one would
        frame = frame[[g is None or g.geom_type in ("Polygon", "MultiPolygon") for g in frame.geometry]]
        if frame.empty:
            return
    path = write_frame(frame.to_crs(crs), tmp_path_factory.mktemp("b") / "乡镇", fmt)
    if fmt == "zip" and shapefile_part:  # a side file left out of the archive
        with zipfile.ZipFile(path) as archive:
            parts = {n: archive.read(n) for n in archive.namelist() if not n.endswith(shapefile_part)}
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in parts.items():
                archive.writestr(name, data)
    if cut is not None:
        data = path.read_bytes()
        path.write_bytes(data[: max(1, math.floor(len(data) * cut))])
    try:
        report = import_boundaries(path, session, "township", crs=declared, dry_run=True)
    except InvalidInput as refusal:
        assert path.name in str(refusal)
        return
    tally = report.tally()
    assert tally["loaded"] + tally["warned"] + tally["refused"] == tally["read"]
    assert tally["read"] == len(frame) or cut is not None or shapefile_part
    assert report.matched == tally["loaded"] + tally["warned"] + len(report.outside)
    for outcome in report.features.values():
        assert outcome.outcome == "导入" or outcome.notes
