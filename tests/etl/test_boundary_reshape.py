"""Official boundaries reshape the illustrative units inside and around them, and records follow their points."""

from __future__ import annotations

import math

import pytest
import shapely
import sqlalchemy as sa

from etl.boundaries import import_boundaries
from etl.boundary_reshape import retile
from etl.progress import BOUNDARY_PHASES
from geo.errors import Forbidden
from tests.etl.test_boundary_import import frame, geometry_of

TOLERANCE_M2 = 1.0


def tiling(session, table: str, where: str, params: dict, polygon) -> tuple[float, float]:
    """(m² of the symmetric difference between the units' union and ``polygon``, m² of overlaps between the units).

    Measured in lon/lat and scaled at the polygon's latitude: the units share the polygon's straight edges in
    lon/lat, and projecting would bend those edges away from the vertices that lie on them."""
    wkbs = session.execute(sa.text(f"SELECT ST_AsBinary(geom) FROM {table} WHERE {where} AND geom IS NOT NULL"),
                           params).scalars().all()
    units = shapely.from_wkb([bytes(w) for w in wkbs])
    left, right = shapely.STRtree(units).query(units, predicate="intersects")
    pairs = left < right
    overlaps = shapely.area(shapely.intersection(units[left[pairs]], units[right[pairs]])).sum()
    difference = shapely.symmetric_difference(shapely.union_all(units), polygon).area
    m2 = 111_320.0 ** 2 * math.cos(math.radians(polygon.centroid.y))
    return float(difference * m2), float(overlaps * m2)


def assignments(session) -> dict[str, dict[int, str]]:
    """Each record's grid cell, per table."""
    return {table: dict(session.execute(sa.text(f"SELECT id, {column} FROM {table}")).all())
            for table, column in (("household", "grid_code"), ("party_member", "grid_code"), ("dispute", "grid_code"),
                                  ("petition", "origin_grid_code"), ("risk_event", "grid_code"))}


def moved(before: dict, after: dict) -> dict[str, int]:
    return {table: sum(after[table][i] != cell for i, cell in rows.items()) for table, rows in before.items()}


def village_with_cells(session, n: int = 3) -> tuple[str, str, list[str]]:
    """An illustrative village of 411502 with at least ``n`` illustrative cells: (village, township, cells)."""
    village, township = session.execute(sa.text(
        "SELECT v.code, v.parent_code FROM region v JOIN grid_cell g ON g.village_code = v.code"
        " WHERE v.code LIKE '411502%' AND v.geom_source = 'illustrative' GROUP BY v.code"
        " HAVING count(*) >= :n ORDER BY count(*) DESC, v.code LIMIT 1"), {"n": n}).one()
    cells = session.execute(sa.text("SELECT code FROM grid_cell WHERE village_code = :v ORDER BY code"),
                            {"v": village}).scalars().all()
    return village, township, cells


def reshaped_village(session, village: str, township: str):
    """The village grown by about 200 m (inside its township) and cut back on its eastern third."""
    old, parent = geometry_of(session, village), geometry_of(session, township)
    minx, miny, maxx, maxy = old.bounds
    cut = shapely.box(maxx - (maxx - minx) / 3, miny - 1, maxx + 1, maxy + 1)
    new = shapely.difference(shapely.intersection(old.buffer(0.002), parent), cut)
    return max(shapely.get_parts(new), key=lambda p: p.area)


def test_retile_clips_fills_and_keeps_official_units():
    cells = {"a": shapely.box(0, 0, 1, 2), "b": shapely.box(1, 0, 2, 1), "c": shapely.box(1, 1, 2, 2),
             "far": shapely.box(5, 5, 6, 6)}
    village = shapely.Polygon([(-0.3, 0.2), (1.5, -0.4), (2.5, 1.2), (1.2, 1.8), (0, 2)])
    official = shapely.box(1.2, 0, 1.7, 0.6)
    out = retile(village, [official], cells)
    assert out["far"] is None
    pieces = [g for g in out.values() if g is not None]
    union = shapely.union_all([*pieces, official])
    assert shapely.symmetric_difference(union, village).area < 1e-9
    assert sum(p.area for p in pieces) == pytest.approx(shapely.difference(village, official).area, abs=1e-9)
    assert out["a"].contains(shapely.Point(-0.2, 0.5)) and out["b"].contains(shapely.Point(1.9, 0.8))


def test_a_new_village_boundary_reshapes_its_cells_and_relinks_records(demo_session, tmp_path):
    village, township, cells = village_with_cells(demo_session)
    new = reshaped_village(demo_session, village, township)
    official = dict(demo_session.execute(sa.text("SELECT code, ST_AsBinary(geom) FROM grid_cell"
                                                 " WHERE geom_source = 'official'")).all())
    before = assignments(demo_session)
    path = tmp_path / "村界.gpkg"
    frame([{"村代码": village, "村名": "新村", "geometry": new}]).to_file(path, driver="GPKG")
    heard: list[tuple[str, int, int]] = []
    report = import_boundaries(path, demo_session, "village", progress=lambda *step: heard.append(step))
    assert report.written == 1 and not report.outside
    assert list(dict.fromkeys(phase for phase, _, _ in heard)) == list(BOUNDARY_PHASES)
    assert [(d, t) for p, d, t in heard if p == "relink"] == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert ("write", 1, 1) in heard and all(d <= t for _, d, t in heard if t)
    assert report.reshaped["grid"] >= len(cells) // 2 and report.reshaped["village"] >= 1  # neighbours gave way
    codes = demo_session.execute(sa.text("SELECT code FROM grid_cell WHERE village_code = :v ORDER BY code"),
                                 {"v": village}).scalars().all()
    assert codes == cells  # codes are stable
    assert max(tiling(demo_session, "grid_cell", "village_code = :v", {"v": village}, new)) < TOLERANCE_M2
    siblings = "level = 'village' AND parent_code = :t"
    assert max(tiling(demo_session, "region", siblings, {"t": township}, geometry_of(demo_session, township))) < TOLERANCE_M2
    for neighbour in report_villages(demo_session, report.batch_id):
        cover = geometry_of(demo_session, neighbour)
        assert max(tiling(demo_session, "grid_cell", "village_code = :v", {"v": neighbour}, cover)) < TOLERANCE_M2, neighbour
    after = assignments(demo_session)
    counts = moved(before, after)
    assert counts["household"] > 0 and counts["household"] == report.relinked["住户"]
    assert counts["party_member"] == report.relinked["党员"] and counts["dispute"] == report.relinked["纠纷"]
    assert counts["petition"] == report.relinked["信访"] and counts["risk_event"] == report.relinked["风险事件"]
    assert f"重新归属：住户 {counts['household']:,} 户，党员 {counts['party_member']:,} 名" in report.summary()
    misplaced = demo_session.execute(sa.text(
        "SELECT count(*) FROM household h JOIN grid_cell g ON g.code = h.grid_code WHERE NOT ST_Covers(g.geom, h.geom)"
        " AND EXISTS (SELECT 1 FROM grid_cell o WHERE ST_Covers(o.geom, h.geom))")).scalar()
    assert misplaced == 0
    assert all(after["household"][i] == c for i, c in before["household"].items() if not c.startswith("411502"))
    assert official == dict(demo_session.execute(sa.text("SELECT code, ST_AsBinary(geom) FROM grid_cell"
                                                         " WHERE geom_source = 'official'")).all())
    households = demo_session.execute(sa.text(
        "SELECT sum(households) FROM grid_cell_households WHERE left(grid_code, 12) = :v"), {"v": village}).scalar()
    assert households == demo_session.execute(sa.text(
        "SELECT count(*) FROM household WHERE left(grid_code, 12) = :v"), {"v": village}).scalar()
    history = demo_session.execute(sa.text("SELECT count(*) FROM boundary_history WHERE batch_id = :b AND level = 'grid'"),
                                   {"b": report.batch_id}).scalar()
    assert history == report.reshaped["grid"] + sum(len(c) == 15 for c in report.cleared)


def report_villages(session, batch: int) -> list[str]:
    """The villages an import reshaped (from their history rows)."""
    return session.execute(sa.text("SELECT code FROM boundary_history WHERE batch_id = :b AND level = 'village'"
                                   " AND code IN (SELECT code FROM region WHERE geom IS NOT NULL)"), {"b": batch}).scalars().all()


def test_official_cells_are_never_reshaped(demo_session, tmp_path):
    village, township, cells = village_with_cells(demo_session)
    first = geometry_of(demo_session, cells[0], "grid_cell")
    kept = first.buffer(-0.0003)
    path = tmp_path / "网格.geojson"
    frame([{"网格编码": cells[0], "geometry": kept}]).to_file(path, driver="GeoJSON")
    report = import_boundaries(path, demo_session, "grid")
    assert set(report.reshaped) == {"grid"} and report.reshaped["grid"] >= 1  # the neighbours grew into the ring
    assert max(tiling(demo_session, "grid_cell", "village_code = :v", {"v": village},
                                                geometry_of(demo_session, village))) < TOLERANCE_M2  # the others filled the ring
    official = geometry_of(demo_session, cells[0], "grid_cell")
    new = reshaped_village(demo_session, village, township)
    path = tmp_path / "村界.geojson"
    frame([{"code": village, "geometry": new}]).to_file(path, driver="GeoJSON")
    import_boundaries(path, demo_session, "village")
    assert geometry_of(demo_session, cells[0], "grid_cell").equals_exact(official, 0)
    free = shapely.difference(new, official)
    others = "village_code = :v AND geom_source = 'illustrative'"
    assert max(tiling(demo_session, "grid_cell", others, {"v": village}, free)) < TOLERANCE_M2


def test_a_township_replaced_over_illustrative_villages_reshapes_them_and_their_cells(demo_session, tmp_path):
    township = demo_session.execute(sa.text(
        "SELECT code FROM region WHERE level = 'township' AND code LIKE '411502%' ORDER BY code LIMIT 1")).scalar()
    new = geometry_of(demo_session, township).buffer(-0.002)
    new = max(shapely.get_parts(new), key=lambda p: p.area)
    path = tmp_path / "乡镇.geojson"
    frame([{"代码": township, "geometry": new}]).to_file(path, driver="GeoJSON")
    report = import_boundaries(path, demo_session, "township")
    assert report.reshaped["township"] >= 1 and report.reshaped["village"] >= 1 and report.reshaped["grid"] >= 1
    villages = "level = 'village' AND parent_code = :t"
    assert max(tiling(demo_session, "region", villages, {"t": township}, new)) < TOLERANCE_M2
    county = "level = 'township' AND parent_code = '411502'"
    assert max(tiling(demo_session, "region", county, {}, geometry_of(demo_session, "411502"))) < TOLERANCE_M2
    cells = "code LIKE :p"
    assert max(tiling(demo_session, "grid_cell", cells, {"p": township[:9] + "%"}, new)) < TOLERANCE_M2


def test_the_area_limits_what_a_supervisor_may_import(demo_session, tmp_path):
    village, township, cells = village_with_cells(demo_session)
    elsewhere = demo_session.execute(sa.text("SELECT code FROM grid_cell WHERE left(code, 9) <> :t ORDER BY code LIMIT 1"),
                                     {"t": township[:9]}).scalar()
    path = tmp_path / "网格.geojson"
    frame([{"code": cells[0], "geometry": geometry_of(demo_session, cells[0], "grid_cell")},
           {"code": elsewhere, "geometry": geometry_of(demo_session, elsewhere, "grid_cell")}]).to_file(path)
    report = import_boundaries(path, demo_session, "grid", within=township[:9], dry_run=True)
    assert report.matched == 1 and any(elsewhere in r and "不在您的管辖范围" in r for r in report.refused)
    with pytest.raises(Forbidden, match="只能导入本乡镇的网格边界"):
        import_boundaries(path, demo_session, "village", within=township[:9], dry_run=True)
    assert import_boundaries(path, demo_session, "grid", within="411502", dry_run=True).matched == 1 + elsewhere.startswith("411502")

