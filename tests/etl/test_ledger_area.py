"""Imports confined to the importer's area, and the progress an import reports."""

from __future__ import annotations

import sqlalchemy as sa

from etl.ledgers import LEDGER_PHASES, load_ledger, read_ledger
from tests.etl.ledger_files import (
    DISPUTE_HEADERS,
    HOTLINE_HEADERS,
    PETITION_HEADERS,
    cells_in_two_townships,
    dispute_row,
    write_csv,
    write_xlsx,
)


def township_name(session, prefix: str) -> str:
    return session.execute(sa.text("SELECT name FROM region WHERE code = rpad(:p, 12, '0')"), {"p": prefix}).scalar()


def test_rows_outside_the_importers_township_are_refused_and_never_written(demo_session, tmp_path):
    mine, theirs = cells_in_two_townships(demo_session)
    within = mine[0].code[:9]
    theirs_ref, theirs_summary = demo_session.execute(sa.text(
        "SELECT ref_no, summary FROM dispute WHERE starts_with(grid_code, :t) ORDER BY ref_no LIMIT 1"
    ), {"t": theirs[0].code[:9]}).one()
    path = write_csv(tmp_path / "two.csv", DISPUTE_HEADERS, [
        dispute_row("A1", mine[0]), dispute_row("A2", mine[1]), dispute_row("B1", theirs[0]),
        dispute_row("B2", theirs[1]), dispute_row(theirs_ref, mine[0], summary="改写别处的纠纷")])
    result = load_ledger(read_ledger(path, "disputes"), demo_session, within=within)
    c = result.counts
    assert (c["rows"], c["new"], c["updated"], c["refused"]) == (5, 2, 0, 3)
    reasons = dict(zip(result.refusals["row"], result.refusals["reason"]))
    area = f"{township_name(demo_session, within)}（{within}）"
    for row, cell in ((4, theirs[0]), (5, theirs[1])):
        assert reasons[row].startswith(f"第 {row} 行：网格 {cell.code}（{cell.township}")
        assert reasons[row].endswith(f"不在您的管辖范围（{area}）内，未导入")
    assert f"纠纷编号 {theirs_ref} 已有记录" in reasons[6] and "不能修改其他地区的记录" in reasons[6]
    written = demo_session.execute(sa.text("SELECT ref_no FROM dispute WHERE source = 'import' ORDER BY ref_no"))
    assert written.scalars().all() == ["A1", "A2"]
    assert demo_session.execute(sa.text("SELECT summary FROM dispute WHERE ref_no = :r"), {"r": theirs_ref}).scalar() \
        == theirs_summary
    quarantined = demo_session.execute(sa.text(
        "SELECT row_number, column_name FROM import_quarantine WHERE batch_id = :b ORDER BY row_number"
    ), {"b": result.batch_id}).all()
    assert [tuple(q) for q in quarantined] == [(4, "位置"), (5, "位置"), (6, "纠纷编号")]
    county = load_ledger(read_ledger(path, "disputes"), demo_session, within=within[:6]).counts
    assert (county["new"], county["unchanged"], county["updated"], county["refused"]) == (2, 2, 1, 0)


def test_petitions_and_tickets_of_another_area_are_refused(demo_session, tmp_path):
    mine, theirs = cells_in_two_townships(demo_session)
    within = mine[0].code[:9]
    theirs_ref = demo_session.execute(sa.text(
        "SELECT ref_no FROM petition WHERE starts_with(origin_grid_code, :t) AND hotline_ticket IS NULL"
        " ORDER BY ref_no LIMIT 1"), {"t": theirs[0].code[:9]}).scalar()
    petitions = write_csv(tmp_path / "p.csv", PETITION_HEADERS, [
        ["AP1", "2024-05-01", "申诉求决类", "来访", "劳动社保", "是", "县级", "张三", "13800138000", "", "", "", "", mine[0].code],
        ["AP2", "2024-05-01", "申诉求决类", "来访", "劳动社保", "是", "县级", "李四", "", "", "", "", "", theirs[0].code]])
    result = load_ledger(read_ledger(petitions, "petitions"), demo_session, within=within)
    assert (result.counts["new"], result.counts["refused"]) == (1, 1)
    assert "不在您的管辖范围" in result.refusals["reason"].iloc[0]
    hotline = write_xlsx(tmp_path / "h.xlsx", HOTLINE_HEADERS, [
        ["AT-1", "2024-05-02", "求助", "劳动社保", "转出", "AP1", "张三", "13800138000", "办理中", "", "", ""],
        ["AT-2", "2024-05-02", "求助", "劳动社保", "转出", theirs_ref, "", "", "办理中", "", "", ""]])
    result = load_ledger(read_ledger(hotline, "hotline"), demo_session, within=within)
    assert (result.counts["linked"], result.counts["refused"]) == (1, 1)
    assert f"关联的信访件 {theirs_ref} 位于网格" in result.refusals["reason"].iloc[0]
    assert demo_session.execute(sa.text("SELECT hotline_ticket FROM petition WHERE ref_no = :r"),
                                {"r": theirs_ref}).scalar() is None


def test_an_import_reports_its_phases_until_every_row_is_done(demo_session, tmp_path):
    mine, _ = cells_in_two_townships(demo_session)
    path = write_csv(tmp_path / "p.csv", DISPUTE_HEADERS, [dispute_row(f"P{i}", mine[i % 2]) for i in range(7)])
    heard: list[tuple[str, int, int]] = []
    frame = read_ledger(path, "disputes", chunk_rows=3, progress=lambda *report: heard.append(report))
    load_ledger(frame, demo_session, progress=lambda *report: heard.append(report))
    phases = list(dict.fromkeys(phase for phase, _, _ in heard))
    assert phases == list(LEDGER_PHASES)
    assert [done for phase, done, _ in heard if phase == "read"] == [0, 3, 6, 7]
    for phase in LEDGER_PHASES:
        done = [(d, t) for p, d, t in heard if p == phase]
        assert done[-1][0] == done[-1][1] == 7 and all(d <= t for d, t in done), phase


def test_the_bulk_path_writes_and_reports_as_the_small_one(demo_session, tmp_path, monkeypatch):
    from etl import ledger_writing

    mine, _ = cells_in_two_townships(demo_session)
    monkeypatch.setattr(ledger_writing, "BULK_ROWS", 3)  # secondary indexes and foreign keys rebuilt after the COPY
    first = write_csv(tmp_path / "b1.csv", DISPUTE_HEADERS, [dispute_row(f"K{i}", mine[i % 2]) for i in range(5)])
    assert load_ledger(read_ledger(first, "disputes"), demo_session).counts["new"] == 5
    again = write_csv(tmp_path / "b2.csv", DISPUTE_HEADERS, [
        *(dispute_row(f"K{i}", mine[i % 2]) for i in range(4)), dispute_row("K4", mine[0], summary="已改"),
        *(dispute_row(f"L{i}", mine[1]) for i in range(3))])
    heard: list[tuple[str, int, int]] = []
    counts = load_ledger(read_ledger(again, "disputes"), demo_session, progress=lambda *r: heard.append(r)).counts
    assert (counts["new"], counts["updated"], counts["unchanged"]) == (3, 1, 4)
    assert [(d, t) for p, d, t in heard if p == "write"][-1] == (8, 8)
    indexes = demo_session.execute(sa.text("SELECT count(*) FROM pg_indexes WHERE tablename = 'dispute'")).scalar()
    assert indexes == 8 and demo_session.execute(sa.text(
        "SELECT summary FROM dispute WHERE ref_no = 'K4'")).scalar() == "已改"


def test_a_large_preview_leaves_the_dispute_table_readable(demo_engine, demo_session, tmp_path, monkeypatch):
    """Past ``BULK_ROWS`` an import rebuilds the indexes of ``dispute`` around its COPY, locking readers out until
    it commits; a preview (rolled back anyway) copies with the indexes in place, so the dashboard reads on."""
    from etl import ledger_writing

    mine, _ = cells_in_two_townships(demo_session)
    monkeypatch.setattr(ledger_writing, "BULK_ROWS", 3)
    path = write_csv(tmp_path / "m.csv", DISPUTE_HEADERS, [dispute_row(f"M{i}", mine[i % 2]) for i in range(5)])

    def readable() -> bool:  # a dashboard query, from another connection, while the import is in its write phase
        with demo_engine.connect() as conn:
            conn.execute(sa.text("SET lock_timeout = '300ms'"))
            try:
                conn.execute(sa.text("SELECT count(*) FROM dispute WHERE ref_no = 'M0'"))
            except sa.exc.OperationalError:
                return False
            return True

    def reads_during_write(dry_run: bool) -> list[bool]:
        seen: list[bool] = []
        load_ledger(read_ledger(path, "disputes"), demo_session, dry_run=dry_run,
                    progress=lambda phase, done, _total: seen.append(readable()) if phase == "write" and done else None)
        return seen

    preview = reads_during_write(dry_run=True)
    assert preview and all(preview)
    assert not all(reads_during_write(dry_run=False))  # the real import takes the bulk path
