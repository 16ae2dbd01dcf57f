"""Imports confined to one area: rows placed outside it, or naming a record of another area, are refused.

``within`` is a code prefix (6 digits: a county; 9 digits: a township). A row whose grid cell does not
start with it is refused before anything is written; so is a row whose number (or 12345 ticket) names an
existing record of another area, which the upsert would otherwise move or change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

PROBLEM_COLUMNS = ["idx", "column", "reason"]


def area_label(session: Session, within: str) -> str:
    """The area's name and code (“浉河区（411502）”), or the bare prefix when no unit has that code."""
    name = session.execute(text(
        "SELECT name FROM region WHERE code IN (CAST(:code AS text), rpad(CAST(:code AS text), 12, '0'))"
        " ORDER BY length(code) LIMIT 1"
    ), {"code": within}).scalar()
    return f"{name}（{within}）" if name else within


def outside(session: Session, rows: pd.DataFrame, grid: pd.Series, within: str | None) -> pd.DataFrame:
    """Problems (idx, column, reason) of the located rows whose grid cell lies outside ``within``."""
    if not within:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    codes = grid.dropna()
    foreign = codes[~codes.astype(str).str.startswith(within)]
    if foreign.empty:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    places = dict(session.execute(text(
        "SELECT g.code, t.name || v.name FROM grid_cell g JOIN region v ON v.code = g.village_code"
        " JOIN region t ON t.code = v.parent_code WHERE g.code = ANY(:codes)"
    ), {"codes": sorted(set(foreign))}).all())
    area = area_label(session, within)
    reasons = [f"第 {row} 行：网格 {code}（{places.get(code, '')}）不在您的管辖范围（{area}）内，未导入"
               for row, code in zip(rows.loc[foreign.index, "row"], foreign)]
    return pd.DataFrame({"idx": foreign.index.to_numpy(dtype=np.int64), "column": "位置", "reason": reasons})


def drop_foreign(session: Session, stage: str, table: str, grid_column: str, within: str | None,
                 label: str) -> pd.DataFrame:
    """Remove from ``stage`` the rows whose key is the ``ref_no`` of a ``table`` record outside ``within``."""
    if not within:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    found = session.execute(text(
        f"DELETE FROM {stage} s USING {table} t WHERE t.ref_no = s.key AND NOT starts_with(t.{grid_column}, :within)"
        f" RETURNING s.idx, s.key, t.{grid_column}"  # noqa: S608 (names from the callers, values bound)
    ), {"within": within}).all()
    area = area_label(session, within) if found else ""
    return pd.DataFrame({"idx": [r[0] for r in found], "column": label, "reason": [
        f"{label} {key} 已有记录，位于网格 {code}，不在您的管辖范围（{area}）内：不能修改其他地区的记录"
        for _, key, code in found]}, columns=PROBLEM_COLUMNS)
