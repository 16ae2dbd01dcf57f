"""The place columns of a ledger take region codes in the forms Excel and users write them (``geo.areas``)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.ledger_fields import LOCATION_FIELDS, parse_code
from etl.ledgers import load_ledger, read_ledger
from tests.etl.ledger_files import first_cells, write_csv, write_xlsx

HEADERS = ["纠纷编号", "登记时间", "纠纷类别", "网格编码", "村（社区）代码"]
WIDE = str.maketrans("0123456789", "０１２３４５６７８９")
VILLAGE = next(f for f in LOCATION_FIELDS if f.name == "village_code")
GRID = next(f for f in LOCATION_FIELDS if f.name == "grid_code")


def test_codes_as_numbers_and_with_dot_zero_locate_the_same_cells(demo_session, tmp_path):
    a, b, c, d = first_cells(demo_session, 4)
    rows = [["N1", "2024-03-05", "邻里纠纷", int(a.code), None],  # number cells, as Excel keeps them
            ["N2", "2024-03-05", "邻里纠纷", None, float(b.village_code)],
            ["N3", "2024-03-05", "邻里纠纷", None, f"{c.village_code}.0"],
            ["N4", "2024-03-05", "邻里纠纷", f" {d.code.translate(WIDE)} ", None],
            ["N5", "2024-03-05", "邻里纠纷", None, "4.11502E+11"],
            ["N6", "2024-03-05", "邻里纠纷", None, a.code]]
    result = load_ledger(read_ledger(write_xlsx(tmp_path / "codes.xlsx", HEADERS, rows), "disputes"), demo_session)
    stored = dict(demo_session.execute(sa.text("SELECT ref_no, grid_code FROM dispute WHERE ref_no LIKE 'N%'")).all())
    assert stored == {"N1": a.code, "N2": b.code, "N3": c.code, "N4": d.code}
    reasons = dict(zip(result.refusals["row"], zip(result.refusals["column"], result.refusals["reason"])))
    assert "村（社区）代码" in reasons[6][0] and "科学计数法" in reasons[6][1]
    assert "村（社区）代码" in reasons[7][0] and "格式不对" in reasons[7][1] and a.code in reasons[7][1]


def test_a_csv_with_dot_zero_codes(demo_session, tmp_path):
    a, = first_cells(demo_session, 1)
    path = write_csv(tmp_path / "c.csv", HEADERS, [["C1", "2024-03-05", "邻里纠纷", "", f"{a.village_code}.0"]])
    load_ledger(read_ledger(path, "disputes"), demo_session)
    assert demo_session.execute(sa.text("SELECT grid_code FROM dispute WHERE ref_no = 'C1'")).scalar() == a.code


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=20),
                          st.sampled_from(["411502001001", 411502001001, 411502001001.0, "411502001001.0", "411502001"])),
                max_size=8))
def test_parse_code_gives_a_code_or_a_reason_naming_the_column(values):
    for spec in (VILLAGE, GRID):
        codes, reasons = parse_code(pd.Series(values, dtype=object), spec, spec.label)
        for code, reason in zip(codes, reasons):
            assert pd.isna(code) or (pd.isna(reason) and len(code) == (12 if spec is VILLAGE else 15))
            assert pd.isna(reason) or (pd.isna(code) and reason.startswith(f"“{spec.label}”"))
