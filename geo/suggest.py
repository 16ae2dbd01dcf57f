"""Suggested links for the unlinked households of an area: a min-cost flow, and a greedy baseline.

``suggest`` places every unlinked household of a township (12-digit code) or county (6 digits) with a
party member of its own grid cell or a neighbouring one (polygons intersect), never beyond a member's
spare capacity (effective cap − active links), so that first as many households as possible are placed
and then the total distance is smallest. It is a min-cost flow solved by OR-Tools: each household
(supply 1) → its ``k`` nearest eligible members with spare capacity (cost = distance in whole metres) →
the sink (capacity = spare). ``solve_max_flow_with_min_cost`` finds the largest flow and, among those,
the cheapest: the same optimum as an "unassigned" arc household → sink of infinite cost, without a big-M
constant whose product with the node count could overflow OR-Tools' 64-bit cost scaling; households left
without flow are the unassigned. Keeping only the ``k`` nearest keeps the graph sparse; in rare cases it
could leave unplaced a household that a farther member could have taken.

Distances are Euclidean in EPSG:4547 (CGCS2000 3-degree Gauss-Krüger, central meridian 114°E; scale error
under 0.1 % across Xinyang), transformed by PostGIS. A member without a point is placed at the centroid
of their grid cell. Members are those the session can see (row-level security applies); loads count
every active link.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from ortools.graph.python import min_cost_flow
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas import area_column
from geo.errors import InvalidInput
from geo.linking import MAX_CAP, NEIGHBOURS_SQL
from geo.models import DEFAULT_LINK_CAP

METRIC_SRID = 4547
K_NEAREST = 20
NONE = np.zeros(0, dtype=np.int64)

NO_MEMBER = "本网格及相邻网格内没有党员"
ALL_FULL = "本网格及相邻网格内的党员均已达到联户上限"
TAKEN = "本网格及相邻网格内党员的剩余名额已分配给其他住户"
PAIR_COLUMNS = ["household_id", "member_id", "distance_m", "household_lon", "household_lat", "member_lon",
                "member_lat", "member_at_centroid", "household_grid_code", "member_grid_code"]


@dataclass
class Suggestion:
    pairs: pd.DataFrame
    """``PAIR_COLUMNS``: one row per placed household, by household id; ``member_at_centroid`` marks a member
    without a point of their own, shown at their grid cell's centroid."""
    unassigned: pd.DataFrame
    """household_id, grid_code, reason (Chinese)."""
    total_distance_m: float
    summary: str


@dataclass
class _Problem:
    households: pd.DataFrame  # id, grid_code, lon, lat, x, y
    members: pd.DataFrame     # id, grid_code, lon, lat, x, y, at_centroid, cap, load, spare
    neighbours: dict[str, list[str]]


def suggest(session: Session, area_code: str, *, cap: int | None = None, k: int = K_NEAREST) -> Suggestion:
    """The optimal placement of the area's unlinked households (see the module docstring).

    ``cap`` replaces the townships' caps (a member's own capacity still applies).
    """
    problem = _load(session, area_code, cap)
    households, members = problem.households, problem.members
    h_idx, m_idx, dist = _candidates(problem, k, spare_only=True)
    if not len(households):
        return _result(problem, NONE, NONE, np.zeros(0), "最优分配")
    n_h, n_m = len(households), len(members)
    flow = min_cost_flow.SimpleMinCostFlow()
    sink = n_h + n_m
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([h_idx, n_h + np.arange(n_m)]).astype(np.int32),
        np.concatenate([n_h + m_idx, np.full(n_m, sink)]).astype(np.int32),
        np.concatenate([np.ones(len(h_idx), np.int64), members["spare"].to_numpy(np.int64)]),
        np.concatenate([np.rint(dist), np.zeros(n_m)]).astype(np.int64))
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32),
                            np.concatenate([np.ones(n_h), np.zeros(n_m), [-n_h]]).astype(np.int64))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"联户建议求解失败（OR-Tools 状态 {status.name}），请联系系统管理员。")
    used = np.flatnonzero(flow.flows(arcs[: len(h_idx)]) > 0)
    used = used[np.argsort(h_idx[used], kind="stable")]
    return _result(problem, h_idx[used], m_idx[used], dist[used], "最优分配")


def greedy_nearest(session: Session, area_code: str, *, respect_caps: bool = False) -> Suggestion:
    """Baseline: each unlinked household to the nearest member of its own or a neighbouring cell.

    Ignores caps by default. With ``respect_caps`` households are taken nearest-first and each goes to the
    nearest member that still has spare capacity (all eligible members, not only the ``k`` nearest).
    """
    problem = _load(session, area_code, None)
    h_idx, m_idx, dist = _candidates(problem, None, spare_only=respect_caps)
    order = np.lexsort((dist, h_idx))
    h_idx, m_idx, dist = h_idx[order], m_idx[order], dist[order]
    if not respect_caps:
        first = np.r_[True, h_idx[1:] != h_idx[:-1]] if len(h_idx) else np.zeros(0, bool)
        return _result(problem, h_idx[first], m_idx[first], dist[first], "就近分配（不计上限）")
    starts = np.flatnonzero(np.r_[True, h_idx[1:] != h_idx[:-1]]) if len(h_idx) else np.zeros(0, int)
    bounds = np.r_[starts, len(h_idx)]
    spare = problem.members["spare"].to_numpy().copy()
    chosen = []
    for s in sorted(range(len(starts)), key=lambda i: dist[bounds[i]]):
        for j in range(bounds[s], bounds[s + 1]):
            if spare[m_idx[j]] > 0:
                spare[m_idx[j]] -= 1
                chosen.append(j)
                break
    chosen = np.array(sorted(chosen), dtype=int)
    return _result(problem, h_idx[chosen], m_idx[chosen], dist[chosen], "就近分配（计上限）")


def _load(session: Session, area_code: str, cap: int | None) -> _Problem:
    column = area_column(area_code)
    if column is None:
        raise InvalidInput(f"区域代码应为 6 位县区代码或 12 位乡镇（街道）代码，收到 {area_code!r}。")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= MAX_CAP):
        raise InvalidInput(f"联户上限应为 1 到 {MAX_CAP} 之间的整数，收到 {cap!r}。")
    households = pd.DataFrame(session.execute(text(f"""
        SELECT h.id, h.grid_code, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat, ST_X(p) AS x, ST_Y(p) AS y
        FROM household h CROSS JOIN LATERAL ST_Transform(h.geom, {METRIC_SRID}) AS p
        WHERE h.{column} = :code AND NOT EXISTS (
            SELECT 1 FROM member_household_link l WHERE l.household_id = h.id AND l.valid_to IS NULL)
        ORDER BY h.id"""), {"code": area_code}).all(),
        columns=["id", "grid_code", "lon", "lat", "x", "y"])
    neighbours: dict[str, list[str]] = {}
    for cell, neighbour in session.execute(text(NEIGHBOURS_SQL), {"cells": households["grid_code"].unique().tolist()}):
        neighbours.setdefault(cell, []).append(neighbour)
    cells = sorted({c for near in neighbours.values() for c in near})
    members = pd.DataFrame(session.execute(text(f"""
        SELECT m.id, m.grid_code, ST_X(g) AS lon, ST_Y(g) AS lat, ST_X(p) AS x, ST_Y(p) AS y,
               m.geom IS NULL AS at_centroid,
               LEAST(m.capacity, coalesce(CAST(:cap AS int), c.cap, :default_cap)) AS cap,
               member_active_links(m.id) AS load
        FROM party_member m JOIN grid_cell gc ON gc.code = m.grid_code
        CROSS JOIN LATERAL coalesce(m.geom, ST_Centroid(gc.geom)) AS g
        CROSS JOIN LATERAL ST_Transform(g, {METRIC_SRID}) AS p
        LEFT JOIN link_cap c ON c.township_code = m.township_code
        WHERE m.grid_code = ANY(CAST(:cells AS text[]))
        ORDER BY m.id"""), {"cells": cells, "cap": cap, "default_cap": DEFAULT_LINK_CAP}).all(),
        columns=["id", "grid_code", "lon", "lat", "x", "y", "at_centroid", "cap", "load"])
    members["spare"] = (members["cap"] - members["load"]).clip(lower=0).astype(np.int64)
    return _Problem(households, members, neighbours)


def _candidates(problem: _Problem, k: int | None, *, spare_only: bool):
    """(household index, member index, distance m) arrays: members of each household's own or neighbouring
    cells, only those with spare capacity when ``spare_only``, the ``k`` nearest when ``k`` is given."""
    households, members = problem.households, problem.members
    usable = members["spare"].to_numpy() > 0 if spare_only else np.ones(len(members), bool)
    by_cell = {cell: rows[usable[rows]] for cell, rows in members.groupby("grid_code").indices.items()}
    mx, my = members["x"].to_numpy(), members["y"].to_numpy()
    hx_all, hy_all = households["x"].to_numpy(), households["y"].to_numpy()
    parts_h, parts_m, parts_d = [], [], []
    for cell, rows in households.groupby("grid_code").indices.items():
        pool = np.concatenate([by_cell.get(c, NONE) for c in problem.neighbours.get(cell, [])] or [NONE])
        if not len(pool):
            continue
        hx, hy = hx_all[rows], hy_all[rows]
        d = np.hypot(hx[:, None] - mx[pool][None, :], hy[:, None] - my[pool][None, :])
        if k is not None and len(pool) > k:
            keep = np.argpartition(d, k - 1, axis=1)[:, :k]
            d = np.take_along_axis(d, keep, axis=1)
            chosen = pool[keep]
        else:
            chosen = np.broadcast_to(pool, d.shape)
        parts_h.append(np.repeat(rows, d.shape[1]))
        parts_m.append(chosen.ravel())
        parts_d.append(d.ravel())
    if not parts_h:
        return NONE, NONE, np.zeros(0)
    return np.concatenate(parts_h), np.concatenate(parts_m), np.concatenate(parts_d)


def _result(problem: _Problem, h_idx, m_idx, dist, method: str) -> Suggestion:
    households, members = problem.households, problem.members
    h, m = households.iloc[h_idx], members.iloc[m_idx]
    pairs = pd.DataFrame({
        "household_id": h["id"].to_numpy(), "member_id": m["id"].to_numpy(), "distance_m": np.asarray(dist, float),
        "household_lon": h["lon"].to_numpy(), "household_lat": h["lat"].to_numpy(),
        "member_lon": m["lon"].to_numpy(), "member_lat": m["lat"].to_numpy(),
        "member_at_centroid": m["at_centroid"].to_numpy(bool),
        "household_grid_code": h["grid_code"].to_numpy(), "member_grid_code": m["grid_code"].to_numpy(),
    }, columns=PAIR_COLUMNS)
    placed = np.zeros(len(households), bool)
    placed[h_idx] = True
    left = households.loc[~placed, ["id", "grid_code"]].rename(columns={"id": "household_id"})
    reasons = {cell: _reason(problem, cell) for cell in left["grid_code"].unique()}
    left["reason"] = left["grid_code"].map(reasons)
    total = float(pairs["distance_m"].sum())
    return Suggestion(pairs, left.reset_index(drop=True), total, _summary(method, pairs, len(left), total))


def _reason(problem: _Problem, cell: str) -> str:
    near = problem.members[problem.members["grid_code"].isin(problem.neighbours.get(cell, []))]
    if near.empty:
        return NO_MEMBER
    return TAKEN if (near["spare"] > 0).any() else ALL_FULL


def _summary(method: str, pairs: pd.DataFrame, left: int, total: float) -> str:
    if pairs.empty and not left:
        return "该区域的住户均已联系党员，无需建议。"
    placed = len(pairs)
    text_ = (f"{method}：建议为 {placed:,} 户未联户住户联系 {pairs['member_id'].nunique():,} 名党员"
             f"，平均距离 {total / placed:,.0f} 米" if placed else f"{method}：没有可以建议的联系")
    return text_ + (f"；另有 {left:,} 户在本网格及相邻网格内找不到有剩余名额的党员。" if left else "。")
