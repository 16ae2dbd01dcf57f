"""Each risk rule of geo.signals on small data built here: one case that must fire and one that must not.

The day looked at is D = 2024-06-30. Every number asserted is worked out by hand in the comments.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from scipy.stats import poisson
from sqlalchemy.exc import IntegrityError

from geo.access import Principal
from geo.aggregates import refresh_aggregates
from geo.enums import Role
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.signals import (
    COLLECTIVE_HOUSEHOLDS,
    REPEAT_PETITIONS,
    SIGNAL_COLUMNS,
    acknowledge,
    acknowledged_count,
    acknowledgements,
    compute_signals,
    earlier_acknowledgements,
)

D = date(2024, 6, 30)
LOCAL = ZoneInfo("Asia/Shanghai")
S1, S2 = "411502001001001", "411502002001001"  # 老城街道 and 民权街道 (浉河区)
S3, S4 = "411522001001001", "411522001002001"  # 弦山街道 (光山县), two villages
C1, C2, C2B, C3, C4 = ("411502001001001", "411502002001001", "411502002001002", "411522001001001",
                       "411522001002001")
L, U = "labour_social_security", "urban_rural_construction"


def _cells(session, codes):
    session.execute(sa.text("INSERT INTO grid_cell (code, name, village_code) VALUES (:code, :name, :village)"),
                    [{"code": c, "name": f"测试网格{c[-4:]}", "village": c[:12]} for c in dict.fromkeys(codes)])


def _disputes(session, rows):
    """rows: (grid, day, domain) → dispute ids, reported at local noon of the day."""
    ids = []
    for grid, day, domain in rows:
        ids.append(session.execute(sa.text(
            "INSERT INTO dispute (ref_no, grid_code, domain, risk_level, status, reported_at, source)"
            " VALUES (:ref, :grid, :domain, 'low', 'reported', :at, 'entered') RETURNING id"
        ), {"ref": f"D{len(ids)}-{grid}-{day}-{domain}", "grid": grid, "domain": domain,
            "at": datetime.combine(day, time(12), LOCAL)}).scalar())
    return ids


def _households(session, grid, n):
    return session.execute(sa.text(
        "INSERT INTO household (grid_code, geom, size, head_name, source)"
        " SELECT :grid, ST_SetSRID(ST_Point(114.07, 32.12), 4326), 3, '张三', 'entered' FROM generate_series(1, :n)"
        " RETURNING id"
    ), {"grid": grid, "n": n}).scalars().all()


def _involve(session, dispute_id, household_ids):
    session.execute(sa.text("INSERT INTO dispute_household (dispute_id, household_id) VALUES (:d, :h)"),
                    [{"d": dispute_id, "h": h} for h in household_ids])


def _by_key(frame):
    return {row["signal_key"]: row for row in frame.to_dict("records")}


# --- (a) spikes ---------------------------------------------------------------------------------------------------

@pytest.fixture
def spike_data(session):
    """S1 and S2 share a history of 73 disputes, one every 5 days from D-8 back to D-368 (0.2 a day);
    in the last 7 days S1 has 7 disputes and S2 only 6. S2 also has one dispute on D-400, so the data
    start before every baseline (full 365-day baselines). S3 has no history and 3 disputes this week,
    S4 no history and 2."""
    _cells(session, [S1, S2, S3, S4])
    history = [D - timedelta(days=8 + 5 * k) for k in range(73)]
    rows = [(cell, day, L) for cell in (S1, S2) for day in history]
    rows += [(S1, D - timedelta(days=k), U) for k in range(7)]
    rows += [(S2, D - timedelta(days=k), U) for k in range(6)]
    rows += [(S2, D - timedelta(days=400), L)]
    rows += [(S3, D - timedelta(days=k), U) for k in range(3)] + [(S4, D - timedelta(days=k), U) for k in range(2)]
    _disputes(session, rows)
    refresh_aggregates(session)
    return session


def test_a_spike_fires_above_the_poisson_bound_with_its_numbers(spike_data):
    signals = compute_signals(spike_data, D)
    assert list(signals.columns) == SIGNAL_COLUMNS
    spikes = _by_key(signals[signals["kind"] == "spike"])
    s1 = spikes[f"spike:{S1}:{D}"]
    # 7-day window: baseline (D-372, D-7] holds all 73 history disputes → 73 / 365 = 0.2 a day → 1.4 expected.
    assert s1["observed"] == 7 and s1["expected"] == pytest.approx(1.4)
    assert s1["threshold"] == 6 == poisson.ppf(0.999, 1.4)  # 7 > 6: fires
    assert s1["level"] == "grid" and s1["severity"] == 2  # tail P(X >= 7) = 0.00062, not below 1e-6
    assert s1["details"]["window_days"] == 7 and s1["details"]["baseline_days"] == 365
    # 30-day window: 7 + the 5 history disputes of D-8 … D-28 = 12 observed; baseline (D-395, D-30] holds
    # 73 - 5 = 68 → 68 / 365 × 30 = 5.589 expected, bound 14: 12 does not exceed it.
    thirty = next(w for w in s1["details"]["windows"] if w["window_days"] == 30)
    assert thirty["observed"] == 12 and thirty["expected"] == pytest.approx(68 / 365 * 30)
    assert thirty["threshold"] == 14 and not thirty["fired"]
    assert "近 7 日登记矛盾纠纷 7 件" in s1["reason"] and "1.4" in s1["reason"] and "6 件" in s1["reason"]
    # 老城街道 holds only S1: the same numbers at township level.
    township = spikes[f"spike:411502001000:{D}"]
    assert (township["observed"], township["expected"], township["level"]) == (7, pytest.approx(1.4), "township")
    assert township["unit_name"] == "老城街道"


@pytest.mark.parametrize("unit", [S2, "411502002000", S4])
def test_no_spike_at_or_below_the_bound(spike_data, unit):
    # S2 (and 民权街道): 6 in 7 days against the same bound of 6 (not above it); over 30 days 11 ≤ 14.
    # S4: 2 disputes and no history: bound 0, but fewer than MIN_SPIKE_COUNT (3).
    signals = compute_signals(spike_data, D)
    assert unit not in set(signals.loc[signals["kind"] == "spike", "unit_code"])


def test_a_cell_without_history_needs_three_disputes(spike_data):
    s3 = _by_key(compute_signals(spike_data, D))[f"spike:{S3}:{D}"]
    assert (s3["observed"], s3["expected"], s3["threshold"]) == (3, 0, 0)
    assert s3["severity"] == 3  # P(X >= 3 | mean 0) = 0 < 1e-6: 重大


def test_no_spike_when_the_history_is_too_short(session):
    _cells(session, [S1])
    _disputes(session, [(S1, D - timedelta(days=k), U) for k in range(20)])
    refresh_aggregates(session)
    assert (compute_signals(session, D)["kind"] != "spike").all()


# --- (b) forming collective cases ---------------------------------------------------------------------------------

@pytest.fixture
def collective_data(session):
    """C1: 5 households in 5 labour disputes within 30 days (fires).
    C2: 4 households in 5 labour disputes (one household twice): 4 < 5, no cell signal; its neighbour C2B (same
    village 411502002001) adds a fifth household in labour: the village fires.
    C3: 3 households in labour and 2 in urban construction: neither domain reaches 5.
    C4: 4 households in the window and a fifth on D-30, one day before the window (D-29 … D)."""
    _cells(session, [C1, C2, C2B, C3, C4])
    h1, h2, h2b = _households(session, C1, 5), _households(session, C2, 4), _households(session, C2B, 1)
    h3, h4 = _households(session, C3, 5), _households(session, C4, 5)
    plan = [(C1, D - timedelta(days=k), L, [h1[k]]) for k in range(5)]
    plan += [(C2, D - timedelta(days=k), L, [h2[k % 4]]) for k in range(5)] + [(C2B, D, L, h2b)]
    plan += [(C3, D, L, h3[:3]), (C3, D, U, h3[3:])]
    plan += [(C4, D - timedelta(days=29), L, h4[:4]), (C4, D - timedelta(days=30), L, h4[4:])]
    ids = _disputes(session, [(grid, day, domain) for grid, day, domain, _ in plan])
    for dispute_id, (*_, households) in zip(ids, plan):
        _involve(session, dispute_id, households)
    return session


def test_five_households_of_one_cell_fire_four_do_not(collective_data):
    signals = compute_signals(collective_data, D)
    collective = _by_key(signals[signals["kind"] == "collective"])
    c1 = collective[f"collective:{C1}:{D}"]
    assert (c1["observed"], c1["threshold"], c1["level"]) == (5, COLLECTIVE_HOUSEHOLDS, "grid")
    assert c1["details"]["domains"] == [{"domain": L, "label": "劳动社保", "households": 5, "disputes": 5}]
    assert "5 户卷入“劳动社保”类矛盾纠纷（5 件）" in c1["reason"] and c1["severity"] == 2
    assert math.isnan(c1["expected"])
    raised = {row["unit_code"] for row in collective.values()}
    assert C2 not in raised and C2B not in raised  # 4 and 1 households
    assert C3 not in raised and "411522001001" not in raised  # 3 + 2 in different domains
    assert C4 not in raised and "411522001002" not in raised  # the fifth household is outside the 30 days


def test_a_village_fires_when_its_cells_together_reach_five(collective_data):
    collective = _by_key(compute_signals(collective_data, D))
    village = collective[f"collective:411502002001:{D}"]
    assert (village["level"], village["observed"]) == ("village", 5)
    # C1's village is not raised again: its cell already is.
    assert f"collective:411502001001:{D}" not in collective


# --- (c) repeat petitioners and first-time petitions lodged high ---------------------------------------------------

PETITION_FIELDS = ("ref", "grid", "first", "previous", "level", "received", "id_number", "heads")


@pytest.fixture
def petition_data(session):
    _cells(session, [S1, S3])
    rows = [
        # A: third petition in 12 months on D-2 (2023-07-01 is inside (2023-06-30, D]) → fires.
        ("A1", S1, True, None, "county", "2023-07-01", "411502199001010011", 1),
        ("A2", S1, True, None, "county", "2024-03-01", "411502199001010011", 1),
        ("A3", S1, True, None, "county", "2024-06-28", "411502199001010011", 1),
        # B: only a second petition → no signal.
        ("B1", S1, True, None, "county", "2024-01-05", "411502199002020022", 1),
        ("B2", S1, True, None, "county", "2024-06-29", "411502199002020022", 1),
        # C: three petitions, but the first is exactly 12 months back (2023-06-30, outside) → 2 → no signal.
        ("C1", S3, True, None, "county", "2023-06-30", "411522199003030033", 1),
        ("C2", S3, True, None, "county", "2024-02-01", "411522199003030033", 1),
        ("C3", S3, True, None, "county", "2024-06-30", "411522199003030033", 1),
        # Chains without ID numbers: K1 → K2 → K3 (third of its chain, fires); M1 → M2 (second, does not).
        ("K1", S3, True, None, "county", "2023-01-10", None, 1),
        ("K2", S3, False, "K1", "county", "2023-09-10", None, 1),
        ("K3", S3, False, "K2", "county", "2024-06-27", None, 1),
        ("M1", S3, True, None, "county", "2024-01-10", None, 1),
        ("M2", S3, False, "M1", "county", "2024-06-27", None, 1),
        # First-time petitions: at county (no signal), at city (fires, 较大), in Beijing (fires, 特别重大);
        # a repeat at city is not a first-time escalation.
        ("E1", S1, True, None, "county", "2024-06-30", None, 1),
        ("E2", S1, True, None, "city", "2024-06-30", None, 1),
        ("E3", S3, True, None, "beijing", "2024-06-25", None, 6),
        ("E4", S3, False, "M1", "city", "2024-06-26", None, 1),
        # Outside the 7-day window (D-7): not looked at today.
        ("E5", S3, True, None, "province", "2024-06-23", None, 1),
    ]
    session.execute(sa.text(
        "INSERT INTO petition (ref_no, origin_grid_code, category, channel, domain, petitioner_name,"
        " petitioner_id_number, is_first, previous_petition_id, head_count, lodged_level, status, received_on, source)"
        " VALUES (:ref, :grid, 'complaint_request', 'visit', 'labour_social_security', '王小明', :id_number, :first,"
        " (SELECT id FROM petition WHERE ref_no = :previous), :heads, :level, 'received', CAST(:received AS date),"
        " 'entered')"
    ), [dict(zip(PETITION_FIELDS, row)) for row in rows])
    return session


def test_the_third_petition_in_twelve_months_fires_the_second_does_not(petition_data):
    repeat = _by_key(compute_signals(petition_data, D).query("kind == 'repeat_petitioner'"))
    a3 = repeat[f"repeat_petitioner:A3:{D}"]
    assert (a3["observed"], a3["threshold"], a3["unit_code"], a3["severity"]) == (3, REPEAT_PETITIONS, S1, 2)
    assert a3["details"]["petitions_12m"] == 3 and "王**" in a3["reason"] and "王小明" not in a3["reason"]
    assert "近 12 个月内已信访 3 次" in a3["reason"]
    assert not {"B2", "C3", "A1", "A2"} & {key.split(":")[1] for key in repeat}


def test_the_third_petition_of_a_chain_fires_the_second_does_not(petition_data):
    repeat = _by_key(compute_signals(petition_data, D).query("kind == 'repeat_petitioner'"))
    k3 = repeat[f"repeat_petitioner:K3:{D}"]
    assert k3["details"]["chain_length"] == 3 and k3["observed"] == 3 and "第 3 次信访" in k3["reason"]
    assert f"repeat_petitioner:M2:{D}" not in repeat


def test_first_time_petitions_lodged_above_county_level(petition_data):
    escalation = _by_key(compute_signals(petition_data, D).query("kind == 'escalation'"))
    assert set(escalation) == {f"escalation:E2:{D}", f"escalation:E3:{D}"}  # not E1 (county), E4 (repeat), E5 (D-7)
    assert escalation[f"escalation:E2:{D}"]["severity"] == 2 and "赴省进京风险" in escalation[f"escalation:E2:{D}"]["reason"]
    assert escalation[f"escalation:E3:{D}"]["severity"] == 4 and "6 人" in escalation[f"escalation:E3:{D}"]["reason"]


# --- (d) sensitive periods ----------------------------------------------------------------------------------------

def _declare(session, name, starts, ends, counties):
    session.execute(sa.text(
        "INSERT INTO sensitive_period (name, starts_on, ends_on, county_codes, declared_by, source)"
        " VALUES (:name, :starts, :ends, :counties, '测试', 'entered')"
    ), {"name": name, "starts": starts, "ends": ends, "counties": counties})


@pytest.mark.parametrize("counties, starts, ends, raised", [
    (["411502"], D, D, True),            # covers 浉河区 on D
    (None, D - timedelta(days=3), D + timedelta(days=3), True),  # the whole city
    (["411522"], D, D, False),           # another county
    (["411502"], D - timedelta(days=5), D - timedelta(days=1), False),  # ended the day before
])
def test_a_sensitive_period_raises_the_severity(petition_data, counties, starts, ends, raised):
    before = _by_key(compute_signals(petition_data, D))[f"escalation:E2:{D}"]  # 浉河区, 较大 (2)
    _declare(petition_data, "全国两会", starts, ends, counties)
    after = _by_key(compute_signals(petition_data, D))[f"escalation:E2:{D}"]
    assert after["severity"] == (3 if raised else 2) and before["severity"] == 2
    assert ("全国两会" in after["reason"]) == raised and (after["sensitive_periods"] == ["全国两会"]) == raised


def test_signals_work_without_the_sensitive_period_table(petition_data):
    petition_data.execute(sa.text("DROP TABLE sensitive_period"))  # rolled back with the test
    assert petition_data.execute(sa.text("SELECT to_regclass('sensitive_period')")).scalar() is None
    signals = _by_key(compute_signals(petition_data, D))
    assert signals[f"escalation:E2:{D}"]["severity"] == 2


def test_beijing_stays_at_the_top_step_in_a_sensitive_period(petition_data):
    _declare(petition_data, "国庆", D, D, None)
    assert _by_key(compute_signals(petition_data, D))[f"escalation:E3:{D}"]["severity"] == 4


def test_a_quiet_day_has_no_signals(session):
    assert compute_signals(session, D).empty


# --- acknowledgements ---------------------------------------------------------------------------------------------

def by(username: str, name: str) -> Principal:
    return Principal(username, Role.COUNTY_SUPERVISOR, S1[:6], name)


def test_acknowledging_adds_rows_that_cannot_be_changed_or_removed(petition_data):
    session, key = petition_data, f"escalation:E2:{D}"
    acknowledge(session, key, by("li", "李督查"), "已电话核实，网格员跟进")
    signal = acknowledge(session, key, by("wang", "王科长"))
    assert signal["unit_code"] == S1 and signal["severity"] == 2
    acks = acknowledgements(session, [key])
    assert acks[["acknowledged_by", "kind", "day", "unit_code"]].values.tolist() == [
        ["李督查", "escalation", D, S1], ["王科长", "escalation", D, S1]]
    assert acks["note"].iat[0] == "已电话核实，网格员跟进" and acks["note"].isna().iat[1]
    for statement in ("UPDATE signal_ack SET note = 'x'", "DELETE FROM signal_ack", "TRUNCATE signal_ack"):
        with pytest.raises(IntegrityError, match="append-only"):
            with session.begin_nested():
                session.execute(sa.text(statement))
    assert len(acknowledgements(session, [key])) == 2
    assert acknowledged_count(session, [key, f"escalation:E3:{D}"]) == 1
    logged = session.execute(sa.text("SELECT username, detail->>'signal_key' FROM audit_log"
                                     " WHERE action = 'acknowledge_signal' ORDER BY id")).all()
    assert [tuple(row) for row in logged] == [("li", key), ("wang", key)]


def test_the_unit_of_an_acknowledgement_is_the_signals_own(petition_data):
    # E3 was lodged from 光山县 (S3): a 浉河区 supervisor may not acknowledge it, whatever unit they claim.
    with pytest.raises(Forbidden, match="不在您的管辖范围"):
        acknowledge(petition_data, f"escalation:E3:{D}", by("zhang", "张三"))
    assert petition_data.execute(sa.text("SELECT count(*) FROM signal_ack")).scalar() == 0
    acknowledge(petition_data, f"escalation:E3:{D}", Principal("zhao", Role.COUNTY_SUPERVISOR, S3[:6], "赵"))
    assert acknowledgements(petition_data, [f"escalation:E3:{D}"])["unit_code"].tolist() == [S3]


@pytest.mark.parametrize("key, note, error, message", [
    (f"escalation:E2:{D}", "注" * 501, InvalidInput, "备注过长"),
    (f"escalation:E2:{D}", ["注"], InvalidInput, "备注应为文字"),
    (f"planet:{S1}:{D}", None, InvalidInput, "预警编号"),
    (f"spike:{S1}:2024-02-30", None, InvalidInput, "日期无效"),
    (None, None, InvalidInput, "预警编号"),
    (f"escalation:E1:{D}", None, NotFound, "找不到预警"),  # E1 raises no signal
    (f"escalation:E2:{D - timedelta(days=1)}", None, NotFound, "找不到预警"),
])
def test_an_acknowledgement_is_checked(petition_data, key, note, error, message):
    with pytest.raises(error, match=message):
        acknowledge(petition_data, key, by("zhang", "张三"), note)


def _ack_row(session, key: str, unit: str, name: str, note: str | None = None) -> None:
    session.execute(sa.text("INSERT INTO signal_ack (signal_key, day, kind, unit_code, acknowledged_by, note)"
                            " VALUES (:key, CAST(:day AS date), :kind, :unit, :name, :note)"),
                    {"key": key, "day": key[-10:], "kind": key.split(":")[0], "unit": unit, "name": name, "note": note})


def test_earlier_acknowledgements_of_the_same_subject(session):
    _ack_row(session, f"spike:{S1}:{D - timedelta(days=2)}", S1, "甲", "第一次")
    _ack_row(session, f"spike:{S1}:{D - timedelta(days=1)}", S1, "乙", "第二次")
    _ack_row(session, f"spike:{S2}:{D - timedelta(days=1)}", S2, "丙")
    _ack_row(session, f"spike:{S1}:{D}", S1, "丁")  # today's own: not "earlier"
    earlier = earlier_acknowledgements(session, [f"spike:{S1}:{D}", f"collective:{S1}:{D}"], D)
    assert earlier[["for_key", "acknowledged_by", "note"]].values.tolist() == [[f"spike:{S1}:{D}", "乙", "第二次"]]
