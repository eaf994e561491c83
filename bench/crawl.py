"""Crawl benchmark: a DemoServer with >= 5,000 board posts plus its feeds on loopback, crawled the production
way (`python -m crawlers.run KEY`, one subprocess per source, SQLite) with politeness delays off; then a
second, incremental run over the same site, and a revisit run where every unanswered post is due again.

    .venv/bin/python bench/crawl.py [--board-size 5000] [--concurrency 16] [--http-cache]

Prints, per source and in total: items stored, wall time (process start to exit), the crawl's own time
(crawl_runs.duration_s: after interpreter start and imports), items stored per second, and the peak RSS of
each crawl process. Record the figures in bench/RESULTS.md (section "Crawling").
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import select, update  # noqa: E402

from core.db import Database  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.models import CrawlRun, SeenUrl, Source  # noqa: E402
from demo.server import DemoServer  # noqa: E402

SOURCES = ("demo_board", "demo_gbk_board", "demo_hotline", "demo_news_rss", "demo_news_atom")


@dataclass
class Run:
    key: str
    status: str
    items_new: int
    items_unchanged: int
    pages: int
    wall_s: float
    crawl_s: float
    peak_rss_mb: float


def write_config(config_dir: Path, concurrency: int, http_cache: bool) -> None:
    shutil.copytree(REPO / "config", config_dir)
    path = config_dir / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.setdefault("defaults", {}).update(
        download_delay=0, autothrottle=False, concurrency_per_domain=concurrency, max_pages=400,
        http_cache=http_cache,
    )  # fmt: skip
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def crawl(key: str, env: dict[str, str], db: Database) -> Run:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawlers.run", key, "--trigger", "test"],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write(stderr.decode("utf-8", "replace")[-3000:])
    with db.session() as session:
        run = session.scalars(
            select(CrawlRun).join(Source, Source.id == CrawlRun.source_id).where(Source.key == key)
            .order_by(CrawlRun.id.desc()).limit(1)
        ).one()  # fmt: skip
        return Run(key, run.status, run.items_new, run.items_unchanged, run.pages, wall, run.duration_s or 0.0,
                   usage.ru_maxrss / 1024)  # fmt: skip


def report(title: str, runs: list[Run]) -> dict[str, float]:
    print(f"\n{title}")
    print(f"{'source':<16}{'status':>9}{'new':>7}{'same':>7}{'pages':>7}{'wall s':>9}{'crawl s':>9}"
          f"{'new/s wall':>12}{'new/s crawl':>13}{'peak MB':>9}")  # fmt: skip
    for r in runs:
        print(f"{r.key:<16}{r.status:>9}{r.items_new:>7}{r.items_unchanged:>7}{r.pages:>7}{r.wall_s:>9.2f}"
              f"{r.crawl_s:>9.2f}{r.items_new / r.wall_s:>12.0f}{r.items_new / max(r.crawl_s, 1e-9):>13.0f}"
              f"{r.peak_rss_mb:>9.0f}")  # fmt: skip
    total = {
        "new": sum(r.items_new for r in runs),
        "wall": sum(r.wall_s for r in runs),
        "crawl": sum(r.crawl_s for r in runs),
        "peak": max(r.peak_rss_mb for r in runs),
    }
    print(f"{'total':<16}{'':>9}{total['new']:>7}{'':>7}{'':>7}{total['wall']:>9.2f}{total['crawl']:>9.2f}"
          f"{total['new'] / total['wall']:>12.0f}{total['new'] / max(total['crawl'], 1e-9):>13.0f}"
          f"{total['peak']:>9.0f}")  # fmt: skip
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board-size", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16, help="requests per domain at once")
    parser.add_argument("--http-cache", action="store_true", help="Scrapy's HttpCacheMiddleware instead")
    parser.add_argument("--keep", type=Path, help="keep the database and config here")
    args = parser.parse_args(argv)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench_crawl_"))
    workdir.mkdir(parents=True, exist_ok=True)
    write_config(workdir / "config", args.concurrency, args.http_cache)
    url = f"sqlite:///{workdir / 'yuqing.db'}"
    db = Database(url)
    upgrade(db.engine)
    began = time.perf_counter()
    demo = DemoServer(seed=7, speed=0, backfill_days=1, board_size=args.board_size).start()
    print(f"demo server: {demo.world.counts()['live']} live board posts, built in "
          f"{time.perf_counter() - began:.2f}s; concurrency {args.concurrency}/domain, no delays, "
          f"{'HttpCacheMiddleware' if args.http_cache else 'own validators'}")  # fmt: skip
    env = dict(os.environ, YUQING_CONFIG_DIR=str(workdir / "config"), YUQING_DATA_DIR=str(workdir / "var"),
               YUQING_DATABASE_URL=url, YUQING_DEMO_URL=demo.url, YUQING_LOG_LEVEL="WARNING")  # fmt: skip
    results: dict[str, Any] = {}
    try:
        first = [crawl(key, env, db) for key in SOURCES]
        results["first"] = report("first run (empty database)", first)
        second = [crawl(key, env, db) for key in SOURCES]
        results["second"] = report("second run (incremental, nothing new)", second)
        # every unanswered board post due again: conditional GETs, 304 Not Modified
        with db.session() as session:
            due = session.execute(
                update(SeenUrl)
                .where(SeenUrl.next_visit_at.is_not(None))
                .values(next_visit_at=SeenUrl.first_seen_at)
            ).rowcount  # type: ignore[attr-defined]
        revisit = [crawl("demo_board", env, db)]
        results["revisit"] = report(
            f"revisit run ({due} pages due, at most revisit_batch=500 a run)", revisit
        )
    finally:
        demo.stop()
        db.dispose()
    first_t, second_t = results["first"], results["second"]
    print(
        f"\nfirst run: {first_t['new']} items in {first_t['wall']:.1f}s wall = "
        f"{first_t['new'] / first_t['wall']:.0f} items/s end to end "
        f"({first_t['new'] / first_t['crawl']:.0f}/s of crawl time); peak RSS {first_t['peak']:.0f} MB"
    )
    print(
        f"incremental run: {second_t['wall']:.1f}s wall = {second_t['wall'] / first_t['wall']:.3f} of the first; "
        f"crawl time {second_t['crawl']:.2f}s = {second_t['crawl'] / first_t['crawl']:.3f} of the first"
    )
    board_first = next(r for r in first if r.key == "demo_board")
    board_second = next(r for r in second if r.key == "demo_board")
    print(
        f"board alone: {board_first.items_new} posts at {board_first.items_new / board_first.wall_s:.0f}/s; "
        f"incremental {board_second.wall_s:.2f}s wall = {board_second.wall_s / board_first.wall_s:.3f} of the "
        f"first ({board_second.crawl_s / board_first.crawl_s:.3f} in crawl time)"
    )
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
