"""The simulated items (hotline orders, board posts, news articles), their planned changes over time and
the ground truth each carries for end-to-end checks (exposed only through the admin endpoints).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import chinese_calendar

from core.clock import SHANGHAI

SourceKind = Literal["hotline", "board", "gbk_board", "news"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("hotline", "board", "gbk_board", "news")

HOTLINE_RECEIVED, HOTLINE_IN_PROGRESS, HOTLINE_CLOSED = "受理", "办理中", "已办结"
BOARD_OPEN, BOARD_REPLIED = "未回复", "已回复"


@dataclass(frozen=True)
class Truth:
    """What the generator meant: the labels a perfect analysis would assign."""

    topic: str
    request_type: str  # 投诉 举报 咨询 建议 求助 表扬, or 新闻 for news
    sentiment: str  # negative | neutral | positive
    tags: tuple[str, ...] = ()
    incident: str | None = None
    personal_data: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "request_type": self.request_type,
            "sentiment": self.sentiment,
            "tags": list(self.tags),
            "incident": self.incident,
            "personal_data": self.personal_data,
        }


@dataclass(frozen=True)
class Change:
    """Something that happens to a published item at a later simulated time."""

    at: datetime
    kind: Literal["progress", "close", "reply", "edit", "delete"]
    text: str = ""  # reply text or the new content
    unit: str = ""  # replying department


@dataclass(eq=False, kw_only=True)
class Item:
    source: SourceKind
    publish_at: datetime  # aware UTC
    truth: Truth
    title: str
    content: str
    region: str
    changes: list[Change] = field(default_factory=list)
    # runtime state, set when events are applied
    public_id: str = ""
    version: int = 0  # 1 when published, +1 for each applied change
    updated_at: datetime | None = None
    published: bool = False
    suppressed: bool = False  # its source was silent when it was due
    deleted: bool = False
    # rendered forms, keyed by view name; valid only for `version` (see cached()).
    _cache: dict[str, tuple[int, Any]] = field(default_factory=dict, repr=False)

    def cached(self, view: str) -> Any | None:
        hit = self._cache.get(view)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        return None

    def remember(self, view: str, value: Any) -> Any:
        self._cache[view] = (self.version, value)
        return value

    def apply(self, change: Change) -> None:
        if change.kind == "delete":
            self.deleted = True
        elif change.kind == "edit":
            self.content = change.text
        self.version += 1
        self.updated_at = change.at


@dataclass(eq=False, kw_only=True)
class HotlineOrder(Item):
    request_type: str
    dept: str
    address: str
    service_code: str
    expected_at: datetime
    status: str = HOTLINE_RECEIVED
    closed_at: datetime | None = None
    reply: str | None = None

    def apply(self, change: Change) -> None:
        if change.kind == "progress":
            self.status = HOTLINE_IN_PROGRESS
        elif change.kind == "close":
            self.status = HOTLINE_CLOSED
            self.closed_at = change.at
            self.reply = change.text
        super().apply(change)


@dataclass(eq=False, kw_only=True)
class BoardPost(Item):
    author: str  # as shown, partly masked
    target: str  # 留言对象
    deadline: datetime  # 7 working days after publication
    status: str = BOARD_OPEN
    reply_unit: str | None = None
    reply_at: datetime | None = None
    reply_text: str | None = None
    edited: bool = False

    def apply(self, change: Change) -> None:
        if change.kind == "reply":
            self.status = BOARD_REPLIED
            self.reply_unit = change.unit
            self.reply_at = change.at
            self.reply_text = change.text
        elif change.kind == "edit":
            self.edited = True
        super().apply(change)


@dataclass(eq=False, kw_only=True)
class NewsArticle(Item):
    media: str
    author: str
    channel: str  # rss | atom
    category: str
    paragraphs: tuple[str, ...]
    comments: tuple[tuple[str, str], ...]


# --- calendar ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # chinese-calendar validates each date with a scan of its tables
def is_workday(day: date) -> bool:
    """The Chinese working-day calendar (holidays, 调休); plain Mon-Fri where chinese-calendar has no data."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(moment: datetime, days: int, minute_of_day: int) -> datetime:
    """The `days`-th working day after `moment` (local dates), at `minute_of_day` local time, as UTC."""
    day = moment.astimezone(SHANGHAI).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
    hour, minute = divmod(minute_of_day, 60)
    return datetime.combine(day, time(hour, minute), SHANGHAI).astimezone(moment.tzinfo)


def local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def local_midnight(day: date) -> datetime:
    """Start of a local (Asia/Shanghai) day, as an aware datetime."""
    return datetime.combine(day, time(0, 0), SHANGHAI)
