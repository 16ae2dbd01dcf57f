"""etl.demo.partition: exact, deterministic tilings with roughly proportional areas."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
import shapely

from etl.demo.partition import partition


def _county() -> shapely.Polygon:
    """An irregular 40-vertex polygon about 0.5 degrees across, centred near 114.5E 32.1N."""
    rng = np.random.default_rng(411500)
    angle = np.sort(rng.uniform(0, 2 * np.pi, 40))
    radius = 0.25 * (0.65 + 0.35 * rng.random(40))
    lon = 114.5 + radius * np.cos(angle) / math.cos(math.radians(32.1))
    return shapely.Polygon(np.column_stack([lon, 32.1 + radius * np.sin(angle)]))


PARENTS = {
    "square": shapely.box(114.0, 32.0, 114.4, 32.4),
    "u_shape": shapely.Polygon(
        [(114.0, 32.0), (114.5, 32.0), (114.5, 32.4), (114.38, 32.4)]
        + [(114.38, 32.12), (114.12, 32.12), (114.12, 32.4), (114.0, 32.4)]
    ),
    "with_hole": shapely.Polygon(
        shapely.box(114.0, 32.0, 114.4, 32.4).exterior.coords,
        [shapely.box(114.12, 32.14, 114.26, 32.3).exterior.coords],
    ),
    "two_parts": shapely.MultiPolygon(
        [shapely.box(114.0, 32.0, 114.25, 32.3), shapely.box(114.32, 32.05, 114.5, 32.2)]
    ),
    "county": _county(),
}
COUNTS = [1, 2, 7, 40, 120]
CASES = [(name, n) for name in PARENTS for n in COUNTS]
SEED = 20240601


def _children(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights and central flags: about a fifth of the children are central and small."""
    rng = np.random.default_rng(n)
    central = np.arange(n) < round(n / 5)
    return rng.uniform(0.5, 2.0, n) * np.where(central, 0.3, 1.0), central


@cache
def _split(name: str, n: int, seed: int = SEED) -> tuple[shapely.MultiPolygon, ...]:
    weights, central = _children(n)
    return tuple(partition(PARENTS[name], weights, np.random.default_rng(seed), central=central))


def _log_ratios(name: str, n: int) -> np.ndarray:
    """log(area share / weight share) of every piece."""
    weights, _ = _children(n)
    area = shapely.area(np.array(_split(name, n)))
    return np.log((area / area.sum()) / (weights / weights.sum()))


def test_parents_are_valid():
    assert all(parent.is_valid for parent in PARENTS.values())
    assert len(PARENTS["county"].exterior.coords) == 41


@pytest.mark.parametrize(("name", "n"), CASES)
def test_one_multipolygon_per_weight(name, n):
    pieces = _split(name, n)
    assert len(pieces) == n
    assert all(isinstance(piece, shapely.MultiPolygon) for piece in pieces)


@pytest.mark.parametrize(("name", "n"), CASES)
def test_pieces_are_valid_and_non_empty(name, n):
    pieces = np.array(_split(name, n))
    assert shapely.is_valid(pieces).all()
    assert (shapely.area(pieces) > 0).all()


@pytest.mark.parametrize(("name", "n"), CASES)
def test_pieces_tile_the_parent_exactly(name, n):
    parent, pieces = PARENTS[name], np.array(_split(name, n))
    left, right = shapely.STRtree(pieces).query(pieces, predicate="intersects")
    pair = left < right
    overlap = shapely.area(shapely.intersection(pieces[left[pair]], pieces[right[pair]])).sum()
    assert overlap < 1e-12 * parent.area
    assert not shapely.overlaps(pieces[left[pair]], pieces[right[pair]]).any()
    assert shapely.coverage_is_valid(pieces)  # shared borders have identical vertices
    assert shapely.symmetric_difference(shapely.union_all(pieces), parent).area < 1e-9 * parent.area


@pytest.mark.parametrize(("name", "n"), CASES)
def test_pieces_lie_within_the_parent(name, n):
    parent, pieces = PARENTS[name], np.array(_split(name, n))
    assert (shapely.area(shapely.difference(pieces, parent)) < 1e-12 * parent.area).all()
    assert shapely.within(pieces, parent).all()


@pytest.mark.parametrize(("name", "n"), CASES)
def test_pieces_are_connected_where_the_parent_is(name, n):
    parts = np.array([len(piece.geoms) for piece in _split(name, n)])
    spare_parts = len(PARENTS[name].geoms) - 1 if name == "two_parts" else 0
    assert (parts - 1).sum() <= spare_parts


@pytest.mark.parametrize(("name", "n"), CASES)
def test_same_seed_same_bytes_other_seed_other_pieces(name, n):
    weights, central = _children(n)
    again = partition(PARENTS[name], weights, np.random.default_rng(SEED), central=central)
    assert [piece.wkb for piece in again] == [piece.wkb for piece in _split(name, n)]
    other = [piece.wkb for piece in _split(name, n, SEED + 1)]
    assert (other == [piece.wkb for piece in again]) == (n == 1)


@pytest.mark.parametrize(("name", "n"), [case for case in CASES if case[1] > 1 and case != ("two_parts", 2)])
def test_areas_roughly_proportional_to_weights(name, n):
    off = np.abs(_log_ratios(name, n))
    assert np.mean(off <= math.log(1.5)) >= 0.9
    assert np.median(off) <= math.log(1.15)


def test_two_children_of_two_parts_take_a_part_each():
    """Connected pieces win over proportions: two children of a two-part parent get one part each."""
    pieces = _split("two_parts", 2)
    parts = PARENTS["two_parts"].geoms
    assert sorted(piece.area for piece in pieces) == pytest.approx(sorted(part.area for part in parts))
    assert all(len(piece.geoms) == 1 for piece in pieces)


@pytest.mark.parametrize("name", PARENTS)
def test_one_weight_returns_the_parent(name):
    (piece,) = _split(name, 1)
    assert isinstance(piece, shapely.MultiPolygon)
    assert piece.equals(PARENTS[name])


@pytest.mark.parametrize(("name", "n"), [case for case in CASES if case[1] >= 7])
def test_central_pieces_sit_nearer_the_centre(name, n):
    _, central = _children(n)
    centre = PARENTS[name].point_on_surface()
    distance = shapely.distance(shapely.centroid(np.array(_split(name, n))), centre)
    assert distance[central].mean() < distance[~central].mean()


def test_central_pieces_follow_an_explicit_centre():
    parent = PARENTS["county"]
    seat = shapely.Point(114.62, 32.05)
    weights, central = _children(40)
    pieces = np.array(partition(parent, weights, np.random.default_rng(SEED), centre=seat, central=central))
    distance = shapely.distance(shapely.centroid(pieces), seat)
    assert distance[central].max() < np.median(distance[~central])
    assert central[np.argmin(shapely.distance(pieces, seat))]


def test_two_hundred_pieces_of_a_county():
    parent = PARENTS["county"]
    weights = np.random.default_rng(200).uniform(0.5, 2.0, 200)
    pieces = np.array(partition(parent, weights, np.random.default_rng(SEED)))
    assert len(pieces) == 200
    assert shapely.is_valid(pieces).all() and (shapely.area(pieces) > 0).all()
    assert shapely.symmetric_difference(shapely.union_all(pieces), parent).area < 1e-9 * parent.area


@pytest.mark.parametrize(
    ("weights", "central"),
    [([], None), ([1.0, 0.0], None), ([1.0, float("nan")], None), ([1.0, -2.0], None), ([1.0, 2.0], [True])],
)
def test_rejects_bad_children(weights, central):
    with pytest.raises(ValueError):
        partition(PARENTS["square"], weights, np.random.default_rng(0), central=central)


def test_rejects_an_invalid_parent():
    bowtie = shapely.Polygon([(114.0, 32.0), (114.2, 32.2), (114.2, 32.0), (114.0, 32.2)])
    with pytest.raises(ValueError):
        partition(bowtie, [1.0, 1.0], np.random.default_rng(0))
