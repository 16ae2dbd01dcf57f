"""Coordinate reference systems of users' files: anything pyproj knows, plus GCJ-02 (“火星坐标”).

Official Chinese geodata is CGCS2000 (EPSG:4490, or its Gauss-Krüger projections such as EPSG:4547
and EPSG:4526); stored geometry is EPSG:4326, within a metre of CGCS2000. Coordinates copied from
commercial web maps are GCJ-02: WGS84 shifted by an obfuscation formula, a few hundred metres in
Xinyang. GCJ-02 has no EPSG code and no closed-form inverse; ``gcj02_to_wgs84`` inverts the published
forward formula by fixed-point iteration to well under a millimetre.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyproj
import shapely
from pyproj.exceptions import CRSError

from geo.errors import InvalidInput

GCJ02_NAMES = {"gcj02", "gcj-02", "gcj_02", "火星坐标", "火星坐标系"}
_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the formula
_EE = 0.00669342162296594323


def is_gcj02(crs: str | None) -> bool:
    return crs is not None and str(crs).strip().lower() in GCJ02_NAMES


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The formula leaves points outside this rough box unshifted (as web maps do)."""
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _shift(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (degrees) added to WGS84 coordinates."""
    x, y = lon - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
             + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
             + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
             + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
             + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
             + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
             + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad_lat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """The forward formula (what web maps apply)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    d_lon, d_lat = _shift(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon, lat, tolerance: float = 1e-10, max_iterations: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Invert the forward formula: find WGS84 (x, y) with forward(x, y) = (lon, lat), to ``tolerance`` degrees."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = lon.copy(), lat.copy()
    for _ in range(max_iterations):
        fx, fy = wgs84_to_gcj02(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if not (np.nanmax(np.abs(ex), initial=0.0) > tolerance or np.nanmax(np.abs(ey), initial=0.0) > tolerance):
            break
    return x, y


def parse_crs(crs: str | None) -> pyproj.CRS | str:
    """A pyproj CRS for ``crs`` (EPSG:4490, 4547, a WKT …), or the marker ``"gcj02"``; refuses unknown ones."""
    if crs is None or str(crs).strip() == "":
        return pyproj.CRS.from_epsg(4326)
    if is_gcj02(crs):
        return "gcj02"
    text = str(crs).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return pyproj.CRS.from_user_input(text)
    except CRSError as exc:
        raise InvalidInput(
            f"无法识别坐标系“{crs}”：请写成 EPSG 代码（如 EPSG:4490、EPSG:4547、EPSG:4526、EPSG:4326）或 gcj02。"
        ) from exc


def to_wgs84(crs: pyproj.CRS | str) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A function (x, y) → (lon, lat) in EPSG:4326 for coordinates in ``crs`` (from ``parse_crs``)."""
    if crs == "gcj02":
        return gcj02_to_wgs84
    if isinstance(crs, pyproj.CRS) and crs.equals(pyproj.CRS.from_epsg(4326), ignore_axis_order=True):
        return lambda x, y: (np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    transformer = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    return lambda x, y: transformer.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))


def transform_geometries(geometries: np.ndarray, crs: pyproj.CRS | str) -> np.ndarray:
    """Shapely geometries in ``crs`` → EPSG:4326 (vertex by vertex)."""
    convert = to_wgs84(crs)

    def apply(coords: np.ndarray) -> np.ndarray:
        lon, lat = convert(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geometries, apply)
