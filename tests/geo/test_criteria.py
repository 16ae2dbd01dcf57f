"""Demonstration-county criteria against a small data set whose every number is worked out by hand below.

Two made-up county-level units are added to the reference geography so that village counts are small:
测试县 411599 (township 测试镇 411599001000 with villages V1–V4, township 测试二乡 411599002000 with none)
and 对照县 411598 (township 411598001000 with villages W1, W2). Grid cells: G1 in V1, G2 in V2, G3 in V3,
H1 in W1. The catalogue of 2024 has one criterion per measure plus an entered one with a target of 0;
the catalogue of 2023 has only that one (so that a previous review lies in another year's catalogue).
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal

from geo.criteria import (
    comparison_frame,
    changes_since_last_review,
    county_scores,
    judge,
    measured_values,
    score_trend,
    zero_counts_by_county,
    zero_petition_units,
)
from geo.errors import InvalidInput, NotFound

TEST, OTHER = "411599", "411598"
V1, V2, V3, V4 = "411599001001", "411599001002", "411599001003", "411599001004"
W1, W2 = "411598001001", "411598001002"
G1, G2, G3, H1 = V1 + "001", V2 + "001", V3 + "001", W1 + "001"

REGIONS = [
    # code, name, level, kind, parent
    (TEST, "测试县", "county", "county", "411500"),
    (OTHER, "对照县", "county", "county", "411500"),
    ("411599001000", "测试镇", "township", "town", TEST),
    ("411599002000", "测试二乡", "township", "xiang", TEST),
    ("411598001000", "对照镇", "township", "town", OTHER),
    (V1, "一村", "village", "village", "411599001000"),
    (V2, "二村", "village", "village", "411599001000"),
    (V3, "三村", "village", "village", "411599001000"),
    (V4, "四村", "village", "village", "411599001000"),
    (W1, "甲村", "village", "village", "411598001000"),
    (W2, "乙村", "village", "village", "411598001000"),
]

C, S, A = "complaint_request", "suggestion", "accusation"
# ref, grid, category, first, status, received, accepted, extension, closed, one_time, satisfaction
# The right-hand comment says whether the petition is overdue (acceptance: > 15 days from receipt to the
# decision; handling: > 60 + extension days from acceptance to closing; open ones judged on 2024-12-31).
PETITIONS = [
    ("P01", G1, C, True, "closed", "2024-01-10", "2024-01-20", 0, "2024-03-01", True, "satisfied"),  # 10 d, 41 d: on time
    ("P02", G1, C, True, "closed", "2024-02-01", "2024-02-20", 0, "2024-03-10", False, "dissatisfied"),  # accepted after 19 d: OVERDUE
    ("P03", G2, C, True, "closed", "2024-03-01", "2024-03-16", 0, "2024-05-15", True, "basically_satisfied"),  # 15 d, 60 d exactly: on time
    ("P04", G2, C, True, "closed", "2024-04-01", "2024-04-05", 30, "2024-06-30", True, None),  # 86 d ≤ 60 + 30: on time
    ("P05", G1, S, True, "closed", "2024-05-01", "2024-05-02", 0, "2024-07-05", True, "satisfied"),  # closed after 64 d: OVERDUE
    ("P06", G1, C, False, "closed", "2024-06-01", "2024-06-03", 0, "2024-06-20", True, "satisfied"),  # on time (a repeat)
    ("P07", G1, C, True, "received", "2024-12-10", None, 0, None, None, None),  # undecided 21 d at 12-31: OVERDUE
    ("P08", G2, C, True, "received", "2024-12-20", None, 0, None, None, None),  # undecided 11 d at 12-31: on time
    ("P09", G1, C, True, "accepted", "2024-10-01", "2024-10-05", 0, None, None, None),  # open 87 d at 12-31: OVERDUE
    ("P10", G2, C, True, "accepted", "2024-11-15", "2024-11-20", 0, None, None, None),  # open 41 d at 12-31: on time
    ("P11", G1, S, True, "not_accepted", "2024-07-01", None, 0, "2024-07-20", None, None),  # refused after 19 d: OVERDUE
    ("P15", G1, S, True, "not_accepted", "2024-08-01", None, 0, "2024-08-10", None, None),  # refused after 9 d: on time
    ("P12", G3, A, True, "closed", "2023-12-01", "2024-01-10", 0, "2024-02-01", None, None),  # received in 2023 (late there)
    ("P13", G2, C, True, "accepted", "2024-12-28", "2025-01-20", 0, None, None, None),  # accepted after 23 d (in 2025): OVERDUE
    ("P14", G1, C, True, "closed", "2023-05-01", "2023-05-05", 0, "2023-06-01", False, "satisfied"),  # 2023, on time
    ("Q01", H1, C, True, "closed", "2024-03-01", "2024-03-31", 0, "2024-04-10", True, "satisfied"),  # accepted after 30 d: OVERDUE
]
# ref, county, handed down, resolved
BACKLOG = [
    ("B1", TEST, "2023-05-01", "2023-12-01"),
    ("B2", TEST, "2024-03-01", "2024-08-01"),
    ("B3", TEST, "2024-06-01", None),
    ("B4", TEST, "2024-09-01", "2025-02-01"),
    ("B5", TEST, "2025-01-10", None),
]
# year, name, weight, target, direction, measure, unit
CRITERIA = [
    (2023, "重大事件次数", 5, 0, "down", "entered", "次"),
    (2024, "一次性化解率", 20, 0.8, "up", "one_time_resolution_rate", "比率"),
    (2024, "满意率", 15, 0.9, "up", "satisfaction_rate", "比率"),
    (2024, "积案化解率", 15, 0.5, "up", "backlog_resolution_rate", "比率"),
    (2024, "零上访村占比", 15, 0.6, "up", "zero_petition_village_share", "比率"),
    (2024, "超期件数", 10, 1, "down", "overdue_petitions", "件"),
    (2024, "领导接访次数", 10, 10, "up", "entered", "次"),
    (2024, "重大事件次数", 5, 0, "down", "entered", "次"),
]
# county, year of the criterion, name, reviewed on, value, evidence
SCORES = [
    (TEST, 2023, "重大事件次数", "2023-12-15", 3, "2023年台账"),
    (TEST, 2024, "领导接访次数", "2024-06-30", 4, "上半年台账"),
    (TEST, 2024, "领导接访次数", "2024-12-20", 12, "=全年台账12次"),
    (TEST, 2024, "领导接访次数", "2025-01-15", 20, "次年补录"),  # after the year's end: not the 2024 value
    (TEST, 2024, "重大事件次数", "2024-12-20", 1, "全年1次"),
]


@pytest.fixture
def data(session):
    session.execute(sa.text(
        "INSERT INTO region (code, name, level, kind, parent_code, county_code)"
        " VALUES (:code, :name, :level, :kind, :parent, :county)"
    ), [dict(zip(("code", "name", "level", "kind", "parent"), row), county=row[0][:6]) for row in REGIONS])
    session.execute(sa.text("INSERT INTO grid_cell (code, name, village_code) VALUES (:code, '测试网格', :village)"),
                    [{"code": g, "village": g[:12]} for g in (G1, G2, G3, H1)])
    session.execute(sa.text(
        "INSERT INTO petition (ref_no, origin_grid_code, category, channel, domain, is_first, lodged_level, status,"
        " received_on, accepted_on, extension_days, closed_on, one_time_resolved, satisfaction, source)"
        " VALUES (:ref, :grid, :category, 'visit', 'other', :first, 'county', :status, :received,"
        " CAST(:accepted AS date), :extension, CAST(:closed AS date), :one_time, :satisfaction, 'entered')"
    ), [dict(zip(("ref", "grid", "category", "first", "status", "received", "accepted", "extension", "closed",
                  "one_time", "satisfaction"), row)) for row in PETITIONS])
    session.execute(sa.text(
        "INSERT INTO backlog_case (ref_no, county_code, title, handed_down_by, handed_down_on, leader_name, leader_title,"
        " mode, deadline, status, resolved_on, source)"
        " VALUES (:ref, :county, '测试积案', '市信访联席会议', :handed, '张某', '副县长', 'leader_owned', '2026-12-31',"
        " CASE WHEN CAST(:resolved AS date) IS NULL THEN 'open' ELSE 'resolved' END, CAST(:resolved AS date), 'entered')"
    ), [dict(zip(("ref", "county", "handed", "resolved"), row)) for row in BACKLOG])
    session.execute(sa.text(
        "INSERT INTO demo_criterion (year, name, weight, target, direction, measure, unit)"
        " VALUES (:year, :name, :weight, :target, :direction, :measure, :unit)"
    ), [dict(zip(("year", "name", "weight", "target", "direction", "measure", "unit"), row)) for row in CRITERIA])
    session.execute(sa.text(
        "INSERT INTO demo_score (county_code, criterion_id, reviewed_on, value, evidence, entered_by, source)"
        " VALUES (:county, (SELECT id FROM demo_criterion WHERE year = :year AND name = :name), :reviewed, :value,"
        " :evidence, '评审组', 'entered')"
    ), [dict(zip(("county", "year", "name", "reviewed", "value", "evidence"), row)) for row in SCORES])
    session.execute(sa.text(
        "INSERT INTO demo_county_status (county_code, year, stage, source) VALUES (:county, 2024, 'acceptance', 'entered')"
    ), {"county": TEST})
    session.flush()
    return session


# Expected 2024 values per criterion, in catalogue order: (value, passed, progress).
TEST_2024 = [
    # closed in 2024, first-time 申诉求决类: P01 P02 P03 P04 (not P05 S, P06 repeat, P11 P15 S, P12 A); one-time P01 P03 P04
    # → 3/4 = 0.75 < 0.8: progress 0.75 / 0.8 = 0.9375
    (0.75, False, 0.9375),
    # rated among those: P01 satisfied, P02 dissatisfied, P03 basically satisfied (P04 unrated) → 2/3; 2/3 ÷ 0.9
    (2 / 3, False, (2 / 3) / 0.9),
    # handed down by 2024-12-31: B1 B2 B3 B4 (not B5); resolved by then: B1 B2 (B4 in 2025) → 2/4 = 0.5 ≥ 0.5
    (0.5, True, 1.0),
    # villages V1–V4; received in 2024 from V1 (P01 …) and V2 (P03 …); V3 only in 2023 (P12); V4 none → 2/4 = 0.5
    (0.5, False, 0.5 / 0.6),
    # overdue: P02 P05 P07 P09 P11 P13 = 6 > 1 (down): progress 1 / 6
    (6.0, False, 1 / 6),
    # latest score on or before 2024-12-31: 12 (2024-12-20), not 20 (2025-01-15) → 12 ≥ 10
    (12.0, True, 1.0),
    # 1 against a target of 0 (down): progress 1 / (1 + 1) = 0.5
    (1.0, False, 0.5),
]
OTHER_2024 = [
    (1.0, True, 1.0),          # Q01 one-time: 1/1
    (1.0, True, 1.0),          # Q01 satisfied: 1/1
    (None, None, None),        # no backlog case: no value
    (0.5, False, 0.5 / 0.6),   # W1 has Q01, W2 none → 1/2
    (1.0, True, 1.0),          # Q01 accepted after 30 days → 1 ≤ 1
    (None, None, None),        # no score entered
    (None, None, None),
]
WEIGHTS = [20, 15, 15, 15, 10, 10, 5]


def _expected(rows):
    return pd.DataFrame({
        "value": [math.nan if v is None else v for v, _, _ in rows],
        "passed": pd.Series([p for _, p, _ in rows], dtype=object),
        "progress": [math.nan if g is None else g for _, _, g in rows],
    })


@pytest.mark.parametrize(("county", "rows"), [(TEST, TEST_2024), (OTHER, OTHER_2024)])
def test_measured_values_by_hand(data, county, rows):
    frame = measured_values(data, 2024)
    mine = frame[frame["county_code"] == county].reset_index(drop=True)
    assert mine["name"].tolist() == [c[1] for c in CRITERIA[1:]]
    assert mine["source"].tolist() == ["computed"] * 5 + ["entered"] * 2
    assert_frame_equal(mine[["value", "passed", "progress"]], _expected(rows))


def test_measured_values_cover_every_county_and_carry_evidence(data):
    frame = measured_values(data, 2024)
    counties = data.execute(sa.text("SELECT count(*) FROM region WHERE level = 'county'")).scalar_one()
    assert len(frame) == counties * 7
    row = frame[(frame["county_code"] == TEST) & (frame["name"] == "领导接访次数")].iloc[0]
    assert (row["evidence"], row["reviewed_on"], row["county_name"]) == ("=全年台账12次", date(2024, 12, 20), "测试县")
    assert frame.loc[frame["source"] == "computed", "evidence"].isna().all()
    assert list(frame.columns) == [
        "county_code", "county_name", "criterion_id", "name", "weight", "target", "direction", "measure", "unit",
        "value", "passed", "progress", "evidence", "reviewed_on", "source"]


def test_a_year_without_catalogue_is_not_found(data):
    with pytest.raises(NotFound, match="2022"):
        measured_values(data, 2022)


@pytest.mark.parametrize(("value", "target", "direction", "expected"), [
    (0.9, 0.8, "up", (True, 1.0)),
    (0.8, 0.8, "up", (True, 1.0)),            # meeting the target exactly passes
    (0.6, 0.8, "up", (False, 0.75)),          # 0.6 / 0.8
    (-2.0, 0.8, "up", (False, 0.0)),          # clipped at 0
    (-1.0, 0.0, "up", (False, 0.5)),          # target 0: 1 / (1 + 1)
    (3.0, 0.0, "up", (True, 1.0)),
    (2.0, 4.0, "down", (True, 1.0)),
    (4.0, 4.0, "down", (True, 1.0)),
    (8.0, 4.0, "down", (False, 0.5)),         # 4 / 8
    (0.0, 0.0, "down", (True, 1.0)),          # target 0 met
    (3.0, 0.0, "down", (False, 0.25)),        # target 0: 1 / (1 + 3)
])
def test_judge(value, target, direction, expected):
    passed, progress = judge(value, target, direction)
    assert passed is expected[0]
    assert progress == pytest.approx(expected[1])


def test_judge_without_value():
    passed, progress = judge(math.nan, 1.0, "up")
    assert passed is None and math.isnan(progress)


def test_county_scores(data):
    scores = county_scores(data, 2024)
    top = scores.head(2)
    assert top["county_code"].tolist() == [TEST, OTHER]
    # 测试县: Σ weight × progress = 20·0.9375 + 15·(2/3)/0.9 + 15·1 + 15·0.5/0.6 + 10·(1/6) + 10·1 + 5·0.5
    #        = 18.75 + 11.111… + 15 + 12.5 + 1.666… + 10 + 2.5 = 71.527…; ÷ 90 × 100 = 79.475…
    # 对照县: 20 + 15 + 0 + 12.5 + 10 + 0 + 0 = 57.5; ÷ 90 × 100 = 63.888… (no value earns nothing)
    test_score = (20 * 0.9375 + 15 * (2 / 3) / 0.9 + 15 + 15 * 0.5 / 0.6 + 10 / 6 + 10 + 5 * 0.5) / sum(WEIGHTS) * 100
    assert top["score"].tolist() == pytest.approx([test_score, 57.5 / 90 * 100])
    assert test_score == pytest.approx(79.475308642)
    assert top["passed"].tolist() == [2, 3]
    assert top["criteria"].tolist() == [7, 7]
    assert top["measured"].tolist() == [7, 4]
    assert top["stage"].tolist() == ["acceptance", None]
    assert top["stage_label"].tolist() == ["验收", None]
    assert top["rank"].tolist() == [1, 2]
    assert scores["score"].is_monotonic_decreasing
    # The reference counties have no petitions: every village is zero (1 ≥ 0.6) and 0 overdue ≤ 1 → (15 + 10)/90.
    rest = scores[~scores["county_code"].isin([TEST, OTHER])]
    assert rest["score"].tolist() == pytest.approx([25 / 90 * 100] * len(rest))
    assert (rest["rank"] == 3).all()


def test_score_trend(data):
    trend = score_trend(data, [TEST, OTHER])
    expected = pd.DataFrame({
        "county_code": [OTHER, OTHER, TEST, TEST],
        "year": pd.Series([2023, 2024, 2023, 2024], dtype="int64"),
        # 2023: one criterion (重大事件次数, target 0, down): 对照县 no score → 0; 测试县 3 → 1/(1+3) → 25
        "score": [0.0, 57.5 / 90 * 100, 25.0, 79.475308642],
    })
    assert_frame_equal(trend, expected, check_dtype=False, check_exact=False, atol=1e-6)


def test_score_trend_of_unknown_county(data):
    with pytest.raises(NotFound, match="419999"):
        score_trend(data, ["419999"])


def test_changes_since_last_review(data):
    changes = changes_since_last_review(data, TEST, 2024)
    expected = pd.DataFrame({
        "name": [c[1] for c in CRITERIA[1:]],
        # 2023 (computed): closed first-time C: P14 not one-time → 0/1; P14 satisfied → 1/1;
        # backlog by 2023-12-31: B1 resolved → 1/1; villages with 2023 petitions: V1 (P14), V3 (P12) → 2/4 zero;
        # overdue 2023: P12 (accepted after 40 days) → 1.
        # Entered: previous review of 领导接访次数 is 2024-06-30 (4); of 重大事件次数 the 2023 catalogue's (3).
        "previous": [0.0, 1.0, 1.0, 0.5, 1.0, 4.0, 3.0],
        "current": [0.75, 2 / 3, 0.5, 0.5, 6.0, 12.0, 1.0],
        "change": [0.75, -1 / 3, -0.5, 0.0, 5.0, 8.0, -2.0],
        # up and rising, up and falling, …, unchanged → None, down and rising → False, down and falling → True
        "improved": pd.Series([True, False, False, None, False, True, True], dtype=object),
    })
    assert_frame_equal(changes[["name", "previous", "current", "change", "improved"]], expected, check_exact=False)
    assert changes["previous_on"].tolist() == [date(2023, 12, 31)] * 5 + [date(2024, 6, 30), date(2023, 12, 15)]
    assert changes["current_on"].tolist() == [date(2024, 12, 31)] * 5 + [date(2024, 12, 20)] * 2


def test_changes_of_a_county_without_reviews(data):
    changes = changes_since_last_review(data, OTHER, 2024)
    entered = changes[changes["source"] == "entered"]
    assert entered["previous"].isna().all() and entered["current"].isna().all()
    assert entered["improved"].tolist() == [None, None]


@pytest.mark.parametrize(("level", "expected"), [
    ("village", {V1: False, V2: False, V3: True, V4: True, W1: False, W2: True}),
    ("township", {"411599001000": False, "411599002000": True, "411598001000": False}),
])
def test_zero_petition_units(data, level, expected):
    frame = zero_petition_units(data, 2024, level)
    mine = frame[frame["county_code"].isin([TEST, OTHER])]
    assert dict(zip(mine["code"], mine["zero"])) == expected
    assert list(frame.columns) == ["code", "name", "county_code", "zero"]
    # Reference units have no petitions at all.
    assert frame.loc[~frame["county_code"].isin([TEST, OTHER]), "zero"].all()


def test_zero_counts_by_county(data):
    counts = zero_counts_by_county(zero_petition_units(data, 2024)).set_index("county_code")
    assert counts.loc[TEST, ["units", "zero_units"]].tolist() == [4, 2]
    assert counts.loc[OTHER, "share"] == 0.5
    # In 2023 only V1 and V3 had petitions (P14, P12): V2 V4 of 测试县 and both villages of 对照县 are zero.
    earlier = zero_counts_by_county(zero_petition_units(data, 2023)).set_index("county_code")
    assert earlier.loc[[TEST, OTHER], "zero_units"].tolist() == [2, 2]


def test_zero_petition_units_level_is_an_allow_list(data):
    with pytest.raises(InvalidInput, match="county"):
        zero_petition_units(data, 2024, "county")


def test_comparison_frame(data):
    comparison = comparison_frame(measured_values(data, 2024), [OTHER, TEST])
    assert len(comparison) == 7
    assert list(comparison.columns.get_level_values(0).unique()) == ["criterion", OTHER, TEST]
    assert comparison[("criterion", "name")].tolist() == [c[1] for c in CRITERIA[1:]]
    assert comparison[(TEST, "value")].tolist() == pytest.approx([v for v, _, _ in TEST_2024])
    assert comparison[(OTHER, "passed")].tolist() == [p for _, p, _ in OTHER_2024]
    assert comparison[(TEST, "evidence")].tolist() == [None] * 5 + ["=全年台账12次", "全年1次"]


@pytest.mark.parametrize(("counties", "message"), [([], "至少"), (["419999"], "419999"), ([TEST, TEST], "重复")])
def test_comparison_frame_refuses_bad_counties(data, counties, message):
    with pytest.raises(InvalidInput, match=message):
        comparison_frame(measured_values(data, 2024), counties)


def test_demo_counties_score_differently(demo_session):
    scores = county_scores(demo_session, 2024).set_index("county_code")
    shihe, guangshan = scores.loc["411502"], scores.loc["411522"]
    assert shihe["score"] != pytest.approx(guangshan["score"])
    assert 0 < shihe["score"] < 100 and 0 < guangshan["score"] < 100
    assert shihe["measured"] == guangshan["measured"] == shihe["criteria"] == 8
    assert shihe["stage_label"] is not None and guangshan["stage_label"] is not None
