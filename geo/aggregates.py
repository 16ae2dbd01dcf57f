"""Pre-aggregated counts keyed by unit code and day, so a map request never joins geometry.

Materialized views, defined in migration 0002 and refreshed after every demo load or import.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

REFRESH = (
    "REFRESH MATERIALIZED VIEW dispute_cell_day",
    "REFRESH MATERIALIZED VIEW grid_cell_households",
    "ANALYZE dispute_cell_day",
    "ANALYZE grid_cell_households",
)


def refresh_aggregates(session: Session) -> None:
    """Recompute every aggregate from the base tables (after a load or an import)."""
    for statement in REFRESH:
        session.execute(text(statement))


def data_version(session: Session) -> str:
    """Changes whenever a demo load or an import changes boundaries or records: a key for caches."""
    return session.execute(text(
        "SELECT (SELECT coalesce(max(id), 0) FROM demo_load) || '-' || (SELECT coalesce(max(id), 0) FROM import_batch)"
    )).scalar()
