"""Users with a role and a region scope, the audit log, and the record of demo loads."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.enums import Role
from geo.models.base import Base, enum_type


class AppUser(Base):
    """A person who signs in; ``region_code`` scopes what a supervisor may read and change."""

    __tablename__ = "app_user"
    __table_args__ = (
        sa.CheckConstraint(
            "role NOT IN ('county_supervisor', 'township_supervisor') OR region_code IS NOT NULL",
            name="supervisor_has_region",
        ),
    )

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(sa.Text, unique=True)
    display_name: Mapped[str] = mapped_column(sa.Text)
    password_hash: Mapped[str] = mapped_column(sa.Text)
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("region.code"))
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    failed_attempts: Mapped[int] = mapped_column(sa.SmallInteger, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class UserSession(Base):
    """A signed-in browser: the cookie carries a random token, the table only its SHA-256."""

    __tablename__ = "user_session"

    token_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class AuditLog(Base):
    """Who did what, when: every write and every reveal of personal data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now(), index=True)
    username: Mapped[str] = mapped_column(sa.Text, index=True)
    action: Mapped[str] = mapped_column(sa.Text)
    target: Mapped[str | None] = mapped_column(sa.Text)
    detail: Mapped[dict | None] = mapped_column(JSONB)


class DemoLoad(Base):
    """One completed load of the generated demo data set (what ``fengqiao up`` checks)."""

    __tablename__ = "demo_load"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    seed: Mapped[int] = mapped_column(sa.Integer)
    scale: Mapped[str] = mapped_column(sa.Text)
    loaded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    counts: Mapped[dict] = mapped_column(JSONB)
