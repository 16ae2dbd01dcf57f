"""Benchmark etl.demo.partition: a county into 25 townships, each into 15 villages, each into 2 cells.

Run with ``python tests/bench/bench_partition.py``. Prints the wall time of one run and the peak
memory traced by tracemalloc during a second, identical run (tracing slows the code down).
"""

from __future__ import annotations

import math
import time
import tracemalloc

import numpy as np
import shapely

from etl.demo.partition import partition


def county_polygon(seed: int = 7) -> shapely.Polygon:
    """An irregular 40-vertex polygon about 0.5 degrees across, centred near 114.5E 32.1N."""
    rng = np.random.default_rng(seed)
    angle = np.sort(rng.uniform(0, 2 * np.pi, 40))
    radius = 0.25 * (0.7 + 0.3 * rng.random(40))
    lon = 114.5 + radius * np.cos(angle) / math.cos(math.radians(32.1))
    return shapely.Polygon(np.column_stack([lon, 32.1 + radius * np.sin(angle)]))


def run(county: shapely.Polygon, rng: np.random.Generator) -> tuple[int, int, int]:
    """Partition all three levels; return the number of townships, villages and cells."""
    flags = [i < 3 for i in range(25)]
    townships = partition(county, rng.uniform(0.5, 2.0, 25) * np.where(flags, 0.3, 1.0), rng, central=flags)
    villages = [v for t in townships for v in partition(t, rng.uniform(0.5, 2.0, 15), rng)]
    cells = [c for v in villages for c in partition(v, rng.uniform(0.8, 1.2, 2), rng)]
    return len(townships), len(villages), len(cells)


def main() -> None:
    county = county_polygon()
    start = time.perf_counter()
    counts = run(county, np.random.default_rng(2024))
    wall = time.perf_counter() - start
    tracemalloc.start()
    run(county, np.random.default_rng(2024))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"townships/villages/cells: {counts[0]}/{counts[1]}/{counts[2]}")
    print(f"wall time: {wall:.2f} s")
    print(f"peak traced memory: {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
