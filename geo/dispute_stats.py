"""Dispute measures per map unit for a period and filters, from the pre-aggregated views.

No time-to-resolution figure is computed yet; one must count only disputes with a ``resolved_at`` (a
ledger may mark a dispute resolved without its date) and say so where it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.areas import county_of, scope_prefix
from geo.errors import InvalidInput
from geo.hotspots import Neighbours, hotspots
from geo.privacy import mask_name

LEVEL_COLUMNS = {"county": "county_code", "township": "township_code", "grid": "grid_code"}
MEASURES = {
    "disputes": "矛盾纠纷数",
    "per_1000": "每千户纠纷数",
    "unresolved": "未化解纠纷数",
    "petitioned": "转为信访的纠纷数",
    "leakage": "转信访占比",
    "hotspot": "冷热点（Gi*）",
}
DISPUTES = sa.table(
    "dispute_cell_day", *(sa.column(c) for c in (
        "grid_code", "township_code", "county_code", "day", "domain", "status", "risk_level",
        "disputes", "unresolved", "petitioned")),
)
HOUSEHOLDS = sa.table("grid_cell_households", *(sa.column(c) for c in (
    "grid_code", "township_code", "county_code", "households")))


@dataclass(frozen=True)
class DisputeFilter:
    """What the user chose: an inclusive period and, optionally, domains, statuses and risk levels."""

    start: date
    end: date
    domains: tuple[str, ...] = field(default_factory=tuple)
    statuses: tuple[str, ...] = field(default_factory=tuple)
    risks: tuple[str, ...] = field(default_factory=tuple)


def dispute_measures(session: Session, level: str, within: str, chosen: DisputeFilter) -> pd.DataFrame:
    """Per unit of ``level`` inside ``within``: disputes, unresolved, petitioned, households, per_1000, leakage.

    Units with households but no disputes are included with zeros; rates are NaN without a denominator.
    """
    prefix = scope_prefix(within) + "%"
    unit = DISPUTES.c[LEVEL_COLUMNS[level]]
    counts = (
        sa.select(unit.label("code"), sa.func.sum(DISPUTES.c.disputes).label("disputes"),
                  sa.func.sum(DISPUTES.c.unresolved).label("unresolved"),
                  sa.func.sum(DISPUTES.c.petitioned).label("petitioned"))
        .where(DISPUTES.c.day.between(chosen.start, chosen.end), DISPUTES.c.grid_code.like(prefix))
        .group_by(unit)
    )
    for column, values in (("domain", chosen.domains), ("status", chosen.statuses), ("risk_level", chosen.risks)):
        if values:
            counts = counts.where(DISPUTES.c[column].in_(values))
    household_unit = HOUSEHOLDS.c[LEVEL_COLUMNS[level]]
    households = (
        sa.select(household_unit.label("code"), sa.func.sum(HOUSEHOLDS.c.households).label("households"))
        .where(HOUSEHOLDS.c.grid_code.like(prefix)).group_by(household_unit)
    )
    frame = _frame(session.execute(households), ["code", "households"]).merge(
        _frame(session.execute(counts), ["code", "disputes", "unresolved", "petitioned"]), on="code", how="outer",
    )
    frame[["disputes", "unresolved", "petitioned", "households"]] = (
        frame[["disputes", "unresolved", "petitioned", "households"]].fillna(0).astype(np.int64)
    )
    frame["per_1000"] = (1000 * frame["disputes"] / frame["households"]).where(frame["households"] > 0)
    frame["leakage"] = (frame["petitioned"] / frame["disputes"]).where(frame["disputes"] > 0)
    return frame.sort_values("code", ignore_index=True)


def _frame(result, columns: list[str]) -> pd.DataFrame:
    """Rows as plain tuples: pandas inspects SQLAlchemy Row objects one by one, which is slow."""
    return pd.DataFrame.from_records([tuple(row) for row in result], columns=columns)


def measure_values(measures: pd.DataFrame, measure: str, neighbours: Neighbours | None = None) -> pd.DataFrame:
    """``code, value, rank`` of one measure per unit; for ``hotspot`` the value is the Gi* class (−3…3).

    Gi* runs on disputes per 1,000 households (0 where a unit has no households), over ``neighbours``.
    Rank 1 is the highest value (hottest for ``hotspot``).
    """
    if measure not in MEASURES:
        raise InvalidInput(f"未知的指标：{measure}")
    if measure == "hotspot":
        result = hotspots(list(neighbours.ids), _aligned(measures, neighbours.ids, "per_1000"), neighbours).frame
        out = pd.DataFrame({"code": result["id"], "value": result["hotspot_class"].astype(float),
                            "z": result["z"], "label": result["label"]})
    else:
        out = measures[["code", measure]].rename(columns={measure: "value"})
    out["rank"] = out["value"].rank(ascending=False, method="min").astype("Int64")
    return out.reset_index(drop=True)


def _aligned(measures: pd.DataFrame, ids, column: str) -> np.ndarray:
    return measures.set_index("code")[column].reindex(list(ids)).fillna(0).to_numpy(float)


UNIT_DISPUTES = sa.text("""
    SELECT d.ref_no, (d.reported_at AT TIME ZONE 'Asia/Shanghai')::date AS reported_on, d.domain, d.status,
           d.risk_level, d.summary, d.households_involved,
           coalesce((SELECT p.name FROM dispute_party p WHERE p.dispute_id = d.id ORDER BY p.position LIMIT 1),
                    (SELECT h.head_name FROM dispute_household x JOIN household h ON h.id = x.household_id
                     WHERE x.dispute_id = d.id ORDER BY h.id LIMIT 1)) AS party
    FROM dispute d
    WHERE d.grid_code LIKE :prefix
      AND (d.reported_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN :start AND :end
      AND (cardinality(CAST(:domains AS text[])) = 0 OR d.domain = ANY(CAST(:domains AS text[])))
      AND (cardinality(CAST(:statuses AS text[])) = 0 OR d.status = ANY(CAST(:statuses AS text[])))
      AND (cardinality(CAST(:risks AS text[])) = 0 OR d.risk_level = ANY(CAST(:risks AS text[])))
    ORDER BY d.reported_at DESC
    LIMIT :limit
""")


def unit_disputes(session: Session, code: str, chosen: DisputeFilter, limit: int = 50) -> pd.DataFrame:
    """The latest disputes of one unit (county, township or grid code) under the filters; the first party's name
    (from the ledger's 当事人, else the first household involved), masked."""
    prefix = code if len(code) == 15 else scope_prefix(code)
    rows = session.execute(UNIT_DISPUTES, {
        "prefix": prefix + "%", "start": chosen.start, "end": chosen.end, "domains": list(chosen.domains),
        "statuses": list(chosen.statuses), "risks": list(chosen.risks), "limit": limit,
    }).all()
    frame = pd.DataFrame(rows, columns=["ref_no", "reported_on", "domain", "status", "risk_level", "summary",
                                        "households_involved", "party"])
    frame["party"] = frame["party"].map(mask_name)
    return frame


def unit_trail(session: Session, code: str) -> list[list[str]]:
    """[[county code, name], ([township code, name])] down to ``code``; empty when it is unknown."""
    rows = session.execute(sa.text(
        "SELECT code, name FROM region WHERE code IN (:county, :code) AND level IN ('county', 'township') ORDER BY code"
    ), {"county": county_of(code), "code": code}).all()
    return [[c, n] for c, n in rows] if any(c == code for c, _ in rows) else []
