"""Row-level security: the application's own login role, its grants, and area policies on every area table.

The dashboard connects as ``fengqiao_app``: it owns nothing, is not a superuser and cannot bypass
RLS. Each transaction states its scopes with ``set_config('fengqiao.<kind>_scope', prefix, true)``
(geo.access.apply_scope); a policy admits a row when the row's region code starts with that prefix.
A missing or empty setting yields NULL, and NULL admits nothing: the policies fail closed.
Tables are FORCEd, so an owner that is not a superuser is held to the same policies.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 09:10:00
"""

import os

from alembic import op
from psycopg import sql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

APP_ROLE = "fengqiao_app"

AREA_TABLES = {
    # table: (code column read with read_scope, kind of scope used for reads)
    "dispute": ("grid_code", "read"),
    "petition": ("origin_grid_code", "read"),
    "backlog_case": ("county_code", "read"),
    "screening_report": ("unit_code", "read"),
    "risk_event": ("grid_code", "read"),
    "signal_ack": ("unit_code", "read"),
    "demo_score": ("county_code", "read"),
    "demo_county_status": ("county_code", "read"),
    "link_change": ("township_code", "person"),
    "link_cap": ("township_code", "person"),
    "household": ("grid_code", "person"),
    "party_member": ("grid_code", "person"),
}
"""Tables carrying their own region code. Writes always need the write scope."""

IN_WRITE_SCOPE = "EXISTS (SELECT 1 FROM {table} x WHERE x.id = {key} AND starts_with(x.grid_code, app_scope('write')))"
VIA_HOUSEHOLD = {
    "member_household_link": IN_WRITE_SCOPE.format(table="household", key="household_id") + " AND "
    + IN_WRITE_SCOPE.format(table="party_member", key="member_id"),
    "dispute_household": IN_WRITE_SCOPE.format(table="household", key="household_id"),
}
"""Tables scoped through their household: a row is visible when its household is; a link is written only
when both its household and its member lie in the write scope."""

WRITES = {
    "screening_report": "INSERT, UPDATE",
    "sensitive_period": "INSERT, UPDATE",
    "signal_ack": "INSERT",
    "demo_criterion": "INSERT, UPDATE",
    "audit_log": "INSERT",
    "user_session": "INSERT, UPDATE, DELETE",
    "member_household_link": "INSERT, UPDATE",
    "link_change": "INSERT, UPDATE",
    "link_cap": "INSERT, UPDATE",
}
"""What the application may change; everything else it may only read (loads and imports run as the owner)."""

SCOPE_FUNCTION = """
CREATE FUNCTION app_scope(kind text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT NULLIF(current_setting('fengqiao.' || kind || '_scope', true), '')
$$
"""

LOAD_FUNCTION = """
CREATE FUNCTION member_active_links(member bigint) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT count(*)::int FROM public.member_household_link WHERE member_id = member AND valid_to IS NULL
$$
"""
"""A member's load counts every active link, also those to households the caller cannot see (a county
supervisor may link a member to a household of the next township): a count, never the rows."""

MEMBER_LOAD_VIEW = """
CREATE VIEW member_load WITH (security_invoker = true) AS
SELECT m.id AS member_id, m.grid_code, m.township_code, m.county_code, m.capacity,
       member_active_links(m.id) AS load
FROM party_member m
"""


def _create_role() -> None:
    op.execute(f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
    END IF;
END $$""")
    # The dashboard's queries are short; JIT compilation cost more than it saved under the policies' per-row checks.
    op.execute(f"ALTER ROLE {APP_ROLE} SET jit = off")
    password = os.environ.get("FENGQIAO_APP_PASSWORD")
    if password:  # DDL takes no bind parameters: psycopg quotes the literal
        connection = op.get_bind().connection.driver_connection
        op.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(APP_ROLE), sql.Literal(password))
                   .as_string(connection))


def _policies(table: str, read_check: str, write_check: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY area_read ON {table} FOR SELECT USING ({read_check})")
    op.execute(f"CREATE POLICY area_insert ON {table} FOR INSERT WITH CHECK ({write_check})")
    op.execute(f"CREATE POLICY area_update ON {table} FOR UPDATE USING ({write_check}) WITH CHECK ({write_check})")
    op.execute(f"CREATE POLICY area_delete ON {table} FOR DELETE USING ({write_check})")


AUDIT_POLICIES = (
    "ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE audit_log FORCE ROW LEVEL SECURITY",
    "CREATE POLICY audit_read ON audit_log FOR SELECT USING (app_scope('audit') IS NOT NULL)",
    "CREATE POLICY audit_insert ON audit_log FOR INSERT WITH CHECK (true)",
)
"""Everyone's actions are logged; only an administrator's transaction (audit scope set) reads the log."""


def upgrade() -> None:
    _create_role()
    op.execute(SCOPE_FUNCTION)
    for table, (column, read) in AREA_TABLES.items():
        _policies(table, f"starts_with({column}, app_scope('{read}'))", f"starts_with({column}, app_scope('write'))")
    for table, writable in VIA_HOUSEHOLD.items():
        # The sub-select reads household under household's own policies, with this transaction's scopes.
        _policies(table, "EXISTS (SELECT 1 FROM household h WHERE h.id = household_id)", writable)
    for statement in AUDIT_POLICIES:
        op.execute(statement)
    op.execute(LOAD_FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION member_active_links(bigint) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION member_active_links(bigint) TO {APP_ROLE}")
    op.execute(MEMBER_LOAD_VIEW)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT UPDATE (failed_attempts, locked_until) ON app_user TO {APP_ROLE}")
    for table, privileges in WRITES.items():
        op.execute(f"GRANT {privileges} ON {table} TO {APP_ROLE}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
    op.execute("DROP VIEW member_load")
    op.execute("DROP FUNCTION member_active_links(bigint)")
    op.execute("DROP POLICY audit_read ON audit_log")
    op.execute("DROP POLICY audit_insert ON audit_log")
    op.execute("ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY")
    for table in [*AREA_TABLES, *VIA_HOUSEHOLD]:
        for policy in ("area_read", "area_insert", "area_update", "area_delete"):
            op.execute(f"DROP POLICY {policy} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION app_scope(text)")
