"""Dispute measures per unit from the pre-aggregated views, against hand-counted records."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from geo.aggregates import refresh_aggregates
from geo.dispute_stats import DisputeFilter, dispute_measures, measure_values, unit_disputes
from geo.errors import InvalidInput
from geo.hotspots import Neighbours

CELLS = {"A": "411502001001001", "B": "411502001001002", "C": "411502002001001"}  # A, B in 老城街道; C in 民权街道
HOUSEHOLDS = {"A": 4, "B": 2, "C": 5}
DISPUTES = [  # cell, reported_at (Beijing time), domain, status, risk, petitioned
    ("A", "2024-01-05 10:00+08", "labour_social_security", "resolved", "low", False),
    ("A", "2024-01-20 10:00+08", "labour_social_security", "escalated", "high", True),
    ("A", "2024-02-01 00:30+08", "neighbourhood", "mediating", "low", False),  # 2024-01-31 16:30 UTC
    ("B", "2024-01-10 09:00+08", "rural_agriculture", "resolved", "medium", False),
    ("C", "2024-03-01 09:00+08", "labour_social_security", "reported", "low", False),
    ("C", "2023-12-31 23:00+08", "other", "resolved", "low", False),
]
JANUARY = DisputeFilter(date(2024, 1, 1), date(2024, 1, 31))


@pytest.fixture
def cases(session):
    for cell, code in CELLS.items():
        session.execute(sa.text("INSERT INTO grid_cell (code, name, village_code) VALUES (:c, :name, :village)"),
                        {"c": code, "name": f"网格{cell}", "village": code[:12]})
        for i in range(HOUSEHOLDS[cell]):
            session.execute(sa.text(
                "INSERT INTO household (grid_code, geom, size, head_name, source)"
                " VALUES (:c, ST_SetSRID(ST_Point(114, 32), 4326), 2, :name, 'import')"
            ), {"c": code, "name": f"张{cell}{i}"})
    for n, (cell, at, domain, status, risk, petitioned) in enumerate(DISPUTES):
        dispute = session.execute(sa.text(
            "INSERT INTO dispute (ref_no, grid_code, domain, risk_level, status, reported_at, resolved_at, source)"
            " VALUES (:ref, :c, :domain, :risk, :status, :at, :resolved, 'import') RETURNING id"
        ), {"ref": f"T{n}", "c": CELLS[cell], "domain": domain, "risk": risk, "status": status, "at": at,
            "resolved": at if status == "resolved" else None}).scalar()
        session.execute(sa.text(
            "INSERT INTO dispute_household SELECT :d, id FROM household WHERE grid_code = :c ORDER BY id LIMIT 1"
        ), {"d": dispute, "c": CELLS[cell]})
        if petitioned:
            session.execute(sa.text(
                "INSERT INTO petition (ref_no, origin_grid_code, category, channel, domain, is_first, lodged_level,"
                " status, received_on, source_dispute_id, source) VALUES (:ref, :c, 'complaint_request', 'visit',"
                " :domain, true, 'county', 'received', '2024-02-01', :d, 'import')"
            ), {"ref": f"P{n}", "c": CELLS[cell], "domain": domain, "d": dispute})
    refresh_aggregates(session)
    return session


def test_grid_level_counts_in_january(cases):
    frame = dispute_measures(cases, "grid", "411502001000", JANUARY).set_index("code")
    a, b = frame.loc[CELLS["A"]], frame.loc[CELLS["B"]]
    # A: 2 disputes on 5 and 20 Jan (the 1 Feb one is 1 Feb in Beijing time), one escalated and petitioned
    assert (a.disputes, a.unresolved, a.petitioned, a.households) == (2, 1, 1, 4)
    assert a.per_1000 == pytest.approx(500.0) and a.leakage == pytest.approx(0.5)  # 1000 * 2 / 4; 1 / 2
    assert (b.disputes, b.unresolved, b.households, b.per_1000) == (1, 0, 2, 500.0)
    assert CELLS["C"] not in frame.index  # another township


@pytest.mark.parametrize("level, within, expected", [
    ("township", "", {"411502001000": 3, "411502002000": 0}),
    ("county", "", {"411502": 3}),
    ("grid", "411502", {CELLS["A"]: 2, CELLS["B"]: 1, CELLS["C"]: 0}),
])
def test_levels_and_areas(cases, level, within, expected):
    frame = dispute_measures(cases, level, within, JANUARY)
    assert dict(zip(frame["code"], frame["disputes"])) == expected


@pytest.mark.parametrize("chosen, expected", [
    (DisputeFilter(date(2024, 1, 1), date(2024, 12, 31), domains=("labour_social_security",)), 3),
    (DisputeFilter(date(2024, 1, 1), date(2024, 12, 31), statuses=("resolved",)), 2),  # T0 and T3
    (DisputeFilter(date(2024, 1, 1), date(2024, 12, 31), risks=("low", "high")), 4),
    (DisputeFilter(date(2023, 12, 31), date(2023, 12, 31)), 1),  # 23:00 Beijing time counts on the 31st
])
def test_filters(cases, chosen, expected):
    assert dispute_measures(cases, "county", "", chosen)["disputes"].sum() == expected


def test_leakage_is_nan_without_disputes_and_per_1000_without_households(cases):
    frame = dispute_measures(cases, "grid", "", JANUARY).set_index("code")
    assert np.isnan(frame.loc[CELLS["C"], "leakage"]) and frame.loc[CELLS["C"], "per_1000"] == 0


def test_measure_values_rank_and_hotspot_classes(cases):
    frame = dispute_measures(cases, "grid", "", JANUARY)
    ranked = measure_values(frame, "disputes").set_index("code")
    assert ranked.loc[CELLS["A"], "rank"] == 1 and ranked.loc[CELLS["C"], "rank"] == 3
    ids = [CELLS["A"], CELLS["B"], CELLS["C"]]
    chain = Neighbours(ids, [np.array([1]), np.array([0, 2]), np.array([1])])
    hot = measure_values(frame, "hotspot", chain)
    assert set(hot["value"]) <= {-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0}
    with pytest.raises(InvalidInput):
        measure_values(frame, "nonsense")


def test_unit_records_are_masked(cases):
    records = unit_disputes(cases, CELLS["A"], JANUARY)
    assert list(records["ref_no"]) == ["T1", "T0"]  # newest first
    assert all(name.startswith("张") and "*" in name for name in records["party"])


def test_aggregates_agree_with_the_base_table(demo_session):
    by_view = pd.DataFrame(demo_session.execute(sa.text(
        "SELECT county_code, sum(disputes) AS n FROM dispute_cell_day GROUP BY 1 ORDER BY 1")).all())
    by_table = pd.DataFrame(demo_session.execute(sa.text(
        "SELECT county_code, count(*) AS n FROM dispute GROUP BY 1 ORDER BY 1")).all())
    pd.testing.assert_frame_equal(by_view, by_table)
