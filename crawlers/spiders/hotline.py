"""12345 hotline open data: a paged JSON API (page, offset or cursor pagination) mapped field by field from
YAML, incremental by update time (a watermark kept in Source.state), and Open311 GeoReport v2
`requests.json`, which is the same spider with a built-in mapping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

from scrapy.http import Request, Response

from core.clock import SHANGHAI, ensure_utc
from core.settings import HotlineApiConfig, Pagination
from crawlers.dates import parse_datetime
from crawlers.items import build_item
from crawlers.spiders.base import ConfiguredSpider, with_query

# Open311 GeoReport v2: requests.json is a bare list of service requests.
OPEN311_DEFAULT = HotlineApiConfig(
    items_path="",
    pagination=Pagination(style="page", page_param="page", size_param="page_size", size=100, start=1),
    since_param="updated_after",
    since_format="iso",
    updated_field="updated_datetime",
    status_replied=["closed"],
    reply_at_from_updated=True,
    fields={
        # GeoReport v2 has no title: normalisation takes the description's first sentence
        "external_id": "service_request_id",
        "content": "description",
        "published_at": "requested_datetime",
        "updated_at": "updated_datetime",
        "source_status": "status",
        "department": "agency_responsible",
        "reply_text": "status_notes",
    },
)


def dig(data: Any, path: str) -> Any:
    """`a.b.0.c` into nested dicts/lists; '' is the document itself; None when any step is missing."""
    if not path:
        return data
    node = data
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
        if node is None:
            return None
    return node


def format_since(moment: datetime, fmt: str) -> str:
    """The watermark as the API wants it: iso (+08:00), wall (local 'YYYY-mm-dd HH:MM:SS'), epoch, epoch_ms,
    or any strftime pattern (local time)."""
    local = ensure_utc(moment).astimezone(SHANGHAI)
    if fmt == "iso":
        return local.isoformat(timespec="seconds")
    if fmt == "wall":
        return local.strftime("%Y-%m-%d %H:%M:%S")
    if fmt == "epoch":
        return str(int(moment.timestamp()))
    if fmt == "epoch_ms":
        return str(int(moment.timestamp() * 1000))
    return local.strftime(fmt)


class HotlineApiSpider(ConfiguredSpider):
    kind: ClassVar[str] = "hotline"

    @property
    def api(self) -> HotlineApiConfig:
        if self.ctx.source.hotline is not None:
            return self.ctx.source.hotline
        return OPEN311_DEFAULT

    def since(self) -> datetime | None:
        raw = self.ctx.state.get("watermark")
        if not raw or self.ctx.full_scan or not self.api.since_param:
            return None
        try:
            moment = datetime.fromisoformat(str(raw))
        except ValueError:
            return None
        return ensure_utc(moment) - timedelta(seconds=self.api.watermark_overlap_seconds)

    def page_url(self, position: Any) -> str:
        api, pag = self.api, self.api.pagination
        params: dict[str, Any] = dict(api.params)
        since = self.since()
        if since is not None and api.since_param:
            params[api.since_param] = format_since(since, api.since_format)
        if pag.style == "page":
            params[pag.page_param] = position
            params[pag.size_param] = pag.size
        elif pag.style == "offset":
            params[pag.offset_param] = position
            params[pag.size_param] = pag.size
        else:
            params[pag.size_param] = pag.size
            if position is not None:
                params[pag.cursor_param] = position
        assert self.ctx.source.url is not None
        return with_query(self.ctx.source.url, **params)

    def initial_requests(self) -> list[Request]:
        pag = self.api.pagination
        first: Any = pag.start if pag.style == "page" else 0 if pag.style == "offset" else None
        meta = {"page": 1, "position": first}
        return [self.request(self.page_url(first), self.parse_api, role="entry", meta=meta, dont_filter=True)]

    def parse_api(self, response: Response) -> Iterator[Any]:
        role = str(response.meta.get("role"))
        if response.status == 304:
            return
        try:
            data = json.loads(response.body)
        except ValueError as exc:
            self.ctx.record_error(response.url, role, f"not JSON: {exc}"[:200])
            return
        records = dig(data, self.api.items_path)
        if not isinstance(records, list):
            self.ctx.record_error(response.url, role, f"no list at {self.api.items_path or '(top level)'!r}")
            return
        now = self.ctx.now()
        watermark_key = self.api.updated_field or self.api.fields.get("updated_at")
        ids: list[str] = []
        for record in records:
            if not isinstance(record, dict):
                self.ctx.record_drop("malformed_record")
                continue
            fields = {name: dig(record, key) for name, key in self.api.fields.items()}
            item = build_item(
                fields,
                kind="hotline",
                now=now,
                status_replied=self.api.status_replied,
                default_region=self.ctx.source.region,
            )
            if item.reply_status == "replied" and item.reply_at is None and self.api.reply_at_from_updated:
                item.reply_at = parse_datetime(fields.get("updated_at"), now)
            if watermark_key:
                self._advance_watermark(parse_datetime(dig(record, watermark_key), now))
            ids.append(item.external_id)
            yield item
        yield from self._next_page(response, data, records, ids)

    def _advance_watermark(self, moment: datetime | None) -> None:
        if moment is None:
            return
        current = self.ctx.new_state.get("watermark")
        if current is None or moment > datetime.fromisoformat(current):
            self.ctx.new_state["watermark"] = moment.isoformat()

    def _next_page(
        self, response: Response, data: Any, records: list[Any], ids: list[str]
    ) -> Iterator[Request]:
        pag = self.api.pagination
        page_no = int(response.meta.get("page", 1))
        position: Any = response.meta.get("position")
        if not records:
            return
        # Without an update-time filter, a page of items we all have means the rest is older.
        known_page = not self.api.since_param and not self.ctx.full_scan and bool(ids)
        if known_page and len(self.ctx.seen.item_hashes(ids)) == len(set(ids)):
            self.ctx.notes["stopped_at_known_page"] = page_no
            return
        if page_no >= self.ctx.max_pages:
            self.ctx.notes["stopped_at_max_pages"] = page_no
            return
        total = dig(data, self.api.total_path) if self.api.total_path else None
        if pag.style == "cursor":
            cursor = dig(data, pag.cursor_path)
            if cursor in (None, "", 0, False):
                return
            next_position: Any = cursor
        else:
            if len(records) < pag.size:
                return
            if pag.style == "page":
                next_position = int(position) + 1
                done = (int(position) - pag.start + 1) * pag.size
            else:
                next_position = int(position) + len(records)
                done = next_position
            if isinstance(total, int | float) and done >= total:
                return
        meta = {"page": page_no + 1, "position": next_position}
        yield self.request(self.page_url(next_position), self.parse_api, role="list", meta=meta)
