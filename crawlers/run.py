"""`python -m crawlers.run SOURCE_KEY [--trigger schedule|manual|test]`: one crawl, in this process.

Opens a crawl_runs row, runs the source's generic spider in a Scrapy CrawlerProcess, then closes the row
with its figures and updates the source's health. Settings come from the environment (YUQING_CONFIG_DIR,
YUQING_DATA_DIR, YUQING_DATABASE_URL), as yuqing.crawlproc passes them. Exit status 0 on success, 1 when
the crawl failed, 2 for a configuration problem, 3 when the database is not usable.
`--preview N` stores nothing: it prints up to N parsed items as JSON lines (`yuqing source test`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy.crawler import CrawlerProcess
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core.clock import Clock, SystemClock
from core.db import Database
from core.errors import ConfigError
from core.models import CrawlRun, Item, Source
from core.processes import pid_alive
from core.settings import AppConfig, SourceConfig, load_config
from crawlers.context import CrawlContext, PreviewSink
from crawlers.departments import DepartmentMatcher
from crawlers.registry import spider_for
from crawlers.seen import SeenIndex
from crawlers.settings import scrapy_settings
from crawlers.store import ItemStore, RevisitPolicy

logger = logging.getLogger("crawlers.run")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_DATABASE = 0, 1, 2, 3
CLEAN_REASONS = ("finished", "closespider_itemcount")


@dataclass(frozen=True)
class RunStart:
    run_id: int
    source_id: int
    state: dict[str, Any]
    full_scan: bool
    departments: DepartmentMatcher


@dataclass(frozen=True)
class RunResult:
    status: str  # success | failed | killed
    pages: int
    items_new: int
    items_updated: int
    items_unchanged: int
    items_dropped: int
    errors: int
    duration_s: float
    error_message: str | None


class _LibraryFilter(logging.Filter):
    """Scrapy resets its loggers to DEBUG when a CrawlerProcess starts; keep only its warnings and errors."""

    PREFIXES = ("scrapy", "trafilatura", "htmldate", "protego", "filelock", "py.warnings", "twisted")

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.name.startswith(self.PREFIXES)


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if level.upper() != "DEBUG":
        for handler in logging.getLogger().handlers:
            handler.addFilter(_LibraryFilter())
    _quiet_libraries(level)


def _quiet_libraries(level: str) -> None:
    if level.upper() != "DEBUG":
        # Scrapy's INFO lines repeat what crawl_runs records; its warnings and errors still show.
        for noisy in ("scrapy", "trafilatura", "htmldate", "protego", "filelock", "py.warnings"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def ensure_source_row(db: Database, source: SourceConfig, clock: Clock) -> None:
    """The crawl's sources row (normally made by `yuqing init`); created here so a crawl never depends on it."""
    for _ in range(2):
        try:
            with db.session() as session:
                if session.scalar(select(Source.id).where(Source.key == source.key)) is None:
                    session.add(
                        Source(
                            key=source.key,
                            name=source.name,
                            kind=source.kind,
                            url=source.url or (source.news.feed_url if source.news else None),
                            enabled=source.enabled,
                            created_at=clock.now(),
                            state={},
                        )
                    )
            return
        except IntegrityError:  # another process created it at the same moment
            continue


def begin_run(db: Database, clock: Clock, source: SourceConfig, trigger: str) -> RunStart:
    ensure_source_row(db, source, clock)
    now = clock.now()
    node = socket.gethostname()
    with db.session() as session:
        row = session.scalars(select(Source).where(Source.key == source.key)).one()
        # A run left 'running' by a process that no longer exists was killed (SIGKILL, power loss).
        for stale in session.scalars(
            select(CrawlRun).where(CrawlRun.source_id == row.id, CrawlRun.status == "running")
        ):
            if stale.node == node and not pid_alive(stale.pid):
                stale.status = "killed"
                stale.finished_at = now
                stale.error_message = "进程已终止，未正常结束 (killed)"
                row.consecutive_failures = (row.consecutive_failures or 0) + 1
                row.last_failure_at = now
                row.last_error = stale.error_message
        state = dict(row.state or {})
        run = CrawlRun(
            source_id=row.id, started_at=now, status="running", trigger=trigger, pid=os.getpid(), node=node,
            dropped_reasons={},
        )  # fmt: skip
        session.add(run)
        # Cleared only by a clean run: until then the next run pages through everything (after a kill).
        row.state = {**state, "incomplete": True}
        session.flush()
        departments = DepartmentMatcher.load(session)
        return RunStart(run.id, row.id, state, bool(state.get("incomplete")), departments)


def execute(ctx: CrawlContext, settings: dict[str, Any]) -> dict[str, Any]:
    """Run the source's spider to the end in this process; return Scrapy's stats."""
    process = CrawlerProcess({**settings, "LOG_INSTALL_ROOT_HANDLER": False})
    _quiet_libraries(str(settings.get("LOG_LEVEL", "INFO")))  # Scrapy just set its loggers to DEBUG
    crawler = process.create_crawler(spider_for(ctx.source))
    process.crawl(crawler, ctx=ctx)
    process.start()
    return dict(crawler.stats.get_stats()) if crawler.stats else {}


def finish_run(
    db: Database, clock: Clock, start: RunStart, ctx: CrawlContext, stats: dict[str, Any], duration: float
) -> RunResult:
    reason = stats.get("finish_reason")
    if reason == "shutdown":
        status = "killed"  # SIGTERM/SIGINT: yuqing.crawlproc records a timeout and counts the failure
    elif reason not in CLEAN_REASONS or ctx.entry_failed or ctx.store_error:
        status = "failed"
    else:
        status = "success"
    messages = ([ctx.store_error] if ctx.store_error else []) + ctx.errors[:5]
    if reason == "shutdown":
        messages.insert(0, "收到终止信号，采集中断 (SIGTERM/SIGINT: the scheduler's timeout, or a person)")
    elif reason not in CLEAN_REASONS:
        messages.insert(0, f"crawl ended: {reason or 'did not start'}")
    message = "; ".join(messages)[:2000] or None
    counts = ctx.sink.counts
    now = clock.now()
    result = RunResult(
        status=status,
        pages=int(stats.get("response_received_count", 0)),
        items_new=counts["new"],
        items_updated=counts["updated"],
        items_unchanged=counts["unchanged"],
        items_dropped=sum(ctx.dropped.values()),
        errors=ctx.error_count,
        duration_s=round(duration, 3),
        error_message=message,
    )
    with db.session() as session:
        run = session.get(CrawlRun, start.run_id)
        source = session.get(Source, start.source_id)
        assert run is not None and source is not None
        run.status = status
        run.finished_at = now
        run.pages = result.pages
        run.items_new = result.items_new
        run.items_updated = result.items_updated
        run.items_unchanged = result.items_unchanged
        run.items_dropped = result.items_dropped
        run.dropped_reasons = {**ctx.dropped, **({"gone": counts["gone"]} if counts["gone"] else {})}
        run.errors = result.errors
        run.error_message = message
        run.duration_s = result.duration_s
        source.last_run_at = now
        source.items_total = (
            session.scalar(select(func.count(Item.id)).where(Item.source_id == source.id)) or 0
        )
        if result.items_new:
            source.last_item_at = now
        state = dict(source.state or {})
        if status == "success":
            source.last_success_at = now
            source.consecutive_failures = 0
            source.last_error = message if result.errors else None
            if not ctx.incomplete:
                state.update(ctx.new_state)
            state["incomplete"] = ctx.incomplete
            source.state = state
        else:
            source.last_error = message
            if status == "failed":
                source.consecutive_failures = (source.consecutive_failures or 0) + 1
                source.last_failure_at = now
    return result


@dataclass
class OpenCrawl:
    """A crawl whose crawl_runs row is open: what its spider needs and what closing the run needs."""

    config: AppConfig
    db: Database
    clock: Clock
    start: RunStart
    ctx: CrawlContext
    started: float  # time.monotonic() when the run began


def open_crawl(
    config: AppConfig, source: SourceConfig, trigger: str, clock: Clock | None = None
) -> OpenCrawl:
    """Open the crawl_runs row and build the crawl's context (store, seen index). Raises SQLAlchemyError when
    the database is not usable. Shared by `python -m crawlers.run` and the Scrapyd spider."""
    clock = clock or SystemClock()
    db = Database(config.settings.effective_database_url)
    defaults = config.sources.defaults
    started = time.monotonic()
    try:
        start = begin_run(db, clock, source, trigger)
    except SQLAlchemyError:
        db.dispose()
        raise
    revisit = None
    if source.board is not None:
        revisit = RevisitPolicy(
            timedelta(minutes=source.board.revisit_interval_minutes),
            timedelta(days=source.board.revisit_max_age_days),
        )
    store = ItemStore(
        db, clock, source_id=start.source_id, batch_size=defaults.store_batch_size, revisit=revisit,
        departments=start.departments,
    )  # fmt: skip
    ctx = CrawlContext(
        source=source,
        defaults=defaults,
        clock=clock,
        sink=store,
        seen=SeenIndex(db, start.source_id),
        max_pages=source.max_pages or defaults.max_pages,
        full_scan=start.full_scan,
        state=start.state,
    )
    return OpenCrawl(config, db, clock, start, ctx, started)


def source_settings(config: AppConfig, source: SourceConfig) -> dict[str, Any]:
    """The Scrapy settings of one stored crawl of `source` (politeness, retries, pipelines)."""
    return scrapy_settings(
        source,
        config.sources.defaults,
        log_level=config.settings.log_level,
        data_dir=config.settings.data_dir,
    )


def record_crash(run: OpenCrawl, exc: BaseException) -> None:
    """An exception outside Scrapy's own error handling: it becomes the run's first error message."""
    run.ctx.errors.insert(0, f"{type(exc).__name__}: {exc}"[:300])
    run.ctx.error_count += 1


def close_crawl(run: OpenCrawl, stats: dict[str, Any]) -> RunResult:
    """Close the run's row with its figures, update the source's health, log a summary, release the engine."""
    source = run.ctx.source
    try:
        result = finish_run(run.db, run.clock, run.start, run.ctx, stats, time.monotonic() - run.started)
    finally:
        run.db.dispose()
    logger.info(
        "crawl %s %s: pages=%d new=%d updated=%d unchanged=%d dropped=%d errors=%d in %.1fs%s",
        source.key, result.status, result.pages, result.items_new, result.items_updated, result.items_unchanged,
        result.items_dropped, result.errors, result.duration_s, f" ({result.error_message})" if result.error_message else "",
    )  # fmt: skip
    peak = stats.get("memusage/max")
    if peak:
        logger.info("peak memory %.0f MB", peak / 1e6)
    return result


def crawl(config: AppConfig, source: SourceConfig, trigger: str, clock: Clock | None = None) -> int:
    try:
        run = open_crawl(config, source, trigger, clock)
    except SQLAlchemyError:
        logger.exception("cannot open a crawl run (has `yuqing init` migrated the database?)")
        return EXIT_DATABASE
    stats: dict[str, Any] = {}
    try:
        stats = execute(run.ctx, source_settings(config, source))
    except Exception as exc:  # process boundary: record the failure on the run instead of dying silently
        logger.exception("crawl of %s crashed", source.key)
        record_crash(run, exc)
    result = close_crawl(run, stats)
    return EXIT_OK if result.status == "success" else EXIT_FAILED


def preview(config: AppConfig, source: SourceConfig, count: int, pages: int) -> int:
    """Fetch a few pages, print up to `count` parsed items as JSON lines on stdout, store nothing."""
    defaults = config.sources.defaults
    sink = PreviewSink()
    ctx = CrawlContext(
        source=source,
        defaults=defaults,
        clock=SystemClock(),
        sink=sink,
        seen=SeenIndex(None, None),
        max_pages=max(1, min(pages, source.max_pages or defaults.max_pages)),
        full_scan=True,
        preview=True,
        preview_limit=count,
    )
    stats = execute(
        ctx, scrapy_settings(source, defaults, log_level=config.settings.log_level, preview_items=count)
    )
    newest_first = sorted(
        sink.items, key=lambda i: i.published_at or datetime.min.replace(tzinfo=UTC), reverse=True
    )
    for item in newest_first[:count]:
        record = asdict(item)
        sys.stdout.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")
    summary = {
        "_summary": True,
        "pages": int(stats.get("response_received_count", 0)),
        "items": len(sink.items),
        "dropped": dict(ctx.dropped),
        "errors": ctx.errors[:10],
    }
    sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return EXIT_OK if sink.items and not ctx.entry_failed else EXIT_FAILED


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawlers.run", description=__doc__.splitlines()[0])
    parser.add_argument("source_key")
    parser.add_argument("--trigger", choices=("schedule", "manual", "test"), default="manual")
    parser.add_argument(
        "--preview", type=int, default=0, metavar="N", help="print N parsed items, store nothing"
    )
    parser.add_argument("--pages", type=int, default=2, help="list pages to fetch with --preview")
    args = parser.parse_args(argv)
    try:
        config = load_config()
    except ConfigError as exc:
        sys.stderr.write("配置有误 / configuration error:\n" + "".join(f"  - {p}\n" for p in exc.problems))
        return EXIT_CONFIG
    _setup_logging(config.settings.log_level)
    try:
        source = config.sources.get(args.source_key)
    except KeyError:
        sys.stderr.write(
            f"unknown source {args.source_key!r} (not in {config.settings.config_dir}/sources.yaml)\n"
        )
        return EXIT_CONFIG
    if source.type == "file":
        sys.stderr.write(
            f"{source.key} is a file source: use `yuqing import hotline FILE --source {source.key}`\n"
        )
        return EXIT_CONFIG
    if args.preview:
        return preview(config, source, args.preview, args.pages)
    return crawl(config, source, args.trigger)


if __name__ == "__main__":
    sys.exit(main())
