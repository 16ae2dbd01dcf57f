"""The petition pyramid: how many petitions were lodged at each level, and how inverted it is."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.enums import LodgedLevel

UPPER_LEVELS = (LodgedLevel.CITY, LodgedLevel.PROVINCE, LodgedLevel.BEIJING)
INVERSION_DEFINITION = "倒金字塔指数 = 市级及以上（市级、到省、赴京）登记的信访事项 ÷ 全部信访事项；超过 0.5 即为“信访上行”。"


def level_counts_by_county_year(session: Session, start: date, end: date) -> pd.DataFrame:
    """Petitions received in the period per county, year and level lodged (one column per level)."""
    rows = session.execute(text(
        "SELECT county_code, extract(year FROM received_on)::int AS year, lodged_level, count(*) AS n"
        " FROM petition WHERE received_on BETWEEN :start AND :end GROUP BY 1, 2, 3"
    ), {"start": start, "end": end}).all()
    frame = pd.DataFrame(rows, columns=["county_code", "year", "lodged_level", "n"])
    table = frame.pivot_table(index=["county_code", "year"], columns="lodged_level", values="n", fill_value=0)
    return table.reindex(columns=[level.value for level in LodgedLevel], fill_value=0).astype(int)


def inversion_index(counts: pd.DataFrame) -> pd.Series:
    """Share lodged at city level and above, per row of a level-count table."""
    total = counts.sum(axis=1)
    upper = counts[[level.value for level in UPPER_LEVELS]].sum(axis=1)
    return (upper / total).where(total > 0)
