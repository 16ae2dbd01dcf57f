"""Timing of the grid supervisors' workspace (geo.suggest, geo.coverage, geo.linking) on the database in use.

    .venv/bin/python tests/bench/bench_workspace.py [--repeat 3] [--round-trips 50] [--households 10]

Load the city-scale demo data first (``fengqiao demo load --scale city``). Everything runs as the application
role under the row-level security scopes of the area's supervisor, as the dashboard does. Prints, for the
township and the county with the most households: the sizes, ``suggest`` (best of ``--repeat``) against the
greedy baselines, ``coverage``, and the peak memory of one ``suggest`` (tracemalloc: Python allocations only,
OR-Tools' C++ graph is not counted; and the process's peak RSS). Then link/unlink round trips of
``--households`` households (p50/p95 over ``--round-trips``) and accepting the township's whole suggestion,
all in one transaction that is rolled back: the data is left as it was.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from geo import coverage, db, linking, suggest  # noqa: E402
from geo.access import Principal, apply_scope  # noqa: E402
from geo.enums import Role  # noqa: E402
from timing import best_of, percentile  # noqa: E402

UNLINKED = "NOT EXISTS (SELECT 1 FROM member_household_link l WHERE l.household_id = h.id AND l.valid_to IS NULL)"


def largest(session: Session, column: str) -> str:
    return session.execute(text(f"SELECT {column} FROM household GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).scalar()


def scoped(app, principal: Principal) -> Session:
    session = Session(bind=app)
    apply_scope(session.connection(), principal)
    return session


def overloaded(session: Session, pairs) -> int:
    """Members whose load plus the suggested households exceed their effective cap."""
    gained = pairs["member_id"].value_counts()
    rows = session.execute(text(
        "SELECT m.id, LEAST(m.capacity, coalesce(c.cap, 15)) - (SELECT count(*) FROM member_household_link l"
        " WHERE l.member_id = m.id AND l.valid_to IS NULL) FROM party_member m"
        " LEFT JOIN link_cap c ON c.township_code = m.township_code WHERE m.id = ANY(:ids)"),
        {"ids": gained.index.tolist()}).all()
    room = dict(rows)
    return int(sum(count > room[member] for member, count in gained.items()))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_area(app, area: str, principal: Principal, repeat: int) -> None:
    session = scoped(app, principal)
    try:
        column = "county_code" if len(area) == 6 else "township_code"
        sizes = session.execute(text(
            f"SELECT count(*), count(*) FILTER (WHERE {UNLINKED}), count(DISTINCT grid_code) FROM household h"
            f" WHERE {column} = :a"), {"a": area}).one()
        members = session.execute(text(f"SELECT count(*) FROM party_member WHERE {column} = :a"), {"a": area}).scalar()
        print(f"\n{area}: {sizes[0]:,} households ({sizes[1]:,} unlinked) in {sizes[2]:,} cells, {members:,} members")
        seconds, flow = best_of(repeat, suggest.suggest, session, area)
        print(f"  suggest           best of {repeat}: {seconds:7.2f} s   placed {len(flow.pairs):,}, "
              f"left {len(flow.unassigned):,}, total {flow.total_distance_m / 1000:,.1f} km, "
              f"overloaded {overloaded(session, flow.pairs)}")
        for label, respect in (("greedy (no caps)", False), ("greedy (caps)", True)):
            seconds, greedy = best_of(1, suggest.greedy_nearest, session, area, respect_caps=respect)
            print(f"  {label:17s}          : {seconds:7.2f} s   placed {len(greedy.pairs):,}, "
                  f"left {len(greedy.unassigned):,}, total {greedy.total_distance_m / 1000:,.1f} km, "
                  f"overloaded {overloaded(session, greedy.pairs)}")
        seconds, cov = best_of(repeat, coverage.coverage, session, area)
        print(f"  coverage          best of {repeat}: {seconds:7.2f} s   {len(cov.units)} units, "
              f"linked {cov.share_linked:.1%}, over cap {cov.members_over:,}, idle {cov.members_under:,}")
        tracemalloc.start()
        suggest.suggest(session, area)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  suggest peak Python memory {peak / 2**20:,.1f} MiB; process peak RSS so far {peak_rss_mib():,.0f} MiB")
    finally:
        session.close()


def pick_round_trip(session: Session, township: str, count: int) -> tuple[list[int], int]:
    """``count`` unlinked households of one cell and a member of that cell with room for them."""
    row = session.execute(text(f"""
        WITH cells AS (SELECT grid_code, (array_agg(id ORDER BY id))[1:CAST(:n AS int)] AS ids FROM household h
                       WHERE township_code = :t AND {UNLINKED} GROUP BY grid_code HAVING count(*) >= :n)
        SELECT c.ids, m.id FROM cells c JOIN party_member m ON m.grid_code = c.grid_code
        WHERE LEAST(m.capacity, 15) - (SELECT count(*) FROM member_household_link l
                                       WHERE l.member_id = m.id AND l.valid_to IS NULL) >= :n
        ORDER BY m.id LIMIT 1"""), {"t": township, "n": count}).one()
    return list(row[0]), row[1]


def bench_changes(app, township: str, round_trips: int, count: int) -> None:
    supervisor = Principal("bench_sup", Role.TOWNSHIP_SUPERVISOR, township)
    session = scoped(app, supervisor)
    try:
        households, member = pick_round_trip(session, township, count)
        links, unlinks, trips = [], [], []
        for _ in range(round_trips):
            started = time.perf_counter()
            linking.link(session, supervisor, households, member)
            middle = time.perf_counter()
            linking.unlink(session, supervisor, households)
            ended = time.perf_counter()
            links.append(middle - started)
            unlinks.append(ended - middle)
            trips.append(ended - started)
        print(f"\nlink + unlink of {count} households ({township}), {round_trips} round trips, as the app role:")
        for label, values in (("link", links), ("unlink", unlinks), ("round trip", trips)):
            print(f"  {label:10s} p50 {percentile(values, 0.5) * 1000:7.1f} ms   p95 {percentile(values, 0.95) * 1000:7.1f} ms")
        started = time.perf_counter()
        undone = linking.undo_last(session, supervisor)
        print(f"  undo_last  {(time.perf_counter() - started) * 1000:7.1f} ms   ({undone.changed} households)")
        proposal = suggest.suggest(session, township)
        pairs = list(zip(proposal.pairs["household_id"], proposal.pairs["member_id"]))
        started = time.perf_counter()
        accepted = linking.apply_suggestion(session, supervisor, pairs)
        print(f"  apply_suggestion of {accepted.changed:,} households: {time.perf_counter() - started:.2f} s")
        history = linking.history(session, households[0])
        print(f"  history of one household: {len(history)} periods")
    finally:
        session.rollback()
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--round-trips", type=int, default=50)
    parser.add_argument("--households", type=int, default=10)
    args = parser.parse_args()

    url = db.database_url()
    owner, app = db.make_engine(url), db.make_engine(db.app_url(url))
    with Session(bind=owner) as session:
        township, county = largest(session, "township_code"), largest(session, "county_code")
        sizes = {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar()  # noqa: S608 (fixed names)
                 for t in ("household", "party_member", "member_household_link", "grid_cell")}
    print(f"database: {url.render_as_string(hide_password=True)}")
    print("rows: " + ", ".join(f"{table} {count:,}" for table, count in sizes.items()))
    bench_area(app, township, Principal("bench_sup", Role.TOWNSHIP_SUPERVISOR, township), args.repeat)
    bench_area(app, county, Principal("bench_sup", Role.COUNTY_SUPERVISOR, county), 1)
    bench_changes(app, township, args.round_trips, args.households)
    print(f"\nprocess peak RSS {peak_rss_mib():,.0f} MiB")
    app.dispose()
    owner.dispose()


if __name__ == "__main__":
    main()
