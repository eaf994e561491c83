"""News: RSS/Atom feeds through feedparser and HTML list pages through selectors; the article body comes
from trafilatura (navigation, ads, related links and comments left out). Media, author and time are kept."""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from scrapy.http import Request, Response

from core.clock import ensure_utc
from core.settings import BoardListConfig, NewsConfig
from crawlers.encoding import decoded
from crawlers.extract import extract_fields, html_to_text
from crawlers.items import build_item
from crawlers.spiders.base import header_value, original_url
from crawlers.spiders.listing import ListingSpider

logger = logging.getLogger(__name__)

# Articles are not revisited for replies; only a failed fetch brings one back, within this age.
RETRY_MAX_AGE = timedelta(days=7)


def _struct_to_utc(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def extract_article(html: str, url: str) -> dict[str, Any]:
    """Body text and metadata of an article page; {} when trafilatura finds no main text."""
    import trafilatura  # imported on first use: 0.15 s that board and hotline crawls need not pay

    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            favor_precision=True,
        )
    except Exception:  # trafilatura raises assorted errors on broken markup; a bad page must not stop a crawl
        logger.warning("article extraction failed for %s", url, exc_info=True)
        return {}
    if doc is None:
        return {}
    if isinstance(doc, dict):
        return doc
    return dict(doc.as_dict())


class NewsSpider(ListingSpider):
    kind: ClassVar[str] = "news"

    @property
    def news(self) -> NewsConfig:
        assert self.ctx.source.news is not None
        return self.ctx.source.news

    def list_config(self) -> BoardListConfig:
        assert self.news.listing is not None
        return self.news.listing

    def initial_requests(self) -> list[Request]:
        requests = self.revisit_requests(self.parse_detail, RETRY_MAX_AGE)
        if self.ctx.source.type == "feed" and self.news.feed_url:
            url = self.news.feed_url
            validators = self.ctx.state.get("validators", {}).get(url, {})
            headers = {}
            if not self.ctx.full_scan:
                if validators.get("etag"):
                    headers["If-None-Match"] = validators["etag"]
                if validators.get("last_modified"):
                    headers["If-Modified-Since"] = validators["last_modified"]
            request = self.request(url, self.parse_feed, role="entry", dont_filter=True)
            request.headers.update(headers)
            requests.append(request)
        if self.news.listing is not None:
            requests.append(self.first_list_request())
        return requests

    def parse_feed(self, response: Response) -> Iterator[Any]:
        if response.status == 304:
            self.ctx.notes["feed_not_modified"] += 1
            return
        import feedparser  # imported on first use, like trafilatura

        parsed = feedparser.parse(response.body)
        if not parsed.entries:
            if parsed.bozo:
                self.ctx.record_error(
                    response.url, "entry", f"feed unreadable: {parsed.bozo_exception}"[:200]
                )
            return
        # Remembered only after a clean run: a 304 must never hide entries a failed run did not store.
        validators = {"etag": header_value(response, b"ETag"),
                      "last_modified": header_value(response, b"Last-Modified")}  # fmt: skip
        if any(validators.values()):
            self.ctx.new_state.setdefault("validators", {})[original_url(response)] = validators
        media = self.news.media or parsed.feed.get("title")
        entries = []
        for entry in parsed.entries:
            link = entry.get("link")
            if not link:
                continue
            url = response.urljoin(link)
            # Read 'updated' only when present: feedparser otherwise maps it to 'published' with a warning.
            updated = _struct_to_utc(entry.get("updated_parsed")) if "updated" in entry else None
            published = _struct_to_utc(entry.get("published_parsed")) or updated
            entries.append(
                (
                    url,
                    updated,
                    {
                        "external_id": entry.get("id") or url,
                        "title": entry.get("title"),
                        "author": entry.get("author"),
                        "published_raw": entry.get("published") or entry.get("updated"),
                        "published_at": published,
                        "content": html_to_text(entry.get("summary")),
                        "media": media,
                    },
                )
            )
        if self.ctx.preview_limit:
            entries = entries[: self.ctx.preview_limit]
        known = self.ctx.seen.pages(url for url, _, _ in entries)
        for url, updated, fields in entries:
            seen = known.get(url)
            if seen is not None and not self.ctx.full_scan:
                if updated is None or updated <= ensure_utc(seen.last_seen_at):
                    self.ctx.notes["known_entries"] += 1
                    continue
            elif url in self.requested:
                continue
            if self.news.fetch_article:
                yield self.request(url, self.parse_detail, role="detail", seen=seen, meta={"entry": fields})
            else:
                yield self._item(fields, url, None)

    def parse_detail(self, response: Response) -> Iterator[Any]:
        if self.detail_status(response):
            return
        page = decoded(response, "auto")
        url = original_url(response)
        entry: dict[str, Any] = dict(response.meta.get("entry") or {})
        doc = extract_article(page.text, url) if self.news.extract == "trafilatura" else {}
        fields: dict[str, Any] = {
            "external_id": entry.get("external_id") or url,
            "title": entry.get("title") or doc.get("title"),
            "author": entry.get("author") or doc.get("author"),
            "published_at": entry.get("published_at") or doc.get("date"),
            "content": doc.get("text") or entry.get("content"),
            "media": entry.get("media") or self.news.media or doc.get("sitename"),
        }
        for name, value in extract_fields(page.selector, self.news.fields).items():
            if value is not None:  # an office's selector beats the extractor
                fields[name] = value
        item = self._item(fields, url, entry.get("published_raw"))
        item.etag = header_value(response, b"ETag")
        item.last_modified = header_value(response, b"Last-Modified")
        yield item

    def _item(self, fields: dict[str, Any], url: str, published_raw: str | None) -> Any:
        item = build_item(
            fields, kind="news", now=self.ctx.now(), default_region=self.ctx.source.region, url=url
        )
        if published_raw and not item.published_raw:
            item.published_raw = str(published_raw)[:100]
        return item
