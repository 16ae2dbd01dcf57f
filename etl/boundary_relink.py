"""Records follow their location after grid cells changed shape.

Households, party members, disputes and risk events store a point: each one in, or formerly in, a
changed cell moves to the cell that now covers its point, a cell of its own village first (then the
lowest code, for a point on a border), within the importer's area. A point that no cell covers keeps
its cell and is counted as unplaced. Petitions store no point, only the grid cell they came from: a
petition that came from a dispute (``source_dispute_id``) moves with that dispute when it shared its
cell; other petitions, and disputes without a point, keep the cell their ledger named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from etl.progress import Progress, no_progress

POINT_TABLES = {"household": ("住户", "户"), "party_member": ("党员", "名"), "dispute": ("纠纷", "件"),
                "risk_event": ("风险事件", "件")}
PETITION = ("信访", "件")
MOVE = (
    "WITH candidates AS (SELECT t.id, t.grid_code, t.geom FROM {table} t"
    "   WHERE t.geom IS NOT NULL AND t.grid_code = ANY(:codes)"
    "   UNION SELECT t.id, t.grid_code, t.geom FROM grid_cell c JOIN {table} t ON ST_Covers(c.geom, t.geom)"
    "   WHERE c.code = ANY(:codes)),"
    # left(code, n) = :within, not LIKE: a LIKE prefix turned each lookup into a range scan of the area's cells
    " target AS (SELECT x.id, x.grid_code AS old, cover.code AS new FROM candidates x"
    "   LEFT JOIN LATERAL (SELECT g.code FROM grid_cell g WHERE ST_Covers(g.geom, x.geom)"
    "   AND left(g.code, length(:within)) = :within ORDER BY g.village_code = left(x.grid_code, 12) DESC, g.code"
    "   LIMIT 1) cover ON true),"
    " moved AS (UPDATE {table} t SET grid_code = target.new FROM target"
    "   WHERE t.id = target.id AND target.new IS NOT NULL AND target.new <> target.old"
    "   RETURNING t.id, target.old, target.new){follow}"
    " SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM target WHERE new IS NULL){followed}"
)
FOLLOW = (
    ", petitions AS (UPDATE petition p SET origin_grid_code = moved.new FROM moved"
    "   WHERE p.source_dispute_id = moved.id AND p.origin_grid_code = moved.old RETURNING 1)"
)


@dataclass
class Relinked:
    """Records moved to another cell per table label, and those whose point no cell covers."""

    moved: dict[str, int] = field(default_factory=dict)
    unplaced: dict[str, int] = field(default_factory=dict)

    def sentence(self) -> str:
        units = {label: unit for label, unit in [*POINT_TABLES.values(), PETITION]}
        text_ = "重新归属：" + "，".join(f"{label} {n:,} {units[label]}" for label, n in self.moved.items())
        lost = [f"{label} {n:,} {units[label]}" for label, n in self.unplaced.items() if n]
        return text_ + (f"；位置不在任何网格内、保持原网格：{'，'.join(lost)}" if lost else "")


def relink_records(session: Session, cells: list[str], within: str = "", progress: Progress = no_progress) -> Relinked:
    """Move the records located in or formerly in ``cells`` to the cells now covering their points;
    ``progress("relink", tables done, tables)`` hears of each table."""
    result = Relinked()
    if not cells:
        return result
    for done, (table, (label, _unit)) in enumerate(POINT_TABLES.items()):
        progress("relink", done, len(POINT_TABLES))
        follow = table == "dispute"
        sql = MOVE.format(table=table, follow=FOLLOW if follow else "",
                          followed=", (SELECT count(*) FROM petitions)" if follow else "")
        row = session.execute(text(sql), {"codes": cells, "within": within}).one()
        result.moved[label], result.unplaced[label] = row[0], row[1]
        if follow:
            result.moved[PETITION[0]] = row[2]
    progress("relink", len(POINT_TABLES), len(POINT_TABLES))
    return result
