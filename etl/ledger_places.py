"""The places of ledger rows: how each row gives its place, and the grid cell that place resolves to.

A row gives its place by coordinates, a grid code, a village code, or village + township names (the
first present wins; ``given_places``, while reading). ``locate`` then finds the grid cell: the cell
containing the point, the grid code itself, the village's first cell, or the village named.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from etl.ledger_fields import no_reasons
from geo.areas import clean_name, name_key, village_kind, without_parent
from geo.models import SRID

CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)


def has_location_columns(seen) -> bool:
    """Whether the mapped fields ``seen`` can give a place at all."""
    return ({"lon", "lat"} <= set(seen) or "grid_code" in seen or "village_code" in seen
            or {"village_name", "township_name"} <= set(seen))


def given_places(values: dict, headers: dict, transform, index) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Which way each row gives its place (first present wins: coordinates, grid code, village code, names)."""
    none = pd.Series(None, index=index, dtype=object)
    lon, lat = values.get("lon", none), values.get("lat", none)
    grid, village = values.get("grid_code", none), values.get("village_code", none)
    vname, tname, cname = values.get("village_name", none), values.get("township_name", none), values.get("county_name", none)
    problems: list[pd.DataFrame] = []
    reasons = no_reasons(index)
    has_lon, has_lat = lon.notna(), lat.notna()
    reasons[has_lon ^ has_lat] = "经度和纬度要同时填写"
    both = has_lon & has_lat
    x = pd.Series(np.nan, index=index)
    y = pd.Series(np.nan, index=index)
    if both.any():
        tx, ty = transform(lon[both].astype(float).to_numpy(), lat[both].astype(float).to_numpy())
        x[both], y[both] = tx, ty
        west, south, east, north = CHINA_BOUNDS
        outside = both & ~((x >= west) & (x <= east) & (y >= south) & (y <= north))
        if outside.any():
            swapped = outside & lon.astype(float).between(south, north) & lat.astype(float).between(west, east)
            shown = lon[outside].astype(str) + ", " + lat[outside].astype(str)
            reasons[swapped & reasons.isna()] = "经纬度（" + shown[swapped] + "）似乎填反了：经度约为 113–116，纬度约为 30–33"
            rest = outside & reasons.isna()
            reasons[rest] = "经纬度（" + shown[rest] + "）不在中国范围内：请检查数值和坐标系（坐标系不是 WGS84 时导入时要指明）"
    method = pd.Series(None, index=index, dtype=object)
    method[both] = "coords"
    method[method.isna() & grid.notna()] = "grid"
    method[method.isna() & village.notna()] = "village"
    named = method.isna() & (vname.notna() | tname.notna())
    half = named & (vname.isna() | tname.isna())
    reasons[half & reasons.isna()] = "按名称定位要同时填写“村（社区）”和“乡镇（街道）”"
    method[named & ~half] = "names"
    method[reasons.notna()] = None
    bad = reasons.notna().to_numpy()
    if bad.any():
        column = headers.get("lon", headers.get("village_name", "位置"))
        problems.append(pd.DataFrame({"pos": np.flatnonzero(bad), "column": column, "reason": reasons[bad].to_numpy()}))
    frame = pd.DataFrame({
        "loc_method": method, "lon": x.where(method == "coords"), "lat": y.where(method == "coords"),
        "grid_in": grid.where(method == "grid"), "village_in": village.where(method == "village"),
        "village_name": vname.where(method == "names"), "township_name": tname.where(method == "names"),
        "county_name": cname.where(method == "names"),
    }, index=index)
    return frame, problems


def locate(session: Session, records: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each record's grid cell code (None where it cannot be found) and the reason it cannot."""
    grid = pd.Series(None, index=records.index, dtype=object)
    reasons = no_reasons(records.index)
    method = records["loc_method"]

    rows = method == "coords"
    if rows.any():
        found, missing_polygons = cells_containing(session, records.loc[rows, "lon"].to_numpy(),
                                                   records.loc[rows, "lat"].to_numpy())
        grid[rows] = found
        lost = rows & grid.isna()
        hint = "（数据库中还没有网格边界：请先导入网格边界，或改填网格编码/村（社区）代码）" if missing_polygons else ""
        if lost.any():
            reasons[lost] = [f"经纬度（{x:.6f}, {y:.6f}）不在任何网格内{hint}"
                             for x, y in zip(records.loc[lost, "lon"], records.loc[lost, "lat"])]

    rows = method == "grid"
    if rows.any():
        codes = records.loc[rows, "grid_in"]
        known = set(session.execute(text("SELECT code FROM grid_cell WHERE code = ANY(:codes)"),
                                    {"codes": sorted(set(codes))}).scalars())
        ok = codes.isin(known)
        grid[ok[ok].index] = codes[ok]
        if not ok.all():
            reasons[ok[~ok].index] = [f"网格编码 {c} 不存在" for c in codes[~ok]]

    rows = method == "village"
    if rows.any():
        codes = records.loc[rows, "village_in"]
        first = _first_cells(session, sorted(set(codes)))
        grid[rows] = codes.map(lambda c: first.get(c, (None, None))[1])
        unknown = codes[~codes.isin(first.keys())]
        if len(unknown):
            reasons[unknown.index] = [f"村（社区）代码 {c} 不存在" for c in unknown]
        empty = codes[codes.isin(first.keys()) & grid[rows].isna()]
        if len(empty):
            reasons[empty.index] = [f"村（社区）{first[c][0]}（{c}）还没有网格：请先导入网格边界或改填经纬度" for c in empty]

    rows = method == "names"
    if rows.any():
        found, why = _by_names(session, records.loc[rows, ["county_name", "township_name", "village_name"]])
        grid[rows] = found
        reasons[why.dropna().index] = why.dropna()
    # A place given but not found is refused with a reason, never dropped unsaid by the writers.
    reasons[method.notna() & grid.isna() & reasons.isna()] = "无法确定该行的位置：请核对所填的位置"
    return grid, reasons


def cells_containing(session: Session, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, bool]:
    """The grid cell containing each point (ST_Contains; a point on a shared edge goes to the lower code).

    Cells are read once for the points' bounding box and queried with an STRtree, which for a
    million points is many times faster than one indexed ST_Contains per row. Returns the codes
    (None outside every cell) and whether the area has no grid polygons at all.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    rows = session.execute(text(
        "SELECT code, ST_AsBinary(geom) FROM grid_cell WHERE geom IS NOT NULL"
        " AND geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, :srid) ORDER BY code"
    ), {"x0": float(lon.min()), "y0": float(lat.min()), "x1": float(lon.max()), "y1": float(lat.max()), "srid": SRID}).all()
    result = np.full(len(lon), None, dtype=object)
    if not rows:
        any_polygon = session.execute(text("SELECT EXISTS (SELECT 1 FROM grid_cell WHERE geom IS NOT NULL)")).scalar()
        return result, not any_polygon
    codes = np.array([r[0] for r in rows], dtype=object)
    tree = shapely.STRtree(shapely.from_wkb([bytes(r[1]) for r in rows]))
    points = shapely.points(lon, lat)
    for predicate in ("within", "covered_by"):  # inside first; then points on an edge
        open_ = np.flatnonzero(pd.isna(result))
        if not len(open_):
            break
        point_i, cell_i = tree.query(points[open_], predicate=predicate)
        if len(point_i):
            order = np.lexsort((cell_i, point_i))  # lowest cell index (= lowest code) per point first
            point_i, cell_i = point_i[order], cell_i[order]
            first = np.r_[True, point_i[1:] != point_i[:-1]]
            result[open_[point_i[first]]] = codes[cell_i[first]]
    return result, False


def _first_cells(session: Session, codes: list[str]) -> dict[str, tuple[str, str | None]]:
    """Village code → (name, its first grid cell or None), for the villages that exist."""
    rows = session.execute(text(
        "SELECT v.code, v.name, min(g.code) FROM region v LEFT JOIN grid_cell g ON g.village_code = v.code"
        " WHERE v.level = 'village' AND v.code = ANY(:codes) GROUP BY v.code, v.name"
    ), {"codes": codes}).all()
    return {code: (name, cell) for code, name, cell in rows}


def _by_names(session: Session, names: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Villages by their name within a township (and county, if given); ambiguities are reported, not guessed."""
    units = pd.DataFrame(session.execute(text(
        "SELECT v.code, v.name, v.short_name, t.name AS township, c.name AS county,"
        " (SELECT min(g.code) FROM grid_cell g WHERE g.village_code = v.code) AS cell"
        " FROM region v JOIN region t ON t.code = v.parent_code JOIN region c ON c.code = t.parent_code"
        " WHERE v.level = 'village'"
    )).all(), columns=["code", "name", "short_name", "township", "county", "cell"])
    units["v_core"] = units["short_name"].fillna(units["name"]).map(lambda n: name_key(n, "village"))
    units["t_core"] = units["township"].map(lambda n: name_key(n, "township"))
    units["c_core"] = units["county"].map(lambda n: name_key(n, "county"))
    units["kind"] = units["short_name"].fillna(units["name"]).map(village_kind)
    by_exact = {}
    for unit in units.itertuples():  # by the name as written, and by its key
        for variant in {unit.name, unit.short_name}:
            if variant:
                by_exact.setdefault((unit.t_core, variant), []).append(unit)
        by_exact.setdefault((unit.t_core, "~" + unit.v_core), []).append(unit)
    found = pd.Series(None, index=names.index, dtype=object)
    reasons = pd.Series(None, index=names.index, dtype=object)
    cache: dict[tuple, tuple] = {}
    for i, county, township, village in names.itertuples():
        county = county if isinstance(county, str) and county else None
        key = (county, township, village)
        if key not in cache:
            candidates = _candidates(by_exact, county, township, village)
            shown = f"{county or ''}{township}{village}"
            if not candidates:
                cache[key] = (None, f"找不到村（社区）“{shown}”：请核对名称，或改填村（社区）代码")
            elif len(candidates) > 1:
                listed = "、".join(f"{u.county}{u.township}{u.name}（{u.code}）" for u in candidates[:4])
                cache[key] = (None, f"“{shown}”对应多个村（社区）：{listed}，请填写县区或村（社区）代码")
            elif pd.isna(candidates[0].cell):
                cache[key] = (None, f"村（社区）{candidates[0].name}（{candidates[0].code}）还没有网格：请先导入网格边界或改填经纬度")
            else:
                cache[key] = (candidates[0].cell, None)
        found[i], reasons[i] = cache[key]
    return found, reasons


def _candidates(by_exact: dict, county: str | None, township: str, village: str) -> list:
    """The villages a row's names may mean: by the name as written, else by its key; a village written with its
    township in front (郭家河乡人民政府塆店村委会) is tried without it; a 社区 or 村 suffix settles a tie."""
    t_core = name_key(township, "township")
    candidates: list = []
    for written in dict.fromkeys((clean_name(village), without_parent(village, township))):
        candidates = by_exact.get((t_core, written)) or by_exact.get((t_core, "~" + name_key(written, "village")), [])
        if county:
            candidates = [u for u in candidates if u.c_core == name_key(county, "county")]
        if candidates:
            break
    kind = village_kind(village)
    if len(candidates) > 1 and kind:
        candidates = [u for u in candidates if u.kind == kind] or candidates
    return candidates
