"""Bulk loading through PostgreSQL's COPY (psycopg 3), used for every large load."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np
import pandas as pd
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.orm import Session

CHUNK_ROWS = 200_000


def copy_frame(session: Session, table: str, frame: pd.DataFrame,
               progress: Callable[[int], None] | None = None) -> int:
    """COPY ``frame`` (columns named as the table's) into ``table``; ``progress(rows sent)`` after each chunk."""
    if frame.empty:
        return 0
    cursor = session.connection().connection.driver_connection.cursor()
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns)
    )
    with cursor.copy(statement) as copy:
        for start in range(0, len(frame), CHUNK_ROWS):
            buffer = io.StringIO()
            frame.iloc[start:start + CHUNK_ROWS].to_csv(buffer, header=False, index=False)
            copy.write(buffer.getvalue())
            if progress:
                progress(min(start + CHUNK_ROWS, len(frame)))
    return len(frame)


def reserve_ids(session: Session, table: str, n: int) -> np.ndarray:
    """Take ``n`` consecutive values of the table's identity sequence, so rows can reference each other."""
    if n == 0:
        return np.array([], dtype=np.int64)
    last = session.execute(
        text("SELECT setval(pg_get_serial_sequence(:table, 'id'), nextval(pg_get_serial_sequence(:table, 'id')) + :n - 1)"),
        {"table": table, "n": n},
    ).scalar()
    return np.arange(last - n + 1, last + 1, dtype=np.int64)


def ewkt_points(lon: np.ndarray, lat: np.ndarray, srid: int = 4326) -> np.ndarray:
    """``SRID=4326;POINT(x y)`` strings, six decimals (about 0.1 m)."""
    return np.char.add(
        np.char.add(np.char.add(f"SRID={srid};POINT(", np.char.mod("%.6f", lon)), " "),
        np.char.add(np.char.mod("%.6f", lat), ")"),
    )


@contextmanager
def indexes_and_keys_deferred(session: Session, tables: tuple[str, ...]):
    """Drop the tables' secondary indexes and foreign keys for a bulk load, then rebuild them.

    Building an index once over millions of rows is many times faster than maintaining it row by
    row during COPY, and re-adding a foreign key checks all rows in one join instead of one lookup
    per row. Both are checked again as they are rebuilt (unique indexes, references), so every
    rule still holds when the transaction commits. Primary keys and UNIQUE constraints stay.
    """
    names = {"tables": list(tables)}
    indexes = session.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i"
        " WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
    ), names).all()
    keys = session.execute(text(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(:tables)"
    ), names).all()
    for table, name, _ in keys:
        session.execute(text(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"'))  # noqa: S608 (catalogue names)
    for name, _ in indexes:
        session.execute(text(f'DROP INDEX "{name}"'))  # noqa: S608 (catalogue names)
    yield
    for _, definition in indexes:
        session.execute(text(definition))
    for table, name, definition in keys:
        session.execute(text(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))  # noqa: S608
