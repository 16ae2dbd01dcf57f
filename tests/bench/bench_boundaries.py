"""Benchmark: official boundaries for every village of one county, through the boundary importer.

    .venv/bin/python tests/bench/bench_boundaries.py [--county 411502] [--shift 100] [--tolerance 5]
                                                     [--format geojson|gpkg] [--dry-run] [--keep DIR]

Runs against ``geo.db.database_url()`` (DATABASE_URL, or the embedded cluster under var/ — unset
FENGQIAO_DATA_DIR to use it), which must hold the demo data (``fengqiao demo load --scale city``).
Everything happens as the owner (as the import page's ``owner_session``) in ONE transaction that is
rolled back at the end, so the data is left as it was; while it runs, the rows it rewrote and (after
the refresh) the aggregates are locked, so the dashboard on the same database waits for it.

The file: each village's current (illustrative) polygon moved by ``--shift`` metres in a direction that
turns slowly across the county (every vertex moves by the same distance, so neighbours that shared an
edge still share it), then clipped to its township so that nothing spills out — official boundaries as
they would differ from the illustrative ones. It is imported as the county's supervisor would import
it (``within`` = the county). Prints the time per phase (read, match, check; write, reshape, relink,
refresh, as the importer's own progress reports them; their shares set ``dashboard.import_jobs.BOUNDARY``),
the counts (villages, cells reshaped or
cleared, records re-linked per table, findings), the file's size and the peak RSS of this process
(PostgreSQL's memory is not counted). ``--dry-run`` stops after the check, as the page's preview does.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import etl.boundaries as boundaries  # noqa: E402
from geo import db, migrate  # noqa: E402

METRES_PER_DEGREE = 111_320.0
WAVELENGTH_M = 10_000.0
"""Over this distance the direction of the shift turns once around."""


def rss_mb() -> float:
    """This process's resident memory now, in MB (from /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def shifted(geometry, shift_m: float, lat0: float):
    """``geometry`` with every vertex moved ``shift_m`` metres, in a direction that turns slowly with position."""
    kx = METRES_PER_DEGREE * math.cos(math.radians(lat0))

    def move(xy: np.ndarray) -> np.ndarray:
        x_m, y_m = xy[:, 0] * kx, xy[:, 1] * METRES_PER_DEGREE
        angle = 2 * math.pi * (x_m + 0.6 * y_m) / WAVELENGTH_M
        return np.column_stack([xy[:, 0] + shift_m * np.cos(angle) / kx,
                                xy[:, 1] + shift_m * np.sin(angle) / METRES_PER_DEGREE])

    return shapely.transform(geometry, move)


def polygons(geometry) -> shapely.MultiPolygon:
    return shapely.MultiPolygon([p for p in shapely.get_parts(geometry) if isinstance(p, shapely.Polygon)
                                 and not p.is_empty])


def official_file(session: Session, county: str, shift_m: float, folder: Path, fmt: str) -> tuple[Path, int, int]:
    """Write the county's villages, shifted and clipped to their townships: (path, features, villages skipped)."""
    rows = session.execute(text(
        "SELECT v.code, v.name, ST_AsBinary(v.geom), ST_AsBinary(t.geom) FROM region v JOIN region t"
        " ON t.code = v.parent_code WHERE v.level = 'village' AND v.code LIKE :county AND v.geom IS NOT NULL"
        " AND t.geom IS NOT NULL ORDER BY v.code"), {"county": f"{county}%"}).all()
    if not rows:
        sys.exit(f"{county} 没有带边界的村（社区）：请先运行 fengqiao demo load --scale city，或检查 --county。")
    villages = shapely.from_wkb([bytes(r[2]) for r in rows])
    townships = shapely.from_wkb([bytes(r[3]) for r in rows])
    lat0 = float(np.mean(shapely.get_y(shapely.centroid(villages))))
    moved = shapely.intersection(shifted(villages, shift_m, lat0), townships)
    features, skipped = [], 0
    for (code, name, _v, _t), geometry in zip(rows, moved):
        geometry = polygons(geometry)
        if geometry.is_empty:
            skipped += 1
            continue
        features.append({"村代码": code, "村名": name, "geometry": geometry})
    frame = gpd.GeoDataFrame(features, geometry="geometry", crs=4326)
    path = folder / (f"{county}村界.geojson" if fmt == "geojson" else f"{county}村界.gpkg")
    frame.to_file(path, driver="GeoJSON" if fmt == "geojson" else "GPKG")
    return path, len(features), skipped


class PhaseClock:
    """The importer's ``progress`` callback: the seconds from the first report of each phase to the next phase's."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._phase, self._since = None, 0.0

    def __call__(self, phase: str, _done: int, _total: int) -> None:
        if phase != self._phase:
            self.stop()
            self._phase, self._since = phase, time.perf_counter()

    def stop(self) -> None:
        if self._phase is not None:
            self.seconds[self._phase] = self.seconds.get(self._phase, 0.0) + time.perf_counter() - self._since
            self._phase = None


def snapshot(connection, county: str) -> tuple:
    """What the rollback must restore: official villages and cells of the county, boundary batches, history rows."""
    return connection.execute(text(
        "SELECT (SELECT count(*) FROM region WHERE code LIKE :p AND geom_source = 'official' AND level = 'village'),"
        " (SELECT count(*) FROM grid_cell WHERE code LIKE :p AND geom_source = 'official'),"
        " (SELECT count(*) FROM import_batch WHERE kind = 'boundaries'), (SELECT count(*) FROM boundary_history)"),
        {"p": f"{county}%"}).one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--county", default="411502", help="the county's code (default 411502 浉河区)")
    parser.add_argument("--shift", type=float, default=100.0, help="metres each village is moved (default 100)")
    parser.add_argument("--tolerance", type=float, default=boundaries.DEFAULT_TOLERANCE, help="metres (default 5)")
    parser.add_argument("--format", choices=("geojson", "gpkg"), default="geojson")
    parser.add_argument("--dry-run", action="store_true", help="read, match and check only, as the page's preview")
    parser.add_argument("--keep", type=Path, help="write the boundary file into this folder and keep it")
    args = parser.parse_args()
    if not (args.county.isdigit() and len(args.county) == 6):
        sys.exit("--county 应为 6 位县（区）代码，例如 411502。")

    engine = db.make_engine(db.database_url())
    print(f"database: {engine.url.render_as_string(hide_password=True)}; county {args.county}; shift {args.shift:g} m;"
          f" tolerance {args.tolerance:g} m; {'dry run' if args.dry_run else 'import'}; rolled back at the end")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="fengqiao-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    clock = PhaseClock()
    with engine.connect() as connection:
        before = snapshot(connection, args.county)
        connection.rollback()
        transaction = connection.begin()
        if migrate.revision_of(engine) != migrate.head():  # DDL is transactional: the rollback undoes it too
            from alembic import command
            config = migrate.alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            started = time.perf_counter()
            path, features, skipped = official_file(session, args.county, args.shift, folder, args.format)
            written_s = time.perf_counter() - started
            size = path.stat().st_size
            rss_before = rss_mb()
            started = time.perf_counter()
            report = boundaries.import_boundaries(path, session, "village", tolerance=args.tolerance,
                                                  dry_run=args.dry_run, within=args.county, display_name=path.name,
                                                  imported_by="bench", progress=clock)
            session.flush()
            clock.stop()
            total = time.perf_counter() - started
            history = dict(session.execute(text(
                "SELECT level, count(*) FROM boundary_history WHERE batch_id = :b GROUP BY level"),
                {"b": report.batch_id}).all()) if report.batch_id else {}
        finally:
            session.close()
            transaction.rollback()
        after = snapshot(connection, args.county)
    engine.dispose()
    if not args.keep:
        path.unlink(missing_ok=True)
        folder.rmdir()

    print(f"file: {path.name}, {features} villages ({skipped} left empty by the clip), {size / 1e6:.1f} MB,"
          f" written in {written_s:.1f} s" + (f", kept in {folder}" if args.keep else ""))
    other = total - sum(clock.seconds.values())
    print("time: " + " + ".join(f"{name} {s:.2f}" for name, s in clock.seconds.items())
          + f" + other {other:.2f} = {total:.2f} s; shares: "
          + ", ".join(f"{name} {s / total:.0%}" for name, s in clock.seconds.items()))
    print(f"matched {report.matched}, refused {len(report.refusals)}, repaired {len(report.repaired)},"
          f" overlaps {len(report.overlaps)}, gaps {len(report.gaps)}, notes {len(report.notes)}")
    if not args.dry_run:
        reshaped = ", ".join(f"{boundaries.LEVEL_LABELS[k]} {v}" for k, v in report.reshaped.items()) or "none"
        cleared = sum(len(c) == 15 for c in report.cleared)
        print(f"written {report.written} villages (history {report.history}); illustrative units reshaped: {reshaped};"
              f" cleared: {len(report.cleared)} ({cleared} cells); history rows by level: {history}")
        print("re-linked: " + ", ".join(f"{label} {n:,}" for label, n in report.relinked.items())
              + "; unplaced (kept their cell): "
              + (", ".join(f"{label} {n:,}" for label, n in report.unplaced.items() if n) or "none"))
    for line in report.refusals[:5]:
        print(f"  refused: {line}")
    print(f"RSS before the import {rss_before:,.0f} MB; peak RSS {peak_mb():,.0f} MB; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"rolled back: {'data as before' if after == before else f'CHANGED {before} -> {after}'}")
    if after != before:
        sys.exit(1)


if __name__ == "__main__":
    main()
