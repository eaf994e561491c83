"""Message boards (网民留言 / 领导留言板): list + detail pages described by selectors; unanswered posts are
revisited until answered or too old, so a reply published on the board reaches the item."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar

from scrapy.http import Request, Response

from core.settings import BoardConfig, BoardListConfig
from crawlers.encoding import decoded
from crawlers.extract import extract_fields
from crawlers.items import build_item
from crawlers.spiders.base import header_value, original_url
from crawlers.spiders.listing import ListingSpider


class BoardSpider(ListingSpider):
    kind: ClassVar[str] = "board"

    @property
    def board(self) -> BoardConfig:
        assert self.ctx.source.board is not None
        return self.ctx.source.board

    def list_config(self) -> BoardListConfig:
        return self.board.listing

    def page_encoding(self) -> str:
        return self.board.encoding

    def initial_requests(self) -> list[Request]:
        max_age = timedelta(days=self.board.revisit_max_age_days)
        return [*self.revisit_requests(self.parse_detail, max_age), self.first_list_request()]

    def parse_detail(self, response: Response) -> Iterator[Any]:
        if self.detail_status(response):
            return
        page = decoded(response, self.board.encoding)
        url = original_url(response)
        fields: dict[str, Any] = dict(extract_fields(page.selector, self.board.fields))
        fields["external_id"] = self.external_id(url, fields.get("external_id"), self.board.listing.id_regex)
        item = build_item(
            fields,
            kind="board",
            now=self.ctx.now(),
            status_replied=self.board.status_replied,
            default_region=self.ctx.source.region,
            url=url,
        )
        item.etag = header_value(response, b"ETag")
        item.last_modified = header_value(response, b"Last-Modified")
        yield item
