"""Dispute counts per grid cell and day, and households per grid cell (materialized views).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 06:20:00
"""

from alembic import op

DISPUTE_CELL_DAY = """
CREATE MATERIALIZED VIEW dispute_cell_day AS
SELECT d.grid_code, d.township_code, d.county_code,
       (d.reported_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
       d.domain, d.status, d.risk_level,
       count(*)::int AS disputes,
       (count(*) FILTER (WHERE d.status <> 'resolved'))::int AS unresolved,
       count(p.source_dispute_id)::int AS petitioned
FROM dispute d
LEFT JOIN (SELECT DISTINCT source_dispute_id FROM petition WHERE source_dispute_id IS NOT NULL) p
       ON p.source_dispute_id = d.id
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
GRID_CELL_HOUSEHOLDS = """
CREATE MATERIALIZED VIEW grid_cell_households AS
SELECT g.code AS grid_code, g.township_code, g.county_code, count(h.id)::int AS households
FROM grid_cell g LEFT JOIN household h ON h.grid_code = g.code
GROUP BY 1, 2, 3
"""
INDEXES = (
    "CREATE INDEX ix_dispute_cell_day_day ON dispute_cell_day (day)",
    "CREATE INDEX ix_dispute_cell_day_county_day ON dispute_cell_day (county_code, day)",
    "CREATE INDEX ix_dispute_cell_day_township_day ON dispute_cell_day (township_code, day)",
    "CREATE UNIQUE INDEX ix_grid_cell_households_grid ON grid_cell_households (grid_code)",
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(DISPUTE_CELL_DAY)
    op.execute(GRID_CELL_HOUSEHOLDS)
    for statement in INDEXES:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP MATERIALIZED VIEW grid_cell_households")
    op.execute("DROP MATERIALIZED VIEW dispute_cell_day")
