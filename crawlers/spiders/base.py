"""What every configured spider shares: requests with revalidation headers, error recording, revisits.

Each request carries a role in its meta: "entry" (the first list/feed/API page: if it fails the run
fails), "list" (further pages: if one fails the next run pages through everything), "detail" (one item:
if it fails it is fetched again at the start of the next run).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.context import CrawlContext
from crawlers.encoding import looks_truncated
from crawlers.seen import SeenPage

DETAIL_STATUSES = [304, 404, 410]
PRIORITY_DETAIL = 10  # drain detail pages before the next list page: items reach the database early
PRIORITY_LIST = 0


def with_query(url: str, **params: Any) -> str:
    """`url` with the given query parameters set (replacing existing ones); None values are removed."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def describe_failure(failure: Failure) -> str:
    """A short reason for crawl_runs.error_message: 'HTTP 503', 'timeout', 'robots.txt', ..."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        return "robots.txt 禁止抓取" if "robots" in text.lower() else (text or "ignored")
    name = type(exc).__name__
    if "Timeout" in name:
        return "timeout"
    return f"{name}: {exc}"[:200]


def original_url(response: Response) -> str:
    """The URL we asked for (before redirects), the key of seen_urls."""
    redirects = response.meta.get("redirect_urls")
    return str(redirects[0]) if redirects else response.url


class ConfiguredSpider(scrapy.Spider):
    """Base class of the generic spiders; one subclass per source kind/type, chosen in crawlers.registry."""

    name = "configured"
    kind: ClassVar[str] = ""

    def __init__(self, ctx: CrawlContext, **kwargs: Any) -> None:
        super().__init__(name=ctx.source.key, **kwargs)
        self.ctx = ctx
        self.requested: set[str] = set()

    def request(
        self,
        url: str,
        callback: Callable[..., Any],
        *,
        role: str,
        seen: SeenPage | None = None,
        meta: dict[str, Any] | None = None,
        dont_filter: bool = False,
    ) -> Request:
        headers: dict[str, str] = {}
        if seen is not None and seen.content_hash and not self.ctx.defaults.http_cache:
            # Only pages we stored carry validators worth sending: a 304 must mean "what you have is current".
            if seen.etag:
                headers["If-None-Match"] = seen.etag
            if seen.last_modified:
                headers["If-Modified-Since"] = seen.last_modified
        request_meta: dict[str, Any] = {"role": role, "seen": seen}
        request_meta["handle_httpstatus_list"] = DETAIL_STATUSES if role == "detail" else [304]
        request_meta.update(meta or {})
        self.requested.add(url)
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            headers=headers,
            meta=request_meta,
            priority=PRIORITY_DETAIL if role == "detail" else PRIORITY_LIST,
            dont_filter=dont_filter,
        )

    def on_error(self, failure: Failure) -> None:
        request: Request = failure.request  # type: ignore[attr-defined]
        role = str(request.meta.get("role", "detail"))
        reason = describe_failure(failure)
        self.ctx.record_error(request.url, role, reason)
        if role == "detail" and not reason.startswith("robots"):
            self.ctx.sink.retry_later(request.url)

    # --- revisits ----------------------------------------------------------------------------------------

    def revisit_requests(self, callback: Callable[..., Any], max_age: timedelta) -> list[Request]:
        """Requests for pages due again: unanswered posts and pages a previous run failed to fetch."""
        limit = self.ctx.defaults.revisit_batch
        pages = self.ctx.seen.due_revisits(self.ctx.now(), max_age, limit)
        return [self.request(p.url, callback, role="detail", seen=p, meta={"revisit": True}) for p in pages]

    def detail_status(self, response: Response) -> bool:
        """Handle 304/404/410 and truncated pages on a detail page; True when the response was consumed."""
        url = original_url(response)
        if response.status == 200 and looks_truncated(response.body):
            # Storing half a post would record a fake edit later; fetch it whole next run instead.
            self.ctx.record_error(response.url, "detail", "页面不完整 (truncated page)")
            self.ctx.sink.retry_later(url)
            return True
        if response.status == 304:
            self.ctx.sink.touch(url)
            return True
        if response.status in (404, 410):
            seen = response.meta.get("seen")
            if seen is not None or self.ctx.seen.pages([url]):
                self.ctx.sink.mark_gone(url)
            else:
                self.ctx.notes["gone_before_fetch"] += 1
            return True
        return False

    def external_id(self, url: str, given: str | None, id_regex: str | None) -> str:
        if given and given.strip():
            return given.strip()
        if id_regex:
            match = re.search(id_regex, url)
            if match:
                return match.group(1) if match.groups() else match.group(0)
        return url

    async def start(self) -> AsyncIterator[Any]:
        # Scrapy 2.13+ calls start(), never start_requests().
        for request in self.initial_requests():
            yield request

    def initial_requests(self) -> list[Request]:
        raise NotImplementedError


def header_value(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
