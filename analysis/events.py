"""Events: groups of near-duplicate or closely related items across sources.

Pure core. `EventMatcher` places an item: first by SimHash (a near-duplicate of an item already placed,
any topic or region, within `dup_window`), then as a related item (same topic and region, within
`related_window`, and enough shared wording). `summarize_event` computes what an event shows: the first
source (首发: earliest published), item and source counts, kind counts, sentiment mix and hourly trend.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

import numpy as np

from analysis.dedupe import SimhashIndex


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
# Bigrams that occur in almost every complaint and say nothing about what it is about.
_STOP_BIGRAMS = _words(
    "反映 问题 希望 有关 关部 部门 相关 领导 我们 你们 他们 居民 市民 群众 小区 业主 情况 处理 解决 尽快 请求 恳请"
    " 要求 现在 目前 已经 没有 一直 这个 那个 这些 什么 怎么 为什 么时 时候 进行 工作 人员 今天 昨天 去年 今年"
    " 严重 影响 生活 正常 可以 能够 是否 是不 不是 就是 但是 而且 如果 因为 所以 还是 以及 以上 以下 谢谢 感谢"
    " 政府 街道 社区 区政 市政 办理 答复 回复 投诉 举报 咨询 建议 请问 您好 多次 至今 到现 网友 留言 来电"
)


def _bigram_codes(run: str) -> np.ndarray:
    # A Han character is below U+10000, so a bigram packs exactly into 32 bits: no hashing, no collisions.
    codes = np.frombuffer(run.encode("utf-32-le"), dtype=np.uint32)
    result: np.ndarray = (codes[:-1] << np.uint32(16)) | codes[1:]
    return result


_STOP_CODES = np.unique(np.concatenate([_bigram_codes(g) for g in _STOP_BIGRAMS]))
# Bigrams ending in 区/县/市 mostly spell the region, which the event key already holds.
_ADMIN_ENDINGS = np.array([ord(c) for c in "区县市省镇"], dtype=np.uint32)
_EMPTY = np.zeros(0, dtype=np.uint32)


def _run_shingles(run: str) -> np.ndarray:
    grams = _bigram_codes(run)
    # A character is boilerplate when a stop bigram covers it or it spells a place ending in 区/县/市 (the
    # event key holds the region already). Bigrams made only of boilerplate characters are dropped, which
    # also removes the seams of stock phrases (反映|问题 -> 映问).
    covered = np.zeros(len(run), dtype=bool)
    stop = np.isin(grams, _STOP_CODES)
    covered[:-1] |= stop
    covered[1:] |= stop
    for k in np.flatnonzero(np.isin(np.frombuffer(run.encode("utf-32-le"), dtype=np.uint32), _ADMIN_ENDINGS)):
        covered[max(0, k - 2) : k + 1] = True
    result: np.ndarray = grams[~(covered[:-1] & covered[1:])]
    return result


def text_shingles(text: str) -> np.ndarray:
    """Sorted unique character bigrams of the Han text (as packed uint32), without boilerplate bigrams.

    Arrays rather than sets of strings: a run may hold tens of thousands of recent items in memory.
    """
    runs = _HAN_RUN.findall(text)
    if not runs:
        return _EMPTY
    result: np.ndarray = np.unique(np.concatenate([_run_shingles(run) for run in runs]))
    return result


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Overlap coefficient: shared bigrams over the smaller set, so a short post matches a long article."""
    if not a.size or not b.size:
        return 0.0
    shared = np.intersect1d(a, b, assume_unique=True).size
    return float(shared) / min(a.size, b.size)


# Named places and organisations (幸福河, 阳光小区, 宏达公司, 滨江路): two reports naming the same one in the
# same district, topic and days are about the same thing. The two characters before the suffix (or before an
# industry word: 宏达建筑公司) are the name. A lookahead, so overlapping candidates (在滨江, 滨江路) all count.
_ANCHOR = re.compile(
    r"(?=([\u4e00-\u9fff]{2})(?:建筑|物业|劳务|房地产|置业|建设|工程|科技|实业|贸易|餐饮)?(水库|小区|花园|家园|公寓|大厦|广场|大道|社区|公司|集团|工地|项目|小学|中学|学校|幼儿园"
    r"|医院|卫生院|市场|商场|超市|酒店|车站|公园|河|湖|江|溪|沟|渠|塘|苑|路|街|巷|村|厂))"
)
_ADMIN_CHARS = frozenset("区县市镇乡省")
_ANCHOR_BAD_CHARS = frozenset(
    "的了在是这那条个些我你他她们有和与及到从向对把被就也都还几该此某每各等本全其一二三四五六七八九十"
)
_ANCHOR_GENERIC_PREFIXES = frozenset(
    _words(
        "物业 开发 建筑 施工 建设 工程 改造 燃气 供水 电力 保险 运输 劳务 民办 公办 农贸 附近 周边 门口 旁边 对面 整个"
        " 所在 本地 当地 城市 农村 乡村 山村 马路 道路 公路 小路 大路 街道 河道 护城 城中 城乡 老旧 居民 住宅 商品"
        " 公司 集团 花园 家园 小区 工地 项目 社区 广场 大厦 公寓 市场 学校 医院 处理 污水 反映 来电 投诉 举报 位于"
    )
)
_ANCHOR_GENERIC = frozenset(
    _words(
        "马路 道路 公路 小路 大路 铁路 线路 出路 走路 过路 一路 街巷 小河 大河 运河 城河 内河 江河 河沟 水沟 小溪 农村 乡村"
        " 山村 全村 本村 邻村 工厂 药厂 小区 学校 医院 市场 公园"
    )
)


def text_anchors(text: str) -> frozenset[str]:
    """Named places and organisations mentioned in the text (prefix of two characters + kind)."""
    anchors: set[str] = set()
    for m in _ANCHOR.finditer(text):
        prefix, suffix = m.group(1), m.group(2)
        if prefix in _ANCHOR_GENERIC_PREFIXES or any(c in _ANCHOR_BAD_CHARS for c in prefix):
            continue
        if prefix[-1] + suffix[0] in _ANCHOR_GENERIC or prefix[-1] + suffix in _ANCHOR_GENERIC:
            continue
        if prefix[-1] == suffix[0]:
            continue  # 清水河河水: 水河河 is a seam, 清水河 is the name
        # 湖 in 临湖区, 江 in 江北区: a one-character kind that starts a district name is not a place.
        if len(suffix) == 1 and any(c in _ADMIN_CHARS for c in text[m.end(2) : m.end(2) + 2]):
            continue
        anchors.add(prefix + suffix)
    return frozenset(anchors)


@dataclass(frozen=True)
class EventParams:
    near_distance: int = 4  # SimHash Hamming distance for near-duplicates (see analysis.dedupe)
    dup_window: timedelta = timedelta(days=7)
    related_window: timedelta = timedelta(hours=72)
    min_similarity: float = 0.2  # same topic and region
    min_similarity_shared_scheme: float = 0.0  # ... when both hit the same monitoring scheme
    min_similarity_no_region: float = 0.5  # same topic, region unknown on both
    trend_max_hours: int = 14 * 24


DEFAULT_EVENT_PARAMS = EventParams()


@dataclass(frozen=True)
class PlacedItem:
    """What the matcher keeps of an item that already belongs to an event."""

    item_id: int
    event_id: Hashable
    at: datetime
    topic: str | None
    region: str | None
    simhash: int  # unsigned
    shingles: np.ndarray = field(default_factory=lambda: _EMPTY, compare=False)
    anchors: frozenset[str] = frozenset()
    schemes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Placement:
    event_id: Hashable
    reason: str  # near_duplicate | related
    matched_item_id: int
    score: float  # Hamming distance for near_duplicate, similarity for related


class EventMatcher:
    """Finds the event a new item belongs to among items already placed (recent ones only)."""

    def __init__(self, params: EventParams = DEFAULT_EVENT_PARAMS) -> None:
        self.params = params
        self._index = SimhashIndex(max_distance=params.near_distance)
        self._items: dict[int, PlacedItem] = {}
        self._by_key: dict[tuple[str | None, str | None], list[int]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def add(self, item: PlacedItem) -> None:
        if item.item_id in self._items:
            self.remove(item.item_id)
        self._items[item.item_id] = item
        if item.simhash:
            self._index.add(item.item_id, item.simhash)
        # Items loaded for the SimHash path only (no text) cannot be compared as related items.
        if item.shingles.size or item.anchors:
            self._by_key.setdefault((item.topic, item.region), []).append(item.item_id)

    def remove(self, item_id: int) -> None:
        item = self._items.pop(item_id, None)
        if item is None:
            return
        self._index.remove(item_id)
        ids = self._by_key.get((item.topic, item.region))
        if ids and item_id in ids:
            ids.remove(item_id)

    def find(
        self,
        *,
        item_id: int,
        at: datetime,
        topic: str | None,
        region: str | None,
        simhash: int,
        shingles: np.ndarray,
        anchors: frozenset[str] = frozenset(),
        schemes: frozenset[str] = frozenset(),
    ) -> Placement | None:
        p = self.params
        if simhash:
            for match in self._index.query(simhash):
                other = self._items[cast(int, match.key)]
                if other.item_id != item_id and abs(other.at - at) <= p.dup_window:
                    return Placement(other.event_id, "near_duplicate", other.item_id, float(match.distance))
        if topic is None:
            return None
        best: tuple[bool, float, PlacedItem] | None = None
        for other_id in self._by_key.get((topic, region), ()):
            other = self._items[other_id]
            if other.item_id == item_id or abs(other.at - at) > p.related_window:
                continue
            named_same = region is not None and bool(anchors & other.anchors)
            if region is None:
                needed = p.min_similarity_no_region
            elif schemes & other.schemes:
                needed = p.min_similarity_shared_scheme
            else:
                needed = p.min_similarity
            score = similarity(shingles, other.shingles)
            if (named_same or score >= needed) and (best is None or (named_same, score) > best[:2]):
                best = (named_same, score, other)
        if best is None:
            return None
        return Placement(best[2].event_id, "related", best[2].item_id, round(best[1], 3))


# --- what an event shows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventMember:
    item_id: int
    source_id: int | None
    kind: str
    at: datetime  # published_at, or fetched_at when the source gives no time
    title: str
    sentiment: str | None
    topic: str | None
    region: str | None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventSummary:
    title: str
    topic: str | None
    region: str | None
    tags: tuple[str, ...]
    first_item_id: int
    first_source_id: int | None
    first_seen_at: datetime
    last_seen_at: datetime
    item_count: int
    source_count: int
    kind_counts: dict[str, int]
    neg_count: int
    neu_count: int
    pos_count: int
    trend: list[list[object]] = field(default_factory=list)  # [[iso hour, count], ...]


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def hourly_trend(
    times: Iterable[datetime], max_hours: int = DEFAULT_EVENT_PARAMS.trend_max_hours
) -> list[list[object]]:
    """Dense hourly counts from the first to the last hour (the last `max_hours` hours at most)."""
    counts = Counter(_hour(t) for t in times)
    if not counts:
        return []
    last = max(counts)
    first = max(min(counts), last - timedelta(hours=max_hours - 1))
    trend: list[list[object]] = []
    hour = first
    while hour <= last:
        trend.append([hour.isoformat(), counts.get(hour, 0)])
        hour += timedelta(hours=1)
    return trend


def _most_common(values: Iterable[str | None]) -> str | None:
    counter = Counter(v for v in values if v)
    return counter.most_common(1)[0][0] if counter else None


def summarize_event(members: Sequence[EventMember]) -> EventSummary:
    """Aggregate an event's members (recomputed from scratch, so re-analysis never double-counts)."""
    if not members:
        raise ValueError("an event needs at least one item")
    first = min(members, key=lambda m: (m.at, m.item_id))
    sentiments = Counter(m.sentiment for m in members)
    tag_counts = Counter(t for m in members for t in m.tags)
    return EventSummary(
        title=first.title,
        topic=_most_common(m.topic for m in members),
        region=_most_common(m.region for m in members),
        tags=tuple(t for t, _ in tag_counts.most_common()),
        first_item_id=first.item_id,
        first_source_id=first.source_id,
        first_seen_at=first.at,
        last_seen_at=max(m.at for m in members),
        item_count=len(members),
        source_count=len({m.source_id for m in members}),
        kind_counts=dict(sorted(Counter(m.kind for m in members).items())),
        neg_count=sentiments.get("negative", 0),
        neu_count=sentiments.get("neutral", 0),
        pos_count=sentiments.get("positive", 0),
        trend=hourly_trend(m.at for m in members),
    )
