"""Declarative base, the one SRID, and the column helpers every model uses."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.orm import DeclarativeBase

SRID = 4326
"""Every stored geometry is WGS84 / CGCS2000 longitude-latitude (they differ by under a metre)."""

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def enum_type(enum_cls: type[StrEnum], name: str) -> sa.Enum:
    """A VARCHAR column checked by the database against the enumeration's values."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


def polygon_type() -> Geometry:
    return Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True)


def point_type() -> Geometry:
    return Geometry("POINT", srid=SRID, spatial_index=True)


def county_of(column: str) -> sa.Computed:
    """Generated 6-digit county code from a grid/village code (codes nest by prefix)."""
    return sa.Computed(f"left({column}, 6)", persisted=True)


def township_of(column: str) -> sa.Computed:
    """Generated 12-digit township code from a grid/village code."""
    return sa.Computed(f"left({column}, 9) || '000'", persisted=True)
