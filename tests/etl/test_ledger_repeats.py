"""Repeat petitions from ledgers linked to the petition they repeat (same petitioner, same matter)."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from etl.identity import check_digits
from etl.ledgers import load_ledger, read_ledger
from tests.etl.ledger_files import cells_in_two_townships, write_csv

HEADERS = ["信访件编号", "登记日期", "信访类别", "信访形式", "问题类别", "是否初信初访", "信访层级", "信访人", "身份证号",
           "联系电话", "网格编码"]


def id_number(first17: str) -> str:
    return first17 + check_digits(np.array([[int(c) for c in first17]]))[0]


ZHANG = id_number("11010519700101001")
LI = id_number("11010519800101002")


def petition(ref: str, day: str, first: str, cell, name="张三", idn=ZHANG, phone="13800138000", domain="劳动社保"):
    return [ref, day, "申诉求决类", "来访", domain, first, "县级", name, idn, phone, cell.code]


def previous_of(session, ref: str) -> str | None:
    return session.execute(sa.text(
        "SELECT o.ref_no FROM petition p LEFT JOIN petition o ON o.id = p.previous_petition_id WHERE p.ref_no = :r"
    ), {"r": ref}).scalar()


def imported(session, tmp_path, name: str, rows, **options):
    return load_ledger(read_ledger(write_csv(tmp_path / name, HEADERS, rows), "petitions"), session, **options)


def test_a_repeat_follows_the_latest_earlier_petition_of_the_same_petitioner_and_matter(demo_session, tmp_path):
    mine, _ = cells_in_two_townships(demo_session)
    cell = mine[0]
    rows = [
        petition("RP1", "2024-03-01", "是", cell),
        petition("RP2", "2024-05-01", "否", cell),  # repeats RP1
        petition("RP3", "2024-07-01", "否", cell),  # repeats RP2: the chain goes on
        petition("RP4", "2024-06-01", "否", cell, idn="", name="李四", phone="13900139000"),  # no earlier petition
        petition("RP5", "2024-04-01", "是", cell, idn="", name="李四", phone="13900139000", domain="婚姻家庭"),
        petition("RP6", "2024-08-01", "否", cell, idn=LI, name="李四", phone="13900139000", domain="婚姻家庭"),
        petition("RP7", "2024-09-01", "否", cell, domain="城乡建设"),  # another matter: no link
    ]
    result = imported(demo_session, tmp_path, "r.csv", rows)
    assert result.counts["new"] == 7 and result.counts["repeats_linked"] == 3
    assert [previous_of(demo_session, f"RP{i}") for i in range(1, 8)] == [None, "RP1", "RP2", None, None, "RP5", None]
    assert "3 件重复信访已关联到此前的信访件" in result.summary()
    assert any("有 2 件重复信访在系统中找不到" in note for note in result.notes)
    again = imported(demo_session, tmp_path, "r.csv", rows).counts
    assert (again["new"], again["updated"], again["unchanged"], again["repeats_linked"]) == (0, 0, 7, 3)


def test_a_repeat_imported_before_its_first_petition_is_linked_when_that_arrives(demo_session, tmp_path):
    mine, theirs = cells_in_two_townships(demo_session)
    first = imported(demo_session, tmp_path, "a.csv", [petition("EP2", "2024-05-01", "否", mine[0])])
    assert first.counts["repeats_linked"] == 0 and previous_of(demo_session, "EP2") is None
    later = imported(demo_session, tmp_path, "b.csv", [petition("EP1", "2024-03-01", "是", mine[1])])
    assert "另有 1 件此前导入的重复信访关联到了本次导入的信访件" in later.notes
    assert previous_of(demo_session, "EP2") == "EP1"
    # Another township's supervisor does not change that township's petitions: EQ2 stays unlinked.
    imported(demo_session, tmp_path, "c.csv", [petition("EQ2", "2024-05-01", "否", theirs[0], idn=LI)])
    imported(demo_session, tmp_path, "d.csv", [petition("EQ1", "2024-03-01", "是", mine[0], idn=LI)],
             within=mine[0].code[:9])
    assert previous_of(demo_session, "EQ2") is None


def test_a_repeat_marked_first_on_reimport_loses_its_link(demo_session, tmp_path):
    mine, _ = cells_in_two_townships(demo_session)
    rows = [petition("FP1", "2024-03-01", "是", mine[0]), petition("FP2", "2024-05-01", "否", mine[0])]
    imported(demo_session, tmp_path, "f.csv", rows)
    assert previous_of(demo_session, "FP2") == "FP1"
    rows[1][5] = "是"
    counts = imported(demo_session, tmp_path, "f2.csv", rows).counts
    assert (counts["updated"], counts["repeats_linked"]) == (1, 0) and previous_of(demo_session, "FP2") is None
