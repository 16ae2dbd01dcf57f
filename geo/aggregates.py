"""Pre-aggregated counts keyed by unit code and day, so a map request never joins geometry.

Materialized views, defined in migration 0002 and refreshed after every demo load or import:
``dispute_cell_day`` reads disputes (and which disputes a petition came from); ``grid_cell_households``
reads households, which only the demo loader writes. A ledger import therefore refreshes only the
views that read disputes, and only when it wrote disputes.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

VIEWS = ("dispute_cell_day", "grid_cell_households")
DISPUTE_VIEWS = ("dispute_cell_day",)
"""The views a dispute ledger import changes (petition imports never set ``source_dispute_id``)."""
REFRESH_WORK_MEM = "512MB"
"""Lets a refresh group a city's disputes in one in-memory hash instead of sorting them on disk (about a
third faster for a million disputes); it lasts until the end of the transaction."""


def refresh_aggregates(session: Session, views: tuple[str, ...] = VIEWS) -> None:
    """Recompute ``views`` (by default every aggregate) from the base tables, after a load or an import."""
    session.execute(text(f"SET LOCAL work_mem = '{REFRESH_WORK_MEM}'"))
    for view in views:
        if view not in VIEWS:
            raise ValueError(f"unknown aggregate {view}")
        session.execute(text(f"REFRESH MATERIALIZED VIEW {view}"))
        session.execute(text(f"ANALYZE {view}"))


def data_version(session: Session) -> str:
    """Changes whenever a demo load or an import changes boundaries or records: a key for caches."""
    return session.execute(text(
        "SELECT (SELECT coalesce(max(id), 0) FROM demo_load) || '-' || (SELECT coalesce(max(id), 0) FROM import_batch)"
    )).scalar()
