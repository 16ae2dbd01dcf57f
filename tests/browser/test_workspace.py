"""The 党员联户 page in real headless Chromium: box-select on the map, link, undo, suggestions, refusal."""

import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from geo import db
from geo.coverage import coverage
from tests.browser.test_overview import settle

pytestmark = pytest.mark.browser

README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-workspace.png"
BOX = 9
"""Half the side of the selection box, in pixels."""

ISOLATED_UNLINKED = """
(box) => {
  const gd = document.querySelector('#ws-map .js-plotly-plot'), trace = gd.data[1], rect = gd.getBoundingClientRect();
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, unlinked = [];
  trace.x.forEach((x, i) => {
    if (trace.marker.color[i] !== 0) return;
    unlinked.push({x: rect.left + xa._offset + xa.l2p(x), y: rect.top + ya._offset + ya.l2p(trace.y[i]),
                   id: trace.customdata[i]});
  });
  const near = (a, b) => Math.abs(a.x - b.x) <= box + 2 && Math.abs(a.y - b.y) <= box + 2;
  return unlinked.find(p => p.x > rect.left + 40 && p.y > rect.top + 60
                            && unlinked.filter(q => near(p, q)).length === 1) || null;
}
"""
"""Screen position and id of an unlinked household that is the only unlinked one in a box around it."""
GRID_ROW = """
(id) => { const node = dash_ag_grid.getApi('ws-grid').getRowNode(String(id));
          return {selected: node.isSelected(), status: node.data.status}; }
"""
HOUSEHOLD_POINT = """
(id) => { const t = document.querySelector('#ws-map .js-plotly-plot').data[1], i = t.customdata.indexOf(id);
          return {colour: t.marker.color[i], selected: (t.selectedpoints || []).includes(i)}; }
"""


def wait_map(page):
    page.wait_for_function(
        "() => { const g = document.querySelector('#ws-map .js-plotly-plot');"
        " return g && g.data && g.data.length === 4 && g.data[1].x.length > 0; }", timeout=30_000)


def member_label(database_url, household: int) -> str:
    """The dropdown label of a member of the household's grid cell with room for one more household."""
    engine = db.make_engine(database_url)
    with db.session_factory(engine)() as session:
        township, cell, cell_name = session.execute(text(
            "SELECT h.township_code, h.grid_code, g.name FROM household h JOIN grid_cell g ON g.code = h.grid_code"
            " WHERE h.id = :id"), {"id": household}).one()
        members = coverage(session, township).members
    engine.dispose()
    member = members[(members["grid_code"] == cell) & (members["load"] < members["cap"])].iloc[0]
    return f"{member['name']} · 负荷 {member['load']}/{member['cap']} · {cell_name}"


def test_a_township_supervisor_links_by_box_selection_and_undoes(demo_live_server, fresh_demo_db_url, page):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    demo_live_server.sign_in(page, "demo_township", "/workspace")
    wait_map(page)
    page.wait_for_selector("#ws-grid .ag-row", timeout=30_000)
    settle(page)
    assert "示意数据" in page.inner_text("#ws-map-note")
    township = demo_live_server.accounts["demo_township"][1]
    before = page.inner_text("#ws-share")

    target = page.evaluate(ISOLATED_UNLINKED, BOX)
    assert target, "no unlinked household stands alone in a box on the map"
    page.hover("#ws-map .js-plotly-plot")
    page.click('#ws-map .modebar-btn[data-attr="dragmode"][data-val="select"]')  # 框选 (box select)
    page.mouse.move(target["x"] - BOX, target["y"] - BOX)
    page.mouse.down()
    page.mouse.move(target["x"] + BOX, target["y"] + BOX, steps=8)
    page.mouse.up()
    page.wait_for_function("() => document.querySelector('#ws-selection').innerText.includes('未联户 1 户')",
                           timeout=30_000)
    settle(page)
    assert page.evaluate(GRID_ROW, target["id"])["selected"]
    assert page.evaluate(HOUSEHOLD_POINT, target["id"])["selected"]

    label = member_label(fresh_demo_db_url, target["id"])
    page.click("#ws-member")
    page.keyboard.type(label)
    page.keyboard.press("Enter")
    settle(page)
    assert label in page.inner_text("#ws-member")

    started = time.monotonic()
    page.click("#ws-link")
    page.wait_for_function("() => document.querySelector('#ws-message').innerText.includes('已将 1 户联系到党员')",
                           timeout=30_000)
    page.wait_for_function("b => document.querySelector('#ws-share').innerText !== b", arg=before, timeout=30_000)
    print(f"link round trip (click → message and coverage): {time.monotonic() - started:.2f} s")
    settle(page)
    assert page.evaluate(HOUSEHOLD_POINT, target["id"])["colour"] == 1
    assert page.evaluate(GRID_ROW, target["id"])["status"] == "已联户"

    page.click("#ws-undo")
    page.wait_for_function("() => document.querySelector('#ws-message').innerText.includes('已撤销')", timeout=30_000)
    page.wait_for_function("b => document.querySelector('#ws-share').innerText === b", arg=before, timeout=30_000)
    settle(page)
    assert page.evaluate(HOUSEHOLD_POINT, target["id"])["colour"] == 0
    assert page.evaluate(GRID_ROW, target["id"])["status"] == "未联户"

    page.click("#ws-suggest")
    page.wait_for_selector("#ws-suggest-panel:not([hidden])", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#ws-map .js-plotly-plot').data[3].x.length > 0",
                           timeout=30_000)
    settle(page)
    assert "建议为" in page.inner_text("#ws-suggest-summary")
    page.screenshot(path=str(demo_live_server.screenshot_dir / "workspace.png"), full_page=True)
    README_SCREENSHOT.parent.mkdir(exist_ok=True)
    shutil.copy(demo_live_server.screenshot_dir / "workspace.png", README_SCREENSHOT)

    assert errors == []

    other = "411503001000" if not township.startswith("411503") else "411502001000"
    page.goto(f"{demo_live_server}/workspace?township={other}")
    page.wait_for_selector("#forbidden", timeout=30_000)
    assert "无权访问" in page.inner_text("#forbidden")


def test_a_colleagues_change_is_announced_and_drawn_on_update(demo_live_server, fresh_demo_db_url, page):
    from tests.dashboard.test_workspace_watch import COLLEAGUE, link_as_colleague

    demo_live_server.sign_in(page, "demo_township", "/workspace")
    wait_map(page)
    page.wait_for_selector("#ws-grid .ag-row", timeout=30_000)
    settle(page)
    assert page.is_hidden("#ws-stale")
    engine = db.make_engine(fresh_demo_db_url)
    households, _ = link_as_colleague(engine, demo_live_server.accounts["demo_township"][1], households=1)
    engine.dispose()
    page.wait_for_selector("#ws-stale:not([hidden])", timeout=45_000)  # the page asks every 15 s
    assert f"{COLLEAGUE} 刚调整了本乡镇 1 户的联户" in page.inner_text("#ws-stale")
    assert page.evaluate(GRID_ROW, households[0])["status"] == "未联户"  # not redrawn until asked
    page.click("#ws-refresh")
    page.wait_for_function("() => document.querySelector('#ws-message').innerText.includes('已更新')", timeout=30_000)
    settle(page)
    assert page.evaluate(GRID_ROW, households[0])["status"] == "已联户"
    assert page.evaluate(HOUSEHOLD_POINT, households[0])["colour"] == 1 and page.is_hidden("#ws-stale")
