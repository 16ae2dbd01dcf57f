"""Importing township, village and grid boundaries from real GeoJSON, Shapefile and GeoPackage files."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from click.testing import CliRunner

from etl.boundaries import EQUAL_AREA, import_boundaries, read_boundary_file
from etl.crs import gcj02_to_wgs84, wgs84_to_gcj02
from geo.errors import InvalidInput


def geometry_of(session, code: str, table: str = "region"):
    wkb = session.execute(sa.text(f"SELECT ST_AsBinary(geom) FROM {table} WHERE code = :c"), {"c": code}).scalar()
    return None if wkb is None else shapely.from_wkb(bytes(wkb))


def halves(polygon):
    """West and east parts of a polygon, split at its centroid's longitude."""
    minx, miny, maxx, maxy = polygon.bounds
    cx = polygon.centroid.x
    return polygon.intersection(shapely.box(minx - 1, miny - 1, cx, maxy + 1)), \
        polygon.intersection(shapely.box(cx, miny - 1, maxx + 1, maxy + 1))


def townships(session, county: str, n: int = 3) -> list[tuple[str, str]]:
    return session.execute(sa.text("SELECT code, name FROM region WHERE parent_code = :c ORDER BY code LIMIT :n"),
                           {"c": county, "n": n}).all()


def frame(rows: list[dict], crs=4326) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def metres(a, b) -> float:
    """Hausdorff distance between two lon/lat geometries, in metres."""
    pa, pb = gpd.GeoSeries([a, b], crs=4326).to_crs(EQUAL_AREA).values
    return shapely.hausdorff_distance(pa, pb)


def test_townships_by_code_from_geojson(session, tmp_path):
    county = geometry_of(session, "411502")
    (t1, n1), (t2, n2) = townships(session, "411502", 2)
    west, east = halves(county)
    path = tmp_path / "乡镇.geojson"
    frame([{"代码": t1, "名称": n1, "geometry": west}, {"代码": t2, "名称": n2, "geometry": east}]).to_file(path, driver="GeoJSON")
    report = import_boundaries(path, session, "township")
    assert (report.matched, report.written, report.history) == (2, 2, 0) and not report.outside and not report.overlaps
    stored = geometry_of(session, t1)
    assert metres(stored, west) < 0.5
    assert session.execute(sa.text("SELECT geom_source FROM region WHERE code = :c"), {"c": t2}).scalar() == "official"
    assert any("未检查缝隙" in note for note in report.notes)  # the county's other townships have no geometry yet
    batch = session.execute(sa.text("SELECT kind, counts FROM import_batch WHERE id = :id"), {"id": report.batch_id}).one()
    assert batch.kind == "boundaries" and batch.counts["written"] == 2


def test_names_within_the_parent_and_ambiguous_names(session, tmp_path):
    county = geometry_of(session, "411502")
    west, east = halves(county)
    path = tmp_path / "names.geojson"
    frame([{"名称": "民权街道", "县区": "浉河区", "geometry": west},
           {"名称": "老城街道", "geometry": east},
           {"名称": "不存在镇", "geometry": east}]).to_file(path, driver="GeoJSON")
    report = import_boundaries(path, session, "township", dry_run=True)
    assert report.matched == 1, report.refused
    assert len(report.ambiguous) == 1 and "411502001000" in report.ambiguous[0] and "411526" in report.ambiguous[0]
    assert any("找不到名为“不存在镇”" in r for r in report.refused)


def test_invalid_polygons_are_repaired_or_refused(session, tmp_path):
    county = geometry_of(session, "411502")
    (t1, _), (t2, _) = townships(session, "411502", 2)
    c = county.representative_point()
    d = 0.01
    bowtie = shapely.Polygon([(c.x - d, c.y - d), (c.x + d, c.y + d), (c.x + d, c.y - d), (c.x - d, c.y + d)])
    flat = shapely.Polygon([(c.x, c.y), (c.x + d, c.y + d), (c.x + 2 * d, c.y + 2 * d), (c.x, c.y)])
    assert not bowtie.is_valid and flat.area < 1e-12
    path = tmp_path / "bad.geojson"
    frame([{"code": t1, "geometry": bowtie}, {"code": t2, "geometry": flat},
           {"code": "411502999000", "geometry": bowtie}]).to_file(path, driver="GeoJSON")
    report = import_boundaries(path, session, "township")
    assert len(report.repaired) == 2 and "自相交" in report.repaired[0] and t1 in report.repaired[0]
    assert report.matched == 1, report.refused
    assert any(t2 in r and "面积为零" in r and "无法修复" in r for r in report.refused)
    assert any("411502999000" in r and "不在区划目录中" in r for r in report.refused)
    stored = geometry_of(session, t1)
    assert stored.is_valid and len(shapely.get_parts(stored)) == 2
    assert geometry_of(session, t2) is None


def test_a_township_spilling_into_the_next_county_is_refused(session, tmp_path):
    county = geometry_of(session, "411502")
    (t1, n1), (t2, n2) = townships(session, "411502", 2)
    west, east = halves(county)
    spilling = east.buffer(0.03)  # about 3 km past the county line, into 平桥区
    path = tmp_path / "spill.geojson"
    frame([{"code": t1, "name": n1, "geometry": west}, {"code": t2, "name": n2, "geometry": spilling}]).to_file(
        path, driver="GeoJSON")
    report = import_boundaries(path, session, "township", tolerance=20)
    assert len(report.outside) == 1 and t2 in report.outside[0] and "超出上级 浉河区" in report.outside[0]
    assert "伸入" in report.outside[0] and "平桥区" in report.outside[0]
    assert report.written == 1 and geometry_of(session, t2) is None and geometry_of(session, t1) is not None
    within = tmp_path / "within.geojson"
    frame([{"code": t2, "geometry": east.buffer(0.00002)}]).to_file(within, driver="GeoJSON")  # ~2 m over the line
    assert not import_boundaries(within, session, "township", tolerance=5, dry_run=True).outside
    assert import_boundaries(within, session, "township", tolerance=0, dry_run=True).outside


def test_a_shapefile_without_prj_needs_crs(session, tmp_path):
    county = geometry_of(session, "411502")
    (t1, n1), _ = townships(session, "411502", 2)
    west, _ = halves(county)
    folder = tmp_path / "shp"
    folder.mkdir()
    frame([{"DM": t1, "MC": n1, "geometry": west}], crs=4490).to_file(folder / "xz.shp")
    (folder / "xz.prj").unlink()
    archive = tmp_path / "xz.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            z.write(part, part.name)
    with pytest.raises(InvalidInput, match="没有坐标系信息.*--crs"):
        import_boundaries(archive, session, "township")
    report = import_boundaries(archive, session, "township", crs="EPSG:4490")
    assert report.written == 1 and metres(geometry_of(session, t1), west) < 1.0


@pytest.mark.parametrize("epsg,suffix", [(4547, ".gpkg"), (4526, ".zip"), (4490, ".geojson")])
def test_projected_and_geographic_crs_are_transformed(session, tmp_path, epsg, suffix):
    county = geometry_of(session, "411502")
    (t1, _), _ = townships(session, "411502", 2)
    west, _ = halves(county)
    projected = frame([{"code": t1, "geometry": west}]).to_crs(epsg)
    if suffix == ".zip":
        folder = tmp_path / "shp"
        folder.mkdir()
        projected.to_file(folder / "a.shp")
        path = tmp_path / "a.zip"
        with zipfile.ZipFile(path, "w") as z:
            for part in folder.iterdir():
                z.write(part, part.name)
    else:
        path = tmp_path / f"a{suffix}"
        projected.to_file(path)
    assert read_boundary_file(path).features.crs.to_epsg() == 4326
    import_boundaries(path, session, "township")
    assert metres(geometry_of(session, t1), west) < 1.0


def test_gcj02_is_converted_back_to_wgs84(session, tmp_path):
    county = geometry_of(session, "411502")
    (t1, _), _ = townships(session, "411502", 2)
    west, _ = halves(county)
    shifted = shapely.transform(west, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    assert metres(shifted, west) > 100  # GCJ-02 moves Xinyang by a few hundred metres
    path = tmp_path / "gcj.geojson"
    frame([{"code": t1, "geometry": shifted}]).to_file(path, driver="GeoJSON")
    import_boundaries(path, session, "township", crs="gcj02", tolerance=10)
    assert metres(geometry_of(session, t1), west) < 0.05
    lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(np.array([114.07, 115.2]), np.array([32.12, 31.8])))
    assert np.allclose(lon, [114.07, 115.2], atol=1e-9) and np.allclose(lat, [32.12, 31.8], atol=1e-9)


def test_a_dry_run_writes_nothing(session, tmp_path):
    county = geometry_of(session, "411502")
    (t1, _), _ = townships(session, "411502", 2)
    path = tmp_path / "d.geojson"
    frame([{"code": t1, "geometry": halves(county)[0]}]).to_file(path, driver="GeoJSON")
    report = import_boundaries(path, session, "township", dry_run=True)
    assert report.matched == 1 and report.written == 0 and "预检" in report.summary()
    assert geometry_of(session, t1) is None
    assert session.execute(sa.text("SELECT count(*) FROM import_batch")).scalar() == 0


def test_new_grid_cells_are_created_under_known_villages(session, tmp_path):
    village = session.execute(sa.text("SELECT code FROM region WHERE level = 'village' AND code LIKE '411502%' ORDER BY code"
                                      " LIMIT 1")).scalar()
    county = geometry_of(session, "411502")
    c = county.representative_point()
    cell = shapely.box(c.x, c.y, c.x + 0.005, c.y + 0.005)
    path = tmp_path / "grid.geojson"
    frame([{"网格编码": village + "001", "网格名称": "第一网格", "geometry": cell},
           {"网格编码": "411502999999001", "geometry": cell}]).to_file(path, driver="GeoJSON")
    report = import_boundaries(path, session, "grid")
    assert (report.created, report.written) == (1, 1) and any("411502999999001" in r for r in report.refused)
    row = session.execute(sa.text("SELECT name, village_code, geom_source FROM grid_cell WHERE code = :c"),
                          {"c": village + "001"}).one()
    assert tuple(row) == ("第一网格", village, "official")


def two_cell_village(demo_session):
    return demo_session.execute(sa.text(
        "SELECT village_code, array_agg(code ORDER BY code) FROM grid_cell GROUP BY village_code"
        " HAVING count(*) = 2 ORDER BY village_code LIMIT 1")).one()


def test_replacing_illustrative_grid_cells_keeps_history_and_relinks_households(demo_session, tmp_path):
    village, (a, b) = two_cell_village(demo_session)
    union = shapely.union_all([geometry_of(demo_session, a, "grid_cell"), geometry_of(demo_session, b, "grid_cell")])
    new_a, new_b = halves(union)
    expected = demo_session.execute(sa.text(
        "SELECT count(*) FROM household WHERE (grid_code = :b AND ST_Covers(ST_GeomFromWKB(:na, 4326), geom)"
        " AND NOT ST_Covers(ST_GeomFromWKB(:nb, 4326), geom))"
        " OR (grid_code = :a AND ST_Covers(ST_GeomFromWKB(:nb, 4326), geom) AND NOT ST_Covers(ST_GeomFromWKB(:na, 4326), geom))"
    ), {"a": a, "b": b, "na": shapely.to_wkb(new_a), "nb": shapely.to_wkb(new_b)}).scalar()
    assert expected > 0
    path = tmp_path / "cells.geojson"
    frame([{"code": a, "geometry": new_a}, {"code": b, "geometry": new_b}]).to_file(path, driver="GeoJSON")
    report = import_boundaries(path, demo_session, "grid")
    assert report.history == 2 and report.relinked["住户"] == expected
    assert not report.overlaps and not report.gaps and not report.outside
    history = demo_session.execute(sa.text("SELECT code, geom_source FROM boundary_history ORDER BY code")).all()
    assert [tuple(h) for h in history] == [(a, "illustrative"), (b, "illustrative")]
    misplaced = demo_session.execute(sa.text(
        "SELECT count(*) FROM household h JOIN grid_cell g ON g.code = h.grid_code"
        " WHERE h.grid_code IN (:a, :b) AND NOT ST_Covers(g.geom, h.geom)"), {"a": a, "b": b}).scalar()
    assert misplaced == 0
    households = demo_session.execute(sa.text(
        "SELECT sum(households) FROM grid_cell_households WHERE grid_code IN (:a, :b)"), {"a": a, "b": b}).scalar()
    assert households == demo_session.execute(sa.text(
        "SELECT count(*) FROM household WHERE grid_code IN (:a, :b)"), {"a": a, "b": b}).scalar()


def test_overlaps_and_gaps_between_siblings_are_reported(demo_session, tmp_path):
    village, (a, b) = two_cell_village(demo_session)
    cell_a, cell_b = geometry_of(demo_session, a, "grid_cell"), geometry_of(demo_session, b, "grid_cell")
    overlapping = tmp_path / "overlap.geojson"
    frame([{"code": a, "geometry": cell_a.union(cell_b)}, {"code": b, "geometry": cell_b}]).to_file(overlapping)
    report = import_boundaries(overlapping, demo_session, "grid", dry_run=True)
    assert len(report.overlaps) == 1 and a in report.overlaps[0] and b in report.overlaps[0]
    shrunk = tmp_path / "gap.geojson"
    frame([{"code": a, "geometry": cell_a.buffer(-0.002)}, {"code": b, "geometry": cell_b}]).to_file(shrunk)
    report = import_boundaries(shrunk, demo_session, "grid", dry_run=True, tolerance=5)
    assert len(report.gaps) >= 1 and f"上级 {village}" in report.gaps[0] and a in report.gaps[0]
    assert not report.overlaps


def test_replacing_an_illustrative_township_keeps_the_previous_one(demo_session, tmp_path):
    code = demo_session.execute(sa.text(
        "SELECT code FROM region WHERE level = 'township' AND geom_source = 'illustrative' ORDER BY code LIMIT 1")).scalar()
    before = geometry_of(demo_session, code)
    path = tmp_path / "t.geojson"
    frame([{"code": code, "geometry": before.buffer(-0.001)}]).to_file(path)
    report = import_boundaries(path, demo_session, "township")
    assert report.history == 1
    kept = demo_session.execute(sa.text("SELECT ST_AsBinary(geom), geom_source FROM boundary_history WHERE code = :c"),
                                {"c": code}).one()
    assert kept.geom_source == "illustrative" and shapely.from_wkb(bytes(kept[0])).equals(before)


def test_the_boundaries_command(fresh_db_url, tmp_path):
    from dashboard.cli import main
    from geo import db

    engine = db.make_engine(fresh_db_url)
    with db.session_factory(engine)() as session:
        county = geometry_of(session, "411502")
        (t1, _), _ = townships(session, "411502", 2)
    path = tmp_path / "t.geojson"
    frame([{"code": t1, "geometry": halves(county)[0]}]).to_file(path)
    env = {"DATABASE_URL": fresh_db_url.render_as_string(hide_password=False)}
    dry = CliRunner().invoke(main, ["import", "boundaries", str(path), "--level", "township", "--dry-run"], env=env)
    assert dry.exit_code == 0 and "预检" in dry.output and "匹配 1 个" in dry.output
    done = CliRunner().invoke(main, ["import", "boundaries", str(path), "--level", "township"], env=env)
    assert done.exit_code == 0 and "已写入 1 个" in done.output
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT geom_source FROM region WHERE code = :c"), {"c": t1}).scalar() == "official"
    engine.dispose()
