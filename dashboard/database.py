"""The dashboard's engines, created on first use (never at import time).

Pages read and write through the application role (``fengqiao_app``): every transaction starts by
handing the signed-in principal's scopes to PostgreSQL, whose row-level security policies then
admit only that area's rows. Bulk imports and aggregate refreshes need the owner and go through
``owner_session`` after the page has checked the user's role and area.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import cache
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.orm import Session

from geo import access, db


@cache
def _owner_url():
    return db.database_url()


@cache
def _sessions():
    factory = db.session_factory(db.make_engine(db.app_url(_owner_url())))
    event.listen(factory, "after_begin", _scope_transaction)
    return factory


@cache
def _owner_sessions():
    return db.session_factory(db.make_engine(_owner_url()))


def _scope_transaction(_session, _transaction, connection) -> None:
    access.apply_scope(connection, access.CURRENT.get())


def clear() -> None:
    """Forget the engines (a test pointing the dashboard at another database)."""
    for cached in (_owner_url, _sessions, _owner_sessions):
        cached.cache_clear()


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reads under the current principal's scopes; rolled back at the end."""
    session = _sessions()()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@contextmanager
def write_session() -> Iterator[Session]:
    """A session under the current principal's scopes, committed at the end or rolled back on error."""
    with _sessions().begin() as session:
        yield session


@contextmanager
def owner_session() -> Iterator[Session]:
    """A session as the owner (bulk COPY, aggregate refresh): only after the caller's own checks."""
    with _owner_sessions().begin() as session:
        yield session
