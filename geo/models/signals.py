"""Acknowledgements of risk signals (防变量预警): who saw a signal, when, and what they noted.

Signals themselves are computed on demand from the records (``geo.signals``); only the
acknowledgements are stored. They are kept for good: the migration adds a trigger that refuses
UPDATE, DELETE and TRUNCATE on this table, so the record of who acknowledged what cannot be rewritten.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from geo.enums import SignalKind
from geo.models.base import Base, enum_type


class SignalAck(Base):
    """One acknowledgement of one signal (``signal_key`` = ``kind:subject:day``, see ``geo.signals``)."""

    __tablename__ = "signal_ack"
    __table_args__ = (
        sa.CheckConstraint("signal_key LIKE kind || ':%'", name="key_starts_with_kind"),
        sa.CheckConstraint("length(btrim(acknowledged_by)) > 0", name="acknowledged_by_given"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    signal_key: Mapped[str] = mapped_column(sa.Text, index=True)
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    kind: Mapped[SignalKind] = mapped_column(enum_type(SignalKind, "signal_kind"))
    unit_code: Mapped[str] = mapped_column(sa.String(15), index=True)
    acknowledged_by: Mapped[str] = mapped_column(sa.Text)
    acknowledged_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    note: Mapped[str | None] = mapped_column(sa.Text)
