"""Demonstration-county review (示范县创建): each county measured against a year's catalogue of criteria.

A criterion (``demo_criterion``) has a weight, a target, a direction and a measure. Computed measures
come from the database over the calendar year; ``entered`` ones are the reviewers' latest score
(``demo_score``) on or before the year's end. Every value is judged against its target:

- ``passed``: the value meets the target in the criterion's direction (``up``: value ≥ target,
  ``down``: value ≤ target); None when there is no value.
- ``progress`` in [0, 1]: 1 when the target is met. Otherwise ``up``: value ÷ target (target > 0);
  ``down``: target ÷ value (target > 0). Where the target is 0 or below a ratio means nothing, so
  progress decays with the distance from the target: 1 ÷ (1 + |value − target|) (e.g. a target of
  0 overdue petitions and 3 overdue gives 0.25). NaN when there is no value.
- The weighted score of a county = Σ(weight × progress) ÷ Σ weight × 100 over all the year's
  criteria; a criterion with no value earns nothing (it still counts in Σ weight).

The one-time resolution, satisfaction and backlog resolution rates are those of ``geo.kpis`` (one
definition for the whole project). Overdue petitions use the statutory periods of ``geo.statutory``.
"""

from __future__ import annotations

import functools

import math
from datetime import date

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.enums import CriterionMeasure, DemoCountyStage, Direction, RegionLevel
from geo.errors import InvalidInput, NotFound
from geo.kpis import kpi_frame
from geo.statutory import ACCEPTANCE_DAYS, HANDLING_DAYS

COMPUTED_MEASURES: tuple[CriterionMeasure, ...] = tuple(m for m in CriterionMeasure if m != CriterionMeasure.ENTERED)
_KPI_MEASURES = (
    CriterionMeasure.ONE_TIME_RESOLUTION_RATE,
    CriterionMeasure.SATISFACTION_RATE,
    CriterionMeasure.BACKLOG_RESOLUTION_RATE,
)

MEASURED_COLUMNS = [
    "county_code", "county_name", "criterion_id", "name", "weight", "target", "direction", "measure", "unit",
    "value", "passed", "progress", "evidence", "reviewed_on", "source",
]
SCORE_COLUMNS = ["rank", "county_code", "county_name", "score", "passed", "criteria", "measured", "stage", "stage_label"]
CHANGE_COLUMNS = ["name", "measure", "source", "direction", "previous_on", "current_on", "previous", "current",
                  "change", "improved"]
CRITERION_FIELDS = ["criterion_id", "name", "measure", "unit", "direction", "weight", "target"]
COUNTY_FIELDS = ["value", "passed", "progress", "evidence"]

# Which petitions make a unit non-zero (allow-list: never built from input).
_ZERO_UNIT_KEY = {
    RegionLevel.VILLAGE.value: "left(p.origin_grid_code, 12)",
    RegionLevel.TOWNSHIP.value: "p.township_code",
}

_OVERDUE_SQL = """
SELECT r.code AS county_code, count(p.county_code) AS overdue
FROM region r
LEFT JOIN petition p ON p.county_code = r.code
  AND p.received_on BETWEEN :start AND :end
  AND (
        -- acceptance decided (受理 or 不予受理, the latter dated by closed_on) late, or still undecided past the deadline
        coalesce(p.accepted_on, p.closed_on, CAST(:cutoff AS date)) - p.received_on > :acceptance_days
        -- handled late, or still open past the (extended) handling deadline
     OR (p.accepted_on IS NOT NULL
         AND coalesce(p.closed_on, CAST(:cutoff AS date)) - p.accepted_on > :handling_days + p.extension_days)
  )
WHERE r.level = :county_level
GROUP BY r.code
"""


def _objects(series: pd.Series) -> pd.Series:
    """The series as Python objects, with None wherever a value is missing (NaN, NA, NaT)."""
    return pd.Series([None if _missing(v) else v for v in series], index=series.index, dtype=object)


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _year_bounds(year: int) -> tuple[date, date]:
    if not 2000 <= int(year) <= 2100:
        raise InvalidInput(f"年度“{year}”无效：请选择 2000–2100 之间的年度。")
    return date(int(year), 1, 1), date(int(year), 12, 31)


def _cutoff(year: int) -> date:
    """The day still-open petitions are judged on: the year's end, or today while the year runs."""
    return min(date(int(year), 12, 31), date.today())


def _counties(session: Session) -> pd.DataFrame:
    rows = session.execute(
        text("SELECT code AS county_code, name AS county_name FROM region WHERE level = :level ORDER BY code"),
        {"level": RegionLevel.COUNTY.value},
    ).all()
    return pd.DataFrame(rows, columns=["county_code", "county_name"])


def _catalogue(session: Session, year: int) -> pd.DataFrame:
    rows = session.execute(text(
        "SELECT id AS criterion_id, name, weight, target, direction, measure, unit"
        " FROM demo_criterion WHERE year = :year ORDER BY id"
    ), {"year": int(year)}).all()
    frame = pd.DataFrame(rows, columns=["criterion_id", "name", "weight", "target", "direction", "measure", "unit"])
    if frame.empty:
        raise NotFound(f"没有 {year} 年度的示范县创建标准：请先导入该年度的标准目录。")
    frame["criterion_id"] = frame["criterion_id"].astype("int64")
    frame["weight"] = frame["weight"].astype(float)
    frame["target"] = frame["target"].astype(float)
    return frame


def catalogue_years(session: Session) -> list[int]:
    """The years that have a catalogue, ascending."""
    return [int(y) for (y,) in session.execute(text("SELECT DISTINCT year FROM demo_criterion ORDER BY year"))]


def zero_petition_units(session: Session, year: int, level: str = "village") -> pd.DataFrame:
    """Every village (or township) with ``zero`` True when no petition received in ``year`` came from it.

    A petition comes from the unit that holds its origin grid cell: a village's 12-digit code is the
    first 12 digits of the cell's code; a township is the petition's generated ``township_code``.
    Columns: code, name, county_code, zero (bool); ordered by code.
    """
    if level not in _ZERO_UNIT_KEY:
        choices = "、".join(f"{RegionLevel(k).label}（{k}）" for k in _ZERO_UNIT_KEY)
        raise InvalidInput(f"不支持的单位层级“{level}”：可选 {choices}。")
    start, end = _year_bounds(year)
    rows = session.execute(text(
        "WITH petitioned AS ("
        f" SELECT DISTINCT {_ZERO_UNIT_KEY[level]} AS code FROM petition p WHERE p.received_on BETWEEN :start AND :end)"
        " SELECT r.code, r.name, left(r.code, 6) AS county_code, (pt.code IS NULL) AS zero"
        " FROM region r LEFT JOIN petitioned pt ON pt.code = r.code"
        " WHERE r.level = :level ORDER BY r.code"
    ), {"start": start, "end": end, "level": level}).all()
    frame = pd.DataFrame(rows, columns=["code", "name", "county_code", "zero"])
    frame["zero"] = frame["zero"].astype(bool)
    return frame


def zero_counts_by_county(frame: pd.DataFrame) -> pd.DataFrame:
    """Per county of a ``zero_petition_units`` frame: units, zero_units and share (zero ÷ units)."""
    grouped = frame.groupby("county_code", sort=True)["zero"].agg(units="size", zero_units="sum").reset_index()
    grouped["units"] = grouped["units"].astype("int64")
    grouped["zero_units"] = grouped["zero_units"].astype("int64")
    grouped["share"] = (grouped["zero_units"] / grouped["units"]).astype(float)
    return grouped


def overdue_petitions(session: Session, year: int) -> pd.DataFrame:
    """Per county-level unit: petitions received in ``year`` that went past a statutory period.

    A petition is overdue when its acceptance was decided more than ``ACCEPTANCE_DAYS`` days after
    receipt, or it was closed more than ``HANDLING_DAYS`` + its extension days after acceptance
    (steps taken late count whenever they were taken), or such a step had still not been taken when
    its deadline had passed by the year's end (today, while the year runs). Due days are counted as in
    ``geo.statutory`` (an act on the due day is on time); a petition closed without an acceptance date
    (不予受理) was decided on ``closed_on``. Unlike ``geo.statutory.clock``, which gives the state on one
    day, this judges the year's petitions by everything recorded about them, so a late step taken in
    January still counts for the year the petition came in. Columns: county_code, overdue.
    """
    start, end = _year_bounds(year)
    rows = session.execute(text(_OVERDUE_SQL), {
        "start": start, "end": end, "cutoff": _cutoff(year),
        "acceptance_days": ACCEPTANCE_DAYS, "handling_days": HANDLING_DAYS,
        "county_level": RegionLevel.COUNTY.value,
    }).all()
    frame = pd.DataFrame(rows, columns=["county_code", "overdue"])
    frame["overdue"] = frame["overdue"].astype("int64")
    return frame.sort_values("county_code").reset_index(drop=True)


def _memoised(function):
    """Reuse a result within one session: a page asks for the same year's values several times per request.

    The memo lives in ``session.info`` and so ends with the session; nothing is cached across requests.
    """

    @functools.wraps(function)
    def wrapper(session: Session, year: int) -> pd.DataFrame:
        memo = session.info.setdefault(f"criteria.{function.__name__}", {})
        if int(year) not in memo:
            memo[int(year)] = function(session, int(year))
        return memo[int(year)].copy()

    return wrapper


@_memoised
def computed_values(session: Session, year: int) -> pd.DataFrame:
    """Every computed measure over the calendar year, per county-level unit.

    Columns: county_code, county_name, then one float column per measure of ``COMPUTED_MEASURES``
    (NaN where it is undefined: a rate with an empty denominator, a share of no villages).
    """
    start, end = _year_bounds(year)
    counties = _counties(session)
    kpis = kpi_frame(session, start, end, by="county")
    frame = counties.merge(kpis[["county_code", *[m.value for m in _KPI_MEASURES]]], on="county_code", how="left")
    zero = zero_counts_by_county(zero_petition_units(session, year, RegionLevel.VILLAGE.value))
    frame[CriterionMeasure.ZERO_PETITION_VILLAGE_SHARE.value] = frame["county_code"].map(
        zero.set_index("county_code")["share"])
    overdue = overdue_petitions(session, year)
    frame[CriterionMeasure.OVERDUE_PETITIONS.value] = frame["county_code"].map(
        overdue.set_index("county_code")["overdue"])
    for measure in COMPUTED_MEASURES:
        frame[measure.value] = frame[measure.value].astype(float)
    return frame


def _entered_scores(session: Session, year: int) -> pd.DataFrame:
    """The latest score of each county on each ``entered`` criterion of the year, on or before its end."""
    _, end = _year_bounds(year)
    rows = session.execute(text(
        "SELECT DISTINCT ON (s.county_code, s.criterion_id) s.county_code, s.criterion_id, s.value, s.evidence,"
        " s.reviewed_on"
        " FROM demo_score s JOIN demo_criterion c ON c.id = s.criterion_id"
        " WHERE c.year = :year AND c.measure = :entered AND s.reviewed_on <= :end"
        " ORDER BY s.county_code, s.criterion_id, s.reviewed_on DESC"
    ), {"year": int(year), "entered": CriterionMeasure.ENTERED.value, "end": end}).all()
    frame = pd.DataFrame(rows, columns=["county_code", "criterion_id", "value", "evidence", "reviewed_on"])
    frame["criterion_id"] = frame["criterion_id"].astype("int64")
    frame["value"] = frame["value"].astype(float)
    return frame


def judge(value: float | None, target: float, direction: str) -> tuple[bool | None, float]:
    """(passed, progress) of one value against its target; (None, NaN) when there is no value."""
    if _missing(value):
        return None, math.nan
    value, target = float(value), float(target)
    up = Direction(direction) == Direction.UP
    passed = value >= target if up else value <= target
    if passed:
        return True, 1.0
    if target > 0:
        progress = max(value, 0.0) / target if up else target / value
    else:
        progress = 1.0 / (1.0 + abs(value - target))
    return False, min(max(progress, 0.0), 1.0)


@_memoised
def measured_values(session: Session, year: int) -> pd.DataFrame:
    """Every county-level unit × every criterion of ``year``'s catalogue, with its value and judgement.

    Columns ``MEASURED_COLUMNS``: county_code, county_name, criterion_id, name, weight, target,
    direction, measure, unit, value (float, NaN when unknown), passed (True/False/None), progress
    (float in [0, 1], NaN when unknown), evidence and reviewed_on (entered criteria: the latest
    score's), source ('computed' or 'entered'). Ordered by county_code, criterion_id.
    Raises ``NotFound`` when the year has no catalogue.
    """
    catalogue = _catalogue(session, year)
    computed = computed_values(session, year)
    frame = computed[["county_code", "county_name"]].merge(catalogue, how="cross")
    long = computed.melt(id_vars=["county_code"], value_vars=[m.value for m in COMPUTED_MEASURES],
                         var_name="measure", value_name="value")
    frame = frame.merge(long, on=["county_code", "measure"], how="left")
    entered = _entered_scores(session, year).rename(columns={"value": "entered_value"})
    frame = frame.merge(entered, on=["county_code", "criterion_id"], how="left")
    is_entered = frame["measure"] == CriterionMeasure.ENTERED.value
    frame["value"] = frame["value"].where(~is_entered, frame["entered_value"]).astype(float)
    frame["evidence"] = _objects(frame["evidence"].where(is_entered))
    frame["reviewed_on"] = _objects(frame["reviewed_on"].where(is_entered))
    frame["source"] = _objects(is_entered.map({True: "entered", False: "computed"}))
    judged = [judge(v, t, d) for v, t, d in zip(frame["value"], frame["target"], frame["direction"])]
    frame["passed"] = pd.Series([p for p, _ in judged], index=frame.index, dtype=object)
    frame["progress"] = pd.Series([g for _, g in judged], index=frame.index, dtype=float)
    frame = frame.sort_values(["county_code", "criterion_id"]).reset_index(drop=True)
    return frame[MEASURED_COLUMNS]


def _stages(session: Session, year: int) -> pd.DataFrame:
    rows = session.execute(text("SELECT county_code, stage FROM demo_county_status WHERE year = :year"),
                           {"year": int(year)}).all()
    return pd.DataFrame(rows, columns=["county_code", "stage"])


def scores_from(measured: pd.DataFrame) -> pd.DataFrame:
    """Per county of a ``measured_values`` frame: score, passed, criteria, measured (no stage, no rank)."""
    work = measured.assign(
        earned=measured["weight"] * measured["progress"].fillna(0.0),
        is_passed=measured["passed"].map(lambda p: p is True),
        has_value=measured["value"].notna(),
    )
    grouped = work.groupby(["county_code", "county_name"], sort=False).agg(
        earned=("earned", "sum"), weights=("weight", "sum"), passed=("is_passed", "sum"),
        criteria=("criterion_id", "size"), measured=("has_value", "sum"),
    ).reset_index()
    grouped["score"] = (grouped["earned"] / grouped["weights"] * 100).astype(float)
    for column in ("passed", "criteria", "measured"):
        grouped[column] = grouped[column].astype("int64")
    return grouped[["county_code", "county_name", "score", "passed", "criteria", "measured"]]


def county_scores(session: Session, year: int) -> pd.DataFrame:
    """Per county-level unit: the weighted score of ``year`` and how many criteria it passed.

    Columns ``SCORE_COLUMNS``: rank (1 = best; ties share the better rank), county_code, county_name,
    score (0–100, see the module docstring), passed, criteria (in the catalogue), measured (with a
    value), stage (``DemoCountyStage`` value or None when the county has no status that year) and
    stage_label (Chinese). Sorted by score descending, then county_code.
    """
    scores = scores_from(measured_values(session, year))
    stages = _stages(session, year)
    scores = scores.merge(stages, on="county_code", how="left")
    scores["stage"] = _objects(scores["stage"])
    scores["stage_label"] = pd.Series([DemoCountyStage(s).label if s else None for s in scores["stage"]],
                                      index=scores.index, dtype=object)
    scores = scores.sort_values(["score", "county_code"], ascending=[False, True]).reset_index(drop=True)
    scores["rank"] = scores["score"].rank(method="min", ascending=False).astype("int64")
    return scores[SCORE_COLUMNS]


def _check_counties(session: Session, counties: list[str]) -> None:
    known = set(_counties(session)["county_code"])
    unknown = [c for c in counties if c not in known]
    if unknown:
        raise NotFound(f"找不到县区“{'、'.join(unknown)}”：请从县区列表中重新选择。")


def score_trend(session: Session, counties: list[str]) -> pd.DataFrame:
    """county_code, year, score for each given county in every catalogue year (ordered by county, year)."""
    _check_counties(session, counties)
    frames = []
    for year in catalogue_years(session):
        scores = scores_from(measured_values(session, year))
        frames.append(scores[scores["county_code"].isin(counties)].assign(year=year)[["county_code", "year", "score"]])
    if not frames:
        return pd.DataFrame({"county_code": pd.Series(dtype=object), "year": pd.Series(dtype="int64"),
                             "score": pd.Series(dtype=float)})
    trend = pd.concat(frames, ignore_index=True)
    trend["year"] = trend["year"].astype("int64")
    return trend.sort_values(["county_code", "year"]).reset_index(drop=True)


def _improved(change: float | None, direction: str) -> bool | None:
    if _missing(change) or change == 0:
        return None
    return (change > 0) == (Direction(direction) == Direction.UP)


def changes_since_last_review(session: Session, county: str, year: int) -> pd.DataFrame:
    """What moved for one county since the previous review, criterion by criterion of ``year``'s catalogue.

    Entered criteria: ``current`` is the latest score on or before the year's end (as in
    ``measured_values``); ``previous`` is the latest score reviewed before it on a criterion of the same
    name (of any year's catalogue). Computed criteria: the value of ``year`` against that of the year
    before (``previous_on``/``current_on`` are then the years' last days).
    Columns ``CHANGE_COLUMNS``: name, measure, source, direction, previous_on, current_on, previous,
    current, change (current − previous; NaN when either is unknown), improved (True when the change goes
    the criterion's direction, False when against it, None when unchanged or unknown). Catalogue order.
    """
    _check_counties(session, [county])
    year = int(year)
    measured = measured_values(session, year)
    mine = measured[measured["county_code"] == county].reset_index(drop=True)
    before = computed_values(session, year - 1).set_index("county_code").loc[county]
    entered_names = mine.loc[mine["source"] == "entered", "name"].tolist()
    history = pd.DataFrame(session.execute(text(
        "SELECT c.name, s.reviewed_on, s.value FROM demo_score s JOIN demo_criterion c ON c.id = s.criterion_id"
        " WHERE s.county_code = :county AND c.measure = :entered AND c.name = ANY(:names) AND s.reviewed_on <= :end"
        " ORDER BY c.name, s.reviewed_on DESC"
    ), {"county": county, "entered": CriterionMeasure.ENTERED.value, "names": entered_names,
        "end": date(year, 12, 31)}).all(), columns=["name", "reviewed_on", "value"])
    rows = []
    for row in mine.itertuples(index=False):
        if row.source == "entered":
            current_on = row.reviewed_on
            earlier = history[history["name"] == row.name]
            if current_on is not None:
                earlier = earlier[earlier["reviewed_on"] < current_on]
            previous_on = earlier["reviewed_on"].iloc[0] if len(earlier) else None
            previous = float(earlier["value"].iloc[0]) if len(earlier) else math.nan
        else:
            current_on, previous_on = date(year, 12, 31), date(year - 1, 12, 31)
            previous = float(before[row.measure])
        current = float(row.value)
        change = current - previous if not (math.isnan(current) or math.isnan(previous)) else math.nan
        rows.append({"name": row.name, "measure": row.measure, "source": row.source, "direction": row.direction,
                     "previous_on": previous_on, "current_on": current_on, "previous": previous,
                     "current": current, "change": change, "improved": _improved(change, row.direction)})
    frame = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    for column in ("previous", "current", "change"):
        frame[column] = frame[column].astype(float)
    frame["improved"] = _objects(frame["improved"])
    return frame


def comparison_frame(measured: pd.DataFrame, counties: list[str]) -> pd.DataFrame:
    """Criteria side by side for the given counties: what a comparison page shows.

    ``measured`` is a ``measured_values`` frame. The result has one row per criterion of its catalogue
    (ordered by criterion_id) and two-level columns:

    - ``("criterion", f)`` for f in ``CRITERION_FIELDS``: criterion_id, name, measure, unit, direction,
      weight, target;
    - ``(county_code, f)`` for f in ``COUNTY_FIELDS``: value (float, NaN when unknown), passed
      (True/False/None), progress (float, NaN when unknown), evidence (text or None); one block per
      county, in the order given.

    County names are not part of it: they are in ``measured`` and in ``county_scores``.
    """
    if not counties:
        raise InvalidInput("请至少选择一个县区进行对比。")
    known = set(measured["county_code"])
    unknown = [c for c in counties if c not in known]
    if unknown:
        raise InvalidInput(f"县区“{'、'.join(unknown)}”没有测评结果：请从县区列表中重新选择。")
    if len(set(counties)) != len(counties):
        raise InvalidInput("对比的县区有重复：每个县区只能选择一次。")
    criteria = (measured[CRITERION_FIELDS].drop_duplicates("criterion_id")
                .sort_values("criterion_id").reset_index(drop=True))
    columns = {("criterion", f): criteria[f] for f in CRITERION_FIELDS}
    for county in counties:
        rows = measured[measured["county_code"] == county].set_index("criterion_id").reindex(criteria["criterion_id"])
        for field in COUNTY_FIELDS:
            values = rows[field].to_numpy()
            if field in ("value", "progress"):
                columns[(county, field)] = pd.Series(values, dtype=float)
            else:
                columns[(county, field)] = _objects(pd.Series(values, dtype=object))
    frame = pd.DataFrame(columns)
    frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=["unit", "field"])
    return frame
