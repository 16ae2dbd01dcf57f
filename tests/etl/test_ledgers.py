"""Importing the three ledgers from real files: headers, encodings, dates, ID numbers, places, re-imports."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from etl.crs import wgs84_to_gcj02
from etl.ledger_fields import DISPUTE_FIELDS, HOTLINE_FIELDS, PETITION_FIELDS
from etl.ledger_reports import error_report, quarantine_report, template_workbook
from etl.ledgers import PLACEHOLDER_PREFIX, load_ledger, read_ledger
from etl.tabular import normalise_header
from geo.errors import InvalidInput
from tests.etl.ledger_files import (
    DISPUTE_HEADERS,
    HOTLINE_HEADERS,
    PETITION_HEADERS,
    dispute_row,
    first_cells,
    write_csv,
    write_xlsx,
)


def imported(session, table: str = "dispute") -> int:
    return session.execute(sa.text(f"SELECT count(*) FROM {table} WHERE source = 'import'")).scalar()


@pytest.mark.parametrize("fields", [DISPUTE_FIELDS, PETITION_FIELDS, HOTLINE_FIELDS], ids=["disputes", "petitions", "hotline"])
def test_every_header_alias_means_one_field(fields):
    seen: dict[str, str] = {}
    for field in fields:
        for name in field.names():
            assert seen.setdefault(name, field.name) == field.name, f"“{name}” means {seen[name]} and {field.name}"


def test_aliases_as_counties_write_them(demo_session, tmp_path):
    cell = first_cells(demo_session, 1)[0]
    for header in ("纠纷类别", "矛盾类型", "类别", "类 别", "*纠纷类别", "纠纷类别（必填）"):
        path = write_csv(tmp_path / "a.csv", ["纠纷编号", "登记日期", header, "网格编码"], [["A1", "2024-03-05", "劳动社保", cell.code]])
        frame = read_ledger(path, "disputes")
        assert frame.records["domain"].tolist() == ["labour_social_security"], header


def test_missing_required_columns_are_listed(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["纠纷编号", "简要情况", "备注"], [["A1", "x", ""]])
    with pytest.raises(InvalidInput) as refused:
        read_ledger(path, "disputes")
    message = str(refused.value)
    assert "缺少必需的列" in message and "“登记时间”" in message and "“纠纷类别”" in message and "位置" in message
    assert "“简要情况”" not in message


def test_the_same_field_twice_refuses_the_file(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["纠纷编号", "登记时间", "纠纷类别", "矛盾类型", "网格编码"],
                     [["A1", "2024-03-05", "邻里纠纷", "邻里纠纷", "411502001001001"]])
    with pytest.raises(InvalidInput, match="“矛盾类型”列与“纠纷类别”列重复"):
        read_ledger(path, "disputes")


@pytest.mark.parametrize("encoding,detected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"),
                                               ("gb18030", "gb18030")])
def test_csv_encodings_are_detected(demo_session, tmp_path, encoding, detected):
    cells = first_cells(demo_session, 2)
    path = write_csv(tmp_path / "e.csv", DISPUTE_HEADERS,
                     [dispute_row("E1", cells[0], summary="宅基地边界纠纷（张、李两户）"),
                      dispute_row("E2", cells[1], domain="婚姻家庭")], encoding=encoding)
    frame = read_ledger(path, "disputes")
    assert frame.encoding == detected
    assert frame.records["summary"].tolist() == ["宅基地边界纠纷（张、李两户）", "相邻通行纠纷"]
    assert frame.records["domain"].tolist() == ["neighbourhood", "marriage_family"]
    assert frame.refused.empty


def test_a_file_in_no_known_encoding_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("纠纷编号,登记时间,纠纷类别\n".encode("utf-16"))
    with pytest.raises(InvalidInput, match="无法识别编码"):
        read_ledger(path, "disputes")


def test_dates_as_people_type_them(demo_session, tmp_path):
    cell = first_cells(demo_session, 1)[0]
    typed = ["2024-03-05", "2024/3/5", "2024年3月5日", 45356, dt.datetime(2024, 3, 5), "20240305", "2024-03-05 14:30",
             "2024-02-30", "明天", "2099-01-01"]
    rows = [[f"D{i}", day, "邻里纠纷", cell.code] for i, day in enumerate(typed)]
    path = write_xlsx(tmp_path / "dates.xlsx", ["纠纷编号", "登记时间", "纠纷类别", "网格编码"], rows)
    frame = read_ledger(path, "disputes")
    days = frame.records.set_index("key")["reported_at"]
    assert set(days.index) == {f"D{i}" for i in range(7)}
    assert (days.dt.normalize() == pd.Timestamp("2024-03-05")).all()
    assert days["D6"] == pd.Timestamp("2024-03-05 14:30")
    reasons = frame.refused.set_index("idx")["reason"]
    assert "“2024-02-30”不是有效的日期" in reasons[7] and "“明天”不是有效的日期" in reasons[8]
    assert "不在 2000年至今天之间" in reasons[9]


def test_id_numbers_mangled_by_excel_load_without_them_with_the_reason(demo_session, tmp_path):
    cell = first_cells(demo_session, 1)[0]
    valid = "11010519491231002X"
    ids = [valid, 411502199001011234, 4.11502e17, "4.11502E+17", "110105194912310021", "411502900101123",
           "411502199001011000", ""]
    headers = ["信访件编号", "登记日期", "信访类别", "信访形式", "问题类别", "是否初信初访", "信访层级", "身份证号", "联系电话", "网格编码"]
    rows = [[f"P{i}", "2024-03-05", "申诉求决类", "来访", "劳动社保", "是", "县级", value, "13800138000", cell.code]
            for i, value in enumerate(ids)]
    rows[-1][8] = 3766221234  # a landline typed as a number: its leading 0 is gone
    path = write_xlsx(tmp_path / "ids.xlsx", headers, rows)
    frame = read_ledger(path, "petitions")
    assert sorted(frame.records["key"]) == [f"P{i}" for i in range(8)] and frame.refused.empty
    reasons = frame.warnings.set_index("idx")["reason"]
    assert all("已导入，此项按未填写处理" in r for r in reasons)
    assert "是数字格式" in reasons[1] and "后几位已丢失" in reasons[1]
    assert "“4.11502E+17”是数字格式" in reasons[3] and "是数字格式" in reasons[2]
    assert "校验位不符" in reasons[4] and "15 位旧身份证号" in reasons[5]
    assert "可能被 Excel 当作数字截断过" in reasons[6]
    assert "联系电话" in reasons[7] and "开头的 0" in reasons[7]
    assert not any("411502199001011234" in r or "110105194912310021" in r for r in reasons)  # masked in reasons
    result = load_ledger(frame, demo_session)
    assert {k: result.counts[k] for k in ("new", "loaded", "warned", "refused")} == {
        "new": 8, "loaded": 1, "warned": 7, "refused": 0}
    stored = dict(demo_session.execute(sa.text(
        "SELECT ref_no, petitioner_id_number FROM petition WHERE ref_no LIKE 'P_' AND source = 'import'")).all())
    assert stored["P0"] == valid and stored["P1"] is None and stored["P6"] is None


def test_every_way_of_giving_a_place(demo_session, tmp_path):
    a, b, c, d, e = first_cells(demo_session, 5)
    gx, gy = wgs84_to_gcj02(e.lon, e.lat)
    headers = ["纠纷编号", "登记时间", "纠纷类别", "经度", "纬度", "网格编码", "村（社区）代码", "村（社区）", "乡镇（街道）"]
    rows = [["L1", "2024-03-05", "邻里纠纷", str(a.lon), str(a.lat), "", "", "", ""],
            ["L2", "2024-03-05", "邻里纠纷", "", "", b.code, "", "", ""],
            ["L3", "2024-03-05", "邻里纠纷", "", "", "", c.village_code, "", ""],
            ["L4", "2024-03-05", "邻里纠纷", "", "", "", "", d.village, d.township],
            ["L5", "2024-03-05", "邻里纠纷", "120.5", "36.1", "", "", "", ""],
            ["L6", "2024-03-05", "邻里纠纷", str(a.lat), str(a.lon), "", "", "", ""],
            ["L7", "2024-03-05", "邻里纠纷", "", "", "411502999999999", "", "", ""],
            ["L8", "2024-03-05", "邻里纠纷", "", "", "", "411502999999", "", ""],
            ["L9", "2024-03-05", "邻里纠纷", "", "", "", "", "没有这个村", d.township],
            ["L10", "2024-03-05", "邻里纠纷", "", "", "", "", "", ""],
            ["L11", "2024-03-05", "邻里纠纷", str(a.lon), "", "", "", "", ""]]
    path = write_csv(tmp_path / "places.csv", headers, rows)
    result = load_ledger(read_ledger(path, "disputes"), demo_session)
    stored = dict(demo_session.execute(sa.text("SELECT ref_no, grid_code FROM dispute WHERE ref_no LIKE 'L%'")).all())
    assert stored == {"L1": a.code, "L2": b.code, "L3": c.code, "L4": d.code}
    reasons = dict(zip(result.refusals["row"], result.refusals["reason"]))
    assert "不在任何网格内" in reasons[6] and "似乎填反了" in reasons[7]
    assert "网格编码 411502999999999 不存在" in reasons[8] and "村（社区）代码 411502999999 不存在" in reasons[9]
    assert "找不到村（社区）" in reasons[10] and "缺少位置" in reasons[11] and "经度和纬度要同时填写" in reasons[12]
    point = demo_session.execute(sa.text("SELECT ST_X(geom), ST_Y(geom) FROM dispute WHERE ref_no = 'L1'")).one()
    assert point == pytest.approx((a.lon, a.lat), abs=1e-6)
    # The same point in GCJ-02 and in CGCS2000 / 3-degree Gauss-Krüger (EPSG:4547), each with its CRS.
    gcj = write_csv(tmp_path / "gcj.csv", headers[:5], [["G1", "2024-03-05", "邻里纠纷", f"{gx:.8f}", f"{gy:.8f}"]])
    load_ledger(read_ledger(gcj, "disputes", crs="gcj02"), demo_session)
    import pyproj
    x, y = pyproj.Transformer.from_crs(4326, 4547, always_xy=True).transform(e.lon, e.lat)
    gk = write_csv(tmp_path / "gk.csv", headers[:5], [["K1", "2024-03-05", "邻里纠纷", f"{x:.3f}", f"{y:.3f}"]])
    load_ledger(read_ledger(gk, "disputes", crs="EPSG:4547"), demo_session)
    placed = dict(demo_session.execute(sa.text(
        "SELECT ref_no, grid_code FROM dispute WHERE ref_no IN ('G1', 'K1')")).all())
    assert placed == {"G1": e.code, "K1": e.code}
    unshifted = write_csv(tmp_path / "raw.csv", headers[:5], [["G2", "2024-03-05", "邻里纠纷", f"{gx:.8f}", f"{gy:.8f}"]])
    load_ledger(read_ledger(unshifted, "disputes"), demo_session)
    moved = demo_session.execute(sa.text(
        "SELECT ST_Distance(a.geom::geography, b.geom::geography) FROM dispute a, dispute b"
        " WHERE a.ref_no = 'G1' AND b.ref_no = 'G2'")).scalar()
    assert 100 < moved < 1000  # GCJ-02 read as WGS84 lands a few hundred metres off


def test_reimport_updates_instead_of_duplicating(demo_session, tmp_path):
    cells = first_cells(demo_session, 4)
    first = write_xlsx(tmp_path / "one.xlsx", DISPUTE_HEADERS, [dispute_row(f"R{i}", cells[i]) for i in range(3)])
    result = load_ledger(read_ledger(first, "disputes"), demo_session, imported_by="laocheng")
    counts = result.counts
    assert (counts["new"], counts["updated"], counts["unchanged"], counts["refused"]) == (3, 0, 0, 0)
    logged = demo_session.execute(sa.text("SELECT username, target, detail->>'new' FROM audit_log"
                                          " WHERE action = 'import'")).all()
    assert [tuple(row) for row in logged] == [("laocheng", f"import_batch/{result.batch_id}", "3")]
    again = load_ledger(read_ledger(first, "disputes"), demo_session).counts
    assert (again["new"], again["updated"], again["unchanged"]) == (0, 0, 3)
    overlapping = write_csv(tmp_path / "two.csv", DISPUTE_HEADERS, [
        dispute_row("R1", cells[1]), dispute_row("R2", cells[2], status="已化解", resolved="2024/3/9"),
        dispute_row("R3", cells[3])])
    counts = load_ledger(read_ledger(overlapping, "disputes"), demo_session).counts
    assert (counts["new"], counts["updated"], counts["unchanged"]) == (1, 1, 1)
    assert imported(demo_session) == 4
    status = demo_session.execute(sa.text("SELECT status, resolved_at::date FROM dispute WHERE ref_no = 'R2'")).one()
    assert tuple(status) == ("resolved", dt.date(2024, 3, 9))


def test_rows_without_a_number_are_recognised_by_their_content(demo_session, tmp_path):
    cells = first_cells(demo_session, 3)
    headers = DISPUTE_HEADERS[1:]
    rows = [dispute_row("", c, summary=f"纠纷{i}")[1:] for i, c in enumerate(cells)]
    path = write_csv(tmp_path / "nonum.csv", headers, rows)
    assert load_ledger(read_ledger(path, "disputes"), demo_session).counts["new"] == 3
    counts = load_ledger(read_ledger(path, "disputes"), demo_session).counts
    assert (counts["new"], counts["unchanged"]) == (0, 3)
    keys = demo_session.execute(sa.text("SELECT ref_no FROM dispute WHERE source = 'import'")).scalars().all()
    assert len(keys) == 3 and all(k.startswith("FP") and len(k) == 18 for k in keys)


def test_duplicate_rows_in_a_file(demo_session, tmp_path):
    cells = first_cells(demo_session, 2)
    rows = [dispute_row("U1", cells[0]), dispute_row("U1", cells[0]), dispute_row("U1", cells[1]),
            dispute_row("U2", cells[1])]
    result = load_ledger(read_ledger(write_csv(tmp_path / "dup.csv", DISPUTE_HEADERS, rows), "disputes"), demo_session)
    assert (result.counts["new"], result.counts["refused"]) == (2, 2)
    reasons = dict(zip(result.refusals["row"], result.refusals["reason"]))
    assert "与第 2 行重复（内容完全相同）" in reasons[3]
    assert "“U1”与第 2 行相同，但内容不同" in reasons[4]


def test_refused_rows_are_quarantined_and_reported(demo_session, tmp_path):
    cell = first_cells(demo_session, 1)[0]
    rows = [dispute_row("Q1", cell), dispute_row("Q2", cell, domain="打架"),
            dispute_row("Q3", cell, summary="@SUM(A1:A9)", day="2024-13-01")]
    path = write_xlsx(tmp_path / "q.xlsx", DISPUTE_HEADERS, rows, sheet="三月", title="某镇矛盾纠纷排查台账")
    result = load_ledger(read_ledger(path, "disputes"), demo_session)
    assert (result.counts["new"], result.counts["refused"]) == (1, 2)
    kept = demo_session.execute(sa.text(
        "SELECT q.file_name, q.sheet, q.row_number, q.column_name, q.reason, q.raw::text, b.kind, b.counts"
        " FROM import_quarantine q JOIN import_batch b ON b.id = q.batch_id WHERE b.id = :id ORDER BY q.row_number"
    ), {"id": result.batch_id}).all()
    assert [(k.file_name, k.sheet, k.row_number, k.column_name) for k in kept] == [
        ("q.xlsx", "三月", 4, "矛盾类型"), ("q.xlsx", "三月", 5, "登记时间")]
    assert "“打架”无法识别" in kept[0].reason and "城乡建设" in kept[0].reason
    assert '"纠纷编号": "Q3"' in kept[1].raw and kept[0].kind == "disputes" and kept[0].counts["refused"] == 2
    for report in (error_report(result), quarantine_report(demo_session, result.batch_id)):
        (tmp_path / "r.xlsx").write_bytes(report)
        sheet = load_workbook(tmp_path / "r.xlsx")["三月"]
        assert [c.value for c in sheet[1]] == [*DISPUTE_HEADERS, "原行号", "错误原因"]
        assert [sheet.cell(row=r, column=1).value for r in (2, 3)] == ["Q2", "Q3"]
        formula = sheet.cell(row=3, column=8)
        assert formula.value == "@SUM(A1:A9)" and formula.data_type == "s" and formula.quotePrefix


def test_the_error_report_can_be_fixed_and_imported_again(demo_session, tmp_path):
    cell = first_cells(demo_session, 1)[0]
    rows = [dispute_row("F1", cell), dispute_row("F2", cell, domain="打架"),
            dispute_row("F3", cell, day="2024-02-30", summary='=HYPERLINK("http://x","点我")')]
    result = load_ledger(read_ledger(write_csv(tmp_path / "f.csv", DISPUTE_HEADERS, rows), "disputes"), demo_session)
    report = tmp_path / "f_错误报告.xlsx"
    report.write_bytes(error_report(result))
    book = load_workbook(report)
    sheet = book.active
    formula = sheet.cell(row=3, column=8)
    assert formula.value == '=HYPERLINK("http://x","点我")' and formula.data_type == "s" and formula.quotePrefix
    sheet.cell(row=2, column=3).value = "邻里纠纷"
    sheet.cell(row=3, column=2).value = "2024-02-28"
    book.save(report)
    again = load_ledger(read_ledger(report, "disputes"), demo_session)
    assert (again.counts["new"], again.counts["refused"]) == (2, 0)
    assert "这些列不是台账字段，未导入：原行号、错误原因" in " ".join(again.notes)
    assert imported(demo_session) == 3
    stored = demo_session.execute(sa.text("SELECT summary FROM dispute WHERE ref_no = 'F3'")).scalar()
    assert stored == '=HYPERLINK("http://x","点我")'  # stored as the user wrote it; neutralised only in exports


def test_imported_rows_are_marked_and_aggregated(demo_session, tmp_path):
    cell = first_cells(demo_session, 1)[0]
    day = "2025-11-02"
    before = demo_session.execute(sa.text(
        "SELECT coalesce(sum(disputes), 0) FROM dispute_cell_day WHERE grid_code = :g AND day = :d"),
        {"g": cell.code, "d": day}).scalar()
    path = write_csv(tmp_path / "agg.csv", DISPUTE_HEADERS, [dispute_row("AG1", cell, day=day), dispute_row("AG2", cell, day=day)])
    load_ledger(read_ledger(path, "disputes"), demo_session)
    after = demo_session.execute(sa.text(
        "SELECT sum(disputes) FROM dispute_cell_day WHERE grid_code = :g AND day = :d"), {"g": cell.code, "d": day}).scalar()
    assert after == before + 2
    assert demo_session.execute(sa.text("SELECT DISTINCT source FROM dispute WHERE ref_no LIKE 'AG%'")).scalars().all() == ["import"]


def test_a_dry_run_writes_nothing(demo_session, tmp_path):
    cell = first_cells(demo_session, 1)[0]
    path = write_csv(tmp_path / "dry.csv", DISPUTE_HEADERS, [dispute_row("DR1", cell), dispute_row("DR2", cell, domain="?")])
    batches = demo_session.execute(sa.text("SELECT count(*) FROM import_batch")).scalar()
    result = load_ledger(read_ledger(path, "disputes"), demo_session, dry_run=True)
    assert (result.counts["new"], result.counts["refused"], result.batch_id) == (1, 1, None)
    assert imported(demo_session) == 0
    assert demo_session.execute(sa.text("SELECT count(*) FROM import_batch")).scalar() == batches
    assert demo_session.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'import'")).scalar() == 0


def test_one_import_is_one_transaction(fresh_demo_db_url, tmp_path, monkeypatch):
    from etl import ledgers
    from geo import db

    engine = db.make_engine(fresh_demo_db_url)
    with db.session_factory(engine)() as session:
        cells = first_cells(session, 3)
    path = write_csv(tmp_path / "tx.csv", DISPUTE_HEADERS, [dispute_row(f"T{i}", c) for i, c in enumerate(cells)]
                     + [dispute_row("T9", cells[0], domain="?")])

    def fail(_session, _views):
        raise RuntimeError("killed after the upsert")

    monkeypatch.setattr(ledgers, "refresh_aggregates", fail)
    with pytest.raises(RuntimeError):
        with db.session_factory(engine).begin() as session:
            load_ledger(read_ledger(path, "disputes"), session)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM dispute WHERE source = 'import'")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM import_batch")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM import_quarantine")).scalar() == 0
    engine.dispose()


def test_hotline_tickets_link_to_petitions_both_ways(demo_session, tmp_path):
    cell = first_cells(demo_session, 1)[0]
    petitions = write_csv(tmp_path / "p.csv", PETITION_HEADERS, [
        ["HP1", "2024-05-01", "申诉求决类", "来访", "劳动社保", "是", "县级", "张三", "13800138000", "已受理", "", "", "", cell.code]])
    load_ledger(read_ledger(petitions, "petitions"), demo_session)
    hotline = write_xlsx(tmp_path / "h.xlsx", HOTLINE_HEADERS, [
        ["T-001", "2024-05-02", "投诉", "城乡建设", "转入", "", "李四", "13900139000", "已办结", "2024-05-20", "满意", cell.code],
        ["T-002", "2024-05-03", "求助", "劳动社保", "转出", "HP1", "张三", "13800138000", "办理中", "", "", ""],
        ["T-003", "2024-05-04", "咨询", "", "转入", "NO-SUCH", "王五", "", "办理中", "", "", ""],
        ["T-004", "2024-05-04", "举报", "", "转入", "", "赵六", "", "办理中", "", "", ""],
        ["T-005", "2024-05-05", "建议", "", "转出", "", "", "", "办理中", "", "", ""]])
    result = load_ledger(read_ledger(hotline, "hotline"), demo_session)
    c = result.counts
    assert (c["new"], c["updated"], c["linked"], c["refused"]) == (1, 1, 1, 3)
    reasons = dict(zip(result.refusals["row"], result.refusals["reason"]))
    assert "找不到信访件编号 NO-SUCH" in reasons[4] and "需要位置" in reasons[5] and "转出的工单要填写“信访件编号”" in reasons[6]
    created = demo_session.execute(sa.text(
        "SELECT ref_no, channel, category, status, satisfaction, origin_grid_code, source FROM petition"
        " WHERE hotline_ticket = 'T-001'")).one()
    assert tuple(created) == (PLACEHOLDER_PREFIX + "T-001", "hotline_12345", "complaint_request", "closed", "satisfied",
                              cell.code, "import")
    assert demo_session.execute(sa.text("SELECT hotline_ticket FROM petition WHERE ref_no = 'HP1'")).scalar() == "T-002"
    # The petition ledger later lists T-001 under its own number: it takes the hotline's petition over.
    later = write_csv(tmp_path / "p2.csv", PETITION_HEADERS, [
        ["HP2", "2024-05-02", "申诉求决类", "12345热线转办", "城乡建设", "是", "市级", "李四", "13900139000", "已办结",
         "2024-05-20", "满意", "T-001", cell.code]])
    total = demo_session.execute(sa.text("SELECT count(*) FROM petition")).scalar()
    counts = load_ledger(read_ledger(later, "petitions"), demo_session).counts
    assert (counts["new"], counts["updated"]) == (0, 1)
    assert demo_session.execute(sa.text("SELECT count(*) FROM petition")).scalar() == total
    assert demo_session.execute(sa.text("SELECT ref_no FROM petition WHERE hotline_ticket = 'T-001'")).scalar() == "HP2"
    again = load_ledger(read_ledger(hotline, "hotline"), demo_session).counts
    assert (again["new"], again["updated"], again["linked"]) == (0, 0, 2)


def test_a_ticket_cannot_belong_to_two_petitions(demo_session, tmp_path):
    cell = first_cells(demo_session, 1)[0]
    rows = [["TP1", "2024-05-01", "申诉求决类", "来访", "劳动社保", "是", "县级", "", "", "", "", "", "TT-1", cell.code],
            ["TP2", "2024-05-01", "申诉求决类", "来访", "劳动社保", "否", "县级", "", "", "", "", "", "TT-1", cell.code]]
    result = load_ledger(read_ledger(write_csv(tmp_path / "t.csv", PETITION_HEADERS, rows), "petitions"), demo_session)
    assert (result.counts["new"], result.counts["refused"]) == (1, 1)
    assert "12345工单号“TT-1”与第 2 行相同" in result.refusals["reason"].iloc[0]
    other = write_csv(tmp_path / "t2.csv", PETITION_HEADERS, [rows[1][:0] + ["TP3"] + rows[1][1:]])
    result = load_ledger(read_ledger(other, "petitions"), demo_session)
    assert result.counts["refused"] == 1 and "已关联信访件 TP1" in result.refusals["reason"].iloc[0]


def test_petition_checks_between_columns(demo_session, tmp_path):
    cell = first_cells(demo_session, 1)[0]
    headers = ["信访件编号", "登记日期", "信访类别", "信访形式", "问题类别", "是否初信初访", "是否重复信访", "信访层级",
               "办理状态", "受理日期", "办结日期", "网格编码"]

    def row(ref, first="是", repeat="", status="", accepted="", closed=""):
        return [ref, "2024-05-10", "申诉求决类", "来访", "劳动社保", first, repeat, "县级", status, accepted, closed, cell.code]

    rows = [row("C0"), row("C1", status="已办结"), row("C2", closed="2024-05-01"), row("C3", accepted="2024-05-09"),
            row("C4", first="是", repeat="是"), row("C5", first=""), row("C6", first="", repeat="是")]
    result = load_ledger(read_ledger(write_csv(tmp_path / "c.csv", headers, rows), "petitions"), demo_session)
    reasons = dict(zip(result.refusals["row"], result.refusals["reason"]))
    warnings = dict(zip(result.warnings["row"], result.warnings["reason"]))
    assert (result.counts["new"], result.counts["warned"], result.counts["refused"]) == (5, 3, 2)
    assert warnings[3].startswith("办理状态为“已办结”，但没有办结日期") and "不再计算法定时限" in warnings[3]
    assert warnings[4].startswith("办结日期早于登记日期") and warnings[5].startswith("受理日期早于登记日期")
    assert "没有办结日期" in warnings[4]  # the date left out, the status still says closed
    assert "相互矛盾" in reasons[6] and "没有填写是否初信初访" in reasons[7]
    stored = {r.ref_no: tuple(r[1:]) for r in demo_session.execute(sa.text(
        "SELECT ref_no, is_first, status, accepted_on, closed_on FROM petition WHERE ref_no LIKE 'C_' AND source = 'import'"))}
    assert stored["C6"] == (False, "received", None, None)
    assert stored["C1"] == (True, "closed", None, None) and stored["C2"] == (True, "closed", None, None)
    assert stored["C3"] == (True, "accepted", None, None)


def test_a_workbook_with_a_title_row_and_several_sheets(demo_session, tmp_path):
    cells = first_cells(demo_session, 2)
    path = write_xlsx(tmp_path / "s.xlsx", DISPUTE_HEADERS, [dispute_row("S1", cells[0])], sheet="一月", title="台账",
                      more={"二月": (DISPUTE_HEADERS, [dispute_row("S2", cells[1]), dispute_row("S3", cells[1], domain="?")]),
                            "说明": (["填表人", "日期"], [["张三", "2024-03-01"]])})
    frame = read_ledger(path, "disputes")
    assert sorted(frame.records["key"]) == ["S1", "S2"]
    assert frame.rows.loc[frame.refused["idx"], ["sheet", "row"]].astype(object).values.tolist() == [["二月", 3]]
    assert any("说明" in note for note in frame.notes)


def test_broken_files_are_refused_with_one_sentence(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", DISPUTE_HEADERS, [["A"] * len(DISPUTE_HEADERS)] * 200)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInput, match="不是完整的 .xlsx 文件"):
        read_ledger(truncated, "disputes")
    not_zip = tmp_path / "fake.xlsx"
    not_zip.write_text("纠纷编号,登记时间\n")
    with pytest.raises(InvalidInput, match="不是完整的 .xlsx 文件"):
        read_ledger(not_zip, "disputes")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InvalidInput, match=r"旧版 Excel（\.xls）"):
        read_ledger(old, "disputes")
    empty = write_csv(tmp_path / "empty.csv", DISPUTE_HEADERS, [])
    with pytest.raises(InvalidInput, match="没有数据行"):
        read_ledger(empty, "disputes")
    title_only = write_csv(tmp_path / "t.csv", ["某镇台账"], [["说明"]])
    with pytest.raises(InvalidInput, match="找不到表头"):
        read_ledger(title_only, "disputes")


def test_a_zip_bomb_is_refused_before_openpyxl_reads_it(tmp_path, monkeypatch):
    import zipfile

    import openpyxl

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (60 * 1024 * 1024) + b"/>")
    assert bomb.stat().st_size < 1024 * 1024

    def never(*args, **kwargs):
        raise AssertionError("openpyxl must not open a zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(InvalidInput, match="解压后有 60 MB，超过上限 20 MB"):
        read_ledger(bomb, "disputes", max_unpacked=20 * 1024 * 1024)
    with pytest.raises(InvalidInput, match="压缩比异常"):
        read_ledger(bomb, "disputes")


def test_xml_entities_in_a_workbook_are_not_expanded(tmp_path):
    import zipfile

    secret = tmp_path / "secret.txt"
    secret.write_text("机密内容")
    good = write_xlsx(tmp_path / "good.xlsx", DISPUTE_HEADERS, [dispute_row("X1", first_cells_stub())])
    evil = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(evil, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":  # openpyxl writes text inline: X1 is in here
                doctype = f'<!DOCTYPE w [<!ENTITY x SYSTEM "file://{secret}">]>'
                data = (doctype + data.decode().replace("X1", "&x;")).encode()
            target.writestr(item, data)
    with pytest.raises(InvalidInput, match="含有不允许的 XML 内容") as refused:
        read_ledger(evil, "disputes")
    assert "机密内容" not in str(refused.value)


def first_cells_stub():
    from tests.etl.ledger_files import Cell

    return Cell("411502001001001", "411502001001", "义阳社区", "老城街道", "浉河区", 114.07, 32.12)


def test_the_template_lists_every_column_and_imports_when_filled(demo_session, tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_workbook("disputes"))
    book = load_workbook(path)
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers[:3] == ["纠纷编号", "*登记时间", "*纠纷类别"] and "网格编码" in headers and "经度" in headers
    notes = [row[0].value for row in book["填写说明"].iter_rows(min_row=2)]
    assert "纠纷类别" in notes and "风险等级" in notes
    with pytest.raises(InvalidInput, match="没有数据行"):
        read_ledger(path, "disputes")
    cell = first_cells(demo_session, 1)[0]
    sheet = book.worksheets[0]
    values = {"纠纷编号": "TPL1", "*登记时间": "2024年3月5日", "*纠纷类别": "自然资源", "网格编码": cell.code}
    for position, header in enumerate(headers, start=1):
        sheet.cell(row=2, column=position).value = values.get(header)
    book.save(path)
    result = load_ledger(read_ledger(path, "disputes"), demo_session)
    assert (result.counts["new"], result.counts["refused"]) == (1, 0)


@pytest.mark.parametrize("kind", ["petitions", "hotline"])
def test_templates_of_the_other_ledgers(tmp_path, kind):
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(template_workbook(kind))
    headers = {normalise_header(c.value) for c in load_workbook(path).worksheets[0][1]}
    expected = {"信访件编号", "登记日期", "信访类别", "身份证号", "12345工单号"} if kind == "petitions" else \
        {"工单编号", "来电时间", "诉求类型", "流转方向", "信访件编号"}
    assert expected <= headers


def test_the_shipped_samples_import_cleanly(demo_session):
    from etl.ledger_samples import SAMPLE_FILES, SAMPLES
    from geo.models import ImportKind

    totals = {}
    for kind in (ImportKind.PETITIONS, ImportKind.DISPUTES, ImportKind.HOTLINE):
        result = load_ledger(read_ledger(SAMPLES / SAMPLE_FILES[kind], kind), demo_session)
        assert result.counts["refused"] == 0, result.refusals[["row", "reason"]].to_string()
        totals[kind] = result.counts
    assert totals[ImportKind.DISPUTES]["new"] == 24 and totals[ImportKind.PETITIONS]["new"] == 24
    assert totals[ImportKind.HOTLINE]["linked"] >= 1 and totals[ImportKind.HOTLINE]["new"] >= 1
    assert np.isclose(imported(demo_session, "petition"), 24 + totals[ImportKind.HOTLINE]["new"])
