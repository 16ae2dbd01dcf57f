"""The screening cadence as data: which reports each level owes and when, and the sensitive periods.

``report_cadence`` says which level (county, township, village) owes which periodic report, how
often, and how many hours after the end of its period (00:00 local time of ``period_end``) it is
due. Rows with ``applies = 'sensitive_period'`` are owed only inside a declared ``sensitive_period``
(每日一碰), and only by units of the counties it covers (all counties when ``county_codes`` is NULL).
Nothing here names a unit: the expected reports are derived from these rows (``geo.screening``).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from geo.enums import CadenceScope, RecordSource, RegionLevel, ReportEvery, ReportKind
from geo.models.base import Base, enum_type

DEFAULT_DUE_AFTER_HOURS = 36
"""Due at noon of the day after the period ends (period_end 00:00 + 36 h)."""


class ReportCadence(Base):
    """One level's duty to file one periodic kind of screening report, over a span of dates."""

    __tablename__ = "report_cadence"
    __table_args__ = (
        sa.CheckConstraint("level IN ('county', 'township', 'village')", name="level_reports"),
        sa.CheckConstraint("kind NOT IN ('immediate', 'follow_up')", name="kind_is_periodic"),
        sa.CheckConstraint("due_after_hours BETWEEN 0 AND 720", name="due_after_hours_range"),
        sa.CheckConstraint("active_to IS NULL OR active_to >= active_from", name="active_ordered"),
        # one cadence per level, kind and scope at any date (btree_gist makes '=' usable here)
        ExcludeConstraint(
            (sa.column("level"), "="), (sa.column("kind"), "="), (sa.column("applies"), "="),
            (sa.text("daterange(active_from, active_to, '[]')"), "&&"),
            name="ex_report_cadence_one_active", using="gist",
        ),
    )

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    level: Mapped[RegionLevel] = mapped_column(enum_type(RegionLevel, "region_level"), index=True)
    kind: Mapped[ReportKind] = mapped_column(enum_type(ReportKind, "report_kind"))
    every: Mapped[ReportEvery] = mapped_column(enum_type(ReportEvery, "report_every"))
    applies: Mapped[CadenceScope] = mapped_column(enum_type(CadenceScope, "cadence_scope"),
                                                  server_default=CadenceScope.ALWAYS.value)
    due_after_hours: Mapped[int] = mapped_column(sa.SmallInteger, server_default=str(DEFAULT_DUE_AFTER_HOURS))
    active_from: Mapped[date] = mapped_column(sa.Date)
    active_to: Mapped[date | None] = mapped_column(sa.Date)


class SensitivePeriod(Base):
    """A declared sensitive period (敏感时期): daily reports are owed by the covered counties' units."""

    __tablename__ = "sensitive_period"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="period_ordered"),
        sa.CheckConstraint("length(btrim(name)) > 0", name="name_given"),
        sa.CheckConstraint("county_codes IS NULL OR cardinality(county_codes) > 0", name="counties_listed"),
        sa.Index("ix_sensitive_period_dates", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    county_codes: Mapped[list[str] | None] = mapped_column(ARRAY(sa.Text))
    """County-level codes covered; NULL = the whole city. Each must be a county (checked by a trigger)."""
    declared_by: Mapped[str] = mapped_column(sa.Text)
    declared_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    note: Mapped[str | None] = mapped_column(sa.Text)
    source: Mapped[RecordSource] = mapped_column(enum_type(RecordSource, "record_source"), index=True)
