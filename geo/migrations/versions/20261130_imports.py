"""Imports: the record of each import, the rows it refused (quarantine), and replaced boundaries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 07:30:00
"""

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

IMPORT_KINDS = ("disputes", "petitions", "hotline", "boundaries")
BOUNDARY_LEVELS = ("county", "township", "village", "grid")


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Enum(*IMPORT_KINDS, name="import_kind", native_enum=False, create_constraint=True),
                  nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("imported_by", sa.Text(), nullable=True),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    op.create_index(op.f("ix_import_batch_kind"), "import_batch", ["kind"], unique=False)
    op.create_index(op.f("ix_import_batch_imported_at"), "import_batch", ["imported_at"], unique=False)
    op.create_table(
        "import_quarantine",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sheet", sa.Text(), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("column_name", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", postgresql.JSON(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("row_number > 0", name=op.f("ck_import_quarantine_row_positive")),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"], name=op.f("fk_import_quarantine_batch_id_import_batch"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_quarantine")),
    )
    op.create_index(op.f("ix_import_quarantine_batch_id"), "import_quarantine", ["batch_id"], unique=False)
    op.create_geospatial_table(
        "boundary_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("level", sa.Enum(*BOUNDARY_LEVELS, name="boundary_level", native_enum=False, create_constraint=True),
                  nullable=False),
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("geom", Geometry(geometry_type="MULTIPOLYGON", srid=4326, dimension=2, spatial_index=False,
                                   from_text="ST_GeomFromEWKT", name="geometry", nullable=False), nullable=False),
        sa.Column("geom_source", sa.Enum("official", "illustrative", name="geometry_source", native_enum=False,
                                         create_constraint=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"], name=op.f("fk_boundary_history_batch_id_import_batch"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boundary_history")),
    )
    op.create_geospatial_index("idx_boundary_history_geom", "boundary_history", ["geom"], unique=False,
                               postgresql_using="gist", postgresql_ops={})
    op.create_index(op.f("ix_boundary_history_code"), "boundary_history", ["code"], unique=False)
    op.create_index(op.f("ix_boundary_history_batch_id"), "boundary_history", ["batch_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_boundary_history_batch_id"), table_name="boundary_history")
    op.drop_index(op.f("ix_boundary_history_code"), table_name="boundary_history")
    op.drop_geospatial_index("idx_boundary_history_geom", table_name="boundary_history", column_name="geom")
    op.drop_geospatial_table("boundary_history")
    op.drop_index(op.f("ix_import_quarantine_batch_id"), table_name="import_quarantine")
    op.drop_table("import_quarantine")
    op.drop_index(op.f("ix_import_batch_imported_at"), table_name="import_batch")
    op.drop_index(op.f("ix_import_batch_kind"), table_name="import_batch")
    op.drop_table("import_batch")
