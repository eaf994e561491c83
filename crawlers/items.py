"""The item a spider yields, and how raw field strings from any source kind become one.

Spiders collect raw strings per item field (the field names of config/sources.yaml, core.settings.ITEM_FIELDS);
`build_item` parses their dates (keeping the raw text) and derives the reply status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crawlers.dates import parse_datetime

TEXT_FIELDS = (
    "title",
    "content",
    "author",
    "media",
    "region",
    "addressee",
    "request_type",
    "department",
    "source_status",
    "reply_text",
    "reply_department",
)


@dataclass
class CrawledItem:
    """One record on its way through the pipelines (normalize -> validate -> store)."""

    external_id: str
    kind: str
    url: str | None = None
    title: str = ""
    content: str = ""
    author: str | None = None
    media: str | None = None
    published_at: datetime | None = None
    published_raw: str | None = None
    region: str | None = None
    addressee: str | None = None
    request_type: str | None = None
    department: str | None = None
    source_status: str | None = None
    reply_status: str = "none"
    reply_at: datetime | None = None
    reply_text: str | None = None
    reply_department: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # HTTP validators of the page the item came from, kept in seen_urls for conditional revisits
    etag: str | None = None
    last_modified: str | None = None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = "\n".join(str(v) for v in value if v is not None)
    text = str(value)
    return text if text.strip() else None


def _raw(value: Any) -> str | None:
    text = _text(value)
    return text.strip()[:100] if text else None


def build_item(
    fields: Mapping[str, Any],
    *,
    kind: str,
    now: datetime,
    status_replied: Sequence[str] = (),
    default_region: str | None = None,
    url: str | None = None,
) -> CrawledItem:
    """Turn raw field values into a CrawledItem. Dates: aware UTC plus the raw string; reply status:
    'none' for news, else 'replied' when the source says so (status text or a reply) or 'pending'."""
    external_id = _text(fields.get("external_id")) or ""
    published_value = fields.get("published_at")
    reply_at_value = fields.get("reply_at")
    published_at = (
        published_value if isinstance(published_value, datetime) else parse_datetime(published_value, now)
    )
    reply_at = reply_at_value if isinstance(reply_at_value, datetime) else parse_datetime(reply_at_value, now)
    item = CrawledItem(
        external_id=external_id.strip(),
        kind=kind,
        url=_text(fields.get("url")) or url,
        published_at=published_at,
        published_raw=_raw(published_value) if not isinstance(published_value, datetime) else None,
        reply_at=reply_at,
    )
    for name in TEXT_FIELDS:
        value = _text(fields.get(name))
        if name in ("title", "content"):
            setattr(item, name, value or "")
        else:
            setattr(item, name, value)
    if item.region is None:
        item.region = default_region
    item.reply_status = reply_status_of(
        kind, item.source_status, item.reply_text, _text(fields.get("reply_status")), status_replied
    )
    if item.reply_status != "replied":
        # Before the answer, a "reply" is a progress note (Open311 status_notes: "办理中：已转…办理") or a
        # placeholder ("回复时间：--"); the reply fields hold only a citizen-visible answer.
        item.reply_at = None
        item.reply_text = None
    return item


def reply_status_of(
    kind: str,
    source_status: str | None,
    reply_text: str | None,
    explicit: str | None,
    status_replied: Sequence[str],
) -> str:
    if kind == "news":
        return "none"
    if explicit and explicit.strip() in ("none", "pending", "replied"):
        return explicit.strip()
    for status in (explicit, source_status):
        # When the source states a status, the status decides ("办理中" with a progress note is pending).
        if status and status.strip():
            return "replied" if any(marker in status for marker in status_replied) else "pending"
    if reply_text and reply_text.strip():
        return "replied"
    return "pending"
