"""The workspace's watch for colleagues' changes: a passive request (it never renews the session), scoped to the
user's area, and the "更新" button that redraws what changed."""

from __future__ import annotations

import sqlalchemy as sa

from geo import db
from geo.access import Principal
from geo.enums import Role
from geo.linking import link
from tests.dashboard.test_auth import TOWNSHIP, app, sign_in, site  # noqa: F401 (fixtures)
from tests.dashboard.test_overview import run
from tests.dashboard.test_workspace_page import _unlinked_pair, owner, township, workspace  # noqa: F401 (fixtures)

COLLEAGUE = "colleague"


def link_as_colleague(engine, township_code: str, households: int = 2,
                      username: str = COLLEAGUE) -> tuple[list[int], int]:
    """Another supervisor of the township links households (committed); (households, the change's id)."""
    with db.session_factory(engine).begin() as session:
        ids, member = _unlinked_pair(session, township_code, households)
        result = link(session, Principal(username, Role.TOWNSHIP_SUPERVISOR, township_code), ids, member)
    return ids, result.change_id


def last_seen(engine, username: str):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT s.last_seen_at FROM user_session s JOIN app_user u ON u.id = s.user_id"
                                    " WHERE u.username = :u AND s.ended_at IS NULL"), {"u": username}).scalar()


def idle_for(engine, username: str, minutes: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE user_session s SET last_seen_at = now() - make_interval(mins => :m) FROM app_user u"
                             " WHERE u.id = s.user_id AND u.username = :u"), {"m": minutes, "u": username})


def test_the_watch_names_colleagues_changes_only(site):
    client, engine = site
    sign_in(client, "town01")
    assert client.get(f"/workspace/changes?township={TOWNSHIP}&after=0").get_json() == {"users": [], "households": 0}
    households, change = link_as_colleague(engine, TOWNSHIP)
    news = client.get(f"/workspace/changes?township={TOWNSHIP}&after={change - 1}").get_json()
    assert news == {"users": [COLLEAGUE], "households": len(households)}
    assert client.get(f"/workspace/changes?township={TOWNSHIP}&after={change}").get_json()["households"] == 0
    _, mine = link_as_colleague(engine, TOWNSHIP, username="town01")  # one's own changes are not news
    assert client.get(f"/workspace/changes?township={TOWNSHIP}&after={mine - 1}").get_json()["households"] == 0


def test_the_watch_does_not_keep_the_session_alive(site):
    client, engine = site
    sign_in(client, "town01")
    idle_for(engine, "town01", 10)
    before = last_seen(engine, "town01")
    assert client.get(f"/workspace/changes?township={TOWNSHIP}&after=0").status_code == 200
    assert last_seen(engine, "town01") == before  # the page asked, not the user
    assert client.get("/workspace").status_code == 200
    assert last_seen(engine, "town01") > before  # the user did
    idle_for(engine, "town01", 31)
    expired = client.get(f"/workspace/changes?township={TOWNSHIP}&after=0")
    assert expired.status_code == 401 and "会话已过期" in expired.get_data(as_text=True)


def test_the_watch_refuses_other_areas_and_roles(site):
    client, engine = site
    sign_in(client, "town01")
    assert client.get("/workspace/changes?township=411503001000&after=0").status_code == 403
    assert client.get("/workspace/changes?township=../etc&after=0").status_code == 400
    client.post("/logout")
    sign_in(client, "leader01")
    assert client.get(f"/workspace/changes?township={TOWNSHIP}&after=0").status_code == 403
    with engine.connect() as conn:
        refused = conn.execute(sa.text("SELECT username FROM audit_log WHERE action = 'refused' ORDER BY id")).scalars().all()
    assert refused == ["town01", "leader01"]


def test_update_redraws_what_a_colleague_changed(workspace, owner, township):
    seen = run(workspace.load, None, township)[10]
    households, change = link_as_colleague(owner.get_bind(), township)
    message, figure, transaction, panel, options, latest, hidden = run(workspace.refresh, None, 1, township, seen)
    assert "已更新" in str(message.children) and latest == change and hidden is True
    assert sorted(r["id"] for r in transaction["update"]) == households
    assert all(r["status"] == "已联户" for r in transaction["update"])
    assert run(workspace.refresh, None, 2, township, latest)[2] == {"update": []}
