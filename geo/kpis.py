"""The plan's headline results (一升一降一减少), computed in the database for a period and an area.

``kpi_frame`` gives every KPI with its numerator and denominator, for the whole period or split by
county, month or county × year; ``kpi_summary`` compares a period with the same period a year earlier.
One SQL statement per frame: the period is cut into buckets here (whole period, calendar months or
years clipped to it), the database assigns each record to its bucket with ``width_bucket`` and counts.

Area: ``""`` or ``"411500"`` is the whole city, a 6-digit code a county-level unit, a 12-digit code a
township. Petitions and risk events match on their generated ``county_code`` / ``township_code``.
Backlog cases carry only a county; for a township they are the cases whose linked petition came from
that township (cases with no linked petition count for their county and the city only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas import area_kind, county_of
from geo.enums import Direction, LodgedLevel, PetitionCategory, RegionLevel, RiskEventKind, Satisfaction
from geo.errors import InvalidInput, NotFound

LOCAL_TIMEZONE = "Asia/Shanghai"
"""Risk events are stamped with a time; the day they count for is the local (Beijing time) date."""


@dataclass(frozen=True)
class Kpi:
    """One headline result: its key, Chinese label, the way the plan wants it to move, and its rule."""

    key: str
    label: str
    direction: Direction
    is_rate: bool
    definition: str


KPIS: tuple[Kpi, ...] = (
    Kpi("one_time_resolution_rate", "一次性化解率", Direction.UP, True,
        "统计期内办结（按办结日期）的初次申诉求决类信访事项中，一次性化解的件数 ÷ 这些事项的总件数。"),
    Kpi("satisfaction_rate", "群众满意率", Direction.UP, True,
        "统计期内办结（按办结日期）且已回访评价的初次申诉求决类信访事项中，"
        "“满意”与“基本满意”件数之和 ÷ 已评价件数；未评价的不计入。"),
    Kpi("national_registration_share", "国家信访局登记申诉求决类占比", Direction.DOWN, True,
        "统计期内收到（按收到日期）的信访事项中，经国家信访局登记的申诉求决类件数 ÷ 全部信访事项件数（含各类别）。"),
    Kpi("beijing_province_count", "赴京到省访", Direction.DOWN, False,
        "统计期内收到（按收到日期）的到省访和赴京访信访事项件数。"),
    Kpi("collective_count", "集体访", Direction.DOWN, False,
        "统计期内收到（按收到日期）的集体访（5人及以上）信访事项件数。"),
    Kpi("gathering_count", "聚集访", Direction.DOWN, False,
        "统计期内发生（按北京时间的发生日期）的规模聚集事件数。"),
    Kpi("backlog_resolution_rate", "积案化解率", Direction.UP, True,
        "累计口径：截至统计期末已交办的积案中，截至期末已化解的件数 ÷ 截至期末累计交办的积案件数（不限于本期交办）。"),
)

GROUPINGS = ("none", "county", "month", "county_year")
"""What ``kpi_frame`` may split by (the allow-list)."""

_PER_COUNTY = {"none": False, "county": True, "month": False, "county_year": True}
_GRAIN = {"none": None, "county": None, "month": "month", "county_year": "year"}

# SQL fragments chosen by area kind (never built from input): which rows of each table are in the area.
_PETITION_FILTER = {
    "city": "",
    "county": "AND p.county_code = :county",
    "township": "AND p.township_code = :township",
}
_RISK_FILTER = {
    "city": "",
    "county": "AND r.county_code = :county",
    "township": "AND r.township_code = :township",
}
_BACKLOG_FILTER = {
    "city": "",
    "county": "AND c.county_code = :county",
    "township": "AND EXISTS (SELECT 1 FROM petition bp WHERE bp.id = c.petition_id AND bp.township_code = :township)",
}
# The unit a record is counted for: its county when splitting by county, one constant unit otherwise.
_UNITS = {
    True: "SELECT code AS unit, name AS unit_name FROM region WHERE level = :county_level AND code LIKE :county_like",
    False: "SELECT ''::text AS unit, ''::text AS unit_name",
}
_UNIT_OF = {
    True: {"p": "p.county_code", "r": "r.county_code", "c": "c.county_code"},
    False: {"p": "''::text", "r": "''::text", "c": "''::text"},
}

_SQL = """
WITH buckets AS (
    SELECT b.ord, b.lo, b.hi
    FROM unnest(CAST(:lo AS date[]), CAST(:hi AS date[])) WITH ORDINALITY AS b(lo, hi, ord)
),
units AS ({units}),
received AS (
    SELECT width_bucket(p.received_on, CAST(:lo AS date[])) AS ord, {unit_p} AS unit,
           count(*) AS all_received,
           count(*) FILTER (WHERE p.category = :complaint AND p.nationally_registered) AS national,
           count(*) FILTER (WHERE p.lodged_level IN (:province, :beijing)) AS beijing_province,
           count(*) FILTER (WHERE p.is_collective) AS collective
    FROM petition p
    WHERE p.received_on BETWEEN :start AND :end {petition_filter}
    GROUP BY 1, 2
),
closed AS (
    SELECT width_bucket(p.closed_on, CAST(:lo AS date[])) AS ord, {unit_p} AS unit,
           count(*) AS first_closed,
           count(*) FILTER (WHERE p.one_time_resolved) AS one_time,
           count(*) FILTER (WHERE p.satisfaction IS NOT NULL) AS rated,
           count(*) FILTER (WHERE p.satisfaction IN (:satisfied, :basically_satisfied)) AS satisfied
    FROM petition p
    -- closed_on >= received_on is a CHECK, so received_on <= :end lets the (county, received_on) index help.
    WHERE p.closed_on BETWEEN :start AND :end AND p.received_on <= :end
      AND p.is_first AND p.category = :complaint {petition_filter}
    GROUP BY 1, 2
),
gatherings AS (
    SELECT width_bucket((r.occurred_at AT TIME ZONE :tz)::date, CAST(:lo AS date[])) AS ord, {unit_r} AS unit,
           count(*) AS gatherings
    FROM risk_event r
    WHERE r.kind = :gathering
      AND r.occurred_at >= (CAST(:start AS date)::timestamp AT TIME ZONE :tz)
      AND r.occurred_at < ((CAST(:end AS date) + 1)::timestamp AT TIME ZONE :tz) {risk_filter}
    GROUP BY 1, 2
),
backlog AS (
    SELECT b.ord, {unit_c} AS unit,
           count(*) AS handed_down,
           count(*) FILTER (WHERE c.resolved_on <= b.hi) AS resolved
    FROM backlog_case c JOIN buckets b ON c.handed_down_on <= b.hi
    WHERE true {backlog_filter}
    GROUP BY 1, 2
)
SELECT u.unit, u.unit_name, b.ord,
       coalesce(cl.one_time, 0) AS one_time_resolution_rate_num,
       coalesce(cl.first_closed, 0) AS one_time_resolution_rate_den,
       coalesce(cl.satisfied, 0) AS satisfaction_rate_num,
       coalesce(cl.rated, 0) AS satisfaction_rate_den,
       coalesce(rc.national, 0) AS national_registration_share_num,
       coalesce(rc.all_received, 0) AS national_registration_share_den,
       coalesce(rc.beijing_province, 0) AS beijing_province_count,
       coalesce(rc.collective, 0) AS collective_count,
       coalesce(g.gatherings, 0) AS gathering_count,
       coalesce(bl.resolved, 0) AS backlog_resolution_rate_num,
       coalesce(bl.handed_down, 0) AS backlog_resolution_rate_den
FROM units u CROSS JOIN buckets b
LEFT JOIN received rc ON rc.unit = u.unit AND rc.ord = b.ord
LEFT JOIN closed cl ON cl.unit = u.unit AND cl.ord = b.ord
LEFT JOIN gatherings g ON g.unit = u.unit AND g.ord = b.ord
LEFT JOIN backlog bl ON bl.unit = u.unit AND bl.ord = b.ord
ORDER BY u.unit, b.ord
"""


def _check_area(session: Session, area: str, kind: str) -> None:
    if kind == "city":
        return
    level = RegionLevel.COUNTY if kind == "county" else RegionLevel.TOWNSHIP
    found = session.execute(
        text("SELECT 1 FROM region WHERE code = :code AND level = :level"), {"code": area, "level": level.value}
    ).first()
    if found is None:
        raise NotFound(f"找不到{level.label}“{area}”：请从区域列表中重新选择。")


def _buckets(start: date, end: date, grain: str | None) -> list[tuple[date, date]]:
    """The period cut into calendar months or years (clipped to it), or kept whole when ``grain`` is None."""
    if grain is None:
        return [(start, end)]
    buckets = []
    first = start.replace(day=1) if grain == "month" else start.replace(month=1, day=1)
    while first <= end:
        if grain == "month":
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        else:
            following = date(first.year + 1, 1, 1)
        buckets.append((max(first, start), min(following - timedelta(days=1), end)))
        first = following
    return buckets


def kpi_frame(session: Session, start: date, end: date, area: str = "", by: str = "none") -> pd.DataFrame:
    """Every KPI of ``KPIS`` for the period ``start``–``end`` (inclusive) in ``area``, split ``by``.

    ``by``: ``none`` (one row), ``county`` (every county-level unit of the area, zeros included:
    ``county_code``, ``county_name``), ``month`` (``month``: the 1st of each calendar month overlapping
    the period) or ``county_year`` (``county_code``, ``county_name``, ``year``). Months and years are
    clipped to the period; the backlog rate is cumulative to each row's own end.
    Columns after those: the seven KPI keys in ``KPIS`` order (rates float, NaN when the denominator
    is 0; counts int), then ``<key>_num`` and ``<key>_den`` (int) for each rate.
    """
    if by not in GROUPINGS:
        raise InvalidInput(f"不支持的分组方式“{by}”：可选 {'、'.join(GROUPINGS)}。")
    if start > end:
        raise InvalidInput(f"统计期起始日 {start:%Y-%m-%d} 晚于截止日 {end:%Y-%m-%d}：请重新选择统计期。")
    kind = area_kind(area)
    _check_area(session, area, kind)
    per_county = _PER_COUNTY[by]
    buckets = _buckets(start, end, _GRAIN[by])
    sql = _SQL.format(
        units=_UNITS[per_county],
        unit_p=_UNIT_OF[per_county]["p"],
        unit_r=_UNIT_OF[per_county]["r"],
        unit_c=_UNIT_OF[per_county]["c"],
        petition_filter=_PETITION_FILTER[kind],
        risk_filter=_RISK_FILTER[kind],
        backlog_filter=_BACKLOG_FILTER[kind],
    )
    params = {
        "start": start, "end": end,
        "lo": [lo for lo, _ in buckets], "hi": [hi for _, hi in buckets],
        "county": county_of(area), "township": area,
        "county_level": RegionLevel.COUNTY.value,
        "county_like": ("" if kind == "city" else county_of(area)) + "%",
        "complaint": PetitionCategory.COMPLAINT_REQUEST.value,
        "province": LodgedLevel.PROVINCE.value, "beijing": LodgedLevel.BEIJING.value,
        "satisfied": Satisfaction.SATISFIED.value, "basically_satisfied": Satisfaction.BASICALLY_SATISFIED.value,
        "gathering": RiskEventKind.MASS_GATHERING.value, "tz": LOCAL_TIMEZONE,
    }
    raw = pd.DataFrame(session.execute(text(sql), params).mappings().all())
    return _shape(raw, by, buckets)


def _shape(raw: pd.DataFrame, by: str, buckets: list[tuple[date, date]]) -> pd.DataFrame:
    """Group columns, then the KPI values, then numerators and denominators, with fixed dtypes."""
    frame = pd.DataFrame(index=raw.index)
    if _PER_COUNTY[by]:
        frame["county_code"] = raw["unit"].astype(str)
        frame["county_name"] = raw["unit_name"].astype(str)
    if by == "month":
        frame["month"] = [buckets[ord_ - 1][0].replace(day=1) for ord_ in raw["ord"]]
    if by == "county_year":
        frame["year"] = [buckets[ord_ - 1][0].year for ord_ in raw["ord"]]
    for kpi in KPIS:
        if kpi.is_rate:
            num = raw[f"{kpi.key}_num"].astype("int64")
            den = raw[f"{kpi.key}_den"].astype("int64")
            frame[kpi.key] = (num / den.where(den > 0)).astype("float64")
        else:
            frame[kpi.key] = raw[kpi.key].astype("int64")
    for kpi in KPIS:
        if kpi.is_rate:
            frame[f"{kpi.key}_num"] = raw[f"{kpi.key}_num"].astype("int64")
            frame[f"{kpi.key}_den"] = raw[f"{kpi.key}_den"].astype("int64")
    return frame.reset_index(drop=True)


@dataclass(frozen=True)
class KpiValue:
    """A KPI's value for a period, the same period a year earlier, the change, and whether it is better."""

    kpi: Kpi
    value: float | int | None
    previous: float | int | None
    change: float | int | None
    better: bool | None


def year_earlier(day: date) -> date:
    """The same day one year earlier; 29 February becomes 28 February."""
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def _scalar(value) -> float | int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def kpi_summary(session: Session, start: date, end: date, area: str = "") -> list[KpiValue]:
    """Each KPI of ``KPIS`` for the period and area, against the same period one year earlier.

    ``better`` is True when the change goes the plan's way (up for ``Direction.UP``), False when it
    goes the other way, None when there is no change or either value is unknown (empty denominator).
    """
    current = kpi_frame(session, start, end, area).iloc[0]
    earlier = kpi_frame(session, year_earlier(start), year_earlier(end), area).iloc[0]
    values = []
    for kpi in KPIS:
        cast = float if kpi.is_rate else int
        value, previous = _scalar(cast(current[kpi.key])), _scalar(cast(earlier[kpi.key]))
        change = None if value is None or previous is None else value - previous
        if not change:
            better = None
        else:
            better = (change > 0) == (kpi.direction == Direction.UP)
        values.append(KpiValue(kpi, value, previous, change, better))
    return values
