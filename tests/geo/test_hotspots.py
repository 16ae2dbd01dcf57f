"""Gi* hot and cold spots: queen contiguity, z-scores against esda, Benjamini–Hochberg, classes.

How the esda call maps to ours: ``gi_star(values, nb)`` == ``esda.G_Local(values, w, transform="B",
permutations=0, star=True).Zs`` where ``w = libpysal.weights.W({id: [neighbour ids]}, id_order=nb.ids)``
has NO self-neighbours. With ``star=True`` and a zero diagonal esda itself fills the diagonal with 1
(``_infer_star_and_structure_w`` -> ``fill_diagonal(w, 1)`` because transform is "B"), which is our
w_ii = 1; ``star=1.0`` gives the same, ``star=False`` would be Gi (no self), and a W that already has
self-neighbours is used as it is. ``id_order`` must be passed: without it libpysal sorts the ids as
strings ("1" < "10" < "2"), which silently scrambles the comparison. esda's ``p_norm`` is one-sided,
ours two-sided: p == 2 * p_norm. esda divides by the mean of the values, so its Zs equals ours only
when that mean is positive (true for counts); our formula does not depend on the mean's sign.
"""

from __future__ import annotations

import warnings

import esda
import libpysal
import numpy as np
import pytest
import shapely
from scipy import stats

from geo.errors import InvalidInput
from geo.hotspots import CLASS_LABELS, METHOD, Neighbours, bh_significant, gi_star, hotspots, queen_neighbours


def grid(rows: int, cols: int) -> tuple[list[str], list[shapely.Geometry]]:
    """Unit squares, row-major, id "r{row}c{col}"."""
    ids = [f"r{r}c{c}" for r in range(rows) for c in range(cols)]
    geoms = [shapely.box(c, r, c + 1, r + 1) for r in range(rows) for c in range(cols)]
    return ids, geoms


def voronoi(count: int, seed: int, size: float = 10.0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    box = shapely.box(0, 0, size, size)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(rng.uniform(0, size, (count, 2))), extend_to=box))
    cells = shapely.intersection(cells, box)
    return [f"v{i}" for i in range(len(cells))], cells


def as_names(nb: Neighbours) -> dict[str, set[str]]:
    return {nb.ids[i]: {nb.ids[j] for j in row} for i, row in enumerate(nb.neighbours)}


def libpysal_w(nb: Neighbours) -> libpysal.weights.W:
    return libpysal.weights.W(
        {unit: sorted(names) for unit, names in as_names(nb).items()}, id_order=list(nb.ids), silence_warnings=True
    )


def esda_zs(values: np.ndarray, nb: Neighbours) -> esda.G_Local:
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        # esda's fill_diagonal rebuilds the W, which warns again about islands
        warnings.filterwarnings("ignore", message="The weights matrix is not fully connected")
        return esda.G_Local(values, libpysal_w(nb), transform="B", permutations=0, star=True)


# --- queen_neighbours -------------------------------------------------------------------------


def test_queen_on_a_5x5_grid_counts_corner_edge_and_inner_neighbours():
    ids, geoms = grid(5, 5)
    nb = queen_neighbours(ids, geoms)
    assert nb.ids == ids
    counts = {unit: len(names) for unit, names in as_names(nb).items()}
    expected = {}
    for r in range(5):
        for c in range(5):
            border = (r in (0, 4)) + (c in (0, 4))
            expected[f"r{r}c{c}"] = {2: 3, 1: 5, 0: 8}[border]
    assert counts == expected
    # and exactly the king-move cells, never the cell itself
    for r in range(5):
        for c in range(5):
            king = {f"r{r + dr}c{c + dc}" for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                    if (dr, dc) != (0, 0) and 0 <= r + dr < 5 and 0 <= c + dc < 5}
            assert as_names(nb)[f"r{r}c{c}"] == king


@pytest.mark.parametrize("geoms, expected", [
    # touching at the single vertex (1, 1) only; the third square is apart
    ([shapely.box(0, 0, 1, 1), shapely.box(1, 1, 2, 2), shapely.box(3, 0, 4, 1)],
     {"z": {"a"}, "a": {"z"}, "m": set()}),
    # a gap of 1e-9 is not contiguity
    ([shapely.box(0, 0, 1, 1), shapely.box(1 + 1e-9, 0, 2, 1), shapely.box(3, 0, 4, 1)],
     {"z": set(), "a": set(), "m": set()}),
    # a sliver overlap along the shared border still is
    ([shapely.box(0, 0, 1, 1), shapely.box(1 - 1e-9, 0, 2, 1), shapely.box(2, 0, 3, 1)],
     {"z": {"a"}, "a": {"z", "m"}, "m": {"a"}}),
    # a missing geometry has no neighbours and does not break the others
    ([shapely.box(0, 0, 1, 1), None, shapely.box(1, 0, 2, 1)],
     {"z": {"m"}, "a": set(), "m": {"z"}}),
])
def test_queen_on_small_cases_keeps_the_given_ids(geoms, expected):
    nb = queen_neighbours(["z", "a", "m"], geoms)
    assert nb.ids == ["z", "a", "m"]
    assert as_names(nb) == expected
    assert all(row.dtype.kind == "i" for row in nb.neighbours)


@pytest.mark.parametrize("make", [lambda: grid(7, 4), lambda: voronoi(300, seed=3)])
def test_queen_agrees_with_libpysal_queen(make):
    ids, geoms = make()
    nb = queen_neighbours(ids, geoms)
    theirs = libpysal.weights.Queen.from_iterable(list(geoms), ids=ids, silence_warnings=True)
    assert as_names(nb) == {unit: set(names) for unit, names in theirs.neighbors.items()}


@pytest.mark.parametrize("ids, geoms", [
    (["a", "b"], [shapely.box(0, 0, 1, 1)]),
    (["a", "a"], [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]),
])
def test_queen_rejects_mismatched_or_duplicate_ids(ids, geoms):
    with pytest.raises(InvalidInput):
        queen_neighbours(ids, geoms)


# --- gi_star against esda ---------------------------------------------------------------------


def case_grid_random():
    ids, geoms = grid(5, 5)
    return queen_neighbours(ids, geoms), np.random.default_rng(7).poisson(6, 25).astype(float)


def planted(size: int = 30, seed: int = 11):
    """30x30 grid, Poisson(30) background, a 5x5 hot block (60) at rows/cols 4..8, a cold block (0) at 20..24.

    The blocks sit symmetrically (+30 / -30) around the background, so a block corner (4 of its 9 cells
    in the block) is as strong for the cold block as for the hot one: z is about +-4.5 there.
    """
    ids, geoms = grid(size, size)
    values = np.random.default_rng(seed).poisson(30, (size, size)).astype(float)
    hot = np.zeros((size, size), dtype=bool)
    cold = np.zeros((size, size), dtype=bool)
    hot[4:9, 4:9] = True
    cold[20:25, 20:25] = True
    values[hot] = 60
    values[cold] = 0
    return ids, geoms, values.ravel(), hot.ravel(), cold.ravel()


def case_grid_planted():
    ids, geoms, values, _, _ = planted()
    return queen_neighbours(ids, geoms), values


def case_voronoi():
    ids, geoms = voronoi(400, seed=5)
    return queen_neighbours(ids, geoms), np.random.default_rng(5).gamma(2.0, 3.0, len(ids))


def case_with_island():
    ids, geoms = grid(4, 4)
    ids, geoms = ids + ["island"], geoms + [shapely.box(50, 50, 51, 51)]
    values = np.random.default_rng(2).poisson(4, 17).astype(float)
    values[-1] = 25
    return queen_neighbours(ids, geoms), values


@pytest.mark.parametrize("make", [case_grid_random, case_grid_planted, case_voronoi, case_with_island])
def test_gi_star_equals_esda_g_local_star(make):
    nb, values = make()
    z, p = gi_star(values, nb)
    reference = esda_zs(values, nb)
    assert np.isfinite(z).all()
    np.testing.assert_allclose(z, reference.Zs, rtol=0, atol=1e-8)
    np.testing.assert_allclose(p, 2 * reference.p_norm, rtol=0, atol=1e-12)
    np.testing.assert_allclose(p, 2 * stats.norm.sf(np.abs(z)), rtol=0, atol=1e-15)


def test_gi_star_island_uses_itself_only():
    nb, values = case_with_island()
    z, _ = gi_star(values, nb)
    assert len(nb.neighbours[-1]) == 0
    assert z[-1] == pytest.approx((values[-1] - values.mean()) / values.std(), abs=1e-12)


def test_gi_star_by_hand_on_a_path_of_three():
    # A - B - C, x = 1, 2, 6: xbar = 3, S = sqrt((4 + 1 + 9) / 3) = sqrt(14/3), n = 3.
    # A: W = S1 = 2 (itself and B), sum w x = 3: z = (3 - 6) / (S * sqrt((3*2 - 4) / 2)) = -3 / S.
    # B: W = S1 = 3, n*S1 - W^2 = 0: its neighbourhood is everything, z undefined (NaN), as in esda.
    # C: W = S1 = 2, sum w x = 8: z = (8 - 6) / S = 2 / S.
    nb = Neighbours(ids=["A", "B", "C"], neighbours=[np.array([1]), np.array([0, 2]), np.array([1])])
    z, p = gi_star(np.array([1.0, 2.0, 6.0]), nb)
    s = np.sqrt(14 / 3)
    np.testing.assert_allclose(z, [-3 / s, np.nan, 2 / s], rtol=1e-12)
    assert np.isnan(p[1]) and not np.isnan(p[[0, 2]]).any()
    np.testing.assert_allclose(z, esda_zs(np.array([1.0, 2.0, 6.0]), nb).Zs, rtol=1e-12)


def test_gi_star_does_not_depend_on_the_sign_or_level_of_the_mean():
    nb, values = case_voronoi()
    z, _ = gi_star(values, nb)
    np.testing.assert_allclose(gi_star(values - 100.0, nb)[0], z, rtol=0, atol=1e-9)
    np.testing.assert_allclose(gi_star(3.0 * values, nb)[0], z, rtol=0, atol=1e-9)


APART = [shapely.box(3 * i, 0, 3 * i + 1, 1) for i in range(2)]  # two units that do not touch


@pytest.mark.parametrize("values, geoms", [
    (np.full(25, 4.0), grid(5, 5)[1]),     # all values equal: S = 0
    (np.full(25, 0.1), grid(5, 5)[1]),     # equal but not exactly representable: np.std is not exactly 0
    (np.array([1.0, 5.0]), APART),         # n < 3 (the formula alone would give z = -1, +1 here)
    (np.array([1.0, 5.0]), grid(1, 2)[1]), # n < 3, touching
    (np.array([7.0]), grid(1, 1)[1]),
])
def test_gi_star_degenerate_cases_are_nan(values, geoms):
    ids = [f"u{i}" for i in range(len(geoms))]
    nb = queen_neighbours(ids, geoms)
    z, p = gi_star(values, nb)
    assert z.shape == p.shape == (len(ids),)
    assert np.isnan(z).all() and np.isnan(p).all()
    frame = hotspots(ids, values, nb).frame
    assert (frame.hotspot_class == 0).all() and (frame.label == "不显著").all()


@pytest.mark.parametrize("values", [np.array([1.0, np.nan, 2.0]), np.array([1.0, 2.0]), np.array([1.0, np.inf, 2.0])])
def test_gi_star_rejects_missing_or_misaligned_values(values):
    nb = queen_neighbours(["a", "b", "c"], [shapely.box(i, 0, i + 1, 1) for i in range(3)])
    with pytest.raises(InvalidInput):
        gi_star(values, nb)


# --- Benjamini–Hochberg -----------------------------------------------------------------------


@pytest.mark.parametrize("p, alpha, expected", [
    # m = 5 (the NaN is not a test), alpha = 0.05. Sorted p and thresholds i/m*alpha:
    #   i=1 0.004 <= 0.01 pass | i=2 0.025 <= 0.02 FAIL | i=3 0.028 <= 0.03 pass
    #   i=4 0.060 <= 0.04 fail | i=5 0.300 <= 0.05 fail
    # largest passing i is 3, so the step-up rejects the three smallest, 0.025 included.
    # (Counting the NaN, m = 6, would reject only 0.004.)
    ([0.30, 0.028, np.nan, 0.004, 0.060, 0.025], 0.05, [False, True, False, True, False, True]),
    # alpha = 0.5, m = 4, thresholds 0.125, 0.25, 0.375, 0.5 (exact in binary): equality passes
    ([0.5, 0.375, 0.25, 0.125], 0.5, [True, True, True, True]),
    ([0.5000001, 0.375, 0.25, 0.125], 0.5, [False, True, True, True]),
    # i=1 0.02 > 0.0125 and i=2..4 also fail their thresholds: nothing rejected
    ([0.02, 0.03, 0.04, 0.2], 0.05, [False, False, False, False]),
    ([np.nan, np.nan], 0.05, [False, False]),
    ([], 0.05, []),
])
def test_bh_significant_hand_worked(p, alpha, expected):
    result = bh_significant(np.array(p, dtype=float), alpha)
    assert result.dtype == bool
    assert result.tolist() == expected


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.10])
def test_bh_significant_agrees_with_scipy(seed, alpha):
    rng = np.random.default_rng(seed)
    # a mix of nulls (uniform) and signals (concentrated near 0), so both outcomes occur
    p = np.concatenate([rng.uniform(size=300), rng.beta(0.1, 20, size=60)])
    rng.shuffle(p)
    expected = stats.false_discovery_control(p, method="bh") <= alpha
    result = bh_significant(p, alpha)
    assert expected.any() and not expected.all()
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("p, alpha", [([0.1, 1.2], 0.05), ([-0.1], 0.05), ([0.1], 0.0), ([0.1], 1.5)])
def test_bh_significant_rejects_bad_input(p, alpha):
    with pytest.raises(InvalidInput):
        bh_significant(np.array(p), alpha)


# --- hotspots ---------------------------------------------------------------------------------


def test_planted_blocks_are_99_percent_hot_and_cold():
    ids, geoms, values, hot, cold = planted()
    result = hotspots(ids, values, queen_neighbours(ids, geoms))
    frame = result.frame
    assert list(frame.columns) == ["id", "value", "z", "p", "hotspot_class", "label"]
    assert frame.id.tolist() == ids
    assert (frame.hotspot_class[hot] == 3).all()
    assert (frame.hotspot_class[cold] == -3).all()
    assert (frame.label[hot] == "热点（99%置信）").all() and (frame.label[cold] == "冷点（99%置信）").all()
    # background: the ring right around a block picks some of it up; away from the blocks, (almost) nothing
    rows, cols = np.divmod(np.arange(900), 30)
    near_hot = (rows >= 3) & (rows <= 9) & (cols >= 3) & (cols <= 9)
    near_cold = (rows >= 19) & (rows <= 25) & (cols >= 19) & (cols <= 25)
    assert (frame.hotspot_class[~(near_hot | near_cold)] == 0).mean() >= 0.95
    assert (frame.hotspot_class[~(hot | cold)] == 0).mean() >= 0.9
    assert not (frame.hotspot_class[near_hot] < 0).any() and not (frame.hotspot_class[near_cold] > 0).any()


def test_classes_follow_bh_at_each_level_and_the_sign_of_z():
    nb, values = case_voronoi()
    values = values + 8.0 * (np.arange(len(values)) % 17 == 0)  # a few high units for some significance
    frame = hotspots(nb.ids, values, nb).frame
    z, p = gi_star(values, nb)
    level = np.select(
        [bh_significant(p, 0.01), bh_significant(p, 0.05), bh_significant(p, 0.10)], [3, 2, 1], default=0
    )
    np.testing.assert_array_equal(frame.hotspot_class.to_numpy(), np.sign(z).astype(int) * level)
    assert frame.hotspot_class.dtype.kind == "i"
    assert frame.label.tolist() == [CLASS_LABELS[c] for c in frame.hotspot_class]


def test_hotspots_aligns_ids_given_in_another_order():
    ids, geoms, values, _, _ = planted()
    nb = queen_neighbours(ids, geoms)
    straight = hotspots(ids, values, nb).frame
    order = np.random.default_rng(1).permutation(len(ids))
    shuffled = hotspots([ids[i] for i in order], values[order], nb).frame
    assert shuffled.id.tolist() == [ids[i] for i in order]
    np.testing.assert_array_equal(shuffled.hotspot_class.to_numpy(), straight.hotspot_class.to_numpy()[order])
    np.testing.assert_array_equal(shuffled.z.to_numpy(), straight.z.to_numpy()[order])
    np.testing.assert_array_equal(shuffled.value.to_numpy(), values[order])


@pytest.mark.parametrize("ids", [["a", "b"], ["a", "b", "x"], ["a", "a", "b"], ["a", "b", "c", "d"]])
def test_hotspots_rejects_ids_that_are_not_the_neighbours_units(ids):
    nb = queen_neighbours(["a", "b", "c"], [shapely.box(i, 0, i + 1, 1) for i in range(3)])
    with pytest.raises(InvalidInput):
        hotspots(ids, np.ones(len(ids)), nb)


def test_labels_and_method_text():
    assert CLASS_LABELS == {
        3: "热点（99%置信）", 2: "热点（95%置信）", 1: "热点（90%置信）", 0: "不显著",
        -1: "冷点（90%置信）", -2: "冷点（95%置信）", -3: "冷点（99%置信）",
    }
    for phrase in ["Gi*", "star=True", "自身权重为 1", "二元", "Queen", "共享一条边或一个顶点", "解析", "不做置换",
                   "双侧", "Benjamini–Hochberg", "α=0.01", "α=0.05", "α=0.10", "全部单元", "热点", "冷点"]:
        assert phrase in METHOD, phrase
    ids, geoms = grid(3, 3)
    assert hotspots(ids, np.arange(9.0), queen_neighbours(ids, geoms)).method == METHOD
