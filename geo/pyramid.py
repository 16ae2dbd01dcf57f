"""The petition pyramid: how many petitions were lodged at each level, how inverted it is, and what came of them.

The page's queries all take ``session, start, end, area`` (petitions received in ``start``–``end``, both
included; area ``""``/``"411500"`` the city, a 6-digit county, a 12-digit township, as in ``geo.kpis``) and
optional ``categories`` / ``domains`` (empty = all). Each is one SQL statement on the indexed
``county_code`` / ``township_code`` and ``received_on`` columns (plus a look-up that checks the area code).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo import statutory
from geo.areas import area_kind, county_of, level_of
from geo.enums import DisputeDomain, LodgedLevel, PetitionCategory, PetitionStatus, RegionLevel
from geo.errors import InvalidInput
from geo.kpis import _PETITION_FILTER, _buckets, _check_area
from geo.privacy import mask_name, mask_phone

UPPER_LEVELS = (LodgedLevel.CITY, LodgedLevel.PROVINCE, LodgedLevel.BEIJING)
INVERSION_DEFINITION = "倒金字塔指数 = 市级及以上（市级、到省、赴京）登记的信访事项 ÷ 全部信访事项；超过 0.5 即为“信访上行”。"

LEVELS = tuple(level.value for level in LodgedLevel)
"""The five levels bottom to top: the pyramid's rows and the per-county table's columns."""

OUTCOME_LABELS = {
    "repeat": "后续重复信访",
    "not_accepted": "不予受理",
    "open": "办理中",
    "resolved_first": "一次性化解",
    "closed_unresolved": "办结未化解",
}
"""Where a petition ended up, in the order the outcomes are tested (the first that applies wins)."""
OUTCOME_DEFINITION = (
    "按以下顺序判定，取第一个符合的去向：有后续信访事项以其为“上次信访”（重复信访）的，为“后续重复信访”；"
    "否则状态为不予受理的，为“不予受理”；否则尚未办结的，为“办理中”；否则已办结且未标记为“未一次性化解”的，"
    "为“一次性化解”；其余（已办结但标记为未一次性化解、又无后续信访）为“办结未化解”。"
)
KIND_LABELS = {"first": "初信初访", "repeat": "重复信访"}

# The outcome of petition ``p`` (the same expression feeds the flows and the list behind them).
_OUTCOME_SQL = """CASE
    WHEN EXISTS (SELECT 1 FROM petition later WHERE later.previous_petition_id = p.id) THEN :o_repeat
    WHEN p.status = :st_not_accepted THEN :o_not_accepted
    WHEN p.status <> :st_closed THEN :o_open
    WHEN p.one_time_resolved IS NOT FALSE THEN :o_resolved_first
    ELSE :o_closed_unresolved
END"""
_OUTCOME_PARAMS = {f"o_{key}": key for key in OUTCOME_LABELS} | {
    "st_not_accepted": PetitionStatus.NOT_ACCEPTED.value, "st_closed": PetitionStatus.CLOSED.value,
}

_CHOSEN = """
    FROM petition p
    WHERE p.received_on BETWEEN :start AND :end {area_filter} {category_filter} {domain_filter}
"""
_CATEGORY_FILTER = "AND p.category = ANY(:categories)"
_DOMAIN_FILTER = "AND p.domain = ANY(:domains)"

MAX_LIMIT = 5000


def _chosen(session: Session, start: date, end: date, area: str, categories, domains) -> tuple[str, dict]:
    """The FROM … WHERE of the petitions a query covers, and its parameters; checks every filter."""
    if start > end:
        raise InvalidInput(f"统计期起始日 {start:%Y-%m-%d} 晚于截止日 {end:%Y-%m-%d}：请重新选择统计期。")
    kind = area_kind(area)
    categories = _allowed(categories, PetitionCategory, "信访类别")
    domains = _allowed(domains, DisputeDomain, "领域")
    _check_area(session, area, kind)
    sql = _CHOSEN.format(
        area_filter=_PETITION_FILTER[kind],
        category_filter=_CATEGORY_FILTER if categories else "",
        domain_filter=_DOMAIN_FILTER if domains else "",
    )
    params = {"start": start, "end": end, "county": county_of(area), "township": area,
              "categories": categories, "domains": domains,
              "county_level": RegionLevel.COUNTY.value, "county_like": ("" if kind == "city" else county_of(area)) + "%"}
    return sql, params


def _allowed(values, enum_cls, what: str) -> list[str]:
    """The chosen enumeration values, deduplicated; an unknown one raises ``InvalidInput``."""
    if isinstance(values, str):
        values = (values,)
    values = values or ()
    allowed = {member.value for member in enum_cls}
    for value in values:
        if value not in allowed:
            choices = "、".join(member.label for member in enum_cls)
            raise InvalidInput(f"不支持的{what}“{value}”：可选 {choices}。")
    return [str(value) for value in dict.fromkeys(values)]


def level_counts(session: Session, start: date, end: date, area: str = "",
                 categories: tuple[str, ...] = (), domains: tuple[str, ...] = ()) -> pd.Series:
    """Petitions received in the period per level lodged: ``LEVELS`` bottom to top, zeros included."""
    chosen, params = _chosen(session, start, end, area, categories, domains)
    rows = session.execute(text(f"SELECT p.lodged_level, count(*) {chosen} GROUP BY 1"), params).all()
    counts = pd.Series(dict(rows), dtype="int64").reindex(list(LEVELS), fill_value=0).astype("int64")
    counts.index.name = "lodged_level"
    return counts.rename("count")


def inversion_trend(session: Session, start: date, end: date, area: str = "",
                    categories: tuple[str, ...] = (), domains: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per calendar month of the period (``month`` = its 1st): ``total``, ``upper`` (city and above), ``index``.

    ``index`` = upper ÷ total, NaN for a month with no petitions. The first and last month count only
    the days inside the period.
    """
    chosen, params = _chosen(session, start, end, area, categories, domains)
    params["upper"] = [level.value for level in UPPER_LEVELS]
    rows = session.execute(text(
        "SELECT date_trunc('month', p.received_on)::date AS month, count(*) AS total,"
        f" count(*) FILTER (WHERE p.lodged_level = ANY(:upper)) AS upper {chosen} GROUP BY 1"
    ), params).all()
    found = {month: (total, upper) for month, total, upper in rows}
    months = [lo.replace(day=1) for lo, _ in _buckets(start, end, "month")]
    frame = pd.DataFrame({
        "month": months,
        "total": pd.Series([found.get(m, (0, 0))[0] for m in months], dtype="int64"),
        "upper": pd.Series([found.get(m, (0, 0))[1] for m in months], dtype="int64"),
    })
    frame["index"] = (frame["upper"] / frame["total"].where(frame["total"] > 0)).astype("float64")
    return frame


def county_level_counts(session: Session, start: date, end: date, area: str = "",
                        categories: tuple[str, ...] = (), domains: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per county-level unit of the area (zeros included): the five level counts, total, index.

    Columns ``county_code``, ``county_name``, ``LEVELS``…, ``total``, ``index`` (share at city level and
    above, NaN without petitions); sorted by index, most inverted first, NaN last, then by code.
    """
    chosen, params = _chosen(session, start, end, area, categories, domains)
    rows = session.execute(text(f"""
        WITH counts AS (SELECT p.county_code, p.lodged_level, count(*) AS n {chosen} GROUP BY 1, 2)
        SELECT r.code AS county_code, r.name AS county_name, c.lodged_level, coalesce(c.n, 0) AS n
        FROM region r LEFT JOIN counts c ON c.county_code = r.code
        WHERE r.level = :county_level AND r.code LIKE :county_like
    """), params).all()
    names = {code: name for code, name, _, _ in rows}
    table = pd.DataFrame(0, index=pd.Index(list(names), name="county_code"), columns=list(LEVELS), dtype="int64")
    for code, _, level, n in rows:
        if level is not None:
            table.loc[code, level] = n
    table.insert(0, "county_name", [names[code] for code in table.index])
    table["total"] = table[list(LEVELS)].sum(axis=1).astype("int64")
    table["index"] = inversion_index(table[list(LEVELS)]).astype("float64")
    table = table.reset_index()
    table["county_code"] = table["county_code"].astype(str)
    return table.sort_values(["index", "county_code"], ascending=[False, True], na_position="last",
                             ignore_index=True)


def sankey_flows(session: Session, start: date, end: date, area: str = "",
                 categories: tuple[str, ...] = (), domains: tuple[str, ...] = ()) -> pd.DataFrame:
    """Petitions of the period counted per origin county → level lodged → outcome, by kind and collectiveness.

    Columns ``origin`` (county code), ``origin_name``, ``level`` (``LodgedLevel`` value), ``outcome``
    (a key of ``OUTCOME_LABELS``, see ``OUTCOME_DEFINITION``), ``kind`` (``first``/``repeat``, from
    ``is_first``), ``collective`` (bool), ``count``; only combinations that occur, ordered by origin,
    level bottom to top, outcome, kind and collective.
    """
    chosen, params = _chosen(session, start, end, area, categories, domains)
    rows = session.execute(text(f"""
        WITH flows AS (
            SELECT p.county_code, p.lodged_level, {_OUTCOME_SQL} AS outcome, p.is_first, p.is_collective {chosen}
        )
        SELECT f.county_code, r.name, f.lodged_level, f.outcome, f.is_first, f.is_collective, count(*) AS n
        FROM flows f LEFT JOIN region r ON r.code = f.county_code
        GROUP BY 1, 2, 3, 4, 5, 6
    """), params | _OUTCOME_PARAMS).all()
    raw = pd.DataFrame(rows, columns=["origin", "origin_name", "level", "outcome", "is_first", "collective", "count"])
    frame = pd.DataFrame({
        "origin": raw["origin"].astype(str),
        "origin_name": raw["origin_name"].astype(str),
        "level": raw["level"].astype(str),
        "outcome": raw["outcome"].astype(str),
        "kind": raw["is_first"].map({True: "first", False: "repeat"}).astype(str),
        "collective": raw["collective"].astype(bool),
        "count": raw["count"].astype("int64"),
    })
    order = frame.assign(
        level_order=frame["level"].map({v: i for i, v in enumerate(LEVELS)}),
        outcome_order=frame["outcome"].map({k: i for i, k in enumerate(OUTCOME_LABELS)}),
        kind_order=frame["kind"].map({k: i for i, k in enumerate(KIND_LABELS)}),
    ).sort_values(["origin", "level_order", "outcome_order", "kind_order", "collective"]).index
    return frame.loc[order].reset_index(drop=True)


_BEHIND_COLUMNS = ["ref_no", "received_on", "category", "domain", "level", "is_first", "is_collective", "head_count",
                   "status", "outcome", "petitioner_name", "petitioner_phone", "acceptance_due", "handling_due",
                   "acceptance_overdue", "handling_overdue"]


def petitions_behind(session: Session, start: date, end: date, area: str = "",
                     categories: tuple[str, ...] = (), domains: tuple[str, ...] = (),
                     level: str | None = None, origin: str | None = None, outcome: str | None = None,
                     today: date | None = None, limit: int = 200) -> pd.DataFrame:
    """The petitions behind a bar (``level``) or a flow (``origin``, ``level``, ``outcome``), newest first.

    Columns ``_BEHIND_COLUMNS``: labels in Chinese for category, domain, level, status and outcome; the
    petitioner's name and phone masked; due dates and overdue flags from ``geo.statutory.clock``. The
    clock is read on ``today``, by default the period's end (or the real today when the period runs into
    the future): the flags then say what was overdue at the end of the period looked at, the same whenever
    the page is opened, and later acceptances or closings do not rewrite a past period. At most ``limit``
    rows; ``frame.attrs["total"]`` is the number of petitions matching.
    """
    chosen, params = _chosen(session, start, end, area, categories, domains)
    if level is not None and level not in LEVELS:
        raise InvalidInput(f"不支持的登记层级“{level}”：可选 {'、'.join(lv.label for lv in LodgedLevel)}。")
    if outcome is not None and outcome not in OUTCOME_LABELS:
        raise InvalidInput(f"不支持的去向“{outcome}”：可选 {'、'.join(OUTCOME_LABELS.values())}。")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"显示条数“{limit}”无效：应为 1 至 {MAX_LIMIT} 之间的整数。")
    if origin is not None:
        _check_origin(session, origin, area)
    extra = ("AND p.lodged_level = :level" if level is not None else "") + \
            (" AND p.county_code = :origin" if origin is not None else "")
    rows = session.execute(text(f"""
        WITH chosen AS (
            SELECT p.id, p.ref_no, p.received_on, p.category, p.domain, p.lodged_level, p.is_first, p.is_collective,
                   p.head_count, p.status, p.petitioner_name, p.petitioner_phone, p.accepted_on, p.extension_days,
                   p.closed_on, {_OUTCOME_SQL} AS outcome
            {chosen} {extra}
        )
        SELECT c.*, count(*) OVER () AS total FROM chosen c
        WHERE {"c.outcome = :outcome" if outcome is not None else "true"}
        ORDER BY c.received_on DESC, c.id DESC
        LIMIT :limit
    """), params | _OUTCOME_PARAMS | {"level": level, "origin": origin, "outcome": outcome, "limit": limit}
    ).mappings().all()
    if today is None:
        today = min(end, date.today())
    records = []
    for row in rows:
        deadlines = statutory.clock(row["received_on"], row["accepted_on"], row["extension_days"], row["closed_on"],
                                    today)
        records.append({
            "ref_no": row["ref_no"],
            "received_on": row["received_on"],
            "category": PetitionCategory(row["category"]).label,
            "domain": DisputeDomain(row["domain"]).label,
            "level": LodgedLevel(row["lodged_level"]).label,
            "is_first": bool(row["is_first"]),
            "is_collective": bool(row["is_collective"]),
            "head_count": int(row["head_count"]),
            "status": PetitionStatus(row["status"]).label,
            "outcome": OUTCOME_LABELS[row["outcome"]],
            "petitioner_name": mask_name(row["petitioner_name"]),
            "petitioner_phone": mask_phone(row["petitioner_phone"]),
            "acceptance_due": deadlines["acceptance_due"],
            "handling_due": deadlines["handling_due"],
            "acceptance_overdue": deadlines["acceptance_overdue"],
            "handling_overdue": deadlines["handling_overdue"],
        })
    frame = pd.DataFrame(records, columns=_BEHIND_COLUMNS)
    frame.attrs["total"] = int(rows[0]["total"]) if rows else 0
    frame.attrs["today"] = today
    return frame


def _check_origin(session: Session, origin: str, area: str) -> None:
    """``origin`` must be a county-level unit of the area."""
    kind = area_kind(area)
    found = level_of(origin) == "county" and session.execute(
        text("SELECT 1 FROM region WHERE code = :code AND level = :level"),
        {"code": origin, "level": RegionLevel.COUNTY.value},
    ).first()
    if not found:
        raise InvalidInput(f"来源县区“{origin}”无效：请从图中选择一个县区。")
    if kind != "city" and origin != county_of(area):
        raise InvalidInput(f"来源县区“{origin}”不在所选区域“{area}”内：请重新选择。")


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
