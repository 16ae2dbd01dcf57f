"""Households, party members and their links (党员联户), deliberately imperfect.

About 12.5 households per linked member; some households unlinked (a few cells badly so), a few
members overloaded, some grid cells without any member, and a little history (earlier links closed
when a household was reassigned), so that the supervisors' pages have something to fix.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl.demo.config import HOUSEHOLDS_PER_LINKED_MEMBER, MEMBER_SHARE_OF_RESIDENTS, PEOPLE_PER_HOUSEHOLD, Scale
from etl.demo.names import id_numbers, mobile_numbers, person_names

EMPTY_CELL_SHARE = 0.02
OVERLOADED_CELL_SHARE = 0.04
REASSIGNED_SHARE = 0.03
LINKED_SINCE = np.datetime64("2022-03-01")
COORD_DECIMALS = 6
"""Points are stored with six decimals (about 0.1 m): generated at that precision."""


@dataclass(frozen=True)
class People:
    households: pd.DataFrame  # grid_code, lon, lat, size, head_name, head_id_number, head_phone
    members: pd.DataFrame     # grid_code, lon, lat, name, phone, capacity
    links: pd.DataFrame       # member (row of members), household (row of households), valid_from, valid_to


def _points_in(rng: np.random.Generator, polygon: shapely.Geometry, n: int, urban: bool) -> np.ndarray:
    """``n`` points inside ``polygon``: spread out in towns, in a few hamlets in the countryside."""
    minx, miny, maxx, maxy = polygon.bounds
    if urban:
        centres, spread = None, None
    else:
        centres = _uniform(rng, polygon, 1 + n // 120, minx, miny, maxx, maxy)
        spread = 0.18 * max(maxx - minx, maxy - miny)
    out = np.empty((0, 2))
    while len(out) < n:
        want = 2 * (n - len(out)) + 16
        if centres is None:
            xy = np.column_stack([rng.uniform(minx, maxx, want), rng.uniform(miny, maxy, want)])
        else:
            xy = centres[rng.integers(0, len(centres), want)] + rng.normal(0, spread, (want, 2))
        xy = np.round(xy, COORD_DECIMALS)  # as stored, so stored points are inside too
        xy = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        out = np.vstack([out, xy])
    return out[:n]


def _uniform(rng, polygon, n, minx, miny, maxx, maxy) -> np.ndarray:
    out = np.empty((0, 2))
    while len(out) < n:
        xy = np.column_stack([rng.uniform(minx, maxx, 4 * n + 8), rng.uniform(miny, maxy, 4 * n + 8)])
        xy = np.round(xy, COORD_DECIMALS)
        out = np.vstack([out, xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]])
    return out[:n]


def make_people(rng: np.random.Generator, cells: gpd.GeoDataFrame, scale: Scale) -> People:
    """Households in every cell (thinned by the scale), members living among them, and links."""
    shapely.prepare(cells.geometry.values)
    n_households = rng.binomial(cells["households"].to_numpy(), scale.household_fraction)
    member_rate = PEOPLE_PER_HOUSEHOLD * MEMBER_SHARE_OF_RESIDENTS
    n_members = rng.poisson(n_households * member_rate)
    n_members[rng.random(len(cells)) < EMPTY_CELL_SHARE] = 0

    household_xy, member_xy, links = [], [], []
    household_offset = member_offset = 0
    for i, (polygon, urban) in enumerate(zip(cells.geometry.values, cells["urban"].to_numpy())):
        h, m = int(n_households[i]), int(n_members[i])
        xy = _points_in(rng, polygon, h, bool(urban))
        household_xy.append(xy)
        member_xy.append(xy[rng.integers(0, h, m)] if h else _uniform(rng, polygon, m, *polygon.bounds))
        links.append(_cell_links(rng, h, m, household_offset, member_offset))
        household_offset += h
        member_offset += m

    hxy, mxy = np.vstack(household_xy), np.vstack(member_xy)
    grid_codes = cells["code"].to_numpy()
    household_cells = np.repeat(grid_codes, n_households)
    counties = np.array([code[:6] for code in household_cells]) if len(household_cells) else np.array([], str)
    total = len(hxy)
    households = pd.DataFrame({
        "grid_code": household_cells,
        "lon": hxy[:, 0], "lat": hxy[:, 1],
        "size": np.clip(1 + rng.poisson(PEOPLE_PER_HOUSEHOLD - 1, total), 1, 9),
        "head_name": person_names(rng, total),
        "head_id_number": id_numbers(rng, counties),
        "head_phone": np.where(rng.random(total) < 0.85, mobile_numbers(rng, total), None),
    })
    members = pd.DataFrame({
        "grid_code": np.repeat(grid_codes, n_members),
        "lon": mxy[:, 0], "lat": mxy[:, 1],
        "name": person_names(rng, len(mxy)),
        "phone": mobile_numbers(rng, len(mxy)),
        "capacity": 15,
    })
    return People(households, members, pd.concat(links, ignore_index=True))


def _cell_links(rng, h: int, m: int, household_offset: int, member_offset: int) -> pd.DataFrame:
    """Links of one cell: most households to one of a few members, some history, some left unlinked."""
    if h == 0 or m == 0:
        return pd.DataFrame({"member": [], "household": [], "valid_from": [], "valid_to": []})
    unlinked_share = rng.beta(1.2, 25)
    linked = np.flatnonzero(rng.random(h) >= unlinked_share)
    per_member = HOUSEHOLDS_PER_LINKED_MEMBER * (1.8 if rng.random() < OVERLOADED_CELL_SHARE else 1.0)
    active = int(np.clip(np.ceil(len(linked) / per_member), 1, m))
    member_of = rng.integers(0, active, len(linked))
    start = LINKED_SINCE + rng.integers(0, 300, len(linked)).astype("timedelta64[D]")
    current = pd.DataFrame({
        "member": member_offset + member_of, "household": household_offset + linked,
        "valid_from": start, "valid_to": np.datetime64("NaT"),
    })
    if active < 2:
        return current
    moved = rng.random(len(linked)) < REASSIGNED_SHARE
    if not moved.any():
        return current
    switch = start[moved] + rng.integers(120, 900, moved.sum()).astype("timedelta64[D]")
    earlier = pd.DataFrame({
        "member": member_offset + (member_of[moved] + 1 + rng.integers(0, active - 1, moved.sum())) % active,
        "household": household_offset + linked[moved], "valid_from": start[moved], "valid_to": switch,
    })
    current.loc[moved, "valid_from"] = switch
    return pd.concat([earlier, current], ignore_index=True)
