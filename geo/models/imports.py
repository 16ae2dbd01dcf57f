"""What users import: each import (batch), the rows it refused (quarantine), replaced boundaries (history),
and the column mappings users confirmed for their ledgers (profiles)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.enums import GeometrySource, Labelled
from geo.models.base import Base, enum_type, polygon_type


class ImportKind(Labelled):
    """What a file held: one of the three ledgers, or boundaries of one level."""

    DISPUTES = "disputes", "矛盾纠纷台账"
    PETITIONS = "petitions", "信访事项台账"
    HOTLINE = "hotline", "12345热线工单"
    BOUNDARIES = "boundaries", "边界"


class BoundaryLevel(Labelled):
    """The levels whose geometry can be imported (grid cells are not regions, so regions' levels do not suffice)."""

    COUNTY = "county", "县区"
    TOWNSHIP = "township", "乡镇（街道）"
    VILLAGE = "village", "村（社区）"
    GRID = "grid", "网格"


class ImportBatch(Base):
    """One import of one file: who, when, which file (by name and SHA-256), and the counts it reported."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(enum_type(ImportKind, "import_kind"), index=True)
    file_name: Mapped[str] = mapped_column(sa.Text)
    file_sha256: Mapped[str] = mapped_column(sa.String(64))
    imported_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now(), index=True)
    imported_by: Mapped[str | None] = mapped_column(sa.Text)
    counts: Mapped[dict] = mapped_column(JSONB)


class ImportQuarantine(Base):
    """A row an import refused, or loaded with a warning (``warning``), kept with where it was (file, sheet,
    row, column), why, and its cells.

    ``raw`` holds the row's cells as the file had them (header → text, in the file's column order),
    so that an error report can be rebuilt later and the user can fix the row and import it again.
    """

    __tablename__ = "import_quarantine"
    __table_args__ = (sa.CheckConstraint("row_number > 0", name="row_positive"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batch.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(sa.Text)
    sheet: Mapped[str | None] = mapped_column(sa.Text)
    row_number: Mapped[int] = mapped_column(sa.Integer)
    column_name: Mapped[str | None] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text)
    raw: Mapped[dict] = mapped_column(JSON)
    warning: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())


class BoundaryHistory(Base):
    """A unit's geometry as it was before an import replaced it."""

    __tablename__ = "boundary_history"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    level: Mapped[BoundaryLevel] = mapped_column(enum_type(BoundaryLevel, "boundary_level"))
    code: Mapped[str] = mapped_column(sa.String(15), index=True)
    geom = mapped_column(polygon_type(), nullable=False)
    geom_source: Mapped[GeometrySource] = mapped_column(enum_type(GeometrySource, "geometry_source"))
    replaced_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batch.id", ondelete="SET NULL"), index=True)


class MappingProfile(Base):
    """A ledger column mapping a user confirmed, kept under a name for an area and reused for files whose
    headers are the same (``signature``).

    ``columns`` maps each header (as ``etl.tabular.normalise_header`` writes it) to a ledger field name, or
    to None for a column the user chose not to import; ``headers`` keeps the headers as the file wrote them.
    ``area_code`` is the area of the user who saved it ('' for the whole city); a profile serves that area
    and every area inside it.
    """

    __tablename__ = "mapping_profile"
    __table_args__ = (sa.UniqueConstraint("kind", "area_code", "name"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(enum_type(ImportKind, "import_kind"))
    area_code: Mapped[str] = mapped_column(sa.String(12), server_default="")
    name: Mapped[str] = mapped_column(sa.Text)
    signature: Mapped[str] = mapped_column(sa.String(40), index=True)
    headers: Mapped[list] = mapped_column(JSONB)
    columns: Mapped[dict] = mapped_column(JSONB)
    saved_by: Mapped[str] = mapped_column(sa.Text)
    saved_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
