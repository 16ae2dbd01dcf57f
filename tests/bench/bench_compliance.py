"""Benchmark of screening-report compliance on the database in use (load the city-scale demo data first).

    .venv/bin/python tests/bench/bench_compliance.py [--repeat 3] [--no-page]

Needs the schema at migration 0003 or later (``fengqiao db migrate``). Prints the size of the data,
then best-of-N wall times for the whole city over the plan's three years (2023-01-01 to 2025-12-31):
the expected reports, compliance with every report's status (the full frame in Python), rates per
unit / township / county, the townships × weeks matrix, units missing now; the database's own time
for the same statement with only the status counts sent back; and, unless ``--no-page``, the 排查报告 page's
callbacks city-wide over all 156 weeks.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from datetime import date
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from geo import db, migrate, screening  # noqa: E402
from timing import best_of, call  # noqa: E402

START, END = date(2023, 1, 1), date(2025, 12, 31)






def bench_geo(session, repeat: int) -> None:
    sizes = session.execute(sa.text(
        "SELECT (SELECT count(*) FROM region WHERE level IN ('county', 'township', 'village')),"
        " (SELECT count(*) FROM screening_report), (SELECT count(*) FROM sensitive_period),"
        " (SELECT count(*) FROM grid_cell)")).one()
    print(f"units in the catalogue: {sizes[0]:,}; screening reports: {sizes[1]:,}; sensitive periods: {sizes[2]:,}; "
          f"grid cells: {sizes[3]:,}")
    seconds, expected = best_of(repeat, screening.expected_reports, session, START, END)
    print(f"expected_reports, city, 3 years: {len(expected):,} rows in {seconds:.2f} s "
          f"({expected['unit_code'].nunique():,} active units)")
    seconds, frame = best_of(repeat, screening.compliance, session, START, END, as_of=date(2026, 1, 31))
    counts = frame["status"].value_counts().to_dict()
    print(f"compliance, city, 3 years (full frame): {len(frame):,} rows in {seconds:.2f} s; statuses {counts}")
    params = screening._params(session, START, END, "", None, date(2026, 1, 31))
    statement = sa.text(f"WITH {screening._PERIODS}, {screening._COMPLIANCE} SELECT status, count(*) FROM compliance"
                        " GROUP BY status")
    seconds, _ = best_of(repeat, lambda: session.execute(statement, params).all())
    print(f"  the same derivation and join in the database alone (statuses counted, nothing sent): {seconds:.2f} s")
    for by in ("unit", "township", "county"):
        seconds, rates = best_of(repeat, screening.compliance_rates, session, START, END, by=by)
        print(f"compliance_rates by {by}: {len(rates):,} rows in {seconds:.2f} s")
    seconds, cells = best_of(repeat, screening.status_by_week, session, START, END, "", "township")
    print(f"status_by_week, townships x 156 weeks: {len(cells):,} cells in {seconds:.2f} s")
    seconds, missing = best_of(repeat, screening.missing_now, session, date(2025, 12, 31))
    print(f"missing_now as of 2025-12-31: {len(missing):,} rows in {seconds * 1000:.0f} ms")


def bench_page(repeat: int) -> None:
    from dashboard.app import create_app

    create_app()
    page = importlib.import_module("dashboard.pages.compliance")
    everything = [0, len(page.WEEKS) - 1]
    call(page.update_map, None, everything, "", None, 0, 0)  # geometry read and cached once
    for name, function, trigger in (("matrix", page.update_matrix, None), ("map (values only)", page.update_map, "cp-weeks.value"),
                                    ("township ranking", page.update_rankings, None)):
        seconds, _ = best_of(repeat, call, function, trigger, everything, "", None, 0, 0)
        print(f"page callback {name}, city, 156 weeks: {seconds:.2f} s")
    seconds, _ = best_of(repeat, call, page.update_county_ranking, None, everything, 0, 0)
    print(f"page callback county ranking, 156 weeks: {seconds:.2f} s")
    seconds, _ = best_of(repeat, call, page.update_matrix, None, page.DEFAULT_WEEKS, "", None, 0, 0)
    print(f"page callback matrix, city, the default 13 weeks: {seconds:.2f} s")
    seconds, _ = best_of(repeat, call, page.update_missing, None, "2025-12-31", "", None, 0, 0)
    print(f"page callback missing now, city: {seconds:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-page", action="store_true")
    args = parser.parse_args()
    engine = db.make_engine(db.database_url())
    revision = migrate.revision_of(engine)
    if not sa.inspect(engine).has_table("report_cadence"):
        sys.exit(f"数据库结构版本为 {revision}，没有 report_cadence 表（迁移 0003）：请先执行 fengqiao db migrate。")
    print(f"database: {engine.url.render_as_string(hide_password=True)} (revision {revision})")
    with db.session_factory(engine)() as session:
        bench_geo(session, args.repeat)
        session.rollback()
    if not args.no_page:
        bench_page(args.repeat)


if __name__ == "__main__":
    main()
