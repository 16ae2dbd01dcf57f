"""Ledgers go in whole: dispute parties and finders, warnings kept beside refusals, dates no longer forced.

- ``dispute_party``: the parties (当事人) a dispute ledger names, personal data under the person scope
  (row-level security through the dispute, as ``dispute_household`` goes through its household);
- ``dispute.found_by_name``: the finder (排查人) as written, when no party member matches;
- ``household.head_name`` / ``head_id_number`` indexed, for linking parties to households;
- ``import_quarantine.warning``: a row loaded with a warning, kept beside the refused rows;
- a resolved dispute without ``resolved_at`` and a closed petition without ``closed_on`` are allowed
  (loaded with a warning, left out of time-to-resolution and statutory-clock figures).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

APP_ROLE = "fengqiao_app"
VIA_DISPUTE = ("EXISTS (SELECT 1 FROM dispute d WHERE d.id = dispute_id"
               " AND starts_with(d.grid_code, app_scope('{scope}')))")
"""A party is read in the person scope and written in the write scope of its dispute's grid cell."""


def upgrade() -> None:
    op.drop_constraint(op.f("ck_dispute_resolved_has_date"), "dispute", type_="check")
    op.drop_constraint(op.f("ck_petition_closed_has_date"), "petition", type_="check")
    op.add_column("dispute", sa.Column("found_by_name", sa.Text(), nullable=True))
    op.add_column("import_quarantine", sa.Column("warning", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index(op.f("ix_household_head_name"), "household", ["head_name"], unique=False)
    op.create_index(op.f("ix_household_head_id_number"), "household", ["head_id_number"], unique=False)
    op.create_table(
        "dispute_party",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("dispute_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("household_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["dispute_id"], ["dispute.id"], name=op.f("fk_dispute_party_dispute_id_dispute"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"],
                                name=op.f("fk_dispute_party_household_id_household"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_party")),
        sa.UniqueConstraint("dispute_id", "position", name=op.f("uq_dispute_party_dispute_id_position")),
    )
    op.create_index(op.f("ix_dispute_party_household_id"), "dispute_party", ["household_id"], unique=False)
    read, write = VIA_DISPUTE.format(scope="person"), VIA_DISPUTE.format(scope="write")
    op.execute("ALTER TABLE dispute_party ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE dispute_party FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY area_read ON dispute_party FOR SELECT USING ({read})")
    op.execute(f"CREATE POLICY area_insert ON dispute_party FOR INSERT WITH CHECK ({write})")
    op.execute(f"CREATE POLICY area_update ON dispute_party FOR UPDATE USING ({write}) WITH CHECK ({write})")
    op.execute(f"CREATE POLICY area_delete ON dispute_party FOR DELETE USING ({write})")
    op.execute(f"GRANT SELECT ON dispute_party TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON dispute_party FROM {APP_ROLE}")
    op.drop_index(op.f("ix_dispute_party_household_id"), table_name="dispute_party")
    op.drop_table("dispute_party")
    op.drop_index(op.f("ix_household_head_id_number"), table_name="household")
    op.drop_index(op.f("ix_household_head_name"), table_name="household")
    op.drop_column("import_quarantine", "warning")
    op.drop_column("dispute", "found_by_name")
    # NOT VALID: rows loaded without a date while this revision stood are kept as they are.
    op.execute("ALTER TABLE petition ADD CONSTRAINT ck_petition_closed_has_date"
               " CHECK (status <> 'closed' OR closed_on IS NOT NULL) NOT VALID")
    op.execute("ALTER TABLE dispute ADD CONSTRAINT ck_dispute_resolved_has_date"
               " CHECK (status <> 'resolved' OR resolved_at IS NOT NULL) NOT VALID")
