"""A spider middleware that records parse errors on the crawl context, so a bad page counts as an error
of the run (and a detail page is fetched again next run) instead of vanishing into the log."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Response

from crawlers.spiders.base import original_url


class ErrorRecorderMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ErrorRecorderMiddleware:
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        spider: Any = self.crawler.spider
        ctx = getattr(spider, "ctx", None)
        if ctx is None:
            return None
        role = str(response.meta.get("role", "detail"))
        ctx.record_error(response.url, role, f"parse error {type(exception).__name__}: {exception}"[:300])
        if role == "detail":
            ctx.sink.retry_later(original_url(response))
        return None  # let Scrapy log it with the traceback
