"""A live ``fengqiao serve`` on a test database, and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("FENGQIAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_accounts(database_url) -> dict[str, tuple[str, str | None]]:
    """Create the demo accounts in the test's database: username → (password, region code)."""
    from etl.demo.users import create_demo_users
    from geo import db

    engine = db.make_engine(database_url)
    with db.session_factory(engine).begin() as session:
        accounts = create_demo_users(session)
    engine.dispose()
    return {username: (password, region) for username, _, _, region, password in accounts}


def sign_in(page, base: str, username: str, password: str, path: str = "/") -> None:
    """Sign in through the login form and land on ``path``."""
    page.goto(f"{base}/login?next={path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_load_state("domcontentloaded")


def start_server(database_url, log_path: Path) -> tuple[subprocess.Popen, str]:
    """Run the real command in a child process and wait until it answers."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url.render_as_string(hide_password=False)}
    fengqiao = Path(sys.executable).with_name("fengqiao")
    log = open(log_path, "w")
    process = subprocess.Popen([str(fengqiao), "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"fengqiao serve exited: {log_path.read_text()}")
        try:
            urllib.request.urlopen(base + "/login", timeout=2)
            return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"fengqiao serve did not answer within 60 s: {log_path.read_text()}")


class LiveServer(str):
    """The server's base URL, its demo accounts, and a folder for screenshots the tests take."""

    screenshot_dir: Path
    accounts: dict[str, tuple[str, str | None]]

    def sign_in(self, page, username: str = "demo_leader", path: str = "/") -> None:
        sign_in(page, str(self), username, self.accounts[username][0], path)


def _serve(database_url, tmp_path):
    accounts = demo_accounts(database_url)
    process, base = start_server(database_url, tmp_path / "serve.log")
    server = LiveServer(base)
    server.screenshot_dir, server.accounts = tmp_path, accounts
    yield server
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def live_server(fresh_db_url, tmp_path):
    yield from _serve(fresh_db_url, tmp_path)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        raise RuntimeError(f"找不到 Chromium（{CHROMIUM}）：请先运行 bash .ci/setup --test。")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def demo_live_server(fresh_demo_db_url, tmp_path):
    yield from _serve(fresh_demo_db_url, tmp_path)
