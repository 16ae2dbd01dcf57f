"""Ledger rows placed by names as counties write them: townships as their government, villages with the township
in front, 社区 and 村 of one name, villages still without grid cells (refused with the reason, never dropped)."""

from __future__ import annotations

import sqlalchemy as sa

from etl.ledgers import load_ledger, read_ledger
from tests.etl.ledger_files import write_xlsx

HEADERS = ["纠纷编号", "登记时间", "纠纷类别", "乡镇（街道）", "村（社区）"]


def _unit(session, *, with_grid: bool, suffix: str = ""):
    """The first village (short name ending in ``suffix``) of a township whose name is unique, with or without grid cells."""
    return session.execute(sa.text(
        "SELECT v.code, v.short_name, t.name AS township, min(g.code) AS cell"
        " FROM region v JOIN region t ON t.code = v.parent_code LEFT JOIN grid_cell g ON g.village_code = v.code"
        " WHERE v.level = 'village' AND v.short_name LIKE :pattern"
        " AND (SELECT count(*) FROM region o WHERE o.level = 'township' AND o.name = t.name) = 1"
        " GROUP BY v.code, v.short_name, t.name HAVING (min(g.code) IS NOT NULL) = :with_grid ORDER BY v.code LIMIT 1"),
        {"pattern": "%" + suffix, "with_grid": with_grid}).one()


def _load(session, tmp_path, rows):
    result = load_ledger(read_ledger(write_xlsx(tmp_path / "names.xlsx", HEADERS, rows), "disputes"), session)
    stored = dict(session.execute(sa.text("SELECT ref_no, grid_code FROM dispute WHERE ref_no LIKE 'P%'")).all())
    reasons = dict(zip(result.refusals["row"], result.refusals["reason"]))
    return result, stored, reasons


def test_a_township_written_as_its_government_and_a_village_written_after_its_township(demo_session, tmp_path):
    unit = _unit(demo_session, with_grid=True, suffix="村")
    committee = unit.short_name + "委会"
    rows = [["P1", "2024-03-05", "邻里纠纷", unit.township + "人民政府", committee],
            ["P2", "2024-03-05", "邻里纠纷", unit.township, unit.township + "人民政府" + committee],
            ["P3", "2024-03-05", "邻里纠纷", unit.township, unit.township + unit.short_name]]
    result, stored, reasons = _load(demo_session, tmp_path, rows)
    assert stored == {"P1": unit.cell, "P2": unit.cell, "P3": unit.cell}, reasons
    assert result.counts["new"] == 3


def test_a_village_without_grid_cells_is_refused_with_its_reason_never_dropped(demo_session, tmp_path):
    unit = _unit(demo_session, with_grid=False)
    result, stored, reasons = _load(demo_session, tmp_path, [["P1", "2024-03-05", "邻里纠纷", unit.township, unit.short_name]])
    assert stored == {}
    assert result.counts["refused"] == 1 and result.counts["loaded"] == 0
    assert "还没有网格" in reasons[2] and unit.code in reasons[2]


def test_a_community_and_a_village_of_one_name_are_told_apart_by_the_suffix_written(demo_session, tmp_path):
    pair = demo_session.execute(sa.text(
        "SELECT t.name, c.code, c.short_name, v.code, v.short_name FROM region c JOIN region v"
        " ON v.parent_code = c.parent_code AND v.short_name = left(c.short_name, -2) || '村'"
        " JOIN region t ON t.code = c.parent_code"
        " WHERE c.level = 'village' AND c.short_name LIKE '%社区'"
        " AND (SELECT count(*) FROM region o WHERE o.level = 'township' AND o.name = t.name) = 1 ORDER BY c.code LIMIT 1")).one()
    township, community_code, community, village_code, village = pair
    core = village[:-1]
    rows = [["P1", "2024-03-05", "邻里纠纷", township, core + "社区居委会"],
            ["P2", "2024-03-05", "邻里纠纷", township, core + "村委会"],
            ["P3", "2024-03-05", "邻里纠纷", township, core]]
    result, stored, reasons = _load(demo_session, tmp_path, rows)
    placed = {ref: code[:12] for ref, code in stored.items()}
    # Each suffix picks its own unit (placed, or refused naming that unit when it has no grid yet).
    assert placed.get("P1") == community_code or community_code in reasons.get(2, "")
    assert placed.get("P2") == village_code or village_code in reasons.get(3, "")
    assert "P3" not in placed and "对应多个" in reasons[4]
