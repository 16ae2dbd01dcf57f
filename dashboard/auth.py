"""Sign-in for the dashboard: the login page, the session cookie, and the per-request principal.

Every request except the login page and static files must carry a live session. Page requests
without one are sent to the login page; API requests (``/_dash-…``) and a page's own background checks
(``PASSIVE_PATHS``, which do not renew the session) get 401. A page the user's role
may not open is answered with 403. The principal is put in ``geo.access.CURRENT`` for the request,
which is what the callbacks' checks and the database's row-level security read.
"""

from __future__ import annotations

import html
import os
from urllib.parse import quote, urlparse

import dash
import flask

from dashboard import workspace_watch
from dashboard.database import write_session
from geo import access, auth
from geo.audit import record
from geo.errors import Forbidden

COOKIE = "fengqiao_session"
PUBLIC_PREFIXES = ("/login", "/assets/", "/_dash-component-suites/", "/_favicon.ico")
API_PREFIX = "/_dash-"
PASSIVE_PATHS = frozenset({workspace_watch.PATH})
"""Requests a page makes by itself, not the user: answered like API calls, and they do not renew the session."""
LOGIN_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>枫桥网格 · 登录</title>
<link rel="stylesheet" href="/assets/style.css"><link rel="stylesheet" href="/assets/login.css"></head>
<body><main class="login">
<h1>枫桥网格</h1><p class="sub">信阳市矛盾纠纷源头治理</p>
<form method="post" action="/login" id="login-form">
<input type="hidden" name="next" value="{next}">
<label for="username">用户名</label><input id="username" name="username" autocomplete="username" required value="{username}">
<label for="password">密码</label><input id="password" name="password" type="password" autocomplete="current-password" required>
{error}<button type="submit" id="login-submit">登录</button>
</form>
<p class="hint">演示账户由 <code>fengqiao demo load</code>（或 <code>fengqiao up</code>）创建，密码见其输出。</p>
</main></body></html>"""
FORBIDDEN_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>无权访问</title>
<link rel="stylesheet" href="/assets/style.css"></head><body><main class="content" id="forbidden">
<h2>无权访问</h2><p>{reason}</p><p><a href="{home}">返回首页</a></p></main></body></html>"""


def _secure_cookies() -> bool:
    return os.environ.get("FENGQIAO_SECURE_COOKIES", "").lower() in ("1", "true", "yes")


def page_key(path: str) -> str | None:
    """The page key (module name) a URL path opens, or None when no page has that path."""
    for page in dash.page_registry.values():
        if page["path"] == path:
            return page["module"].rsplit(".", 1)[-1]
    return None


def home_of(principal: access.Principal) -> str:
    """The first page (in menu order) the user may open."""
    for page in dash.page_registry.values():
        if principal.may_open(page["module"].rsplit(".", 1)[-1]):
            return page["path"]
    return "/login"


def _safe_next(target: str | None) -> str:
    """Only a local path: never an open redirect."""
    parsed = urlparse(target or "")
    if (parsed.scheme or parsed.netloc or not (target or "").startswith("/") or target.startswith("//")
            or "\\" in target):
        return "/"
    return target


def _login_form(next_path: str = "/", username: str = "", error: str = "", status: int = 200):
    message = f'<p class="error" role="alert" id="login-error">{html.escape(error)}</p>' if error else ""
    body = LOGIN_PAGE.format(next=html.escape(next_path), username=html.escape(username), error=message)
    return flask.Response(body, status=status, mimetype="text/html")


def login():
    if flask.request.method == "GET":
        return _login_form(_safe_next(flask.request.args.get("next")))
    form = flask.request.form
    username, next_path = form.get("username", ""), _safe_next(form.get("next"))
    error = None
    with write_session() as session:  # committed even when refused: failures count towards the lock-out
        try:
            principal, token = auth.sign_in(session, username, form.get("password", ""))
        except Forbidden as exc:
            error = str(exc)
    if error:
        return _login_form(next_path, username, error, status=401)
    page = page_key(urlparse(next_path).path)
    response = flask.redirect(home_of(principal) if page and not principal.may_open(page) else next_path)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", secure=_secure_cookies(),
                        max_age=int(auth.ABSOLUTE_TIMEOUT.total_seconds()))
    return response


def logout():
    with write_session() as session:
        auth.sign_out(session, flask.request.cookies.get(COOKIE))
    response = flask.redirect("/login")
    response.delete_cookie(COOKIE)
    return response


def _before_request():
    path = flask.request.path
    flask.g.principal_token = access.CURRENT.set(None)  # nobody, until the cookie says otherwise
    if path.startswith(PUBLIC_PREFIXES):
        return None
    passive = path in PASSIVE_PATHS
    with write_session() as session:
        principal = auth.resolve(session, flask.request.cookies.get(COOKIE), renew=not passive)
    if principal is None:
        if passive or path.startswith(API_PREFIX):
            return flask.Response("未登录或会话已过期，请重新登录。", status=401, mimetype="text/plain")
        return flask.redirect(f"/login?next={quote(flask.request.full_path.rstrip('?'))}")
    access.CURRENT.set(principal)  # the teardown restores what was there before the request
    page = page_key(path)
    if page and not principal.may_open(page):
        if path == "/":
            return flask.redirect(home_of(principal))
        with write_session() as session:
            record(session, principal.username, "refused", None, {"reason": "无权打开页面", "page": page})
        body = FORBIDDEN_PAGE.format(reason=f"您的角色（{principal.role.label}）不能打开此页面。", home=home_of(principal))
        return flask.Response(body, status=403, mimetype="text/html")
    return None


def _teardown_request(_exc):
    token = flask.g.pop("principal_token", None)
    if token is not None:
        access.CURRENT.reset(token)


def install(server: flask.Flask) -> None:
    """Add the login and logout routes and the per-request check to the Flask server."""
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["POST"])
    server.before_request(_before_request)
    server.teardown_request(_teardown_request)
