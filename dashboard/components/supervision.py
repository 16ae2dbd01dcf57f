"""Pieces the supervision pages (法定时限, 积案攻坚, 风险预警) share: area choices, the "as of" date, tables."""

from __future__ import annotations

from datetime import date

from dash import dcc, html
from sqlalchemy import text

from dashboard.database import read_session
from geo import access
from geo.boundaries import county_names
from geo.deadlines import last_data_day
from geo.errors import InvalidInput

CITY_OPTION = {"label": "信阳市（全市）", "value": ""}


def area_options() -> list[dict]:
    """The areas the signed-in user may choose: the whole city and every county-level unit for city-wide
    roles; only their own county or township (as the default value '') for a supervisor."""
    principal = access.current()
    with read_session() as session:
        if principal.role in access.SUPERVISORS:
            name = session.scalar(text("SELECT name FROM region WHERE code = :code"), {"code": principal.region_code})
            return [{"label": f"{name}（本辖区）", "value": ""}]
        counties = county_names(session)
    return [CITY_OPTION] + [{"label": name, "value": code} for code, name in sorted(counties.items())]


def data_end() -> date:
    """The day pages open on: the end of the data (today when there are no records yet)."""
    with read_session() as session:
        return last_data_day(session) or date.today()


def date_picker(component_id: str, day: date) -> dcc.DatePickerSingle:
    return dcc.DatePickerSingle(id=component_id, date=day.isoformat(), display_format="YYYY-MM-DD",
                                first_day_of_week=1, month_format="YYYY年M月", clearable=False)


def parse_day(value, what: str = "日期") -> date:
    """A ``DatePickerSingle`` value ("2025-12-31", possibly with a time) as a date."""
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise InvalidInput(f"{what}“{value}”无效：请选择一个日期。") from exc


def table(headers: list[str], rows: list[list], table_id: str | None = None, row_classes: list[str] | None = None,
          class_name: str = "table records-table") -> html.Table:
    """A plain table; ``row_classes`` (one per row) marks rows such as overdue ones."""
    classes = row_classes or [""] * len(rows)
    body = [html.Tr([html.Td(cell) for cell in row], className=cls) for row, cls in zip(rows, classes)]
    extra = {"id": table_id} if table_id else {}
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(body)], className=class_name,
                      **extra)


def day_text(day) -> str:
    return "—" if day is None else f"{day:%Y-%m-%d}"


def chinese_day(day: date) -> str:
    """2025年12月31日 (no leading zeros, as dates are written in Chinese)."""
    return f"{day.year}年{day.month}月{day.day}日"
