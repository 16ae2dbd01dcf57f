"""Acknowledgements of risk signals (signal_ack), kept for good: no update, delete or truncate.

Risk signals are computed on demand (geo.signals); what a person does with one is recorded here:
who acknowledged it, when, with what note. The record is append-only, enforced by a trigger.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 07:30:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

KEEP_FUNCTION = """
CREATE FUNCTION signal_ack_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'signal_ack is append-only: acknowledgements are kept and cannot be changed or removed (%)', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$
"""
KEEP_ROWS = """
CREATE TRIGGER signal_ack_keep_rows BEFORE UPDATE OR DELETE ON signal_ack
FOR EACH ROW EXECUTE FUNCTION signal_ack_keep()
"""
KEEP_TABLE = """
CREATE TRIGGER signal_ack_keep_table BEFORE TRUNCATE ON signal_ack
FOR EACH STATEMENT EXECUTE FUNCTION signal_ack_keep()
"""


def upgrade() -> None:
    op.create_table(
        "signal_ack",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("signal_key", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.Enum("spike", "collective", "repeat_petitioner", "escalation", name="signal_kind",
                                  native_enum=False, create_constraint=True), nullable=False),
        sa.Column("unit_code", sa.String(length=15), nullable=False),
        sa.Column("acknowledged_by", sa.Text(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("signal_key LIKE kind || ':%'", name=op.f("ck_signal_ack_key_starts_with_kind")),
        sa.CheckConstraint("length(btrim(acknowledged_by)) > 0", name=op.f("ck_signal_ack_acknowledged_by_given")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_ack")),
    )
    op.create_index(op.f("ix_signal_ack_signal_key"), "signal_ack", ["signal_key"], unique=False)
    op.create_index(op.f("ix_signal_ack_day"), "signal_ack", ["day"], unique=False)
    op.create_index(op.f("ix_signal_ack_unit_code"), "signal_ack", ["unit_code"], unique=False)
    op.execute(KEEP_FUNCTION)
    op.execute(KEEP_ROWS)
    op.execute(KEEP_TABLE)


def downgrade() -> None:
    op.execute("DROP TRIGGER signal_ack_keep_table ON signal_ack")
    op.execute("DROP TRIGGER signal_ack_keep_rows ON signal_ack")
    op.execute("DROP FUNCTION signal_ack_keep()")
    op.drop_index(op.f("ix_signal_ack_unit_code"), table_name="signal_ack")
    op.drop_index(op.f("ix_signal_ack_day"), table_name="signal_ack")
    op.drop_index(op.f("ix_signal_ack_signal_key"), table_name="signal_ack")
    op.drop_table("signal_ack")
