"""``GET /workspace/changes``: has anyone else changed a township's links since the workspace drew them?

The workspace asks by itself every ``WATCH_MS`` (a clientside callback, ``assets/workspace.js``), so the
session check treats this path as passive (``dashboard.auth.PASSIVE_PATHS``): it does not renew the
session, and an open workspace still idles out. The answer names the colleagues and counts the
households, nothing more; the page's “更新” button, a request of the user's, redraws the rows.
"""

from __future__ import annotations

import flask

from dashboard.database import read_session
from dashboard.guard import check_area, principal_for
from geo.areas import TOWNSHIP_CODE
from geo.workspace import changes_since

PATH = "/workspace/changes"
WATCH_MS = 15_000


def changes() -> flask.Response:
    """JSON {users, households}: who else changed links of the township after change ``after``, and how many
    households they touched."""
    principal = principal_for("workspace")  # 403 and logged for a role without the workspace
    township = flask.request.args.get("township", "")
    after = flask.request.args.get("after", default=0, type=int)
    if not TOWNSHIP_CODE.fullmatch(township):
        return flask.Response("乡镇（街道）代码无效。", status=400, mimetype="text/plain")
    check_area(township)  # 403 and logged outside the user's area
    with read_session() as session:
        found = changes_since(session, township, after)
    others = found[found["username"] != principal.username]
    return flask.jsonify(users=sorted(set(others["username"])), households=int(others["household_id"].nunique()))


def install(server: flask.Flask) -> None:
    server.add_url_rule(PATH, "workspace_changes", changes)
