"""Workbooks handed back to users: the error report of an import, and the empty templates.

The error report has, per sheet of the imported file, the refused rows with their original cells, the
row number they had, and a 错误原因 column; the user fixes the cells and imports the report itself
again (the two extra columns are not ledger fields, so the import ignores them). A last sheet,
“已导入但有提示”, lists the rows that were loaded without some optional value (sheet, row, column, the
warning): it has no ledger header, so re-importing the report skips it (with a note). Text that a
spreadsheet would run as a formula (starting with = + - @) is written as a text cell with Excel's
quote prefix: shown and re-imported unchanged, never evaluated.
"""

from __future__ import annotations

import io
import json

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import text
from sqlalchemy.orm import Session

from etl.ledger_fields import alias_table
from etl.ledgers import SPECS, ImportResult
from geo.errors import NotFound
from geo.models import ImportKind

FORMULA_STARTS = ("=", "+", "-", "@")
REASON_HEADER = "错误原因"
ROW_HEADER = "原行号"
WARNINGS_SHEET = "已导入但有提示"
WARNING_HEADERS = ("工作表", "原行号", "列", "提示")
TEXT_KINDS = ("id_number", "phone", "code")
TEMPLATE_ROWS = 2000


def text_cell(sheet, value, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # openpyxl would otherwise store “=…” as a formula
        cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)
    return cell


def _sheet_title(name: str | None, used: set[str]) -> str:
    title = (name or "错误行")[:31]
    for char in "[]:*?/\\":
        title = title.replace(char, "_")
    base, n = title, 2
    while title in used:
        title = f"{base[:28]}_{n}"
        n += 1
    used.add(title)
    return title


def refused_workbook(groups: list[tuple[str | None, list[str], list[tuple[int, list[str], str]]]],
                     warnings: list[tuple[str | None, int, str | None, str]] = ()) -> bytes:
    """Sheets of (name, headers, [(row, cells, reason)]), then the sheet of (sheet, row, column, warning) → .xlsx."""
    book = Workbook(write_only=True)
    used: set[str] = {WARNINGS_SHEET}
    for name, headers, rows in groups:
        sheet = book.create_sheet(_sheet_title(name, used))
        sheet.append([text_cell(sheet, h, bold=True) for h in [*headers, ROW_HEADER, REASON_HEADER]])
        for row, cells, reason in rows:
            cells = list(cells) + [""] * (len(headers) - len(cells))
            sheet.append([text_cell(sheet, c if c != "" else None) for c in cells[: len(headers)]]
                         + [row, text_cell(sheet, reason)])
    if not groups:
        sheet = book.create_sheet("错误行")
        sheet.append(["没有被拒收的行。"])
    sheet = book.create_sheet(WARNINGS_SHEET)
    sheet.append([text_cell(sheet, h, bold=True) for h in WARNING_HEADERS])
    for where, row, column, reason in warnings:
        sheet.append([text_cell(sheet, where or None), row, text_cell(sheet, column or None), text_cell(sheet, reason)])
    if not warnings:
        sheet.append(["没有提示。"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def error_report(result: ImportResult) -> bytes:
    """The refused rows of an import (or a dry run) as a workbook the user can fix and re-import; its warnings."""
    groups = []
    refusals = result.refusals
    sheet_of = refusals["sheet"].map(lambda s: s if isinstance(s, str) else "")
    for sheet, headers in result.headers.items():
        mine = refusals[sheet_of == (sheet or "")]
        if len(mine):
            groups.append((sheet, headers, list(zip(mine["row"], mine["cells"], mine["reason"]))))
    w = result.warnings
    warnings = list(zip(w["sheet"].map(lambda s: s if isinstance(s, str) else None), w["row"], w["column"], w["reason"]))
    return refused_workbook(groups, warnings)


def quarantine_report(session: Session, batch_id: int) -> bytes:
    """The error report of an earlier import, rebuilt from ``import_quarantine``."""
    exists = session.execute(text("SELECT 1 FROM import_batch WHERE id = :id"), {"id": batch_id}).scalar()
    if not exists:
        raise NotFound(f"没有编号为 {batch_id} 的导入记录。")
    rows = session.execute(text(
        "SELECT sheet, row_number, column_name, reason, raw::text, warning FROM import_quarantine"
        " WHERE batch_id = :id ORDER BY id"
    ), {"id": batch_id}).all()

    groups: dict[str | None, tuple[list[str], list]] = {}
    warnings = []
    for sheet, row, column, reason, raw, warning in rows:
        if warning:
            warnings.append((sheet, row, column, reason))
            continue
        cells = json.loads(raw)  # json (not jsonb) keeps the file's column order
        headers, lines = groups.setdefault(sheet, (list(cells), []))
        lines.append((row, [cells.get(h, "") for h in headers], reason))
    return refused_workbook([(s, h, lines) for s, (h, lines) in groups.items()], warnings)


def template_workbook(kind: ImportKind | str) -> bytes:
    """An empty ledger with the template's headers (required ones marked *), text-formatted ID/phone/code
    columns, drop-down lists for enumerated columns, and a sheet explaining every column."""
    spec = SPECS[ImportKind(kind)]
    book = Workbook()
    sheet = book.active
    sheet.title = spec.kind.label
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for position, field in enumerate(spec.fields, start=1):
        cell = sheet.cell(row=1, column=position, value=("*" if field.required else "") + field.label)
        cell.font = Font(bold=True, color="C00000" if field.required else "000000")
        cell.fill = header_fill
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = max(12, len(field.label) * 2 + 4)
        if field.kind in TEXT_KINDS or field.name in ("ref_no", "hotline_ticket", "petition_ref_no"):
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=position).number_format = "@"
        if field.choices and field.kind in ("enum", "bool"):
            values = field.accepted_values().split("、")
            listed = ",".join(values)
            if len(listed) <= 250:
                check = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True, showErrorMessage=False)
                check.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
                sheet.add_data_validation(check)
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    notes.append(["列名（模板）", "也可写作", "取值 / 说明", "必填"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for (label, aliases, values), field in zip(alias_table(spec.fields), spec.fields):
        notes.append([label, aliases, values, "是" if field.required else ""])
    notes.append([])
    notes.append(["位置", "", "每行至少用一种方式给出位置：经度+纬度（落入哪个网格），或网格编码，或村（社区）代码"
                  "（落在该村第一个网格），或村（社区）名称+乡镇（街道）名称。" if spec.location_required else
                  "新建信访事项的工单需要位置（同信访事项台账）；关联已有信访件的工单可不填。", ""])
    notes.append(["日期", "", "可写 2024-03-05、2024/3/5、2024年3月5日、20240305，或 Excel 日期。", ""])
    notes.append(["身份证号、电话", "", "请保持“文本”格式：数字格式会丢失身份证号的后几位和固定电话开头的 0。", ""])
    for letter, width in zip("ABCD", (18, 48, 70, 6)):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

