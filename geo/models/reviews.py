"""Supervision records: screening reports, demonstration-county criteria and scores, risk events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from geo.enums import CriterionMeasure, DemoCountyStage, Direction, RecordSource, ReportKind, RiskEventKind
from geo.models.base import Base, county_of, enum_type, point_type, township_of


class ScreeningReport(Base):
    """One screening report (排查报告) of a unit for a period; a zero report found nothing."""

    __tablename__ = "screening_report"
    __table_args__ = (
        sa.UniqueConstraint("unit_code", "kind", "period_start"),
        sa.CheckConstraint("period_end >= period_start", name="period_ordered"),
        sa.CheckConstraint("NOT is_zero OR disputes_found = 0", name="zero_found_nothing"),
        sa.CheckConstraint("disputes_found >= 0", name="found_not_negative"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    unit_code: Mapped[str] = mapped_column(sa.ForeignKey("region.code"), index=True)
    kind: Mapped[ReportKind] = mapped_column(enum_type(ReportKind, "report_kind"))
    period_start: Mapped[date] = mapped_column(sa.Date, index=True)
    period_end: Mapped[date] = mapped_column(sa.Date)
    is_zero: Mapped[bool] = mapped_column(sa.Boolean)
    disputes_found: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    submitted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    source: Mapped[RecordSource] = mapped_column(enum_type(RecordSource, "record_source"), index=True)


class DemoCriterion(Base):
    """A criterion of the demonstration-county catalogue (示范县创建标准) for one year."""

    __tablename__ = "demo_criterion"
    __table_args__ = (
        sa.UniqueConstraint("year", "name"),
        sa.CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    name: Mapped[str] = mapped_column(sa.Text)
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    target: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4))
    direction: Mapped[Direction] = mapped_column(enum_type(Direction, "direction"))
    measure: Mapped[CriterionMeasure] = mapped_column(enum_type(CriterionMeasure, "criterion_measure"))
    unit: Mapped[str] = mapped_column(sa.Text, server_default="")
    description: Mapped[str | None] = mapped_column(sa.Text)


class DemoScore(Base):
    """A county's value on a criterion at one review, with the evidence behind it."""

    __tablename__ = "demo_score"
    __table_args__ = (sa.UniqueConstraint("county_code", "criterion_id", "reviewed_on"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.ForeignKey("region.code"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("demo_criterion.id", ondelete="CASCADE"), index=True)
    reviewed_on: Mapped[date] = mapped_column(sa.Date)
    value: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4))
    evidence: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)
    entered_by: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[RecordSource] = mapped_column(enum_type(RecordSource, "record_source"), index=True)


class DemoCountyStatus(Base):
    """Where a county stands in the creation (申报/创建中/验收/命名) in a year."""

    __tablename__ = "demo_county_status"

    county_code: Mapped[str] = mapped_column(sa.ForeignKey("region.code"), primary_key=True)
    year: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    stage: Mapped[DemoCountyStage] = mapped_column(enum_type(DemoCountyStage, "demo_county_stage"))
    source: Mapped[RecordSource] = mapped_column(enum_type(RecordSource, "record_source"), index=True)


class RiskEvent(Base):
    """A risk event (防变量): a mass gathering, an extreme individual act, negative publicity."""

    __tablename__ = "risk_event"
    __table_args__ = (sa.CheckConstraint("participants > 0", name="participants_positive"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    ref_no: Mapped[str] = mapped_column(sa.Text, unique=True)
    grid_code: Mapped[str] = mapped_column(sa.ForeignKey("grid_cell.code"), index=True)
    township_code: Mapped[str] = mapped_column(sa.String(12), township_of("grid_code"), index=True)
    county_code: Mapped[str] = mapped_column(sa.String(6), county_of("grid_code"), index=True)
    geom = mapped_column(point_type(), nullable=True)
    kind: Mapped[RiskEventKind] = mapped_column(enum_type(RiskEventKind, "risk_event_kind"))
    occurred_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    participants: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    description: Mapped[str] = mapped_column(sa.Text)
    handling: Mapped[str | None] = mapped_column(sa.Text)
    source: Mapped[RecordSource] = mapped_column(enum_type(RecordSource, "record_source"), index=True)
