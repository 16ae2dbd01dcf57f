"""Boundary files (GeoJSON, zipped Shapefile, GeoPackage) in, unit geometry out.

``read_boundaries``/``load_boundaries`` set county polygons from the shipped reference file.
``read_boundary_file``, ``check_boundaries`` and ``apply_boundaries`` import a user's file for one
level (township, village or grid), in this order:

1. Read the file's CRS and transform to EPSG:4326 (CGCS2000 EPSG:4490 and its Gauss-Krüger
   projections such as 4547 and 4526 through pyproj; ``gcj02`` through ``etl.crs``). A file without a
   CRS is refused with a message naming ``--crs``.
2. Repair invalid polygons with ``make_valid`` (each repair reported); refuse what is empty, not a
   polygon, or outside China after transformation (a wrong CRS).
3. Match each feature to a unit by code (in any form ``geo.areas.normal_code`` reads: 9-digit townships,
   numbers, a trailing ``.0``), else by name within its parent (from a parent column, or the prefix of a
   code that is not in the catalogue), reporting ambiguities. Every feature read ends in one outcome
   (``etl.boundary_report``): loaded, loaded with a note, or refused with the reason.
4. Check each unit against its parent (a part outside the parent wider than the tolerance refuses
   the unit, naming the neighbours it spills into) and the siblings against each other (overlaps,
   and gaps where a parent's children all have geometry), wider than the tolerance (metres).
5. Write (unless a dry run), in the caller's transaction: the previous geometry goes to
   ``boundary_history``; grid cells are created or updated; illustrative siblings and descendants give
   way (``etl.boundary_reshape``); records whose point now lies in another cell are re-linked
   (``etl.boundary_relink``) and the aggregates refreshed.

With ``within`` (a supervisor's code prefix) only units inside that area are accepted; a township's
supervisor (9 digits) may import grid cells only.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio.errors
import pyproj
import shapely
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from etl.boundary_relink import relink_records
from etl.boundary_report import BY_CODE, BY_NAME, BoundaryReport, FeatureOutcome
from etl.boundary_reshape import give_way
from etl.crs import parse_crs, transform_geometries
from etl.progress import Progress, no_progress
from etl.tabular import normalise_header
from geo.aggregates import refresh_aggregates
from geo.areas import LEVEL_LABELS as AREA_LABELS
from geo.areas import clean_name, level_of, name_key, normal_code, parent_code
from geo.enums import GeometrySource, RegionLevel
from geo.errors import Forbidden, InvalidInput
from geo.models import SRID

CODE_ALIASES = ("code", "CODE", "代码", "区划代码", "行政区划代码", "adcode", "统计用区划代码", "网格编码", "网格代码",
                "村代码", "乡镇代码", "编码", "dm", "xzqdm", "XZQDM")
NAME_ALIASES = ("name", "NAME", "名称", "区划名称", "乡镇名称", "村名称", "网格名称", "村名", "mc", "xzqmc", "XZQMC")
PARENT_ALIASES = ("parent", "上级", "上级名称", "所属乡镇", "乡镇", "所属县区", "县区", "所属村", "村(社区)", "所属村(社区)",
                  "parent_name")
PARENT_CODE_ALIASES = ("parent_code", "上级代码", "上级区划代码")
LEVELS = ("township", "village", "grid")
LEVEL_LABELS = {level: AREA_LABELS[level] for level in LEVELS}
PARENT_LEVEL = {"township": "county", "village": "township", "grid": "village"}
READ_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FeatureError,
               pyogrio.errors.FieldError, pyogrio.errors.GeometryError, pyogrio.errors.CRSError, pyproj.exceptions.CRSError,
               shapely.errors.GEOSException, zipfile.BadZipFile, OSError, ValueError, UnicodeError, IndexError)
"""What reading a damaged or odd file raises (GDAL, PROJ, GEOS, a truncated archive, a bad encoding; pyogrio
raises IndexError for a Shapefile without its .shx)."""
CHINA = shapely.box(73.0, 3.0, 136.0, 54.0)
EQUAL_AREA = pyproj.CRS.from_proj4("+proj=laea +lat_0=32.1 +lon_0=114.9 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs")
"""Lambert azimuthal equal-area centred on Xinyang: areas exact, distances within 0.1 % over the city."""
DEFAULT_TOLERANCE = 5.0
MIN_AREA_DEGREES = 1e-10
"""Below about 1 m² a polygon is degenerate (measured in degrees: projecting a flat polygon curves its edges)."""


@dataclass(frozen=True)
class BoundarySummary:
    updated: int
    unknown_codes: list[str]


def _pick_column(frame: gpd.GeoDataFrame, aliases: tuple[str, ...], what: str | None, name: str) -> str | None:
    wanted = {normalise_header(a) for a in aliases}
    for column in frame.columns:
        if column != frame.geometry.name and normalise_header(column) in wanted:
            return column
    if what is None:
        return None
    raise InvalidInput(f"{name}：缺少{what}列（可用列名：{'、'.join(aliases[:8])}）。")


def _read(path: Path, crs: str | None, name: str) -> gpd.GeoDataFrame:
    """The file as read, in EPSG:4326 (transformed from its own CRS, or from ``crs`` when given); ``name`` in messages."""
    if not path.is_file():
        raise InvalidInput(f"找不到文件 {name}：请检查路径。")
    try:
        frame = gpd.read_file(path)
        if not isinstance(frame, gpd.GeoDataFrame):
            raise InvalidInput(f"{name}：文件里只有属性表、没有几何图形（Shapefile 的压缩包缺少 .shp 或 .shx？）：请把同名的"
                               " .shp、.shx、.dbf、.prj 一起压缩后重新上传。")
        return _transformed(frame, crs, name)
    except READ_ERRORS as exc:
        reason = str(exc).replace(str(path), name).strip() or type(exc).__name__
        raise InvalidInput(f"{name}：无法读取边界文件（{reason}）：支持 GeoJSON、压缩的 Shapefile（.zip）和 GeoPackage；"
                           "文件可能不完整（上传或复制中断），请重新导出。") from exc


def _transformed(frame: gpd.GeoDataFrame, crs: str | None, name: str) -> gpd.GeoDataFrame:
    if crs is not None:
        parsed = parse_crs(crs)
        if parsed == "gcj02":
            frame = frame.set_crs(SRID, allow_override=True)
            frame = frame.set_geometry(transform_geometries(frame.geometry.values, "gcj02"))
            return frame.set_crs(SRID, allow_override=True)
        frame = frame.set_crs(parsed, allow_override=True)
    if frame.crs is None:
        raise InvalidInput(f"{name}：文件没有坐标系信息（Shapefile 缺少 .prj），请用 --crs（页面上为“坐标系”）指明，"
                           "例如 --crs EPSG:4490（CGCS2000 经纬度）、--crs EPSG:4547、--crs gcj02。")
    return frame.to_crs(SRID)


def read_boundaries(path: Path, crs: str | None = None) -> gpd.GeoDataFrame:
    """Read a boundary file into ``code, name, geometry`` in EPSG:4326, as valid MultiPolygons."""
    path = Path(path)
    frame = _read(path, crs, path.name)
    code_col = _pick_column(frame, CODE_ALIASES, "区划代码", path.name)
    name_col = _pick_column(frame, NAME_ALIASES, "名称", path.name)
    geometry = shapely.make_valid(frame.geometry.values)
    geometry = [_as_multipolygon(g) for g in geometry]
    return gpd.GeoDataFrame(
        {"code": frame[code_col].astype(str).str.strip(), "name": frame[name_col].astype(str).str.strip()},
        geometry=geometry,
        crs=SRID,
    )


def _as_multipolygon(geom: shapely.Geometry) -> shapely.MultiPolygon:
    """The non-empty polygons of a geometry, collections and multi-geometries flattened at any depth."""
    parts, polygons = deque([geom]), []
    while parts:
        part = parts.popleft()
        if isinstance(part, shapely.Polygon):
            if not part.is_empty:
                polygons.append(part)
        elif isinstance(part, (shapely.MultiPolygon, shapely.GeometryCollection)):
            parts.extend(shapely.get_parts(part))
    return shapely.MultiPolygon(polygons)


def load_boundaries(
    frame: gpd.GeoDataFrame, session: Session, level: RegionLevel, source: GeometrySource
) -> BoundarySummary:
    """Set the geometry of known units of ``level`` from ``frame``; codes not in the catalogue are reported."""
    known = set(
        session.execute(text("SELECT code FROM region WHERE level = :level"), {"level": level.value}).scalars()
    )
    rows = [
        {"code": code, "wkb": shapely.to_wkb(geom, hex=True), "source": source.value}
        for code, geom in zip(frame["code"], frame.geometry)
        if code in known
    ]
    if rows:
        session.execute(
            text(
                "UPDATE region SET geom = ST_Multi(ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), :srid)),"
                " geom_source = :source WHERE code = :code"
            ).bindparams(bindparam("srid", SRID)),
            rows,
        )
    unknown = sorted(set(frame["code"]) - known)
    return BoundarySummary(updated=len(rows), unknown_codes=unknown)


# --- a user's boundary file ----------------------------------------------------------------------------

@dataclass
class BoundaryFile:
    """Features of a file, in EPSG:4326, repaired: columns feature, code_text (as read), code (stored form or
    None), code_problem, name, parent, parent_code, geometry; ``outcomes`` has every feature read."""

    file: str
    features: gpd.GeoDataFrame
    repaired: list[str]
    refused: list[str]
    outcomes: dict[int, FeatureOutcome]


def _describe(row) -> str:
    parts = [p for p in (row.get("code_text"), row.get("name")) if isinstance(p, str) and p]
    return f"第 {row['feature']} 个要素" + (f"（{' '.join(parts)}）" if parts else "")


REPAIR_WORDS = {"Self-intersection": "自相交", "Ring Self-intersection": "环自相交", "Too few points": "顶点过少",
                "Hole lies outside shell": "洞在外环之外", "Nested shells": "外环嵌套", "Interior is disconnected": "内部不连通",
                "Duplicate Rings": "重复的环", "Nested holes": "洞嵌套", "Invalid Coordinate": "坐标无效",
                "Ring is not closed": "环未闭合"}


def _repair_word(reason: str) -> str:
    for english, chinese in REPAIR_WORDS.items():
        if reason.startswith(english):
            return chinese
    return reason


def _cell_text(value) -> str | None:
    """A cell as the user wrote it: None when empty, integral numbers without “.0”."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() or None


def _code(text: str | None) -> tuple[str | None, str | None]:
    """(stored form, None) of a code cell, or (None, why it is not a code)."""
    try:
        return normal_code(text), None
    except InvalidInput as problem:
        return None, str(problem)


def read_boundary_file(path: str | Path, crs: str | None = None, display_name: str | None = None) -> BoundaryFile:
    """Read, transform and repair; no database. ``display_name``: the file's name as the user knows it."""
    path = Path(path)
    name = display_name or path.name
    frame = _read(path, crs, name)
    code_col = _pick_column(frame, CODE_ALIASES, None, name)
    name_col = _pick_column(frame, NAME_ALIASES, None, name)
    if code_col is None and name_col is None:
        raise InvalidInput(f"{name}：既没有代码列也没有名称列，无法匹配区划（代码列可写作：{'、'.join(CODE_ALIASES[:6])}；"
                           f"名称列可写作：{'、'.join(NAME_ALIASES[:6])}）。")
    parent_col = _pick_column(frame, PARENT_ALIASES, None, name)
    parent_code_col = _pick_column(frame, PARENT_CODE_ALIASES, None, name)

    def text_of(column) -> list[str | None]:
        return [None] * len(frame) if column is None else [_cell_text(v) for v in frame[column].astype(object)]

    code_text = text_of(code_col)
    codes = [_code(t) for t in code_text]
    features = gpd.GeoDataFrame({
        "feature": np.arange(1, len(frame) + 1), "code_text": code_text, "code": [c for c, _ in codes],
        "code_problem": [p for _, p in codes], "name": text_of(name_col), "parent": text_of(parent_col),
        "parent_code": [_code(t)[0] for t in text_of(parent_code_col)],
    }, geometry=list(frame.geometry.values), crs=SRID)
    outcomes = {int(f): FeatureOutcome(int(f), c, n) for f, c, n in
                zip(features["feature"], features["code_text"], features["name"])}
    repaired, refused, keep, geometries = [], [], [], []
    for position, row in features.iterrows():
        outcome = outcomes[int(row["feature"])]
        try:
            geom = _feature_geometry(row, outcome, repaired)
        except shapely.errors.GEOSException as exc:
            geom = f"{_describe(row)}的几何图形无法处理（{exc}）"
        if isinstance(geom, str):
            refused.append(geom)
            outcome.refuse(geom)
            continue
        keep.append(position)
        geometries.append(geom)
    features = features.loc[keep].copy()
    features = features.set_geometry(gpd.GeoSeries(geometries, index=features.index, crs=SRID))
    return BoundaryFile(name, features, repaired, refused, outcomes)


def _feature_geometry(row, outcome: FeatureOutcome, repaired: list[str]) -> shapely.MultiPolygon | str:
    """A feature's geometry as a valid 2-D MultiPolygon in China, or the sentence refusing it."""
    geom = row.geometry
    who = _describe(row)
    if geom is None or geom.is_empty:
        return f"{who}没有几何图形"
    geom = shapely.force_2d(geom)
    if isinstance(geom, shapely.GeometryCollection) and not isinstance(geom, shapely.MultiPolygon):
        polygons = _as_multipolygon(geom)
        dropped = len(shapely.get_parts(geom)) - len(polygons.geoms)
        if polygons.is_empty:
            return f"{who}不是面（是 {geom.geom_type}，其中没有面），不能作为边界"
        if dropped:
            outcome.warn(f"{who}是几何集合：只取其中的面，舍去 {dropped} 个点、线或空的部分")
        geom = polygons
    if not isinstance(geom, (shapely.Polygon, shapely.MultiPolygon)):
        return f"{who}不是面（是 {geom.geom_type}），不能作为边界"
    if not shapely.is_valid(geom):
        reason = _repair_word(shapely.is_valid_reason(geom))
        fixed = _as_multipolygon(shapely.make_valid(geom))
        if fixed.is_empty or fixed.area < MIN_AREA_DEGREES:
            return f"{who}几何无效（{reason}），无法修复"
        sentence = f"{who}：{reason}，已修复（修复后 {len(fixed.geoms)} 块，面积 {_area_m2(fixed):,.0f} 平方米）"
        repaired.append(sentence)
        outcome.warn(sentence)
        geom = fixed
    geom = _as_multipolygon(geom)
    if geom.is_empty or geom.area < MIN_AREA_DEGREES:
        return f"{who}面积为零（顶点共线或重合），无法修复"
    if not CHINA.contains(geom):
        return f"{who}的坐标不在中国范围内：坐标系可能不对（可用 --crs 指明）"
    return geom


def _to_metres(geometries) -> np.ndarray:
    return gpd.GeoSeries(list(np.atleast_1d(geometries)), crs=SRID).to_crs(EQUAL_AREA).values


def _area_m2(geometry) -> float:
    return float(shapely.area(_to_metres(geometry))[0])


def _present(value) -> str | None:
    """Text of a cell, None when empty (a column missing from the file reads as NaN)."""
    return value.strip() or None if isinstance(value, str) else None


def _catalogue(session: Session, level: str) -> pd.DataFrame:
    """Units of ``level`` with their parent: code, name, short_name, parent_code, parent_name, has_geom, geom_source."""
    if level == "grid":
        sql = ("SELECT g.code, g.name, NULL AS short_name, g.village_code AS parent_code, v.name AS parent_name,"
               " v.short_name AS parent_short, g.geom IS NOT NULL AS has_geom, g.geom_source FROM grid_cell g"
               " JOIN region v ON v.code = g.village_code")
    else:
        sql = ("SELECT u.code, u.name, u.short_name, u.parent_code, p.name AS parent_name, p.short_name AS parent_short,"
               " u.geom IS NOT NULL AS has_geom, u.geom_source FROM region u JOIN region p ON p.code = u.parent_code"
               " WHERE u.level = :level")
    return pd.DataFrame(session.execute(text(sql), {"level": level}).mappings().all(),
                        columns=["code", "name", "short_name", "parent_code", "parent_name", "parent_short", "has_geom",
                                 "geom_source"])


class _Names:
    """Units of a level looked up by name: the exact name (or short name) first, then its ``name_key``."""

    def __init__(self, units: pd.DataFrame, level: str):
        self.level, self.exact, self.keyed = level, {}, {}
        for unit in units.itertuples():
            for name in {unit.name, unit.short_name} - {None}:
                self.exact.setdefault(clean_name(name), []).append(unit)
                self.keyed.setdefault(name_key(name), []).append(unit)

    def find(self, name: str, parent: str | None, parent_code: str | None) -> list:
        """Units named ``name``, inside ``parent_code`` or a parent named ``parent`` when given."""
        found = self.exact.get(clean_name(name)) or self.keyed.get(name_key(name), [])
        if parent_code:
            return [u for u in found if u.parent_code == parent_code]
        if parent:
            key = name_key(parent, PARENT_LEVEL[self.level])
            return [u for u in found if key in {name_key(n, PARENT_LEVEL[self.level])
                                                for n in (u.parent_name, u.parent_short) if n}]
        return found


def _code_miss(row, level: str) -> str:
    """Why a feature's code gives no unit of ``level``."""
    code, written = _present(row["code"]), _present(row["code_text"])
    if code is None:
        return f"代码{row['code_problem']}"
    shown = f"代码 {written}" + (f"（即 {code}）" if code != written else "")
    found = level_of(code)
    if found != level:
        return f"{shown}是{AREA_LABELS[found]}代码，不是{LEVEL_LABELS[level]}代码"
    return f"{shown}不在区划目录中"


def match_units(features: gpd.GeoDataFrame, session: Session, level: str, report: BoundaryReport,
                within: str = "") -> gpd.GeoDataFrame:
    """The features that match exactly one unit (column ``unit``, and ``matched_by``) inside ``within``.

    By code first; a feature without a known code is matched by name within its parent (the parent-code or
    parent-name column, else the parent of its code). Each refusal and each fallback is reported per feature.
    """
    units = _catalogue(session, level)
    villages = set(session.execute(text("SELECT code FROM region WHERE level = 'village'")).scalars()) \
        if level == "grid" else set()
    by_code = {u.code: u for u in units.itertuples()}
    names = _Names(units, level)
    label = LEVEL_LABELS[level]
    chosen, new_cells = [], set()
    for position, row in features.iterrows():
        feature, who = int(row["feature"]), _describe(row)
        code, name, parent = (_present(row[c]) for c in ("code", "name", "parent"))
        if code in by_code:
            chosen.append((position, code, BY_CODE))
            known = by_code[code]
            if name and name_key(name) not in {name_key(n) for n in (known.name, known.short_name) if n}:
                report.warn(feature, f"{who}：名称与目录中的“{known.name}”不同，按代码匹配")
            continue
        if level == "grid" and level_of(code) == "grid" and parent_code(code) in villages:
            chosen.append((position, code, BY_CODE))
            new_cells.add(code)
            continue
        miss = _code_miss(row, level) if (code or _present(row["code_problem"])) else None
        if not name:
            report.refuse(feature, f"{who}：{miss or '没有代码也没有名称'}，无法匹配")
            continue
        inside = _present(row["parent_code"]) or (parent_code(code) if level_of(code) == level else None)
        candidates = names.find(name, parent, inside)
        if len({u.code for u in candidates}) > 1 and within:
            candidates = [u for u in candidates if u.code.startswith(within)] or candidates
        where = f"（上级“{parent or inside}”）" if parent or inside else ""
        if not candidates:
            report.refuse(feature, f"{who}：{miss + '；' if miss else ''}找不到名为“{name}”的{label}{where}")
        elif len({u.code for u in candidates}) > 1:
            listed = "、".join(f"{u.parent_name}{u.name}（{u.code}）" for u in candidates[:5])
            report.refuse(feature, f"{who}：名称“{name}”对应多个{label}：{listed}；请加上级名称列或代码列",
                          report.ambiguous)
        else:
            chosen.append((position, candidates[0].code, BY_NAME))
            if miss:
                report.warn(feature, f"{who}：{miss}，按名称匹配到{candidates[0].name}（{candidates[0].code}）")
    frame = features.loc[[p for p, _, _ in chosen]].copy()
    frame["unit"] = pd.Series([c for _, c, _ in chosen], index=frame.index, dtype=object)
    frame["matched_by"] = pd.Series([h for _, _, h in chosen], index=frame.index, dtype=object)
    for feature, unit, how in zip(frame["feature"], frame["unit"], frame["matched_by"]):
        report.features[int(feature)].unit, report.features[int(feature)].matched_by = unit, how
    twice = frame["unit"].duplicated(keep="first")
    for _, row in frame[twice].iterrows():
        report.refuse(int(row["feature"]), f"{_describe(row)}：与前面的要素是同一个{label}（{row['unit']}），只用第一个")
    frame = frame[~twice]
    elsewhere = np.array([not u.startswith(within) for u in frame["unit"]], dtype=bool)
    for _, row in frame[elsewhere].iterrows():
        report.refuse(int(row["feature"]), f"{_describe(row)}：{label} {row['unit']} 不在您的管辖范围（{within}）内，未导入")
    frame = frame[~elsewhere]
    frame["new_cell"] = frame["unit"].isin(new_cells)
    report.matched = len(frame)
    return frame


def _parents(session: Session, level: str, codes: list[str]) -> dict[str, tuple[str, str, shapely.Geometry | None, str]]:
    """Unit code → (parent code, parent name, parent geometry, its source) for the matched units."""
    parent_of = {c: (parent_code(c) if level == "grid" else None) for c in codes}
    if level != "grid":
        parent_of.update(dict(session.execute(text("SELECT code, parent_code FROM region WHERE code = ANY(:codes)"),
                                              {"codes": codes}).all()))
    parents = sorted({p for p in parent_of.values() if p})
    rows = session.execute(text("SELECT code, name, ST_AsBinary(geom), geom_source FROM region WHERE code = ANY(:codes)"),
                           {"codes": parents}).all()
    geometry = {code: (name, shapely.from_wkb(bytes(wkb)) if wkb is not None else None, source)
                for code, name, wkb, source in rows}
    return {c: (p, *geometry.get(p, (p, None, None))) for c, p in parent_of.items()}


def check_boundaries(matched: gpd.GeoDataFrame, session: Session, level: str, report: BoundaryReport) -> gpd.GeoDataFrame:
    """Containment in the parent (refusing what spills out), then overlaps and gaps among siblings (reported)."""
    tolerance = report.tolerance
    if matched.empty:
        return matched
    parents = _parents(session, level, list(matched["unit"]))
    matched = matched.copy()
    matched["parent_code"] = matched["unit"].map(lambda c: parents[c][0])
    metric = dict(zip(matched["unit"], _to_metres(matched.geometry.values)))
    parent_metric = {p: _to_metres(g)[0] for p, _, g, _ in parents.values() if g is not None}
    refused, feature_of = set(), dict(zip(matched["unit"], matched["feature"]))
    for unit, (parent, parent_name, geom, parent_source) in parents.items():
        if geom is None:
            report.notes.append(f"{unit} 的上级 {parent_name}（{parent}）还没有边界，未检查是否超出上级")
            continue
        outside = shapely.difference(metric[unit], shapely.buffer(parent_metric[parent], tolerance))
        area = float(shapely.area(outside))
        if area > 1.0:
            spill = gpd.GeoSeries([outside], crs=EQUAL_AREA).to_crs(SRID).values[0]
            neighbours = session.execute(text(
                "SELECT name FROM region WHERE level = (SELECT level FROM region WHERE code = :p) AND code <> :p"
                " AND geom IS NOT NULL AND ST_Intersects(geom, ST_GeomFromWKB(:wkb, :srid)) ORDER BY code"
            ), {"p": parent, "wkb": shapely.to_wkb(spill), "srid": SRID}).scalars().all()
            name = _present(matched.loc[matched["unit"] == unit, "name"].iloc[0]) or ""
            into = f"，伸入{'、'.join(neighbours)}" if neighbours else ""
            hint = ("；上级的边界只是示意，请先导入上级的正式边界" if parent_source == "illustrative" else "")
            report.refuse(int(feature_of[unit]), f"{name}（{unit}）超出上级 {parent_name} 约 {area:,.0f} 平方米"
                          f"（容差 {tolerance:g} 米）{into}{hint}", report.outside)
            refused.add(unit)
    matched = matched[~matched["unit"].isin(refused)]
    _siblings(matched, session, level, report, parents, parent_metric)
    return matched


def _siblings(matched, session, level, report, parents, parent_metric) -> None:
    tolerance = report.tolerance
    catalogue = _catalogue(session, level)
    for parent, group in matched.groupby("parent_code"):
        siblings = catalogue[catalogue["parent_code"] == parent]
        others = siblings[~siblings["code"].isin(group["unit"])]
        kept = others[others["geom_source"] == "official"]  # illustrative siblings give way (etl.boundary_reshape)
        illustrative = int((others["geom_source"] == "illustrative").sum())
        table = "grid_cell" if level == "grid" else "region"
        old = dict(session.execute(text(f"SELECT code, ST_AsBinary(geom) FROM {table} WHERE code = ANY(:codes)"),  # noqa: S608
                                   {"codes": list(kept["code"])}).all())
        codes = list(group["unit"]) + list(old)
        geoms = list(_to_metres(group.geometry.values))
        if old:
            geoms += list(_to_metres([shapely.from_wkb(bytes(w)) for w in old.values()]))
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        for i, j in zip(left, right):
            if i >= j or (i >= len(group) and j >= len(group)):
                continue
            overlap = shapely.intersection(geoms[i], geoms[j])
            if not shapely.is_empty(shapely.buffer(overlap, -tolerance / 2)):
                sentence = f"{codes[i]} 与 {codes[j]} 重叠约 {shapely.area(overlap):,.0f} 平方米"
                report.overlaps.append(sentence)
                for k in {i, j} & set(range(len(group))):
                    report.warn(int(group["feature"].iloc[k]), sentence)
        all_children = set(siblings["code"]) | set(group["unit"])
        covered = set(group["unit"]) | set(kept["code"])
        if illustrative:
            report.notes.append(f"上级 {parent} 内其余 {illustrative} 个示意边界将让位：裁去与新边界重叠的部分，"
                                "并补上新边界留下的空隙（故不检查缝隙）")
        elif parent in parent_metric and covered >= all_children:
            gap = shapely.difference(parent_metric[parent], shapely.union_all(geoms))
            wide = shapely.buffer(shapely.buffer(gap, -tolerance / 2), tolerance / 2)
            for piece in shapely.get_parts(wide):
                if shapely.area(piece) > 1.0:
                    near = [codes[k] for k in tree.query(shapely.buffer(piece, tolerance), predicate="intersects")]
                    report.gaps.append(f"上级 {parent} 内有约 {shapely.area(piece):,.0f} 平方米未被覆盖，相邻：{'、'.join(sorted(near)) or '无'}")
        elif parent in parent_metric:
            report.notes.append(f"上级 {parent} 的下级还没有全部有边界（{len(covered)}/{len(all_children)}），未检查缝隙")


def apply_boundaries(matched: gpd.GeoDataFrame, session: Session, level: str, report: BoundaryReport,
                     sha256: str = "", *, within: str = "", imported_by: str | None = None,
                     progress: Progress = no_progress) -> BoundaryReport:
    """Write the checked units (history first; grid cells created as needed), let illustrative units give way,
    re-link the records whose cell changed and refresh the aggregates."""
    report.dry_run = False
    if matched.empty:
        return report
    progress("write", 0, len(matched))
    batch = session.execute(text(
        "INSERT INTO import_batch (kind, file_name, file_sha256, imported_by, counts)"
        " VALUES ('boundaries', :file, :sha, :by, '{}'::jsonb) RETURNING id"),
        {"file": report.file, "sha": sha256, "by": imported_by}).scalar()
    rows = [{"code": c, "wkb": shapely.to_wkb(g), "name": _present(n) or c} for c, g, n in
            zip(matched["unit"], matched.geometry, matched["name"])]
    table = "grid_cell" if level == "grid" else "region"
    codes = [r["code"] for r in rows]
    report.history = session.execute(text(
        f"INSERT INTO boundary_history (level, code, geom, geom_source, batch_id)"  # noqa: S608 (table from a constant)
        f" SELECT :level, code, geom, geom_source, :batch FROM {table} WHERE code = ANY(:codes) AND geom IS NOT NULL"
    ), {"level": level, "batch": batch, "codes": codes}).rowcount
    if level == "grid":
        new = [r for r, fresh in zip(rows, matched["new_cell"]) if fresh]
        if new:
            session.execute(text(
                "INSERT INTO grid_cell (code, name, village_code, geom, geom_source) VALUES"
                " (CAST(:code AS text), :name, left(CAST(:code AS text), 12), ST_Multi(ST_GeomFromWKB(:wkb, 4326)), 'official')"), new)
        report.created = len(new)
    session.execute(text(
        f"UPDATE {table} SET geom = ST_Multi(ST_GeomFromWKB(:wkb, 4326)), geom_source = 'official' WHERE code = :code"  # noqa: S608
    ), rows)
    report.written = len(rows)
    progress("write", len(rows), len(rows))
    progress("reshape", 0, 0)
    reshaped = give_way(session, level, codes, batch)
    report.reshaped = {lvl: reshaped.count(lvl) for lvl in LEVELS if reshaped.count(lvl)}
    report.cleared = reshaped.cleared
    cells = [c for c in [*codes, *reshaped.changed.get("grid", []), *reshaped.cleared] if level_of(c) == "grid"]
    relinked = relink_records(session, cells, within, progress)
    report.relinked, report.unplaced = relinked.moved, relinked.unplaced
    report.batch_id = batch
    counts = {"matched": report.matched, "written": report.written, "created": report.created,
              "history": report.history, "refused": len(report.refusals), "repaired": len(report.repaired),
              "overlaps": len(report.overlaps), "gaps": len(report.gaps), "reshaped": report.reshaped,
              "cleared": report.cleared, "relinked": report.relinked, "unplaced": report.unplaced}
    session.execute(text("UPDATE import_batch SET counts = CAST(:c AS jsonb) WHERE id = :id"),
                    {"c": json.dumps(counts, ensure_ascii=False), "id": batch})
    progress("refresh", 0, 0)
    refresh_aggregates(session)
    return report


def import_boundaries(path: str | Path, session: Session, level: str, *, crs: str | None = None,
                      tolerance: float = DEFAULT_TOLERANCE, dry_run: bool = False, within: str = "",
                      display_name: str | None = None, imported_by: str | None = None,
                      progress: Progress = no_progress) -> BoundaryReport:
    """Read, match, check and (unless ``dry_run``) write a boundary file for ``level``, in the caller's transaction.

    ``within``: the code prefix of the importer's area ('' for the whole catalogue); a township's prefix
    (9 digits) allows grid cells only. ``progress`` hears the phases of ``etl.progress.BOUNDARY_PHASES``.
    """
    if level not in LEVELS:
        raise InvalidInput(f"层级应为 {'、'.join(LEVELS)} 之一（收到：{level}）。")
    if tolerance < 0:
        raise InvalidInput("容差不能为负数。")
    if len(within) > 6 and level != "grid":
        raise Forbidden(f"乡镇（街道）的管理员只能导入本乡镇的网格边界；{LEVEL_LABELS[level]}边界请由县（区）管理员导入。")
    progress("read", 0, 0)
    source = read_boundary_file(path, crs, display_name)
    report = BoundaryReport(source.file, level, tolerance, repaired=source.repaired, refused=list(source.refused),
                            features=source.outcomes)
    progress("match", 0, len(source.features))
    matched = match_units(source.features, session, level, report, within)
    progress("check", 0, len(matched))
    checked = check_boundaries(matched, session, level, report)
    progress("check", len(matched), len(matched))
    if dry_run:
        return report
    return apply_boundaries(checked, session, level, report, hashlib.sha256(Path(path).read_bytes()).hexdigest(),
                            within=within, imported_by=imported_by, progress=progress)


__all__ = ["BoundaryFile", "BoundaryReport", "BoundarySummary", "RegionLevel", "apply_boundaries", "check_boundaries",
           "import_boundaries", "load_boundaries", "match_units", "read_boundaries", "read_boundary_file"]
