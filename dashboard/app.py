"""The Dash application: a thin shell around the pages in ``dashboard/pages``."""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash, dcc, html

ASSETS = Path(__file__).resolve().parent.parent / "assets"
TITLE = "枫桥网格 · 信阳市矛盾纠纷源头治理"


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
    app.layout = html.Div(
        [
            html.Header(
                [
                    html.H1(TITLE, className="brand"),
                    html.Nav([dcc.Link(page["name"], href=page["relative_path"]) for page in dash.page_registry.values()]),
                ],
                className="topbar",
            ),
            html.Main(dash.page_container, className="content"),
        ],
        lang="zh-CN",
    )
    return app
