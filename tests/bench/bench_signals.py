"""Timing of the daily risk-signal computation (geo.signals) on the database in use. Not a pytest module.

    .venv/bin/python tests/bench/bench_signals.py [--days 5] [--repeat 3]

Runs ``compute_signals`` for the last day of the data and for ``--days - 1`` other days spread over the
data, best of ``--repeat`` each, and prints the time per day, the time of each rule on the last day, and
what was found. Also times the statutory-clock and backlog queries of the supervision pages on the last day.
Load the city-scale demo data first (``fengqiao demo load --scale city``) for the figures that matter.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from geo import db, signals  # noqa: E402
from geo.backlog import backlog_cases  # noqa: E402
from geo.deadlines import due_petitions, last_data_day  # noqa: E402
from timing import best_of  # noqa: E402




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    url = db.database_url()
    engine = db.make_engine(url)
    with db.session_factory(engine)() as session:
        sizes = {table: session.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608 (fixed names)
                 for table in ("household", "dispute", "dispute_household", "petition", "grid_cell")}
        print(f"database: {url.render_as_string(hide_password=True)}")
        print("rows: " + ", ".join(f"{table} {count:,}" for table, count in sizes.items()))
        last = last_data_day(session)
        if last is None:
            print("no records: load data first")
            return
        first = session.execute(text("SELECT min(day) FROM dispute_cell_day")).scalar() or last
        span = (last - first).days
        days = [last] + [first + timedelta(days=span * (i + 1) // args.days) for i in range(args.days - 1)]
        print(f"compute_signals, best of {args.repeat}:")
        for day in days:
            seconds, found = best_of(args.repeat, signals.compute_signals, session, day)
            kinds = found["kind"].value_counts().to_dict()
            print(f"  {day}: {seconds * 1000:8.1f} ms  {len(found):4d} signals {kinds}")
        print(f"rules on {last}, best of {args.repeat}:")
        for name, rule in (("spikes (dispute_cell_day)", signals._spikes), ("collective (dispute_household)",
                                                                            signals._collectives),
                           ("repeat + escalation (petition)", signals._petition_signals)):
            seconds, found = best_of(args.repeat, rule, session, last)
            print(f"  {name:32s} {seconds * 1000:8.1f} ms  {len(found):4d} signals")
        seconds, due = best_of(args.repeat, due_petitions, session, last, 7)
        print(f"due_petitions (7 days, city)      {seconds * 1000:8.1f} ms  {len(due):4d} petitions")
        seconds, cases = best_of(args.repeat, backlog_cases, session, last)
        print(f"backlog_cases (city)              {seconds * 1000:8.1f} ms  {len(cases):4d} cases")
    engine.dispose()


if __name__ == "__main__":
    main()
