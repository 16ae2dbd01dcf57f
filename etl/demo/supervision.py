"""Screening reports on the plan's cadence, sensitive periods with their daily reports, the
demonstration-county catalogue and reviews, risk events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etl.demo.cases import inversion
from etl.demo.config import END, INVERSION_2025, START, YEARS
from geo.enums import DemoCountyStage, RiskEventKind

CRITERIA = Path(__file__).resolve().parent / "criteria_2023_2025.csv"
MISSING_SHARE, LATE_SHARE = 0.04, 0.08
DAILY_MISSING_SHARE, DAILY_LATE_SHARE = 0.05, 0.10
DUE_AFTER = pd.Timedelta(hours=36)
"""Every demo report is due as the default cadence says: the day after its period ends, at noon."""
SENSITIVE_PERIODS = (
    # name, first day, last day, counties (None = the whole city)
    ("2023年全国两会", "2023-03-01", "2023-03-13", None),
    ("2024年全国两会", "2024-03-01", "2024-03-11", None),
    ("2025年全国两会", "2025-03-01", "2025-03-11", None),
    ("光山县重点项目征迁攻坚期", "2024-06-03", "2024-06-16", ("411522",)),
)
"""Illustrative sensitive periods (dates approximate, not an official notice)."""
SENSITIVE_DECLARED_BY = "市信访工作联席会议办公室（演示）"
SENSITIVE_NOTE = "演示数据（生成）：示意的敏感时期，非官方通知"
REVIEW_DATES = {year: (f"{year}-06-30", f"{year}-12-20") for year in YEARS}
ENTERED_SCORES = {
    "基层接访场所规范化建设率": lambda rng, q: round(float(np.clip(0.7 + 0.3 * q + rng.normal(0, 0.04), 0, 1)), 2),
    "县级领导接访下访次数": lambda rng, q: int(rng.poisson(16 + 24 * q)),
    "未发生重大信访事件": lambda rng, q: int(rng.random() < 0.5 + 0.5 * q),
}
RISK_DESCRIPTIONS = {
    RiskEventKind.MASS_GATHERING: "群众因{}在乡镇政府门前聚集",
    RiskEventKind.EXTREME_ACT: "信访人因{}扬言采取过激行为，已稳控",
    RiskEventKind.NEGATIVE_PUBLICITY: "网络出现涉{}的负面炒作信息",
}


def make_screening_reports(rng: np.random.Generator, units: pd.DataFrame, disputes: pd.DataFrame) -> pd.DataFrame:
    """Weekly reports of every township and village, half-monthly analyses of counties.

    ``units`` has code, level. A unit reports what its grid found that week (zero report when
    nothing); some reports are late and some are missing, unit by unit more or less reliably.
    """
    weeks = pd.date_range(pd.Timestamp(START) + pd.offsets.Week(weekday=0), END, freq="W-MON")
    weeks = weeks[weeks + pd.Timedelta(days=6) <= pd.Timestamp(END)]
    local = units[units["level"].isin(["township", "village"])]
    reported = pd.DatetimeIndex(disputes["reported_at"])
    week_of = reported.normalize() - pd.to_timedelta(reported.day_of_week, "D")
    by_village = pd.Series(1, index=[disputes["grid_code"].str[:12].to_numpy(), week_of]).groupby(level=[0, 1]).sum()
    by_township = pd.Series(1, index=[(disputes["grid_code"].str[:9] + "000").to_numpy(), week_of]).groupby(level=[0, 1]).sum()
    found = pd.concat([by_village, by_township])

    codes = np.repeat(local["code"].to_numpy(), len(weeks))
    starts = np.tile(weeks.values, len(local))
    weekly = _submissions(rng, codes, starts, starts + np.timedelta64(6, "D"), "weekly", len(local))
    keys = pd.MultiIndex.from_arrays([weekly["unit_code"], pd.DatetimeIndex(weekly["period_start"])])
    weekly["disputes_found"] = found.reindex(keys, fill_value=0).to_numpy()

    halves = pd.date_range(START, END, freq="SMS-16")  # 1st–15th and 16th–last day
    half_ends = np.append(halves[1:].values - np.timedelta64(1, "D"), np.datetime64(END))
    counties = units[units["level"] == "county"]["code"].to_numpy()
    half = _submissions(rng, np.repeat(counties, len(halves)), np.tile(halves.values, len(counties)),
                        np.tile(half_ends, len(counties)), "half_monthly", len(counties))
    county_found = pd.Series(1, index=[disputes["grid_code"].str[:6].to_numpy(), reported]).sort_index()
    half["disputes_found"] = [
        int(county_found.loc[(c, slice(pd.Timestamp(s), pd.Timestamp(e) + pd.Timedelta(days=1)))].sum())
        if c in county_found.index.levels[0] else 0
        for c, s, e in zip(half["unit_code"], half["period_start"], half["period_end"])
    ]
    reports = pd.concat([weekly, half], ignore_index=True)
    reports["is_zero"] = reports["disputes_found"] == 0
    return reports


def _submissions(rng, codes, starts, ends, kind: str, n_units: int) -> pd.DataFrame:
    """Rows of submitted reports: due the day after the period ends at noon; some late, some never."""
    n = len(codes)
    reliability = np.repeat(rng.beta(2, 30, n_units), n // max(n_units, 1))
    missing = rng.random(n) < MISSING_SHARE * reliability / reliability.mean()
    late = rng.random(n) < LATE_SHARE * reliability / reliability.mean()
    due = pd.DatetimeIndex(ends) + DUE_AFTER
    early = pd.to_timedelta(rng.uniform(1, 40, n), "h")
    delay = pd.to_timedelta(rng.uniform(2, 120, n), "h")
    submitted = np.where(late, due + delay, due - early)
    frame = pd.DataFrame({"unit_code": codes, "kind": kind, "period_start": starts, "period_end": ends,
                          "submitted_at": pd.DatetimeIndex(submitted)})
    return frame[~missing].reset_index(drop=True)


def make_sensitive_periods(county_codes: list[str]) -> pd.DataFrame:
    """The illustrative sensitive periods that touch the generated counties (county lists cut to them)."""
    rows = []
    for name, first, last, counties in SENSITIVE_PERIODS:
        covered = None if counties is None else [c for c in counties if c in county_codes]
        if covered == []:
            continue
        rows.append({"name": name, "starts_on": pd.Timestamp(first), "ends_on": pd.Timestamp(last),
                     "county_codes": covered, "declared_by": SENSITIVE_DECLARED_BY, "note": SENSITIVE_NOTE})
    return pd.DataFrame(rows, columns=["name", "starts_on", "ends_on", "county_codes", "declared_by", "note"])


def make_daily_reports(rng: np.random.Generator, units: pd.DataFrame, periods: pd.DataFrame,
                       disputes: pd.DataFrame) -> pd.DataFrame:
    """Daily reports (每日一碰) of the covered townships and villages on every day of a sensitive period.

    Most are filed the same evening; the units that are unreliable at it miss days or file late more
    often, and more so at weekends. Overlapping periods owe one report a day.
    """
    local = units.loc[units["level"].isin(["township", "village"]), "code"].reset_index(drop=True)
    pairs = []
    for period in periods.itertuples():
        covered = (local if period.county_codes is None else local[local.str[:6].isin(period.county_codes)]).to_numpy()
        days = pd.date_range(period.starts_on, period.ends_on, freq="D")
        pairs.append(pd.DataFrame({"unit_code": np.repeat(covered, len(days)), "day": np.tile(days.values, len(covered))}))
    if not pairs:
        return pd.DataFrame(columns=["unit_code", "kind", "period_start", "period_end", "submitted_at",
                                     "disputes_found", "is_zero"])
    owed = pd.concat(pairs, ignore_index=True).drop_duplicates().sort_values(["unit_code", "day"], ignore_index=True)
    n = len(owed)
    reliability = pd.Series(rng.beta(2, 30, len(local)), index=local).reindex(owed["unit_code"]).to_numpy()
    weekend = np.where(pd.DatetimeIndex(owed["day"]).day_of_week >= 5, 1.6, 1.0)
    odds = reliability / reliability.mean() * weekend
    missing = rng.random(n) < DAILY_MISSING_SHARE * odds
    late = rng.random(n) < DAILY_LATE_SHARE * odds
    due = pd.DatetimeIndex(owed["day"]) + DUE_AFTER
    early = pd.to_timedelta(rng.uniform(14, 30, n), "h")  # from the evening of the day to the next morning
    delay = pd.to_timedelta(rng.uniform(1, 48, n), "h")
    reported = pd.DatetimeIndex(disputes["reported_at"]).normalize()
    village_days = pd.Series(1, index=[disputes["grid_code"].str[:12].to_numpy(), reported]).groupby(level=[0, 1]).sum()
    township_days = pd.Series(1, index=[(disputes["grid_code"].str[:9] + "000").to_numpy(), reported]).groupby(
        level=[0, 1]).sum()
    found = pd.concat([village_days, township_days])
    keys = pd.MultiIndex.from_arrays([owed["unit_code"], pd.DatetimeIndex(owed["day"])])
    frame = pd.DataFrame({
        "unit_code": owed["unit_code"], "kind": "daily", "period_start": owed["day"], "period_end": owed["day"],
        "submitted_at": pd.DatetimeIndex(np.where(late, due + delay, due - early)),
        "disputes_found": found.reindex(keys, fill_value=0).to_numpy(),
    })
    frame["is_zero"] = frame["disputes_found"] == 0
    return frame[~missing].reset_index(drop=True)


def read_criteria() -> pd.DataFrame:
    return pd.read_csv(CRITERIA, dtype={"year": int})


def make_reviews(rng: np.random.Generator, counties: list[str], criteria: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reviewer-entered scores (twice a year, with evidence) and each county's creation stage."""
    scores, stages = [], []
    for county in counties:
        quality = 1 - INVERSION_2025[county]
        for year in YEARS:
            for reviewed_on in REVIEW_DATES[year]:
                for row in criteria[(criteria["year"] == year) & (criteria["measure"] == "entered")].itertuples():
                    scores.append({"county_code": county, "criterion": (row.year, row.name), "reviewed_on": reviewed_on,
                                   "value": ENTERED_SCORES[row.name](rng, quality),
                                   "evidence": f"{year}年{reviewed_on[5:7]}月评审组现场核查台账（演示数据）",
                                   "entered_by": "示范县评审组（演示）"})
            stage = min(int(quality * 1.5 + (year - 2023) * 0.7 + rng.random() * 0.6), 3)
            stages.append({"county_code": county, "year": year, "stage": list(DemoCountyStage)[stage].value})
    return pd.DataFrame(scores), pd.DataFrame(stages)


def make_risk_events(rng: np.random.Generator, disputes: pd.DataFrame) -> pd.DataFrame:
    """A handful of risk events where collective disputes cluster, more where pyramids are inverted."""
    collective = disputes[disputes["households_involved"] >= 5]
    if collective.empty:
        return pd.DataFrame()
    county = collective["grid_code"].str[:6].to_numpy()
    weight = inversion(county, collective["reported_at"]) ** 2
    n = min(len(collective), max(3, len(np.unique(county)) * 3))
    chosen = collective.iloc[rng.choice(len(collective), n, replace=False, p=weight / weight.sum())]
    kinds = [list(RiskEventKind)[i] for i in rng.choice(3, n, p=[0.6, 0.2, 0.2])]
    return pd.DataFrame({
        "grid_code": chosen["grid_code"].to_numpy(),
        "lon": chosen["lon"].to_numpy(), "lat": chosen["lat"].to_numpy(),
        "kind": [k.value for k in kinds],
        "occurred_at": chosen["reported_at"].to_numpy() + pd.to_timedelta(rng.integers(2, 20, n), "D").to_numpy(),
        "participants": np.where([k == RiskEventKind.MASS_GATHERING for k in kinds],
                                 chosen["households_involved"].to_numpy() * 2, 1),
        "description": [RISK_DESCRIPTIONS[k].format(s) for k, s in zip(kinds, chosen["summary"])],
        "handling": "乡镇党委书记带队现场接待，依法分类处置（演示数据）",
    }).sort_values("occurred_at").assign(ref_no=lambda f: ["FX" + f"{i + 1:05d}" for i in range(len(f))])
