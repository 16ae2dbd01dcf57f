"""A county's own dispute ledger goes in whole: title rows, 事件编号, parties, finders, warnings (issue #12)."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from etl.ledger_reports import WARNINGS_SHEET, error_report, quarantine_report
from etl.ledgers import load_ledger, read_ledger
from geo.access import Principal
from geo.enums import Role
from geo.errors import Forbidden
from geo.reveal import masked, reveal
from tests.conftest import audit_entries

HEADERS = ["事件编号", "登记时间", "矛盾类型", "化解状态", "当事人", "身份证号", "联系电话", "排查人", "网格编码"]


def county_ledger(path, rows) -> str:
    """A workbook as a county keeps it: a title row, a blank row, then the header."""
    book = Workbook()
    sheet = book.active
    sheet.title = "矛盾纠纷"
    sheet.append(["××镇矛盾纠纷排查化解台账（2024年）"])
    sheet.append([])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def people(demo_session):
    """A household with an ID number, one whose head's name is unique in its village, and a member whose
    name is unique in that township, all in one township."""
    by_id = demo_session.execute(sa.text(
        "SELECT h.id, h.grid_code, h.head_name, h.head_id_number FROM household h WHERE h.head_id_number IS NOT NULL"
        " AND (SELECT count(*) FROM household x WHERE x.head_id_number = h.head_id_number) = 1 ORDER BY h.id LIMIT 1"
    )).one()
    by_name = demo_session.execute(sa.text(
        "SELECT h.id, h.grid_code, h.head_name FROM household h WHERE left(h.grid_code, 9) = left(:grid, 9)"
        " AND h.id <> :id AND (SELECT count(*) FROM household x WHERE x.head_name = h.head_name"
        " AND left(x.grid_code, 12) = left(h.grid_code, 12)) = 1 ORDER BY h.id LIMIT 1"
    ), {"grid": by_id.grid_code, "id": by_id.id}).one()
    member = demo_session.execute(sa.text(
        "SELECT m.id, m.name FROM party_member m WHERE m.township_code = left(:grid, 9) || '000'"
        " AND (SELECT count(*) FROM party_member x WHERE x.name = m.name AND x.township_code = m.township_code) = 1"
        " ORDER BY m.id LIMIT 1"
    ), {"grid": by_id.grid_code}).one()
    return by_id, by_name, member


def test_a_county_ledger_with_title_parties_and_no_resolution_dates(demo_session, tmp_path, people):
    by_id, by_name, member = people
    rows = [
        ["SJ-1", "2024-03-05", "邻里纠纷", "已化解", f"{by_id.head_name}、{by_name.head_name}",
         f"{by_id.head_id_number}、", "13800138000；13900139000", member.name, by_id.grid_code],
        ["SJ-2", "2024-03-06", "婚姻家庭", "调解中", "外乡人", "123", "", "不是党员的人", by_name.grid_code],
        ["SJ-3", "2024-03-07", "打架", "已登记", "", "", "", "", by_id.grid_code],
        ["SJ-4", "2024-03-08", "邻里纠纷", "已登记", "", "", "", "", ""],
    ]
    path = county_ledger(tmp_path / "县台账.xlsx", rows)
    frame = read_ledger(path, "disputes")
    assert sorted(frame.records["key"]) == ["SJ-1", "SJ-2"]
    assert not any("不是台账字段" in note for note in frame.notes)

    result = load_ledger(frame, demo_session)
    c = result.counts
    assert (c["rows"], c["loaded"], c["warned"], c["refused"], c["new"]) == (4, 0, 2, 2, 2)
    assert c["loaded"] + c["warned"] + c["refused"] == c["rows"]
    warnings = dict(zip(result.warnings["row"], result.warnings["reason"]))
    assert "已化解" in warnings[4] and "不计入化解用时" in warnings[4] and "个数不一致" in warnings[4]
    assert "身份证号" in warnings[5] and "格式不对" in warnings[5]
    refusals = dict(zip(result.refusals["row"], result.refusals["reason"]))
    assert "“打架”无法识别" in refusals[6] and "缺少位置" in refusals[7]

    dispute = demo_session.execute(sa.text(
        "SELECT id, status, resolved_at, found_by_member_id, found_by_name FROM dispute WHERE ref_no = 'SJ-1'")).one()
    assert (dispute.status, dispute.resolved_at, dispute.found_by_member_id, dispute.found_by_name) == (
        "resolved", None, member.id, None)
    other = demo_session.execute(sa.text(
        "SELECT found_by_member_id, found_by_name FROM dispute WHERE ref_no = 'SJ-2'")).one()
    assert tuple(other) == (None, "不是党员的人")
    parties = demo_session.execute(sa.text(
        "SELECT position, name, id_number, phone, household_id FROM dispute_party WHERE dispute_id = :id ORDER BY position"
    ), {"id": dispute.id}).all()
    assert [tuple(p) for p in parties] == [
        (0, by_id.head_name, by_id.head_id_number, "13800138000", by_id.id),  # linked by ID number
        (1, by_name.head_name, None, "13900139000", by_name.id)]  # linked by name in the village
    involved = demo_session.execute(sa.text("SELECT household_id FROM dispute_household WHERE dispute_id = :id"),
                                    {"id": dispute.id}).scalars().all()
    assert {by_id.id, by_name.id} <= set(involved)
    stranger = demo_session.execute(sa.text(
        "SELECT p.name, p.id_number, p.household_id FROM dispute_party p JOIN dispute d ON d.id = p.dispute_id"
        " WHERE d.ref_no = 'SJ-2'")).one()
    assert tuple(stranger) == ("外乡人", None, None)

    kept = demo_session.execute(sa.text(
        "SELECT row_number, warning FROM import_quarantine WHERE batch_id = :id ORDER BY row_number"),
        {"id": result.batch_id}).all()
    assert [tuple(k) for k in kept] == [(4, True), (5, True), (6, False), (7, False)]
    for report in (error_report(result), quarantine_report(demo_session, result.batch_id)):
        book = load_workbook(io.BytesIO(report))
        assert [c.value for c in book["矛盾纠纷"]["A"][1:]] == ["SJ-3", "SJ-4"]
        shown = [[c.value for c in row] for row in book[WARNINGS_SHEET].iter_rows(min_row=2)]
        assert [(r[0], r[1]) for r in shown] == [("矛盾纠纷", 4), ("矛盾纠纷", 5)]
        assert by_id.head_id_number not in str(shown)

    again = load_ledger(read_ledger(path, "disputes"), demo_session)
    assert (again.counts["new"], again.counts["updated"], again.counts["unchanged"]) == (0, 0, 2)
    assert demo_session.execute(sa.text(
        "SELECT count(*) FROM dispute_party p JOIN dispute d ON d.id = p.dispute_id WHERE d.ref_no LIKE 'SJ-%'"
    )).scalar() == 3
    rows[0][4] = by_id.head_name  # one party fewer: an update
    changed = load_ledger(read_ledger(county_ledger(tmp_path / "改.xlsx", rows), "disputes"), demo_session)
    assert (changed.counts["updated"], changed.counts["unchanged"]) == (1, 1)


def test_a_partys_fields_are_masked_and_each_reveal_is_logged(demo_session, tmp_path, people):
    by_id, _, _ = people
    path = county_ledger(tmp_path / "p.xlsx", [["SJ-9", "2024-03-05", "邻里纠纷", "已登记", by_id.head_name,
                                               by_id.head_id_number, "13800138000", "", by_id.grid_code]])
    load_ledger(read_ledger(path, "disputes"), demo_session)
    party = demo_session.execute(sa.text(
        "SELECT p.id FROM dispute_party p JOIN dispute d ON d.id = p.dispute_id WHERE d.ref_no = 'SJ-9'")).scalar()
    assert masked("dispute_party", "id_number", by_id.head_id_number) == (
        by_id.head_id_number[:6] + "********" + by_id.head_id_number[-4:])
    township = by_id.grid_code[:9] + "000"
    mine = Principal("sup_here", Role.TOWNSHIP_SUPERVISOR, township, "乡镇督导")
    assert reveal(demo_session, mine, "dispute_party", party, "id_number") == by_id.head_id_number
    assert reveal(demo_session, mine, "dispute_party", party, "phone") == "13800138000"
    other = demo_session.execute(sa.text(
        "SELECT code FROM region WHERE level = 'township' AND code <> :t ORDER BY code LIMIT 1"), {"t": township}).scalar()
    elsewhere = Principal("sup_there", Role.TOWNSHIP_SUPERVISOR, other, "乡镇督导")
    with pytest.raises(Forbidden):
        reveal(demo_session, elsewhere, "dispute_party", party, "name")
    assert [(e.action, e.detail["field"]) for e in audit_entries(demo_session, "sup_here")] == [
        ("reveal", "id_number"), ("reveal", "phone")]
    assert [e.action for e in audit_entries(demo_session, "sup_there")] == ["refused"]


GOOD, BAD_OPTIONAL, BAD_REQUIRED = "good", "bad_optional", "bad_required"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from([GOOD, BAD_OPTIONAL, BAD_REQUIRED]), min_size=1, max_size=12),
       optional=st.sampled_from(["风险等级", "涉及户数", "化解时间", "身份证号", "化解状态"]))
def test_counts_add_up_for_any_mix_of_rows(demo_session, tmp_path_factory, people, kinds, optional):
    grid = people[0].grid_code
    headers = ["纠纷编号", "登记时间", "纠纷类别", "风险等级", "涉及户数", "化解时间", "身份证号", "化解状态", "网格编码"]
    bad = {"风险等级": "紫色", "涉及户数": "很多", "化解时间": "2023-01-01", "身份证号": "4115", "化解状态": "已化解"}
    rows = []
    for i, kind in enumerate(kinds):
        row = [f"H{i}", "2024-03-05", "邻里纠纷", "一般", "2", "", "", "已登记", grid]
        if kind == BAD_OPTIONAL:
            row[headers.index(optional)] = bad[optional]
        elif kind == BAD_REQUIRED:
            row[1 + i % 2] = ["明天", "打架"][i % 2]
        rows.append(row)
    path = tmp_path_factory.mktemp("mix") / "mix.xlsx"
    book = Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    book.save(path)
    with demo_session.begin_nested() as savepoint:
        result = load_ledger(read_ledger(path, "disputes"), demo_session)
        savepoint.rollback()
    c = result.counts
    assert c["loaded"] + c["warned"] + c["refused"] == c["rows"] == len(kinds)
    assert (c["loaded"], c["warned"], c["refused"]) == (kinds.count(GOOD), kinds.count(BAD_OPTIONAL),
                                                        kinds.count(BAD_REQUIRED))
    assert c["new"] + c["updated"] + c["unchanged"] == c["loaded"] + c["warned"]
