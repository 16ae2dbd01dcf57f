"""``fengqiao import …`` on a real database: counts, the error report, one sentence per failure, all or nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import load_workbook

from dashboard.cli import main
from geo import db
from tests.etl.ledger_files import DISPUTE_HEADERS, dispute_row, first_cells, write_csv
from tests.etl.test_ledger_mapping import COUNTY_HEADERS, county_rows


def run(args, url):
    env = {"DATABASE_URL": url.render_as_string(hide_password=False)}
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def count(url, sql: str) -> int:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(sa.text(sql)).scalar()
    engine.dispose()
    return value


def cells_of(url, n=3):
    engine = db.make_engine(url)
    with db.session_factory(engine)() as session:
        cells = first_cells(session, n)
    engine.dispose()
    return cells


def test_import_disputes_prints_counts_and_writes_the_error_report(fresh_demo_db_url, tmp_path):
    cells = cells_of(fresh_demo_db_url)
    path = write_csv(tmp_path / "台账.csv", DISPUTE_HEADERS, [dispute_row("C1", cells[0]), dispute_row("C2", cells[1]),
                                                            dispute_row("C3", cells[2], domain="吵架")], encoding="gbk")
    result = run(["import", "disputes", str(path)], fresh_demo_db_url)
    assert result.exit_code == 0, result.output
    assert "编码 GBK/GB18030" in result.output and "新增 2 条" in result.output and "拒收 1 条" in result.output
    assert "“吵架”无法识别" in result.output
    report = tmp_path / "台账_错误报告.xlsx"
    sheet = load_workbook(report).active
    assert [c.value for c in sheet[1]][-1] == "错误原因" and sheet.cell(row=2, column=1).value == "C3"
    assert count(fresh_demo_db_url, "SELECT count(*) FROM dispute WHERE source = 'import'") == 2
    again = run(["import", "disputes", str(path)], fresh_demo_db_url)
    assert "新增 0 条，更新 0 条，未变 2 条，拒收 1 条" in again.output


def test_dry_run_writes_nothing(fresh_demo_db_url, tmp_path):
    cells = cells_of(fresh_demo_db_url, 1)
    path = write_csv(tmp_path / "d.csv", DISPUTE_HEADERS, [dispute_row("D1", cells[0])])
    result = run(["import", "disputes", str(path), "--dry-run"], fresh_demo_db_url)
    assert result.exit_code == 0 and "预检结果" in result.output and "新增 1 条" in result.output
    assert count(fresh_demo_db_url, "SELECT count(*) FROM dispute WHERE source = 'import'") == 0
    assert count(fresh_demo_db_url, "SELECT count(*) FROM import_batch") == 0


def test_problems_with_the_file_get_one_sentence_and_exit_status_1(fresh_demo_db_url, tmp_path):
    missing = run(["import", "petitions", str(tmp_path / "nope.xlsx")], fresh_demo_db_url)
    assert missing.exit_code == 1 and "找不到文件 nope.xlsx" in missing.output and "Traceback" not in missing.output
    columns = write_csv(tmp_path / "c.csv", ["信访件编号", "信访人"], [["X", "张三"]])
    refused = run(["import", "petitions", str(columns)], fresh_demo_db_url)
    assert refused.exit_code == 1 and "缺少必需的列" in refused.output and "“信访类别”" in refused.output
    crs = run(["import", "disputes", str(columns), "--crs", "EPSG:99999999"], fresh_demo_db_url)
    assert crs.exit_code == 1 and "无法识别坐标系" in crs.output


def test_template_command_writes_a_workbook(tmp_path, fresh_db_url):
    target = tmp_path / "模板.xlsx"
    result = run(["import", "template", "hotline", "--output", str(target)], fresh_db_url)
    assert result.exit_code == 0 and target.exists()
    assert "*工单编号" in [c.value for c in load_workbook(target).worksheets[0][1]]


def test_killing_an_import_halfway_leaves_nothing(fresh_demo_db_url, tmp_path):
    """A real process, killed with SIGKILL while it writes: the database holds none of its rows."""
    cells = cells_of(fresh_demo_db_url, 40)
    n = 300_000
    pick = np.arange(n) % len(cells)
    frame = pd.DataFrame({
        "纠纷编号": [f"K{i:07d}" for i in range(n)], "登记时间": "2024-03-05", "纠纷类别": "邻里纠纷",
        "网格编码": np.array([c.code for c in cells])[pick],
    })
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    env = {**os.environ, "DATABASE_URL": fresh_demo_db_url.render_as_string(hide_password=False)}
    fengqiao = Path(sys.executable).with_name("fengqiao")
    process = subprocess.Popen([str(fengqiao), "import", "disputes", str(path)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    engine = db.make_engine(fresh_demo_db_url)
    seen = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            with engine.connect() as conn:
                seen = conn.execute(sa.text(
                    "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND state = 'active' AND (query LIKE 'COPY%ledger_stage%' OR query LIKE 'COPY%dispute%' OR query LIKE '%INSERT INTO dispute%')"
                )).scalar()
            if seen:
                os.kill(process.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert seen, f"the import finished before it could be killed: {process.stdout.read().decode()}"
    assert process.returncode == -signal.SIGKILL
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM dispute WHERE ref_no LIKE 'K%'")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM import_batch")).scalar() == 0
    engine.dispose()


def test_a_ledger_with_its_own_headers_goes_in_through_a_mapping(fresh_demo_db_url, tmp_path):
    """show → an editable mapping file; --mapping FILE imports; save NAME; the next file with those headers
    goes straight through; the profile is shown by name."""
    path = write_csv(tmp_path / "县台账.csv", COUNTY_HEADERS, county_rows(cells_of(fresh_demo_db_url, 3)), "gb18030")
    refused = run(["import", "disputes", str(path), "--dry-run"], fresh_demo_db_url)
    assert refused.exit_code == 1 and "fengqiao import mapping show" in refused.output
    mapping = tmp_path / "列对应.yaml"
    shown = run(["import", "mapping", "show", str(path), "--output", str(mapping)], fresh_demo_db_url)
    assert shown.exit_code == 0, shown.output
    text = mapping.read_text(encoding="utf-8")
    assert '"所在乡镇": "乡镇（街道）"' in text and '"序号": "不导入"' in text
    dry = run(["import", "disputes", str(path), "--mapping", str(mapping), "--dry-run"], fresh_demo_db_url)
    assert dry.exit_code == 0 and "新增 12 条" in dry.output and "拒收 0 条" in dry.output, dry.output
    saved = run(["import", "mapping", "save", "某县台账", str(mapping)], fresh_demo_db_url)
    assert saved.exit_code == 0 and "已保存列对应“某县台账”" in saved.output
    auto = run(["import", "disputes", str(path)], fresh_demo_db_url)
    assert auto.exit_code == 0 and "按已保存的列对应“某县台账”读取" in auto.output and "新增 12 条" in auto.output
    assert count(fresh_demo_db_url, "SELECT count(*) FROM dispute WHERE ref_no LIKE 'SX-2024-%'") == 12
    by_name = run(["import", "mapping", "show", "某县台账"], fresh_demo_db_url)
    assert by_name.exit_code == 0 and "某县台账" in by_name.output
    unknown = run(["import", "disputes", str(path), "--mapping", "没有这个"], fresh_demo_db_url)
    assert unknown.exit_code == 1 and "找不到名为“没有这个”" in unknown.output and "Traceback" not in unknown.output
