"""The pyramid and demonstration-county pages in real headless Chromium."""

import io

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.browser


def test_pyramid_page_drills_into_a_level(demo_live_server, page):
    demo_live_server.sign_in(page, "demo_leader", "/pyramid")
    page.wait_for_selector("#py-sankey .main-svg", timeout=30_000)
    index = page.inner_text("#py-index")
    assert "%" in index and "/" in index
    box = page.locator("#py-pyramid .bars .point path").nth(4).bounding_box()  # the top bar: 赴京
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # plotly listens on its drag layer
    page.wait_for_selector("#py-drill-table", timeout=30_000)
    table = page.inner_text("#py-drill-table")
    assert "赴京" in table and "县级" not in table.split("\n", 1)[1]
    assert "*" in table  # names and phones masked
    page.click("#py-area")
    page.get_by_role("option", name="光山县").click()  # wait for the option, then choose it
    page.wait_for_function("i => document.querySelector('#py-index').innerText !== i", arg=index,
                           timeout=60_000)


def test_review_page_compares_and_exports(demo_live_server, page):
    demo_live_server.sign_in(page, "demo_reviewer", "/demo-county")
    page.wait_for_selector("#dc-comparison-table", timeout=30_000)
    header = page.inner_text("#dc-comparison-table thead")
    assert "浉河区" in header and "光山县" in header
    assert "零上访" in page.inner_text("#dc-zero-summary")
    with page.expect_download() as xlsx:
        page.click("#dc-xlsx")
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    with page.expect_download() as pdf:
        page.click("#dc-pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(open(pdf.value.path(), "rb").read())).pages)
    assert "浉河区" in text and "光山县" in text and "示范县" in text
