"""Benchmark of the overview map on the database in use (load the city-scale demo data first).

    .venv/bin/python tests/bench/bench_overview.py [--rounds 40] [--no-browser]

Prints: server time of the map callback for a filter change at grid-cell level city-wide (values
only, Dash Patch) against the naive way (the whole figure, geometry included, on every change),
bytes sent both ways (raw and gzip), and in headless Chromium the time from navigation to a drawn
map at township level and at city-wide grid-cell level.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path


from dashboard.app import create_app
from geo import db
from geo.enums import DisputeDomain, Role
from timing import call, percentile

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]




def payload_size(output) -> tuple[int, int]:
    raw = json.dumps(output.to_plotly_json(), default=str).encode()
    return len(raw), len(gzip.compress(raw))




def bench_callbacks(rounds: int) -> None:
    create_app()
    overview = importlib.import_module("dashboard.pages.overview")
    scope = {"area": "", "level": "grid", "trail": [["", "信阳市"]]}
    domains = [d.value for d in DisputeDomain]
    rng = random.Random(1)

    started = time.perf_counter()
    tracemalloc.start()
    first = call(overview.update_map, None, scope, [24, 35], None, None, None, "disputes")[0]
    cold = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    cells = len(first.data[0].locations)
    print(f"grid cells on the map: {cells:,}; first draw (geometry read, simplified, contiguity, cached): "
          f"{cold * 1000:.0f} ms, peak Python memory {peak / 2**20:.0f} MB")

    def filters():
        start = rng.randrange(0, 30)
        return [start, rng.randrange(start, 36)], rng.sample(domains, rng.randrange(0, 4)) or None

    for name, trigger in (("Patch (values only)", "ov-domains.value"), ("naive (whole figure)", None)):
        times, sizes = [], []
        for _ in range(rounds):
            period, chosen = filters()
            t0 = time.perf_counter()
            output = call(overview.update_map, trigger, scope, period, chosen, None, None, "per_1000")[0]
            times.append(time.perf_counter() - t0)
            sizes.append(payload_size(output))
        raw = statistics.mean(s[0] for s in sizes)
        zipped = statistics.mean(s[1] for s in sizes)
        print(f"{name}: p50 {percentile(times, 0.5) * 1000:.0f} ms, p95 {percentile(times, 0.95) * 1000:.0f} ms, "
              f"sent {raw / 1024:.0f} KB ({zipped / 1024:.0f} KB gzip)")
        if trigger is None:
            naive_p95, naive_bytes = percentile(times, 0.95), raw
        else:
            patch_p95, patch_bytes = percentile(times, 0.95), raw
    print(f"naive / Patch: time p95 ×{naive_p95 / patch_p95:.1f}, bytes ×{naive_bytes / patch_bytes:.1f}")

    hot_times = []
    for _ in range(10):
        period, chosen = filters()
        t0 = time.perf_counter()
        call(overview.update_map, "ov-measure.value", scope, period, chosen, None, None, "hotspot")
        hot_times.append(time.perf_counter() - t0)
    print(f"Gi* hot spots over all grid cells: p95 {percentile(hot_times, 0.95) * 1000:.0f} ms")


@contextmanager
def bench_account():
    """A leadership account for the measured browser, removed afterwards: (user name, password)."""
    from sqlalchemy import delete

    from geo.auth import add_user
    from geo.models import AppUser

    factory = db.session_factory(db.make_engine(db.database_url()))
    with factory.begin() as session:
        session.execute(delete(AppUser).where(AppUser.username == "bench_leader"))
        _, password = add_user(session, "bench_leader", "基准测试", Role.LEADERSHIP, None)
    try:
        yield "bench_leader", password
    finally:
        with factory.begin() as session:
            session.execute(delete(AppUser).where(AppUser.username == "bench_leader"))


def bench_browser() -> None:
    from playwright.sync_api import sync_playwright

    port = 8099
    env = {**os.environ, "DATABASE_URL": db.database_url().render_as_string(hide_password=False)}
    fengqiao = Path(sys.executable).with_name("fengqiao")
    server = subprocess.Popen([str(fengqiao), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(4)
        with sync_playwright() as playwright, bench_account() as (username, password):
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1600, "height": 1000})
            login = context.new_page()
            login.goto(f"http://127.0.0.1:{port}/login?next=/pyramid")
            login.fill("#username", username)
            login.fill("#password", password)
            login.click("#login-submit")
            login.wait_for_selector("#who")
            login.close()
            for label, query, length in (("township level, city-wide", "?level=township", 12),
                                         ("grid-cell level, city-wide", "?level=grid", 15)):
                for attempt in ("warm-up", "measured"):
                    page = context.new_page()
                    t0 = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}/{query}")
                    page.wait_for_function(
                        "n => { const g = document.querySelector('#ov-map .js-plotly-plot');"
                        " if (!g || !g._fullLayout || !g._fullLayout.map) return false;"
                        " const m = g._fullLayout.map._subplot.map;"
                        " return g.data[0].locations.length > 0 && g.data[0].locations[0].length === n"
                        " && m.loaded() && m.areTilesLoaded(); }", arg=length, timeout=120_000)
                    elapsed = time.perf_counter() - t0
                    units = page.evaluate("document.querySelector('#ov-map .js-plotly-plot').data[0].locations.length")
                    page.close()
                    if attempt == "measured":
                        print(f"browser, navigation to drawn map, {label} ({units:,} units): {elapsed:.1f} s")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    bench_callbacks(args.rounds)
    if not args.no_browser:
        bench_browser()


if __name__ == "__main__":
    main()
