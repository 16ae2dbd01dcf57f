"""Benchmark: the share of valid rows of generated county ledgers that load, without and with a confirmed mapping.

    .venv/bin/python tests/bench/bench_ledger_corpus.py [-n 30] [--seed 1] [--kind disputes]

Writes ``n`` variant ledgers (``tests.corpus.ledgers``: real-world header wordings, title rows, merged
group headings, GBK/UTF-8, codes as numbers, invalid rows) in the counties where ``geo.db.database_url()``
has grid cells (it must hold the demo grid: ``fengqiao demo load``), and dry-runs each twice: as the file
comes (aliases only), and with its true mapping confirmed, as a user would on the mapping step. Prints, per
mode, row by row against the corpus's truth: valid rows loaded, written-wrong rows refused or loaded with a
warning (a wrong optional value, such as a party's ID number failing its check digit), files refused whole,
tracebacks, and time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text  # noqa: E402

from etl.ledger_mapping import choices_to_columns  # noqa: E402
from etl.ledgers import load_ledger, read_ledger  # noqa: E402
from geo import db  # noqa: E402
from geo.errors import FengqiaoError  # noqa: E402
from tests.corpus.ledgers import write_corpus  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kind", default="disputes")
    args = parser.parse_args()
    engine = db.make_engine(db.database_url())
    with tempfile.TemporaryDirectory() as folder:
        with engine.connect() as connection:  # places only where the database has grid cells to put records in
            counties = connection.execute(text("SELECT DISTINCT county_code FROM grid_cell")).scalars().all()
        files = write_corpus(folder, args.n, args.seed, args.kind, counties=counties)
        valid = sum(f.valid_rows for f in files)
        invalid = sum(len(f.invalid) for f in files)
        print(f"{len(files)} 个文件，{sum(f.rows_written for f in files):,} 行，其中有效 {valid:,} 行")
        for mode in ("无列对应", "确认列对应"):
            loaded = caught = warned_invalid = refused_files = tracebacks = 0
            started = time.perf_counter()
            for corpus in files:
                mapping = choices_to_columns(args.kind, corpus.true_mapping) if mode == "确认列对应" else None
                try:
                    frame = read_ledger(corpus.path, args.kind, mapping=mapping)
                    with db.session_factory(engine).begin() as session:
                        result = load_ledger(frame, session, dry_run=True)
                except FengqiaoError:
                    refused_files += 1
                    continue
                except Exception:  # counted: a traceback is what this benchmark looks for
                    tracebacks += 1
                    traceback.print_exc()
                    continue
                refused = set(result.refusals["row"].astype(int))
                warned = set(result.warnings["row"].astype(int))
                loaded += sum(t.valid and t.line not in refused for t in corpus.rows)
                caught += sum(i.line in refused for i in corpus.invalid)
                warned_invalid += sum(i.line in warned for i in corpus.invalid)
            seconds = time.perf_counter() - started
            print(f"{mode}：有效行载入 {loaded:,}/{valid:,}（{loaded / valid:.1%}）；写错的 {invalid:,} 行中拒收 {caught:,}、"
                  f"载入并提示 {warned_invalid:,}；整文件拒收 {refused_files}，异常 {tracebacks}，用时 {seconds:.1f} s")
    engine.dispose()


if __name__ == "__main__":
    main()
