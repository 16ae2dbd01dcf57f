"""The review pack: the workbook's title block and table, and a searchable A4 PDF with its Chinese font embedded."""

from __future__ import annotations

import io
import math
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from dashboard import review_pack
from dashboard.review_pack import review_pdf, review_workbook
from geo.criteria import comparison_frame
from geo.errors import NotFound

TITLE = "示范县创建评审对照（2024年度）"
DAY = date(2024, 12, 31)
# criterion id, name, weight, target, direction, unit
CRITERIA = [
    (1, "一次性化解率", 20.0, 0.9, "up", "比率"),
    (2, "超期信访事项数", 10.0, 1.0, "down", "件"),
    (3, "+县级领导接访次数", 10.0, 10.0, "up", "次"),
]
COUNTIES = {"411502": "浉河区", "411522": "光山县", "411503": "平桥区", "411521": "罗山县"}
# county → values per criterion (None: no value) and evidence of the entered one
VALUES = {
    "411502": ([0.75, 3.0, 12.0], "=HYPERLINK(\"http://x\")"),
    "411522": ([0.95, 0.0, None], None),
    "411503": ([0.5, 1.0, 9.0], "台账"),
    "411521": ([0.8, 2.0, 10.0], "台账"),
}


def _measured() -> pd.DataFrame:
    rows = []
    for code, (values, evidence) in VALUES.items():
        for (cid, name, weight, target, direction, unit), value in zip(CRITERIA, values):
            passed = None if value is None else (value >= target if direction == "up" else value <= target)
            rows.append({"county_code": code, "county_name": COUNTIES[code], "criterion_id": cid, "name": name,
                         "weight": weight, "target": target, "direction": direction,
                         "measure": "entered" if cid == 3 else "overdue_petitions", "unit": unit,
                         "value": math.nan if value is None else value, "passed": passed, "progress": 0.5,
                         "evidence": evidence if cid == 3 else None, "reviewed_on": None,
                         "source": "entered" if cid == 3 else "computed"})
    return pd.DataFrame(rows)


SCORES = pd.DataFrame({
    "rank": [1, 2, 3, 4], "county_code": ["411522", "411502", "411521", "411503"],
    "county_name": ["光山县", "浉河区", "罗山县", "平桥区"], "score": [81.25, 62.5, 55.0, 40.0],
    "passed": [2, 1, 1, 1], "criteria": [3, 3, 3, 3], "measured": [2, 3, 3, 3],
    "stage": ["acceptance", None, "building", None], "stage_label": ["验收", None, "创建中", None],
})


@pytest.fixture
def comparison() -> pd.DataFrame:
    return comparison_frame(_measured(), ["411502", "411522"])


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_workbook_title_block_and_table(comparison):
    book = load_workbook(io.BytesIO(review_workbook(comparison, SCORES, TITLE, generated_on=DAY)))
    assert book.sheetnames == ["评审对照", "得分排名", "佐证材料"]
    sheet = book["评审对照"]
    rows = _rows(sheet)
    assert rows[0][0] == TITLE
    assert rows[1][0] == "生成日期：2024年12月31日"
    assert rows[2][0] == "对比县区：浉河区、光山县"
    assert rows[3][0].startswith("说明：加权总分 = Σ(权重 × 完成度)")
    assert rows[5] == ["指标", "单位", "方向", "权重", "目标值", "浉河区", None, "光山县", None]
    assert rows[6] == [None] * 5 + ["数值", "是否达标", "数值", "是否达标"]
    assert {"F6:G6", "H6:I6"} <= {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A6"].font.b and sheet["F7"].font.b and not sheet["A8"].font.b
    assert sheet.freeze_panes == "B8"
    assert rows[7:12] == [
        ["一次性化解率", "比率", "越高越好", 20, 0.9, 0.75, "未达标", 0.95, "达标"],
        ["超期信访事项数", "件", "越低越好", 10, 1, 3, "未达标", 0, "达标"],
        # a name starting with + is neutralised, not run as a formula
        ["'+县级领导接访次数", "次", "越高越好", 10, 10, 12, "达标", None, "无数据"],
        # the weighted totals come from the scores frame
        ["加权总分", "分", None, None, None, 62.5, None, 81.25, None],
        ["达标项数", "项", None, None, None, "1/3", None, "2/3", None],
    ]
    assert sheet["F8"].number_format == "0.0%" and sheet["F9"].number_format == "General"


def test_workbook_ranking_and_evidence(comparison):
    book = load_workbook(io.BytesIO(review_workbook(comparison, SCORES, "=1+1", generated_on=DAY)))
    ranking = _rows(book["得分排名"])
    assert ranking[0][0] == "'=1+1"  # a title that looks like a formula stays text
    assert ranking[3] == ["排名", "县区", "代码", "加权总分", "达标项数", "标准项数", "有数据项数", "创建阶段"]
    assert ranking[4] == [1, "光山县", "411522", 81.25, 2, 3, 2, "验收"]
    assert ranking[5][-1] == "—"
    evidence = _rows(book["佐证材料"])
    assert evidence == [["县区", "指标", "数值", "佐证"],
                        ["浉河区", "'+县级领导接访次数", 12, "'=HYPERLINK(\"http://x\")"]]
    assert all(cell.data_type != "f" for row in book["佐证材料"].iter_rows() for cell in row)


def _fonts(page) -> list:
    fonts = page["/Resources"]["/Font"]
    return [font.get_object() for font in fonts.values()]


def _descriptor(font):
    if "/DescendantFonts" in font:
        font = font["/DescendantFonts"][0].get_object()
    return font.get("/FontDescriptor")


@pytest.mark.parametrize(("counties", "landscape"), [(["411502", "411522"], False),
                                                    (["411502", "411522", "411503", "411521"], True)])
def test_pdf_is_a4_with_embedded_font_and_searchable_text(counties, landscape):
    comparison = comparison_frame(_measured(), counties)
    pdf = review_pdf(comparison, SCORES, TITLE, generated_on=DAY)
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (width > height) is landscape
    assert sorted((width, height)) == pytest.approx([595.28, 841.89], abs=0.1)  # A4 in points
    embedded = [f for f in _fonts(page) if _descriptor(f) is not None and "/FontFile2" in _descriptor(f).get_object()]
    assert embedded, "the Chinese font must be embedded as TrueType (/FontFile2)"
    assert all("WenQuanYi" in str(f["/BaseFont"]) or "+" in str(f["/BaseFont"]) for f in embedded)
    text = "".join(p.extract_text() for p in reader.pages)
    for code in counties:
        assert COUNTIES[code] in text
    assert TITLE in text
    assert "2024年12月31日" in text
    assert "未达标" in text and "≥ 90.0%" in text and "81.2" in text


def test_pdf_without_an_embeddable_font(monkeypatch, comparison):
    monkeypatch.setattr(review_pack, "CJK_FONT_CANDIDATES", (("/nonexistent/font.ttc", 0),))
    review_pack.cjk_font.cache_clear()
    try:
        with pytest.raises(NotFound, match="fonts-wqy-zenhei"):
            review_pdf(comparison, SCORES, TITLE)
    finally:
        monkeypatch.undo()
        review_pack.cjk_font.cache_clear()
