"""The pyramid page's queries against a small data set whose every number is worked out by hand below.

Grid cells: GA in 老城街道 (411502001000, 浉河区), GB in 民权街道 (411502002000, 浉河区), GC in 弦山街道 (411522001000,
光山县). The period is 2024 Q1 (2024-01-01 … 2024-03-31, a leap February). T12 (2023-12), T14 (2024-04-01) and T17
(2024-05) lie outside it. Repeat chains: T02 → T03, T12 → T11 → T13, T16 → T17 (the arrow points to the later petition).
C = 申诉求决类, S = 建议意见类, A = 检举控告类; L = 劳动社保, U = 城乡建设, N = 自然资源.

Outcome of each petition of the period (OUTCOME_DEFINITION, first rule that applies):
T01 resolved_first · T02 repeat (T03 follows) · T03 open · T04 resolved_first (one_time NULL) · T05 not_accepted ·
T06 open (received only) · T07 open · T08 closed_unresolved (one_time false, no repeat) · T09 resolved_first ·
T10 open · T11 repeat (T13 follows; open itself) · T13 open · T15 resolved_first · T16 repeat (T17, out of the
period, follows) · T18 open.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal, assert_series_equal

from geo.errors import InvalidInput, NotFound
from geo.pyramid import (
    LEVELS,
    OUTCOME_DEFINITION,
    OUTCOME_LABELS,
    county_level_counts,
    inversion_index,
    inversion_trend,
    level_counts,
    level_counts_by_county_year,
    petitions_behind,
    sankey_flows,
)

GA, GB, GC = "411502001001001", "411502002001001", "411522001001001"
Q1 = (date(2024, 1, 1), date(2024, 3, 31))

C, S, A = "complaint_request", "suggestion", "accusation"
L, U, N = "labour_social_security", "urban_rural_construction", "natural_resources"
# ref, grid, category, domain, level, first, previous, heads, status, received, accepted, extension, closed, one_time,
# name, phone. Rows are inserted in this order, so a previous petition always comes before its repeat.
PETITIONS = [
    ("T12", GC, C, L, "county", True, None, 1, "closed", "2023-12-15", "2023-12-18", 0, "2023-12-30", False, None, None),
    ("T01", GA, C, L, "township", True, None, 1, "closed", "2024-01-05", "2024-01-10", 0, "2024-02-01", True,
     "张三丰", "13812345678"),
    ("T02", GA, C, L, "county", True, None, 1, "closed", "2024-01-08", "2024-01-12", 0, "2024-02-20", False,
     "李四", "13900001111"),
    ("T03", GA, C, L, "city", False, "T02", 1, "accepted", "2024-03-01", "2024-03-05", 0, None, None,
     "李四", "13900001111"),
    ("T04", GA, S, U, "county", True, None, 6, "closed", "2024-01-20", "2024-01-25", 0, "2024-03-01", None,
     "王五", None),
    ("T05", GB, A, N, "province", True, None, 1, "not_accepted", "2024-02-03", None, 0, "2024-02-10", None,
     None, "12345"),
    ("T06", GB, C, U, "beijing", True, None, 1, "received", "2024-03-10", None, 0, None, None, "赵六", "13700002222"),
    ("T07", GB, C, L, "city", True, None, 1, "accepted", "2024-01-02", "2024-01-25", 0, None, None,
     "钱七", "13600003333"),
    ("T08", GC, C, L, "county", True, None, 8, "closed", "2024-02-01", "2024-02-05", 0, "2024-02-25", False,
     None, None),
    ("T09", GC, C, N, "township", True, None, 1, "closed", "2024-02-10", "2024-02-12", 0, "2024-03-10", True,
     None, None),
    ("T10", GC, S, U, "city", True, None, 1, "accepted", "2024-03-31", "2024-04-20", 0, None, None, None, None),
    ("T11", GC, C, L, "province", False, "T12", 1, "accepted", "2024-01-15", "2024-01-20", 0, None, None,
     "孙八", None),
    ("T13", GC, C, L, "beijing", False, "T11", 1, "accepted", "2024-03-20", "2024-03-22", 0, None, None,
     "孙八", None),
    ("T14", GA, C, L, "beijing", True, None, 5, "received", "2024-04-01", None, 0, None, None, None, None),
    ("T15", GC, A, U, "county", True, None, 1, "closed", "2024-03-15", "2024-03-16", 30, "2024-03-30", None,
     None, None),
    ("T16", GB, C, L, "county", True, None, 1, "closed", "2024-02-29", "2024-03-05", 0, "2024-03-20", True,
     None, None),
    ("T17", GB, C, L, "county", False, "T16", 1, "received", "2024-05-10", None, 0, None, None, None, None),
    ("T18", GB, C, L, "county", True, None, 1, "accepted", "2024-01-03", "2024-01-05", 30, None, None, None, None),
]
FIELDS = ("ref", "grid", "category", "domain", "level", "first", "previous", "heads", "status", "received",
          "accepted", "extension", "closed", "one_time", "name", "phone")


@pytest.fixture
def data(session):
    session.execute(sa.text("INSERT INTO grid_cell (code, name, village_code) VALUES (:code, :name, :village)"),
                    [{"code": g, "name": f"测试网格{i}", "village": g[:12]} for i, g in enumerate((GA, GB, GC), 1)])
    session.execute(sa.text(
        "INSERT INTO petition (ref_no, origin_grid_code, category, channel, domain, petitioner_name, petitioner_phone,"
        " is_first, previous_petition_id, head_count, lodged_level, status, received_on, accepted_on, extension_days,"
        " closed_on, one_time_resolved, source)"
        " VALUES (:ref, :grid, :category, 'visit', :domain, :name, :phone, :first,"
        " (SELECT id FROM petition WHERE ref_no = :previous), :heads, :level, :status, CAST(:received AS date),"
        " CAST(:accepted AS date), :extension, CAST(:closed AS date), :one_time, 'entered')"
    ), [dict(zip(FIELDS, row)) for row in PETITIONS])
    session.flush()
    return session


COUNTIES = ["411502", "411503", "411521", "411522", "411523", "411524", "411525", "411526", "411527", "411528", "411571"]
NAMES = dict(zip(COUNTIES, ["浉河区", "平桥区", "罗山县", "光山县", "新县", "商城县", "固始县", "潢川县", "淮滨县", "息县",
                            "信阳高新技术产业开发区"]))


def _levels(values) -> pd.Series:
    return pd.Series(values, index=pd.Index(list(LEVELS), name="lodged_level"), name="count", dtype="int64")


# --- level_counts -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, expected", [
    # township T01 T09 · county T02 T04 T08 T15 T16 T18 · city T03 T07 T10 · province T05 T11 · beijing T06 T13
    ({}, [2, 6, 3, 2, 2]),
    ({"area": "411500"}, [2, 6, 3, 2, 2]),
    # 浉河区: T01 | T02 T04 T16 T18 | T03 T07 | T05 | T06
    ({"area": "411502"}, [1, 4, 2, 1, 1]),
    # 光山县: T09 | T08 T15 | T10 | T11 | T13
    ({"area": "411522"}, [1, 2, 1, 1, 1]),
    # 老城街道 (GA): T01 | T02 T04 | T03 (T14 is after the period)
    ({"area": "411502001000"}, [1, 2, 1, 0, 0]),
    ({"area": "411521"}, [0, 0, 0, 0, 0]),
    # 申诉求决类 only: drops T04 (S) T05 (A) T10 (S) T15 (A)
    ({"categories": (C,)}, [2, 4, 2, 1, 2]),
    # 劳动社保 only: T01 | T02 T08 T16 T18 | T03 T07 | T11 | T13
    ({"domains": (L,)}, [1, 4, 2, 1, 1]),
    # 城乡建设 and not 检举控告类: T04 (county, S) T06 (beijing, C) T10 (city, S); T15 is A
    ({"categories": (C, S), "domains": (U,)}, [0, 1, 1, 0, 1]),
])
def test_level_counts(data, kwargs, expected):
    assert_series_equal(level_counts(data, *Q1, **kwargs), _levels(expected))


def test_level_counts_period_is_inclusive(data):
    # 03-31 is T10 (city); 04-01 is T14 (beijing); 2023-12-15 is T12 (county).
    assert level_counts(data, date(2024, 3, 31), date(2024, 3, 31)).tolist() == [0, 0, 1, 0, 0]
    assert level_counts(data, date(2024, 4, 1), date(2024, 4, 1)).tolist() == [0, 0, 0, 0, 1]
    assert level_counts(data, date(2023, 12, 1), date(2024, 5, 31)).sum() == len(PETITIONS)


# --- inversion_trend --------------------------------------------------------------------------------------------

def _trend(months, totals, uppers) -> pd.DataFrame:
    return pd.DataFrame({
        "month": months,
        "total": pd.Series(totals, dtype="int64"),
        "upper": pd.Series(uppers, dtype="int64"),
        "index": pd.Series([u / t if t else math.nan for t, u in zip(totals, uppers)], dtype="float64"),
    })


def test_inversion_trend_by_month(data):
    # Jan: T01 T02 T04 T07 T11 T18, upper T07 T11 · Feb: T05 T08 T09 T16 (02-29), upper T05 ·
    # Mar: T03 T06 T10 T13 T15, upper T03 T06 T10 T13
    expected = _trend([date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)], [6, 4, 5], [2, 1, 4])
    actual = inversion_trend(data, *Q1)
    assert_frame_equal(actual, expected)
    assert actual["index"].tolist() == pytest.approx([1 / 3, 0.25, 0.8])


def test_inversion_trend_keeps_empty_months_as_nan(data):
    # 光山县, 2023-12 … 2024-04-15: Dec T12 (county) · Jan T11 (province) · Feb T08 T09 · Mar T10 T13 T15 · Apr none
    months = [date(2023, 12, 1), date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)]
    actual = inversion_trend(data, date(2023, 12, 1), date(2024, 4, 15), area="411522")
    assert_frame_equal(actual, _trend(months, [1, 1, 2, 3, 0], [0, 1, 0, 2, 0]))
    assert math.isnan(actual.loc[4, "index"]) and actual.loc[0, "index"] == 0.0


def test_inversion_trend_clips_the_first_and_last_month(data):
    # 01-15 … 01-31: T04 (county) T11 (province, 01-15) · 02-01 … 02-10: T05 (province) T08 T09 (02-10)
    actual = inversion_trend(data, date(2024, 1, 15), date(2024, 2, 10))
    assert_frame_equal(actual, _trend([date(2024, 1, 1), date(2024, 2, 1)], [2, 3], [1, 1]))


# --- county_level_counts ----------------------------------------------------------------------------------------

def _county_table(rows: dict[str, list[int]], codes: list[str]) -> pd.DataFrame:
    table = pd.DataFrame({"county_code": codes, "county_name": [NAMES[c] for c in codes]})
    levels = pd.DataFrame([rows.get(c, [0] * 5) for c in codes], columns=list(LEVELS), dtype="int64")
    table = pd.concat([table, levels], axis=1)
    table["total"] = levels.sum(axis=1).astype("int64")
    upper = levels[["city", "province", "beijing"]].sum(axis=1)
    table["index"] = [u / t if t else math.nan for u, t in zip(upper, table["total"])]
    return table


def test_county_table_lists_all_eleven_most_inverted_first(data):
    # 光山县 3/6 = 0.5 before 浉河区 4/9 = 0.444; the nine without petitions follow (NaN) in code order.
    rows = {"411502": [1, 4, 2, 1, 1], "411522": [1, 2, 1, 1, 1]}
    order = ["411522", "411502"] + [c for c in COUNTIES if c not in rows]
    actual = county_level_counts(data, *Q1)
    assert_frame_equal(actual, _county_table(rows, order))
    assert actual["index"].tolist()[:2] == pytest.approx([0.5, 4 / 9])
    assert actual["index"].iloc[2:].isna().all()


def test_county_table_follows_the_filters_and_the_area(data):
    # 劳动社保: 浉河区 T01 | T02 T16 T18 | T03 T07 (upper 2/6) · 光山县 T08 | T11 | T13 (upper 2/3)
    rows = {"411502": [1, 3, 2, 0, 0], "411522": [0, 1, 0, 1, 1]}
    order = ["411522", "411502"] + [c for c in COUNTIES if c not in rows]
    assert_frame_equal(county_level_counts(data, *Q1, domains=(L,)), _county_table(rows, order))
    # A township keeps only its county's row, counting that township's petitions: 民权街道 (GB) T05 T06 T07 T16 T18.
    assert_frame_equal(county_level_counts(data, *Q1, area="411502002000"),
                       _county_table({"411502": [0, 2, 1, 1, 1]}, ["411502"]))


def test_county_table_matches_level_counts_of_each_county(data):
    table = county_level_counts(data, *Q1).set_index("county_code")
    for code in ("411502", "411522", "411503"):
        assert table.loc[code, list(LEVELS)].astype("int64").tolist() == level_counts(data, *Q1, area=code).tolist()


# --- sankey_flows -----------------------------------------------------------------------------------------------

FLOWS_Q1 = [
    # origin, level, outcome, kind, collective, count
    ("411502", "township", "resolved_first", "first", False, 1),     # T01
    ("411502", "county", "repeat", "first", False, 2),               # T02 (T03 follows), T16 (T17 follows, in May)
    ("411502", "county", "open", "first", False, 1),                 # T18
    ("411502", "county", "resolved_first", "first", True, 1),        # T04, 6 people, one_time NULL
    ("411502", "city", "open", "first", False, 1),                   # T07
    ("411502", "city", "open", "repeat", False, 1),                  # T03
    ("411502", "province", "not_accepted", "first", False, 1),       # T05
    ("411502", "beijing", "open", "first", False, 1),                # T06
    ("411522", "township", "resolved_first", "first", False, 1),     # T09
    ("411522", "county", "resolved_first", "first", False, 1),       # T15 (A, one_time NULL)
    ("411522", "county", "closed_unresolved", "first", True, 1),     # T08, 8 people, one_time false, no repeat
    ("411522", "city", "open", "first", False, 1),                   # T10
    ("411522", "province", "repeat", "repeat", False, 1),            # T11: a repeat itself, followed by T13
    ("411522", "beijing", "open", "repeat", False, 1),               # T13
]


def _flows(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["origin", "level", "outcome", "kind", "collective", "count"])
    frame.insert(1, "origin_name", frame["origin"].map(NAMES))
    frame["collective"] = frame["collective"].astype(bool)
    frame["count"] = frame["count"].astype("int64")
    return frame


def test_sankey_flows(data):
    actual = sankey_flows(data, *Q1)
    assert_frame_equal(actual, _flows(FLOWS_Q1))
    assert actual["count"].sum() == 15
    assert set(actual["outcome"]) <= set(OUTCOME_LABELS)


def test_sankey_flows_with_filters(data):
    # 申诉求决类 in 光山县: T08 T09 T11 T13 (T10 is S, T15 is A)
    expected = [row for row in FLOWS_Q1 if row[0] == "411522" and row[1] in ("township", "province", "beijing")]
    expected.insert(1, ("411522", "county", "closed_unresolved", "first", True, 1))
    assert_frame_equal(sankey_flows(data, *Q1, area="411522", categories=(C,)), _flows(expected))


def test_a_repeat_outside_the_period_still_marks_its_predecessor(data):
    # T16 alone (02-29): T17 came in May, after the period, and still makes T16 a "repeat".
    assert_frame_equal(sankey_flows(data, date(2024, 2, 29), date(2024, 2, 29)),
                       _flows([("411502", "county", "repeat", "first", False, 1)]))
    # T12 (2023-12) is followed by T11, which is a repeat of it.
    assert_frame_equal(sankey_flows(data, date(2023, 12, 1), date(2023, 12, 31)),
                       _flows([("411522", "county", "repeat", "first", False, 1)]))


def test_sankey_of_an_empty_period(data):
    actual = sankey_flows(data, date(2022, 1, 1), date(2022, 12, 31))
    assert actual.empty
    assert list(actual.columns) == ["origin", "origin_name", "level", "outcome", "kind", "collective", "count"]


def test_outcome_texts_for_the_page():
    assert list(OUTCOME_LABELS) == ["repeat", "not_accepted", "open", "resolved_first", "closed_unresolved"]
    assert OUTCOME_LABELS["resolved_first"] == "一次性化解"
    for label in OUTCOME_LABELS.values():
        assert label in OUTCOME_DEFINITION


# --- petitions_behind -------------------------------------------------------------------------------------------

def test_petitions_behind_a_bar_newest_first(data):
    actual = petitions_behind(data, *Q1, level="county")
    # County level in Q1: T15 (03-15) T16 (02-29) T08 (02-01) T04 (01-20) T02 (01-08) T18 (01-03)
    assert actual["ref_no"].tolist() == ["T15", "T16", "T08", "T04", "T02", "T18"]
    assert actual.attrs["total"] == 6
    assert list(actual.columns) == [
        "ref_no", "received_on", "category", "domain", "level", "is_first", "is_collective", "head_count", "status",
        "outcome", "petitioner_name", "petitioner_phone", "acceptance_due", "handling_due", "acceptance_overdue",
        "handling_overdue"]
    t04 = actual.set_index("ref_no").loc["T04"]
    assert (t04["received_on"], t04["category"], t04["domain"], t04["level"], t04["status"], t04["outcome"]) == \
        (date(2024, 1, 20), "建议意见类", "城乡建设", "县级", "已办结", "一次性化解")
    assert (t04["is_first"], t04["is_collective"], t04["head_count"]) == (True, True, 6)
    assert (t04["petitioner_name"], t04["petitioner_phone"]) == ("王*", "")


def test_petitions_behind_mask_personal_data(data):
    actual = petitions_behind(data, *Q1, area="411502001000").set_index("ref_no")
    assert actual.loc["T01", ["petitioner_name", "petitioner_phone"]].tolist() == ["张**", "138****5678"]
    assert actual.loc["T02", ["petitioner_name", "petitioner_phone"]].tolist() == ["李*", "139****1111"]
    shown = " ".join(actual[["petitioner_name", "petitioner_phone"]].to_numpy().ravel())
    assert "三丰" not in shown and "12345678" not in shown
    assert petitions_behind(data, *Q1, area="411502002000").set_index("ref_no").loc["T05", "petitioner_phone"] == "*****"


def test_petitions_behind_a_flow(data):
    actual = petitions_behind(data, *Q1, origin="411522", level="province", outcome="repeat")
    assert actual["ref_no"].tolist() == ["T11"]
    assert actual.loc[0, ["is_first", "level", "outcome", "status"]].tolist() == [False, "到省", "后续重复信访", "已受理"]
    assert actual.attrs["total"] == 1
    repeats = petitions_behind(data, *Q1, outcome="repeat")
    assert repeats["ref_no"].tolist() == ["T16", "T11", "T02"]
    assert petitions_behind(data, *Q1, origin="411502", outcome="not_accepted")["ref_no"].tolist() == ["T05"]
    assert petitions_behind(data, *Q1, outcome="closed_unresolved")["ref_no"].tolist() == ["T08"]


def test_petitions_behind_limit_keeps_the_total(data):
    # Open in Q1: T10 (03-31) T13 (03-20) T06 (03-10) T03 (03-01) T18 (01-03) T07 (01-02); T11 is a "repeat".
    everything = petitions_behind(data, *Q1, outcome="open")
    assert everything["ref_no"].tolist() == ["T10", "T13", "T06", "T03", "T18", "T07"]
    first_two = petitions_behind(data, *Q1, outcome="open", limit=2)
    assert first_two["ref_no"].tolist() == ["T10", "T13"]
    assert first_two.attrs["total"] == 6


def test_petitions_behind_with_filters(data):
    # 民权街道 (GB), county level, 劳动社保: T16 (02-29) T18 (01-03)
    actual = petitions_behind(data, *Q1, area="411502002000", level="county", domains=(L,))
    assert actual["ref_no"].tolist() == ["T16", "T18"]
    assert petitions_behind(data, *Q1, categories=(A,))["ref_no"].tolist() == ["T15", "T05"]


def _flags(frame: pd.DataFrame) -> dict:
    return {ref: (row["acceptance_due"], row["handling_due"], row["acceptance_overdue"], row["handling_overdue"])
            for ref, row in frame.set_index("ref_no").iterrows()}


def test_overdue_flags_are_read_at_the_end_of_the_period(data):
    flags = _flags(petitions_behind(data, *Q1))
    assert flags["T06"] == (date(2024, 3, 25), None, True, False)     # received 03-10, still not accepted on 03-31
    assert flags["T07"] == (date(2024, 1, 17), date(2024, 3, 25), True, True)  # accepted 01-25 (late), open past 03-25
    assert flags["T18"] == (date(2024, 1, 18), date(2024, 4, 4), False, False)  # 30 days' extension: due 04-04
    assert flags["T11"] == (date(2024, 1, 30), date(2024, 3, 20), False, True)  # accepted 01-20, open past 03-20
    assert flags["T05"] == (date(2024, 2, 18), None, False, False)    # not accepted on 02-10, in time
    assert flags["T02"] == (date(2024, 1, 23), date(2024, 3, 12), False, False)  # closed 02-20
    assert flags["T15"] == (date(2024, 3, 30), date(2024, 6, 14), False, False)  # 03-16 + 60 + 30
    # T10 was received on 03-31 and accepted (late) on 04-20: on 03-31 it is simply waiting.
    assert flags["T10"] == (date(2024, 4, 15), None, False, False)
    overdue = {ref for ref, f in flags.items() if f[2] or f[3]}
    assert overdue == {"T06", "T07", "T11"}


def test_overdue_flags_on_a_later_day(data):
    flags = _flags(petitions_behind(data, *Q1, today=date(2024, 4, 30)))
    assert flags["T18"] == (date(2024, 1, 18), date(2024, 4, 4), False, True)   # open past its extended due day
    assert flags["T10"] == (date(2024, 4, 15), date(2024, 6, 19), True, False)  # accepted 04-20, after 04-15
    assert flags["T13"] == (date(2024, 4, 4), date(2024, 5, 21), False, False)


def test_default_today_never_lies_in_the_future(data):
    # A period reaching past the real today reads the clock today, not at the period's end.
    far = date(2999, 12, 31)
    assert petitions_behind(data, date(2024, 1, 1), far, limit=1).attrs["today"] == date.today()
    assert petitions_behind(data, *Q1, limit=1).attrs["today"] == Q1[1]


def test_petitions_behind_an_empty_selection(data):
    actual = petitions_behind(data, *Q1, area="411521")
    assert actual.empty and actual.attrs["total"] == 0
    assert "petitioner_name" in actual.columns


@pytest.mark.parametrize("kwargs, message", [
    (dict(level="town"), "登记层级"),
    (dict(level="county' OR '1'='1"), "登记层级"),
    (dict(outcome="closed"), "去向"),
    (dict(origin="411599"), "来源县区"),
    (dict(origin="4115"), "来源县区"),
    (dict(origin="411522", area="411502"), "不在所选区域"),
    (dict(origin="411522", area="411502001000"), "不在所选区域"),
    (dict(categories=("complaint",)), "信访类别"),
    (dict(domains=("water",)), "领域"),
    (dict(limit=0), "显示条数"),
    (dict(limit=10_000), "显示条数"),
    (dict(start=date(2024, 4, 1)), "晚于"),
    (dict(area="4115"), "区域代码"),
])
def test_petitions_behind_refuses_unknown_values(session, kwargs, message):
    arguments = dict(start=Q1[0], end=Q1[1]) | kwargs
    with pytest.raises(InvalidInput, match=message):
        petitions_behind(session, **arguments)


@pytest.mark.parametrize("function", [level_counts, inversion_trend, county_level_counts, sankey_flows])
def test_every_query_checks_its_filters(session, function):
    with pytest.raises(InvalidInput, match="信访类别"):
        function(session, *Q1, categories=("petition'; --",))
    with pytest.raises(InvalidInput, match="领域"):
        function(session, *Q1, domains=("other", "nope"))
    with pytest.raises(InvalidInput, match="晚于"):
        function(session, Q1[1], Q1[0])
    with pytest.raises(NotFound, match="411599"):
        function(session, *Q1, area="411599")


# --- the existing helpers still agree ---------------------------------------------------------------------------

def test_county_year_table_and_inversion_index_still_work(data):
    table = level_counts_by_county_year(data, *Q1)
    assert table.loc[("411502", 2024)].tolist() == [1, 4, 2, 1, 1]
    assert table.loc[("411522", 2024)].tolist() == [1, 2, 1, 1, 1]
    assert inversion_index(table).tolist() == pytest.approx([4 / 9, 0.5])


# --- the demo data set ------------------------------------------------------------------------------------------

def test_demo_flows_and_county_table_add_up(demo_session):
    start, end = date(2024, 1, 1), date(2024, 12, 31)
    received = demo_session.execute(sa.text(
        "SELECT count(*) FROM petition WHERE received_on BETWEEN :start AND :end"), {"start": start, "end": end}).scalar()
    assert received > 0
    flows = sankey_flows(demo_session, start, end)
    assert flows["count"].sum() == received
    assert not flows.duplicated(["origin", "level", "outcome", "kind", "collective"]).any()
    assert set(flows["outcome"]) <= set(OUTCOME_LABELS)

    table = county_level_counts(demo_session, start, end)
    assert len(table) == 11 and set(table["county_code"]) == set(COUNTIES)
    assert table["total"].sum() == received
    assert_series_equal(table[list(LEVELS)].sum().rename("count").rename_axis("lodged_level").astype("int64"),
                        level_counts(demo_session, start, end))
    for code, row in table.set_index("county_code").iterrows():
        per_county = level_counts(demo_session, start, end, area=code)
        assert row[list(LEVELS)].astype("int64").tolist() == per_county.tolist(), code
        assert row["total"] == per_county.sum(), code
    by_origin = flows.groupby("origin")["count"].sum()
    assert by_origin.to_dict() == table.loc[table["total"] > 0].set_index("county_code")["total"].to_dict()
