"""The statutory clock on open petitions (geo.deadlines), on petitions whose every due day is worked out below.

As of A = 2024-03-31 (2024 is a leap year: 31 January + 60 days = 31 March). Acceptance: received + 15 days;
handling: accepted + 60 days + the extension. GA is in 老城街道 and GB in 民权街道 (浉河区), GC in 弦山街道 (光山县).
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from geo import deadlines, statutory
from geo.deadlines import DUE_COLUMNS, SUMMARY_COLUMNS, due_petitions, last_data_day, overdue_summary
from geo.errors import InvalidInput, NotFound

A = date(2024, 3, 31)
GA, GB, GC = "411502001001001", "411502002001001", "411522001001001"
FIELDS = ("ref", "grid", "received", "accepted", "extension", "closed", "status", "name", "phone")
PETITIONS = [
    # ref, grid, received, accepted, extension, closed, status, name, phone     → state as of A
    ("P01", GA, "2024-03-20", None, 0, None, "received", "张三丰", "13812345678"),  # accept due 04-04: +4 soon
    ("P02", GA, "2024-03-10", None, 0, None, "received", None, None),               # accept due 03-25: -6 overdue
    ("P03", GA, "2024-03-01", "2024-03-16", 0, None, "accepted", None, None),       # handle due 05-15: +45, not listed
    ("P04", GB, "2024-01-01", "2024-01-31", 0, None, "accepted", None, None),       # handle due 03-31: 0, due today
    ("P05", GB, "2024-01-01", "2024-01-30", 30, None, "accepted", None, None),      # handle due 04-28: +28, not listed
    ("P06", GB, "2024-01-02", "2024-01-15", 0, None, "accepted", None, None),       # handle due 03-15: -16, leader
    ("P07", GB, "2024-01-02", "2024-01-15", 0, "2024-03-30", "closed", None, None),  # closed by A: nothing open
    ("P08", GC, "2024-01-05", "2024-01-10", 0, "2024-04-05", "closed", None, None),  # closed after A: -21 overdue
    ("P09", GC, "2024-03-15", "2024-04-02", 0, None, "accepted", None, None),       # accepted after A: accept -1
    ("P10", GC, "2024-04-01", None, 0, None, "received", None, None),               # received after A: not listed
    ("P11", GC, "2024-01-03", "2024-01-20", 0, None, "accepted", None, None),       # handle due 03-20: -11, case later
    ("P12", GA, "2024-03-23", None, 0, None, "received", None, None),               # accept due 04-07: +7, listed
    ("P13", GA, "2024-03-24", None, 0, None, "received", None, None),               # accept due 04-08: +8, not listed
    ("P14", GC, "2024-03-25", "2024-03-25", 0, "2024-03-25", "not_accepted", None, None),  # decided: nothing open
]
# (ref, county, petition, handed down, leader, title)
BACKLOG = [
    ("B1", "411502", "P06", "2024-02-01", "李建国", "县长"),
    ("B2", "411522", "P11", "2024-04-10", "周文", "副县长"),  # handed down after A: P11 is still its unit's
]


@pytest.fixture
def data(session):
    session.execute(sa.text("INSERT INTO grid_cell (code, name, village_code) VALUES (:code, :name, :village)"),
                    [{"code": g, "name": f"测试网格{i}", "village": g[:12]} for i, g in enumerate((GA, GB, GC), 1)])
    session.execute(sa.text(
        "INSERT INTO petition (ref_no, origin_grid_code, category, channel, domain, petitioner_name, petitioner_phone,"
        " is_first, lodged_level, status, received_on, accepted_on, extension_days, closed_on, source)"
        " VALUES (:ref, :grid, 'complaint_request', 'visit', 'labour_social_security', :name, :phone, true, 'county',"
        " :status, CAST(:received AS date), CAST(:accepted AS date), :extension, CAST(:closed AS date), 'entered')"
    ), [dict(zip(FIELDS, row)) for row in PETITIONS])
    session.execute(sa.text(
        "INSERT INTO backlog_case (ref_no, petition_id, county_code, title, handed_down_by, handed_down_on, leader_name,"
        " leader_title, mode, deadline, status, source) VALUES (:ref, (SELECT id FROM petition WHERE ref_no = :petition),"
        " :county, '测试积案', '市信访局', CAST(:handed AS date), :leader, :title, 'leader_owned',"
        " CAST(:handed AS date) + 90, 'open', 'entered')"
    ), [dict(zip(("ref", "county", "petition", "handed", "leader", "title"), row)) for row in BACKLOG])
    return session


def test_due_and_overdue_petitions_as_of_a_day(data):
    due = due_petitions(data, A, 7)
    assert list(due.columns) == DUE_COLUMNS
    got = due[["ref_no", "rule", "due_on", "days_left", "state"]].values.tolist()
    assert got == [
        ["P08", "handling", date(2024, 3, 10), -21, "overdue"],
        ["P06", "handling", date(2024, 3, 15), -16, "overdue"],
        ["P11", "handling", date(2024, 3, 20), -11, "overdue"],
        ["P02", "acceptance", date(2024, 3, 25), -6, "overdue"],
        ["P09", "acceptance", date(2024, 3, 30), -1, "overdue"],
        ["P04", "handling", date(2024, 3, 31), 0, "due_soon"],
        ["P01", "acceptance", date(2024, 4, 4), 4, "due_soon"],
        ["P12", "acceptance", date(2024, 4, 7), 7, "due_soon"],
    ]


def test_each_row_names_its_rule_owner_and_masks_the_petitioner(data):
    due = due_petitions(data, A, 7).set_index("ref_no")
    assert due.at["P01", "rule_label"] == statutory.RULES["acceptance"].label
    assert due.at["P01", "article"] == statutory.RULES["acceptance"].article
    assert due.at["P04", "article"] == statutory.RULES["handling"].article
    assert (due.at["P01", "petitioner_name"], due.at["P01", "petitioner_phone"]) == ("张**", "138****5678")
    assert (due.at["P06", "owner_kind"], due.at["P06", "owner"], due.at["P06", "backlog_ref"]) == ("leader", "县长 李建国", "B1")
    # P11's case was handed down after A: on A it is still its township's.
    assert (due.at["P11", "owner_kind"], due.at["P11", "owner"]) == ("unit", "光山县弦山街道")
    assert due.at["P09", "accepted_on"] is None  # accepted after A: not shown as accepted


def test_a_wider_window_and_the_extension(data):
    due = due_petitions(data, A, 30).set_index("ref_no")
    # P05: 2024-01-30 + 60 + 30 = 2024-04-29 (+29); P03: 05-15 (+45) stays out.
    assert due.at["P05", "due_on"] == date(2024, 4, 29) and due.at["P05", "extension_days"] == 30
    assert "P03" not in due.index and {"P12", "P13"} <= set(due.index)
    assert list(due_petitions(data, A, 0)["ref_no"]) == ["P08", "P06", "P11", "P02", "P09", "P04"]


def test_due_days_come_from_geo_statutory(data, monkeypatch):
    monkeypatch.setattr(statutory, "ACCEPTANCE_DAYS", 20)
    monkeypatch.setattr(statutory, "HANDLING_DAYS", 61)
    due = due_petitions(data, A, 7).set_index("ref_no")
    assert due.at["P02", "due_on"] == date(2024, 3, 30)  # 03-10 + 20
    assert due.at["P04", "due_on"] == date(2024, 4, 1)  # 01-31 + 61


@pytest.mark.parametrize("area, refs", [
    ("411522", ["P08", "P11", "P09"]),
    ("411502002000", ["P06", "P04"]),
    ("411521", []),
])
def test_the_area_narrows_the_list(data, area, refs):
    assert list(due_petitions(data, A, 7, area)["ref_no"]) == refs


def test_summary_by_county_lists_every_county(data):
    summary = overdue_summary(data, A, 7, by="county")
    assert list(summary.columns) == SUMMARY_COLUMNS and len(summary) == 11
    top = summary.head(2)[["code", "name", "overdue", "due_soon", "total", "acceptance_overdue", "handling_overdue",
                          "max_days_overdue"]].values.tolist()
    # 光山县: P08 (-21), P11 (-11) handling, P09 (-1) acceptance. 浉河区: P06 (-16), P02 (-6) + P04 P01 P12 soon.
    assert top == [["411522", "光山县", 3, 0, 3, 1, 2, 21], ["411502", "浉河区", 2, 3, 5, 1, 1, 16]]
    assert summary["total"].iloc[2:].eq(0).all()


def test_summary_by_township_and_by_owner(data):
    townships = overdue_summary(data, A, 7, by="township")
    assert townships[["code", "overdue", "due_soon"]].values.tolist() == [
        ["411522001000", 3, 0], ["411502001000", 1, 2], ["411502002000", 1, 1]]
    owners = overdue_summary(data, A, 7, by="owner")
    assert owners[["code", "name", "overdue", "due_soon"]].values.tolist() == [
        ["411522001000", "光山县弦山街道", 3, 0], ["411502001000", "浉河区老城街道", 1, 2],
        ["leader:B1", "县长 李建国", 1, 0], ["411502002000", "浉河区民权街道", 0, 1]]


@pytest.mark.parametrize("kwargs, error", [
    ({"within_days": -1}, InvalidInput),
    ({"within_days": "7"}, InvalidInput),
    ({"within_days": True}, InvalidInput),
    ({"area": "41150"}, InvalidInput),
    ({"area": "411599"}, NotFound),
])
def test_bad_filters_are_refused(data, kwargs, error):
    with pytest.raises(error):
        due_petitions(data, A, **{"within_days": 7, **kwargs})


def test_bad_grouping_is_refused(data):
    with pytest.raises(InvalidInput, match="分组"):
        overdue_summary(data, A, by="planet")


@pytest.mark.parametrize("as_of", [date(2024, 6, 30), date(2025, 12, 31)])
def test_every_row_agrees_with_the_statutory_clock(demo_session, as_of):
    due = due_petitions(demo_session, as_of, 60).set_index("ref_no")
    rows = demo_session.execute(sa.text(
        "SELECT ref_no, received_on, accepted_on, extension_days, closed_on FROM petition WHERE received_on <= :d"
    ), {"d": as_of}).all()
    expected = {}
    for ref, received, accepted, extension, closed in rows:
        clock = statutory.clock(received, accepted, extension, closed, as_of)
        if clock["days_left"] is not None and clock["days_left"] <= 60:
            expected[ref] = clock["days_left"]
    assert len(expected) > 20  # overdue rows are checked on hand-built data above; here: agreement, row by row
    assert due["days_left"].to_dict() == expected


def test_last_data_day(data, demo_session):
    assert last_data_day(data) == date(2024, 4, 1)  # P10; no disputes here
    latest = demo_session.execute(sa.text(
        "SELECT (SELECT max(received_on) FROM petition),"
        " (SELECT max((reported_at AT TIME ZONE 'Asia/Shanghai')::date) FROM dispute)"
    )).one()
    assert last_data_day(demo_session) == max(latest)


def test_definition_names_the_rules():
    for key in ("acceptance", "handling"):
        assert statutory.RULES[key].article in deadlines.DEFINITION
