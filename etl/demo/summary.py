"""What a demo load made, and the story it tells: counts, then headline KPIs per county and year."""

from __future__ import annotations

from datetime import date

from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.orm import Session

from etl.demo.config import END, START
from geo.enums import RegionLevel
from geo.kpis import kpi_frame
from geo.pyramid import inversion_index, level_counts_by_county_year

SUMMARY_KPIS = {
    "one_time_resolution_rate": "一次性化解率", "satisfaction_rate": "满意率",
    "national_registration_share": "国家局登记占比", "beijing_province_count": "赴京到省",
    "collective_count": "集体访", "backlog_resolution_rate": "积案化解率",
}


def print_summary(console: Console, session: Session, counts: dict) -> None:
    console.print("[bold]已载入（演示数据，示意边界与生成记录）：[/]" + "，".join(f"{k} {v:,}" for k, v in counts.items()))
    levels = session.execute(text(
        "SELECT level, count(*), count(geom) FROM region GROUP BY level ORDER BY min(length(code)), level"
    )).all()
    console.print("区划（有边界/总数）：" + "，".join(
        f"{RegionLevel(lvl).label} {with_geom}/{n}" for lvl, n, with_geom in levels))

    kpis = kpi_frame(session, START, END, by="county_year").set_index(["county_code", "year"])
    inversion = inversion_index(level_counts_by_county_year(session, START, END))
    table = Table(title="各县区分年度主要指标（演示数据）", show_lines=False)
    for column in ["县区", "年度", "倒金字塔指数", *SUMMARY_KPIS.values()]:
        table.add_column(column, justify="right")
    for (county, year), row in kpis.iterrows():
        if (county, year) not in inversion.index:
            continue
        index = inversion.loc[(county, year)]
        cells = [row["county_name"], str(year), _fmt(index, True) + (" 上行" if index > 0.5 else "")]
        cells += [_fmt(row[key], key.endswith(("rate", "share"))) for key in SUMMARY_KPIS]
        table.add_row(*cells)
    console.print(table)


def _fmt(value, is_rate: bool) -> str:
    if value is None or value != value:  # NaN
        return "—"
    return f"{value:.1%}" if is_rate else f"{int(value):,}"
