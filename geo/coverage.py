"""党员联户 coverage of an area: how many households have a linked member, and how loaded the members are.

Households and members are those the session can see (row-level security applies). A household is linked
when it has an active link; a member's load counts all its active links (households of other areas
included, through ``member_active_links``) and is compared with the effective cap, min(member capacity,
township cap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas import area_column
from geo.errors import InvalidInput
from geo.models import DEFAULT_LINK_CAP
from geo.privacy import mask_name

OVER, IDLE, NORMAL = "超载", "空闲", "正常"
UNIT_COLUMNS = ["code", "name", "households", "linked", "share_linked", "members", "over_cap", "idle_members"]
MEMBER_COLUMNS = ["member_id", "name", "grid_code", "township_code", "load", "cap", "status"]


@dataclass
class Coverage:
    households: int
    linked: int
    share_linked: float
    """linked ÷ households; NaN when the area has no household."""
    members_over: int
    """Members whose load exceeds their effective cap."""
    members_under: int
    """Idle members: load 0."""
    cells_without_member: int
    """Grid cells of the area that have households but no party member."""
    units: pd.DataFrame
    """``UNIT_COLUMNS``, one row per grid cell (township area) or township (county area), worst first:
    lowest share linked (cells without households last), then most households."""
    members: pd.DataFrame
    """``MEMBER_COLUMNS`` (name masked), one row per member of the area; status 超载 / 空闲 / 正常."""


def coverage(session: Session, area_code: str) -> Coverage:
    """Coverage of a township (12-digit code) or a county (6 digits)."""
    column = area_column(area_code)
    if column is None:
        raise InvalidInput(f"区域代码应为 6 位县区代码或 12 位乡镇（街道）代码，收到 {area_code!r}。")
    params = {"code": area_code, "default_cap": DEFAULT_LINK_CAP}
    cells = pd.DataFrame(session.execute(text(f"""
        SELECT c.code, c.name, c.township_code, r.name AS township_name,
               coalesce(h.households, 0) AS households, coalesce(h.linked, 0) AS linked
        FROM grid_cell c LEFT JOIN region r ON r.code = c.township_code
        LEFT JOIN (SELECT hh.grid_code, count(*) AS households, count(*) FILTER (WHERE EXISTS (
                       SELECT 1 FROM member_household_link l WHERE l.household_id = hh.id AND l.valid_to IS NULL))
                       AS linked
                   FROM household hh WHERE hh.{column} = :code GROUP BY hh.grid_code) h ON h.grid_code = c.code
        WHERE c.{column} = :code"""), params).all(),
        columns=["code", "name", "township_code", "township_name", "households", "linked"])
    members = pd.DataFrame(session.execute(text(f"""
        SELECT m.id, m.name, m.grid_code, m.township_code,
               member_active_links(m.id) AS load,
               LEAST(m.capacity, coalesce(c.cap, :default_cap)) AS cap
        FROM party_member m LEFT JOIN link_cap c ON c.township_code = m.township_code
        WHERE m.{column} = :code ORDER BY m.id"""), params).all(),
        columns=MEMBER_COLUMNS[:-1])
    members["name"] = members["name"].map(mask_name)
    members["status"] = np.select([members["load"] > members["cap"], members["load"] == 0], [OVER, IDLE], NORMAL)
    members = members.astype({"load": "int64", "cap": "int64"})

    counted = ["members", "over_cap", "idle_members"]
    flags = pd.DataFrame({"grid_code": members["grid_code"], "members": 1, "over_cap": members["status"].eq(OVER),
                          "idle_members": members["status"].eq(IDLE)})
    cells = cells.join(flags.groupby("grid_code")[counted].sum(), on="code")
    cells[counted] = cells[counted].fillna(0).astype("int64")
    if column == "township_code":
        units = cells[["code", "name", "households", "linked", *counted]]
    else:
        units = (cells.groupby(["township_code", "township_name"], dropna=False, as_index=False)
                 [["households", "linked", *counted]].sum()
                 .rename(columns={"township_code": "code", "township_name": "name"}))
    units = units.astype({c: "int64" for c in ["households", "linked", *counted]})
    units["share_linked"] = units["linked"] / units["households"].where(units["households"] > 0)
    units = units.sort_values(["share_linked", "households", "code"], ascending=[True, False, True],
                              na_position="last", ignore_index=True)[UNIT_COLUMNS]

    households, linked = int(cells["households"].sum()), int(cells["linked"].sum())
    return Coverage(
        households=households, linked=linked, share_linked=linked / households if households else float("nan"),
        members_over=int((members["status"] == OVER).sum()), members_under=int((members["status"] == IDLE).sum()),
        cells_without_member=int(((cells["households"] > 0) & (cells["members"] == 0)).sum()),
        units=units, members=members,
    )
