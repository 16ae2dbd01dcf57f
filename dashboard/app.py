"""The Dash application: a thin shell around the pages in ``dashboard/pages``, behind the sign-in."""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash, dcc, html

from dashboard import auth, workspace_watch
from geo import access

ASSETS = Path(__file__).resolve().parent.parent / "assets"
TITLE = "枫桥网格 · 信阳市矛盾纠纷源头治理"


def shell():
    """The frame around every page: the menu shows only the pages the signed-in user may open."""
    principal = access.CURRENT.get()
    pages = [page for page in dash.page_registry.values()
             if principal and principal.may_open(page["module"].rsplit(".", 1)[-1])]
    who = []
    if principal:
        area = f" · {principal.region_code}" if principal.region_code else ""
        who = [html.Span(f"{principal.display_name or principal.username}（{principal.role.label}{area}）", id="who"),
               html.Form(html.Button("退出", type="submit", id="logout"), method="POST", action="/logout")]
    return html.Div(
        [
            html.Header(
                [
                    html.H1(TITLE, className="brand"),
                    html.Nav([dcc.Link(page["name"], href=page["relative_path"]) for page in pages]),
                    html.Div(who, className="who"),
                ],
                className="topbar",
            ),
            html.Main(dash.page_container, className="content"),
        ],
        lang="zh-CN",
    )


def create_app() -> Dash:
    app = Dash(
        "dashboard",  # the package name: pages import as dashboard.pages.<page>
        use_pages=True,
        pages_folder=str(Path(__file__).resolve().parent / "pages"),
        assets_folder=str(ASSETS),
        title=TITLE,
        serve_locally=True,
        compress=True,  # gzip: the grid-level map's geometry shrinks about 9 times on the wire
        suppress_callback_exceptions=True,
    )
    app.layout = shell
    auth.install(app.server)
    workspace_watch.install(app.server)
    return app
