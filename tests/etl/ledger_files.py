"""Real files for the import tests: workbooks with typed cells, CSVs in the encodings counties use."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import text


def write_xlsx(path: Path, headers: list[str], rows: list[list], sheet: str = "台账", title: str | None = None,
               more: dict[str, tuple[list[str], list[list]]] | None = None) -> Path:
    """Cells keep their Python type: a str is a text cell, an int or float a number cell, a datetime a date."""
    book = Workbook()
    first = book.active
    first.title = sheet
    for target, (head, body) in {sheet: (headers, rows), **(more or {})}.items():
        ws = first if target == sheet else book.create_sheet(target)
        if title and ws is first:
            ws.append([title])
        ws.append(head)
        for row in body:
            ws.append(row)
    book.save(path)
    return path


def write_csv(path: Path, headers: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@dataclass(frozen=True)
class Cell:
    """A demo grid cell that is its village's first cell, with a point inside it and its names."""

    code: str
    village_code: str
    village: str
    township: str
    county: str
    lon: float
    lat: float


def first_cells(session, n: int = 6, county: str | None = None) -> list[Cell]:
    rows = session.execute(text(
        "SELECT g.code, g.village_code, v.short_name, t.name, c.name,"
        " ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))"
        " FROM grid_cell g JOIN region v ON v.code = g.village_code JOIN region t ON t.code = v.parent_code"
        " JOIN region c ON c.code = t.parent_code"
        " WHERE g.geom IS NOT NULL AND g.code = (SELECT min(code) FROM grid_cell x WHERE x.village_code = g.village_code)"
        " AND (CAST(:county AS text) IS NULL OR g.county_code = :county)"
        " ORDER BY g.code LIMIT :n"
    ), {"n": n, "county": county}).all()
    return [Cell(*row) for row in rows]


PETITION_HEADERS = ["信访件编号", "登记日期", "信访类别", "信访形式", "问题类别", "是否初信初访", "信访层级", "信访人",
                    "联系电话", "办理状态", "办结日期", "满意度", "12345工单号", "网格编码"]
HOTLINE_HEADERS = ["工单编号", "来电时间", "诉求类型", "问题分类", "流转方向", "信访件编号", "来电人", "来电号码", "工单状态",
                   "办结时间", "满意度", "网格编码"]
DISPUTE_HEADERS = ["纠纷编号", "登记时间", "矛盾类型", "风险等级", "化解状态", "化解时间", "涉及户数", "简要情况", "网格编码"]


def dispute_row(ref: str, cell: Cell, day: str = "2024-03-05", domain: str = "邻里纠纷", status: str = "已登记",
                resolved: str = "", summary: str = "相邻通行纠纷") -> list:
    return [ref, day, domain, "一般", status, resolved, "1", summary, cell.code]


def cells_in_two_townships(session) -> tuple[list[Cell], list[Cell]]:
    """Two first cells in each of two townships of the same county."""
    cells = first_cells(session, 400)
    townships: dict[str, list[Cell]] = {}
    for cell in cells:
        townships.setdefault(cell.code[:9], []).append(cell)
    pairs = [found[:2] for found in townships.values() if len(found) >= 2]
    return pairs[0], next(p for p in pairs[1:] if p[0].code[:6] == pairs[0][0].code[:6])
