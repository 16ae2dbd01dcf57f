"""Sign-in sessions, the change log of member–household links (for history and undo), township link caps.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 09:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_user_session_user_id_app_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_user_session")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"], unique=False)
    op.create_table(
        "link_change",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("undone_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["undone_by"], ["link_change.id"], name=op.f("fk_link_change_undone_by_link_change")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_change")),
    )
    op.create_index(op.f("ix_link_change_username"), "link_change", ["username"], unique=False)
    op.create_index(op.f("ix_link_change_township_code"), "link_change", ["township_code"], unique=False)
    op.create_table(
        "link_cap",
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("cap", sa.SmallInteger(), nullable=False),
        sa.Column("set_by", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("cap BETWEEN 1 AND 100", name=op.f("ck_link_cap_cap_range")),
        sa.ForeignKeyConstraint(["township_code"], ["region.code"], name=op.f("fk_link_cap_township_code_region")),
        sa.PrimaryKeyConstraint("township_code", name=op.f("pk_link_cap")),
    )


def downgrade() -> None:
    op.drop_table("link_cap")
    op.drop_index(op.f("ix_link_change_township_code"), table_name="link_change")
    op.drop_index(op.f("ix_link_change_username"), table_name="link_change")
    op.drop_table("link_change")
    op.drop_index(op.f("ix_user_session_user_id"), table_name="user_session")
    op.drop_table("user_session")
