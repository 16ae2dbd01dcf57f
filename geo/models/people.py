"""网格化 + 党员联户: households, party members, and the history of links between them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.enums import RecordSource
from geo.models.base import Base, county_of, enum_type, point_type, township_of


class Household(Base):
    """A household (户) at a point inside its grid cell. Head's personal data is stored for masking."""

    __tablename__ = "household"
    __table_args__ = (sa.CheckConstraint("size > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    grid_code: Mapped[str] = mapped_column(sa.ForeignKey("grid_cell.code"), index=True)
    township_code: Mapped[str] = mapped_column(sa.String(12), township_of("grid_code"), index=True)
    county_code: Mapped[str] = mapped_column(sa.String(6), county_of("grid_code"), index=True)
    geom = mapped_column(point_type(), nullable=False)
    size: Mapped[int] = mapped_column(sa.SmallInteger)
    head_name: Mapped[str] = mapped_column(sa.Text, index=True)
    head_id_number: Mapped[str | None] = mapped_column(sa.String(18), index=True)
    head_phone: Mapped[str | None] = mapped_column(sa.String(20))
    source: Mapped[RecordSource] = mapped_column(enum_type(RecordSource, "record_source"), index=True)


class PartyMember(Base):
    """A party member (党员) living in a grid cell, who can be linked to up to ``capacity`` households."""

    __tablename__ = "party_member"
    __table_args__ = (sa.CheckConstraint("capacity > 0", name="capacity_positive"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    grid_code: Mapped[str] = mapped_column(sa.ForeignKey("grid_cell.code"), index=True)
    township_code: Mapped[str] = mapped_column(sa.String(12), township_of("grid_code"), index=True)
    county_code: Mapped[str] = mapped_column(sa.String(6), county_of("grid_code"), index=True)
    geom = mapped_column(point_type(), nullable=True)
    name: Mapped[str] = mapped_column(sa.Text)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    capacity: Mapped[int] = mapped_column(sa.SmallInteger, server_default="15")
    source: Mapped[RecordSource] = mapped_column(enum_type(RecordSource, "record_source"), index=True)


class MemberHouseholdLink(Base):
    """One period during which a member was linked to a household (党员联户).

    A unique index over the open links (``valid_to IS NULL``) makes the database refuse a second
    active link for a household, whatever the application does; closed links are the history.
    """

    __tablename__ = "member_household_link"
    __table_args__ = (
        sa.Index("one_active_link_per_household", "household_id", unique=True,
                 postgresql_where=sa.text("valid_to IS NULL")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period_ordered"),
        sa.Index("ix_member_household_link_active_member", "member_id", postgresql_where=sa.text("valid_to IS NULL")),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("party_member.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    valid_to: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    assigned_by: Mapped[str] = mapped_column(sa.Text)
    ended_by: Mapped[str | None] = mapped_column(sa.Text)


class LinkChange(Base):
    """One change a supervisor made to the links (link, unlink, move, accept a suggestion, or undo).

    ``items`` lists ``{"household_id", "from_member", "to_member", "exception"}`` for every household
    touched, so the change can be shown, audited and undone; ``undone_by`` points at the undoing change.
    """

    __tablename__ = "link_change"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    username: Mapped[str] = mapped_column(sa.Text, index=True)
    township_code: Mapped[str] = mapped_column(sa.String(12), index=True)
    kind: Mapped[str] = mapped_column(sa.Text)
    items: Mapped[list] = mapped_column(JSONB)
    undone_by: Mapped[int | None] = mapped_column(sa.ForeignKey("link_change.id"))


class LinkCap(Base):
    """A township's cap on the households one member may be linked to (15 where none is set)."""

    __tablename__ = "link_cap"
    __table_args__ = (sa.CheckConstraint("cap BETWEEN 1 AND 100", name="cap_range"),)

    township_code: Mapped[str] = mapped_column(sa.ForeignKey("region.code"), primary_key=True)
    cap: Mapped[int] = mapped_column(sa.SmallInteger)
    set_by: Mapped[str] = mapped_column(sa.Text)
    set_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


DEFAULT_LINK_CAP = 15
