"""analysis.events: placing items by SimHash or relatedness, and what an event shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analysis.dedupe import simhash64
from analysis.events import (
    EventMatcher,
    EventMember,
    PlacedItem,
    hourly_trend,
    similarity,
    summarize_event,
    text_anchors,
    text_shingles,
)

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
WATER = "江北区清水河近期水体发黑发臭，河面上漂浮着死鱼，周边居民不敢开窗，请环保部门尽快治理。"


def _placed(
    item_id: int,
    event_id: int,
    text: str,
    *,
    at: datetime = T0,
    topic: str = "环境保护",
    region: str | None = "江北区",
    schemes: frozenset[str] = frozenset(),
) -> PlacedItem:
    return PlacedItem(
        item_id,
        event_id,
        at,
        topic,
        region,
        simhash64(text),
        text_shingles(text),
        text_anchors(text),
        schemes,
    )


def _find(
    matcher: EventMatcher,
    text: str,
    *,
    item_id: int = 99,
    at: datetime = T0,
    topic: str = "环境保护",
    region: str | None = "江北区",
    schemes: frozenset[str] = frozenset(),
):  # type: ignore[no-untyped-def]
    return matcher.find(
        item_id=item_id,
        at=at,
        topic=topic,
        region=region,
        simhash=simhash64(text),
        shingles=text_shingles(text),
        anchors=text_anchors(text),
        schemes=schemes,
    )


def test_a_copy_joins_as_near_duplicate_across_topic_and_region() -> None:
    matcher = EventMatcher()
    matcher.add(_placed(1, 10, WATER))
    placement = _find(matcher, "转发：" + WATER, topic="城乡建设", region=None)
    assert placement is not None
    assert (placement.event_id, placement.reason, placement.matched_item_id) == (10, "near_duplicate", 1)


def test_a_copy_outside_the_duplicate_window_starts_a_new_event() -> None:
    matcher = EventMatcher()
    matcher.add(_placed(1, 10, WATER))
    assert _find(matcher, WATER, at=T0 + timedelta(days=8), topic="x") is None


@pytest.mark.parametrize(
    ("text", "joins"),
    [
        # the same river named, other words
        ("清水河的水又黑又臭，蚊虫很多，住在河边的老人孩子都受不了。", True),
        # same incident without the name but with much shared wording
        ("近期江北区河道水体发黑发臭，漂浮死鱼，居民不敢开窗", True),
        # same topic and district, a different matter
        ("小区旁边的饭店油烟太大，每天中午晚上熏得家里全是油烟味。", False),
        ("夜间施工噪音扰民，凌晨两点还在打桩，严重影响休息。", False),
    ],
)
def test_related_items_need_the_same_topic_region_and_shared_wording(text: str, joins: bool) -> None:
    matcher = EventMatcher()
    matcher.add(_placed(1, 10, WATER))
    placement = _find(matcher, text)
    assert (placement is not None and placement.reason == "related") is joins
    assert _find(matcher, text, region="临湖区") is None  # never across regions
    assert _find(matcher, text, topic="城乡建设") is None  # never across topics


def test_related_window_and_shared_scheme() -> None:
    matcher = EventMatcher()
    matcher.add(
        _placed(
            1,
            10,
            "拖欠工资的事再不解决，我们就一起去市政府门口拉横幅。",
            topic="劳动和社会保障",
            schemes=frozenset({"群体性事件苗头"}),
        )
    )
    other = "工人们说明天要到市政府门口讨说法，欠薪半年了。"  # little shared wording (门口)
    kwargs = {"topic": "劳动和社会保障"}
    assert _find(matcher, other, **kwargs) is None  # little shared wording
    assert _find(matcher, other, schemes=frozenset({"群体性事件苗头"}), **kwargs) is not None
    late = T0 + timedelta(hours=73)
    assert _find(matcher, other, at=late, schemes=frozenset({"群体性事件苗头"}), **kwargs) is None


def test_best_related_match_wins_and_removed_items_are_gone() -> None:
    matcher = EventMatcher()
    matcher.add(_placed(1, 10, "滨河路旁边的河水发臭。"))
    matcher.add(_placed(2, 20, "江北区滨河路附近的河道黑臭，水面漂浮死鱼，气味刺鼻。"))
    placement = _find(matcher, "滨河路附近河道黑臭，水面漂浮死鱼，气味刺鼻，几天了")
    assert placement is not None and placement.event_id == 20
    matcher.remove(2)
    matcher.remove(1)
    assert len(matcher) == 0 and 1 not in matcher


def test_items_loaded_without_text_only_serve_the_duplicate_path() -> None:
    matcher = EventMatcher()
    matcher.add(PlacedItem(1, 10, T0, None, None, simhash64(WATER)))
    assert _find(matcher, WATER) is not None
    assert _find(matcher, "清水河又黑又臭，蚊虫很多") is None


@pytest.mark.parametrize(
    ("text", "anchors"),
    [
        ("江北区幸福河近日出现大面积黑臭", {"幸福河"}),
        ("宏达建筑公司拖欠农民工工资", {"宏达建筑公司"}),
        ("云江宏达建设工程有限公司", {"宏达建设工程公司"}),  # not the same employer as 宏达科技有限公司
        ("云江宏达科技有限公司", {"宏达科技公司"}),
        ("我们在滨江路的宏达公司工地干活", {"滨江路", "宏达公司"}),
        ("小区门口马路上全是坑，这条路太烂了", set()),
        ("物业公司不作为", set()),
    ],
)
def test_anchors(text: str, anchors: set[str]) -> None:
    assert text_anchors(text) == anchors


def test_similarity_ignores_boilerplate_and_region_names() -> None:
    a = text_shingles("江北区居民反映问题，希望有关部门尽快解决")
    b = text_shingles("江北区群众反映问题，恳请相关部门尽快处理")
    assert similarity(a, b) == 0.0
    assert similarity(text_shingles(WATER), text_shingles(WATER)) == 1.0


def _member(
    item_id: int,
    minutes: int,
    kind: str = "board",
    source: int = 1,
    sentiment: str = "negative",
    tags: tuple[str, ...] = (),
) -> EventMember:
    return EventMember(
        item_id,
        source,
        kind,
        T0 + timedelta(minutes=minutes),
        f"标题{item_id}",
        sentiment,
        "环境保护",
        "江北区",
        tags,
    )


def test_summary_first_source_counts_and_mix() -> None:
    members = [
        _member(5, 30, "board", 1, "negative", ("生态环境",)),
        _member(3, 10, "hotline", 2, "negative", ("生态环境",)),  # earliest published: 首发, whatever its id
        _member(9, 90, "news", 3, "neutral"),
        _member(7, 50, "board", 1, "positive"),
    ]
    summary = summarize_event(members)
    assert (summary.first_item_id, summary.first_source_id, summary.title) == (3, 2, "标题3")
    assert summary.first_seen_at == T0 + timedelta(minutes=10)
    assert summary.last_seen_at == T0 + timedelta(minutes=90)
    assert (summary.item_count, summary.source_count) == (4, 3)
    assert summary.kind_counts == {"board": 2, "hotline": 1, "news": 1}
    assert (summary.neg_count, summary.neu_count, summary.pos_count) == (2, 1, 1)
    assert summary.tags == ("生态环境",)
    assert summary.trend == [[T0.isoformat(), 3], [(T0 + timedelta(hours=1)).isoformat(), 1]]


def test_trend_is_dense_and_capped() -> None:
    times = [T0, T0 + timedelta(hours=3)]
    assert [c for _, c in hourly_trend(times)] == [1, 0, 0, 1]
    assert len(hourly_trend([T0, T0 + timedelta(days=30)], max_hours=48)) == 48
    with pytest.raises(ValueError):
        summarize_event([])


def test_unknown_region_joins_only_on_a_named_place_or_much_shared_wording() -> None:
    matcher = EventMatcher()
    matcher.add(_placed(1, 10, WATER))  # 江北区
    named = _find(matcher, "清水河的水又黑又臭，蚊虫很多。", region=None)
    assert named is not None and named.event_id == 10
    # same topic, region unknown, related but not enough wording in common
    assert _find(matcher, "河里最近有点发黑，还有异味，夏天蚊子多", region=None) is None
    # a known other region never joins, named place or not
    assert _find(matcher, "清水河的水又黑又臭，蚊虫很多。", region="临湖区") is None


def test_old_events_take_no_new_items() -> None:
    matcher = EventMatcher()
    # the event began 6 days before its latest item, which is the one loaded
    matcher.add(
        PlacedItem(
            5,
            10,
            T0,
            "环境保护",
            "江北区",
            simhash64(WATER),
            text_shingles(WATER),
            text_anchors(WATER),
            event_start=T0 - timedelta(days=6),
        )
    )
    assert _find(matcher, WATER, at=T0 + timedelta(hours=23)) is not None
    assert (
        _find(matcher, WATER, at=T0 + timedelta(days=1, hours=1)) is None
    )  # more than 7 days after it began


def test_different_names_of_the_same_kind_keep_reports_apart() -> None:
    matcher = EventMatcher()
    matcher.add(
        _placed(1, 10, "举报云江鑫源餐饮管理有限公司恶意欠薪，拖欠我们三个月工资", topic="劳动和社会保障")
    )
    # the same complaint template about another employer: much shared wording, but another company
    other = "举报云江腾飞商贸有限公司恶意欠薪，拖欠我们三个月工资"
    assert _find(matcher, other, topic="劳动和社会保障") is None
    same = "鑫源餐饮管理有限公司欠薪三个月，老板不接电话"
    assert _find(matcher, same, topic="劳动和社会保障") is not None


def test_an_event_does_not_spread_across_regions_through_a_member_of_unknown_region() -> None:
    matcher = EventMatcher()
    matcher.add(_placed(1, 10, WATER, region="江北区"))
    matcher.add(_placed(2, 10, "清水河又黑又臭", region=None))  # joined the 江北区 event
    # a 临湖区 report naming the same river must not join through the unknown-region member
    assert _find(matcher, "清水河又黑又臭，蚊虫很多", region="临湖区") is None
