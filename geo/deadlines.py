"""The statutory clock applied to every open petition: what falls due within N days, and what is overdue.

A petition has at most one open deadline on a day ``as_of`` (the rules and day counts are those of
``geo.statutory``; this module binds its constants as SQL parameters and restates none of them):

- not yet decided (neither accepted nor closed by ``as_of``): the acceptance decision (``RULES["acceptance"]``),
  due ``received_on`` + ``ACCEPTANCE_DAYS``;
- accepted by ``as_of`` and not closed by then: handling (``RULES["handling"]``), due ``accepted_on`` +
  ``HANDLING_DAYS`` + the recorded extension (at most ``MAX_EXTENSION_DAYS``, ``RULES["extension"]``);
- closed by ``as_of``: nothing is open.

Dates after ``as_of`` count as not yet happened, so a past ``as_of`` gives the state of that day, exactly as
``geo.statutory.clock`` does (``days_left`` here equals its ``days_left``). A deadline is **overdue** when
``as_of`` is past its due day (``days_left < 0``) and **due soon** when it falls within the next
``within_days`` days (``0 <= days_left <= within_days``; due today is due soon, not yet overdue).
The review (复查) and re-review (复核) periods are not tracked: the records hold no review requests.

Owner: a petition that is (the linked petition of) a backlog case handed down by ``as_of`` is owned by
the case's leader (领导包案); any other petition by its unit, the township (属地) it came from.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo import statutory
from geo.areas import area_kind, county_of
from geo.enums import DisputeDomain, LodgedLevel, PetitionCategory, RegionLevel
from geo.errors import InvalidInput
from geo.kpis import _PETITION_FILTER, _check_area
from geo.privacy import mask_name, mask_phone

MAX_WITHIN_DAYS = 366
GROUPINGS = {"county": "县区", "township": "乡镇（街道）", "owner": "责任人（包案领导或属地单位）"}
"""What ``overdue_summary`` may group by (the allow-list), with the Chinese heading of the column."""
STATES = {"overdue": "已超期", "due_soon": "临期"}
OWNER_KINDS = {"leader": "包案领导", "unit": "属地单位"}
DEFINITION = (
    "每件信访事项在某一日最多有一个未到期的法定时限：尚未受理（也未办结）的，为受理告知期限（收到之日起 "
    f"{statutory.ACCEPTANCE_DAYS} 日，{statutory.RULES['acceptance'].article}）；已受理未办结的，为办理期限（受理之日起 "
    f"{statutory.HANDLING_DAYS} 日，加上记录的延长天数，延长不超过 {statutory.MAX_EXTENSION_DAYS} 日，"
    f"{statutory.RULES['handling'].article}）；已办结的不再计时（台账记为已办结但未填办结日期的，也不再计时）。截至所选日期已过届满日的为“已超期”，"
    "届满日在所选日期起 N 日内（含当日）的为“临期”。" + statutory.DAY_COUNTING +
    "已交办为积案的事项由包案领导负责，其余由事项来源的乡镇（街道）属地负责。"
)

_DUE = """
WITH open_clock AS (
    SELECT p.id, p.ref_no, p.received_on, p.accepted_on, p.extension_days, p.county_code, p.township_code,
           p.category, p.domain, p.lodged_level, p.is_first, p.head_count, p.petitioner_name, p.petitioner_phone,
           (p.accepted_on IS NULL OR p.accepted_on > :as_of) AS undecided
    FROM petition p
    WHERE p.received_on <= :as_of AND (p.closed_on > :as_of OR (p.closed_on IS NULL AND p.status <> 'closed'))
          {area_filter}
), clocked AS (
    SELECT o.*,
           CASE WHEN o.undecided THEN :acceptance ELSE :handling END AS rule,
           CASE WHEN o.undecided THEN o.received_on + CAST(:acceptance_days AS integer)
                ELSE o.accepted_on + CAST(:handling_days AS integer) + o.extension_days END AS due_on
    FROM open_clock o
)
SELECT c.*, (c.due_on - CAST(:as_of AS date)) AS days_left,
       k.name AS county_name, t.name AS township_name,
       b.ref_no AS backlog_ref, b.leader_name, b.leader_title
FROM clocked c
LEFT JOIN region k ON k.code = c.county_code
LEFT JOIN region t ON t.code = c.township_code
LEFT JOIN LATERAL (
    SELECT bc.ref_no, bc.leader_name, bc.leader_title FROM backlog_case bc
    WHERE bc.petition_id = c.id AND bc.handed_down_on <= :as_of
    ORDER BY bc.handed_down_on DESC, bc.id DESC LIMIT 1
) b ON true
WHERE c.due_on <= CAST(:as_of AS date) + CAST(:within AS integer)
ORDER BY c.due_on, c.ref_no
"""

DUE_COLUMNS = [
    "id", "ref_no", "received_on", "accepted_on", "county_code", "county_name", "township_code", "township_name",
    "category", "domain", "level", "is_first", "head_count", "rule", "rule_label", "article", "extension_days",
    "due_on", "days_left", "state", "owner_kind", "owner", "backlog_ref", "petitioner_name", "petitioner_phone",
]


def _check_within(within_days) -> int:
    if isinstance(within_days, bool) or not isinstance(within_days, int) or not 0 <= within_days <= MAX_WITHIN_DAYS:
        raise InvalidInput(f"临期天数“{within_days}”无效：应为 0 至 {MAX_WITHIN_DAYS} 之间的整数。")
    return within_days


def check_day(day, what: str = "截至日期") -> date:
    if not isinstance(day, date):
        raise InvalidInput(f"{what}“{day}”无效：请选择一个日期。")
    return day


def due_petitions(session: Session, as_of: date, within_days: int = 7, area: str = "") -> pd.DataFrame:
    """Every petition of ``area`` whose open deadline on ``as_of`` is overdue or due within ``within_days``.

    One row per petition, most urgent first (earliest due day, then ref_no). Columns ``DUE_COLUMNS``: the
    petition's ``id`` and ``ref_no``; labels in Chinese for category, domain and level; ``rule`` (a key of ``geo.statutory.RULES``),
    ``rule_label`` and ``article`` from it; ``due_on``, ``days_left`` (negative when overdue), ``state``
    (``overdue``/``due_soon``, see ``STATES``); ``owner_kind`` (``leader``/``unit``) and ``owner`` (the
    leader's title and name, or the township), ``backlog_ref``; the petitioner's name and phone masked.
    Area: ``""``/``"411500"`` the city, a county or a township code (as in ``geo.kpis``).
    """
    as_of = check_day(as_of)
    within = _check_within(within_days)
    kind = area_kind(area)
    _check_area(session, area, kind)
    rows = session.execute(text(_DUE.format(area_filter=_PETITION_FILTER[kind])), {
        "as_of": as_of, "within": within, "county": county_of(area), "township": area,
        "acceptance": "acceptance", "handling": "handling",
        "acceptance_days": statutory.ACCEPTANCE_DAYS, "handling_days": statutory.HANDLING_DAYS,
    }).mappings().all()
    records = []
    for row in rows:
        rule = statutory.RULES[row["rule"]]
        is_case = row["backlog_ref"] is not None
        township = row["township_name"] or row["township_code"]
        records.append({
            "id": row["id"],
            "ref_no": row["ref_no"],
            "received_on": row["received_on"],
            "accepted_on": row["accepted_on"] if row["accepted_on"] and row["accepted_on"] <= as_of else None,
            "county_code": row["county_code"],
            "county_name": row["county_name"] or row["county_code"],
            "township_code": row["township_code"],
            "township_name": township,
            "category": PetitionCategory(row["category"]).label,
            "domain": DisputeDomain(row["domain"]).label,
            "level": LodgedLevel(row["lodged_level"]).label,
            "is_first": bool(row["is_first"]),
            "head_count": int(row["head_count"]),
            "rule": rule.key,
            "rule_label": rule.label,
            "article": rule.article,
            "extension_days": int(row["extension_days"]) if rule.key == "handling" else 0,
            "due_on": row["due_on"],
            "days_left": int(row["days_left"]),
            "state": "overdue" if row["days_left"] < 0 else "due_soon",
            "owner_kind": "leader" if is_case else "unit",
            "owner": f"{row['leader_title']} {row['leader_name']}" if is_case else f"{row['county_name'] or ''}{township}",
            "backlog_ref": row["backlog_ref"],
            "petitioner_name": mask_name(row["petitioner_name"]),
            "petitioner_phone": mask_phone(row["petitioner_phone"]),
        })
    frame = pd.DataFrame(records, columns=DUE_COLUMNS)
    frame["days_left"] = frame["days_left"].astype("int64")
    frame["head_count"] = frame["head_count"].astype("int64")
    frame["extension_days"] = frame["extension_days"].astype("int64")
    frame.attrs.update(as_of=as_of, within_days=within)
    return frame


SUMMARY_COLUMNS = ["code", "name", "overdue", "due_soon", "total", "acceptance_overdue", "handling_overdue",
                   "max_days_overdue"]


def overdue_summary(session: Session, as_of: date, within_days: int = 7, area: str = "",
                    by: str = "county") -> pd.DataFrame:
    """``due_petitions`` counted per unit or owner: overdue, due soon, and the worst delay.

    ``by``: ``county`` (every county-level unit of the area, zeros included), ``township`` (townships with
    at least one petition due or overdue) or ``owner`` (``code`` = ``leader:<backlog ref>`` for a leader's
    case, the township code for a unit; ``name`` = the owner). Columns ``SUMMARY_COLUMNS``:
    ``acceptance_overdue`` / ``handling_overdue`` split ``overdue`` by rule; ``max_days_overdue`` is the
    longest delay in days (0 when nothing is overdue). Sorted by overdue, then due soon (descending), then code.
    """
    if by not in GROUPINGS:
        raise InvalidInput(f"不支持的分组方式“{by}”：可选 {'、'.join(GROUPINGS.values())}。")
    due = due_petitions(session, as_of, within_days, area)
    if by == "county":
        keys = due["county_code"]
        names = dict(zip(due["county_code"], due["county_name"]))
    elif by == "township":
        keys = due["township_code"]
        names = dict(zip(due["township_code"], due["county_name"] + due["township_name"]))
    else:
        keys = pd.Series(["leader:" + ref if kind == "leader" else code for kind, ref, code in
                          zip(due["owner_kind"], due["backlog_ref"], due["township_code"])], index=due.index, dtype=object)
        names = dict(zip(keys, due["owner"]))
    overdue = due["state"] == "overdue"
    grouped = pd.DataFrame({
        "code": keys.astype(object),
        "overdue": overdue.astype("int64"),
        "due_soon": (~overdue).astype("int64"),
        "acceptance_overdue": (overdue & (due["rule"] == "acceptance")).astype("int64"),
        "handling_overdue": (overdue & (due["rule"] == "handling")).astype("int64"),
        "days_overdue": (-due["days_left"]).clip(lower=0).astype("int64"),
    }).groupby("code", sort=False).agg(
        overdue=("overdue", "sum"), due_soon=("due_soon", "sum"), acceptance_overdue=("acceptance_overdue", "sum"),
        handling_overdue=("handling_overdue", "sum"), max_days_overdue=("days_overdue", "max"),
    )
    if by == "county":
        kind = area_kind(area)
        counties = dict(session.execute(
            text("SELECT code, name FROM region WHERE level = :level AND code LIKE :like"),
            {"level": RegionLevel.COUNTY.value, "like": ("" if kind == "city" else county_of(area)) + "%"},
        ).all())
        names = counties | names
        grouped = grouped.reindex(list(dict.fromkeys([*counties, *grouped.index])), fill_value=0)
    summary = grouped.reset_index().rename(columns={"index": "code"})
    summary.insert(1, "name", [names.get(code, code) for code in summary["code"]])
    summary["total"] = summary["overdue"] + summary["due_soon"]
    summary = summary[SUMMARY_COLUMNS].astype({c: "int64" for c in SUMMARY_COLUMNS[2:]})
    summary["code"] = summary["code"].astype(object)
    summary["name"] = summary["name"].astype(object)
    return summary.sort_values(["overdue", "due_soon", "code"], ascending=[False, False, True], ignore_index=True)


def last_data_day(session: Session) -> date | None:
    """The last day the records reach: the latest petition received or dispute reported (local date).

    Pages default their "as of" day to it, so the demo data (which ends on 2025-12-31) opens on its own end.
    """
    return session.execute(text(
        "SELECT greatest((SELECT max(received_on) FROM petition), (SELECT max(day) FROM dispute_cell_day))"
    )).scalar()
