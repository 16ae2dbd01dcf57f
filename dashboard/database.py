"""The dashboard's one engine, created on first use (never at import time)."""

from __future__ import annotations

from contextlib import contextmanager
from functools import cache
from typing import Iterator

from sqlalchemy.orm import Session

from geo import db


@cache
def _sessions():
    return db.session_factory(db.make_engine(db.database_url()))


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reads; rolled back at the end."""
    session = _sessions()()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@contextmanager
def write_session() -> Iterator[Session]:
    """A session whose work is committed at the end, or rolled back if anything fails."""
    with _sessions().begin() as session:
        yield session
