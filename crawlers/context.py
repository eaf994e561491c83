"""What one crawl shares between its spider, pipelines and the process that records the run."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from core.clock import Clock
from core.settings import SourceConfig, SourceDefaults
from crawlers.items import CrawledItem
from crawlers.seen import SeenIndex

logger = logging.getLogger(__name__)

MAX_ERROR_MESSAGES = 20


class ItemSink(Protocol):
    """Where items and page outcomes go: the database (ItemStore) or, for `source test`, a list."""

    counts: Counter[str]

    def add(self, item: CrawledItem) -> None: ...
    def touch(self, url: str) -> None: ...
    def mark_gone(self, url: str) -> None: ...
    def retry_later(self, url: str) -> None: ...
    def flush(self) -> None: ...


class PreviewSink:
    """Keeps items in memory and stores nothing (`yuqing source test`)."""

    def __init__(self) -> None:
        self.items: list[CrawledItem] = []
        self.counts: Counter[str] = Counter()

    def add(self, item: CrawledItem) -> None:
        self.items.append(item)
        self.counts["new"] += 1

    def touch(self, url: str) -> None:
        self.counts["unchanged"] += 1

    def mark_gone(self, url: str) -> None:
        self.counts["gone"] += 1

    def retry_later(self, url: str) -> None:
        return None

    def flush(self) -> None:
        return None


@dataclass
class CrawlContext:
    source: SourceConfig
    defaults: SourceDefaults
    clock: Clock
    sink: ItemSink
    seen: SeenIndex
    max_pages: int
    full_scan: bool = False  # the last run did not finish cleanly: do not stop paging at known items
    state: dict[str, Any] = field(default_factory=dict)  # Source.state when the run started
    new_state: dict[str, Any] = field(default_factory=dict)  # merged into Source.state after a clean run
    preview: bool = False
    preview_limit: int = 0  # `source test`: follow at most this many item links per list page or feed
    # outcome, read by crawlers.run when the crawl ends
    entry_failed: bool = False  # the first page (list, feed, API) could not be fetched or parsed
    incomplete: bool = False  # some list/API page failed: the next run pages through everything again
    store_error: str | None = None
    error_count: int = 0
    errors: list[str] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def now(self) -> datetime:
        return self.clock.now()

    def record_error(self, url: str, role: str, reason: str) -> None:
        self.error_count += 1
        if role in ("entry", "list"):
            self.incomplete = True
        if role == "entry":
            self.entry_failed = True
        if role == "entry":
            self.errors.insert(0, f"{reason}: {url}")  # the reason the run failed comes first
            del self.errors[MAX_ERROR_MESSAGES:]
        elif len(self.errors) < MAX_ERROR_MESSAGES:
            self.errors.append(f"{reason}: {url}")
        logger.warning("%s page failed (%s): %s", role, reason, url)

    def record_drop(self, reason: str) -> None:
        self.dropped[reason] += 1
