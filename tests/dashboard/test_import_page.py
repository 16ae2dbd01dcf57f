"""The import page's callbacks as plain functions: preview writes nothing, confirm commits, limits hold."""

from __future__ import annotations

import base64
import importlib
import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from dashboard.app import create_app
from geo import db
from tests.dashboard.test_overview import run
from tests.etl.ledger_files import DISPUTE_HEADERS, dispute_row, first_cells, write_csv


@pytest.fixture(scope="module")
def imports():
    create_app()
    return importlib.import_module("dashboard.pages.imports")


def as_upload(data: bytes, mime: str = "text/csv") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def shown(component) -> str:
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component,
                      ensure_ascii=False, default=str)


def imported(url) -> int:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(sa.text("SELECT count(*) FROM dispute WHERE source = 'import'")).scalar()
    engine.dispose()
    return value


def test_the_page_is_registered_for_the_navigation(imports):
    import dash

    page = dash.page_registry["dashboard.pages.imports"]
    assert (page["path"], page["name"], page["order"]) == ("/import", "数据导入", 7)


def test_preview_then_confirm_then_download_the_error_report(imports, fresh_demo_db_url, dashboard_on, tmp_path):
    dashboard_on(fresh_demo_db_url)
    engine = db.make_engine(fresh_demo_db_url)
    with db.session_factory(engine)() as session:
        cells = first_cells(session, 2)
    engine.dispose()
    data = write_csv(tmp_path / "x.csv", DISPUTE_HEADERS, [
        dispute_row("W1", cells[0]), dispute_row("W2", cells[1]), dispute_row("W3", cells[1], domain="吵架")],
        encoding="gbk").read_bytes()
    report, state, confirm_disabled, errors_disabled, _ = run(imports.preview, None, as_upload(data), "../../三月台账.csv",
                                                              "disputes", "EPSG:4326")
    text = shown(report)
    assert "新增 2 条" in text and "拒收 1 条" in text and "“吵架”无法识别" in text and "预检" in text
    assert (confirm_disabled, errors_disabled) == (False, False)
    assert set(state) == {"token", "suffix", "kind", "crs", "file"} and imported(fresh_demo_db_url) == 0
    assert not any(p.name.startswith("三月") for p in imports.upload_folder().iterdir())  # the name is never a path
    result, *_ = run(imports.confirm, None, 1, state)
    assert "导入完成" in shown(result) and "新增 2 条" in shown(result)
    assert imported(fresh_demo_db_url) == 2
    download = run(imports.download, "imp-errors.n_clicks", 1, 0, state, "disputes")
    assert download["filename"] == "三月台账_错误报告.xlsx"
    sheet = load_workbook(io.BytesIO(base64.b64decode(download["content"]))).active
    assert sheet.cell(row=2, column=1).value == "W3" and sheet.cell(row=1, column=sheet.max_column).value == "错误原因"
    template = run(imports.download, "imp-template.n_clicks", 0, 1, None, "hotline")
    assert template["filename"] == "12345热线工单导入模板.xlsx"


def test_uploads_outside_the_limits_are_refused(imports, fresh_demo_db_url, dashboard_on, monkeypatch):
    dashboard_on(fresh_demo_db_url)
    refused = run(imports.preview, None, as_upload(b"x"), "evil.exe", "disputes", "EPSG:4326")
    assert "只接受 .xlsx 或 .csv" in shown(refused[0]) and refused[1] is None and refused[2] is True
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 1000)
    big = run(imports.preview, None, as_upload(b"a," * 1000), "big.csv", "disputes", "EPSG:4326")
    assert "超过上限" in shown(big[0])
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
    monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 5 * 1024 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (8 * 1024 * 1024) + b"/>")
    bomb = run(imports.preview, None, as_upload(buffer.getvalue()), "bomb.xlsx", "disputes", "EPSG:4326")
    assert "解压后" in shown(bomb[0]) and "超过上限 5 MB" in shown(bomb[0])
    forged = run(imports.confirm, None, 1, {"token": "../../etc/passwd", "suffix": ".csv", "kind": "disputes",
                                            "crs": "EPSG:4326", "file": "x.csv"})
    assert "上传已失效" in shown(forged[0])
