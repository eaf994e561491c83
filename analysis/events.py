"""Events: groups of near-duplicate or closely related items across sources.

Pure core. `EventMatcher` places an item: first by SimHash (a near-duplicate of an item already placed,
any topic or region, within `dup_window`), then as a related item (same topic and region, within
`related_window`, and enough shared wording). `summarize_event` computes what an event shows: the first
source (首发: earliest published), item and source counts, kind counts, sentiment mix and hourly trend.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np

from analysis.dedupe import SimhashIndex


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


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


def text_shingles(text: str) -> np.ndarray:
    """Sorted unique character bigrams of the Han text (as packed uint32), without boilerplate bigrams.

    Arrays rather than sets of strings: a run may hold tens of thousands of recent items in memory. A
    character is boilerplate when a stop bigram covers it or it spells a place ending in 区/县/市 (the
    region is compared separately); bigrams made only of boilerplate characters are dropped, which also
    removes the seams of stock phrases (反映|问题 -> 映问).
    """
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if codes.size < 2:
        return _EMPTY
    han = (codes >= 0x4E00) & (codes <= 0x9FFF)
    grams = (codes[:-1] << np.uint32(16)) | (codes[1:] & np.uint32(0xFFFF))
    where = np.searchsorted(_STOP_CODES, grams).clip(max=_STOP_CODES.size - 1)
    stop = _STOP_CODES[where] == grams
    covered = np.zeros(codes.size, dtype=bool)
    covered[:-1] |= stop
    covered[1:] |= stop
    admin = np.flatnonzero(np.isin(codes, _ADMIN_ENDINGS))
    for back in (0, 1, 2):
        covered[(admin - back).clip(min=0)] = True
    keep = han[:-1] & han[1:] & ~(covered[:-1] & covered[1:])
    if not keep.any():
        return _EMPTY
    result: np.ndarray = np.unique(grams[keep])
    return result


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Overlap coefficient: shared bigrams over the smaller set, so a short post matches a long article."""
    if not a.size or not b.size:
        return 0.0
    shared = np.intersect1d(a, b, assume_unique=True).size
    return float(shared) / min(a.size, b.size)


# Named places and organisations (幸福河, 阳光小区, 宏达公司, 滨江路): two reports naming the same one in the
# same district, topic and days are about the same thing. The two characters before the kind (or before a
# trade word: 宏达建筑(有限)公司) are the name. A lookahead, so overlapping candidates (在滨江, 滨江路) all count.
# Trade words between a company's name and 公司: 宏达(建设工程)(有限)公司.
_TRADES = (
    "建筑 物业 劳务 房地产 置业 建设 工程 科技 实业 贸易 商贸 餐饮 开发 投资 发展 管理 纺织 教育 咨询 环保 健身 物流"
    " 文化 传媒 网络 信息 电子 机械 化工 医药 食品 农业 生物 汽车 服务 家政 保安 装饰 装修 运输 能源 电力 燃气"
)
_ANCHOR = re.compile(
    r"(?=([\u4e00-\u9fff]{2})((?:" + "|".join(_TRADES.split()) + r")*)"
    r"(?:有限责任|股份有限|有限)?(水库|小区|花园|家园|公寓|大厦|广场|大道|社区|公司|集团|工地|项目|小学|中学|学校"
    r"|幼儿园|医院|卫生院|市场|商场|超市|酒店|车站|公园|河|湖|溪|沟|渠|塘|湾|苑|路|街|巷|村|厂))"
)
_ADMIN_CHARS = frozenset("区县市镇乡省")
_ANCHOR_BAD_CHARS = frozenset(
    "往去来给说找的了在是这那条个些我你他她们有和与及到从向对把被就也都还几该此某每各等本全其一二三四五六七八九十"
)
_ANCHOR_GENERIC_PREFIXES = frozenset(
    _words(
        "物业 开发 建筑 施工 建设 工程 改造 燃气 供水 电力 保险 运输 劳务 民办 公办 农贸 附近 周边 门口 旁边 对面 整个"
        " 所在 本地 当地 城市 农村 乡村 山村 马路 道路 公路 小路 大路 街道 河道 护城 城中 城乡 老旧 居民 住宅 商品"
        " 公司 集团 花园 家园 小区 工地 项目 社区 广场 大厦 公寓 市场 学校 医院 处理 污水 反映 来电 投诉 举报 位于"
        " 有限 责任 股份 " + _TRADES
    )
)
_ANCHOR_GENERIC = frozenset(
    _words(
        "马路 道路 公路 小路 大路 铁路 线路 出路 走路 过路 一路 街巷 小河 大河 运河 城河 内河 江河 河沟 水沟 小溪 农村 乡村"
        " 山村 全村 本村 邻村 工厂 药厂 小区 学校 医院 市场 公园"
    )
)


_KINDS = sorted(_ANCHOR.pattern.rsplit("(", 1)[1].rstrip(")").split("|"), key=len, reverse=True)
_KIND_PREFIXES = tuple(_KINDS)
_LONGER_NAME_TAILS = frozenset(
    _words("新村 老村 东路 西路 南路 北路 中路 大街 老街 新街 大道 新城 老城 东村 西村")
)


def text_anchors(text: str) -> frozenset[str]:
    """Named places and organisations mentioned in the text (prefix of two characters + kind)."""
    anchors: set[str] = set()
    for m in _ANCHOR.finditer(text):
        prefix, trade, suffix = m.group(1), m.group(2), m.group(3)
        if prefix in _ANCHOR_GENERIC_PREFIXES or any(c in _ANCHOR_BAD_CHARS for c in prefix):
            continue
        if prefix[-1] + suffix[0] in _ANCHOR_GENERIC or prefix[-1] + suffix in _ANCHOR_GENERIC:
            continue
        if prefix[-1] == suffix[0]:
            continue  # 清水河河水: 水河河 is a seam, 清水河 is the name
        if prefix[-1] in _ADMIN_CHARS:
            continue  # 北区河(道): the tail of a district name, not a name
        if len(suffix) == 1:
            after = text[m.end(3) : m.end(3) + 4]
            # 湖 in 临湖区: a one-character kind that starts a district name is not a place; nor is 塘 in
            # 柳塘公园 or 柳塘新村, where the character is inside a longer name.
            if any(c in _ADMIN_CHARS for c in after[:2]):
                continue
            if after.startswith(_KIND_PREFIXES) or after[:2] in _LONGER_NAME_TAILS:
                continue
        # The trade word stays: 宏达建设公司 and 宏达科技公司 are different employers.
        anchors.add(prefix + trade + suffix)
    return frozenset(anchors)


def anchor_kinds(anchors: frozenset[str]) -> frozenset[str]:
    """What the named things are: 河, 公司, 小区 ... (the suffix of each anchor)."""
    return frozenset(next((k for k in _KINDS if a.endswith(k)), a[-1:]) for a in anchors)


@dataclass(frozen=True)
class EventParams:
    near_distance: int = 4  # SimHash Hamming distance for near-duplicates (see analysis.dedupe)
    dup_window: timedelta = timedelta(days=7)
    related_window: timedelta = timedelta(hours=72)
    # An event takes no new items once it is this old: otherwise a recurring matter (the same consultation
    # every few days) chains into one event that never ends.
    max_event_age: timedelta = timedelta(days=7)
    min_similarity: float = 0.2  # same topic and region
    min_similarity_shared_scheme: float = 0.1  # ... when both hit the same monitoring scheme
    min_similarity_no_region: float = 0.5  # same topic, region unknown on one side or both
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
    event_start: datetime | None = None  # first_seen_at of its event (defaults to the item's own time)


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
        self._by_topic: dict[str | None, list[int]] = {}
        self._event_start: dict[Hashable, datetime] = {}
        self._event_regions: dict[Hashable, set[str]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def rekey(self, mapping: Mapping[Any, Hashable]) -> None:
        """Replace provisional event keys (events not yet in the database) by their ids."""
        if not mapping:
            return
        for item_id, item in list(self._items.items()):
            if item.event_id in mapping:
                self._items[item_id] = replace(item, event_id=mapping[item.event_id])
        for old, new in mapping.items():
            if old in self._event_start:
                self._event_start[new] = self._event_start.pop(old)
            if old in self._event_regions:
                self._event_regions[new] = self._event_regions.pop(old)

    def _open(self, other: PlacedItem, at: datetime) -> bool:
        start = self._event_start.get(other.event_id, other.at)
        return at - start <= self.params.max_event_age

    def add(self, item: PlacedItem) -> None:
        if item.item_id in self._items:
            self.remove(item.item_id)
        self._items[item.item_id] = item
        if item.region:
            self._event_regions.setdefault(item.event_id, set()).add(item.region)
        start = item.event_start or item.at
        known = self._event_start.get(item.event_id)
        if known is None or start < known:
            self._event_start[item.event_id] = start
        if item.simhash:
            self._index.add(item.item_id, item.simhash)
        # Items loaded for the SimHash path only (no text) cannot be compared as related items.
        if item.shingles.size or item.anchors:
            self._by_topic.setdefault(item.topic, []).append(item.item_id)

    def remove(self, item_id: int) -> None:
        item = self._items.pop(item_id, None)
        if item is None:
            return
        self._index.remove(item_id)
        ids = self._by_topic.get(item.topic)
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
                if other.item_id != item_id and abs(other.at - at) <= p.dup_window and self._open(other, at):
                    return Placement(other.event_id, "near_duplicate", other.item_id, float(match.distance))
        if topic is None:
            return None
        best: tuple[bool, float, PlacedItem] | None = None
        kinds = anchor_kinds(anchors)
        for other_id in self._by_topic.get(topic, ()):
            other = self._items[other_id]
            if other.item_id == item_id or abs(other.at - at) > p.related_window or not self._open(other, at):
                continue
            # Different known regions never join. An unknown region (the text names none) may join a known
            # one, but only on a named place or much shared wording.
            known = region is not None and other.region is not None
            if known and region != other.region:
                continue
            # ... nor through a member of unknown region whose event already lies in another region.
            if region is not None and self._event_regions.get(other.event_id, {region}) - {region}:
                continue
            named_same = bool(anchors & other.anchors)
            if not named_same and kinds & anchor_kinds(other.anchors):
                continue  # each names a different river (company, estate ...): not the same matter
            if not known:
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
