"""Illustrative geometry gives way to official geometry: after an import, re-tile the illustrative units.

Inside a container (a parent's polygon) the illustrative children must tile what the official
children leave free. ``retile`` clips each illustrative unit to that free area and gives every
uncovered part to the nearest unit (nearest by distance to the unit's previous outline, so a unit
that the new boundary left outside still claims the parts next to it). All outlines, the free
area's boundary and the nearest-unit borders are noded together once and polygonized into faces,
so neighbours share identical vertices and the pieces tile the free area exactly. Codes never
change; a unit that ends up with nothing loses its geometry (kept in ``boundary_history``).

``give_way`` runs this after an import of ``level``: the imported units' illustrative siblings give
way inside their parents, then the children of every changed unit (illustrative villages of a
township, then illustrative grid cells of a village). Official units are never reshaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas import parent_code
from geo.models import SRID

CHILD = {"county": "township", "township": "village", "village": "grid"}
SAME_DEGREES = 1e-12
"""Pieces whose symmetric difference with the old outline is smaller (about 0.01 m²) are unchanged."""
NEAREST_POINTS = 1000
"""Points sampled along the units' outlines for the nearest-unit borders, at most (per container)."""


@dataclass
class Reshaped:
    """Illustrative units whose geometry an import changed, per level, and those left without geometry."""

    changed: dict[str, list[str]] = field(default_factory=dict)
    cleared: list[str] = field(default_factory=list)

    def count(self, level: str) -> int:
        return len(self.changed.get(level, []))


def retile(container, fixed: list, units: dict[str, shapely.Geometry]) -> dict[str, shapely.MultiPolygon | None]:
    """New outlines of ``units`` tiling ``container`` less ``fixed``: clipped, uncovered parts to the nearest unit."""
    codes = list(units)
    old = [units[c] for c in codes]
    free = shapely.difference(container, shapely.union_all(fixed)) if fixed else container
    if free.is_empty or not codes:
        return {c: None for c in codes}
    uncovered = shapely.difference(free, shapely.union_all(old))
    lines = [shapely.boundary(free), *shapely.boundary(old)]
    regions = None
    if shapely.area(uncovered) > SAME_DEGREES and len(codes) > 1:
        regions = _nearest_regions(old, shapely.envelope(shapely.union_all([container, *old])))
        lines.append(shapely.intersection(shapely.union_all(shapely.boundary(regions)), shapely.buffer(uncovered, 1e-7)))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))))
    inner = shapely.point_on_surface(faces)
    keep = shapely.contains(free, inner)
    faces, inner = faces[keep], inner[keep]
    owner = _lowest(shapely.STRtree(old).query(inner, predicate="within"), len(faces))
    rest = np.flatnonzero(owner < 0)
    if rest.size and regions is None:
        owner[rest] = shapely.STRtree(old).nearest(inner[rest])
    elif rest.size:
        owner[rest] = _lowest(shapely.STRtree(regions).query(inner[rest], predicate="intersects"), rest.size)
    result = {}
    for i, code in enumerate(codes):
        mine = faces[owner == i]
        result[code] = _as_multi(shapely.coverage_union_all(mine)) if len(mine) else None
    return result


def _lowest(pairs: np.ndarray, n: int) -> np.ndarray:
    """For each of ``n`` queried points, the lowest unit index among its (point, unit) hits; -1 for none."""
    owner = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(owner, pairs[0], pairs[1])
    return np.where(owner == np.iinfo(np.int64).max, -1, owner)


def _nearest_regions(old: list, extent) -> np.ndarray:
    """For each unit, the area closer to its outline than to any other unit's (Voronoi of outline samples)."""
    length = float(np.sum(shapely.length(old)))
    step = max(length / NEAREST_POINTS, 1e-5)
    points, index = shapely.get_coordinates(shapely.segmentize(shapely.boundary(old), step), return_index=True)
    points, first = np.unique(points, axis=0, return_index=True)
    index = index[first]
    points = points + np.random.default_rng(0).uniform(-step / 1000, step / 1000, points.shape)  # GEOS fails on cocircular points
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent, ordered=True))
    return np.array([shapely.coverage_union_all(cells[index == i]) if np.any(index == i) else shapely.Polygon()
                     for i in range(len(old))], dtype=object)


def _as_multi(geom) -> shapely.MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon) and not p.is_empty]
    return shapely.MultiPolygon(parts)


def _table(level: str) -> str:
    return "grid_cell" if level == "grid" else "region"


def _children(session: Session, level: str, parents: list[str]) -> list[tuple[str, str, str, bytes]]:
    """(parent, code, geom_source, wkb) of the children of ``parents`` that have geometry."""
    if level == "grid":
        sql = ("SELECT village_code AS parent, code, geom_source, ST_AsBinary(geom) FROM grid_cell"
               " WHERE village_code = ANY(:parents) AND geom IS NOT NULL ORDER BY code")
    else:
        sql = ("SELECT parent_code AS parent, code, geom_source, ST_AsBinary(geom) FROM region"
               " WHERE parent_code = ANY(:parents) AND level = :level AND geom IS NOT NULL ORDER BY code")
    return session.execute(text(sql), {"parents": parents, "level": level}).all()


def retile_children(session: Session, level: str, parents: list[str], batch: int, result: Reshaped) -> list[str]:
    """Re-tile the illustrative children (of ``level``) of ``parents`` and write those that changed; their codes."""
    if not parents:
        return []
    outlines = dict(session.execute(text("SELECT code, ST_AsBinary(geom) FROM region WHERE code = ANY(:c)"
                                         " AND geom IS NOT NULL"), {"c": parents}).all())
    by_parent: dict[str, list] = {}
    for parent, code, source, wkb in _children(session, level, parents):
        by_parent.setdefault(parent, []).append((code, source, shapely.from_wkb(bytes(wkb))))
    changed, cleared = {}, []
    for parent, children in by_parent.items():
        if parent not in outlines:
            continue
        units = {code: geom for code, source, geom in children if source == "illustrative"}
        fixed = [geom for _code, source, geom in children if source != "illustrative"]
        for code, geom in retile(shapely.from_wkb(bytes(outlines[parent])), fixed, units).items():
            if geom is None:
                cleared.append(code)
            elif float(shapely.area(shapely.symmetric_difference(geom, units[code]))) > SAME_DEGREES:
                changed[code] = geom
    codes = sorted([*changed, *cleared])
    if not codes:
        return []
    table = _table(level)
    session.execute(text(
        f"INSERT INTO boundary_history (level, code, geom, geom_source, batch_id)"  # noqa: S608 (table from a constant)
        f" SELECT :level, code, geom, geom_source, :batch FROM {table} WHERE code = ANY(:codes)"
    ), {"level": level, "batch": batch, "codes": codes})
    if changed:
        session.execute(text(
            f"UPDATE {table} SET geom = ST_Multi(ST_GeomFromWKB(:wkb, :srid)) WHERE code = :code"  # noqa: S608
        ), [{"code": c, "wkb": shapely.to_wkb(g), "srid": SRID} for c, g in changed.items()])
    if cleared:
        session.execute(text(f"UPDATE {table} SET geom = NULL, geom_source = NULL WHERE code = ANY(:codes)"),  # noqa: S608
                        {"codes": cleared})
    result.changed.setdefault(level, []).extend(sorted(changed))
    result.cleared.extend(sorted(cleared))
    return codes


def give_way(session: Session, level: str, codes: list[str], batch: int) -> Reshaped:
    """After ``codes`` of ``level`` got official geometry: re-tile their illustrative siblings, then the
    illustrative descendants of every changed unit, level by level down to the grid cells."""
    result = Reshaped()
    if level == "grid":
        parents = sorted({parent_code(c) for c in codes})
    else:
        parents = sorted(set(session.execute(text("SELECT parent_code FROM region WHERE code = ANY(:c)"
                                                  " AND parent_code IS NOT NULL"), {"c": codes}).scalars()))
    changed = sorted(set(codes) | set(retile_children(session, level, parents, batch, result)))
    while level in CHILD:
        level = CHILD[level]
        changed = retile_children(session, level, changed, batch, result)
    return result
