"""Row-level security, checked in SQL as the application role: each role reads and writes exactly its area.

The owner's counts (demo_session, a superuser that RLS does not apply to) are the reference.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from geo.access import Principal
from geo.db import APP_ROLE
from geo.enums import Role

COUNTY = "411522"          # 光山县, in the small demo
TOWNSHIP = "411502001000"  # 老城街道 (浉河区)
LEADER = Principal("leader", Role.LEADERSHIP)
REVIEWER = Principal("reviewer", Role.REVIEWER)
ADMIN = Principal("admin", Role.ADMIN)
COUNTY_SUPERVISOR = Principal("county", Role.COUNTY_SUPERVISOR, COUNTY)
TOWNSHIP_SUPERVISOR = Principal("township", Role.TOWNSHIP_SUPERVISOR, TOWNSHIP)

AREA_TABLES = {  # table → its region code column
    "household": "grid_code", "party_member": "grid_code", "dispute": "grid_code", "petition": "origin_grid_code",
    "risk_event": "grid_code", "screening_report": "unit_code", "backlog_case": "county_code",
    "demo_score": "county_code", "demo_county_status": "county_code",
}
PERSON_TABLES = {"household", "party_member"}
NOT_AREA_SCOPED = {
    "region", "grid_cell",         # the reference geography: boundaries and names, no records
    "boundary_history",            # replaced boundaries
    "app_user",                    # accounts (a supervisor's own region), read only for sign-in
    "import_batch", "import_quarantine",  # written by imports, which run as the owner after the page's checks
}
"""Tables with a region code column that carry no row-level policy, and why."""


def count(session, sql: str, **params) -> int:
    return session.execute(sa.text(sql), params).scalar()


def test_the_application_role_owns_nothing_and_cannot_bypass_rls(demo_session):
    role = demo_session.execute(sa.text(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}).one()
    assert tuple(role) == (False, False, False, False)
    owned = count(demo_session, "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
                                " WHERE r.rolname = :r", r=APP_ROLE)
    assert owned == 0


def test_every_table_with_a_region_code_is_forced_under_rls(demo_session):
    rows = demo_session.execute(sa.text(
        "SELECT DISTINCT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c"
        " JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped"
        " AND (a.attname LIKE '%grid_code' OR a.attname IN ('township_code', 'county_code', 'unit_code', 'region_code', 'code'))"
    )).all()
    scoped = {row.relname for row in rows if row.relrowsecurity and row.relforcerowsecurity}
    unscoped = {row.relname for row in rows} - scoped
    assert unscoped == NOT_AREA_SCOPED & {row.relname for row in rows}
    assert set(AREA_TABLES) <= scoped
    links = demo_session.execute(sa.text("SELECT relrowsecurity AND relforcerowsecurity FROM pg_class"
                                         " WHERE relname IN ('member_household_link', 'dispute_household')")).scalars().all()
    assert links == [True, True]


def test_without_a_scope_nothing_is_visible(as_user, demo_session):
    session = as_user(None)
    for table in [*AREA_TABLES, "member_household_link", "member_load"]:
        assert count(session, f"SELECT count(*) FROM {table}") == 0, table
    assert count(demo_session, "SELECT count(*) FROM household") > 0


@pytest.mark.parametrize("principal, prefix", [
    (LEADER, ""), (COUNTY_SUPERVISOR, COUNTY), (TOWNSHIP_SUPERVISOR, TOWNSHIP[:9]),
], ids=["leadership", "county", "township"])
def test_each_role_reads_exactly_its_area(as_user, demo_session, principal, prefix):
    session = as_user(principal)
    for table, column in AREA_TABLES.items():
        expected = count(demo_session, f"SELECT count(*) FROM {table} WHERE {column} LIKE :p", p=prefix + "%")
        assert count(session, f"SELECT count(*) FROM {table}") == expected, table
    expected_links = count(demo_session, "SELECT count(*) FROM member_household_link l JOIN household h"
                                         " ON h.id = l.household_id WHERE h.grid_code LIKE :p", p=prefix + "%")
    assert count(session, "SELECT count(*) FROM member_household_link") == expected_links > 0
    assert count(session, "SELECT count(*) FROM member_load") == count(
        demo_session, "SELECT count(*) FROM party_member WHERE grid_code LIKE :p", p=prefix + "%")
    # the township supervisor's area is not empty, and smaller than the county's
    assert count(session, "SELECT count(*) FROM household") > 0


def test_a_reviewer_reads_aggregates_but_no_people(as_user, demo_session):
    session = as_user(REVIEWER)
    for table in ("household", "party_member", "member_household_link", "member_load"):
        assert count(session, f"SELECT count(*) FROM {table}") == 0, table
    assert count(session, "SELECT count(*) FROM demo_score") == count(demo_session, "SELECT count(*) FROM demo_score") > 0
    assert count(as_user(ADMIN), "SELECT count(*) FROM dispute") == 0


def test_member_load_is_a_security_invoker_view(demo_session):
    options = demo_session.scalar(sa.text("SELECT reloptions FROM pg_class WHERE relname = 'member_load'"))
    assert "security_invoker=true" in options


def _insert_report(session, unit: str) -> None:
    session.execute(sa.text(
        "INSERT INTO screening_report (unit_code, kind, period_start, period_end, submitted_at, is_zero,"
        " disputes_found, source) VALUES (:u, 'weekly', '2031-01-06', '2031-01-12', now(), true, 0, 'entered')"
    ), {"u": unit})


def test_writes_need_the_write_scope_of_the_row(as_user):
    own = as_user(TOWNSHIP_SUPERVISOR)
    _insert_report(own, TOWNSHIP)  # allowed: inside the township
    with pytest.raises(DBAPIError, match="row-level security"):
        with own.begin_nested():
            _insert_report(own, "411502002000")  # the next township
    leader = as_user(LEADER)
    with pytest.raises(DBAPIError, match="row-level security"):
        with leader.begin_nested():  # leadership reads all and writes nothing
            _insert_report(leader, TOWNSHIP)


def test_a_supervisor_cannot_touch_links_outside_the_area(as_user, demo_session):
    outside = demo_session.execute(sa.text(
        "SELECT l.id, l.household_id, l.member_id FROM member_household_link l JOIN household h ON h.id = l.household_id"
        " WHERE l.valid_to IS NULL AND h.grid_code NOT LIKE :p LIMIT 1"), {"p": TOWNSHIP[:9] + "%"}).one()
    inside_member = demo_session.scalar(sa.text("SELECT id FROM party_member WHERE grid_code LIKE :p LIMIT 1"),
                                        {"p": TOWNSHIP[:9] + "%"})
    session = as_user(TOWNSHIP_SUPERVISOR)
    ended = session.execute(sa.text("UPDATE member_household_link SET valid_to = clock_timestamp() WHERE id = :id"),
                            {"id": outside.id})
    assert ended.rowcount == 0  # invisible, so untouched
    with pytest.raises(DBAPIError, match="row-level security"):
        with session.begin_nested():  # an outside household linked to one of the township's members
            session.execute(sa.text("INSERT INTO member_household_link (member_id, household_id, assigned_by)"
                                    " VALUES (:m, :h, 'township')"), {"m": inside_member, "h": outside.household_id})


def test_the_scope_lasts_one_transaction(demo_app_engine):
    from geo.access import apply_scope

    with demo_app_engine.connect() as connection:
        with connection.begin():
            apply_scope(connection, LEADER)
            assert connection.execute(sa.text("SELECT count(*) FROM household")).scalar() > 0
        with connection.begin():  # same connection, next transaction, no scope given: nothing
            assert connection.execute(sa.text("SELECT count(*) FROM household")).scalar() == 0


def test_a_members_load_counts_links_the_supervisor_cannot_see(fresh_demo_db_url):
    from geo import db
    from geo.access import apply_scope

    owner, app = db.make_engine(fresh_demo_db_url), db.make_engine(db.app_url(fresh_demo_db_url))
    with owner.begin() as conn:  # a county supervisor links a member of the township to a household next door
        member = conn.execute(sa.text("SELECT id FROM party_member WHERE grid_code LIKE :p ORDER BY id LIMIT 1"),
                              {"p": TOWNSHIP[:9] + "%"}).scalar()
        outside = conn.execute(sa.text(
            "SELECT h.id FROM household h WHERE h.grid_code NOT LIKE :p AND NOT EXISTS (SELECT 1 FROM"
            " member_household_link l WHERE l.household_id = h.id AND l.valid_to IS NULL) LIMIT 1"),
            {"p": TOWNSHIP[:9] + "%"}).scalar()
        total = conn.execute(sa.text("SELECT count(*) FROM member_household_link WHERE member_id = :m"
                                     " AND valid_to IS NULL"), {"m": member}).scalar()
        conn.execute(sa.text("INSERT INTO member_household_link (member_id, household_id, assigned_by)"
                             " VALUES (:m, :h, 'county')"), {"m": member, "h": outside})
    with app.begin() as conn:
        apply_scope(conn, TOWNSHIP_SUPERVISOR)
        visible = conn.execute(sa.text("SELECT count(*) FROM member_household_link WHERE member_id = :m"
                                       " AND valid_to IS NULL"), {"m": member}).scalar()
        load = conn.execute(sa.text("SELECT load FROM member_load WHERE member_id = :m"), {"m": member}).scalar()
    owner.dispose()
    app.dispose()
    assert (visible, load) == (total, total + 1)  # the row stays hidden; the count includes it


def test_everyone_writes_the_audit_log_and_only_administrators_read_it(as_user, demo_session):
    from geo.audit import record

    township = as_user(TOWNSHIP_SUPERVISOR)
    record(township, "township", "reveal", "household/1", {"field": "head_name"})
    township.flush()
    assert count(township, "SELECT count(*) FROM audit_log") == 0
    assert count(as_user(LEADER), "SELECT count(*) FROM audit_log") == 0
    assert count(as_user(ADMIN), "SELECT count(*) FROM audit_log") == count(demo_session, "SELECT count(*) FROM audit_log")
