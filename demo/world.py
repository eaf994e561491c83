"""The simulated world of one seed: a timeline of publications and later changes, applied in time order as
the simulated clock reaches them, with the indexes every route reads (no per-request work beyond slicing).

Days are generated lazily from their own random streams; public ids are assigned in publication order, so
the same seed and start always give the same ids and texts. Not thread-safe: the server holds one lock.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from demo import textgen as T
from demo.generate import day_items, make_board_post
from demo.incidents import Incident, build_incidents
from demo.model import (
    SOURCE_KINDS,
    BoardPost,
    HotlineOrder,
    Item,
    NewsArticle,
    local_date,
)

logger = logging.getLogger(__name__)

BOARD_ID_BASE: dict[str, int] = {"board": 230000, "gbk_board": 5000}
BULK_SPAN_DAYS = 30  # where extra board posts go when there is no backfill window


@dataclass
class BoardIndex:
    all: list[BoardPost] = field(default_factory=list)  # every published post, in publication order
    live: list[BoardPost] = field(default_factory=list)  # published and not deleted
    by_id: dict[str, BoardPost] = field(default_factory=dict)


class World:
    def __init__(
        self, seed: int, start: datetime, backfill_days: float = 14, board_size: int | None = None
    ) -> None:
        self.seed = seed
        self.start = start.astimezone(UTC)
        self.window_start = self.start - timedelta(days=backfill_days)
        self.now = self.window_start
        self._heap: list[tuple[datetime, int, int, Item]] = []
        self._order = itertools.count()
        self._next_day = local_date(self.window_start)
        self._hotline_seq: dict[date, int] = {}
        self._news_seq: dict[date, int] = {}
        self._board_seq = dict(BOARD_ID_BASE)
        self._scheduled_before_start: dict[str, int] = dict.fromkeys(SOURCE_KINDS, 0)
        self.silenced: set[str] = set()
        self.version: dict[str, int] = dict.fromkeys(SOURCE_KINDS, 0)  # bumps on any visible change
        self.suppressed: dict[str, int] = dict.fromkeys(SOURCE_KINDS, 0)
        self.hotline: list[HotlineOrder] = []
        self.hotline_by_id: dict[str, HotlineOrder] = {}
        # every hotline publication and change in time order; an entry is current when its version is the item's
        self.hotline_log_times: list[datetime] = []
        self.hotline_log: list[tuple[HotlineOrder, int]] = []
        self.boards: dict[str, BoardIndex] = {"board": BoardIndex(), "gbk_board": BoardIndex()}
        self.news: list[NewsArticle] = []
        self.news_by_id: dict[str, NewsArticle] = {}
        self.news_position: dict[str, int] = {}
        self.news_by_channel: dict[str, list[NewsArticle]] = {"rss": [], "atom": []}
        self.incidents: list[Incident] = build_incidents(seed, self.start)
        for incident in self.incidents:
            for item in incident.items:
                self._schedule(item)
        self._ensure_days(local_date(self.start) + timedelta(days=1))
        if board_size:
            self._top_up_board(board_size)
        self.sync(self.start)

    # --- timeline -----------------------------------------------------------------------------------------

    def _schedule(self, item: Item) -> None:
        heapq.heappush(self._heap, (item.publish_at, next(self._order), -1, item))
        if self.window_start <= item.publish_at <= self.start:
            self._scheduled_before_start[item.source] += 1

    def _ensure_days(self, last: date) -> None:
        while self._next_day <= last:
            day = self._next_day
            for source in SOURCE_KINDS:
                for item in day_items(self.seed, day, source):
                    if item.publish_at < self.window_start:
                        # history before the window never happened, but real sites number it
                        if source == "hotline":
                            self._hotline_seq[day] = self._hotline_seq.get(day, 0) + 1
                        elif source == "news":
                            self._news_seq[day] = self._news_seq.get(day, 0) + 1
                        continue
                    self._schedule(item)
            self._next_day = day + timedelta(days=1)

    def _top_up_board(self, board_size: int) -> None:
        """Add posts to the UTF-8 board's history so that at least `board_size` are published at start."""
        missing = board_size - self._scheduled_before_start["board"]
        if missing <= 0:
            return
        span_start = (
            self.window_start
            if self.window_start < self.start
            else self.start - timedelta(days=BULK_SPAN_DAYS)
        )
        span = (self.start - span_start).total_seconds()
        rng = random.Random(f"yunjiang/{self.seed}/bulk/{board_size}")
        offsets = sorted(rng.uniform(0, span) for _ in range(missing))
        for offset in offsets:
            at = (span_start + timedelta(seconds=int(offset))).replace(microsecond=0)
            day = local_date(at)
            self._schedule(make_board_post(rng, at, "board", T.compose_message(rng, day, channel="board")))

    def sync(self, now: datetime) -> None:
        """Apply every publication and change due at or before `now` (time only moves forward)."""
        if now < self.now:
            return
        self._ensure_days(local_date(now) + timedelta(days=1))
        heap = self._heap
        while heap and heap[0][0] <= now:
            _at, _, index, item = heapq.heappop(heap)
            if index < 0:
                self._publish(item)
            else:
                self._change(item, index)
        self.now = now

    def set_silent(self, source: str, silent: bool) -> None:
        """A silent source publishes nothing while silent; what fell due meanwhile is lost, as in an outage."""
        if silent:
            self.silenced.add(source)
        else:
            self.silenced.discard(source)

    def _publish(self, item: Item) -> None:
        source = item.source
        if source in self.silenced:
            item.suppressed = True
            self.suppressed[source] += 1
            return
        item.published = True
        item.version = 1
        item.updated_at = item.publish_at
        day = local_date(item.publish_at)
        if isinstance(item, HotlineOrder):
            seq = self._hotline_seq.get(day, 0) + 1
            self._hotline_seq[day] = seq
            item.public_id = f"YJ{day:%Y%m%d}{seq:05d}"
            self.hotline.append(item)
            self.hotline_by_id[item.public_id] = item
            self._log_hotline(item)
        elif isinstance(item, BoardPost):
            self._board_seq[source] += 1
            item.public_id = str(self._board_seq[source])
            board = self.boards[source]
            board.all.append(item)
            board.live.append(item)
            board.by_id[item.public_id] = item
        elif isinstance(item, NewsArticle):
            seq = self._news_seq.get(day, 0) + 1
            self._news_seq[day] = seq
            item.public_id = f"{day:%Y%m%d}{seq:04d}"
            self.news_position[item.public_id] = len(self.news)
            self.news.append(item)
            self.news_by_id[item.public_id] = item
            self.news_by_channel[item.channel].append(item)
        for index, change in enumerate(item.changes):
            heapq.heappush(self._heap, (change.at, next(self._order), index, item))
        self.version[source] += 1

    def _change(self, item: Item, index: int) -> None:
        if not item.published or item.deleted:
            return
        item.apply(item.changes[index])
        if isinstance(item, HotlineOrder):
            self._log_hotline(item)
        elif isinstance(item, BoardPost) and item.deleted:
            self.boards[item.source].live.remove(item)  # O(n), but deletions are rare
        self.version[item.source] += 1

    def _log_hotline(self, item: HotlineOrder) -> None:
        assert item.updated_at is not None
        self.hotline_log_times.append(item.updated_at)
        self.hotline_log.append((item, item.version))

    # --- queries ------------------------------------------------------------------------------------------

    def hotline_changed_since(
        self, since: datetime | None, position: int = 0
    ) -> tuple[list[HotlineOrder], int]:
        """Orders whose current 更新时间 >= since (or whose latest change sits at/after log `position`),
        oldest change first, each once; with the log length the answer was computed at."""
        start = position
        if since is not None:
            start = max(start, bisect.bisect_left(self.hotline_log_times, since))
        out = [order for order, version in self.hotline_log[start:] if order.version == version]
        return out, len(self.hotline_log)

    def hotline_log_slice(self, position: int, limit: int) -> tuple[list[HotlineOrder], int, bool]:
        """Up to `limit` current entries from log `position` on: (orders, next position, more left)."""
        out: list[HotlineOrder] = []
        log = self.hotline_log
        i = position
        while i < len(log) and len(out) < limit:
            order, version = log[i]
            if order.version == version:
                out.append(order)
            i += 1
        more = any(order.version == version for order, version in log[i:])
        return out, i, more

    def log_position(self, since: datetime) -> int:
        return bisect.bisect_left(self.hotline_log_times, since)

    def published_items(self, source: str) -> list[Item]:
        if source == "hotline":
            return list(self.hotline)
        if source == "news":
            return list(self.news)
        return list(self.boards[source].all)

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            "published": {
                "hotline": len(self.hotline),
                "board": len(self.boards["board"].all),
                "gbk_board": len(self.boards["gbk_board"].all),
                "news": len(self.news),
            },
            "live": {
                "board": len(self.boards["board"].live),
                "gbk_board": len(self.boards["gbk_board"].live),
            },
            "suppressed": dict(self.suppressed),
            "pending_events": {"total": len(self._heap)},
        }
