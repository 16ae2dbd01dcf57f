"""The 法定时限, 积案攻坚 and 风险预警 pages' callbacks as plain functions, on the small demo data set."""

import importlib
import json
from datetime import date

import plotly.graph_objects as go
import pytest
import sqlalchemy as sa
from dash import Patch, no_update

from dashboard.app import create_app
from geo import db
from geo.backlog import backlog_cases
from geo.deadlines import due_petitions, last_data_day
from geo.signals import compute_signals
from geo.access import Principal
from geo.enums import Role
from tests.dashboard.test_overview import run
from werkzeug.exceptions import Forbidden as HttpForbidden

MID_2024 = "2024-06-30"


@pytest.fixture(scope="module")
def pages():
    create_app()
    return {name: importlib.import_module(f"dashboard.pages.{name}") for name in ("clock", "backlog", "warnings")}


@pytest.fixture
def on_demo(demo_engine, dashboard_on, pages):
    dashboard_on(demo_engine.url)
    return pages


def _text(component) -> str:
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component,
                      ensure_ascii=False, default=lambda c: c.to_plotly_json() if hasattr(c, "to_plotly_json") else str(c))


def _find(component, component_id):
    """The component with ``component_id`` inside a layout tree."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str) and (found := _find(child, component_id)) is not None:
            return found
    return None


# --- 法定时限 -----------------------------------------------------------------------------------------------------

def test_pages_open_on_the_last_day_of_the_data(on_demo, demo_session):
    last = last_data_day(demo_session).isoformat()
    for name, picker in (("clock", "ck-as-of"), ("backlog", "bl-as-of"), ("warnings", "wn-day")):
        assert _find(on_demo[name].layout(), picker).date == last


def test_clock_counts_lists_and_masks(on_demo, demo_session):
    clock = on_demo["clock"]
    summary, bars, units_title, units, list_title, listing, error = run(clock.update, None, MID_2024, 60, "", "county")
    due = due_petitions(demo_session, date(2024, 6, 30), 60)
    overdue = int((due["state"] == "overdue").sum())
    assert error == "" and overdue > 0 and len(due) > overdue
    assert f"共 {len(due):,} 件" in list_title
    numbers = _text(summary)
    assert f'"{overdue:,}"' in numbers and f'"{len(due) - overdue:,}"' in numbers
    rows = listing.children[1].children
    assert len(rows) == len(due)
    names = [row.children[-2].children for row in rows if row.children[-2].children]
    assert names and all(name[1:] == "*" * (len(name) - 1) for name in names)  # masked: surname only
    assert "《信访工作条例》" in _text(listing) and "overdue-row" in _text(listing)
    assert isinstance(bars, go.Figure) and [t.name for t in bars.data] == ["已超期", "临期"]
    assert sum(bars.data[0].x) == overdue


def test_clock_by_owner_and_area(on_demo, demo_session):
    clock = on_demo["clock"]
    *_, listing, error = run(clock.update, None, MID_2024, 60, "411522", "owner")
    assert error == ""
    text = _text(listing)
    assert "光山县" in text and "浉河区" not in text
    _, _, title, units, *_ = run(clock.update, None, MID_2024, 60, "", "owner")
    assert title == "按责任人（包案领导或属地单位）汇总"


@pytest.mark.parametrize("within", [-1, 3.5, 400])
def test_clock_refuses_a_bad_window(on_demo, within):
    out = run(on_demo["clock"].update, None, MID_2024, within, "", "county")
    assert out[:6] == (no_update,) * 6 and "临期天数" in out[6]


# --- 积案攻坚 -----------------------------------------------------------------------------------------------------

def test_backlog_board(on_demo, demo_session):
    backlog = on_demo["backlog"]
    summary, trend, counties, leaders_title, leaders, cases_title, cases, error = run(
        backlog.update, None, "2025-12-31", "", None, [])
    expected = backlog_cases(demo_session, date(2025, 12, 31))
    resolved = int(expected["stage"].str.startswith("resolved").sum())
    assert error == "" and f"符合条件 {len(expected):,} 件" in cases_title
    assert f"化解率 {resolved / len(expected):.1%}" in _text(summary)
    assert trend.data[0].y[-1] == pytest.approx(resolved / len(expected))
    assert len(trend.data[0].x) == 36  # 2023-01 … 2025-12
    assert {t.name for t in counties.data} == {"按期化解", "超期化解", "超期未化解", "化解中（含停滞）"}
    assert sum(sum(t.x) for t in counties.data) == len(expected)
    assert "包案领导记分卡" in leaders_title and len(leaders.children[1].children) == min(50, len(expected))


def test_backlog_filters_narrow_the_cases(on_demo, demo_session):
    backlog = on_demo["backlog"]
    expected = backlog_cases(demo_session, date(2025, 12, 31))
    *_, title, cases, _ = run(backlog.update, None, "2025-12-31", "", ["overdue"], [])
    assert f"符合条件 {int((expected['stage'] == 'overdue').sum()):,} 件" in title
    assert "化解中" not in _text(cases) and "超期未化解" in _text(cases)
    *_, title, cases, _ = run(backlog.update, None, "2025-12-31", "", None, ["again"])
    again = int(expected["petitioned_again"].sum())
    assert 0 < again < len(expected) and f"符合条件 {again:,} 件" in title
    *_, title, cases, _ = run(backlog.update, None, "2025-12-31", "411522", None, [])
    assert "浉河区" not in _text(cases) and "光山县" in _text(cases)


# --- 风险预警 -----------------------------------------------------------------------------------------------------

def test_warnings_map_and_cards(on_demo, demo_session):
    warnings = on_demo["warnings"]
    day = last_data_day(demo_session)
    signals = compute_signals(demo_session, day)
    figure, note, summary, cards, error = run(warnings.update, None, day.isoformat(), "township", "", None)
    assert error == "" and len(signals) > 0
    assert isinstance(figure, go.Figure) and len(figure.data[0].geojson["features"]) > 10
    highlighted = {code for code, z in zip(figure.data[0].locations, figure.data[0].z) if z > 0}
    assert highlighted == {code[:9] + "000" for code in signals["unit_code"]}
    assert max(figure.data[0].z) == signals["severity"].max()
    assert len(cards) == 1 + len(signals)  # a hint, then one card per signal
    assert signals["reason"].iat[0] in _text(cards[1])
    patch, *_ = run(warnings.update, "wn-day.date", (day.replace(day=1)).isoformat(), "township", "", None)
    assert isinstance(patch, Patch) and "geojson" not in json.dumps(patch.to_plotly_json(), ensure_ascii=False)


def test_warnings_filters(on_demo, demo_session):
    warnings = on_demo["warnings"]
    day = last_data_day(demo_session)
    signals = compute_signals(demo_session, day)
    *_, cards, _ = run(warnings.update, None, day.isoformat(), "township", "", ["collective"])
    assert len(cards) - 1 == int((signals["kind"] == "collective").sum()) < len(signals)
    figure, _, _, cards, _ = run(warnings.update, None, day.isoformat(), "grid", "411522", None)
    assert all(code.startswith("411522") and len(code) == 15 for code in figure.data[0].locations)
    assert len(cards) - 1 == int((signals["county_code"] == "411522").sum())


def _severity(card) -> int:
    return int(next(part for part in card.className.split() if part.startswith("sev-border-"))[len("sev-border-"):])


def test_acknowledging_writes_a_row_and_shows_who(fresh_demo_db_url, dashboard_on, pages, signed_in):
    dashboard_on(fresh_demo_db_url)
    warnings = pages["warnings"]
    engine = db.make_engine(fresh_demo_db_url)
    with db.session_factory(engine)() as session:
        day = last_data_day(session)
        units = compute_signals(session, day).set_index("signal_key")["unit_code"]
    _, _, _, cards, _ = run(warnings.update, None, day.isoformat(), "township", "", None)
    card = cards[1]
    key = card.id["key"]
    unit = units[key]
    button = _find(card, {"type": "wn-ack", "key": key})
    with pytest.raises(HttpForbidden):  # the city leadership reads everything and writes nothing
        run(warnings.acknowledge_signal, None, 1, button.id, "已核实")
    signed_in(Principal("li", Role.COUNTY_SUPERVISOR, unit[:6], "李督查"))
    status, class_name, note = run(warnings.acknowledge_signal, None, 1, button.id, "已核实，网格员跟进")
    assert "acknowledged" in class_name and f"sev-border-{_severity(card)}" in class_name
    assert note == ""
    assert run(warnings.count_acknowledged, None, [class_name], day.isoformat(), "", None) == "1"
    assert run(warnings.count_acknowledged, None, [class_name], day.isoformat(), "", ["spike"]) == "0"
    assert "李督查" in _text(status) and "已核实，网格员跟进" in _text(status)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT signal_key, day, kind, unit_code, acknowledged_by, note FROM signal_ack")).all()
    assert rows == [(key, day, key.split(":")[0], unit, "李督查", "已核实，网格员跟进")]
    with engine.connect() as conn:
        audit = conn.execute(sa.text("SELECT username, target FROM audit_log WHERE action = 'acknowledge_signal'")).all()
    assert [row.username for row in audit] == ["li"] and audit[0].target.startswith("signal_ack/")
    # Another county's signal: the unit is the signal's own, whatever the page sends (the page no longer
    # sends a unit at all); under the supervisor's scope it is not found. Refused on the card, logged,
    # nothing written.
    outside = next(c for c in cards[1:] if not units[c.id["key"]].startswith(unit[:6]))
    status, class_name, _ = run(warnings.acknowledge_signal, None, 1, {"type": "wn-ack", "key": outside.id["key"]}, "")
    assert class_name is no_update and "找不到预警" in _text(status)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM signal_ack")).scalar() == 1
        refused = conn.execute(sa.text("SELECT detail->>'signal_key' FROM audit_log WHERE action = 'refused'"
                                       " AND username = 'li'")).scalars().all()
    assert refused == [outside.id["key"]]
    # A township supervisor of that county may acknowledge only the signals of their own township.
    neighbour = next(k for k, u in units.items() if u[:6] == unit[:6] and u[:9] != unit[:9])
    signed_in(Principal("wu", Role.TOWNSHIP_SUPERVISOR, unit[:9] + "000", "吴"))
    status, class_name, _ = run(warnings.acknowledge_signal, None, 1, {"type": "wn-ack", "key": neighbour}, "")
    assert class_name is no_update and "找不到预警" in _text(status)
    signed_in(Principal("li", Role.COUNTY_SUPERVISOR, unit[:6], "李督查"))
    # A made-up key, or one that is not a string, is answered on the card, never with a traceback.
    for forged in ({"type": "wn-ack", "key": f"spike:{unit}:{day}x"}, {"type": "wn-ack", "key": ["x"]},
                   {"type": "wn-ack", "key": f"escalation:XF0:{day}"}):
        status, class_name, _ = run(warnings.acknowledge_signal, None, 1, forged, "")
        assert class_name is no_update and "预警" in _text(status)
    # Drawn again, the card shows the acknowledgement.
    _, _, summary, cards, _ = run(warnings.update, None, day.isoformat(), "township", "", None)
    again = next(c for c in cards[1:] if c.id["key"] == key)
    assert "acknowledged" in again.className and "李督查" in _text(again)
    acknowledged = summary.children[2]
    assert acknowledged.children[0].children == "已确认" and acknowledged.children[1].children == "1"
    engine.dispose()
