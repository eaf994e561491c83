"""Item pipelines: normalize (whitespace, full-width characters) -> validate (drop with a counted reason)
-> store (batched idempotent upsert through the crawl's sink)."""

from __future__ import annotations

import logging
import re
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawlers.context import CrawlContext
from crawlers.items import CrawledItem
from crawlers.text import clean_block, clean_line

logger = logging.getLogger(__name__)

BLOCK_FIELDS = ("content", "reply_text")
LINE_FIELDS = (
    "title", "author", "media", "region", "addressee", "request_type", "department", "source_status",
    "reply_department", "external_id", "url",
)  # fmt: skip
REQUIRED: dict[str, tuple[str, ...]] = {
    "hotline": ("external_id", "content"),
    "board": ("external_id", "title", "content"),
    "news": ("external_id", "title"),
}
TITLE_FROM_CONTENT_CHARS = 30


def normalize_item(item: CrawledItem) -> CrawledItem:
    for name in BLOCK_FIELDS:
        setattr(item, name, clean_block(getattr(item, name)))
    for name in LINE_FIELDS:
        setattr(item, name, clean_line(getattr(item, name)))
    item.content = item.content or ""
    item.title = item.title or ""
    item.external_id = item.external_id or ""
    for name in ("author", "media", "region", "addressee", "request_type", "department", "source_status",
                 "reply_department", "reply_text", "url"):  # fmt: skip
        if getattr(item, name) == "":
            setattr(item, name, None)
    if not item.title and item.content and item.kind == "hotline":
        # Some hotline exports have no title column: the first sentence stands in for one.
        first = re.split(r"[。！？!?\n]", item.content, maxsplit=1)[0]
        item.title = first[:TITLE_FROM_CONTENT_CHARS]
    return item


def validation_problem(item: CrawledItem) -> str | None:
    """The reason to drop `item`, or None when it may be stored."""
    for name in REQUIRED.get(item.kind, ("external_id", "title")):
        if not getattr(item, name):
            return f"missing_{name}"
    if len(item.external_id) > 200:
        return "external_id_too_long"
    return None


class _CrawlPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    @property
    def ctx(self) -> CrawlContext:
        spider: Any = self.crawler.spider
        ctx: CrawlContext = spider.ctx
        return ctx


class NormalizePipeline(_CrawlPipeline):
    def process_item(self, item: CrawledItem) -> CrawledItem:
        return normalize_item(item)


class ValidatePipeline(_CrawlPipeline):
    def process_item(self, item: CrawledItem) -> CrawledItem:
        problem = validation_problem(item)
        if problem is None:
            return item
        if self.ctx.preview:  # `source test` shows the item with its problem, to help tune selectors
            item.extra["_problem"] = problem
            return item
        self.ctx.record_drop(problem)
        logger.info("dropped an item (%s): %s", problem, item.url or item.external_id)
        if item.url and item.kind in ("board", "news"):
            # Possibly a transient fault (a truncated page): look again next run instead of losing the post.
            self.ctx.sink.retry_later(item.url)
        raise DropItem(problem, log_level="DEBUG")


class StorePipeline(_CrawlPipeline):
    def process_item(self, item: CrawledItem) -> CrawledItem:
        try:
            self.ctx.sink.add(item)
        except Exception as exc:  # a failed batch must not end the crawl; the next run pages everything again
            self._failed(exc)
        return item

    def close_spider(self) -> None:
        try:
            self.ctx.sink.flush()
        except Exception as exc:
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        logger.exception("storing a batch failed")
        self.ctx.store_error = f"{type(exc).__name__}: {exc}"[:500]
        self.ctx.incomplete = True
        self.ctx.error_count += 1
