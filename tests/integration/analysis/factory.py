"""Rows for analysis tests: sources and items inserted the way the crawlers store them (status 'new')."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select

from core.db import Database
from core.models import Item, Source


def add_sources(db: Database, now: datetime, *keys_kinds: tuple[str, str]) -> dict[str, int]:
    """Create sources (key, kind); returns key -> id."""
    with db.session() as s:
        for key, kind in keys_kinds:
            s.add(
                Source(key=key, name=key, kind=kind, url=f"http://127.0.0.1/{key}", created_at=now, state={})
            )
        s.flush()
        return {src.key: src.id for src in s.scalars(select(Source))}


def add_item(
    db: Database,
    source_id: int,
    kind: str,
    external_id: str,
    title: str,
    content: str,
    published_at: datetime,
    *,
    region: str | None = None,
    reply_status: str | None = None,
) -> int:
    with db.session() as s:
        item = Item(
            source_id=source_id,
            external_id=external_id,
            kind=kind,
            url=f"http://127.0.0.1/{external_id}",
            title=title,
            content=content,
            published_at=published_at,
            fetched_at=published_at,
            updated_at=published_at,
            region=region,
            reply_status=reply_status or ("none" if kind == "news" else "pending"),
            content_hash=hashlib.sha256(f"{title}\n{content}".encode()).hexdigest(),
            status="new",
            extra={},
        )
        s.add(item)
        s.flush()
        return item.id
