"""Benchmark: server time of the pyramid and demonstration-county callbacks on the database in use.

    .venv/bin/python tests/bench/bench_pages.py [--rounds 20]

Load the city-scale demo data first (`fengqiao demo load`). Prints p50/p95 per callback.
"""

from __future__ import annotations

import argparse
import importlib
import random
import time

from timing import call, percentile
from dashboard.app import create_app


def timed(label: str, rounds: int, make_args, function, trigger=None) -> None:
    times = []
    for _ in range(rounds):
        args = make_args()
        started = time.perf_counter()
        call(function, trigger, *args)
        times.append(time.perf_counter() - started)
    print(f"{label}: p50 {percentile(times, 0.5) * 1000:.0f} ms, p95 {percentile(times, 0.95) * 1000:.0f} ms "
          f"({rounds} rounds)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    create_app()
    pyramid = importlib.import_module("dashboard.pages.pyramid")
    review = importlib.import_module("dashboard.pages.demo_county")
    rng = random.Random(2)
    counties = ["411502", "411503", "411521", "411522", "411523", "411524", "411525", "411526", "411527", "411528"]

    def period():
        start = rng.randrange(0, 30)
        return [start, rng.randrange(start, 36)]

    timed("倒金字塔 update (city, all filters)", args.rounds,
          lambda: (period(), rng.choice(["", *counties]), rng.choice([None, ["complaint_request"]]), None),
          pyramid.update)
    timed("倒金字塔 drill (a level's petitions)", args.rounds,
          lambda: ({"points": [{"customdata": rng.choice(["township", "county", "city", "province", "beijing"])}]},
                   None, period(), "", None, None),
          pyramid.drill, "py-pyramid.clickData")
    timed("示范县 update (scores, comparison, radar, changes)", args.rounds,
          lambda: (rng.choice([2023, 2024, 2025]), rng.sample(counties, rng.randrange(2, 5)), None), review.update)
    timed("示范县 zero-petition villages", max(3, args.rounds // 4),
          lambda: (rng.choice([2023, 2024, 2025]),), review.update_zero)


if __name__ == "__main__":
    main()
