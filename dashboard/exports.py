"""Exports people take into meetings: .xlsx tables titled with area, period and filters."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

COLUMN_NAMES = {
    "code": "代码", "name": "名称", "households": "住户数", "disputes": "纠纷数", "unresolved": "未化解",
    "petitioned": "转信访", "per_1000": "每千户纠纷", "leakage": "转信访占比", "rank": "排名", "label": "冷热点",
    "linked": "已联户", "share_linked": "联户率", "members": "党员数", "over_cap": "超载党员", "idle_members": "空闲党员",
}
FORMULA_STARTS = ("=", "+", "-", "@")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula is neutralised with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table_workbook(frame: pd.DataFrame, title: str, period: str, filters: str) -> bytes:
    """One sheet: a title block (title, period, filters, data note), then the table with Chinese headers."""
    book = Workbook()
    sheet = book.active
    sheet.title = "统计表"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"时段：{period}"])
    sheet.append([f"筛选：{filters}"])
    sheet.append(["说明：演示数据为程序生成的示意数据，边界为示意边界。"])
    sheet.append([])
    columns = [c for c in frame.columns if c in COLUMN_NAMES]
    sheet.append([COLUMN_NAMES[c] for c in columns])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in frame[columns].itertuples(index=False):
        sheet.append([safe_cell(None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
