"""The territorial hierarchy: city, county-level units, townships, villages, and grid cells."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from geo.enums import GeometrySource, RegionKind, RegionLevel
from geo.models.base import Base, county_of, enum_type, polygon_type, township_of


class Region(Base):
    """An administrative unit keyed by its official code (GB/T 2260 or 12-digit statistical code)."""

    __tablename__ = "region"
    __table_args__ = (
        sa.CheckConstraint("(geom IS NULL) = (geom_source IS NULL)", name="geom_has_source"),
        sa.CheckConstraint("code ~ '^[0-9]{6}([0-9]{6})?$'", name="code_digits"),
    )

    code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    short_name: Mapped[str | None] = mapped_column(sa.Text)
    level: Mapped[RegionLevel] = mapped_column(enum_type(RegionLevel, "region_level"), index=True)
    kind: Mapped[RegionKind] = mapped_column(enum_type(RegionKind, "region_kind"))
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("region.code"), index=True)
    county_code: Mapped[str | None] = mapped_column(sa.String(6), index=True)
    geom = mapped_column(polygon_type(), nullable=True)
    geom_source: Mapped[GeometrySource | None] = mapped_column(
        enum_type(GeometrySource, "geometry_source")
    )


class GridCell(Base):
    """A basic grid cell (网格); its code extends its village's 12-digit code by three digits."""

    __tablename__ = "grid_cell"
    __table_args__ = (
        sa.CheckConstraint("left(code, 12) = village_code AND code ~ '^[0-9]{15}$'", name="code_extends_village"),
        sa.CheckConstraint("(geom IS NULL) = (geom_source IS NULL)", name="geom_has_source"),
    )

    code: Mapped[str] = mapped_column(sa.String(15), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    village_code: Mapped[str] = mapped_column(sa.ForeignKey("region.code"), index=True)
    township_code: Mapped[str] = mapped_column(
        sa.String(12), township_of("code"), index=True
    )
    county_code: Mapped[str] = mapped_column(
        sa.String(6), county_of("code"), index=True
    )
    geom = mapped_column(polygon_type(), nullable=True)
    geom_source: Mapped[GeometrySource | None] = mapped_column(
        enum_type(GeometrySource, "geometry_source")
    )
