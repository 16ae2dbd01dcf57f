"""Getis–Ord Gi* hot and cold spots of a count per unit, with Benjamini–Hochberg FDR control.

The method, as stated on the page (``METHOD``): Gi* with the unit itself included (w_ii = 1),
binary queen contiguity (units sharing an edge or a vertex are neighbours), analytic z-scores
(no permutations), two-sided normal p-values, and classes 99/95/90 % hot and cold as in ArcGIS
"Hot Spot Analysis" with FDR correction: a unit is in the 99 % class if it is BH-significant at
alpha 0.01, else 95 % if at 0.05, else 90 % if at 0.10, each BH step run over all units at that
alpha; the sign of the class is the sign of z.

The z-scores equal esda's ``G_Local(y, w, transform="B", permutations=0, star=True).Zs`` on the
same binary weights whenever the mean of the values is positive (always so for non-zero counts;
esda divides by the mean, so for a negative mean its z has the opposite sign, and for a zero mean
it is undefined, while the Getis–Ord formula used here is not affected).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy import sparse, stats

from geo.errors import InvalidInput

CLASS_LABELS: dict[int, str] = {
    3: "热点（99%置信）",
    2: "热点（95%置信）",
    1: "热点（90%置信）",
    0: "不显著",
    -1: "冷点（90%置信）",
    -2: "冷点（95%置信）",
    -3: "冷点（99%置信）",
}

# Confidence class -> the FDR level at which a unit must be BH-significant to reach it.
CLASS_ALPHAS: dict[int, float] = {3: 0.01, 2: 0.05, 1: 0.10}

METHOD = (
    "冷热点采用 Getis–Ord Gi* 统计量识别（star=True，即每个单元的局部和包含其自身，自身权重为 1）；"
    "空间权重为二元邻接权重（Queen 邻接：共享一条边或一个顶点的单元互为邻居，权重为 1，其余为 0）；"
    "z 得分按 Getis 与 Ord（1995）的解析公式计算，不做置换检验，p 值为标准正态分布下的双侧 p 值；"
    "多重比较采用 Benjamini–Hochberg 错误发现率（FDR）控制：在 α=0.01 下 BH 显著的单元为 99% 置信，"
    "否则在 α=0.05 下显著的为 95% 置信，否则在 α=0.10 下显著的为 90% 置信，"
    "每一步 BH 校正均在全部单元上进行；z 得分为正者为热点，为负者为冷点，其余为不显著。"
    "所有单元取值相同或单元少于 3 个时统计量无定义，全部记为不显著。"
)


@dataclass(frozen=True)
class Neighbours:
    """Binary contiguity between n units: indices of each unit's neighbours (not itself)."""

    ids: list[str]
    neighbours: list[np.ndarray]

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.neighbours):
            raise InvalidInput(f"邻接关系中单元编号有 {len(self.ids)} 个而邻居列表有 {len(self.neighbours)} 个，请使两者一一对应。")

    def adjacency(self, self_weight: bool = False) -> sparse.csr_array:
        """The n x n binary weights matrix; with ``self_weight`` the diagonal is 1 (Gi*)."""
        n = len(self.ids)
        counts = np.fromiter((len(a) for a in self.neighbours), dtype=np.int64, count=n)
        rows = np.repeat(np.arange(n, dtype=np.int64), counts)
        cols = np.concatenate(self.neighbours).astype(np.int64) if n else np.empty(0, dtype=np.int64)
        if self_weight:
            rows = np.concatenate([rows, np.arange(n, dtype=np.int64)])
            cols = np.concatenate([cols, np.arange(n, dtype=np.int64)])
        matrix = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        matrix.sum_duplicates()
        matrix.data[:] = 1.0  # binary even if a caller listed a neighbour twice or itself
        return matrix


def queen_neighbours(ids: Sequence[str], geometries: Sequence[shapely.Geometry]) -> Neighbours:
    """Queen contiguity: units whose geometries intersect (shared edge, shared vertex or overlap).

    Uses one bulk ``STRtree.query(..., predicate="intersects")``; a pair intersects exactly when its
    intersection is non-empty, so a tiny overlap (sliver) along a shared border still makes two units
    neighbours, and units separated by a gap, however small, are not. Missing (None) or empty
    geometries have no neighbours. Each unit's neighbours are sorted ascending.
    """
    ids = [str(i) for i in ids]
    geoms = np.asarray(geometries, dtype=object)
    if geoms.ndim != 1 or len(ids) != len(geoms):
        raise InvalidInput(f"单元编号有 {len(ids)} 个而几何有 {len(geoms)} 个，请使两者一一对应。")
    if len(set(ids)) != len(ids):
        raise InvalidInput("单元编号有重复，请为每个单元提供唯一编号。")
    n = len(ids)
    if n == 0:
        return Neighbours(ids=[], neighbours=[])
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    # intersects is symmetric; symmetrise anyway so a GEOS edge case can never give a one-way link
    # (one 1-D np.unique of left * n + right: np.unique(axis=1) on the pairs is ten times slower)
    left, right = np.divmod(np.unique(np.concatenate([left * n + right, right * n + left])), n)
    bounds = np.searchsorted(left, np.arange(n + 1))
    neighbours = [right[bounds[i] : bounds[i + 1]].astype(np.int64) for i in range(n)]
    return Neighbours(ids=ids, neighbours=neighbours)


def gi_star(values: np.ndarray, neighbours: Neighbours) -> tuple[np.ndarray, np.ndarray]:
    """Analytic Getis–Ord Gi* z-scores and two-sided p-values, binary weights with w_ii = 1.

    z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1))), with W_i = sum_j w_ij,
    S1_i = sum_j w_ij^2, xbar the mean and S the population standard deviation of all x.
    z and p are NaN for every unit when n < 3 or all values are equal, and for a unit whose
    neighbourhood is every unit (its variance is zero). An island's Gi* is (x_i - xbar) / S.
    """
    x = np.asarray(values, dtype=float)
    n = len(neighbours.ids)
    if x.ndim != 1 or len(x) != n:
        raise InvalidInput(f"取值有 {x.size} 个而单元有 {n} 个，请为每个单元提供一个取值。")
    if not np.isfinite(x).all():
        raise InvalidInput("取值中有缺失或无穷大，请先把缺失的计数补为 0 或剔除该单元。")
    nan = np.full(n, np.nan)
    if n < 3 or np.ptp(x) == 0:
        return nan, nan.copy()
    w = neighbours.adjacency(self_weight=True)
    lag = w @ x
    w_i = np.asarray(w.sum(axis=1)).ravel()
    s1_i = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    xbar = x.mean()
    s = np.sqrt(np.mean((x - xbar) ** 2))
    spread = n * s1_i - w_i**2
    defined = spread > 0
    z = nan.copy()
    z[defined] = (lag[defined] - xbar * w_i[defined]) / (s * np.sqrt(spread[defined] / (n - 1)))
    p = np.where(defined, 2.0 * stats.norm.sf(np.abs(z)), np.nan)
    return z, p


def bh_significant(p: np.ndarray, alpha: float) -> np.ndarray:
    """Benjamini–Hochberg step-up at FDR ``alpha``: True where the hypothesis is rejected.

    m is the number of non-NaN p-values (the tests actually made); NaN p is never significant.
    With p-values sorted ascending, the k smallest are rejected for the largest k with
    p_(k) <= k / m * alpha.
    """
    p = np.asarray(p, dtype=float)
    if not 0 < alpha <= 1:
        raise InvalidInput(f"显著性水平 α={alpha} 不在 (0, 1] 内，请改用如 0.05 的值。")
    tested = ~np.isnan(p)
    if ((p[tested] < 0) | (p[tested] > 1)).any():
        raise InvalidInput("p 值须在 0 与 1 之间，请检查输入。")
    result = np.zeros(p.shape, dtype=bool)
    m = int(tested.sum())
    if m == 0:
        return result
    index = np.flatnonzero(tested)
    order = np.argsort(p[index], kind="stable")
    ranked = p[index][order]
    passes = ranked <= alpha * np.arange(1, m + 1) / m
    if passes.any():
        k = int(np.flatnonzero(passes)[-1]) + 1
        result[index[order[:k]]] = True
    return result


@dataclass(frozen=True)
class HotspotResult:
    frame: pd.DataFrame  # id, value, z, p, hotspot_class (-3..3), label
    method: str


def hotspots(ids: Sequence[str], values: Sequence[float] | np.ndarray, neighbours: Neighbours) -> HotspotResult:
    """Gi* hot/cold spot classes for ``values`` of units ``ids``.

    ``ids`` must be the units of ``neighbours`` (in any order); the frame keeps the order of ``ids``.
    """
    ids = [str(i) for i in ids]
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) != len(ids):
        raise InvalidInput(f"单元编号有 {len(ids)} 个而取值有 {x.size} 个，请使两者一一对应。")
    position = {unit: i for i, unit in enumerate(neighbours.ids)}
    if len(set(ids)) != len(ids) or len(ids) != len(position) or any(unit not in position for unit in ids):
        raise InvalidInput("取值的单元编号与邻接关系的单元不一致（缺失、多余或重复），请用同一批单元计算邻接关系。")
    at = np.fromiter((position[unit] for unit in ids), dtype=np.int64, count=len(ids))
    aligned = np.empty(len(ids))
    aligned[at] = x
    z, p = gi_star(aligned, neighbours)
    level = np.zeros(len(ids), dtype=np.int64)
    for confidence, alpha in sorted(CLASS_ALPHAS.items()):  # 90 %, then 95 %, then 99 % overrides
        level[bh_significant(p, alpha)] = confidence
    hotspot_class = (np.sign(np.nan_to_num(z)).astype(np.int64) * level)[at]
    frame = pd.DataFrame(
        {
            "id": ids,
            "value": x,
            "z": z[at],
            "p": p[at],
            "hotspot_class": hotspot_class,
            "label": [CLASS_LABELS[c] for c in hotspot_class],
        }
    )
    return HotspotResult(frame=frame, method=METHOD)
