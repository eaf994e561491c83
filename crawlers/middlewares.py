"""Middlewares: parse errors recorded on the crawl context (a bad page counts as an error of the run and a
detail page is fetched again next run, instead of vanishing into the log), and a robots.txt fix."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

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


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with each concurrent waiter served its own copy of the parser.

    Scrapy 2.19 awaits the one shared Deferred from every request that arrives while robots.txt is still
    downloading (scrapy PR #6802); under the asyncio reactor only the first waiter receives the parser and
    the rest receive None, which the middleware takes as "allowed": the first few disallowed requests of a
    crawl went out (seen against the demo's robots fault). Fanning the result out restores the old behaviour.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):
            waiter: Deferred[RobotParser | None] = Deferred()

            def fan_out(result: Any) -> Any:
                waiter.callback(result)
                return result

            pending.addBoth(fan_out)
            return await maybe_deferred_to_future(waiter)
        return await super().robot_parser(request)
