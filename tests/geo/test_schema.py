"""The migrated schema: equal to the models, spatially indexed, and guarding its own invariants."""

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from geo import migrate
from geo.models import Base


def test_migrated_schema_matches_models(engine):
    assert migrate.revision_of(engine) == migrate.head()
    assert migrate.schema_drift(engine) == []


def test_every_spatial_column_is_srid_4326_with_a_gist_index(session):
    columns = session.execute(sa.text(
        "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns WHERE f_table_schema = 'public'"
    )).all()
    model_columns = {
        (table.name, column.name) for table in Base.metadata.tables.values() for column in table.columns
        if column.type.__class__.__name__ == "Geometry"
    }
    assert {(t, c) for t, c, _ in columns} == model_columns
    assert {srid for *_, srid in columns} == {4326}
    for table, column, _ in columns:
        indexed = session.execute(sa.text(
            "SELECT count(*) FROM pg_indexes WHERE tablename = :t AND indexdef ILIKE '%USING gist%' "
            "AND indexdef LIKE '%(' || :c || ')%'"
        ), {"t": table, "c": column}).scalar()
        assert indexed == 1, f"{table}.{column} has no GiST index"


@pytest.mark.parametrize("statement", [
    "UPDATE region SET level = 'planet' WHERE code = '411502'",
    "UPDATE region SET kind = '县' WHERE code = '411502'",
    "UPDATE region SET geom_source = 'official', geom = NULL WHERE code = '411571'",
    "INSERT INTO grid_cell (code, name, village_code) VALUES ('411502001003001', 'x', '411502001001')",
    "INSERT INTO region (code, name, level, kind) VALUES ('4115', 'x', 'county', 'county')",
])
def test_database_refuses_invalid_values(session, statement):
    with pytest.raises(IntegrityError):
        session.execute(sa.text(statement))
        session.flush()


def _grid_with_household_and_members(session):
    session.execute(sa.text(
        "INSERT INTO grid_cell (code, name, village_code) VALUES ('411502001001001', '测试网格', '411502001001')"
    ))
    household = session.execute(sa.text(
        "INSERT INTO household (grid_code, geom, size, head_name, source) VALUES "
        "('411502001001001', ST_SetSRID(ST_Point(114.07, 32.12), 4326), 3, '张三', 'demo') RETURNING id"
    )).scalar()
    members = session.execute(sa.text(
        "INSERT INTO party_member (grid_code, name, source) VALUES "
        "('411502001001001', '李四', 'demo'), ('411502001001001', '王五', 'demo') RETURNING id"
    )).scalars().all()
    return household, members


def test_generated_codes_follow_the_grid_code(session):
    household, _ = _grid_with_household_and_members(session)
    row = session.execute(sa.text("SELECT county_code, township_code FROM household WHERE id = :id"),
                          {"id": household}).one()
    assert tuple(row) == ("411502", "411502001000")


def test_database_forbids_two_active_links_for_one_household(session):
    household, (first, second) = _grid_with_household_and_members(session)
    link = sa.text("INSERT INTO member_household_link (member_id, household_id, valid_from, assigned_by) "
                   "VALUES (:m, :h, :t, 'test')")
    session.execute(link, {"m": first, "h": household, "t": datetime(2024, 1, 1, tzinfo=timezone.utc)})
    with pytest.raises(IntegrityError, match="one_active_link_per_household"):
        with session.begin_nested():
            session.execute(link, {"m": second, "h": household, "t": datetime(2024, 6, 1, tzinfo=timezone.utc)})
    # Closing the first link makes room for the second: history is kept, never two at once.
    session.execute(sa.text("UPDATE member_household_link SET valid_to = '2024-06-01' WHERE household_id = :h"),
                    {"h": household})
    session.execute(link, {"m": second, "h": household, "t": datetime(2024, 6, 1, tzinfo=timezone.utc)})
    assert session.execute(sa.text("SELECT count(*) FROM member_household_link WHERE household_id = :h"),
                           {"h": household}).scalar() == 2


def test_collective_is_derived_from_head_count(session):
    _grid_with_household_and_members(session)
    rows = session.execute(sa.text(
        "INSERT INTO petition (ref_no, origin_grid_code, category, channel, domain, is_first, head_count,"
        " lodged_level, status, received_on, source) VALUES"
        " ('T1', '411502001001001', 'complaint_request', 'visit', 'labour_social_security', true, 4, 'county', 'received', '2024-01-02', 'demo'),"
        " ('T2', '411502001001001', 'complaint_request', 'visit', 'labour_social_security', true, 5, 'county', 'received', '2024-01-02', 'demo')"
        " RETURNING is_collective"
    )).scalars().all()
    assert rows == [False, True]
