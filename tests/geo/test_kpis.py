"""The headline KPIs against a small data set whose every number is worked out by hand below.

Grid cells: G1 in 老城街道 (411502001000, 浉河区), G2 in 民权街道 (411502002000, 浉河区), G3 in 固始县 (411525).
The main period is 2024 Q1 (2024-01-01 … 2024-03-31, a leap February); the comparison period is 2023 Q1.
Petition codes P.. are 2023-12 … 2024-04, Q.. are 2023 Q1. C = 申诉求决类, S = 建议意见类, A = 检举控告类.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal

from geo.enums import Direction
from geo.errors import InvalidInput, NotFound
from geo.kpis import KPIS, kpi_frame, kpi_summary, year_earlier

G1, G2, G3 = "411502001001001", "411502002001001", "411525001001001"
Q1_2024 = (date(2024, 1, 1), date(2024, 3, 31))

# ref, grid, category, first, heads, level, national, received, closed, one_time, satisfaction
PETITIONS = [
    ("P01", G1, "complaint_request", True, 1, "county", False, "2024-01-01", "2024-01-10", True, "satisfied"),
    ("P02", G1, "complaint_request", True, 6, "province", True, "2024-01-05", "2024-02-20", False, "dissatisfied"),
    ("P03", G1, "complaint_request", True, 1, "beijing", True, "2024-02-29", "2024-03-31", True, "basically_satisfied"),
    ("P04", G1, "complaint_request", False, 1, "county", False, "2024-01-15", "2024-01-20", True, "satisfied"),
    ("P05", G1, "suggestion", True, 1, "city", False, "2024-02-01", "2024-02-10", True, "satisfied"),
    ("P06", G2, "complaint_request", True, 5, "township", False, "2024-03-10", "2024-03-15", True, None),
    ("P07", G2, "accusation", True, 1, "province", True, "2024-03-31", None, None, None),
    ("P08", G1, "complaint_request", True, 1, "county", False, "2023-12-20", "2024-01-03", False, "satisfied"),
    ("P09", G1, "complaint_request", True, 1, "beijing", False, "2024-03-20", "2024-04-01", False, None),
    ("P10", G3, "complaint_request", True, 1, "county", True, "2024-02-10", "2024-03-01", True, "satisfied"),
    ("P11", G3, "complaint_request", True, 8, "province", False, "2024-01-20", None, None, None),
    ("P12", G3, "suggestion", True, 10, "beijing", False, "2023-12-31", None, None, None),
    ("P13", G3, "complaint_request", True, 7, "beijing", False, "2024-04-01", None, None, None),
    ("P14", G1, "complaint_request", True, 1, "county", False, "2024-02-05", "2024-02-06", False, "basically_satisfied"),
    ("Q01", G1, "complaint_request", True, 1, "county", False, "2023-01-10", "2023-01-20", True, "satisfied"),
    ("Q02", G1, "complaint_request", True, 1, "province", True, "2023-02-01", "2023-03-01", True, "satisfied"),
    ("Q03", G3, "complaint_request", True, 5, "beijing", True, "2023-03-05", "2023-03-30", False, "dissatisfied"),
    ("Q04", G3, "complaint_request", True, 1, "county", False, "2023-03-31", None, None, None),
    ("Q05", G1, "suggestion", True, 1, "city", False, "2023-02-28", "2023-03-02", True, "satisfied"),
]
# ref, grid, kind, occurred_at (with its offset: R4 is 2024-01-01 local, R2 is 2024-04-01 local)
RISK_EVENTS = [
    ("R1", G1, "mass_gathering", "2024-03-31 23:30+08"),
    ("R2", G3, "mass_gathering", "2024-03-31 16:30+00"),
    ("R3", G1, "extreme_act", "2024-02-01 10:00+08"),
    ("R4", G3, "mass_gathering", "2023-12-31 16:10+00"),
    ("R5", G1, "mass_gathering", "2023-02-15 09:00+08"),
    ("R6", G3, "mass_gathering", "2023-03-10 09:00+08"),
]
# ref, county, linked petition, handed down, resolved
BACKLOG = [
    ("B1", "411502", None, "2023-06-01", "2023-12-01"),
    ("B2", "411502", "P06", "2024-02-01", "2024-03-31"),
    ("B3", "411502", "P01", "2024-03-31", None),
    ("B4", "411502", None, "2024-01-10", "2024-04-01"),
    ("B5", "411525", None, "2024-04-01", None),
    ("B6", "411525", None, "2023-11-01", "2024-01-15"),
    ("B7", "411525", None, "2022-05-01", "2023-02-01"),
]


@pytest.fixture
def data(session):
    session.execute(sa.text("INSERT INTO grid_cell (code, name, village_code) VALUES (:code, :name, :village)"),
                    [{"code": g, "name": f"测试网格{i}", "village": g[:12]} for i, g in enumerate((G1, G2, G3), 1)])
    session.execute(sa.text(
        "INSERT INTO petition (ref_no, origin_grid_code, category, channel, domain, is_first, head_count,"
        " lodged_level, nationally_registered, status, received_on, closed_on, one_time_resolved, satisfaction, source)"
        " VALUES (:ref, :grid, :category, 'visit', 'other', :first, :heads, :level, :national,"
        " CASE WHEN CAST(:closed AS date) IS NULL THEN 'accepted' ELSE 'closed' END, :received, CAST(:closed AS date), :one_time, :satisfaction,"
        " 'entered')"
    ), [dict(zip(("ref", "grid", "category", "first", "heads", "level", "national", "received", "closed",
                  "one_time", "satisfaction"), row)) for row in PETITIONS])
    session.execute(sa.text(
        "INSERT INTO risk_event (ref_no, grid_code, kind, occurred_at, description, source)"
        " VALUES (:ref, :grid, :kind, CAST(:at AS timestamptz), '测试', 'entered')"
    ), [dict(zip(("ref", "grid", "kind", "at"), row)) for row in RISK_EVENTS])
    session.execute(sa.text(
        "INSERT INTO backlog_case (ref_no, petition_id, county_code, title, handed_down_by, handed_down_on,"
        " leader_name, leader_title, mode, deadline, status, resolved_on, source)"
        " VALUES (:ref, (SELECT id FROM petition WHERE ref_no = :petition), :county, '测试积案', '市信访联席会议',"
        " :handed, '张某', '副县长', 'leader_owned', '2025-12-31',"
        " CASE WHEN CAST(:resolved AS date) IS NULL THEN 'open' ELSE 'resolved' END, CAST(:resolved AS date), 'entered')"
    ), [dict(zip(("ref", "county", "petition", "handed", "resolved"), row)) for row in BACKLOG])
    session.flush()
    return session


COUNTS = ("one_time_resolution_rate_num", "one_time_resolution_rate_den", "satisfaction_rate_num",
          "satisfaction_rate_den", "national_registration_share_num", "national_registration_share_den",
          "beijing_province_count", "collective_count", "gathering_count",
          "backlog_resolution_rate_num", "backlog_resolution_rate_den")
RATES = ("one_time_resolution_rate", "satisfaction_rate", "national_registration_share", "backlog_resolution_rate")
EMPTY = (0,) * 11


def expected(groups: dict, rows: list[tuple]) -> pd.DataFrame:
    """The frame kpi_frame should return: group columns, then each KPI (rate = num ÷ den), then num/den."""
    frame = pd.DataFrame(groups)
    counts = pd.DataFrame(rows, columns=COUNTS, dtype="int64")
    for kpi in KPIS:
        if kpi.is_rate:
            num, den = counts[f"{kpi.key}_num"], counts[f"{kpi.key}_den"]
            frame[kpi.key] = [n / d if d else math.nan for n, d in zip(num, den)]
        else:
            frame[kpi.key] = counts[kpi.key]
    for kpi in KPIS:
        if kpi.is_rate:
            frame[f"{kpi.key}_num"] = counts[f"{kpi.key}_num"]
            frame[f"{kpi.key}_den"] = counts[f"{kpi.key}_den"]
    return frame


# Tuples follow COUNTS: one-time num/den, satisfied num/den, national num/den, 赴京到省, 集体, 聚集, backlog num/den.
CITY_Q1_2024 = (
    4, 7,   # closed first-time C: P01 P02 P03 P06 P08 P10 P14 = 7 (not P04 repeat, P05 S, P09 closed 04-01); one-time P01 P03 P06 P10
    5, 6,   # rated: the 7 less P06 = 6; satisfied/basically: P01 P03 P08 P10 P14 = 5 (P02 dissatisfied)
    3, 11,  # received: P01-P07 P09 P10 P11 P14 = 11 (not P08 P12 P13); national C: P02 P03 P10 (P07 is A)
    5,      # province/beijing: P02 P03 P07 P09 P11
    3,      # head_count >= 5: P02 (6) P06 (5) P11 (8)
    2,      # gatherings: R1 (03-31 23:30) R4 (01-01 00:10 local); not R2 (04-01 local), not R3 (extreme act)
    4, 6,   # handed down by 03-31: B1 B2 B3 B4 B6 B7 = 6 (not B5); resolved by 03-31: B1 B2 B6 B7 (B4 on 04-01)
)
SHIHE_Q1_2024 = (
    3, 6,   # P01 P02 P03 P06 P08 P14; one-time P01 P03 P06
    4, 5,   # rated P01 P02 P03 P08 P14; satisfied P01 P03 P08 P14
    2, 9,   # received P01-P07 P09 P14; national C: P02 P03
    4,      # P02 P03 P07 P09
    2,      # P02 P06
    1,      # R1
    2, 4,   # B1 B2 B3 B4; resolved B1 B2
)
GUSHI_Q1_2024 = (
    1, 1,   # P10
    1, 1,   # P10 satisfied
    1, 2,   # received P10 P11; national P10
    1,      # P11
    1,      # P11
    1,      # R4
    2, 2,   # B6 B7 both resolved by 03-31
)
# Counties present in region at level 'county', in code order (the reference geography).
COUNTIES = ["411502", "411503", "411521", "411522", "411523", "411524", "411525", "411526", "411527", "411528", "411571"]
COUNTY_NAMES = ["浉河区", "平桥区", "罗山县", "光山县", "新县", "商城县", "固始县", "潢川县", "淮滨县", "息县",
                "信阳高新技术产业开发区"]


def test_kpis_are_the_plans_seven_in_order():
    assert [(k.key, k.label, k.direction, k.is_rate) for k in KPIS] == [
        ("one_time_resolution_rate", "一次性化解率", Direction.UP, True),
        ("satisfaction_rate", "群众满意率", Direction.UP, True),
        ("national_registration_share", "国家信访局登记申诉求决类占比", Direction.DOWN, True),
        ("beijing_province_count", "赴京到省访", Direction.DOWN, False),
        ("collective_count", "集体访", Direction.DOWN, False),
        ("gathering_count", "聚集访", Direction.DOWN, False),
        ("backlog_resolution_rate", "积案化解率", Direction.UP, True),
    ]
    assert "累计" in KPIS[-1].definition
    assert all(k.definition for k in KPIS)


def test_whole_city_in_one_row(data):
    actual = kpi_frame(data, *Q1_2024)
    assert_frame_equal(actual, expected({}, [CITY_Q1_2024]))
    # The rates themselves, written out: 4/7, 5/6, 3/11, 4/6.
    assert actual.loc[0, list(RATES)].tolist() == pytest.approx([0.5714285714, 0.8333333333, 0.2727272727, 0.6666666667])
    assert actual[list(RATES)].dtypes.eq("float64").all()
    assert actual[list(COUNTS)].dtypes.eq("int64").all()


def test_city_code_means_the_whole_city(data):
    assert_frame_equal(kpi_frame(data, *Q1_2024, area="411500"), kpi_frame(data, *Q1_2024, area=""))


def test_by_county_lists_every_county_including_empty_ones(data):
    rows = [SHIHE_Q1_2024 if c == "411502" else GUSHI_Q1_2024 if c == "411525" else EMPTY for c in COUNTIES]
    actual = kpi_frame(data, *Q1_2024, by="county")
    assert_frame_equal(actual, expected({"county_code": COUNTIES, "county_name": COUNTY_NAMES}, rows))
    # Empty denominators are NaN, not 0: 平桥区 has no data at all.
    assert actual.loc[1, list(RATES)].isna().all()


def test_by_month_clips_each_month_and_takes_the_backlog_at_its_end(data):
    rows = [
        # Jan: closed P01 P08, one-time P01; both satisfied; received P01 P02 P04 P11, national P02;
        # 赴京到省 P02 P11; 集体 P02 P11; R4; backlog by 01-31: B1 B4 B6 B7, resolved B1 B6 B7
        (1, 2, 2, 2, 1, 4, 2, 2, 1, 3, 4),
        # Feb (29 days): closed P02 P14, none one-time; P14 basically satisfied; received P03 P05 P10 P14,
        # national P03 P10; 赴京 P03; no collective; no gathering; backlog by 02-29: + B2 = 5, resolved 3
        (0, 2, 1, 2, 2, 4, 1, 0, 0, 3, 5),
        # Mar: closed P03 P06 P10 all one-time; rated P03 P10 both satisfied; received P06 P07 P09, none national
        # C; 到省/赴京 P07 P09; 集体 P06; R1; backlog by 03-31 as for the quarter
        (3, 3, 2, 2, 0, 3, 2, 1, 1, 4, 6),
    ]
    months = [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert_frame_equal(kpi_frame(data, *Q1_2024, by="month"), expected({"month": months}, rows))


def test_by_month_clips_the_first_and_last_month_to_the_period(data):
    rows = [
        # 01-15 … 01-31: nothing first-time C closed (NaN); received P04 (01-15) P11; 赴京到省 P11; 集体 P11;
        # backlog by 01-31: B1 B4 B6 B7, resolved B1 B6 B7
        (0, 0, 0, 0, 0, 2, 1, 1, 0, 3, 4),
        # 02-01 … 02-10: closed P14 (not one-time, basically satisfied); received P05 P10 (02-10) P14, national P10;
        # backlog by 02-10: + B2 = 5, resolved 3
        (0, 1, 1, 1, 1, 3, 0, 0, 0, 3, 5),
    ]
    actual = kpi_frame(data, date(2024, 1, 15), date(2024, 2, 10), by="month")
    assert_frame_equal(actual, expected({"month": [date(2024, 1, 1), date(2024, 2, 1)]}, rows))
    assert math.isnan(actual.loc[0, "one_time_resolution_rate"]) and actual.loc[1, "one_time_resolution_rate"] == 0.0


def test_by_county_year(data):
    shihe_2023 = (
        2, 2,  # closed in 2023: Q01 Q02, both one-time (P08 closed 2024-01-03)
        2, 2,  # both satisfied
        1, 4,  # received Q01 Q02 Q05 P08; national Q02
        1,     # Q02
        0,
        1,     # R5
        1, 1,  # by 2023-12-31: B1, resolved 2023-12-01
    )
    gushi_2023 = (
        0, 1,  # Q03, not one-time
        0, 1,  # Q03 dissatisfied
        1, 3,  # received Q03 Q04 P12 (12-31); national Q03
        2,     # Q03 P12
        2,     # Q03 (5) P12 (10)
        1,     # R6 (R4 is 2024-01-01 local time)
        1, 2,  # B6 B7 handed down; only B7 resolved (B6 on 2024-01-15)
    )
    by_county = {"411502": (shihe_2023, SHIHE_Q1_2024), "411525": (gushi_2023, GUSHI_Q1_2024)}
    rows = [row for c in COUNTIES for row in by_county.get(c, (EMPTY, EMPTY))]
    groups = {"county_code": [c for c in COUNTIES for _ in (0, 1)], "county_name": [n for n in COUNTY_NAMES for _ in (0, 1)],
              "year": [2023, 2024] * len(COUNTIES)}
    actual = kpi_frame(data, date(2023, 1, 1), date(2024, 3, 31), by="county_year")
    assert_frame_equal(actual, expected(groups, rows))


@pytest.mark.parametrize("area, row", [
    ("411525", GUSHI_Q1_2024),
    ("411502", SHIHE_Q1_2024),
    ("411502001000", (
        2, 5,  # closed P01 P02 P03 P08 P14; one-time P01 P03
        4, 5,  # all rated; satisfied P01 P03 P08 P14
        2, 7,  # received P01-P05 P09 P14; national P02 P03
        3,     # P02 P03 P09
        1,     # P02
        1,     # R1
        0, 1,  # backlog linked to a petition of this township: B3 (P01), open
    )),
    ("411502002000", (
        1, 1,  # P06, one-time
        0, 0,  # P06 not rated: NaN
        0, 2,  # P06 P07; P07 is A, so not counted
        1,     # P07
        1,     # P06
        0,
        1, 1,  # B2 (P06), resolved 03-31
    )),
    ("411521", EMPTY),
])
def test_area_filter(data, area, row):
    assert_frame_equal(kpi_frame(data, *Q1_2024, area=area), expected({}, [row]))


def test_township_area_by_county_keeps_only_its_county(data):
    actual = kpi_frame(data, *Q1_2024, area="411502002000", by="county")
    assert actual[["county_code", "county_name"]].values.tolist() == [["411502", "浉河区"]]
    assert actual.loc[0, "national_registration_share_den"] == 2  # P06 P07, not all 9 of 浉河区


@pytest.mark.parametrize("day, row", [
    # 03-31: closed P03; received P07 (A, province); R1 at 23:30 local (R2 is 00:30 on 04-01); backlog 4/6
    (date(2024, 3, 31), (1, 1, 1, 1, 0, 1, 1, 0, 1, 4, 6)),
    # 01-01: nothing closed; received P01 (P12 on 12-31 is out); R4 at 00:10 local; backlog B1 B6 B7, resolved B1 B7
    (date(2024, 1, 1), (0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3)),
    # 04-01: closed P09 (not one-time, not rated); received P13 (赴京, 7 people); R2; backlog 7, resolved + B4 = 5
    (date(2024, 4, 1), (0, 1, 0, 0, 0, 1, 1, 1, 1, 5, 7)),
])
def test_period_boundaries_are_inclusive(data, day, row):
    assert_frame_equal(kpi_frame(data, day, day), expected({}, [row]))


def test_gatherings_count_on_the_local_date_whatever_the_session_time_zone(data):
    data.execute(sa.text("SET LOCAL TimeZone = 'UTC'"))
    # Beijing time: R4 is 2024-01-01 00:10 (UTC: 2023-12-31), R1 2024-03-31 23:30 (UTC: 15:30), R2 2024-04-01 00:30.
    assert kpi_frame(data, date(2024, 1, 1), date(2024, 1, 1)).loc[0, "gathering_count"] == 1  # R4
    assert kpi_frame(data, date(2023, 12, 31), date(2023, 12, 31)).loc[0, "gathering_count"] == 0
    assert kpi_frame(data, date(2024, 4, 1), date(2024, 4, 1)).loc[0, "gathering_count"] == 1  # R2
    months = kpi_frame(data, date(2023, 12, 1), date(2024, 4, 30), by="month")
    assert months["gathering_count"].tolist() == [0, 1, 0, 1, 1]  # Dec: none; Jan R4; Feb none (R3 is not one); Mar R1; Apr R2


def test_empty_denominators_give_nan(data):
    actual = kpi_frame(data, date(2024, 1, 1), date(2024, 1, 1), area="411525")
    # Nothing closed, nothing received in 固始县 on 01-01; backlog B6 B7 handed down earlier: 1/2 (B7).
    assert actual.loc[0, ["one_time_resolution_rate", "satisfaction_rate", "national_registration_share"]].isna().all()
    assert actual.loc[0, "backlog_resolution_rate"] == 0.5
    assert actual.loc[0, "gathering_count"] == 1  # R4


def _summary(values):
    return {v.kpi.key: (v.value, v.previous, v.change, v.better) for v in values}


def test_summary_compares_with_the_same_period_a_year_earlier(data):
    got = _summary(kpi_summary(data, *Q1_2024))
    # Previous = 2023 Q1: closed first-time C Q01 Q02 Q03, one-time Q01 Q02, satisfied Q01 Q02; received Q01-Q05,
    # national Q02 Q03; 到省/赴京 Q02 Q03; 集体 Q03; gatherings R5 R6; backlog by 2023-03-31: B7, resolved.
    want = {
        "one_time_resolution_rate": (4 / 7, 2 / 3, 4 / 7 - 2 / 3, False),         # 0.571 − 0.667 = −2/21: worse
        "satisfaction_rate": (5 / 6, 2 / 3, 5 / 6 - 2 / 3, True),                 # +1/6: better
        "national_registration_share": (3 / 11, 2 / 5, 3 / 11 - 2 / 5, True),     # −7/55, plan wants it down
        "beijing_province_count": (5, 2, 3, False),
        "collective_count": (3, 1, 2, False),
        "gathering_count": (2, 2, 0, None),                                       # no change
        "backlog_resolution_rate": (4 / 6, 1.0, 4 / 6 - 1.0, False),
    }
    assert list(got) == list(want)
    for key, (value, previous, change, better) in want.items():
        assert got[key][:3] == pytest.approx((value, previous, change)), key
        assert got[key][3] is better, key
    assert all(isinstance(v, int) for v in got["beijing_province_count"][:3])


def test_summary_with_unknown_rates_has_no_change(data):
    got = _summary(kpi_summary(data, *Q1_2024, area="411521"))
    assert got == {
        "one_time_resolution_rate": (None, None, None, None),
        "satisfaction_rate": (None, None, None, None),
        "national_registration_share": (None, None, None, None),
        "beijing_province_count": (0, 0, 0, None),
        "collective_count": (0, 0, 0, None),
        "gathering_count": (0, 0, 0, None),
        "backlog_resolution_rate": (None, None, None, None),
    }


def test_summary_of_29_february_compares_with_28_february(data):
    got = _summary(kpi_summary(data, date(2024, 2, 29), date(2024, 2, 29)))
    # 2024-02-29 received P03 (C, national); 2023-02-28 received Q05 (S): 1/1 against 0/1, up = worse.
    assert got["national_registration_share"] == (1.0, 0.0, 1.0, False)
    assert got["beijing_province_count"] == (1, 0, 1, False)  # P03 赴京


@pytest.mark.parametrize("day, earlier", [
    (date(2024, 2, 29), date(2023, 2, 28)),
    (date(2024, 3, 31), date(2023, 3, 31)),
    (date(2025, 2, 28), date(2024, 2, 28)),
])
def test_year_earlier(day, earlier):
    assert year_earlier(day) == earlier


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(by="township"), InvalidInput, "分组方式"),
    (dict(by="county; DROP TABLE petition"), InvalidInput, "分组方式"),
    (dict(start=date(2024, 4, 1)), InvalidInput, "晚于"),
    (dict(area="4115"), InvalidInput, "区域代码"),
    (dict(area="411502' OR '1'='1"), InvalidInput, "区域代码"),
    (dict(area="411599"), NotFound, "411599"),
    (dict(area="411502999000"), NotFound, "411502999000"),
])
def test_invalid_input_is_refused(session, kwargs, error, message):
    arguments = dict(start=Q1_2024[0], end=Q1_2024[1]) | kwargs
    with pytest.raises(error, match=message):
        kpi_frame(session, **arguments)
