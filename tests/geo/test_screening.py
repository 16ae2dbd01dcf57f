"""Reporting compliance: expected reports derived from the cadence and sensitive periods, statuses, rates.

Hand-built reports on the reference geography (the `session` fixture, rolled back): 老城街道
(411502001000) with its 13 communities, in 浉河区 (411502); 光山县 (411522) for county-only periods.
The grid network (one cell per village) is laid over those two counties only: the other counties'
units are outside it and owe nothing.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from geo import screening
from geo.errors import InvalidInput, NotFound

TZ = ZoneInfo("Asia/Shanghai")
TOWNSHIP = "411502001000"
VILLAGES = ["411502001001", "411502001003", "411502001004", "411502001007", "411502001008", "411502001010",
            "411502001012", "411502001013", "411502001014", "411502001017", "411502001018", "411502001019",
            "411502001020"]
WEEK = (date(2024, 3, 4), date(2024, 3, 10))  # Monday to Sunday
WEEK_DUE = datetime(2024, 3, 11, 12, 0, tzinfo=TZ)
LATER = datetime(2024, 6, 1, tzinfo=TZ)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture(autouse=True)
def network(session):
    session.execute(sa.text(
        "INSERT INTO grid_cell (code, name, village_code) SELECT code || '001', name || '第一网格', code FROM region"
        " WHERE level = 'village' AND left(code, 6) IN ('411502', '411522')"
    ))


# Units the network reaches, from the reference catalogue (etl/reference): townships and villages.
ACTIVE = {"411502": (19, 269), "411522": (19, 365)}


def active(county: str | None = None, townships: bool = True, villages: bool = True) -> int:
    chosen = [ACTIVE[county]] if county else list(ACTIVE.values())
    return sum(t * townships + v * villages for t, v in chosen)


def report(session, unit, submitted_at, kind="weekly", start=WEEK[0], end=WEEK[1], found=0):
    session.execute(sa.text(
        "INSERT INTO screening_report (unit_code, kind, period_start, period_end, is_zero, disputes_found,"
        " submitted_at, source) VALUES (:unit, :kind, :start, :end, :zero, :found, :at, 'import')"
    ), {"unit": unit, "kind": kind, "start": start, "end": end, "zero": found == 0, "found": found, "at": submitted_at})


def declare(session, name, starts_on, ends_on, counties=None):
    return screening.declare_sensitive_period(session, name, starts_on, ends_on, counties, "市委政法委（测试）")


def count_where(session, sql, **params):
    return session.execute(sa.text(sql), params).scalar()


# --- expected reports ----------------------------------------------------------------------------------------


def test_a_township_owes_one_weekly_report_per_unit_due_next_day_at_noon(session):
    expected = screening.expected_reports(session, *WEEK, TOWNSHIP)
    assert sorted(expected["unit_code"]) == sorted([TOWNSHIP, *VILLAGES])
    assert set(expected["kind"]) == {"weekly"} and set(expected["level"]) == {"township", "village"}
    assert set(expected["period_start"]) == {WEEK[0]} and set(expected["period_end"]) == {WEEK[1]}
    assert set(expected["due_at"]) == {pd.Timestamp(WEEK_DUE)}
    assert expected.loc[expected["unit_code"] == "411502001001", "unit_name"].item() == "义阳社区"


def test_a_county_owes_half_monthly_analyses_and_its_units_weekly_reports(session):
    expected = screening.expected_reports(session, date(2024, 3, 1), date(2024, 3, 31), "411502")
    county = expected[expected["level"] == "county"]
    assert list(zip(county["kind"], county["period_start"], county["period_end"])) == [
        ("half_monthly", date(2024, 3, 1), date(2024, 3, 15)), ("half_monthly", date(2024, 3, 16), date(2024, 3, 31))]
    assert county["due_at"].iat[1] == pd.Timestamp(at(2024, 4, 1, 12))
    units = active("411502")
    weekly = expected[expected["kind"] == "weekly"]
    # weeks ending on 3, 10, 17, 24 and 31 March: a period belongs to the window its last day falls in
    assert sorted(set(weekly["period_end"])) == [date(2024, 3, d) for d in (3, 10, 17, 24, 31)]
    assert len(weekly) == 5 * units
    assert not expected["unit_code"].str.startswith("411522").any()


def test_no_daily_reports_without_a_sensitive_period(session):
    expected = screening.expected_reports(session, *WEEK, TOWNSHIP)
    assert "daily" not in set(expected["kind"])


def test_a_city_wide_sensitive_period_makes_townships_and_villages_report_daily(session):
    declare(session, "全国两会", date(2024, 3, 4), date(2024, 3, 6))
    expected = screening.expected_reports(session, *WEEK, "411502")
    daily = expected[expected["kind"] == "daily"]
    units = active("411502")
    assert len(daily) == 3 * units
    assert set(daily["period_start"]) == {date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)}
    assert (daily["period_start"] == daily["period_end"]).all()
    assert "county" not in set(daily["level"])  # counties keep their half-monthly cadence only
    first = daily[daily["period_start"] == date(2024, 3, 4)]
    assert set(first["due_at"]) == {pd.Timestamp(at(2024, 3, 5, 12))}
    city = screening.expected_reports(session, *WEEK, "", levels=["township"])
    assert len(city[city["kind"] == "daily"]) == 3 * active(villages=False)
    assert set(city["county_code"]) == {"411502", "411522"}  # units outside the grid network owe nothing


def test_a_county_only_period_covers_only_that_county_and_overlaps_do_not_double(session):
    declare(session, "光山县重点项目征迁攻坚", date(2024, 3, 5), date(2024, 3, 6), ["411522"])
    declare(session, "光山县防汛", date(2024, 3, 6), date(2024, 3, 7), ["411522"])
    city = screening.expected_reports(session, *WEEK, "", levels=["township"])
    daily = city[city["kind"] == "daily"]
    assert set(daily["county_code"]) == {"411522"}
    townships = active("411522", villages=False)
    assert len(daily) == 3 * townships  # 5, 6 (both periods, counted once) and 7 March
    assert not daily.duplicated(["unit_code", "period_start"]).any()
    assert screening.expected_reports(session, *WEEK, "411502").query("kind == 'daily'").empty


def test_the_cadence_is_data(session):
    session.execute(sa.text("UPDATE report_cadence SET due_after_hours = 60 WHERE level = 'village' AND kind = 'weekly'"))
    expected = screening.expected_reports(session, *WEEK, TOWNSHIP)
    due = dict(zip(expected["level"], expected["due_at"]))
    assert due["village"] == pd.Timestamp(at(2024, 3, 12, 12)) and due["township"] == pd.Timestamp(WEEK_DUE)
    # villages report weekly only up to 29 February, then not at all: the later week owes nothing from them
    session.execute(sa.text("UPDATE report_cadence SET active_to = '2024-02-29' WHERE level = 'village' AND kind = 'weekly'"))
    assert list(screening.expected_reports(session, *WEEK, TOWNSHIP)["unit_code"]) == [TOWNSHIP]


def test_the_database_refuses_two_cadences_for_one_level_and_kind_at_once(session):
    with pytest.raises(IntegrityError, match="ex_report_cadence_one_active"):
        with session.begin_nested():
            session.execute(sa.text("INSERT INTO report_cadence (level, kind, every, active_from)"
                                    " VALUES ('village', 'weekly', 'weekly', '2025-01-01')"))
    with pytest.raises(IntegrityError, match="level_reports"):
        with session.begin_nested():
            session.execute(sa.text("INSERT INTO report_cadence (level, kind, every, active_from)"
                                    " VALUES ('city', 'half_monthly', 'half_monthly', '2023-01-01')"))
    # closing the current one makes room for a successor: cadence history is kept
    session.execute(sa.text("UPDATE report_cadence SET active_to = '2024-12-31' WHERE level = 'village' AND kind = 'weekly'"))
    session.execute(sa.text("INSERT INTO report_cadence (level, kind, every, due_after_hours, active_from)"
                            " VALUES ('village', 'weekly', 'weekly', 48, '2025-01-01')"))
    expected = screening.expected_reports(session, date(2024, 12, 23), date(2025, 1, 12), TOWNSHIP, levels=["village"])
    assert sorted(set(zip(expected["period_start"], expected["due_at"]))) == [  # a period follows its first day's cadence
        (date(2024, 12, 23), pd.Timestamp(at(2024, 12, 30, 12))), (date(2024, 12, 30), pd.Timestamp(at(2025, 1, 6, 12))),
        (date(2025, 1, 6), pd.Timestamp(at(2025, 1, 14)))]
    assert len(expected) == 3 * len(VILLAGES)


def test_sensitive_period_counties_must_be_counties(session):
    with pytest.raises(IntegrityError, match="not county-level units: 411502001000"):
        with session.begin_nested():
            session.execute(sa.text("INSERT INTO sensitive_period (name, starts_on, ends_on, county_codes, declared_by,"
                                    " source) VALUES ('x', '2024-01-01', '2024-01-02', ARRAY['411502001000'], 't', 'import')"))
    with pytest.raises(InvalidInput, match="不是县区代码"):
        declare(session, "x", date(2024, 1, 1), date(2024, 1, 2), ["411599"])
    with pytest.raises(InvalidInput, match="早于开始日期"):
        declare(session, "x", date(2024, 1, 2), date(2024, 1, 1))
    with pytest.raises(InvalidInput, match="最长 92 天"):
        declare(session, "x", date(2024, 1, 1), date(2024, 6, 1))
    with pytest.raises(InvalidInput, match="名称"):
        declare(session, "  ", date(2024, 1, 1), date(2024, 1, 2))
    new_id = declare(session, "国庆", "2024-10-01", "2024-10-07", [])
    listed = screening.sensitive_periods(session, date(2024, 10, 1), date(2024, 10, 31))
    assert list(listed["id"]) == [new_id] and listed["county_names"].item() == "全市"
    assert listed["county_codes"].item() is None and listed["source"].item() == "entered"
    assert count_where(session, "SELECT count(*) FROM audit_log WHERE action = 'declare_sensitive_period'") == 1


# --- compliance ----------------------------------------------------------------------------------------------


@pytest.fixture
def filed(session):
    """老城街道's week of 4–10 March 2024: every status, the exact due time included."""
    v = VILLAGES
    report(session, TOWNSHIP, at(2024, 3, 10, 20), found=3)  # on time, found disputes
    report(session, v[0], at(2024, 3, 11, 9))  # on time, zero report
    report(session, v[1], WEEK_DUE, found=1)  # exactly at the due time: on time
    report(session, v[2], WEEK_DUE + timedelta(seconds=1), found=2)  # a second late
    report(session, v[3], at(2024, 3, 13, 8))  # late zero report: late, not zero
    report(session, v[4], WEEK_DUE)  # zero exactly at the due time: zero
    # v[5:] (8 communities) never reported: missing
    return session


def status_of(frame, unit):
    return frame.loc[frame["unit_code"] == unit, "status"].item()


def test_four_states_including_a_late_zero_and_a_report_at_the_due_time(filed):
    result = screening.compliance(filed, *WEEK, TOWNSHIP, as_of=LATER)
    assert status_of(result, TOWNSHIP) == "on_time"
    assert status_of(result, VILLAGES[0]) == "zero"
    assert status_of(result, VILLAGES[1]) == "on_time"
    assert status_of(result, VILLAGES[2]) == "late"
    assert status_of(result, VILLAGES[3]) == "late"
    assert result.loc[result["unit_code"] == VILLAGES[3], "is_zero"].item() is True  # still a zero report
    assert status_of(result, VILLAGES[4]) == "zero"
    assert result["status"].value_counts().to_dict() == {"missing": 8, "on_time": 2, "late": 2, "zero": 2}
    missing = result[result["status"] == "missing"]
    assert missing["submitted_at"].isna().all() and missing["is_zero"].isna().all()
    assert "逾期的零报告算逾期" in screening.STATUS_DEFINITION and "零报告也是报告" in screening.STATUS_DEFINITION


def test_status_as_of_a_moment_before_the_due_time_and_before_late_filings(filed):
    before_due = screening.compliance(filed, *WEEK, TOWNSHIP, as_of=at(2024, 3, 11, 10))
    assert status_of(before_due, TOWNSHIP) == "on_time" and status_of(before_due, VILLAGES[0]) == "zero"
    assert status_of(before_due, VILLAGES[1]) == "not_due"  # filed at 12:00, not yet at 10:00
    assert status_of(before_due, VILLAGES[7]) == "not_due"
    after_due = screening.compliance(filed, *WEEK, TOWNSHIP, as_of=at(2024, 3, 12))
    assert status_of(after_due, VILLAGES[3]) == "missing"  # its late report came on the 13th
    assert status_of(after_due, VILLAGES[2]) == "late"


def test_daily_reports_in_a_sensitive_period_are_checked_like_the_others(filed):
    declare(filed, "全国两会", date(2024, 3, 4), date(2024, 3, 5))
    report(filed, TOWNSHIP, at(2024, 3, 4, 21), kind="daily", start=date(2024, 3, 4), end=date(2024, 3, 4))
    report(filed, TOWNSHIP, at(2024, 3, 6, 15), kind="daily", start=date(2024, 3, 5), end=date(2024, 3, 5))
    result = screening.compliance(filed, *WEEK, TOWNSHIP, levels=["township"], as_of=LATER)
    assert list(zip(result["kind"], result["period_start"], result["status"])) == [
        ("daily", date(2024, 3, 4), "zero"), ("daily", date(2024, 3, 5), "late"), ("weekly", date(2024, 3, 4), "on_time")]


def test_rates_per_unit_township_and_county(filed):
    units = screening.compliance_rates(filed, *WEEK, TOWNSHIP, as_of=LATER)
    assert len(units) == 14 and list(units.columns) == screening.RATE_COLUMNS
    township = units[units["code"] == TOWNSHIP].iloc[0]
    assert township["on_time_rate"] == 1.0 and township["zero_share"] == 0.0 and township["rank"] >= 1
    late_zero = units[units["code"] == VILLAGES[3]].iloc[0]
    assert (late_zero["on_time_rate"], late_zero["zero_share"], late_zero["late"]) == (0.0, 1.0, 1)
    silent = units[units["code"] == VILLAGES[7]].iloc[0]
    assert (silent["missing"], silent["reported"], silent["on_time_rate"]) == (1, 0, 0.0)
    assert pd.isna(silent["zero_share"])
    assert list(units["rank"]) == list(range(1, 15))
    assert units["rank"].iloc[-1] == 14 and units["missing"].iloc[-1] == 1  # the silent ones rank last

    by_township = screening.compliance_rates(filed, *WEEK, TOWNSHIP, by="township", as_of=LATER)
    row = by_township.iloc[0]
    assert (row["code"], row["name"], row["due"], row["timely"], row["zero"], row["late"], row["missing"]) == (
        TOWNSHIP, "老城街道", 14, 4, 2, 2, 8)
    assert row["on_time_rate"] == pytest.approx(4 / 14) and row["zero_share"] == pytest.approx(3 / 6)

    by_county = screening.compliance_rates(filed, *WEEK, "", by="county", as_of=LATER)
    assert sorted(by_county["code"]) == ["411502", "411522"]
    shihe = by_county[by_county["code"] == "411502"].iloc[0]
    units_shihe = active("411502")
    assert shihe["name"] == "浉河区" and shihe["due"] == units_shihe  # no half-month ends in this week
    assert shihe["timely"] == 4 and shihe["missing"] == units_shihe - 6
    assert list(by_county["code"]) == ["411502", "411522"]  # the only county that filed anything ranks first


def test_status_by_week_shows_the_worst_status_of_the_week(filed):
    declare(filed, "全国两会", date(2024, 3, 4), date(2024, 3, 4))
    report(filed, VILLAGES[0], at(2024, 3, 4, 20), kind="daily", start=date(2024, 3, 4), end=date(2024, 3, 4))
    weeks = screening.status_by_week(filed, *WEEK, TOWNSHIP, level="village", as_of=LATER)
    assert len(weeks) == 13 and set(weeks["week"]) == {WEEK[0]}
    by_unit = weeks.set_index("unit_code")
    assert by_unit.loc[VILLAGES[0], "status"] == "zero" and by_unit.loc[VILLAGES[0], "zero"] == 2
    assert by_unit.loc[VILLAGES[1], "status"] == "missing"  # its weekly was on time, its daily report missing
    assert by_unit.loc[VILLAGES[1], "on_time"] == 1 and by_unit.loc[VILLAGES[1], "missing"] == 1


def test_missing_now_lists_the_units_whose_latest_report_is_overdue(filed):
    now = screening.missing_now(filed, at(2024, 3, 12, 9), TOWNSHIP)
    assert sorted(now["unit_code"]) == sorted([VILLAGES[3], *VILLAGES[5:]])  # VILLAGES[3] files late, on the 13th
    assert set(now["period_start"]) == {WEEK[0]} and set(now["overdue_days"]) == {0}
    assert set(now["missed"]) == {6}  # none of them filed anything in the 40 days before (6 weeks)
    assert VILLAGES[3] not in set(screening.missing_now(filed, at(2024, 3, 13, 9), TOWNSHIP)["unit_code"])
    # before the due time the latest past-due report is the previous week's, which nobody filed
    earlier = screening.missing_now(filed, at(2024, 3, 11, 11, 59), TOWNSHIP)
    assert len(earlier) == 14 and set(earlier["period_start"]) == {date(2024, 2, 26)}
    # filing the overdue report removes the unit from the list, as of the moment it was filed
    report(filed, VILLAGES[5], at(2024, 3, 12, 10))
    assert VILLAGES[5] not in set(screening.missing_now(filed, at(2024, 3, 12, 11), TOWNSHIP)["unit_code"])
    assert VILLAGES[5] in set(screening.missing_now(filed, at(2024, 3, 12, 9), TOWNSHIP)["unit_code"])
    by_date = screening.missing_now(filed, date(2024, 3, 12), TOWNSHIP)
    assert VILLAGES[5] not in set(by_date["unit_code"])  # a date means the end of that day


def test_area_filters(filed):
    assert set(screening.compliance(filed, *WEEK, "411502", as_of=LATER)["county_code"]) == {"411502"}
    outside = screening.compliance(filed, *WEEK, "411503")  # a county the grid network does not reach yet
    assert outside.empty and list(outside.columns) == screening.COMPLIANCE_COLUMNS
    city = screening.compliance_rates(filed, *WEEK, "", as_of=LATER)
    assert len(city) == active() == 672
    with pytest.raises(InvalidInput, match="区域代码"):
        screening.compliance(filed, *WEEK, "4115")
    with pytest.raises(NotFound):
        screening.compliance(filed, *WEEK, "411599")
    with pytest.raises(InvalidInput, match="早于开始日期"):
        screening.compliance(filed, WEEK[1], WEEK[0], TOWNSHIP)
    with pytest.raises(InvalidInput, match="汇总"):
        screening.compliance_rates(filed, *WEEK, TOWNSHIP, by="grid")


# --- entering a report ---------------------------------------------------------------------------------------


def enter(session, unit=VILLAGES[7], kind="weekly", start=WEEK[0], zero=True, found=None, now=at(2024, 3, 15, 9)):
    return screening.enter_report(session, unit, kind, start, zero, found, "老城街道综治中心", now=now)


def test_an_entered_report_after_the_due_time_is_recorded_as_late(filed):
    entered = enter(filed)
    assert entered.status == "late" and entered.period_end == WEEK[1] and entered.due_at == WEEK_DUE
    row = filed.execute(sa.text("SELECT source, submitted_at, is_zero FROM screening_report WHERE id = :id"),
                        {"id": entered.id}).one()
    assert row.source == "entered" and row.submitted_at == at(2024, 3, 15, 9) and row.is_zero
    assert status_of(screening.compliance(filed, *WEEK, TOWNSHIP, as_of=LATER), VILLAGES[7]) == "late"
    on_time = enter(filed, unit=VILLAGES[8], zero=False, found=2, now=WEEK_DUE)
    assert on_time.status == "on_time"
    assert count_where(filed, "SELECT count(*) FROM audit_log WHERE action = 'enter_screening_report'") == 2


@pytest.mark.parametrize("changes, message", [
    ({"unit": "411502001999"}, "不存在"),
    ({"unit": "abc"}, "请选择报送单位"),
    ({"start": date(2024, 3, 6)}, "应从 2024-03-04 开始"),
    ({"unit": "411502", "kind": "weekly"}, "不需要报送每周报告"),
    ({"unit": "411502", "kind": "half_monthly", "start": date(2024, 3, 2)}, "应从 2024-03-01 开始"),
    ({"kind": "daily", "start": date(2024, 3, 5)}, "不在覆盖"),
    ({"kind": "immediate"}, "随事随报"),
    ({"zero": True, "found": 3}, "零报告"),
    ({"zero": False, "found": 0}, "至少为 1"),
    ({"zero": False, "found": "x"}, "整数"),
    ({"start": date(2024, 3, 11)}, "尚未结束"),
    ({"unit": TOWNSHIP}, "不能重复报送"),
])
def test_entry_is_validated_with_messages_a_person_can_act_on(filed, changes, message):
    with pytest.raises(InvalidInput, match=message):
        enter(filed, **changes)
    assert count_where(filed, "SELECT count(*) FROM screening_report WHERE source = 'entered'") == 0


def test_daily_and_half_monthly_entries_follow_their_cadence(filed):
    declare(filed, "光山县防汛", date(2024, 7, 1), date(2024, 7, 3), ["411522"])
    daily = screening.enter_report(filed, "411522001000", "daily", date(2024, 7, 2), True, None, "光山县",
                                   now=at(2024, 7, 3, 12))
    assert (daily.period_start, daily.period_end, daily.status) == (date(2024, 7, 2), date(2024, 7, 2), "zero")
    with pytest.raises(InvalidInput, match="不在覆盖"):
        screening.enter_report(filed, TOWNSHIP, "daily", date(2024, 7, 2), True, None, "浉河区", now=at(2024, 7, 5))
    half = screening.enter_report(filed, "411502", "half_monthly", date(2024, 2, 16), False, 12, "浉河区",
                                  now=at(2024, 3, 1, 12, 0, 1))
    assert (half.period_end, half.status) == (date(2024, 2, 29), "late")
    assert screening.report_period("half_monthly", date(2024, 2, 20)) == (date(2024, 2, 16), date(2024, 2, 29))
    assert screening.report_period("weekly", date(2024, 3, 10)) == WEEK
