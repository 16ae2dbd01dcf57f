"""Benchmark: importing a generated 1,000,000-row dispute CSV and a 100,000-row dispute .xlsx.

    .venv/bin/python tests/bench/bench_import.py [--rows 1000000] [--xlsx-rows 100000] [--keep | --files DIR]
                                                 [--dry-run]

Runs against ``geo.db.database_url()`` (DATABASE_URL or the embedded cluster), which must hold grid
cells (``fengqiao demo load``). Each import runs in its own process (so that its peak memory is its
own) and in a transaction that is rolled back at the end, so the database is left as it was.
Rows place themselves as counties do: half by coordinates, a third by grid code, the rest by village
code; dates come in four formats. Targets: 60 s for the CSV, 90 s for the .xlsx, under 2 GB. Each phase's
time comes from the importer's progress reports; the machine's load average is printed beside it.
``--dry-run`` times the preview the import page runs first (new rows copied with the indexes in place,
never the bulk path, so the dashboard's readers are not locked out).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text

from etl.ledgers import load_ledger, read_ledger
from geo import db, migrate

DOMAINS = ["城乡建设", "劳动社保", "涉法涉诉", "农村农业", "经济管理", "自然资源", "婚姻家庭", "邻里纠纷", "其他"]
SUMMARIES = ["相邻通行纠纷", "拖欠农民工工资", "宅基地边界争议", "土地承包经营权纠纷", "婚姻家庭矛盾", "物业服务纠纷"]


def ledger(rows: int, seed: int = 7) -> pd.DataFrame:
    engine = db.make_engine(db.database_url())
    with engine.connect() as conn:
        cells = conn.execute(text(
            "SELECT code, village_code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grid_cell"
            " WHERE geom IS NOT NULL ORDER BY code")).all()
    engine.dispose()
    if not cells:
        sys.exit("数据库中没有网格：请先运行 fengqiao demo load。")
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(cells), rows)
    code = np.array([c[0] for c in cells], dtype=object)[pick]
    village = np.array([c[1] for c in cells], dtype=object)[pick]
    lon = np.array([c[2] for c in cells])[pick]
    lat = np.array([c[3] for c in cells])[pick]
    way = rng.choice(3, rows, p=[0.5, 0.3, 0.2])
    day = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 1000, rows), "D")
    style = rng.integers(0, 4, rows)
    dates = np.select([style == 0, style == 1, style == 2],
                      [day.strftime("%Y-%m-%d"), day.strftime("%Y/%m/%d"), day.strftime("%Y年%m月%d日")],
                      day.strftime("%Y-%m-%d %H:%M"))
    resolved = rng.random(rows) < 0.6
    return pd.DataFrame({
        "纠纷编号": np.char.add("BJ", np.char.zfill(np.arange(rows).astype(str), 8)),
        "登记时间": dates,
        "纠纷类别": np.array(DOMAINS)[rng.integers(0, len(DOMAINS), rows)],
        "风险等级": np.array(["一般", "较大", "重大"])[rng.choice(3, rows, p=[0.8, 0.15, 0.05])],
        "化解状态": np.where(resolved, "已化解", "化解中"),
        "化解时间": np.where(resolved, (day + pd.Timedelta(days=9)).strftime("%Y-%m-%d"), ""),
        "涉及户数": rng.integers(1, 6, rows).astype(str),
        "简要情况": np.array(SUMMARIES)[rng.integers(0, len(SUMMARIES), rows)],
        "经度": np.where(way == 0, np.char.mod("%.6f", lon), ""),
        "纬度": np.where(way == 0, np.char.mod("%.6f", lat), ""),
        "网格编码": np.where(way == 1, code, ""),
        "村（社区）代码": np.where(way == 2, village, ""),
    })


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """As Excel saves it: text in the shared-strings table (xlsxwriter). openpyxl would write inline strings,
    which openpyxl reads several times more slowly than a workbook saved by Excel or WPS."""
    frame.replace("", None).to_excel(path, index=False, sheet_name="台账", engine="xlsxwriter")


def run_one(path: Path, dry_run: bool) -> None:
    """In a child process: read, load, roll back; print timings and this process's peak memory as JSON.

    A database behind the newest schema is migrated inside the same transaction (PostgreSQL's DDL is
    transactional), so the rollback leaves it exactly as it was.
    """
    from alembic import command
    from sqlalchemy.orm import Session

    engine = db.make_engine(db.database_url())
    with engine.connect() as connection:
        transaction = connection.begin()
        if migrate.revision_of(engine) != migrate.head():
            config = migrate.alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        phases: dict[str, float] = {}

        def progress(phase: str, _done: int, _total: int) -> None:  # time from the start to each phase's end
            phases[phase] = time.perf_counter() - started

        try:
            started = time.perf_counter()
            frame = read_ledger(path, "disputes", progress=progress)
            result = load_ledger(frame, session, dry_run=dry_run, progress=progress)
            session.flush()
            total = time.perf_counter() - started
        finally:
            session.close()
            transaction.rollback()
    ends = list(phases.values())
    steps = {phase: end - start for phase, start, end in zip(phases, [0.0, *ends], ends)}
    print(json.dumps({"phases": steps, "total_s": total, "counts": result.counts,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--files", type=Path, help="time the disputes.csv and disputes.xlsx kept in this folder")
    parser.add_argument("--dry-run", action="store_true", help="time the preview (check) instead of the import")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_one(args.run, args.dry_run)
        return
    folder = args.files or Path(tempfile.mkdtemp(prefix="fengqiao-bench-"))
    csv_path, xlsx_path = folder / "disputes.csv", folder / "disputes.xlsx"
    if not args.files:
        started = time.perf_counter()
        frame = ledger(args.rows)
        frame.to_csv(csv_path, index=False, encoding="utf-8-sig")
        write_xlsx(frame.head(args.xlsx_rows), xlsx_path)
        del frame
        print(f"generated in {time.perf_counter() - started:.0f} s: {csv_path} "
              f"({csv_path.stat().st_size / 1e6:.0f} MB), {xlsx_path} ({xlsx_path.stat().st_size / 1e6:.0f} MB)")
    for path, target in ((csv_path, 60), (xlsx_path, 90)):
        load = os.getloadavg()[0]
        out = subprocess.run([sys.executable, __file__, "--run", str(path), *(["--dry-run"] if args.dry_run else [])],
                             capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"{path.name}: the import failed:\n{out.stderr}")
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        c = figures["counts"]
        steps = " + ".join(f"{phase} {seconds:.1f}" for phase, seconds in figures["phases"].items())
        print(f"{path.name}{' (preview)' if args.dry_run else ''}: {c['rows']:,} rows — {steps} = {figures['total_s']:.1f} s (target {target} s); "
              f"peak memory {figures['peak_mb']:,.0f} MB (target < 2,048 MB); new {c['new']:,}, refused {c['refused']:,}; "
              f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores")
    if not (args.keep or args.files):
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
