"""HTML list pages shared by boards and news sites: item links, next-page link or page parameter, and the
incremental stop (a page holding only items we already have ends the paging)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Request, Response

from core.settings import BoardListConfig
from crawlers.encoding import decoded, looks_truncated
from crawlers.extract import extract_links
from crawlers.spiders.base import ConfiguredSpider, with_query


class ListingSpider(ConfiguredSpider):
    """A spider whose items are linked from paged HTML lists; subclasses give the config and parse_detail."""

    def list_config(self) -> BoardListConfig:
        raise NotImplementedError

    def page_encoding(self) -> str:
        return "auto"

    def parse_detail(self, response: Response) -> Iterator[Any]:
        raise NotImplementedError

    def list_page_url(self, page_no: int) -> str:
        cfg = self.list_config()
        if cfg.page_param and page_no > 1:
            return with_query(cfg.url, **{cfg.page_param: cfg.page_start + page_no - 1})
        return cfg.url

    def first_list_request(self) -> Request:
        return self.request(self.list_page_url(1), self.parse_list, role="entry", meta={"page": 1},
                            dont_filter=True)  # fmt: skip

    def parse_list(self, response: Response) -> Iterator[Any]:
        if response.status == 304:
            return
        cfg = self.list_config()
        page_no = int(response.meta.get("page", 1))
        if looks_truncated(response.body):
            # Use the links it has, but the next run must page through everything again.
            self.ctx.record_error(response.url, "list", "列表页不完整 (truncated page)")
        page = decoded(response, self.page_encoding())
        links = list(dict.fromkeys(page.urljoin(u) for u in extract_links(page.selector, cfg.item_links)))
        self.ctx.notes["list_pages"] += 1
        if not links:
            if page_no == 1:
                # An empty first page nearly always means the markup changed under the selectors.
                self.ctx.record_error(
                    response.url, "entry", "列表页未找到条目链接 (no item links; check selectors)"
                )
            return
        known = self.ctx.seen.pages(links)
        fresh = [url for url in links if url not in known and url not in self.requested]
        if self.ctx.preview_limit:
            fresh = fresh[: self.ctx.preview_limit]
        for url in fresh:
            yield self.request(url, self.parse_detail, role="detail")
        if not fresh and not self.ctx.full_scan:
            self.ctx.notes["stopped_at_known_page"] = page_no
            return
        if page_no >= self.ctx.max_pages:
            self.ctx.notes["stopped_at_max_pages"] = page_no
            return
        next_url: str | None = None
        if cfg.next_page is not None:
            found = extract_links(page.selector, cfg.next_page)
            next_url = page.urljoin(found[0]) if found else None
        elif cfg.page_param:
            next_url = self.list_page_url(page_no + 1)
        if next_url and next_url != response.url:
            yield self.request(next_url, self.parse_list, role="list", meta={"page": page_no + 1})
