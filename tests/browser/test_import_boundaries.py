"""The boundary section of the import page in real headless Chromium: a county supervisor uploads an official
village boundary, reads the dry-run report, confirms and sees the illustrative cells reshaped and the records
re-linked; a village of another county is refused with the area reason; a township Shapefile in EPSG:4547 with
9-digit XZQDM codes (as natural-resources data writes them) is matched by code and imported."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from geo import db
from tests.corpus.boundaries import Variant, county_townships, write_variant
from tests.etl.test_boundary_import import frame, geometry_of
from tests.etl.test_boundary_reshape import reshaped_village, village_with_cells

pytestmark = pytest.mark.browser

SLOW = 60_000
"""Milliseconds to wait for a boundary report: the preview checks in its request; the import (reshape, re-link,
refresh) runs in a worker thread whose end the page polls."""


def settle(page):
    """Wait until Dash has no callback in flight (it sets the title to "Updating..." meanwhile)."""
    page.wait_for_timeout(300)
    page.wait_for_function("document.title !== 'Updating...'", timeout=SLOW)


def counts_of(page, table: str) -> dict[str, int]:
    """A report's counts table (one header row, one row of figures) as header → number."""
    return page.evaluate(
        "t => { const heads = [...document.querySelectorAll(t + ' thead th')].map(th => th.innerText.trim());"
        " const cells = [...document.querySelectorAll(t + ' tbody td')].map(td => parseInt(td.innerText.replace(/,/g, ''), 10));"
        " return Object.fromEntries(heads.map((h, i) => [h, cells[i]])); }", table)


def upload(page, path) -> None:
    """Put a file into the boundary upload and wait for the dry-run report (or refusal) naming it."""
    page.set_input_files("#imp-b-upload input[type=file]", str(path))
    page.wait_for_function(
        "name => { const s = document.querySelector('#imp-b-check-summary');"
        " const e = document.querySelector('#imp-b-error');"
        " return (s && s.innerText.includes(name)) || (e && e.innerText.length > 0); }",
        arg=path.name, timeout=SLOW)
    settle(page)


def source_of(engine, code: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT geom_source FROM region WHERE code = :c"), {"c": code}).scalar()


def test_a_county_supervisor_replaces_a_village_boundary(demo_live_server, fresh_demo_db_url, page, tmp_path):
    county = demo_live_server.accounts["demo_county"][1]
    assert county == "411502"
    engine = db.make_engine(fresh_demo_db_url)
    with db.session_factory(engine)() as session:
        village, township, _cells = village_with_cells(session)
        other = session.execute(sa.text("SELECT code FROM region WHERE level = 'village' AND code LIKE '411522%'"
                                        " AND geom IS NOT NULL ORDER BY code LIMIT 1")).scalar()
        ours = frame([{"村代码": village, "村名": "正式村界", "geometry": reshaped_village(session, village, township)}])
        theirs = frame([{"代码": other, "geometry": geometry_of(session, other)}])
    ours_path, theirs_path = tmp_path / "浉河区村界.geojson", tmp_path / "光山县村界.geojson"
    ours.to_file(ours_path, driver="GeoJSON")
    theirs.to_file(theirs_path, driver="GeoJSON")
    assert source_of(engine, village) == "illustrative" and other

    demo_live_server.sign_in(page, "demo_county", "/import")
    page.wait_for_selector("#imp-b-upload", timeout=30_000)
    assert "边界导入" in page.inner_text(".boundary-import")
    page.check("#imp-b-level input[value=village]")
    assert page.is_checked("#imp-b-level input[value=village]") and page.is_disabled("#imp-b-confirm")

    upload(page, ours_path)
    summary = page.inner_text("#imp-b-check-summary")
    assert "村（社区）边界" in summary and "匹配 1 个" in summary and "拒收 0 个" in summary and "预检" in summary
    assert "示意边界将让位" in page.inner_text("#imp-b-check-findings")
    page.wait_for_selector("#imp-b-confirm:not([disabled])", timeout=SLOW)
    assert source_of(engine, village) == "illustrative"  # the dry run wrote nothing
    page.screenshot(path=str(demo_live_server.screenshot_dir / "boundary-check.png"), full_page=True)

    page.click("#imp-b-confirm")
    page.wait_for_selector("#imp-b-progress")  # a worker thread replaces the boundaries; the page polls its bar
    page.wait_for_selector("#imp-b-done", timeout=SLOW)
    settle(page)
    assert page.inner_text("#imp-b-progress-percent") == "100%"
    done = page.inner_text("#imp-b-done-summary")
    assert "已写入 1 个" in done and "示意边界随之调整" in done and "重新归属：住户" in done
    assert "边界已替换" in page.inner_text("#imp-b-done") and page.is_disabled("#imp-b-confirm")
    shown = counts_of(page, "#imp-b-done-counts")
    assert shown["写入"] == 1 and shown["调整的示意网格"] > 0 and shown["重新归属的住户"] > 0, shown
    page.screenshot(path=str(demo_live_server.screenshot_dir / "boundary-done.png"), full_page=True)

    assert source_of(engine, village) == "official"
    with engine.connect() as conn:
        batch = conn.execute(sa.text("SELECT imported_by, counts FROM import_batch WHERE kind = 'boundaries'"
                                     " ORDER BY id DESC LIMIT 1")).one()
        history = conn.execute(sa.text("SELECT count(*) FROM boundary_history WHERE level = 'village' AND code = :c"),
                               {"c": village}).scalar()
    assert batch.imported_by == "demo_county" and history == 1
    assert batch.counts["reshaped"]["grid"] == shown["调整的示意网格"]
    assert batch.counts["relinked"]["住户"] == shown["重新归属的住户"]

    upload(page, theirs_path)
    summary = page.inner_text("#imp-b-check-summary")
    assert "匹配 0 个" in summary and "拒收 1 个" in summary
    assert f"{other} 不在您的管辖范围（411502）内，未导入" in page.inner_text("#imp-b-check-findings")
    assert page.is_disabled("#imp-b-confirm") and page.query_selector("#imp-b-done") is None
    page.screenshot(path=str(demo_live_server.screenshot_dir / "boundary-refused.png"), full_page=True)
    assert source_of(engine, other) == "illustrative"
    engine.dispose()


def test_a_4547_township_shapefile_with_9_digit_codes(demo_live_server, fresh_demo_db_url, page, tmp_path):
    engine = db.make_engine(fresh_demo_db_url)
    with db.session_factory(engine)() as session:
        units = county_townships(session, "411502")
    path = write_variant(units, Variant("zip", 4547, "9"), tmp_path / "浉河区乡镇界_三调")
    n = len(units)

    demo_live_server.sign_in(page, "demo_county", "/import")
    page.wait_for_selector("#imp-b-upload", timeout=30_000)
    page.check("#imp-b-level input[value=township]")
    upload(page, path)
    summary = page.inner_text("#imp-b-check-summary")
    assert f"读取 {n} 个要素，匹配 {n} 个（按代码 {n}、按名称 0）" in summary and "拒收 0 个" in summary, summary
    shown = counts_of(page, "#imp-b-check-counts")
    assert (shown["读取"], shown["按代码"], shown["拒收"]) == (n, n, 0), shown
    page.wait_for_selector("#imp-b-confirm:not([disabled])", timeout=SLOW)
    page.screenshot(path=str(demo_live_server.screenshot_dir / "boundary-4547-check.png"), full_page=True)

    page.click("#imp-b-confirm")
    page.wait_for_selector("#imp-b-done", timeout=SLOW)
    settle(page)
    assert f"已写入 {n} 个" in page.inner_text("#imp-b-done-summary")
    assert counts_of(page, "#imp-b-done-counts")["写入"] == n
    assert {source_of(engine, code) for code in units["code"]} == {"official"}
    engine.dispose()
