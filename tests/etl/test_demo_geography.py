"""The illustrative partitions tile their parents exactly, checked in PostGIS per level."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from etl.demo.geography import build_geography
from etl.reference import unit_rows

AREA_TOLERANCE = 1e-9
"""Relative area of gap, overlap or escape allowed: floating-point noise, nothing visible."""

TILING_CHECKS = {
    # children's union against the parent: symmetric difference, relative to the parent's area
    "gap_or_excess": """
        SELECT p.code, ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))) / ST_Area(p.geom) AS bad
        FROM parents p JOIN children c ON c.parent = p.code GROUP BY p.code, p.geom""",
    # siblings whose interiors overlap: area of the overlap, relative to the smaller sibling
    "overlap": """
        SELECT a.code, ST_Area(ST_Intersection(a.geom, b.geom)) / LEAST(ST_Area(a.geom), ST_Area(b.geom)) AS bad
        FROM children a JOIN children b ON a.parent = b.parent AND a.code < b.code AND a.geom && b.geom
        WHERE ST_Relate(a.geom, b.geom, '2********')""",
    # children that leave their parent
    "escape": """
        SELECT c.code, ST_Area(ST_Difference(c.geom, p.geom)) / ST_Area(c.geom) AS bad
        FROM children c JOIN parents p ON p.code = c.parent""",
}


def assert_tiles(session, parents_sql: str, children_sql: str) -> int:
    """Run every tiling check on (code, geom) parents and (code, parent, geom) children; returns #children."""
    session.execute(sa.text(f"CREATE TEMP TABLE parents ON COMMIT DROP AS {parents_sql}"))
    session.execute(sa.text(f"CREATE TEMP TABLE children ON COMMIT DROP AS {children_sql}"))
    for name, query in TILING_CHECKS.items():
        worst = session.execute(sa.text(f"SELECT code, bad FROM ({query}) q ORDER BY bad DESC LIMIT 1")).first()
        assert worst is None or worst.bad < AREA_TOLERANCE, f"{name}: {worst}"
    invalid = session.execute(sa.text("SELECT count(*) FROM children WHERE NOT ST_IsValid(geom)")).scalar()
    assert invalid == 0
    n = session.execute(sa.text("SELECT count(*) FROM children")).scalar()
    session.execute(sa.text("DROP TABLE parents; DROP TABLE children"))
    return n


@pytest.mark.parametrize("parents, children, expected", [
    ("SELECT code, geom FROM region WHERE level = 'county' AND code IN ('411502', '411522')",
     "SELECT code, parent_code AS parent, geom FROM region WHERE level = 'township' AND geom IS NOT NULL", 38),
    ("SELECT code, geom FROM region WHERE level = 'township' AND geom IS NOT NULL",
     "SELECT code, parent_code AS parent, geom FROM region WHERE level = 'village' AND geom IS NOT NULL", 634),
    ("SELECT code, geom FROM region WHERE level = 'village' AND geom IS NOT NULL",
     "SELECT code, village_code AS parent, geom FROM grid_cell", None),
])
def test_demo_partitions_tile_each_level(demo_session, parents, children, expected):
    n = assert_tiles(demo_session, parents, children)
    assert n == expected if expected else n > 634


def test_the_high_tech_zone_is_carved_out_of_pingqiao(session):
    """411571 gets an illustrative area inside 平桥区; together with 平桥's townships it tiles 平桥区."""
    units = pd.DataFrame(unit_rows())
    counties = gpd.read_postgis(sa.text("SELECT code, geom FROM region WHERE code = '411503'"),
                                session.connection(), geom_col="geom").rename_geometry("geometry")
    geography = build_geography(counties, units, ["411503", "411571"])
    assert list(geography.zone["code"]) == ["411571"]
    frames = [
        geography.townships.assign(parent=lambda f: f["code"].str[:6].map({"411503": "411503", "411571": "zone"})),
        geography.zone.assign(parent="411503"),
    ]
    rows = pd.concat(frames)
    session.execute(sa.text("CREATE TEMP TABLE generated (code text, parent text, geom geometry) ON COMMIT DROP"))
    session.execute(sa.text("INSERT INTO generated VALUES (:code, :parent, ST_GeomFromWKB(decode(:wkb, 'hex'), 4326))"),
                    [{"code": c, "parent": p, "wkb": shapely.to_wkb(g, hex=True)}
                     for c, p, g in zip(rows["code"], rows["parent"], rows.geometry)])
    # 平桥区 = its 30 townships + the zone; the zone = its two townships
    assert assert_tiles(session, "SELECT code, geom FROM region WHERE code = '411503'",
                        "SELECT code, parent, geom FROM generated WHERE parent = '411503'") == 31
    assert assert_tiles(session, "SELECT 'zone' AS code, geom FROM generated WHERE code = '411571'",
                        "SELECT code, parent, geom FROM generated WHERE parent = 'zone'") == 2


def test_generated_boundaries_are_labelled_illustrative(demo_session):
    sources = dict(demo_session.execute(sa.text(
        "SELECT level, array_agg(DISTINCT geom_source) FROM region WHERE geom IS NOT NULL GROUP BY level"
    )).all())
    assert sources == {"county": ["official"], "township": ["illustrative"], "village": ["illustrative"]}
    cell_sources = demo_session.execute(sa.text("SELECT array_agg(DISTINCT geom_source) FROM grid_cell")).scalar()
    assert cell_sources == ["illustrative"]


def test_grid_cells_are_sized_like_real_ones(demo_session):
    """Rural villages: one to three cells; urban communities: several."""
    per_village = dict(demo_session.execute(sa.text(
        "SELECT r.kind, array_agg(n) FROM (SELECT village_code, count(*) AS n FROM grid_cell GROUP BY 1) c"
        " JOIN region r ON r.code = c.village_code GROUP BY r.kind"
    )).all())
    assert max(per_village["village"]) <= 3 and min(per_village["village"]) >= 1
    assert min(per_village["community"]) >= 2
