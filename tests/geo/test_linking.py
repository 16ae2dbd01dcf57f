"""党员联户 changes (geo.linking) on the small demo data, as the application role under row-level security.

The township with the most unlinked households is the supervisor's area; members and households are picked
from it with an owner session (``demo_session``) and changed through ``as_user`` sessions, rolled back after
each test. The concurrency tests commit, so they run on a database of their own (``fresh_demo_db_url``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo import db, linking
from geo.access import Principal, apply_scope
from geo.enums import Role
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.models import AuditLog, LinkChange
from tests.conftest import audit_entries

ACTIVE = "NOT EXISTS (SELECT 1 FROM member_household_link l WHERE l.household_id = h.id AND l.valid_to IS NULL)"
LOAD = "(SELECT count(*) FROM member_household_link l WHERE l.member_id = m.id AND l.valid_to IS NULL)"


@dataclass(frozen=True)
class Plan:
    township: str
    cell: str
    member_a: int
    member_b: int
    households: list[int]  # unlinked, in ``cell``


def busiest_township(connection) -> str:
    """The township with the most unlinked households."""
    return connection.execute(sa.text(
        f"SELECT township_code FROM household h WHERE {ACTIVE} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalar()


def make_plan(connection, room: int = 4) -> Plan:
    """Two members of one cell, each with ``room`` places left, and three unlinked households of that cell."""
    township = busiest_township(connection)
    row = connection.execute(sa.text(f"""
        WITH cells AS (SELECT grid_code, array_agg(id ORDER BY id) AS ids FROM household h
                       WHERE township_code = :t AND {ACTIVE} GROUP BY grid_code HAVING count(*) >= 3),
             roomy AS (SELECT m.grid_code, array_agg(m.id ORDER BY m.id) AS ids FROM party_member m
                       WHERE m.township_code = :t AND LEAST(m.capacity, 15) - {LOAD} >= :room GROUP BY m.grid_code
                       HAVING count(*) >= 2)
        SELECT c.grid_code, r.ids[1] AS a, r.ids[2] AS b, c.ids[1:3] AS households
        FROM cells c JOIN roomy r USING (grid_code) ORDER BY c.grid_code LIMIT 1"""),
        {"t": township, "room": room}).one()
    return Plan(township, row.grid_code, row.a, row.b, list(row.households))


@pytest.fixture
def plan(demo_session) -> Plan:
    return make_plan(demo_session.connection())


@pytest.fixture
def supervisor(plan) -> Principal:
    return Principal("tw_sup", Role.TOWNSHIP_SUPERVISOR, plan.township, "乡镇督导")


def active_member(session, household: int) -> int | None:
    return session.execute(sa.text("SELECT member_id FROM member_household_link WHERE household_id = :h"
                                   " AND valid_to IS NULL"), {"h": household}).scalar()


def audit(session, username: str) -> list[AuditLog]:
    return audit_entries(session, username)


def changes(session, username: str) -> list[LinkChange]:
    return list(session.scalars(sa.select(LinkChange).where(LinkChange.username == username).order_by(LinkChange.id)))


def test_link_move_unlink_and_undo_keep_the_history_and_the_audit_trail(as_user, plan, supervisor):
    session = as_user(supervisor)
    households = plan.households

    linked = linking.link(session, supervisor, households, plan.member_a)
    assert (linked.kind, linked.changed) == ("link", 3) and linked.message.startswith("已将 3 户联系到党员 ")
    assert "*" in linked.message  # the member's name is masked
    assert {active_member(session, h) for h in households} == {plan.member_a}

    moved = linking.move(session, supervisor, households[:2], plan.member_b)
    unlinked = linking.unlink(session, supervisor, households[:1])
    assert (moved.changed, unlinked.changed) == (2, 1)
    assert [active_member(session, h) for h in households] == [None, plan.member_b, plan.member_a]

    periods = linking.history(session, households[0])
    assert periods["member_id"].tolist() == [plan.member_a, plan.member_b]
    assert periods["assigned_by"].tolist() == ["tw_sup", "tw_sup"] and periods["ended_by"].tolist() == ["tw_sup"] * 2
    assert not periods["active"].any()
    assert (periods["valid_to"] > periods["valid_from"]).all()
    assert periods["valid_to"].iloc[0] <= periods["valid_from"].iloc[1]

    first, second, third = changes(session, "tw_sup")
    assert [c.kind for c in (first, second, third)] == ["link", "move", "unlink"]
    assert first.items[0] == {"household_id": households[0], "from_member": None, "to_member": plan.member_a,
                              "exception": False}
    assert third.items == [{"household_id": households[0], "from_member": plan.member_b, "to_member": None,
                            "exception": False}]
    assert first.township_code == plan.township

    undone = [linking.undo_last(session, supervisor) for _ in range(3)]
    assert [u.kind for u in undone] == ["undo"] * 3 and [u.changed for u in undone] == [1, 2, 3]
    assert "已撤销" in undone[0].message
    assert [active_member(session, h) for h in households] == [None, None, None]
    session.expire_all()
    log = changes(session, "tw_sup")
    assert [c.undone_by for c in log[:3]] == [u.change_id for u in reversed(undone)]
    assert all(c.undone_by is None for c in log[3:])
    nothing = linking.undo_last(session, supervisor)
    assert nothing.change_id is None and nothing.changed == 0

    assert len(linking.history(session, households[0])) == 4  # a, b, b again (undo of unlink), a again (undo of move)
    entries = audit(session, "tw_sup")
    assert [e.action for e in entries] == ["link", "move", "unlink", "undo", "undo", "undo"]
    assert entries[0].target == f"link_change/{first.id}" and entries[0].detail["households"] == 3
    assert entries[3].detail["undone"] == third.id


def test_undo_is_refused_when_a_household_changed_since(as_user, plan, supervisor):
    county = Principal("co_sup", Role.COUNTY_SUPERVISOR, plan.township[:6])
    session = as_user(supervisor)
    linking.link(session, supervisor, plan.households[:2], plan.member_a)
    linking.move(session, county, plan.households[1:2], plan.member_b)
    with pytest.raises(InvalidInput, match=f"1 户在这次调整之后又被 co_sup 改动过.*{plan.households[1]}"):
        linking.undo_last(session, supervisor)
    assert active_member(session, plan.households[0]) == plan.member_a


def test_a_household_of_another_township_is_invisible_and_refused(demo_session, as_user, plan, supervisor):
    other = demo_session.execute(sa.text(f"SELECT id FROM household h WHERE township_code <> :t AND {ACTIVE}"
                                         " ORDER BY id LIMIT 1"), {"t": plan.township}).scalar()
    session = as_user(supervisor)
    with pytest.raises(Forbidden, match=f"找不到住户 {other}，或其不在您的管辖范围内"):
        linking.link(session, supervisor, [plan.households[0], other], plan.member_a)
    assert active_member(session, plan.households[0]) is None  # nothing of the change was made
    [entry] = audit(session, "tw_sup")
    assert (entry.action, entry.detail["action"]) == ("refused", "link") and str(other) in entry.detail["reason"]


def test_a_member_of_another_township_is_refused(demo_session, as_user, plan, supervisor):
    hidden, seen = demo_session.execute(sa.text(
        "SELECT id FROM party_member WHERE township_code <> :t AND county_code = :c ORDER BY id LIMIT 2"),
        {"t": plan.township, "c": plan.township[:6]}).scalars().all()
    with pytest.raises(Forbidden, match=f"找不到党员 {hidden}"):
        linking.link(as_user(supervisor), supervisor, plan.households[:1], hidden)
    # Without row-level security (an owner session) the member is found, and the area check refuses it.
    # (Other ids than above: both sessions stay open, and the first holds its advisory locks until the end.)
    with pytest.raises(Forbidden, match="不在您的管辖范围"):
        linking.link(demo_session, supervisor, plan.households[1:], seen)
    assert active_member(demo_session, plan.households[1]) is None


@pytest.mark.parametrize("role", [Role.LEADERSHIP, Role.REVIEWER])
def test_leadership_and_reviewers_cannot_change_links(as_user, plan, role):
    reader = Principal("reader", role, None)
    session = as_user(reader)
    for attempt in (lambda: linking.link(session, reader, plan.households, plan.member_a),
                    lambda: linking.move(session, reader, plan.households, plan.member_a),
                    lambda: linking.unlink(session, reader, plan.households),
                    lambda: linking.apply_suggestion(session, reader, [(plan.households[0], plan.member_a)]),
                    lambda: linking.undo_last(session, reader),
                    lambda: linking.set_link_cap(session, reader, plan.township, 10)):
        with pytest.raises(Forbidden, match="无权执行此操作"):
            attempt()
    assert [e.action for e in audit(session, "reader")] == ["refused"] * 6


def test_the_cap_refuses_a_change_with_the_numbers(demo_session, as_user, plan, supervisor):
    session = as_user(supervisor)
    load = demo_session.execute(sa.text("SELECT count(*) FROM member_household_link WHERE member_id = :m"
                                        " AND valid_to IS NULL"), {"m": plan.member_a}).scalar()
    linking.set_link_cap(session, supervisor, plan.township, load + 2)
    assert linking.link_cap(session, plan.township) == load + 2
    assert linking.member_cap(session, plan.member_a) == min(15, load + 2)
    with pytest.raises(InvalidInput, match=f"现联系 {load} 户，再联系 3 户将达 {load + 3} 户，超过上限 {load + 2} 户"):
        linking.link(session, supervisor, plan.households, plan.member_a)
    assert active_member(session, plan.households[0]) is None
    assert linking.link(session, supervisor, plan.households[:2], plan.member_a).changed == 2
    with pytest.raises(InvalidInput, match="超过上限"):
        linking.link(session, supervisor, plan.households[2:], plan.member_a)
    assert [e.action for e in audit(session, "tw_sup")] == ["set_link_cap", "link"]
    with pytest.raises(InvalidInput, match="1 到 100"):
        linking.set_link_cap(session, supervisor, plan.township, 0)


def test_the_default_cap_applies_where_no_township_cap_is_set(as_user, plan, supervisor):
    session = as_user(supervisor)
    assert linking.link_cap(session, plan.township) == 15
    assert linking.member_cap(session, plan.member_a) == 15


def _cell_household(demo_session, plan, neighbouring: bool) -> tuple[int, str]:
    relation = "" if neighbouring else "NOT"
    return tuple(demo_session.execute(sa.text(f"""
        SELECT h.id, h.grid_code FROM household h JOIN grid_cell a ON a.code = h.grid_code, grid_cell b
        WHERE b.code = :cell AND h.township_code = :t AND h.grid_code <> :cell AND {relation} ST_Intersects(a.geom, b.geom)
          AND {ACTIVE} ORDER BY h.id LIMIT 1"""), {"cell": plan.cell, "t": plan.township}).one())


def test_a_household_beyond_the_neighbouring_cells_needs_a_confirmed_exception(demo_session, as_user, plan, supervisor):
    far, far_cell = _cell_household(demo_session, plan, neighbouring=False)
    near, _ = _cell_household(demo_session, plan, neighbouring=True)
    session = as_user(supervisor)
    with pytest.raises(linking.NeedsException, match=f"有 1 户（住户 {far}）所在网格 {far_cell}") as refused:
        linking.link(session, supervisor, [near, far, plan.households[0]], plan.member_a)
    assert (refused.value.households, refused.value.cells) == ([far], [far_cell])
    assert active_member(session, near) is None

    result = linking.link(session, supervisor, [near, far, plan.households[0]], plan.member_a, confirm_exception=True)
    assert result.changed == 3 and "1 户为经确认的跨网格联系" in result.message
    [change] = changes(session, "tw_sup")
    assert {i["household_id"]: i["exception"] for i in change.items} == {near: False, far: True,
                                                                         plan.households[0]: False}
    assert audit(session, "tw_sup")[-1].detail["exceptions"] == 1


def test_linking_an_already_linked_household_is_refused_and_names_who_linked_it(demo_session, as_user, plan, supervisor):
    taken = demo_session.execute(sa.text(
        "SELECT h.id FROM household h JOIN member_household_link l ON l.household_id = h.id AND l.valid_to IS NULL"
        " WHERE h.grid_code = :cell ORDER BY h.id LIMIT 1"), {"cell": plan.cell}).scalar()
    session = as_user(supervisor)
    with pytest.raises(InvalidInput, match=f"有 1 户已由 演示数据生成 联系（住户 {taken}），请刷新后重试"):
        linking.link(session, supervisor, [plan.households[0], taken], plan.member_a)
    with pytest.raises(InvalidInput, match=f"1 户尚未联系党员（住户 {plan.households[0]}），无法调整"):
        linking.move(session, supervisor, [plan.households[0], taken], plan.member_a)
    with pytest.raises(InvalidInput, match="无法解除"):
        linking.unlink(session, supervisor, [plan.households[0]])
    assert changes(session, "tw_sup") == [] and active_member(session, plan.households[0]) is None


@pytest.mark.parametrize("bad", [[], [0], [-3], ["12"], [1.5], [True]])
def test_malformed_household_ids_are_refused(as_user, plan, supervisor, bad):
    with pytest.raises(InvalidInput):
        linking.link(as_user(supervisor), supervisor, bad, plan.member_a)


def test_history_of_a_household_outside_the_area_is_not_found(demo_session, as_user, plan, supervisor):
    other, member = demo_session.execute(sa.text(
        "SELECT h.id, l.member_id FROM household h JOIN member_household_link l ON l.household_id = h.id"
        " AND l.valid_to IS NULL WHERE h.township_code <> :t ORDER BY h.id LIMIT 1"), {"t": plan.township}).one()
    with pytest.raises(NotFound, match=str(other)):
        linking.history(as_user(supervisor), other)
    periods = linking.history(demo_session, other)  # the owner sees it
    assert periods["member_id"].iloc[-1] == member and periods["active"].iloc[-1]


# --- concurrency: real commits on a database of the test's own -----------------------------------------------------

@pytest.fixture
def engines(fresh_demo_db_url):
    owner, app = db.make_engine(fresh_demo_db_url), db.make_engine(db.app_url(fresh_demo_db_url))
    yield owner, app
    app.dispose()
    owner.dispose()


def _waiting_on_a_lock(owner, count: int = 1, timeout: float = 20.0) -> None:
    """Wait until ``count`` application connections are blocked on a lock (advisory, row or transaction)."""
    deadline = time.monotonic() + timeout
    with owner.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND usename = 'fengqiao_app' AND wait_event_type = 'Lock'")).scalar()
            if waiting >= count:
                return
            connection.rollback()  # pg_stat_activity is a snapshot taken once per transaction
            time.sleep(0.02)
    raise AssertionError("the second transaction never waited for the first")


class Attempt(threading.Thread):
    """One change in its own transaction as the app role; optionally holds its transaction open until released."""

    def __init__(self, app, principal, households, member, hold: threading.Event | None = None):
        super().__init__(daemon=True)
        self.app, self.principal, self.households, self.member, self.hold = app, principal, households, member, hold
        self.done_change = threading.Event()
        self.result = self.error = None

    def run(self) -> None:
        with Session(bind=self.app) as session:
            apply_scope(session.connection(), self.principal)
            try:
                self.result = linking.link(session, self.principal, self.households, self.member)
            except InvalidInput as exc:
                self.error = exc
            self.done_change.set()
            if self.hold is not None:
                self.hold.wait(30)
            session.commit()


@pytest.mark.parametrize("scenario", ["same household", "last place"])
def test_concurrent_changes_are_serialised(engines, scenario):
    owner, app = engines
    with owner.begin() as connection:
        plan = make_plan(connection, room=2)
        if scenario == "last place":  # member_a has exactly one place left
            load = connection.execute(sa.text("SELECT count(*) FROM member_household_link WHERE member_id = :m"
                                              " AND valid_to IS NULL"), {"m": plan.member_a}).scalar()
            connection.execute(sa.text("INSERT INTO link_cap (township_code, cap, set_by) VALUES (:t, :cap, 'test')"),
                               {"t": plan.township, "cap": load + 1})
    township = Principal("tw_sup", Role.TOWNSHIP_SUPERVISOR, plan.township)
    county = Principal("co_sup", Role.COUNTY_SUPERVISOR, plan.township[:6])
    h1, h2 = plan.households[:2]
    second_target = ([h1], plan.member_b) if scenario == "same household" else ([h2], plan.member_a)

    release = threading.Event()
    first = Attempt(app, township, [h1], plan.member_a, hold=release)
    first.start()
    assert first.done_change.wait(30) and first.result is not None
    second = Attempt(app, county, *second_target)
    second.start()
    _waiting_on_a_lock(owner)
    release.set()
    first.join(30)
    second.join(30)

    assert second.result is None
    expected = "已由 tw_sup 联系（住户" if scenario == "same household" else "超过上限"
    assert expected in str(second.error)
    with owner.connect() as connection:
        links = connection.execute(sa.text("SELECT household_id, member_id, assigned_by FROM member_household_link"
                                           " WHERE household_id = ANY(:ids) AND valid_to IS NULL"),
                                   {"ids": [h1, h2]}).all()
        assert [tuple(r) for r in links] == [(h1, plan.member_a, "tw_sup")]
        assert connection.execute(sa.text("SELECT count(*) FROM link_change")).scalar() == 1


def test_the_unique_index_refusal_becomes_the_same_message(engines):
    """A writer that skips the locks (here the owner) links the household first: the index refuses ours."""
    owner, app = engines
    with owner.connect() as connection:
        plan = make_plan(connection)
    supervisor = Principal("tw_sup", Role.TOWNSHIP_SUPERVISOR, plan.township)
    household = plan.households[0]
    with owner.connect() as blocker:
        blocker.execute(sa.text("INSERT INTO member_household_link (member_id, household_id, assigned_by)"
                                " VALUES (:m, :h, 'loader')"), {"m": plan.member_b, "h": household})
        attempt = Attempt(app, supervisor, [household], plan.member_a)
        attempt.start()
        _waiting_on_a_lock(owner)  # our insert waits on the blocker's uncommitted index entry
        blocker.commit()
    attempt.join(30)
    assert attempt.result is None
    assert f"已由 loader 联系（住户 {household}），请刷新后重试" in str(attempt.error)
    with owner.connect() as connection:
        assert connection.execute(sa.text("SELECT member_id FROM member_household_link WHERE household_id = :h"
                                          " AND valid_to IS NULL"), {"h": household}).scalar() == plan.member_b
        assert connection.execute(sa.text("SELECT count(*) FROM link_change")).scalar() == 0
