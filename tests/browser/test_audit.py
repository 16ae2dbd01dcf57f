"""The administrators' audit page in real headless Chromium: refusals elsewhere show up here."""

import pytest

pytestmark = pytest.mark.browser


def test_admin_sees_a_refusal_and_filters_by_user(live_server, page):
    live_server.sign_in(page, "demo_township", "/pyramid")
    assert page.goto(live_server + "/audit").status == 403  # logged as a refusal
    live_server.sign_in(page, "demo_admin", "/audit")
    page.wait_for_selector("#au-entries")
    listing = page.inner_text("#au-entries")
    assert "越权请求被拒绝" in listing and "demo_township" in listing and "登录" in listing
    page.fill("#au-user", "demo_admin")
    page.press("#au-user", "Enter")
    page.wait_for_function("() => !document.querySelector('#au-entries').innerText.includes('demo_township')",
                           timeout=30_000)
    assert "demo_admin" in page.inner_text("#au-entries")
    with page.expect_download() as xlsx:
        page.click("#au-xlsx")
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    page.screenshot(path=str(live_server.screenshot_dir / "audit.png"), full_page=True)
