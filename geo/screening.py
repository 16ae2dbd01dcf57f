"""Reporting compliance of the screening cadence (三报告, 日报告零报告): who owes which report, who filed it.

Expected reports are derived from data, never from code: every row of ``report_cadence`` that is
active makes every unit of its level (inside the area) owe one report per period of its cadence,
and rows that apply only in sensitive periods do so for the days of a declared ``sensitive_period``
that covers the unit's county. The derivation is one SQL statement (``generate_series`` per cadence,
joined to ``region`` by level and code prefix, then to ``screening_report`` on its unique key), so a
city-wide three-year request (3,700 units × 156 weeks) never loops in Python and never touches geometry.

Periods: a day (daily); Monday to Sunday (weekly); the 1st–15th and the 16th–last day of a month
(half-monthly). A period belongs to a window when its last day falls inside the window, so windows
that tile the calendar count each period once; it follows the cadence row active on its first day. Areas follow ``geo.kpis``: ``""``/``"411500"`` the
city, a 6-digit county, a 12-digit township (ending in 000) with its villages.
"""

from __future__ import annotations

import calendar
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas import area_kind, county_of, level_of, scope_prefix
from geo.enums import CadenceScope, RecordSource, RegionLevel, ReportEvery, ReportKind
from geo.errors import InvalidInput
from geo.kpis import LOCAL_TIMEZONE, _check_area
from geo.audit import record
from geo.models import ScreeningReport, SensitivePeriod

LOCAL = ZoneInfo(LOCAL_TIMEZONE)
REPORTING_LEVELS = (RegionLevel.COUNTY.value, RegionLevel.TOWNSHIP.value, RegionLevel.VILLAGE.value)

STATUS_LABELS = {
    "on_time": "按时报告",
    "zero": "按时零报告",
    "late": "逾期报告",
    "missing": "未报告",
    "not_due": "未到期",
}
"""Each expected report's status, in the order a matrix cell shows the worst of several (see CELL_ORDER)."""
CELL_ORDER = ("missing", "late", "on_time", "zero", "not_due")
"""A cell holding several reports (a week of daily reports and a weekly one) shows the first status present."""

STATUS_DEFINITION = (
    "报告状态的判定：每份应报报告的截止时间 = 报告期最后一天 0 时 + 报送周期规定的小时数（默认 36 小时，即次日 12:00，北京时间）。"
    "“按时报告”：在截止时间之前或恰好在截止时间报送，且发现了矛盾纠纷；"
    "“按时零报告”：在截止时间之前或恰好在截止时间报送，报告本期未发现矛盾纠纷——零报告也是报告，与未报告不同；"
    "“逾期报告”：截止时间之后才报送，不论是否零报告（逾期的零报告算逾期，不算零报告）；"
    "“未报告”：截止时间已过仍未报送；"
    "“未到期”：截止时间未到且尚未报送，不计入按时率。"
    "按时率 = （按时报告 + 按时零报告）÷ 已到期的应报报告数；零报告占比 = 已报送报告中的零报告（含逾期的）÷ 已报送报告数。"
)

RATE_COLUMNS = ["code", "name", "level", "county_code", "due", "timely", "zero", "late", "missing", "not_due",
                "zero_reports", "reported", "on_time_rate", "zero_share", "rank"]
RATE_GROUPS = {
    # by → (group key, level of the group). An allow-list: never built from input.
    "unit": ("e.unit_code", "e.level"),
    "township": ("CASE WHEN e.level = 'village' THEN left(e.unit_code, 9) || '000' ELSE e.unit_code END",
                 "'township'::text"),
    "county": ("e.county_code", "'county'::text"),
}
RATE_LEVELS = {"unit": REPORTING_LEVELS, "township": ("township", "village"), "county": REPORTING_LEVELS}
MISSING_LOOKBACK_DAYS = 40
"""``missing_now`` looks this far back for each unit's latest expected report (longest period + due time)."""
MAX_SENSITIVE_DAYS = 92

_ACTIVE = """((r.level = 'village' AND EXISTS (SELECT 1 FROM grid_cell g WHERE g.village_code = r.code))
    OR (r.level = 'township' AND EXISTS (SELECT 1 FROM grid_cell g WHERE g.township_code = r.code))
    OR (r.level = 'county' AND EXISTS (SELECT 1 FROM grid_cell g WHERE g.county_code = r.code)))"""
"""An active unit (region ``r``) is one the grid network reaches: at least one grid cell lies below it.
Units outside the network (a county whose grid is not loaded yet) owe no report."""

# Every CTE below is small (cadence rows, a few thousand periods, the units) except ``expected`` and
# ``reports``; materializing ``reports`` makes the planner hash-join the two instead of probing the
# report index once per expected report (its row estimates for generate_series are guesses).
_PERIODS = """
cadence AS MATERIALIZED (
    SELECT c.level, c.kind, c.every, c.applies, c.due_after_hours, c.active_from, c.active_to
    FROM report_cadence c
    WHERE c.level = ANY(:levels) AND c.active_from <= CAST(:end AS date)
),
periods AS MATERIALIZED (
    SELECT c.level, c.kind, c.applies, p.period_start, p.period_end,
           (p.period_end + make_interval(hours => c.due_after_hours)) AT TIME ZONE :tz AS due_at
    FROM cadence c
    CROSS JOIN LATERAL (
        SELECT d::date AS period_start, d::date AS period_end
        FROM generate_series(CAST(:start AS timestamp), CAST(:end AS timestamp), interval '1 day') AS d
        WHERE c.every = 'daily'
        UNION ALL
        SELECT w::date, w::date + 6
        FROM generate_series(CAST(date_trunc('week', CAST(:start AS timestamp) - interval '6 days') AS timestamp),
                             CAST(:end AS timestamp), interval '1 week') AS w
        WHERE c.every = 'weekly'
        UNION ALL
        SELECT h.period_start, h.period_end
        FROM generate_series(CAST(date_trunc('month', CAST(:start AS timestamp)) AS timestamp),
                             CAST(:end AS timestamp), interval '1 month') AS m
        CROSS JOIN LATERAL (VALUES (m::date, m::date + 14),
                                   (m::date + 15, (m + interval '1 month')::date - 1)) AS h(period_start, period_end)
        WHERE c.every = 'half_monthly'
    ) AS p
    WHERE p.period_end BETWEEN CAST(:start AS date) AND CAST(:end AS date)
      AND p.period_start >= c.active_from
      AND (c.active_to IS NULL OR p.period_start <= c.active_to)
),
units AS MATERIALIZED (
    SELECT r.code, coalesce(r.short_name, r.name) AS name, r.level, left(r.code, 6) AS county_code
    FROM region r
    WHERE r.level = ANY(:levels) AND r.code LIKE :prefix AND """ + _ACTIVE + """
),
sensitive AS MATERIALIZED (
    -- periods of the sensitive-period cadences inside a declared period, once per covered county
    -- (overlapping declarations owe one report, not two)
    SELECT DISTINCT p.level, p.kind, p.period_start, p.period_end, p.due_at, c.code AS county_code
    FROM periods p
    JOIN sensitive_period s ON p.period_start >= s.starts_on AND p.period_end <= s.ends_on
    JOIN region c ON c.level = 'county' AND (s.county_codes IS NULL OR c.code = ANY(s.county_codes))
    WHERE p.applies = 'sensitive_period'
),
expected AS (
    SELECT u.code AS unit_code, u.name AS unit_name, u.level, u.county_code, p.kind, p.period_start, p.period_end,
           p.due_at
    FROM periods p
    JOIN units u ON u.level = p.level
    WHERE p.applies = 'always'
    UNION ALL
    SELECT u.code, u.name, u.level, u.county_code, p.kind, p.period_start, p.period_end, p.due_at
    FROM sensitive p
    JOIN units u ON u.level = p.level AND u.county_code = p.county_code
)"""

_COMPLIANCE = """
reports AS MATERIALIZED (
    SELECT r.unit_code, r.kind, r.period_start, r.is_zero, r.disputes_found, r.source, r.submitted_at
    FROM screening_report r
    WHERE r.period_start BETWEEN CAST(:start AS date) - 31 AND CAST(:end AS date) AND r.unit_code LIKE :prefix
      AND r.kind IN (SELECT kind FROM cadence)
),
checked AS (
    SELECT e.*, r.is_zero, r.disputes_found, r.source, r.submitted_at AS filed_at,
           (r.submitted_at IS NOT NULL AND r.submitted_at <= :as_of) AS submitted
    FROM expected e
    LEFT JOIN reports r ON r.unit_code = e.unit_code AND r.kind = e.kind AND r.period_start = e.period_start
),
compliance AS (
    SELECT unit_code, unit_name, level, county_code, kind, period_start, period_end, due_at,
           CASE WHEN submitted THEN filed_at END AS submitted_at,
           CASE WHEN submitted THEN is_zero END AS is_zero,
           CASE WHEN submitted THEN disputes_found END AS disputes_found,
           CASE WHEN submitted THEN source END AS source,
           CASE WHEN NOT submitted THEN CASE WHEN due_at > :as_of THEN 'not_due' ELSE 'missing' END
                WHEN filed_at > due_at THEN 'late'
                WHEN is_zero THEN 'zero'
                ELSE 'on_time' END AS status
    FROM checked
)"""

EXPECTED_COLUMNS = ["unit_code", "unit_name", "level", "county_code", "kind", "period_start", "period_end", "due_at"]
COMPLIANCE_COLUMNS = EXPECTED_COLUMNS + ["submitted_at", "is_zero", "disputes_found", "source", "status"]
_UNIT_COLUMNS = ("unit_name", "level", "county_code")


@dataclass(frozen=True)
class EnteredReport:
    """A report written by the entry form, with the status it will show."""

    id: int
    unit_code: str
    unit_name: str
    kind: str
    period_start: date
    period_end: date
    due_at: datetime
    submitted_at: datetime
    status: str


def _params(session: Session, start: date, end: date, area: str, levels, as_of: datetime | None) -> dict:
    if end < start:
        raise InvalidInput(f"时段的结束日期 {end} 早于开始日期 {start}：请重新选择时段。")
    area = (area or "").strip()
    kind = area_kind(area)
    _check_area(session, area, kind)
    chosen = [level for level in (levels or REPORTING_LEVELS)]
    unknown = [level for level in chosen if level not in REPORTING_LEVELS]
    if unknown:
        raise InvalidInput(f"层级“{'、'.join(unknown)}”不报送排查报告：只能选择县区、乡镇（街道）或村（社区）。")
    return {"start": start, "end": end, "prefix": scope_prefix("" if kind == "city" else area) + "%", "levels": chosen, "tz": LOCAL_TIMEZONE,
            "as_of": _moment(as_of)}


def _moment(as_of: datetime | date | None) -> datetime:
    """A timezone-aware instant: now by default; a date means the end of that day (local time)."""
    if as_of is None:
        return datetime.now(LOCAL)
    if not isinstance(as_of, datetime):
        return datetime.combine(as_of + timedelta(days=1), time(0), LOCAL) - timedelta(microseconds=1)
    return as_of if as_of.tzinfo else as_of.replace(tzinfo=LOCAL)


def _frame(session: Session, sql: str, params: dict, columns: list[str]) -> pd.DataFrame:
    """A small result as a frame (timestamps converted to local time)."""
    result = session.execute(text(sql), params)
    frame = pd.DataFrame(result.all(), columns=columns)
    for column in ("due_at", "submitted_at", "declared_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(LOCAL_TIMEZONE)
    return frame


_BIND = re.compile(r"(?<![:\w]):(\w+)")
_INSTANTS = ("due_at", "submitted_at")
"""Timestamps travel as epoch seconds: parsing numbers is far cheaper than parsing 700,000 ISO strings."""


def _select(columns: list[str]) -> str:
    return ", ".join(f"date_part('epoch', {c}) AS {c}" if c in _INSTANTS else c for c in columns)


def _big_frame(session: Session, sql: str, params: dict, columns: list[str]) -> pd.DataFrame:
    """A large result (hundreds of thousands of expected reports) streamed with COPY … TO STDOUT as CSV
    and parsed by pandas: several times faster than building a Python row per report. Parameters are
    still bound by psycopg, never formatted into the SQL."""
    query = _BIND.sub(r"%(\1)s", sql.replace("%", "%%"))
    buffer = io.BytesIO()
    with session.connection().connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)", params) as copy:
            for block in copy:
                buffer.write(block)
    if buffer.tell() == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    buffer.seek(0)
    text_columns = {c: str for c in ("unit_code", "unit_name", "level", "county_code", "kind", "source", "status")}
    frame = pd.read_csv(buffer, names=columns, header=None, dtype=text_columns, keep_default_na=False,
                        na_values={c: [""] for c in columns if c not in text_columns})
    frame = frame.sort_values(["unit_code", "kind", "period_start"], ignore_index=True)  # ISO dates sort as text
    for column in ("period_start", "period_end"):
        days = {value: date.fromisoformat(value) for value in frame[column].unique()}
        frame[column] = frame[column].map(days)
    for column in _INSTANTS:
        if column in frame:
            micros = np.round(frame[column].to_numpy(float) * 1e6)  # exact: under 2**53 µs until the year 2255
            frame[column] = pd.to_datetime(micros, unit="us", utc=True).tz_convert(LOCAL_TIMEZONE)
    if "is_zero" in frame:
        frame["is_zero"] = frame["is_zero"].map({"t": True, "f": False})
    if "disputes_found" in frame:
        frame["disputes_found"] = frame["disputes_found"].astype("Int64")
    if "source" in frame:
        frame["source"] = frame["source"].replace("", None)
    return frame


def _with_units(session: Session, sql: str, params: dict, columns: list[str]) -> pd.DataFrame:
    """``sql`` (one row per expected report, without the unit's name, level and county) streamed, then
    joined in memory to the units: 3,700 names instead of 700,000 copies of them on the wire."""
    own = [c for c in columns if c not in _UNIT_COLUMNS]
    frame = _big_frame(session, sql.replace("{columns}", _select(own)), params, own)
    units = _frame(session, f"WITH {_PERIODS} SELECT code, name, level, county_code FROM units", params,
                   ["unit_code", "unit_name", "level", "county_code"])
    return frame.merge(units, on="unit_code", how="left")[columns]


def expected_reports(session: Session, start: date, end: date, area: str = "", levels=None) -> pd.DataFrame:
    """Every report owed by units in ``area`` for periods ending in ``start``–``end`` (both included).

    Columns: unit_code, unit_name, level, county_code, kind, period_start, period_end, due_at
    (timezone-aware, Asia/Shanghai), ordered by unit, kind and period. ``levels`` narrows to some of
    county, township, village.
    """
    params = _params(session, start, end, area, levels, None)
    return _with_units(session, f"WITH {_PERIODS} SELECT {{columns}} FROM expected", params, EXPECTED_COLUMNS)


def compliance(session: Session, start: date, end: date, area: str = "", levels=None,
               as_of: datetime | date | None = None) -> pd.DataFrame:
    """The expected reports with what was filed and a status (see STATUS_DEFINITION), as of ``as_of`` (now).

    A report filed after ``as_of`` counts as not yet filed, so a past date shows what supervision saw then.
    """
    params = _params(session, start, end, area, levels, as_of)
    return _with_units(session, f"WITH {_PERIODS}, {_COMPLIANCE} SELECT {{columns}} FROM compliance", params,
                       COMPLIANCE_COLUMNS)


def compliance_rates(session: Session, start: date, end: date, area: str = "", by: str = "unit", levels=None,
                     as_of: datetime | date | None = None) -> pd.DataFrame:
    """Counts and rates per unit (``by="unit"``), per township (its own reports and its villages') or per
    county (all its units' reports, its own half-monthly analyses included), ranked by on-time rate.

    Columns: code, name, level, county_code, due (expected and past due), timely (on time, zero ones
    included), zero (on-time zero reports), late, missing, not_due, zero_reports (every filed zero
    report, late ones included), reported, on_time_rate = timely ÷ due, zero_share = zero_reports ÷
    reported (NaN without a denominator), rank (1 = best: highest on-time rate, then fewest missing).
    """
    if by not in RATE_GROUPS:
        raise InvalidInput(f"无法按“{by}”汇总：只能按单元、乡镇或县区汇总。")
    key, level = RATE_GROUPS[by]
    chosen = [lv for lv in (levels or RATE_LEVELS[by]) if lv in RATE_LEVELS[by]]
    params = _params(session, start, end, area, chosen, as_of)
    sql = f"""WITH {_PERIODS}, {_COMPLIANCE},
    grouped AS (
        SELECT {key} AS code, min({level}) AS level, min(e.county_code) AS county_code,
               count(*) FILTER (WHERE e.status <> 'not_due') AS due,
               count(*) FILTER (WHERE e.status IN ('on_time', 'zero')) AS timely,
               count(*) FILTER (WHERE e.status = 'zero') AS zero,
               count(*) FILTER (WHERE e.status = 'late') AS late,
               count(*) FILTER (WHERE e.status = 'missing') AS missing,
               count(*) FILTER (WHERE e.status = 'not_due') AS not_due,
               count(*) FILTER (WHERE e.is_zero) AS zero_reports,
               count(e.submitted_at) AS reported
        FROM compliance e
        GROUP BY 1
    )
    SELECT g.code, coalesce(r.short_name, r.name, g.code) AS name, g.level, g.county_code, g.due, g.timely, g.zero,
           g.late, g.missing, g.not_due, g.zero_reports, g.reported
    FROM grouped g LEFT JOIN region r ON r.code = g.code"""
    frame = _frame(session, sql, params, RATE_COLUMNS[:-3])
    counts = RATE_COLUMNS[4:12]
    frame[counts] = frame[counts].astype(np.int64)
    frame["on_time_rate"] = (frame["timely"] / frame["due"]).where(frame["due"] > 0)
    frame["zero_share"] = (frame["zero_reports"] / frame["reported"]).where(frame["reported"] > 0)
    frame = frame.sort_values(["on_time_rate", "missing", "code"], ascending=[False, True, True], na_position="last",
                              ignore_index=True)
    frame["rank"] = np.where(frame["on_time_rate"].notna(), np.arange(1, len(frame) + 1), 0)
    return frame[RATE_COLUMNS]


def status_by_week(session: Session, start: date, end: date, area: str = "", level: str = "township",
                   as_of: datetime | date | None = None) -> pd.DataFrame:
    """Per unit of ``level`` and week (the Monday of the week in which each report's period ends): the
    count of each status and the cell's status (the first of CELL_ORDER present). Units with nothing
    expected that week have no row."""
    params = _params(session, start, end, area, [level], as_of)
    statuses = ", ".join(f"count(*) FILTER (WHERE status = '{s}') AS {s}" for s in STATUS_LABELS)
    sql = f"""WITH {_PERIODS}, {_COMPLIANCE}
    SELECT unit_code, min(unit_name) AS unit_name, date_trunc('week', period_end)::date AS week, {statuses}
    FROM compliance GROUP BY unit_code, week ORDER BY unit_code, week"""
    frame = _frame(session, sql, params, ["unit_code", "unit_name", "week", *STATUS_LABELS])
    frame[list(STATUS_LABELS)] = frame[list(STATUS_LABELS)].astype(np.int64)
    present = [frame[s].to_numpy() > 0 for s in CELL_ORDER]
    frame["status"] = np.select(present, CELL_ORDER, default="not_due") if len(frame) else pd.Series(dtype=object)
    return frame


def missing_now(session: Session, today: datetime | date, area: str = "", levels=None) -> pd.DataFrame:
    """Units whose latest past-due report (per kind) has not been filed, as of ``today``.

    A date means the end of that day; a datetime that instant. Columns: unit_code, unit_name, level,
    county_code, kind, period_start, period_end, due_at, overdue_days (whole days since the due time),
    missed (missing reports of that kind in the last ``MISSING_LOOKBACK_DAYS`` days).
    """
    as_of = _moment(today)
    day = as_of.date()
    params = _params(session, day - timedelta(days=MISSING_LOOKBACK_DAYS), day, area, levels, as_of)
    sql = f"""WITH {_PERIODS}, {_COMPLIANCE},
    latest AS (
        SELECT DISTINCT ON (unit_code, kind) c.*,
               count(*) FILTER (WHERE status = 'missing') OVER (PARTITION BY unit_code, kind) AS missed
        FROM compliance c WHERE due_at <= :as_of
        ORDER BY unit_code, kind, period_start DESC
    )
    SELECT unit_code, unit_name, level, county_code, kind, period_start, period_end, due_at,
           floor(extract(epoch FROM (:as_of - due_at)) / 86400)::int AS overdue_days, missed
    FROM latest WHERE status = 'missing'
    ORDER BY array_position(ARRAY['county', 'township', 'village']::text[], level::text), unit_code, kind"""
    return _frame(session, sql, params, EXPECTED_COLUMNS + ["overdue_days", "missed"])


def reporting_units(session: Session, area: str = "", levels=None) -> pd.DataFrame:
    """Active units of the reporting levels inside ``area`` (code, name, level, county_code), counties
    first, then townships, then villages, each by code."""
    params = _params(session, date.today(), date.today(), area, levels, None)
    sql = ("SELECT r.code, coalesce(r.short_name, r.name) AS name, r.level, left(r.code, 6) AS county_code FROM region r"
           " WHERE r.level = ANY(:levels) AND r.code LIKE :prefix AND " + _ACTIVE +
           " ORDER BY array_position(ARRAY['county', 'township', 'village']::text[], r.level::text), r.code")
    return _frame(session, sql, params, ["code", "name", "level", "county_code"])


# --- the cadence and the sensitive periods -------------------------------------------------------------------


def cadences(session: Session, on: date | None = None) -> pd.DataFrame:
    """The cadence rows active on ``on`` (every row when None): level, kind, every, applies, due_after_hours, …"""
    sql = ("SELECT id, level, kind, every, applies, due_after_hours, active_from, active_to FROM report_cadence"
           " WHERE CAST(:on AS date) IS NULL OR (active_from <= :on AND (active_to IS NULL OR active_to >= :on))"
           " ORDER BY array_position(ARRAY['county', 'township', 'village']::text[], level::text), applies, kind")
    columns = ["id", "level", "kind", "every", "applies", "due_after_hours", "active_from", "active_to"]
    return _frame(session, sql, {"on": on}, columns)


def cadence_text(row) -> str:
    """One line a person reads: 乡镇（街道）：每周报告，每周，报告期结束次日 12:00 前（常态）."""
    days, hours = divmod(int(row.due_after_hours), 24)
    due = f"报告期最后一天后第 {days} 天 {hours:02d}:00 前" if days else f"报告期最后一天 {hours:02d}:00 前"
    if days == 1:
        due = f"报告期结束次日 {hours:02d}:00 前"
    scope = "仅在敏感时期" if row.applies == CadenceScope.SENSITIVE_PERIOD.value else "常态"
    return f"{RegionLevel(row.level).label}：{ReportKind(row.kind).label}，{ReportEvery(row.every).label}，{due}（{scope}）"


def sensitive_periods(session: Session, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Declared sensitive periods overlapping ``start``–``end`` (all when None), latest first, with the
    covered counties' names (``county_names`` "全市" when city-wide)."""
    sql = """
    SELECT s.id, s.name, s.starts_on, s.ends_on, s.county_codes,
           CASE WHEN s.county_codes IS NULL THEN '全市'
                ELSE (SELECT string_agg(r.name, '、' ORDER BY r.code) FROM region r WHERE r.code = ANY(s.county_codes))
           END AS county_names,
           s.declared_by, s.declared_at, s.note, s.source
    FROM sensitive_period s
    WHERE (CAST(:start AS date) IS NULL OR s.ends_on >= :start) AND (CAST(:end AS date) IS NULL OR s.starts_on <= :end)
    ORDER BY s.starts_on DESC, s.id DESC"""
    columns = ["id", "name", "starts_on", "ends_on", "county_codes", "county_names", "declared_by", "declared_at",
               "note", "source"]
    return _frame(session, sql, {"start": start, "end": end}, columns)


def declare_sensitive_period(session: Session, name: str, starts_on: date | str | None, ends_on: date | str | None,
                             county_codes, declared_by: str, note: str | None = None,
                             source: RecordSource = RecordSource.ENTERED) -> int:
    """Record a sensitive period (an empty list of counties = the whole city); returns its id."""
    name = (name or "").strip()
    declared_by = (declared_by or "").strip()
    if not name:
        raise InvalidInput("请填写敏感时期的名称（如“全国两会”）。")
    if len(name) > 60:
        raise InvalidInput("敏感时期名称过长：请控制在 60 个字以内。")
    if not declared_by:
        raise InvalidInput("请填写发布人（单位或姓名），以便留痕。")
    starts_on, ends_on = _date(starts_on, "开始日期"), _date(ends_on, "结束日期")
    if ends_on < starts_on:
        raise InvalidInput(f"结束日期 {ends_on} 早于开始日期 {starts_on}：请重新选择。")
    if (ends_on - starts_on).days + 1 > MAX_SENSITIVE_DAYS:
        raise InvalidInput(f"敏感时期最长 {MAX_SENSITIVE_DAYS} 天（所选 {(ends_on - starts_on).days + 1} 天）：请分段发布。")
    codes = sorted({(c or "").strip() for c in (county_codes or [])} - {""})
    if codes:
        known = set(session.execute(text("SELECT code FROM region WHERE level = 'county' AND code = ANY(:codes)"),
                                    {"codes": codes}).scalars())
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise InvalidInput(f"“{'、'.join(unknown)}”不是县区代码：请从县区列表中选择，或留空表示全市。")
    period = SensitivePeriod(name=name, starts_on=starts_on, ends_on=ends_on, county_codes=codes or None,
                             declared_by=declared_by, note=(note or "").strip() or None, source=source)
    session.add(period)
    session.flush()
    record(session, declared_by, "declare_sensitive_period", f"sensitive_period/{period.id}",
           {"name": name, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(), "county_codes": codes or None})
    return period.id


def _date(value, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
        raise InvalidInput(f"{what}“{value}”不是有效日期：请按 2024-03-04 的格式填写或从日历中选择。")
    raise InvalidInput(f"请选择{what}。")


# --- entering a report -------------------------------------------------------------------------------------


def report_period(every: str, day: date) -> tuple[date, date]:
    """The period of a cadence that contains ``day``."""
    if every == ReportEvery.DAILY.value:
        return day, day
    if every == ReportEvery.WEEKLY.value:
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if every == ReportEvery.HALF_MONTHLY.value:
        if day.day <= 15:
            return day.replace(day=1), day.replace(day=15)
        return day.replace(day=16), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    raise InvalidInput(f"未知的报送周期“{every}”。")


def enter_report(session: Session, unit_code: str, kind: str, period_start: date | str | None, is_zero: bool,
                 disputes_found: int | None, entered_by: str, now: datetime | None = None) -> EnteredReport:
    """Write a report entered by a person (source ``entered``), stamped with the real time of entry.

    Checks that the unit exists and owes this kind of report on this cadence, that ``period_start``
    opens a period of the cadence (a Monday, the 1st or 16th, any day of a sensitive period), that the
    period is over, that the numbers agree (a zero report found nothing; otherwise at least one) and
    that the report was not filed already. A report entered after its due time is recorded as late.
    """
    now = _moment(now)
    entered_by = (entered_by or "").strip()
    if not entered_by:
        raise InvalidInput("请填写填报人（单位或姓名），以便留痕。")
    unit_code = (unit_code or "").strip()
    if level_of(unit_code) not in ("county", "township", "village"):
        raise InvalidInput("请选择报送单位（县区、乡镇或村（社区））。")
    unit = session.execute(text("SELECT code, coalesce(short_name, name) AS name, level FROM region WHERE code = :code"),
                           {"code": unit_code}).first()
    if unit is None:
        raise InvalidInput(f"单位代码“{unit_code}”不存在：请从列表中选择报送单位。")
    if kind in (ReportKind.IMMEDIATE.value, ReportKind.FOLLOW_UP.value):
        raise InvalidInput(f"{ReportKind(kind).label}随事随报，不按周期报送：此处只录入周期性报告。")
    if kind not in {k.value for k in ReportKind}:
        raise InvalidInput("请选择报告类型。")
    start = _date(period_start, "报告期开始日期")
    cadence = session.execute(text(
        "SELECT every, applies, due_after_hours FROM report_cadence WHERE level = :level AND kind = :kind"
        " AND active_from <= :day AND (active_to IS NULL OR active_to >= :day) ORDER BY applies LIMIT 1"
    ), {"level": unit.level, "kind": kind, "day": start}).first()
    level_label, kind_label = RegionLevel(unit.level).label, ReportKind(kind).label
    if cadence is None:
        owed = [cadence_text(r) for r in cadences(session, start).itertuples() if r.level == unit.level]
        raise InvalidInput(f"{unit.name}（{level_label}）在 {start} 不需要报送{kind_label}；"
                           f"其报送要求为：{'；'.join(owed) or '无'}。")
    first, last = report_period(cadence.every, start)
    if first != start:
        raise InvalidInput(f"{kind_label}按{ReportEvery(cadence.every).label}报送，报告期应从 {first} 开始"
                           f"（{first} 至 {last}），而不是 {start}：请更正报告期。")
    if cadence.applies == CadenceScope.SENSITIVE_PERIOD.value:
        covered = session.execute(text(
            "SELECT 1 FROM sensitive_period WHERE starts_on <= :first AND ends_on >= :last"
            " AND (county_codes IS NULL OR :county = ANY(county_codes))"
        ), {"first": first, "last": last, "county": county_of(unit_code)}).first()
        if covered is None:
            raise InvalidInput(f"{first} 不在覆盖{unit.name}的敏感时期内，无需报送{kind_label}。")
    if last > now.date():
        raise InvalidInput(f"报告期 {first} 至 {last} 尚未结束：请在 {last} 之后报送。")
    found = _found(is_zero, disputes_found)
    existing = session.execute(text(
        "SELECT submitted_at, source FROM screening_report WHERE unit_code = :unit AND kind = :kind AND period_start = :start"
    ), {"unit": unit_code, "kind": kind, "start": first}).first()
    if existing is not None:
        filed = pd.Timestamp(existing.submitted_at).tz_convert(LOCAL_TIMEZONE)
        raise InvalidInput(f"{unit.name} {first} 至 {last} 的{kind_label}已于 {filed:%Y-%m-%d %H:%M} 报送，不能重复报送。")
    report = ScreeningReport(unit_code=unit_code, kind=kind, period_start=first, period_end=last, is_zero=bool(is_zero),
                             disputes_found=found, submitted_at=now, source=RecordSource.ENTERED)
    session.add(report)
    session.flush()
    due = datetime.combine(last, time(0), LOCAL) + timedelta(hours=int(cadence.due_after_hours))
    status = "late" if now > due else ("zero" if is_zero else "on_time")
    record(session, entered_by, "enter_screening_report", f"screening_report/{report.id}",
           {"unit_code": unit_code, "kind": kind, "period_start": first.isoformat(), "is_zero": bool(is_zero),
            "disputes_found": found, "status": status})
    return EnteredReport(report.id, unit_code, unit.name, kind, first, last, due, now, status)


def _found(is_zero: bool, disputes_found) -> int:
    if is_zero:
        if disputes_found not in (None, "", 0):
            raise InvalidInput("零报告表示本期未发现矛盾纠纷，发现数应为 0：请改选“有发现”或把数量改为 0。")
        return 0
    try:
        found = int(disputes_found)
    except (TypeError, ValueError):
        raise InvalidInput("请填写本期发现的矛盾纠纷数（整数）；未发现请选择“零报告”。") from None
    if found < 1:
        raise InvalidInput("有发现的报告，发现的矛盾纠纷数至少为 1；未发现请选择“零报告”。")
    if found > 10_000:
        raise InvalidInput(f"发现的矛盾纠纷数 {found} 不合常理：请核对后重新填写。")
    return found
