"""The review pack reviewers take into a meeting: counties compared criterion by criterion, and the scores.

Both documents take the same two frames:

- ``comparison``: a ``geo.criteria.comparison_frame`` (one row per criterion; columns
  ``("criterion", f)`` for the criterion's fields and ``(county_code, f)`` with value, passed,
  progress, evidence for each compared county, in the order to show);
- ``scores``: a ``geo.criteria.county_scores`` frame (rank, county_code, county_name, score, passed,
  criteria, measured, stage, stage_label). County names are taken from it (the code where it has none);
  the weighted totals of the comparison are its ``score``; the ranking shows its rows as given.

``review_workbook`` gives an .xlsx (openpyxl), ``review_pdf`` a printable A4 PDF (reportlab) with a
TrueType Chinese font embedded, so that it prints the same anywhere and its text can be searched.
"""

from __future__ import annotations

import io
import math
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dashboard.exports import safe_cell
from geo.enums import Direction
from geo.errors import NotFound

SCORING_NOTE = ("加权总分 = Σ(权重 × 完成度) ÷ Σ权重 × 100。完成度：达到目标为 1；越高越好的指标为 数值 ÷ 目标值，"
                "越低越好的指标为 目标值 ÷ 数值（目标值为 0 时为 1 ÷ (1 + 数值)）；无数据的指标计 0。")
PASS_TEXT = {True: "达标", False: "未达标", None: "无数据"}
RATE_UNIT = "比率"

# TrueType CJK fonts that reportlab can embed (CFF-outline OpenType such as Noto CJK cannot be), in order
# of preference: (path, index of the face inside a .ttc collection).
CJK_FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
PDF_FONT_NAME = "FengqiaoCJK"


# ---------------------------------------------------------------------------------------------- shared


def _county_blocks(comparison: pd.DataFrame) -> list[str]:
    return [c for c in comparison.columns.get_level_values(0).unique() if c != "criterion"]


def _names(scores: pd.DataFrame) -> dict[str, str]:
    return dict(zip(scores["county_code"], scores["county_name"]))


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _plain(value):
    """A cell value as a plain Python object (numpy scalars unwrapped, NaN → None)."""
    if _missing(value):
        return None
    return value.item() if hasattr(value, "item") else value


def format_value(value, unit: str) -> str:
    """A value as people read it: rates as percentages, whole numbers without decimals, '—' when unknown."""
    if _missing(value):
        return "—"
    value = float(value)
    if unit == RATE_UNIT:
        return f"{value * 100:.1f}%"
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.2f}"


def format_target(target, unit: str, direction: str) -> str:
    sign = "≥" if Direction(direction) == Direction.UP else "≤"
    return f"{sign} {format_value(target, unit)}"


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# ---------------------------------------------------------------------------------------------- workbook


def review_workbook(comparison: pd.DataFrame, scores: pd.DataFrame, title: str,
                    generated_on: date | None = None) -> bytes:
    """An .xlsx with three sheets: 评审对照 (title block, then criteria × counties: value and pass/fail,
    with the weighted totals and passed counts at the foot), 得分排名 (``scores`` as given) and 佐证材料
    (the evidence of entered values). Text a spreadsheet would run as a formula is neutralised."""
    generated_on = generated_on or date.today()
    counties = _county_blocks(comparison)
    names = _names(scores)
    totals = scores.set_index("county_code")
    book = Workbook()
    sheet = book.active
    sheet.title = "评审对照"
    sheet.append([safe_cell(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"生成日期：{_chinese_date(generated_on)}"])
    sheet.append([safe_cell("对比县区：" + "、".join(names.get(c, c) for c in counties))])
    sheet.append([f"说明：{SCORING_NOTE}"])
    sheet.append([])

    fixed = ["指标", "单位", "方向", "权重", "目标值"]
    sheet.append(fixed + [safe_cell(x) for c in counties for x in (names.get(c, c), "")])
    header_row = sheet.max_row
    sheet.append([""] * len(fixed) + ["数值", "是否达标"] * len(counties))
    for i, _ in enumerate(counties):
        first = len(fixed) + 1 + 2 * i
        sheet.merge_cells(start_row=header_row, start_column=first, end_row=header_row, end_column=first + 1)
    for row in sheet.iter_rows(min_row=header_row, max_row=header_row + 1):
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    fail_fill = PatternFill("solid", fgColor="FDE2E1")
    for _, row in comparison.iterrows():
        unit = row[("criterion", "unit")]
        direction = Direction(row[("criterion", "direction")])
        values = [safe_cell(row[("criterion", "name")]), safe_cell(unit), direction.label,
                  _plain(row[("criterion", "weight")]), _plain(row[("criterion", "target")])]
        for county in counties:
            values += [_plain(row[(county, "value")]), PASS_TEXT[_plain(row[(county, "passed")])]]
        sheet.append(values)
        line = sheet.max_row
        if unit == RATE_UNIT:
            sheet.cell(line, 5).number_format = "0.0%"
        for i, county in enumerate(counties):
            value_cell = sheet.cell(line, len(fixed) + 1 + 2 * i)
            if unit == RATE_UNIT:
                value_cell.number_format = "0.0%"
            if _plain(row[(county, "passed")]) is False:
                sheet.cell(line, len(fixed) + 2 + 2 * i).fill = fail_fill
    total_row = ["加权总分", "分", "", None, None]
    passed_row = ["达标项数", "项", "", None, None]
    for county in counties:
        known = county in totals.index
        total_row += [round(float(totals.loc[county, "score"]), 2) if known else None, ""]
        passed_row += [f"{int(totals.loc[county, 'passed'])}/{int(totals.loc[county, 'criteria'])}" if known else None,
                       ""]
    for values in (total_row, passed_row):
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 28
    for column in range(2, len(fixed) + 2 * len(counties) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 12
    sheet.freeze_panes = sheet.cell(header_row + 2, 2)

    ranking = book.create_sheet("得分排名")
    ranking.append([safe_cell(title)])
    ranking["A1"].font = Font(bold=True, size=14)
    ranking.append([f"生成日期：{_chinese_date(generated_on)}"])
    ranking.append([])
    ranking.append(["排名", "县区", "代码", "加权总分", "达标项数", "标准项数", "有数据项数", "创建阶段"])
    for cell in ranking[ranking.max_row]:
        cell.font = Font(bold=True)
    for row in scores.itertuples(index=False):
        ranking.append([_plain(row.rank), safe_cell(row.county_name), safe_cell(row.county_code),
                        round(float(row.score), 2), _plain(row.passed), _plain(row.criteria), _plain(row.measured),
                        safe_cell(row.stage_label) if not _missing(row.stage_label) else "—"])
    ranking.column_dimensions["B"].width = 24

    evidence = book.create_sheet("佐证材料")
    evidence.append(["县区", "指标", "数值", "佐证"])
    for cell in evidence[1]:
        cell.font = Font(bold=True)
    for _, row in comparison.iterrows():
        for county in counties:
            text = _plain(row[(county, "evidence")])
            if text:
                evidence.append([safe_cell(names.get(county, county)), safe_cell(row[("criterion", "name")]),
                                 _plain(row[(county, "value")]), safe_cell(text)])
    evidence.column_dimensions["B"].width = 28
    evidence.column_dimensions["D"].width = 48

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- PDF


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register (once) the first embeddable TrueType CJK font of ``CJK_FONT_CANDIDATES``; its PDF name."""
    for path, index in CJK_FONT_CANDIDATES:
        if not Path(path).is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont(PDF_FONT_NAME, path, subfontIndex=index))
        except TTFError:
            continue  # e.g. CFF outlines, which reportlab cannot embed
        return PDF_FONT_NAME
    raise NotFound("找不到可嵌入的中文 TrueType 字体，无法生成 PDF：请安装 fonts-wqy-zenhei（文泉驿正黑）后重试。")


def review_pdf(comparison: pd.DataFrame, scores: pd.DataFrame, title: str, generated_on: date | None = None) -> bytes:
    """A printable A4 PDF: title, date, the scoring note, the comparison table with the weighted totals,
    and the ranking. Portrait for up to three counties, landscape beyond."""
    font = cjk_font()
    generated_on = generated_on or date.today()
    counties = _county_blocks(comparison)
    names = _names(scores)
    totals = scores.set_index("county_code")
    pagesize = A4 if len(counties) <= 3 else landscape(A4)
    styles = {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=4),
        "meta": ParagraphStyle("meta", fontName=font, fontSize=9, leading=13, textColor=colors.HexColor("#444444")),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8, leading=10),
        "head": ParagraphStyle("head", fontName=font, fontSize=8, leading=10, alignment=1),
    }

    def p(text: str, style: str = "cell") -> Paragraph:
        escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, styles[style])

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=15 * mm, rightMargin=15 * mm,
                                 topMargin=15 * mm, bottomMargin=15 * mm, title=title, author="枫桥网格")
    story = [p(title, "title"), p(f"生成日期：{_chinese_date(generated_on)}", "meta"),
             p("对比县区：" + "、".join(names.get(c, c) for c in counties), "meta"), p(SCORING_NOTE, "meta"),
             Spacer(1, 4 * mm), p("一、逐项对照", "h2")]

    head = [p("指标", "head"), p("权重", "head"), p("目标值", "head")]
    sub = ["", "", ""]
    for county in counties:
        head += [p(names.get(county, county), "head"), ""]
        sub += [p("数值", "head"), p("结果", "head")]
    rows = [head, sub]
    failed_cells = []
    for _, row in comparison.iterrows():
        unit, direction = row[("criterion", "unit")], row[("criterion", "direction")]
        line = [p(row[("criterion", "name")]), format_value(row[("criterion", "weight")], ""),
                format_target(row[("criterion", "target")], unit, direction)]
        for i, county in enumerate(counties):
            passed = _plain(row[(county, "passed")])
            line += [format_value(row[(county, "value")], unit), PASS_TEXT[passed]]
            if passed is False:
                failed_cells.append((4 + 2 * i, len(rows)))
        rows.append(line)
    total_line, passed_line = ["加权总分", "", ""], ["达标项数", "", ""]
    for county in counties:
        known = county in totals.index
        total_line += [f"{float(totals.loc[county, 'score']):.1f}" if known else "—", ""]
        passed_line += [f"{int(totals.loc[county, 'passed'])}/{int(totals.loc[county, 'criteria'])}" if known else "—", ""]
    rows += [total_line, passed_line]

    usable = pagesize[0] - 30 * mm
    fixed = [usable * 0.28, usable * 0.08, usable * 0.12]
    per_county = (usable - sum(fixed)) / max(len(counties), 1)
    widths = fixed + [per_county * 0.55, per_county * 0.45] * len(counties)
    table = Table(rows, colWidths=widths, repeatRows=2)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#E8EEF5")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, 2), (-1, -1), "CENTER"),
        ("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1)), ("SPAN", (2, 0), (2, 1)),
        ("BACKGROUND", (0, -2), (-1, -1), colors.HexColor("#F4F4F4")),
    ]
    for i, _ in enumerate(counties):
        first = 3 + 2 * i
        style += [("SPAN", (first, 0), (first + 1, 0)),
                  ("SPAN", (first, -2), (first + 1, -2)), ("SPAN", (first, -1), (first + 1, -1))]
    style += [("TEXTCOLOR", cell, cell, colors.HexColor("#B42318")) for cell in failed_cells]
    table.setStyle(TableStyle(style))
    story += [table, Spacer(1, 4 * mm), p("二、得分排名", "h2")]

    ranking = [[p(h, "head") for h in ("排名", "县区", "加权总分", "达标项数", "创建阶段")]]
    for row in scores.itertuples(index=False):
        ranking.append([str(_plain(row.rank)), p(row.county_name), f"{float(row.score):.1f}",
                        f"{int(row.passed)}/{int(row.criteria)}",
                        "—" if _missing(row.stage_label) else str(row.stage_label)])
    ranking_table = Table(ranking, colWidths=[usable * w for w in (0.1, 0.4, 0.15, 0.15, 0.2)], repeatRows=1)
    ranking_table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF5")),
        ("ALIGN", (0, 1), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story.append(ranking_table)

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawRightString(pagesize[0] - 15 * mm, 8 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
