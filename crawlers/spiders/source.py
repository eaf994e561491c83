"""`scrapy crawl yuqing -a source=KEY`: one stored crawl of a configured source, as Scrapyd nodes run it.

It does what `python -m crawlers.run KEY` does (crawl_runs row, source health, the source's own Scrapy
settings), through the same functions: the row is opened in `from_crawler`, the source's settings are applied
there (Scrapy freezes settings only after the spider exists), and the row is closed on `spider_closed`.
Settings come from the node's environment (YUQING_DATABASE_URL, YUQING_CONFIG_DIR, ...).
"""

from __future__ import annotations

import logging
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler

from core.errors import ConfigError
from core.settings import load_config
from crawlers.registry import spider_for
from crawlers.run import OpenCrawl, close_crawl, open_crawl, record_crash, source_settings
from crawlers.spiders.base import ConfiguredSpider

logger = logging.getLogger(__name__)

SPIDER_NAME = "yuqing"
TRIGGERS = ("schedule", "manual", "test")


class _RunCloser:
    """Closes the crawl_runs row when the spider closes. Scrapy holds signal receivers weakly, so the spider
    keeps this object alive (its `run_closer` attribute)."""

    def __init__(self, run: OpenCrawl, crawler: Crawler) -> None:
        self.run = run
        self.crawler = crawler
        self.closed = False

    def spider_closed(self, spider: scrapy.Spider, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        # CoreStats sets finish_reason from this same signal; its handler may not have run yet.
        stats["finish_reason"] = reason
        close_crawl(self.run, stats)


class SourceSpider(scrapy.Spider):
    """Stands in for the configured source's generic spider: `from_crawler` returns that spider, ready."""

    name = SPIDER_NAME

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        key = str(kwargs.pop("source", "") or "")
        trigger = str(kwargs.pop("trigger", "schedule") or "schedule")
        job = kwargs.pop("_job", None)  # Scrapyd passes its job id as a spider argument
        if trigger not in TRIGGERS:
            raise ValueError(f"trigger must be one of {TRIGGERS}, not {trigger!r}")
        try:
            config = load_config()
        except ConfigError as exc:
            raise ValueError("configuration error: " + "; ".join(str(p) for p in exc.problems)) from exc
        try:
            source = config.sources.get(key)
        except KeyError:
            raise ValueError(f"unknown source {key!r} (pass -a source=KEY)") from None
        if source.type == "file":
            raise ValueError(f"{key} is a file source: use `yuqing import hotline FILE --source {key}`")
        run = open_crawl(config, source, trigger)
        logger.info("crawl of %s opened run %s (scrapyd job %s)", key, run.start.run_id, job or "-")
        try:
            # Priority "spider" beats the node's project settings, as the per-source values must.
            crawler.settings.setdict(source_settings(config, source), priority="spider")
            spider: ConfiguredSpider = spider_for(source).from_crawler(crawler, ctx=run.ctx)
        except Exception as exc:  # the run must not stay 'running': close it with the reason, then fail
            record_crash(run, exc)
            close_crawl(run, {"finish_reason": "did not start"})
            raise
        closer = _RunCloser(run, crawler)
        spider.run_closer = closer  # type: ignore[attr-defined]
        crawler.signals.connect(closer.spider_closed, signal=signals.spider_closed)
        return spider
