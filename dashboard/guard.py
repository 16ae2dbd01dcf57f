"""Server-side checks for pages and callbacks: role first, then area. Every refusal is logged.

Each page module replaces Dash's ``callback`` with ``page_callback(<page key>)``; the wrapper checks
that the signed-in user may use that page before the callback's body runs. Callbacks that take an
area, a unit or a record call ``check_area`` / ``check_write`` on it. A refusal is an HTTP 403 (a
forged request gets no data) and a row in the audit log.
"""

from __future__ import annotations

import functools

import dash
from dash import html
from werkzeug.exceptions import Forbidden as HttpForbidden

from dashboard.database import write_session
from geo import access
from geo.access import Principal
from geo.audit import record
from geo.errors import Forbidden

PAGE_ATTRIBUTE = "fengqiao_page"


def refuse(reason: str, detail: dict | None = None) -> HttpForbidden:
    """Log a refused request and return the 403 to raise."""
    principal = access.CURRENT.get()
    with write_session() as session:
        record(session, principal.username if principal else "", "refused", None, {"reason": reason, **(detail or {})})
    return HttpForbidden(reason)


def principal_for(page: str) -> Principal:
    """The signed-in principal if it may use ``page``; otherwise refuse (logged)."""
    principal = access.CURRENT.get()
    if principal is None:
        raise refuse("未登录", {"page": page})
    if not principal.may_open(page):
        raise refuse(f"角色 {principal.role.label} 无权使用页面 {page}", {"page": page})
    return principal


def page_callback(page: str):
    """``dash.callback`` for the callbacks of ``page``: the page check runs before the body."""

    def callback(*args, **kwargs):
        def decorate(function):
            @functools.wraps(function)
            def checked(*call_args, **call_kwargs):
                principal_for(page)
                return function(*call_args, **call_kwargs)

            setattr(checked, PAGE_ATTRIBUTE, page)
            return dash.callback(*args, **kwargs)(checked)

        return decorate

    return callback


def check_area(code: str | None) -> Principal:
    """Refuse (logged) a read of ``code`` outside the user's area; '' and None mean the user's own area."""
    principal = access.current()
    try:
        access.require_area(principal, code)
    except Forbidden as exc:
        raise refuse(str(exc), {"area": code}) from None
    return principal


def scoped_area(code: str | None) -> str:
    """The area a callback reads: ``code`` when the user may read it (refused and logged otherwise).

    '' (the whole city, every area selector's default) means the user's own area: the city for
    leadership and reviewers, the county or township for a supervisor.
    """
    principal = access.current()
    if not code or code == access.CITY_CODE:
        return principal.region_code if principal.role in access.SUPERVISORS else ""
    check_area(code)
    return code


def check_write(action: str, code: str | None = None) -> Principal:
    """Refuse (logged) a write the role may not do, or one outside the user's area."""
    principal = access.current()
    try:
        access.require_action(principal, action, code)
    except Forbidden as exc:
        raise refuse(str(exc), {"action": action, "area": code}) from None
    return principal


def page_layout(page: str):
    """Decorate a page's ``layout`` function: a user who may not open the page gets a notice instead."""

    def decorate(layout):
        @functools.wraps(layout)
        def checked(**kwargs):
            principal = access.CURRENT.get()
            if principal is None or not principal.may_open(page):
                refuse("无权打开页面", {"page": page})
                return html.Div([html.H2("无权访问"), html.P("您的角色不能打开此页面。")], className="forbidden",
                                id="forbidden")
            return layout(**kwargs)

        return checked

    return decorate
