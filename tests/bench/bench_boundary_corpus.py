"""Benchmark: a corpus of boundary files in the forms they come in, through the importer's dry run.

    .venv/bin/python tests/bench/bench_boundary_corpus.py [-n 40] [--seed 0] [--damaged 0.1] [--keep DIR]

Runs against ``geo.db.database_url()`` (DATABASE_URL, or the embedded cluster under var/), which needs the
reference geography only (``fengqiao db migrate``). Writes N files with ``tests/corpus/boundaries.py`` (a random
county's townships as strips of its official polygon; GeoJSON, zipped Shapefile or GeoPackage; EPSG 4326, 4490
or 4547; 12- or 9-digit codes, numbers or “.0”; names with or without suffixes; about ``--damaged`` of the
features damaged), imports each as a dry run and prints the share of features matched (by code, by name), the
refusals by reason, files refused whole, and the time per file.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text  # noqa: E402

from etl.boundaries import import_boundaries  # noqa: E402
from etl.boundary_report import REFUSED  # noqa: E402
from geo import db  # noqa: E402
from geo.errors import InvalidInput  # noqa: E402
from tests.corpus.boundaries import county_townships, write_corpus  # noqa: E402

REASONS = (("不在区划目录中", "代码不在目录中，名称也找不到"), ("不是乡镇（街道）代码", "代码属于另一层级"),
           ("科学计数法", "代码被写成科学计数法"), ("没有几何图形", "没有几何图形"), ("找不到名为", "名称找不到"),
           ("对应多个", "名称有歧义"), ("超出上级", "超出上级"), ("同一个", "重复要素"))


def reason_of(note: str) -> str:
    return next((label for words, label in REASONS if words in note), re.sub(r"第 \d+ 个要素（[^）]*）", "", note)[:30])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--damaged", type=float, default=0.1)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    engine = db.make_engine(db.database_url())
    folder = args.keep or Path(tempfile.mkdtemp(prefix="boundary-corpus-"))
    tally, reasons, whole, times = Counter(), Counter(), Counter(), []
    with db.session_factory(engine)() as session:
        counties = session.execute(text("SELECT code FROM region WHERE level = 'county' AND geom IS NOT NULL"
                                        " ORDER BY code")).scalars().all()
        files = []
        for i in range(args.n):
            units = county_townships(session, counties[(args.seed + i) % len(counties)])
            files += write_corpus(units, folder / f"c{i:04d}", 1, seed=args.seed + i, damaged=args.damaged)
        for path, variant in files:
            started = time.perf_counter()
            try:
                report = import_boundaries(path, session, "township", dry_run=True)
            except InvalidInput as refusal:
                whole[str(refusal)[:40]] += 1
                continue
            finally:
                times.append(time.perf_counter() - started)
            tally.update(report.tally())
            reasons.update(reason_of(n) for f in report.features.values() if f.outcome == REFUSED for n in f.notes[-1:])
        session.rollback()
    engine.dispose()
    read = tally["read"] or 1
    print(f"{len(files)} 个文件（{folder}），要素 {tally['read']} 个：导入 {tally['loaded']}、有提示 {tally['warned']}、"
          f"拒收 {tally['refused']}；平衡：{tally['loaded'] + tally['warned'] + tally['refused'] == tally['read']}")
    print(f"匹配 {(tally['by_code'] + tally['by_name']) / read:.1%}（按代码 {tally['by_code'] / read:.1%}，"
          f"按名称 {tally['by_name'] / read:.1%}）")
    for reason, count in reasons.most_common():
        print(f"  拒收：{reason} {count}")
    for reason, count in whole.most_common():
        print(f"  整个文件拒收：{reason} {count}")
    times.sort()
    print(f"每个文件 {sum(times) / len(times) * 1000:.0f} ms（中位 {times[len(times) // 2] * 1000:.0f} ms，"
          f"最长 {times[-1] * 1000:.0f} ms），合计 {sum(times):.1f} s")


if __name__ == "__main__":
    main()
