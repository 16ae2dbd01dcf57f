"""Timing of geo.hotspots on ~8,000 Voronoi cells (the largest grid-cell layer). Not a pytest module.

Run: .venv/bin/python tests/bench/bench_hotspots.py [--cells 8000] [--repeat 5]
Prints best-of-N wall times of queen_neighbours, gi_star and hotspots, and the peak Python
memory of one full run (tracemalloc; GEOS allocations made in C are not counted).
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from geo.hotspots import gi_star, hotspots, queen_neighbours  # noqa: E402
from timing import best_of  # noqa: E402


def voronoi_cells(count: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    box = shapely.box(0, 0, 100, 100)
    points = shapely.multipoints(rng.uniform(0, 100, (count, 2)))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(points, extend_to=box)), box)
    return [f"g{i:05d}" for i in range(len(cells))], cells




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=8000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    ids, cells = voronoi_cells(args.cells)
    values = np.random.default_rng(1).poisson(5, len(ids)).astype(float)

    t_queen, nb = best_of(args.repeat, queen_neighbours, ids, cells)
    t_gi, _ = best_of(args.repeat, gi_star, values, nb)
    t_hot, result = best_of(args.repeat, hotspots, ids, values, nb)

    tracemalloc.start()
    hotspots(ids, values, queen_neighbours(ids, cells))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    degree = np.array([len(row) for row in nb.neighbours])
    print(f"units: {len(ids)}, neighbours per unit: mean {degree.mean():.2f}, min {degree.min()}, max {degree.max()}")
    print(f"queen_neighbours  best of {args.repeat}: {t_queen * 1000:8.1f} ms")
    print(f"gi_star           best of {args.repeat}: {t_gi * 1000:8.1f} ms")
    print(f"hotspots          best of {args.repeat}: {t_hot * 1000:8.1f} ms")
    print(f"peak Python memory (queen_neighbours + hotspots): {peak / 2**20:.1f} MiB")
    print("classes:", result.frame.hotspot_class.value_counts().sort_index().to_dict())


if __name__ == "__main__":
    main()
