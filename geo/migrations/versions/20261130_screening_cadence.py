"""Screening cadence as data (report_cadence) and declared sensitive periods (sensitive_period).

The default cadence of the plan: townships and villages file a weekly report (zero report when
nothing was found), counties a half-monthly analysis, each due 36 hours after the period's last day
begins (noon of the next day); during a sensitive period townships and villages of the covered
counties also file a daily report (每日一碰), due the same way.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 07:00:00
"""

from datetime import date

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DEFAULT_CADENCE = [
    {"level": "township", "kind": "weekly", "every": "weekly", "applies": "always"},
    {"level": "village", "kind": "weekly", "every": "weekly", "applies": "always"},
    {"level": "county", "kind": "half_monthly", "every": "half_monthly", "applies": "always"},
    {"level": "township", "kind": "daily", "every": "daily", "applies": "sensitive_period"},
    {"level": "village", "kind": "daily", "every": "daily", "applies": "sensitive_period"},
]
PLAN_START = date(2023, 1, 1)

# PostgreSQL has no foreign keys on array elements: a trigger plays that part for county_codes.
COUNTIES_EXIST = """
CREATE FUNCTION sensitive_period_counties_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unknown text;
BEGIN
    SELECT string_agg(c, ', ') INTO unknown FROM unnest(NEW.county_codes) AS c
    WHERE NOT EXISTS (SELECT 1 FROM region r WHERE r.code = c AND r.level = 'county');
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'sensitive_period.county_codes: not county-level units: %', unknown
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$
"""
COUNTIES_TRIGGER = """
CREATE TRIGGER sensitive_period_counties_exist BEFORE INSERT OR UPDATE OF county_codes ON sensitive_period
FOR EACH ROW WHEN (NEW.county_codes IS NOT NULL) EXECUTE FUNCTION sensitive_period_counties_exist()
"""


def upgrade() -> None:
    cadence = op.create_table(
        "report_cadence",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("level", sa.Enum("city", "county", "township", "village", name="region_level", native_enum=False,
                                   create_constraint=True), nullable=False),
        sa.Column("kind", sa.Enum("weekly", "immediate", "follow_up", "daily", "half_monthly", name="report_kind",
                                  native_enum=False, create_constraint=True), nullable=False),
        sa.Column("every", sa.Enum("daily", "weekly", "half_monthly", name="report_every", native_enum=False,
                                   create_constraint=True), nullable=False),
        sa.Column("applies", sa.Enum("always", "sensitive_period", name="cadence_scope", native_enum=False,
                                     create_constraint=True), server_default="always", nullable=False),
        sa.Column("due_after_hours", sa.SmallInteger(), server_default="36", nullable=False),
        sa.Column("active_from", sa.Date(), nullable=False),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.CheckConstraint("level IN ('county', 'township', 'village')", name=op.f("ck_report_cadence_level_reports")),
        sa.CheckConstraint("kind NOT IN ('immediate', 'follow_up')", name=op.f("ck_report_cadence_kind_is_periodic")),
        sa.CheckConstraint("due_after_hours BETWEEN 0 AND 720", name=op.f("ck_report_cadence_due_after_hours_range")),
        sa.CheckConstraint("active_to IS NULL OR active_to >= active_from", name=op.f("ck_report_cadence_active_ordered")),
        postgresql.ExcludeConstraint(
            (sa.column("level"), "="), (sa.column("kind"), "="), (sa.column("applies"), "="),
            (sa.text("daterange(active_from, active_to, '[]')"), "&&"),
            name="ex_report_cadence_one_active", using="gist",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_cadence")),
    )
    op.create_index(op.f("ix_report_cadence_level"), "report_cadence", ["level"], unique=False)
    op.create_table(
        "sensitive_period",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("county_codes", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("declared_by", sa.Text(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.Enum("demo", "import", "entered", name="record_source", native_enum=False,
                                    create_constraint=True), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_sensitive_period_period_ordered")),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_sensitive_period_name_given")),
        sa.CheckConstraint("county_codes IS NULL OR cardinality(county_codes) > 0",
                           name=op.f("ck_sensitive_period_counties_listed")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensitive_period")),
    )
    op.create_index("ix_sensitive_period_dates", "sensitive_period", ["starts_on", "ends_on"], unique=False)
    op.create_index(op.f("ix_sensitive_period_source"), "sensitive_period", ["source"], unique=False)
    op.execute(COUNTIES_EXIST)
    op.execute(COUNTIES_TRIGGER)
    op.bulk_insert(cadence, [{**row, "due_after_hours": 36, "active_from": PLAN_START}
                             for row in DEFAULT_CADENCE])


def downgrade() -> None:
    op.execute("DROP TRIGGER sensitive_period_counties_exist ON sensitive_period")
    op.execute("DROP FUNCTION sensitive_period_counties_exist()")
    op.drop_index(op.f("ix_sensitive_period_source"), table_name="sensitive_period")
    op.drop_index("ix_sensitive_period_dates", table_name="sensitive_period")
    op.drop_table("sensitive_period")
    op.drop_index(op.f("ix_report_cadence_level"), table_name="report_cadence")
    op.drop_table("report_cadence")
