"""Revealing a listed petitioner's name or phone on the 法定时限 page: supervisors, in their area, always logged."""

from __future__ import annotations

import importlib
import json
from contextvars import copy_context

import pytest
import sqlalchemy as sa
from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict, stringify_id
from sqlalchemy.orm import Session

from dashboard.app import create_app
from geo import auth, db
from geo.access import Principal
from geo.enums import Role
from tests.dashboard.conftest import LEADER
from tests.dashboard.test_auth import sign_in
from tests.dashboard.test_overview import run

COUNTY = "411502"        # 浉河区
OTHER_COUNTY = "411522"  # 光山县
SUPERVISOR = Principal("shihe_sup", Role.COUNTY_SUPERVISOR, COUNTY, "测试·县级督导")
LISTING = ("2024-06-30", 60, "", "county")
"""The clock page's filters: as of mid-2024, due within 60 days, the user's own area, by county."""


@pytest.fixture(scope="module")
def app():
    app = create_app()
    app._setup_server()
    return app


@pytest.fixture(scope="module")
def clock(app):
    return importlib.import_module("dashboard.pages.clock")


@pytest.fixture
def owner(fresh_demo_db_url, dashboard_on, clock):
    """The dashboard on a fresh demo copy (reveals commit audit rows); an owner's engine on it for checks."""
    dashboard_on(fresh_demo_db_url)
    engine = db.make_engine(fresh_demo_db_url)
    yield engine
    engine.dispose()


def click(clock, button_id: dict, clicks: int = 1):
    """``reveal_personal`` as Dash calls it when the button ``button_id`` was clicked."""
    def call():
        prop_id = f"{stringify_id(button_id)}.n_clicks"
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": clicks}]))
        return clock.reveal_personal([clicks])
    return copy_context().run(call)


def reveal_buttons(component) -> list[dict]:
    """The ids of every reveal button inside a component tree."""
    found = []
    if isinstance(getattr(component, "id", None), dict) and component.id.get("type") == "ck-reveal":
        found.append(component.id)
    children = getattr(component, "children", None) if not isinstance(component, list) else component
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found += reveal_buttons(child)
    return found


def find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str) and (found := find(child, component_id)) is not None:
            return found
    return None


def text_of(component) -> str:
    return json.dumps(component, ensure_ascii=False,
                      default=lambda c: c.to_plotly_json() if hasattr(c, "to_plotly_json") else str(c))


def audit(engine, username: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(
            "SELECT action, target, detail FROM audit_log WHERE username = :u AND action IN ('reveal', 'refused')"
            " ORDER BY id"), {"u": username})]


def petition(engine, petition_id: int):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT ref_no, county_code, petitioner_name, petitioner_phone FROM petition"
                                    " WHERE id = :id"), {"id": petition_id}).one()


def other_county_petition(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT id FROM petition WHERE county_code = :c AND petitioner_phone IS NOT NULL"
                                   " ORDER BY id LIMIT 1"), {"c": OTHER_COUNTY})


def test_a_county_supervisor_reveals_a_listed_phone_and_it_is_logged(clock, owner, signed_in):
    signed_in(SUPERVISOR)
    layout = clock.layout()
    assert find(layout, "ck-revealed").hidden is False
    *_, listing, error = run(clock.update, None, *LISTING)
    buttons = reveal_buttons(listing)
    assert error == "" and buttons
    assert {b["field"] for b in buttons} == {"petitioner_name", "petitioner_phone"}
    assert all(petition(owner, b["petition"]).county_code == COUNTY for b in buttons[:20])
    button = next(b for b in buttons if b["field"] == "petitioner_phone")
    ref_no, _, name, phone = petition(owner, button["petition"])
    assert ref_no == button["ref"] and phone not in text_of(listing) and name not in text_of(listing)  # masked

    shown = click(clock, button)

    assert shown[1].children == phone
    assert text_of(shown).startswith(f'["信访事项 {ref_no} 的联系电话：') and "本次查看已记录" in text_of(shown)
    assert audit(owner, SUPERVISOR.username) == [("reveal", f"petition/{button['petition']}",
                                                  {"field": "petitioner_phone"})]


@pytest.mark.parametrize("forged, field, reason", [
    ("other_county", "petitioner_phone", "不在您的管辖范围内"),
    ("own", "petitioner_address", "不属于可查看的个人信息"),
    ("own", "status", "不属于可查看的个人信息"),
    ("not_a_number", "petitioner_phone", "找不到该信访事项"),
])
def test_a_forged_petition_or_field_is_refused_and_logged(clock, owner, signed_in, forged, field, reason):
    signed_in(SUPERVISOR)
    own = reveal_buttons(run(clock.update, None, *LISTING)[5])[0]
    petition_id = {"other_county": other_county_petition(owner), "own": own["petition"],
                   "not_a_number": f"{own['petition']} OR 1=1"}[forged]
    button = {"type": "ck-reveal", "petition": petition_id, "ref": own["ref"], "field": field}

    shown = click(clock, button)

    assert reason in text_of(shown) and "本次查看已记录" not in text_of(shown) and shown.className == "error"
    if forged == "other_county":
        assert petition(owner, petition_id).petitioner_phone not in text_of(shown)
    [(action, target, detail)] = audit(owner, SUPERVISOR.username)
    assert (action, target, detail["action"], detail["field"]) == ("refused", f"petition/{petition_id}", "reveal", field)
    assert reason in detail["reason"]


def test_leadership_gets_no_reveal_control_and_a_forged_reveal_is_refused(clock, owner, signed_in):
    signed_in(LEADER)
    layout = clock.layout()
    assert find(layout, "ck-revealed").hidden is True
    *_, listing, error = run(clock.update, None, *LISTING)
    assert error == "" and listing.children[1].children and reveal_buttons(listing) == []
    with owner.connect() as conn:
        petition_id = conn.scalar(sa.text("SELECT id FROM petition WHERE county_code = :c ORDER BY id LIMIT 1"),
                                  {"c": COUNTY})
    shown = click(clock, {"type": "ck-reveal", "petition": petition_id, "ref": "x", "field": "petitioner_name"})
    assert "无权执行此操作" in text_of(shown) and petition(owner, petition_id).petitioner_name not in text_of(shown)
    [(action, target, detail)] = audit(owner, LEADER.username)
    assert (action, target, detail["action"]) == ("refused", f"petition/{petition_id}", "reveal")


def test_an_unclicked_button_reveals_nothing(clock, owner, signed_in):
    """Buttons drawn afresh with a new list (n_clicks 0) trigger nothing; a new list masks the value again."""
    signed_in(SUPERVISOR)
    button = reveal_buttons(run(clock.update, None, *LISTING)[5])[0]
    assert click(clock, button, clicks=0) is no_update
    assert run(clock.mask_again, "ck-within.value", *LISTING) == ""
    assert audit(owner, SUPERVISOR.username) == []


def reveal_request(app, button: dict) -> dict:
    """What the browser sends when a reveal button of the listed petitions is clicked."""
    [output] = [key for key in app.callback_map if key.startswith("ck-revealed.children@")]
    return {
        "output": output, "outputs": {"id": "ck-revealed", "property": output.split(".", 1)[1]},
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "changedPropIds": [f"{stringify_id(button)}.n_clicks"], "state": [],
    }


def test_through_the_web_server_with_sign_in_cookies(app, clock, owner):
    with owner.begin() as conn:
        session = Session(bind=conn)
        auth.add_user(session, "leader_rv", "测试·市领导", Role.LEADERSHIP, None, password="leader_rv" * 2)
        auth.add_user(session, "county_rv", "测试·县级督导", Role.COUNTY_SUPERVISOR, COUNTY, password="county_rv" * 2)
        session.flush()
        petition_id = conn.scalar(sa.text("SELECT id FROM petition WHERE county_code = :c AND petitioner_phone"
                                          " IS NOT NULL ORDER BY id LIMIT 1"), {"c": COUNTY})
    phone = petition(owner, petition_id).petitioner_phone
    button = {"type": "ck-reveal", "petition": petition_id, "ref": "XF", "field": "petitioner_phone"}

    leader = app.server.test_client()
    sign_in(leader, "leader_rv")
    forged = leader.post("/_dash-update-component", json=reveal_request(app, button))
    assert forged.status_code in (200, 403) and phone not in forged.get_data(as_text=True)
    assert [row[0] for row in audit(owner, "leader_rv")] == ["refused"]

    county = app.server.test_client()
    sign_in(county, "county_rv")
    answer = county.post("/_dash-update-component", json=reveal_request(app, button))
    assert answer.status_code == 200
    assert phone in answer.get_data(as_text=True) and "本次查看已记录" in answer.get_data(as_text=True)
    assert audit(owner, "county_rv") == [("reveal", f"petition/{petition_id}", {"field": "petitioner_phone"})]
