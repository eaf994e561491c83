"""Source health (failing / silent signals, items per day), Scrapy settings from config, and the JSON API's
known-page stop."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scrapy.http import Request, TextResponse

from core.clock import FixedClock
from core.db import Database
from core.models import Item, Source
from core.settings import AppConfig, Politeness
from crawlers.context import CrawlContext, PreviewSink
from crawlers.health import items_per_day, source_signals
from crawlers.seen import SeenIndex
from crawlers.settings import scrapy_settings
from crawlers.spiders.hotline import HotlineApiSpider

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"


def add_source(db: Database, key: str, **health: object) -> int:
    with db.session() as session:
        row = Source(key=key, name=key, kind="board", created_at=NOW - timedelta(days=10), state={}, **health)
        session.add(row)
        session.flush()
        return row.id


def test_failing_and_silent_signals(db: Database, app_config: AppConfig) -> None:
    defaults = app_config.sources.defaults
    add_source(db, "demo_board", consecutive_failures=defaults.failures_before_alert, last_error="HTTP 503: x",
               last_item_at=NOW - timedelta(minutes=5), last_success_at=NOW - timedelta(hours=2))  # fmt: skip
    add_source(db, "demo_hotline", consecutive_failures=defaults.failures_before_alert - 1,
               last_item_at=NOW - timedelta(hours=defaults.silent_after_hours + 1))  # fmt: skip
    add_source(db, "demo_gbk_board", last_item_at=NOW - timedelta(hours=defaults.silent_after_hours - 1))
    add_source(db, "demo_hotline_file", last_item_at=NOW - timedelta(days=30))  # files are never silent
    with db.session() as session:
        signals = source_signals(session, app_config, FixedClock(NOW))
    got = {(s.source_key, s.kind) for s in signals}
    assert ("demo_board", "failing") in got and ("demo_hotline", "silent") in got
    assert ("demo_hotline", "failing") not in got and not {k for k, _ in got} & {
        "demo_gbk_board",
        "demo_hotline_file",
    }
    failing = next(s for s in signals if s.kind == "failing")
    assert failing.since == NOW - timedelta(hours=2) and "HTTP 503" in failing.message
    # demo_open311 is disabled in config: never a signal, whatever its row says
    add_source(db, "demo_open311", consecutive_failures=99)
    with db.session() as session:
        assert "demo_open311" not in {
            s.source_key for s in source_signals(session, app_config, FixedClock(NOW))
        }


def test_items_per_day_counts_local_days_with_zeros(db: Database) -> None:
    source_id = add_source(db, "demo_board")
    fetched = [NOW, NOW - timedelta(hours=1), NOW - timedelta(days=2), NOW - timedelta(hours=9, minutes=30)]
    with db.session() as session:
        for n, at in enumerate(fetched):
            session.add(Item(source_id=source_id, external_id=str(n), kind="board", fetched_at=at, updated_at=at,
                             content_hash="x"))  # fmt: skip
    with db.session() as session:
        days = items_per_day(session, source_id, FixedClock(NOW), days=3)
    # 00:30 Shanghai on the 20th counts for the 20th (not the UTC date of the 19th)
    assert [(d.isoformat(), n) for d, n in days] == [("2026-11-18", 1), ("2026-11-19", 0), ("2026-11-20", 3)]


def test_politeness_from_config(app_config: AppConfig) -> None:
    source = app_config.sources.get("demo_board")
    defaults = app_config.sources.defaults
    settings = scrapy_settings(source, defaults)
    assert settings["ROBOTSTXT_OBEY"] is True and settings["USER_AGENT"].startswith("yuqing/")
    assert settings["TELNETCONSOLE_ENABLED"] is False and settings["REMOTE_CONTROL_ENABLED"] is False
    assert settings["DOWNLOAD_DELAY"] == defaults.download_delay
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == defaults.concurrency_per_domain
    assert settings["AUTOTHROTTLE_ENABLED"] is defaults.autothrottle
    assert (
        settings["RETRY_TIMES"] == defaults.retry_times
        and settings["DOWNLOAD_TIMEOUT"] == defaults.download_timeout
    )
    own = source.model_copy(update={"politeness": Politeness(obey_robots=False, download_delay=3,
                                                             concurrency_per_domain=1, user_agent="office-bot")})  # fmt: skip
    settings = scrapy_settings(own, defaults)
    assert (settings["ROBOTSTXT_OBEY"], settings["DOWNLOAD_DELAY"], settings["CONCURRENT_REQUESTS_PER_DOMAIN"],
            settings["USER_AGENT"]) == (False, 3.0, 1, "office-bot")  # fmt: skip


class _AllKnown(SeenIndex):
    """Every item is already stored (the read side of incremental crawling, without a database)."""

    def item_hashes(self, external_ids):  # type: ignore[no-untyped-def]
        return {i: "h" for i in external_ids}


def test_json_api_without_update_filter_stops_at_a_known_page(app_config: AppConfig) -> None:
    base = app_config.sources.get("demo_hotline")
    assert base.hotline is not None
    api = base.hotline.model_copy(update={"since_param": None, "total_path": None,
                                          "pagination": base.hotline.pagination.model_copy(update={"size": 5})})  # fmt: skip
    source = base.model_copy(update={"hotline": api})
    body = (PAGES / "hotline_orders.json").read_bytes()
    url = "http://demo.test/hotline/api/orders?page=1&page_size=5"

    def next_pages(seen: SeenIndex, full_scan: bool = False) -> list[Request]:
        ctx = CrawlContext(source=source, defaults=app_config.sources.defaults, clock=FixedClock(NOW),
                           sink=PreviewSink(), seen=seen, max_pages=50, full_scan=full_scan)  # fmt: skip
        spider = HotlineApiSpider(ctx=ctx)
        response = TextResponse(
            url, body=body, request=Request(url, meta={"page": 1, "position": 1, "role": "entry"})
        )
        return [r for r in spider.parse_api(response) if isinstance(r, Request)]

    assert len(json.loads(body)["data"]) == 5
    assert len(next_pages(SeenIndex(None, None))) == 1  # nothing known: on to page 2
    assert next_pages(_AllKnown(None, None)) == []  # all known: the rest is older
    assert len(next_pages(_AllKnown(None, None), full_scan=True)) == 1  # after a failed run: page on


def test_parse_errors_are_recorded_and_the_page_retried(app_config: AppConfig) -> None:
    from types import SimpleNamespace

    from crawlers.middlewares import ErrorRecorderMiddleware

    source = app_config.sources.get("demo_board")
    retried: list[str] = []
    sink = PreviewSink()
    sink.retry_later = retried.append  # type: ignore[method-assign]
    ctx = CrawlContext(source=source, defaults=app_config.sources.defaults, clock=FixedClock(NOW), sink=sink,
                       seen=SeenIndex(None, None), max_pages=5)  # fmt: skip
    middleware = ErrorRecorderMiddleware(SimpleNamespace(spider=SimpleNamespace(ctx=ctx)))  # type: ignore[arg-type]
    url = "http://demo.test/board/post/1"
    detail = TextResponse(url, body=b"x", request=Request(url, meta={"role": "detail"}))
    assert middleware.process_spider_exception(detail, ValueError("bad date")) is None  # Scrapy still logs it
    assert retried == [url] and ctx.error_count == 1 and "ValueError" in ctx.errors[0]
    listing = TextResponse(url, body=b"x", request=Request(url, meta={"role": "list"}))
    middleware.process_spider_exception(listing, KeyError("x"))
    assert ctx.incomplete and not ctx.entry_failed and retried == [url]
