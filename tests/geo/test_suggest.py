"""Suggested links (geo.suggest) on the small demo data: caps, neighbourhood, distances, and the greedy baseline.

Every property is checked against an independent query on the owner session (``demo_session``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from geo import linking, suggest
from geo.access import Principal
from geo.enums import Role
from geo.errors import InvalidInput

UNLINKED = "NOT EXISTS (SELECT 1 FROM member_household_link l WHERE l.household_id = h.id AND l.valid_to IS NULL)"


@pytest.fixture
def township(demo_session) -> str:
    """The township with the most unlinked households."""
    return demo_session.execute(sa.text(
        f"SELECT township_code FROM household h WHERE {UNLINKED} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalar()


def supervisor_of(area: str) -> Principal:
    if len(area) == 6:
        return Principal("co_sup", Role.COUNTY_SUPERVISOR, area, "县级督导")
    return Principal("tw_sup", Role.TOWNSHIP_SUPERVISOR, area, "乡镇督导")


def loads(session, cap: int | None = None) -> pd.DataFrame:
    """Every member's active load and effective cap, counted independently of geo.suggest."""
    rows = session.execute(sa.text(
        "SELECT m.id AS member_id, count(l.id) AS load, LEAST(m.capacity, coalesce(CAST(:cap AS int), c.cap, 15)) AS cap"
        " FROM party_member m LEFT JOIN member_household_link l ON l.member_id = m.id AND l.valid_to IS NULL"
        " LEFT JOIN link_cap c ON c.township_code = m.township_code GROUP BY m.id, c.cap"), {"cap": cap}).all()
    return pd.DataFrame(rows, columns=["member_id", "load", "cap"]).set_index("member_id")


def overloaded(pairs: pd.DataFrame, members: pd.DataFrame) -> pd.Series:
    """Members whose load plus suggested households would exceed their cap."""
    gained = pairs["member_id"].value_counts()
    after = members.loc[gained.index, "load"] + gained
    return after[after > members.loc[gained.index, "cap"]]


def unlinked_households(session, area: str) -> set[int]:
    column = "county_code" if len(area) == 6 else "township_code"
    return set(session.execute(sa.text(f"SELECT id FROM household h WHERE {column} = :a AND {UNLINKED}"),
                               {"a": area}).scalars())


@pytest.mark.parametrize("level", ["township", "county"])
def test_the_suggestion_respects_every_cap_and_the_neighbourhood(demo_session, as_user, township, level):
    area = township if level == "township" else township[:6]
    result = suggest.suggest(as_user(supervisor_of(area)), area)

    placed, left = result.pairs["household_id"], result.unassigned["household_id"]
    assert placed.is_unique and not set(placed) & set(left)
    assert set(placed) | set(left) == unlinked_households(demo_session, area)
    assert len(placed) > 0
    assert overloaded(result.pairs, loads(demo_session)).empty

    far = demo_session.execute(sa.text("""
        SELECT count(*) FROM unnest(CAST(:h AS bigint[]), CAST(:m AS bigint[])) AS p(h, m)
        JOIN household hh ON hh.id = p.h JOIN party_member pm ON pm.id = p.m
        JOIN grid_cell a ON a.code = hh.grid_code JOIN grid_cell b ON b.code = pm.grid_code
        WHERE a.code <> b.code AND NOT ST_Touches(a.geom, b.geom)"""),
        {"h": placed.tolist(), "m": result.pairs["member_id"].tolist()}).scalar()
    assert far == 0

    geodesic = pd.DataFrame(demo_session.execute(sa.text("""
        SELECT p.h, ST_Distance(hh.geom::geography, pm.geom::geography) AS d
        FROM unnest(CAST(:h AS bigint[]), CAST(:m AS bigint[])) AS p(h, m)
        JOIN household hh ON hh.id = p.h JOIN party_member pm ON pm.id = p.m"""),
        {"h": placed.tolist(), "m": result.pairs["member_id"].tolist()}).all(), columns=["h", "d"]).set_index("h")["d"]
    ours = result.pairs.set_index("household_id")["distance_m"]
    assert np.allclose(ours, geodesic.loc[ours.index], rtol=0.005, atol=0.5)
    assert result.total_distance_m == pytest.approx(ours.sum())
    assert f"{len(placed):,} 户" in result.summary


@pytest.mark.parametrize("level", ["township", "county"])
def test_the_flow_beats_greedy_nearest(demo_session, as_user, township, level):
    """Greedy-nearest overloads members; greedy within the caps places fewer or travels farther; the flow's
    distance per household is never below the nearest member's (greedy-nearest is a lower bound)."""
    area = township if level == "township" else township[:6]
    session = as_user(supervisor_of(area))
    members = loads(demo_session)
    flow = suggest.suggest(session, area)
    nearest = suggest.greedy_nearest(session, area)
    capped = suggest.greedy_nearest(session, area, respect_caps=True)

    assert overloaded(flow.pairs, members).empty
    assert not overloaded(nearest.pairs, members).empty
    assert overloaded(capped.pairs, members).empty
    assert len(flow.pairs) >= len(capped.pairs)
    assert len(flow.pairs) > len(capped.pairs) or flow.total_distance_m < capped.total_distance_m
    lower = nearest.pairs.set_index("household_id")["distance_m"]
    ours = flow.pairs.set_index("household_id")["distance_m"]
    assert (ours >= lower.loc[ours.index] - 1e-6).all()


def test_a_cap_given_to_the_suggestion_is_respected_and_room_is_used_up_before_a_household_is_left(
        demo_session, as_user, township):
    result = suggest.suggest(as_user(supervisor_of(township)), township, cap=2)
    members = loads(demo_session, cap=2)
    assert overloaded(result.pairs, members).empty
    left = result.unassigned.loc[result.unassigned["reason"] == suggest.TAKEN, "household_id"].tolist()
    assert left, "a cap of 2 should leave some households over"
    nearby = demo_session.execute(sa.text("""
        SELECT DISTINCT pm.id FROM household hh JOIN grid_cell a ON a.code = hh.grid_code
        JOIN grid_cell b ON b.code = a.code OR ST_Touches(a.geom, b.geom) JOIN party_member pm ON pm.grid_code = b.code
        WHERE hh.id = ANY(:ids)"""), {"ids": left}).scalars().all()
    after = members.loc[nearby, "load"] + result.pairs["member_id"].value_counts().reindex(nearby, fill_value=0)
    assert (after >= members.loc[nearby, "cap"]).all()  # every member near a household left over is full


@pytest.mark.parametrize("scenario, reason", [("no member", suggest.NO_MEMBER), ("all full", suggest.ALL_FULL)])
def test_households_that_cannot_be_placed_say_why(demo_session, township, scenario, reason):
    cell = demo_session.execute(sa.text(f"SELECT grid_code FROM household h WHERE township_code = :t AND {UNLINKED}"
                                        " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"), {"t": township}).scalar()
    far_cell = demo_session.execute(sa.text("SELECT code FROM grid_cell WHERE county_code <> :c ORDER BY code LIMIT 1"),
                                    {"c": township[:6]}).scalar()
    nearby = "grid_code IN (SELECT b.code FROM grid_cell a JOIN grid_cell b ON ST_Intersects(a.geom, b.geom)" \
             " WHERE a.code = :cell)"
    idle = "NOT EXISTS (SELECT 1 FROM member_household_link l WHERE l.member_id = party_member.id AND l.valid_to IS NULL)"
    moved_away = nearby if scenario == "no member" else f"{nearby} AND {idle}"
    demo_session.execute(sa.text(f"UPDATE party_member SET grid_code = :far WHERE {moved_away}"),
                         {"far": far_cell, "cell": cell})
    demo_session.execute(sa.text(f"UPDATE party_member SET capacity = 1 WHERE {nearby}"), {"cell": cell})
    stuck = set(demo_session.execute(sa.text(f"SELECT id FROM household h WHERE grid_code = :cell AND {UNLINKED}"),
                                     {"cell": cell}).scalars())

    result = suggest.suggest(demo_session, township)
    assert stuck and not stuck & set(result.pairs["household_id"])
    reasons = result.unassigned.set_index("household_id")["reason"]
    assert set(reasons.loc[sorted(stuck)]) == {reason}
    assert f"另有 {len(result.unassigned):,} 户" in result.summary


def test_members_without_a_point_sit_at_their_cells_centroid(demo_session, township):
    demo_session.execute(sa.text("UPDATE party_member SET geom = NULL WHERE township_code = :t"), {"t": township})
    result = suggest.suggest(demo_session, township)
    inside = result.pairs[result.pairs["member_grid_code"].str.startswith(township[:9])]
    assert len(inside) > 0 and inside["member_at_centroid"].all()
    assert not result.pairs.loc[~result.pairs.index.isin(inside.index), "member_at_centroid"].any()
    centroids = dict(demo_session.execute(sa.text(
        "SELECT code, ARRAY[ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom))] FROM grid_cell WHERE township_code = :t"),
        {"t": township}).all())
    expected = np.array([centroids[c] for c in inside["member_grid_code"]])
    assert np.allclose(inside[["member_lon", "member_lat"]].to_numpy(), expected)


def test_accepting_the_suggestion_links_every_pair_within_the_caps(as_user, township):
    supervisor = supervisor_of(township)
    session = as_user(supervisor)
    result = suggest.suggest(session, township)
    pairs = list(zip(result.pairs["household_id"], result.pairs["member_id"]))

    accepted = linking.apply_suggestion(session, supervisor, pairs)
    assert (accepted.kind, accepted.changed) == ("accept_suggestion", len(pairs))
    assert f"为 {len(pairs)} 户联系了 {result.pairs['member_id'].nunique()} 名党员" in accepted.message
    after = loads(session).loc[result.pairs["member_id"].unique()]  # the links are visible in this session only
    assert (after["load"] <= after["cap"]).all()
    again = suggest.suggest(session, township)
    assert again.pairs.empty and set(again.unassigned["household_id"]) == set(result.unassigned["household_id"])
    with pytest.raises(InvalidInput, match="已由 tw_sup 联系"):
        linking.apply_suggestion(session, supervisor, pairs[:3])


def test_an_area_outside_the_session_scope_has_nothing_to_suggest(demo_session, as_user, township):
    other = demo_session.execute(sa.text("SELECT township_code FROM household WHERE township_code <> :t LIMIT 1"),
                                 {"t": township}).scalar()
    result = suggest.suggest(as_user(supervisor_of(township)), other)
    assert result.pairs.empty and result.unassigned.empty and result.total_distance_m == 0
    assert result.summary == "该区域的住户均已联系党员，无需建议。"


@pytest.mark.parametrize("area, cap", [("4115", None), ("41150200100x", None), (411502, None),
                                       ("411502", 0), ("411502", 101)])
def test_malformed_areas_and_caps_are_refused(demo_session, area, cap):
    with pytest.raises(InvalidInput):
        suggest.suggest(demo_session, area, cap=cap)
