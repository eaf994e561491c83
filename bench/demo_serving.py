"""Benchmark of the demo simulator: how long worlds take to build, and how fast it serves what the crawler
benchmark will fetch (board detail pages, list pages, hotline API pages), against /robots.txt (the cheapest
route, the per-request floor of the stdlib HTTP server) measured in the same process.

    .venv/bin/python bench/demo_serving.py [--board-size 6000] [--requests 3000]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import threading
import time
from datetime import UTC, datetime

from demo.server import DemoServer

START = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def build_seconds(**kwargs: object) -> tuple[float, dict[str, int]]:
    times = []
    counts: dict[str, int] = {}
    for _ in range(3):
        began = time.perf_counter()
        server = DemoServer(seed=7, speed=0, start=START, **kwargs)  # type: ignore[arg-type]
        times.append(time.perf_counter() - began)
        counts = server.world.counts()["published"]
    return statistics.median(times), counts


def fetch_all(server: DemoServer, paths: list[str]) -> float:
    """Requests per second for `paths` over one keep-alive connection (as a crawler's connection pool does)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    began = time.perf_counter()
    for path in paths:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        assert response.status == 200, (path, response.status)
    elapsed = time.perf_counter() - began
    conn.close()
    return len(paths) / elapsed


def fetch_parallel(server: DemoServer, paths: list[str], workers: int) -> float:
    chunks = [paths[i::workers] for i in range(workers)]
    threads = [threading.Thread(target=fetch_all, args=(server, chunk)) for chunk in chunks]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(paths) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--board-size", type=int, default=6000)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()

    seconds, counts = build_seconds(backfill_days=14)
    print(
        f"build, 14-day backfill:                  {seconds:6.2f} s  ({sum(counts.values())} items: {counts})"
    )
    seconds, counts = build_seconds(backfill_days=14, board_size=args.board_size)
    print(
        f"build, 14-day backfill + board_size={args.board_size}: {seconds:6.2f} s  ({sum(counts.values())} items)"
    )

    with DemoServer(seed=7, speed=0, start=START, backfill_days=14, board_size=args.board_size) as server:
        posts = [f"/board/post/{p.public_id}" for p in server.world.boards["board"].live]
        n = min(args.requests, len(posts))
        floor = fetch_all(server, ["/robots.txt"] * n)
        first = fetch_all(server, posts[:n])
        cached = fetch_all(server, posts[:n])
        pages = len(server.world.boards["board"].live) // 20
        lists = fetch_all(server, [f"/board/list?page={1 + i % pages}" for i in range(n)])
        api = fetch_all(
            server, [f"/hotline/api/orders?page={1 + i % 10}&page_size=100" for i in range(n // 5)]
        )
        parallel = fetch_parallel(server, posts[:n], 4)
        print(f"requests/s over one keep-alive connection ({n} requests each):")
        print(f"  /robots.txt (floor)                   {floor:8.0f}")
        print(f"  board detail, first fetch (render)    {first:8.0f}  ({first / floor:.2f} x floor)")
        print(f"  board detail, again (cached bytes)    {cached:8.0f}  ({cached / floor:.2f} x floor)")
        print(f"  board list pages (cached per version) {lists:8.0f}  ({lists / floor:.2f} x floor)")
        print(f"  hotline API, 100 records a page       {api:8.0f}  ({api / floor:.2f} x floor)")
        print(f"  board detail, 4 connections           {parallel:8.0f}  ({parallel / floor:.2f} x floor)")
        print(f"  time to serve {len(posts)} board detail pages once: {len(posts) / first:.1f} s")


if __name__ == "__main__":
    main()
