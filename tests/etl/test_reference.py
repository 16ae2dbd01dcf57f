"""The reference geography loaded through the same code as a user's boundary files."""

import sqlalchemy as sa

from etl.reference import load_reference


def test_catalogue_has_every_unit(session):
    counts = dict(session.execute(sa.text("SELECT level, count(*) FROM region GROUP BY level")).all())
    assert counts == {"city": 1, "county": 11, "township": 224, "village": 3474}
    names = dict(session.execute(sa.text("SELECT code, name FROM region WHERE level = 'county'")).all())
    assert names["411525"] == "固始县" and names["411571"] == "信阳高新技术产业开发区"


def test_county_polygons_are_official_valid_and_plausible(session):
    rows = session.execute(sa.text(
        "SELECT code, geom_source, ST_IsValid(geom), ST_Area(geom::geography) / 1e6 FROM region"
        " WHERE level = 'county' ORDER BY code"
    )).all()
    with_geom = {code: (src, valid, km2) for code, src, valid, km2 in rows if src is not None}
    assert len(with_geom) == 10 and "411571" not in with_geom
    assert all(src == "official" and valid for src, valid, _ in with_geom.values())
    assert 2800 < with_geom["411525"][2] < 3100  # 固始县, about 2,946 km²
    assert 18000 < sum(km2 for *_, km2 in with_geom.values()) < 19500  # the city, about 18,915 km²


def test_every_unit_hangs_from_its_parent_by_code(session):
    orphans = session.execute(sa.text(
        "SELECT count(*) FROM region WHERE level IN ('township', 'village')"
        " AND left(code, CASE level WHEN 'township' THEN 6 ELSE 9 END)"
        " <> left(parent_code, CASE level WHEN 'township' THEN 6 ELSE 9 END)"
    )).scalar()
    assert orphans == 0


def test_reloading_keeps_an_imported_official_boundary(session):
    session.execute(sa.text(
        "UPDATE region SET geom = ST_Multi(ST_Buffer(ST_SetSRID(ST_Point(114, 32), 4326), 0.1)),"
        " geom_source = 'official' WHERE code = '411571'"
    ))
    before = session.execute(sa.text("SELECT ST_AsText(geom) FROM region WHERE code = '411502'")).scalar()
    load_reference(session)
    assert session.execute(sa.text("SELECT geom IS NOT NULL FROM region WHERE code = '411571'")).scalar()
    assert session.execute(sa.text("SELECT ST_AsText(geom) FROM region WHERE code = '411502'")).scalar() == before
