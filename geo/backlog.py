"""Backlog cases (积案) on a day: who owns each, how far it got, and whether the petitioner came back.

Everything is read "as of" a day, so a past day gives the state of that day: a case counts once it was
handed down (``handed_down_on <= as_of``) and as resolved once ``resolved_on <= as_of``.

Stage of a case on ``as_of`` (``STAGES``, the first that applies):
``resolved_on_time`` resolved by then, on or before its deadline; ``resolved_late`` resolved by then,
after its deadline; ``overdue`` not resolved and ``as_of`` past the deadline; ``stalled`` not resolved,
within the deadline, and recorded as 停滞 (the records keep only the current status, so "stalled" is
today's status, also for a past day); ``open`` the rest.

Petitioned again: a petition received after the hand-down day (and by ``as_of``) that is either by the
same petitioner (same ID number as the case's petition; petitions without one never match) or in the same
repeat chain (the petitions linked to the case's petition through ``previous_petition_id``, both ways).

Area: ``""``/``"411500"`` the city, a county, or a township (cases whose linked petition came from it), as
in ``geo.kpis``.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas import area_kind, county_of
from geo.deadlines import check_day
from geo.enums import BacklogMode, BacklogStatus
from geo.errors import InvalidInput
from geo.kpis import _BACKLOG_FILTER, _check_area, kpi_frame
from geo.privacy import mask_name

STAGES = {
    "resolved_on_time": "按期化解",
    "resolved_late": "超期化解",
    "overdue": "超期未化解",
    "stalled": "停滞",
    "open": "化解中",
}
SCORE_GROUPINGS = ("leader", "county")
MAX_CHAIN = 200
"""Longest repeat chain followed; a longer one (or a cycle from a faulty import) is cut there."""
DEFINITION = (
    "按所选日期回看：交办日不晚于该日的积案计入；化解日不晚于该日的为已化解，化解日不晚于化解期限的为“按期化解”，"
    "晚于期限的为“超期化解”；未化解且已过期限的为“超期未化解”；其余未化解的按记录状态为“停滞”或“化解中”。"
    "“交办后又信访”：交办日之后（至所选日期）又收到同一信访人（身份证号相同）或同一重复信访链上的信访事项。"
    "积案化解率按累计口径：截至各月末累计交办的积案中，截至该月末已化解的件数 ÷ 累计交办件数。"
)

_CASES = """
WITH RECURSIVE cases AS (
    SELECT c.id, c.ref_no, c.petition_id, c.county_code, c.title, c.handed_down_by, c.handed_down_on,
           c.leader_name, c.leader_title, c.mode, c.deadline, c.status, c.resolved_on,
           p.ref_no AS petition_ref, p.petitioner_name, p.petitioner_id_number
    FROM backlog_case c LEFT JOIN petition p ON p.id = c.petition_id
    WHERE c.handed_down_on <= :as_of {backlog_filter}
), up AS (
    SELECT c.id AS case_id, c.petition_id AS petition_id, p.previous_petition_id AS previous, 1 AS depth
    FROM cases c JOIN petition p ON p.id = c.petition_id
    UNION ALL
    SELECT u.case_id, p.id, p.previous_petition_id, u.depth + 1
    FROM up u JOIN petition p ON p.id = u.previous
    WHERE u.depth < :max_chain
), roots AS (
    SELECT DISTINCT ON (case_id) case_id, petition_id AS root_id FROM up ORDER BY case_id, depth DESC
), chain AS (
    SELECT r.case_id, r.root_id AS petition_id, 1 AS depth FROM roots r
    UNION ALL
    SELECT ch.case_id, p.id, ch.depth + 1
    FROM chain ch JOIN petition p ON p.previous_petition_id = ch.petition_id
    WHERE ch.depth < :max_chain
), related AS (
    SELECT case_id, petition_id FROM chain
    UNION
    SELECT c.id, o.id FROM cases c JOIN petition o ON o.petitioner_id_number = c.petitioner_id_number
), later AS (
    SELECT c.id AS case_id, count(*) AS later_petitions, max(lp.received_on) AS last_petition_on
    FROM cases c
    JOIN related r ON r.case_id = c.id
    JOIN petition lp ON lp.id = r.petition_id
    WHERE lp.received_on > c.handed_down_on AND lp.received_on <= :as_of
    GROUP BY c.id
)
SELECT c.*, k.name AS county_name, coalesce(l.later_petitions, 0) AS later_petitions, l.last_petition_on
FROM cases c
LEFT JOIN later l ON l.case_id = c.id
LEFT JOIN region k ON k.code = c.county_code
ORDER BY c.handed_down_on DESC, c.ref_no
"""

CASE_COLUMNS = [
    "ref_no", "title", "county_code", "county_name", "handed_down_by", "handed_down_on", "leader_name",
    "leader_title", "mode", "deadline", "stage", "stage_label", "resolved_on", "days_left", "days_overdue",
    "petition_ref", "petitioner_name", "petitioned_again", "later_petitions", "last_petition_on",
]


def _stage(resolved_on, deadline, status, as_of) -> str:
    if resolved_on is not None and resolved_on <= as_of:
        return "resolved_on_time" if resolved_on <= deadline else "resolved_late"
    if as_of > deadline:
        return "overdue"
    return "stalled" if status == BacklogStatus.STALLED.value else "open"


def backlog_cases(session: Session, as_of: date, area: str = "") -> pd.DataFrame:
    """Every backlog case of the area handed down by ``as_of``, latest hand-down first.

    Columns ``CASE_COLUMNS``: ``mode`` the 四办 label; ``stage`` (a key of ``STAGES``) and its label;
    ``resolved_on`` (None unless resolved by ``as_of``); ``days_left`` to the deadline (None once resolved;
    negative when overdue); ``days_overdue`` (days past the deadline, at resolution or on ``as_of``; 0 when on
    time); the linked petition and its petitioner's name (masked); ``petitioned_again``,
    ``later_petitions`` (how many) and ``last_petition_on`` (see the module docstring).
    """
    as_of = check_day(as_of)
    kind = area_kind(area)
    _check_area(session, area, kind)
    rows = session.execute(text(_CASES.format(backlog_filter=_BACKLOG_FILTER[kind])), {
        "as_of": as_of, "county": county_of(area), "township": area, "max_chain": MAX_CHAIN,
    }).mappings().all()
    records = []
    for row in rows:
        stage = _stage(row["resolved_on"], row["deadline"], row["status"], as_of)
        resolved = stage.startswith("resolved")
        end = row["resolved_on"] if resolved else as_of
        records.append({
            "ref_no": row["ref_no"], "title": row["title"], "county_code": row["county_code"],
            "county_name": row["county_name"] or row["county_code"], "handed_down_by": row["handed_down_by"],
            "handed_down_on": row["handed_down_on"], "leader_name": row["leader_name"],
            "leader_title": row["leader_title"], "mode": BacklogMode(row["mode"]).label, "deadline": row["deadline"],
            "stage": stage, "stage_label": STAGES[stage],
            "resolved_on": row["resolved_on"] if resolved else None,
            "days_left": None if resolved else (row["deadline"] - as_of).days,
            "days_overdue": max((end - row["deadline"]).days, 0),
            "petition_ref": row["petition_ref"], "petitioner_name": mask_name(row["petitioner_name"]),
            "petitioned_again": row["later_petitions"] > 0, "later_petitions": int(row["later_petitions"]),
            "last_petition_on": row["last_petition_on"],
        })
    frame = pd.DataFrame(records, columns=CASE_COLUMNS)
    frame = frame.astype({"days_left": "Int64", "days_overdue": "int64", "later_petitions": "int64",
                         "petitioned_again": bool})
    frame.attrs["as_of"] = as_of
    return frame


SCORE_COLUMNS = ["handed_down", "resolved", "resolved_on_time", "resolved_late", "open", "overdue", "petitioned_again",
                 "resolution_rate", "on_time_rate"]


def scorecards(session: Session, as_of: date, area: str = "", by: str = "leader") -> pd.DataFrame:
    """Per leader or per county: cases handed down by ``as_of``, resolved, on time, late, overdue, returned.

    ``by="leader"``: one row per (county, leader name, title), sorted by overdue (most first), then
    resolution rate (lowest first). ``by="county"``: one row per county with cases, by code.
    Columns: the group keys (``county_code``, ``county_name`` and for leaders ``leader_name``, ``leader_title``),
    then ``SCORE_COLUMNS``: ``open`` = not resolved (``overdue`` included, ``stalled`` too);
    ``resolution_rate`` = resolved ÷ handed down; ``on_time_rate`` = resolved on time ÷ handed down.
    """
    if by not in SCORE_GROUPINGS:
        raise InvalidInput(f"不支持的分组方式“{by}”：可选 leader（包案领导）、county（县区）。")
    return score_table(backlog_cases(session, as_of, area), by)


def score_table(cases: pd.DataFrame, by: str) -> pd.DataFrame:
    """``scorecards`` from a frame of ``backlog_cases`` already read (so a page reads the cases once)."""
    if by not in SCORE_GROUPINGS:
        raise InvalidInput(f"不支持的分组方式“{by}”：可选 leader（包案领导）、county（县区）。")
    keys = ["county_code", "county_name"] + (["leader_name", "leader_title"] if by == "leader" else [])
    counted = cases[keys].copy()
    counted["handed_down"] = 1
    counted["resolved_on_time"] = (cases["stage"] == "resolved_on_time").astype("int64")
    counted["resolved_late"] = (cases["stage"] == "resolved_late").astype("int64")
    counted["resolved"] = counted["resolved_on_time"] + counted["resolved_late"]
    counted["open"] = 1 - counted["resolved"]
    counted["overdue"] = (cases["stage"] == "overdue").astype("int64")
    counted["petitioned_again"] = cases["petitioned_again"].astype("int64")
    counts = SCORE_COLUMNS[:-2]
    table = counted.groupby(keys, sort=True)[counts].sum().reset_index()
    table = table.astype({c: "int64" for c in counts})
    table["resolution_rate"] = (table["resolved"] / table["handed_down"]).astype("float64")
    table["on_time_rate"] = (table["resolved_on_time"] / table["handed_down"]).astype("float64")
    if by == "leader":
        table = table.sort_values(["overdue", "resolution_rate", "county_code", "leader_name"],
                                  ascending=[False, True, True, True], ignore_index=True)
    return table[keys + SCORE_COLUMNS]


def resolution_trend(session: Session, start: date, end: date, area: str = "") -> pd.DataFrame:
    """The backlog resolution rate per month, cumulative as in ``geo.kpis`` (the same computation).

    Columns ``month`` (1st of the month), ``rate`` (NaN before any case), ``resolved``, ``handed_down``.
    """
    frame = kpi_frame(session, start, end, area, by="month")
    return pd.DataFrame({
        "month": frame["month"],
        "rate": frame["backlog_resolution_rate"],
        "resolved": frame["backlog_resolution_rate_num"],
        "handed_down": frame["backlog_resolution_rate_den"],
    })
