"""The import page in real headless Chromium: sign in as a township supervisor, upload a ledger of that township,
read the report, confirm, watch the progress bar fill, download the errors."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from geo import db
from tests.etl.ledger_files import DISPUTE_HEADERS, dispute_row, first_cells, write_xlsx

pytestmark = pytest.mark.browser


def test_upload_a_ledger_and_see_its_report(demo_live_server, fresh_demo_db_url, page, tmp_path):
    township = demo_live_server.accounts["demo_township"][1]
    engine = db.make_engine(fresh_demo_db_url)
    with db.session_factory(engine)() as session:
        cells = [c for c in first_cells(session, 400) if c.code.startswith(township[:9])][:3]
    ledger = write_xlsx(tmp_path / "浉河区三月台账.xlsx", DISPUTE_HEADERS, [
        dispute_row("B1", cells[0]), dispute_row("B2", cells[1], day="2024年3月6日"),
        dispute_row("B3", cells[2], domain="打架斗殴")], title="浉河区矛盾纠纷排查化解台账")
    demo_live_server.sign_in(page, "demo_township", "/import")
    page.wait_for_selector("#imp-upload")
    assert "数据导入" in page.inner_text("header nav")
    page.set_input_files("#imp-upload input[type=file]", str(ledger))
    page.wait_for_selector("#imp-check-refusals", timeout=30_000)
    report = page.inner_text("#imp-check")
    assert "新增 2 条" in report and "拒收 1 条" in report and "“打架斗殴”无法识别" in report
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM dispute WHERE source = 'import'")).scalar() == 0
    page.screenshot(path=str(demo_live_server.screenshot_dir / "import-check.png"), full_page=True)
    page.click("#imp-confirm")
    page.wait_for_selector("#imp-progress")
    page.wait_for_selector("#imp-done", timeout=30_000)
    assert "导入完成" in page.inner_text("#imp-done") and page.is_disabled("#imp-confirm")
    assert page.inner_text("#imp-progress-percent") == "100%" and page.get_attribute("#imp-progress", "value") == "100"
    page.screenshot(path=str(demo_live_server.screenshot_dir / "import-done.png"), full_page=True)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT ref_no FROM dispute WHERE source = 'import' ORDER BY ref_no")).scalars().all()
    assert stored == ["B1", "B2"]
    with page.expect_download() as download:
        page.click("#imp-errors")
    assert download.value.suggested_filename == "浉河区三月台账_错误报告.xlsx"
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    assert sheet.cell(row=2, column=1).value == "B3" and "打架斗殴" in sheet.cell(row=2, column=sheet.max_column).value
    engine.dispose()
