"""Benchmark: ``demo load`` from an empty database; prints wall time per step, peak memory, sizes.

    .venv/bin/python tests/bench/bench_demo_load.py [--scale city|small] [--seed N]

Uses a new database on the server of ``DATABASE_URL`` or of the embedded cluster, dropped at the end.
"""

from __future__ import annotations

import argparse
import resource
import time
import uuid

import psycopg
import sqlalchemy as sa

from etl.demo.load import load_demo, timed
from geo import db, migrate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city", choices=["city", "small"])
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args()

    server = db.database_url()
    name = f"fq_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(**db._psycopg_args(server.set(database="postgres")), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    engine = db.make_engine(server.set(database=name))
    try:
        migrate.upgrade(engine)
        started = time.perf_counter()
        step = timed(print)
        with db.session_factory(engine).begin() as session:
            counts = load_demo(session, seed=args.seed, scale=args.scale, progress=step)
            step("提交")
        step("")
        wall = time.perf_counter() - started
        with engine.connect() as conn:
            size = conn.execute(sa.text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"scale={args.scale} seed={args.seed}")
        print(f"wall time (load, from migrated empty database): {wall:.1f} s")
        print(f"peak memory of the process (max RSS): {peak_mb:.0f} MB")
        print(f"database size: {size}")
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    finally:
        engine.dispose()
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
