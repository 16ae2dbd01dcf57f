"""The column-mapping step: a county's own headers proposed, confirmed, saved as a profile and reused."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from etl.identity import check_digits
from etl.ledger_mapping import (
    SKIP,
    all_recognised,
    choices_to_columns,
    inspect_columns,
    mapping_document,
    propose,
    read_mapping_file,
)
from etl.ledgers import load_ledger, read_ledger
from etl.tabular import normalise_header
from geo.errors import InvalidInput, NotFound
from geo.mapping_profiles import profile_for, profile_named, profiles, save_profile
from geo.models import ImportKind
from tests.etl.ledger_files import first_cells, write_csv

D = ImportKind.DISPUTES
COUNTY_HEADERS = ["序号", "事件编号", "发现时间", "所在乡镇", "所在村", "矛盾类型", "基本情况", "化解进度", "备注"]


def county_rows(cells, n: int = 12) -> list[list]:
    """Rows as a county writes them: a number, its own reference, dates with 年月日, names with suffixes."""
    return [[str(i + 1), f"SX-2024-{i:04d}", f"2024年3月{i % 28 + 1}日", cells[i % len(cells)].township,
             cells[i % len(cells)].village + ("村委会" if not cells[i % len(cells)].village.endswith("社区") else ""),
             ("邻里纠纷", "婚姻家庭", "土地承包")[i % 3], f"第 {i + 1} 起纠纷的基本情况", ("调解中", "已登记")[i % 2], ""]
            for i in range(n)]


@pytest.fixture
def county_file(demo_session, tmp_path):
    cells = first_cells(demo_session, 40)
    villages: dict[tuple, object] = {}
    for cell in cells:  # one cell per village name within its township, so a name finds one village
        villages.setdefault((cell.township, cell.village), cell)
    return write_csv(tmp_path / "县台账.csv", COUNTY_HEADERS, county_rows(list(villages.values())), "gb18030")


def test_unfamiliar_headers_are_proposed_by_header_and_by_values(county_file):
    columns = inspect_columns(county_file, D)
    assert columns.headers == COUNTY_HEADERS
    proposals = {p.header: p for p in propose(D, columns)}
    assert proposals["发现时间"].field == "reported_at" and proposals["发现时间"].method == "alias"
    assert proposals["所在乡镇"].field == "township_name" and proposals["所在乡镇"].method in ("header", "values")
    assert proposals["所在村"].field == "village_name"
    assert proposals["事件编号"].field == "ref_no"
    assert proposals["化解进度"].field == "status"  # 调解中 / 已登记 are status words
    assert proposals["序号"].field is None and proposals["备注"].field is None
    assert proposals["所在村"].samples and len(proposals["所在村"].samples) <= 3
    assert not all_recognised(list(proposals.values()))


def test_each_field_goes_to_one_column(county_file, tmp_path):
    headers = ["登记时间", "发现日期", "矛盾类型", "村", "乡镇"]
    path = write_csv(tmp_path / "两个日期.csv", headers, [["2024-03-05", "2024-03-01", "邻里纠纷", "x", "y"]] * 3)
    chosen = [p.field for p in propose(D, inspect_columns(path, D)) if p.field]
    assert len(chosen) == len(set(chosen)) and chosen.count("reported_at") == 1


def _id_number(first17: str) -> str:
    return first17 + str(check_digits(np.array([[int(c) for c in first17]]))[0])


def test_values_shape_alone_finds_ids_phones_and_coordinates(tmp_path):
    rows = [[_id_number(f"41150219900{m}0100{m}"), f"13{m}12345678", f"114.{m}712", f"32.{m}234"] for m in range(1, 6)]
    path = write_csv(tmp_path / "无表头含义.csv", ["甲", "乙", "丙", "丁"], rows)
    found = {p.header: (p.field, p.method) for p in propose(ImportKind.PETITIONS, inspect_columns(path, ImportKind.PETITIONS))}
    assert found == {"甲": ("petitioner_id_number", "values"), "乙": ("petitioner_phone", "values"),
                     "丙": ("lon", "values"), "丁": ("lat", "values")}


def test_choices_are_checked_and_accept_labels():
    columns = choices_to_columns(D, {"所在乡镇": "乡镇（街道）", " 序号 ": SKIP, "事件编号": "ref_no", "空": None})
    assert columns == {"所在乡镇": "township_name", "序号": None, "事件编号": "ref_no", "空": None}
    with pytest.raises(InvalidInput, match="不是矛盾纠纷台账的字段"):
        choices_to_columns(D, {"所在乡镇": "星球"})
    with pytest.raises(InvalidInput, match="都对应了“乡镇（街道）”"):
        choices_to_columns(D, {"所在乡镇": "township_name", "乡镇名": "乡镇（街道）"})


def test_a_confirmed_mapping_loads_every_valid_row(demo_session, county_file):
    with pytest.raises(InvalidInput, match="列对应"):  # without one: required columns missing, and said where to map
        read_ledger(county_file, D)
    proposals = propose(D, inspect_columns(county_file, D))
    columns = choices_to_columns(D, {p.header: p.field for p in proposals})
    frame = read_ledger(county_file, D, mapping=columns)
    outcome = {c["header"]: (c["field"], c["how"]) for c in frame.columns}
    assert outcome["所在乡镇"] == ("township_name", "按列对应") and outcome["序号"] == (None, "不导入（按列对应）")
    assert set(outcome) == set(COUNTY_HEADERS)  # every column is accounted for
    result = load_ledger(frame, demo_session, dry_run=True)
    assert result.counts["rows"] == 12 and result.counts["refused"] == 0, result.refusals
    assert result.counts["new"] == 12


def test_a_forged_mapping_is_refused_with_a_message(county_file):
    with pytest.raises(InvalidInput, match="不是矛盾纠纷台账的字段"):
        read_ledger(county_file, D, mapping={"所在乡镇": "drop table"})


def test_a_title_row_and_merged_group_headings(demo_session, tmp_path):
    cell = first_cells(demo_session, 1)[0]
    book = Workbook()
    sheet = book.active
    sheet.append(["××镇矛盾纠纷排查化解台账（2024年）"])
    sheet.append([])
    sheet.append(["纠纷编号", "登记时间", "纠纷类别", "位置信息", None])
    sheet.append([None, None, None, "网格编码", "村（社区）"])
    sheet.merge_cells("D3:E3")
    for c in ("A", "B", "C"):
        sheet.merge_cells(f"{c}3:{c}4")
    sheet.append(["M-1", "2024-03-05", "邻里纠纷", cell.code, cell.village])
    path = tmp_path / "合并表头.xlsx"
    book.save(path)
    frame = read_ledger(path, D)
    assert frame.headers["Sheet"] == ["纠纷编号", "登记时间", "纠纷类别", "网格编码", "村（社区）"]
    assert len(frame.records) == 1 and frame.rows["row"].tolist() == [5]


def test_profiles_are_saved_per_area_and_found_by_headers(session):
    headers = ["事件编号", "所在乡镇"]
    columns = choices_to_columns(D, {"事件编号": "ref_no", "所在乡镇": "township_name"})
    save_profile(session, D, "浉河区台账", "411502", headers, columns, "li")
    assert profile_for(session, D, list(columns), "411502001000").name == "浉河区台账"  # a township of the county
    assert profile_for(session, D, list(columns), "411522") is None  # another county
    assert profile_for(session, D, list(reversed(columns)), "411502").columns == columns  # order does not matter
    assert profile_for(session, D, ["事件编号"], "411502") is None
    save_profile(session, D, "浉河区台账", "411502", headers, {**columns, "所在乡镇": None}, "wang")  # replaced
    assert profile_named(session, D, "浉河区台账", "411502").saved_by == "wang"
    assert len(profiles(session, D, "411502")) == 1
    with pytest.raises(NotFound, match="找不到名为"):
        profile_named(session, D, "浉河区台账", "411522")
    with pytest.raises(InvalidInput, match="名称"):
        save_profile(session, D, "  ", "411502", headers, columns, "li")
    logged = session.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'save_mapping'")).scalar()
    assert logged == 2


def test_the_mapping_document_round_trips(county_file, tmp_path):
    proposals = propose(D, inspect_columns(county_file, D))
    path = tmp_path / "列对应.yaml"
    path.write_text(mapping_document(D, proposals), encoding="utf-8")
    assert read_mapping_file(path, D) == choices_to_columns(D, {p.header: p.field for p in proposals})
    path.write_text("列: [1, 2]", encoding="utf-8")
    with pytest.raises(InvalidInput, match="格式不对"):
        read_mapping_file(path, D)
    path.write_text("列: {a: [", encoding="utf-8")
    with pytest.raises(InvalidInput, match="无法读取"):
        read_mapping_file(path, D)
    assert normalise_header(" 序号 ") == "序号"
