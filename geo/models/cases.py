"""Disputes found in the grid, petitions, and backlog cases handed down to leaders."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from geo.enums import (
    BacklogMode,
    BacklogStatus,
    DisputeDomain,
    DisputeStatus,
    LodgedLevel,
    PetitionCategory,
    PetitionChannel,
    PetitionStatus,
    RecordSource,
    ResolutionChannel,
    RiskLevel,
    Satisfaction,
)
from geo.models.base import Base, county_of, enum_type, point_type, township_of


class Dispute(Base):
    """A dispute (矛盾纠纷) found in a grid cell; ``ref_no`` is the ledger's own number.

    A resolved dispute may lack ``resolved_at`` (a ledger that records no date): it counts as resolved but
    has no time to resolution. ``found_by_name`` is the finder (排查人) as the ledger wrote it, kept when
    no party member of the township matches the name unambiguously (``found_by_member_id`` otherwise).
    """

    __tablename__ = "dispute"
    __table_args__ = (
        sa.CheckConstraint("resolved_at IS NULL OR resolved_at >= reported_at", name="resolved_after_reported"),
        sa.CheckConstraint("households_involved > 0", name="households_positive"),
        sa.Index("ix_dispute_county_reported", "county_code", "reported_at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    ref_no: Mapped[str] = mapped_column(sa.Text, unique=True)
    grid_code: Mapped[str] = mapped_column(sa.ForeignKey("grid_cell.code"), index=True)
    township_code: Mapped[str] = mapped_column(sa.String(12), township_of("grid_code"), index=True)
    county_code: Mapped[str] = mapped_column(sa.String(6), county_of("grid_code"))
    geom = mapped_column(point_type(), nullable=True)
    domain: Mapped[DisputeDomain] = mapped_column(enum_type(DisputeDomain, "dispute_domain"))
    risk_level: Mapped[RiskLevel] = mapped_column(enum_type(RiskLevel, "risk_level"))
    status: Mapped[DisputeStatus] = mapped_column(enum_type(DisputeStatus, "dispute_status"))
    channel: Mapped[ResolutionChannel | None] = mapped_column(enum_type(ResolutionChannel, "resolution_channel"))
    found_by_member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("party_member.id", ondelete="SET NULL"), index=True
    )
    found_by_name: Mapped[str | None] = mapped_column(sa.Text)
    reported_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    households_involved: Mapped[int] = mapped_column(sa.SmallInteger, server_default="1")
    summary: Mapped[str | None] = mapped_column(sa.Text)
    source: Mapped[RecordSource] = mapped_column(enum_type(RecordSource, "record_source"), index=True)


class DisputeHousehold(Base):
    """The households a dispute involves (when they are known)."""

    __tablename__ = "dispute_household"

    dispute_id: Mapped[int] = mapped_column(sa.ForeignKey("dispute.id", ondelete="CASCADE"), primary_key=True)
    household_id: Mapped[int] = mapped_column(
        sa.ForeignKey("household.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class DisputeParty(Base):
    """A party (当事人) of a dispute as its ledger names them: personal data, masked when shown.

    ``position`` is the party's place in the ledger's cell (0, 1 …); ``household_id`` the household the
    party heads, when the ID number or the name in the dispute's village matches exactly one.
    """

    __tablename__ = "dispute_party"
    __table_args__ = (sa.UniqueConstraint("dispute_id", "position"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    dispute_id: Mapped[int] = mapped_column(sa.ForeignKey("dispute.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    name: Mapped[str | None] = mapped_column(sa.Text)
    id_number: Mapped[str | None] = mapped_column(sa.String(18))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id", ondelete="SET NULL"), index=True)


class Petition(Base):
    """A petition matter (信访事项) under the 2022 《信访工作条例》, tied to the grid cell it came from.

    A closed petition may lack ``closed_on`` (a ledger that records no date): it is closed, off the clock.
    """

    __tablename__ = "petition"
    __table_args__ = (
        sa.CheckConstraint("head_count > 0", name="head_count_positive"),
        sa.CheckConstraint("previous_petition_id IS NULL OR NOT is_first", name="repeat_links_back"),
        sa.CheckConstraint("extension_days BETWEEN 0 AND 30", name="extension_at_most_30"),
        sa.CheckConstraint("accepted_on IS NULL OR accepted_on >= received_on", name="accepted_after_received"),
        sa.CheckConstraint("closed_on IS NULL OR closed_on >= received_on", name="closed_after_received"),
        sa.Index("ix_petition_county_received", "county_code", "received_on"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    ref_no: Mapped[str] = mapped_column(sa.Text, unique=True)
    origin_grid_code: Mapped[str] = mapped_column(sa.ForeignKey("grid_cell.code"), index=True)
    township_code: Mapped[str] = mapped_column(sa.String(12), township_of("origin_grid_code"), index=True)
    county_code: Mapped[str] = mapped_column(sa.String(6), county_of("origin_grid_code"))
    category: Mapped[PetitionCategory] = mapped_column(enum_type(PetitionCategory, "petition_category"))
    channel: Mapped[PetitionChannel] = mapped_column(enum_type(PetitionChannel, "petition_channel"))
    domain: Mapped[DisputeDomain] = mapped_column(enum_type(DisputeDomain, "dispute_domain"))
    petitioner_name: Mapped[str | None] = mapped_column(sa.Text)
    petitioner_id_number: Mapped[str | None] = mapped_column(sa.String(18))
    petitioner_phone: Mapped[str | None] = mapped_column(sa.String(20))
    is_first: Mapped[bool] = mapped_column(sa.Boolean)
    previous_petition_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("petition.id", ondelete="SET NULL"), index=True
    )
    head_count: Mapped[int] = mapped_column(sa.SmallInteger, server_default="1")
    is_collective: Mapped[bool] = mapped_column(sa.Boolean, sa.Computed("head_count >= 5", persisted=True))
    lodged_level: Mapped[LodgedLevel] = mapped_column(enum_type(LodgedLevel, "lodged_level"))
    nationally_registered: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    status: Mapped[PetitionStatus] = mapped_column(enum_type(PetitionStatus, "petition_status"))
    received_on: Mapped[date] = mapped_column(sa.Date)
    accepted_on: Mapped[date | None] = mapped_column(sa.Date)
    extension_days: Mapped[int] = mapped_column(sa.SmallInteger, server_default="0")
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    one_time_resolved: Mapped[bool | None] = mapped_column(sa.Boolean)
    satisfaction: Mapped[Satisfaction | None] = mapped_column(enum_type(Satisfaction, "satisfaction"))
    source_dispute_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dispute.id", ondelete="SET NULL"), index=True
    )
    hotline_ticket: Mapped[str | None] = mapped_column(sa.Text, unique=True)
    source: Mapped[RecordSource] = mapped_column(enum_type(RecordSource, "record_source"), index=True)


class BacklogCase(Base):
    """A backlog case (积案) handed down (交办) to a county and owned by a leader (领导包案)."""

    __tablename__ = "backlog_case"
    __table_args__ = (
        sa.CheckConstraint("status <> 'resolved' OR resolved_on IS NOT NULL", name="resolved_has_date"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    ref_no: Mapped[str] = mapped_column(sa.Text, unique=True)
    petition_id: Mapped[int | None] = mapped_column(sa.ForeignKey("petition.id", ondelete="SET NULL"), index=True)
    county_code: Mapped[str] = mapped_column(sa.ForeignKey("region.code"), index=True)
    title: Mapped[str] = mapped_column(sa.Text)
    handed_down_by: Mapped[str] = mapped_column(sa.Text)
    handed_down_on: Mapped[date] = mapped_column(sa.Date)
    leader_name: Mapped[str] = mapped_column(sa.Text)
    leader_title: Mapped[str] = mapped_column(sa.Text)
    mode: Mapped[BacklogMode] = mapped_column(enum_type(BacklogMode, "backlog_mode"))
    deadline: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[BacklogStatus] = mapped_column(enum_type(BacklogStatus, "backlog_status"))
    resolved_on: Mapped[date | None] = mapped_column(sa.Date)
    source: Mapped[RecordSource] = mapped_column(enum_type(RecordSource, "record_source"), index=True)
