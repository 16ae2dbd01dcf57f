"""The supervision pages (法定时限, 积案攻坚, 风险预警) in real headless Chromium."""

import re

import pytest

from tests.browser.test_overview import settle

pytestmark = pytest.mark.browser


def count_in(text: str) -> int:
    """The first "共 N 件" / "符合条件 N 件" number of a title."""
    return int(re.search(r"(?:共|符合条件) ([\d,]+) 件", text).group(1).replace(",", ""))


def test_clock_page_widens_the_window(demo_live_server, page):
    demo_live_server.sign_in(page, "demo_leader", "/clock")
    page.wait_for_selector("#ck-list-table", timeout=30_000)
    assert "法定时限" in page.inner_text("header nav")
    before = page.inner_text("#ck-list-title")  # read before acting: the answer may come back at once
    week = count_in(before)
    assert "已超期" in page.inner_text("#ck-summary")
    page.fill("#ck-within", "90")
    page.press("#ck-within", "Enter")
    page.wait_for_function("t => document.querySelector('#ck-list-title').innerText !== t",
                           arg=before, timeout=30_000)
    assert count_in(page.inner_text("#ck-list-title")) > week
    assert "《信访工作条例》" in page.inner_text("#ck-list-table")
    page.screenshot(path=str(demo_live_server.screenshot_dir / "clock.png"), full_page=True)


def test_backlog_page_filters_the_returning_petitioners(demo_live_server, page):
    demo_live_server.sign_in(page, "demo_leader", "/backlog")
    page.wait_for_selector("#bl-cases-table", timeout=30_000)
    page.wait_for_selector("#bl-trend .scatterlayer .trace", timeout=30_000)
    before = page.inner_text("#bl-cases-title")  # read before acting: the answer may come back at once
    everything = count_in(before)
    assert everything > 0 and "包案领导" in page.inner_text("#bl-leaders-table thead")
    page.click("#bl-again input[type=checkbox]")
    page.wait_for_function("t => document.querySelector('#bl-cases-title').innerText !== t",
                           arg=before, timeout=30_000)
    returning = count_in(page.inner_text("#bl-cases-title"))
    assert 0 < returning < everything
    assert "是（" in page.inner_text("#bl-cases-table tbody tr >> nth=0")
    page.screenshot(path=str(demo_live_server.screenshot_dir / "backlog.png"), full_page=True)


def test_warnings_page_acknowledges_a_signal(demo_live_server, page):
    demo_live_server.sign_in(page, "demo_county", "/warnings")  # the leadership acknowledges nothing
    page.wait_for_selector("#wn-map .maplibregl-canvas", timeout=30_000)
    page.wait_for_selector(".signal-card", timeout=30_000)
    first = page.locator(".signal-card").first
    reason = first.locator(".signal-reason").inner_text()
    assert "acknowledged" not in (first.get_attribute("class") or "")
    first.locator(".ack-note input").fill("已电话核实，网格员跟进")
    first.locator(".ack-button").click()
    page.wait_for_function("() => document.querySelector('.signal-card').classList.contains('acknowledged')",
                           timeout=30_000)
    status = first.locator(".ack-status").inner_text()
    assert "已确认" in status and "演示·县级网格督导" in status and "已电话核实" in status
    page.wait_for_function("() => document.querySelector('#wn-ack-count').innerText === '1'", timeout=30_000)
    page.screenshot(path=str(demo_live_server.screenshot_dir / "warnings.png"))

    page.reload()  # kept in the database: shown again after a reload
    page.wait_for_selector(".signal-card.acknowledged", timeout=30_000)
    card = page.locator(".signal-card.acknowledged").first
    assert card.locator(".signal-reason").inner_text() == reason and "演示·县级网格督导" in card.inner_text()
    assert re.search(r"已确认\s*1\s*条", page.inner_text("#wn-summary"))


def test_clock_page_reveals_one_phone_to_a_county_supervisor(demo_live_server, page):
    demo_live_server.sign_in(page, "demo_county", "/clock")  # the leadership gets no reveal buttons
    page.wait_for_selector("#ck-list-table", timeout=30_000)
    before = page.inner_text("#ck-list-title")  # read before acting: the answer may come back at once
    page.fill("#ck-within", "90")  # the county has nothing due within the default week at the end of the data
    page.press("#ck-within", "Enter")
    page.wait_for_function("t => document.querySelector('#ck-list-title').innerText !== t",
                           arg=before, timeout=30_000)
    page.wait_for_selector("#ck-list-table .reveal-button", timeout=30_000)
    settle(page)  # the status line is cleared by its own callback when the filters change
    row = page.locator("#ck-list-table tbody tr").filter(has=page.locator("td:last-child .reveal-button")).first
    ref_no = row.locator("td").first.inner_text()
    masked = row.locator("td").last.inner_text().replace("查看", "").strip()
    assert "*" in masked and page.inner_text("#ck-revealed") == ""
    row.locator("td").last.locator(".reveal-button").click()
    page.wait_for_selector("#ck-revealed strong", timeout=30_000)
    status = page.inner_text("#ck-revealed")
    phone = page.inner_text("#ck-revealed strong")
    assert f"信访事项 {ref_no} 的联系电话" in status and "本次查看已记录" in status
    assert "*" not in phone and (phone[:3], phone[-4:]) == (masked[:3], masked[-4:])
    page.screenshot(path=str(demo_live_server.screenshot_dir / "clock-reveal.png"))
