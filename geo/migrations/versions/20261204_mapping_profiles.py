"""Column mappings of ledgers that users confirmed (mapping_profile), reused for files with the same headers.

Only the owner reads and writes it: the import page and the CLI work as the owner after their role
checks (as the imports themselves do), and choose the profiles of the user's area in the query.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

IMPORT_KINDS = ("disputes", "petitions", "hotline", "boundaries")


def upgrade() -> None:
    op.create_table(
        "mapping_profile",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Enum(*IMPORT_KINDS, name="import_kind", native_enum=False, create_constraint=True),
                  nullable=False),
        sa.Column("area_code", sa.String(length=12), server_default="", nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=40), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("columns", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("saved_by", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapping_profile")),
        sa.UniqueConstraint("kind", "area_code", "name", name=op.f("uq_mapping_profile_kind_area_code_name")),
    )
    op.create_index(op.f("ix_mapping_profile_signature"), "mapping_profile", ["signature"], unique=False)
    op.execute("REVOKE ALL ON mapping_profile FROM fengqiao_app")


def downgrade() -> None:
    op.drop_index(op.f("ix_mapping_profile_signature"), table_name="mapping_profile")
    op.drop_table("mapping_profile")
