"""The sign-in layer through Flask's test client on a real database: login, lock-out, pages, forged callbacks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.app import create_app
from dashboard.auth import COOKIE
from dashboard.guard import PAGE_ATTRIBUTE
from geo import auth, db
from geo.enums import Role

TOWNSHIP = "411502001000"
DASH_ROUTER_OUTPUTS = {"_pages_content.children", "_pages_store.data"}
"""Dash's own page router: it renders layouts, and every layout checks the page itself (page_layout)."""


@pytest.fixture(scope="module")
def app():
    app = create_app()
    app._setup_server()
    return app


@pytest.fixture
def site(fresh_demo_db_url, dashboard_on, app):
    """The Flask test client on a database of its own holding one account per role (password = username * 2)."""
    dashboard_on(fresh_demo_db_url)
    engine = db.make_engine(fresh_demo_db_url)
    with db.session_factory(engine).begin() as session:
        for username, role, region in (("leader01", Role.LEADERSHIP, None), ("town01", Role.TOWNSHIP_SUPERVISOR, TOWNSHIP),
                                       ("review01", Role.REVIEWER, None), ("admin01", Role.ADMIN, None)):
            auth.add_user(session, username, username, role, region, password=username * 2)
    yield app.server.test_client(), engine
    engine.dispose()


def sign_in(client, username: str, password: str | None = None, next_path: str = "/"):
    return client.post("/login", data={"username": username, "password": password or username * 2, "next": next_path})


def audit(engine, action: str) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT username, detail FROM audit_log WHERE action = :a ORDER BY id"), {"a": action}).all()


def kpi_request(area: str) -> dict:
    """What the browser sends when the overview's KPI band redraws for ``area``."""
    return {
        "output": "..ov-kpis.children...ov-period-text.children..",
        "outputs": [{"id": "ov-kpis", "property": "children"}, {"id": "ov-period-text", "property": "children"}],
        "inputs": [{"id": "ov-scope", "property": "data", "value": {"area": area, "level": "grid", "trail": [[area, "x"]]}},
                   {"id": "ov-period", "property": "value", "value": [24, 35]},
                   {"id": "ov-refresh-timer", "property": "n_intervals", "value": 0}],
        "changedPropIds": ["ov-scope.data"], "state": [],
    }


def test_every_server_callback_checks_its_page(app):
    unguarded = []
    for output, spec in app.callback_map.items():
        function = spec.get("callback")
        if function is None or set(output.strip(".").split("...")) <= DASH_ROUTER_OUTPUTS:
            continue
        chain = []
        while function is not None:
            chain.append(function)
            function = getattr(function, "__wrapped__", None)
        if not any(getattr(f, PAGE_ATTRIBUTE, None) for f in chain):
            unguarded.append(output)
    assert unguarded == []
    assert len(app.callback_map) > 40


def test_nothing_is_served_without_signing_in(site):
    client, _ = site
    assert client.get("/").status_code == 302 and "/login?next=/" in client.get("/").headers["Location"]
    assert client.get("/workspace?township=1").headers["Location"].startswith("/login?next=/workspace")
    assert client.post("/_dash-update-component", json=kpi_request(TOWNSHIP)).status_code == 401
    assert client.get("/_dash-layout").status_code == 401
    login = client.get("/login")
    assert login.status_code == 200 and "登录" in login.get_data(as_text=True)


def test_signing_in_sets_a_cookie_and_signing_out_ends_the_session(site):
    client, engine = site
    response = sign_in(client, "leader01", next_path="/pyramid")
    assert response.status_code == 302 and response.headers["Location"] == "/pyramid"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(COOKIE + "=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/pyramid").status_code == 200
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "市领导小组" in layout and "审计日志" not in layout  # the menu shows only what the role may open
    assert client.post("/logout").headers["Location"] == "/login"
    assert client.get("/pyramid").status_code == 302
    assert [row.username for row in audit(engine, "sign_out")] == ["leader01"]


def test_a_wrong_password_is_refused_in_chinese_and_an_open_redirect_is_not_followed(site):
    client, engine = site
    refused = sign_in(client, "leader01", "not-the-password")
    assert refused.status_code == 401 and "用户名或密码错误" in refused.get_data(as_text=True)
    assert sign_in(client, "leader01", next_path="https://evil.example/").headers["Location"] == "/"
    assert sign_in(client, "leader01", next_path="/\\evil.example/").headers["Location"] == "/"
    assert [row.detail["reason"] for row in audit(engine, "sign_in_failed")] == ["wrong password"]


def test_pages_outside_the_role_are_refused_and_logged(site):
    client, engine = site
    sign_in(client, "review01")
    assert client.get("/").status_code == 302  # the overview is not a reviewer's page: sent to their first page
    assert client.get("/pyramid").status_code == 200
    assert client.get("/audit").status_code == 403 and client.get("/workspace").status_code == 403
    assert {row.detail["page"] for row in audit(engine, "refused")} == {"audit", "workspace"}


def test_a_forged_callback_for_another_area_is_refused_and_logged(site):
    client, engine = site
    sign_in(client, "town01")
    own = client.post("/_dash-update-component", json=kpi_request(TOWNSHIP))
    assert own.status_code == 200 and set(own.get_json()["response"]) == {"ov-kpis", "ov-period-text"}
    forged = client.post("/_dash-update-component", json=kpi_request("411522"))
    assert forged.status_code == 403
    refused = audit(engine, "refused")
    assert [(row.username, row.detail["area"]) for row in refused] == [("town01", "411522")]
    city = client.post("/_dash-update-component", json=kpi_request(""))  # "" = the whole city → their own area
    assert city.status_code == 200


def test_a_reviewer_cannot_call_a_supervisors_callback(site):
    client, engine = site
    sign_in(client, "review01")
    assert client.post("/_dash-update-component", json=kpi_request(TOWNSHIP)).status_code == 403
    assert audit(engine, "refused")[0].detail["page"] == "overview"
