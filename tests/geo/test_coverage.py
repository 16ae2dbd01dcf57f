"""Coverage of 党员联户 (geo.coverage) on the small demo data, against independent counts on the owner session."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from geo import coverage, linking
from geo.access import Principal
from geo.enums import Role
from geo.errors import InvalidInput

UNLINKED = "NOT EXISTS (SELECT 1 FROM member_household_link l WHERE l.household_id = h.id AND l.valid_to IS NULL)"


@pytest.fixture
def township(demo_session) -> str:
    return demo_session.execute(sa.text(
        f"SELECT township_code FROM household h WHERE {UNLINKED} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalar()


def supervisor_of(area: str) -> Principal:
    if len(area) == 6:
        return Principal("co_sup", Role.COUNTY_SUPERVISOR, area)
    return Principal("tw_sup", Role.TOWNSHIP_SUPERVISOR, area)


def expected_cells(session, area: str) -> pd.DataFrame:
    """Per grid cell of the area: households, linked, members, over cap, idle — by plain joins and GROUP BY."""
    column = "county_code" if len(area) == 6 else "township_code"
    rows = session.execute(sa.text(f"""
        WITH links AS (SELECT household_id, member_id FROM member_household_link WHERE valid_to IS NULL),
             hh AS (SELECT h.grid_code, count(*) AS households, count(links.household_id) AS linked
                    FROM household h LEFT JOIN links ON links.household_id = h.id GROUP BY h.grid_code),
             load AS (SELECT m.id, m.grid_code, count(links.member_id) AS n,
                             LEAST(m.capacity, coalesce(max(c.cap), 15)) AS cap
                      FROM party_member m LEFT JOIN links ON links.member_id = m.id
                      LEFT JOIN link_cap c ON c.township_code = m.township_code GROUP BY m.id),
             mm AS (SELECT grid_code, count(*) AS members, count(*) FILTER (WHERE n > cap) AS over_cap,
                           count(*) FILTER (WHERE n = 0) AS idle_members FROM load GROUP BY grid_code)
        SELECT g.code, g.township_code, coalesce(hh.households, 0), coalesce(hh.linked, 0), coalesce(mm.members, 0),
               coalesce(mm.over_cap, 0), coalesce(mm.idle_members, 0)
        FROM grid_cell g LEFT JOIN hh ON hh.grid_code = g.code LEFT JOIN mm ON mm.grid_code = g.code
        WHERE g.{column} = :area"""), {"area": area}).all()
    return pd.DataFrame(rows, columns=["code", "township_code", "households", "linked", "members", "over_cap",
                                       "idle_members"])


def assert_matches(result: coverage.Coverage, cells: pd.DataFrame, unit_key: str) -> None:
    assert result.households == cells["households"].sum() > 0
    assert result.linked == cells["linked"].sum()
    assert result.share_linked == pytest.approx(result.linked / result.households)
    assert result.members_over == cells["over_cap"].sum() > 0
    assert result.members_under == cells["idle_members"].sum()
    assert result.cells_without_member == ((cells["households"] > 0) & (cells["members"] == 0)).sum()
    assert len(result.members) == cells["members"].sum()
    assert (result.members["status"] == "超载").sum() == result.members_over
    assert (result.members["status"] == "空闲").sum() == result.members_under

    expected = cells.drop(columns=[c for c in ("code", "township_code") if c != unit_key]).groupby(unit_key).sum()
    got = result.units.set_index("code")[expected.columns.tolist()]
    pd.testing.assert_frame_equal(got.sort_index(), expected.rename_axis("code").sort_index(), check_dtype=False)
    shares = result.units["share_linked"].dropna()
    assert shares.is_monotonic_increasing
    assert (result.units["share_linked"] == result.units["linked"] / result.units["households"]).loc[shares.index].all()
    for _, same in result.units.dropna(subset=["share_linked"]).groupby("share_linked"):
        assert same["households"].is_monotonic_decreasing


def test_township_coverage_equals_an_independent_count(demo_session, as_user, township):
    result = coverage.coverage(as_user(supervisor_of(township)), township)
    assert_matches(result, expected_cells(demo_session, township), "code")
    assert result.units["name"].str.contains("网格").all()


def test_county_coverage_is_per_township(demo_session, as_user, township):
    county = township[:6]
    result = coverage.coverage(as_user(supervisor_of(county)), county)
    assert_matches(result, expected_cells(demo_session, county), "township_code")
    assert result.units["code"].str.len().eq(12).all() and result.units["name"].notna().all()


def test_a_lower_township_cap_counts_more_members_over_it(demo_session, township):
    before = coverage.coverage(demo_session, township)
    demo_session.execute(sa.text("INSERT INTO link_cap (township_code, cap, set_by) VALUES (:t, 8, 'test')"),
                         {"t": township})
    after = coverage.coverage(demo_session, township)
    assert after.members_over > before.members_over
    assert_matches(after, expected_cells(demo_session, township), "code")
    assert (after.members["cap"] <= 8).all()


def test_a_change_shows_in_the_coverage_of_the_same_session(demo_session, as_user, township):
    supervisor = supervisor_of(township)
    session = as_user(supervisor)
    before = coverage.coverage(session, township)
    member, cell = demo_session.execute(sa.text(f"""
        SELECT m.id, m.grid_code FROM party_member m WHERE m.township_code = :t AND NOT EXISTS (
            SELECT 1 FROM member_household_link l WHERE l.member_id = m.id AND l.valid_to IS NULL)
          AND (SELECT count(*) FROM household h WHERE h.grid_code = m.grid_code AND {UNLINKED}) >= 2
        ORDER BY m.id LIMIT 1"""), {"t": township}).one()
    households = demo_session.execute(sa.text(
        f"SELECT id FROM household h WHERE grid_code = :cell AND {UNLINKED} ORDER BY id LIMIT 2"),
        {"cell": cell}).scalars().all()
    linking.link(session, supervisor, households, member)
    after = coverage.coverage(session, township)
    assert after.linked == before.linked + 2 and after.members_under == before.members_under - 1
    assert before.members.set_index("member_id").loc[member, "status"] == "空闲"
    row = after.members.set_index("member_id").loc[member]
    assert (row["load"], row["status"]) == (2, "正常")


def test_another_township_shows_nothing_under_row_level_security(demo_session, as_user, township):
    other = demo_session.execute(sa.text("SELECT township_code FROM household WHERE township_code <> :t LIMIT 1"),
                                 {"t": township}).scalar()
    result = coverage.coverage(as_user(supervisor_of(township)), other)
    assert (result.households, result.linked, len(result.members)) == (0, 0, 0)
    assert result.units["households"].eq(0).all()


@pytest.mark.parametrize("area", ["", "41150", "4115020010000", "abcdef"])
def test_malformed_area_codes_are_refused(demo_session, area):
    with pytest.raises(InvalidInput, match="区域代码"):
        coverage.coverage(demo_session, area)
