"""Signing in and out in real headless Chromium; the menu and the pages follow the role."""

import pytest

pytestmark = pytest.mark.browser


def test_sign_in_menu_refusal_and_sign_out(live_server, page):
    page.goto(live_server + "/pyramid")
    page.wait_for_selector("#login-form")
    assert page.url.endswith("/login?next=/pyramid") and "用户名" in page.inner_text("#login-form")
    page.fill("#username", "demo_township")
    page.fill("#password", "not-the-password")
    page.click("#login-submit")
    assert "用户名或密码错误" in page.inner_text("#login-error")

    live_server.sign_in(page, "demo_township", "/pyramid")
    page.wait_for_selector("#who")
    assert page.url.endswith("/pyramid") and "乡镇网格督导" in page.inner_text("#who")
    menu = page.inner_text("header nav")
    assert "党员联户" in menu and "审计日志" not in menu and "示范县创建" not in menu
    page.screenshot(path=str(live_server.screenshot_dir / "signed-in.png"))

    response = page.goto(live_server + "/audit")
    assert response.status == 403 and "无权访问" in page.inner_text("#forbidden")
    page.goto(live_server + "/pyramid")
    page.click("#logout")
    page.wait_for_selector("#login-form")
    assert page.goto(live_server + "/pyramid").url.endswith("/login?next=/pyramid")
