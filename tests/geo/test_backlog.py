"""Backlog cases as of a day (geo.backlog), on cases and petitions whose every outcome is worked out below.

As of A = 2024-12-31. GA is in 老城街道 (浉河区), GC in 弦山街道 (光山县).
Chains (previous → later): Q1 → Q2 → Q3 and Q1 → Q4 (Q2 is case B1's petition); S0 → S1 (case B3's).
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.backlog import CASE_COLUMNS, SCORE_COLUMNS, STAGES, backlog_cases, resolution_trend, scorecards
from geo.errors import InvalidInput
from geo.kpis import kpi_frame

A = date(2024, 12, 31)
GA, GC = "411502001001001", "411522001001001"
X1, X2 = "411502198001011234", "411502198502025678"
# ref, grid, first, previous, received, id number, name
PETITIONS = [
    ("Q0", GA, True, None, "2023-05-01", X1, "张三"),     # same person as Q1, before the hand-down: not "again"
    ("Q1", GA, True, None, "2023-06-01", None, "张三"),
    ("Q2", GA, False, "Q1", "2024-01-10", X1, "张三"),    # case B1 (handed down 2024-02-01)
    ("Q3", GA, False, "Q2", "2024-06-01", None, "张三"),   # later, same chain (descendant)
    ("Q4", GA, False, "Q1", "2024-07-01", None, "张三"),   # later, same chain (sibling branch of the root)
    ("R1", GA, True, None, "2024-01-20", X2, "李四"),     # case B2 (handed down 2024-03-01)
    ("R9", GC, True, None, "2024-08-01", X2, "李四"),     # later, same ID number, another chain and county
    ("S0", GA, True, None, "2024-04-01", None, "王五"),
    ("S1", GA, False, "S0", "2024-05-01", None, "王五"),   # case B3 (handed down 2024-06-01)
    ("T1", GA, True, None, "2024-07-01", None, "赵六"),   # another person without an ID number: never matches S1
    ("U1", GA, True, None, "2024-09-01", None, "孙七"),   # case B4
    ("V1", GC, True, None, "2024-10-01", None, "周八"),   # case B7
    ("W1", GA, True, None, "2025-01-20", X1, "张三"),     # after A: not counted on A
]
# ref, county, petition, handed down, deadline, status, resolved, leader, title, mode
CASES = [
    ("B1", "411502", "Q2", "2024-02-01", "2024-05-01", "resolved", "2024-04-20", "张书记", "县委书记", "leader_owned"),
    ("B2", "411502", "R1", "2024-03-01", "2024-06-01", "resolved", "2024-07-01", "张书记", "县委书记", "task_force"),
    ("B3", "411502", "S1", "2024-06-01", "2024-09-01", "open", None, "王县长", "县长", "deadline_by_category"),
    ("B4", "411502", "U1", "2024-10-01", "2025-03-01", "stalled", None, "王县长", "县长", "escalated"),
    ("B5", "411502", None, "2024-11-01", "2025-05-01", "open", None, "刘局长", "县信访局局长", "leader_owned"),
    ("B6", "411502", None, "2025-01-10", "2025-06-01", "open", None, "刘局长", "县信访局局长", "leader_owned"),
    ("B7", "411522", "V1", "2024-10-15", "2024-12-01", "resolved", "2025-01-05", "陈书记", "县委书记", "task_force"),
]


@pytest.fixture
def data(session):
    session.execute(sa.text("INSERT INTO grid_cell (code, name, village_code) VALUES (:code, :name, :village)"),
                    [{"code": g, "name": f"测试网格{i}", "village": g[:12]} for i, g in enumerate((GA, GC), 1)])
    session.execute(sa.text(
        "INSERT INTO petition (ref_no, origin_grid_code, category, channel, domain, petitioner_name,"
        " petitioner_id_number, is_first, previous_petition_id, lodged_level, status, received_on, source)"
        " VALUES (:ref, :grid, 'complaint_request', 'visit', 'labour_social_security', :name, :id_number, :first,"
        " (SELECT id FROM petition WHERE ref_no = :previous), 'county', 'received', CAST(:received AS date), 'entered')"
    ), [dict(zip(("ref", "grid", "first", "previous", "received", "id_number", "name"), row)) for row in PETITIONS])
    session.execute(sa.text(
        "INSERT INTO backlog_case (ref_no, petition_id, county_code, title, handed_down_by, handed_down_on, leader_name,"
        " leader_title, mode, deadline, status, resolved_on, source) VALUES (:ref,"
        " (SELECT id FROM petition WHERE ref_no = :petition), :county, '测试积案', '市信访局', CAST(:handed AS date),"
        " :leader, :title, :mode, CAST(:deadline AS date), :status, CAST(:resolved AS date), 'entered')"
    ), [dict(zip(("ref", "county", "petition", "handed", "deadline", "status", "resolved", "leader", "title", "mode"), r))
        for r in CASES])
    return session


def test_cases_as_of_a_day(data):
    cases = backlog_cases(data, A)
    assert list(cases.columns) == CASE_COLUMNS
    got = cases[["ref_no", "stage", "days_left", "days_overdue", "later_petitions", "petitioned_again"]]
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        ["B5", "open", 121, 0, 0, False],               # deadline 2025-05-01
        ["B7", "overdue", -30, 30, 0, False],           # resolved only on 2025-01-05, after A
        ["B4", "stalled", 60, 0, 0, False],             # deadline 2025-03-01, recorded 停滞
        ["B3", "overdue", -121, 121, 0, False],         # S0 is before the hand-down; T1 has no ID number
        ["B2", "resolved_late", None, 30, 1, True],     # R9 (same ID number) on 2024-08-01
        ["B1", "resolved_on_time", None, 0, 2, True],   # Q3 and Q4 (same chain); not Q0 (before), not W1 (after A)
    ]
    b1 = cases.set_index("ref_no").loc["B1"]
    assert (b1["stage_label"], b1["mode"], b1["petitioner_name"], b1["petition_ref"]) == (
        STAGES["resolved_on_time"], "领导包案督促办", "张*", "Q2")
    assert b1["last_petition_on"] == date(2024, 7, 1) and b1["resolved_on"] == date(2024, 4, 20)


def test_a_past_day_shows_that_days_state(data):
    cases = backlog_cases(data, date(2024, 4, 15)).set_index("ref_no")
    assert list(cases.index) == ["B2", "B1"]  # the rest were handed down later
    assert cases.loc["B1", "stage"] == "open" and cases.loc["B1", "days_left"] == 16
    assert cases.loc["B1", "resolved_on"] is None and not cases["petitioned_again"].any()


@pytest.mark.parametrize("area, refs", [
    ("411522", ["B7"]),
    ("411502", ["B5", "B4", "B3", "B2", "B1"]),
    ("411502001000", ["B4", "B3", "B2", "B1"]),  # township: cases whose petition came from it (not B5, no petition)
])
def test_area(data, area, refs):
    assert list(backlog_cases(data, A, area)["ref_no"]) == refs


def test_scorecards_per_leader_and_county(data):
    leaders = scorecards(data, A, by="leader")
    assert list(leaders.columns) == ["county_code", "county_name", "leader_name", "leader_title", *SCORE_COLUMNS]
    rows = leaders[["leader_name", "handed_down", "resolved", "resolved_on_time", "resolved_late", "open", "overdue",
                    "petitioned_again"]].values.tolist()
    assert rows == [
        ["王县长", 2, 0, 0, 0, 2, 1, 0],   # overdue first
        ["陈书记", 1, 0, 0, 0, 1, 1, 0],
        ["刘局长", 1, 0, 0, 0, 1, 0, 0],   # B6 is after A
        ["张书记", 2, 2, 1, 1, 0, 0, 2],
    ]
    assert leaders["resolution_rate"].tolist() == [0, 0, 0, 1] and leaders["on_time_rate"].tolist() == [0, 0, 0, 0.5]
    counties = scorecards(data, A, by="county")
    assert counties[["county_code", "handed_down", "resolved", "overdue"]].values.tolist() == [
        ["411502", 5, 2, 1], ["411522", 1, 0, 1]]
    assert counties["resolution_rate"].tolist() == [0.4, 0.0]


def test_bad_grouping_is_refused(data):
    with pytest.raises(InvalidInput):
        scorecards(data, A, by="planet")


def test_resolution_trend_is_cumulative_like_the_kpi(data):
    trend = resolution_trend(data, date(2024, 1, 1), A)
    assert len(trend) == 12 and trend["month"].iat[0] == date(2024, 1, 1)
    # January: nothing handed down yet; April: B1 resolved of B1, B2 (1/2); December: 2 of 6 (B1–B5, B7).
    assert math.isnan(trend["rate"].iat[0])
    assert trend[["resolved", "handed_down"]].iloc[[3, 11]].values.tolist() == [[1, 2], [2, 6]]
    assert trend["rate"].iat[11] == pytest.approx(1 / 3)
    kpi = kpi_frame(data, date(2024, 1, 1), A, by="month")["backlog_resolution_rate"]
    pd.testing.assert_series_equal(trend["rate"], kpi, check_names=False)
