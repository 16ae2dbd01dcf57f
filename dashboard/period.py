"""The plan's months (2023-01 to 2025-12) as slider positions, and how periods are written in Chinese."""

from __future__ import annotations

import calendar
from datetime import date

MONTHS = [date(year, month, 1) for year in (2023, 2024, 2025) for month in range(1, 13)]


def period_of(positions: list[int]) -> tuple[date, date]:
    """Slider positions [i, j] → (first day of month i, last day of month j)."""
    first, last = MONTHS[positions[0]], MONTHS[positions[1]]
    return first, date(last.year, last.month, calendar.monthrange(last.year, last.month)[1])


def period_text(start: date, end: date) -> str:
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.year}年{start.month}月"
    return f"{start.year}年{start.month}月—{end.year}年{end.month}月"


def month_marks() -> dict[int, str]:
    return {i: (f"{m.year}年" if m.month == 1 else f"{m.month}月") for i, m in enumerate(MONTHS) if m.month in (1, 7)}
