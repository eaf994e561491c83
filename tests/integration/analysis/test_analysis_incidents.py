"""Scripted incidents analysed from the database in steps, as the scheduler would: a wave of black-odorous
water complaints in one district growing over 20 minutes and then a news article; and a wage-arrears group
escalating to a threat of gathering at the city government. Both must come out as events with the right
first source and counts, and with risk rising as they grow."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from analysis.jobs import run_analysis
from core.clock import FixedClock, ensure_utc
from core.db import Database
from core.levels import Level
from core.models import Burst, Event, Item
from core.settings import AppConfig
from tests.integration.analysis.factory import add_item, add_sources

# (minute, source key, title, content, region given by the source)
WATER: list[tuple[int, str, str, str, str | None]] = [
    (
        0,
        "board_a",
        "江北区清水河发黑发臭",
        "最近江北区清水河的水变成了黑色，散发着刺鼻的臭味，走在河边都要捂着鼻子，希望环保部门来看看。",
        None,
    ),
    (
        5,
        "hotline",
        "清水河水体黑臭",
        "市民来电反映：江北区清水河河水发黑发臭，河面有死鱼，气味很大，要求尽快治理。",
        "江北区",
    ),
    (
        7,
        "board_a",
        "清水河臭味熏天",
        "江北区清水河这几天臭味熏天，晚上关着窗户都能闻到，家里有老人小孩，实在受不了。",
        None,
    ),
    (
        10,
        "hotline",
        "清水河出现死鱼",
        "来电人反映江北区清水河出现大量死鱼，怀疑上游有企业偷排污水，请环保部门调查。",
        "江北区",
    ),
    (
        12,
        "board_a",
        "清水河又黑又臭谁来管",
        "江北区清水河又黑又臭，已经好几天了，怀疑有人往河里排污，到底有没有人管？",
        None,
    ),
    (
        13,
        "board_b",
        "关于江北区清水河污染的投诉",
        "清水河两岸居民深受其害，河水黑臭，蚊虫滋生，强烈要求相关部门查处排污企业。",
        "江北区",
    ),
    (
        15,
        "hotline",
        "清水河偷排污水",
        "市民来电反映：江北区清水河沿岸有排污口晚上偷排黑水，河水发臭，请尽快查处。",
        "江北区",
    ),
    (
        17,
        "board_a",
        "清水河黑臭问题",
        "江北区清水河黑臭问题越来越严重，河面漂浮死鱼和泡沫，我们已经多次反映，至今没有解决。",
        None,
    ),
    (
        18,
        "board_b",
        "清水河的水能不能治一治",
        "住在江北区清水河边上，每天闻着臭味，孩子咳嗽不停，请政府赶紧治理清水河。",
        "江北区",
    ),
    (
        20,
        "hotline",
        "清水河污染严重",
        "江北区清水河水质恶化，发黑发臭，死鱼很多，周边居民情绪很大，要求尽快处理。",
        "江北区",
    ),
]
NEWS = (
    35,
    "news",
    "江北区清水河出现黑臭 环保部门已介入调查",
    "近日，不少市民反映江北区清水河出现水体发黑、发臭现象，河面漂浮死鱼。记者现场看到，部分河段水色发黑，"
    "气味刺鼻。区生态环境分局表示，已派人沿河排查排污口，并对河水取样检测。",
    None,
)
# Same district and the same kind of matter (environment), but not the river: must stay out of its event.
NOISE = [
    (
        4,
        "board_a",
        "烧烤店油烟扰民",
        "江北区滨江路一家烧烤店每天油烟很大，熏得楼上住户没法开窗，请城管处理。",
        None,
    ),
    (
        11,
        "hotline",
        "工地夜间施工噪音",
        "市民来电反映江北区建设路工地每天夜里施工到凌晨，噪音太大睡不着。",
        "江北区",
    ),
]
# (hour, source key, title, content, region)
WAGES: list[tuple[int, str, str, str, str | None]] = [
    (
        0,
        "hotline",
        "宏达建筑公司拖欠工资",
        "来电人反映：在江南区宏达建筑公司工地打工，老板拖欠两个月工资未发，要求帮助追讨。",
        "江南区",
    ),
    (
        1,
        "board_a",
        "宏达公司工地欠薪",
        "我们是江南区宏达建筑公司工地的农民工，三十多名工人被拖欠工资半年，老板一直推脱，过年都回不了家。",
        None,
    ),
    (
        2,
        "hotline",
        "宏达建筑公司欠薪多名工人",
        "江南区宏达建筑公司拖欠四十多名农民工工资，工人多次讨要无果，情绪激动。",
        "江南区",
    ),
    (
        3,
        "board_b",
        "再不发工资我们就去市政府",
        "江南区宏达建筑公司欠我们的血汗钱到现在还没给，几十个工人商量好了，再不解决明天就集体到市政府门口拉横幅讨说法。",
        None,
    ),
]
KINDS = {"board_a": "board", "board_b": "board", "hotline": "hotline", "news": "news"}


def _event_of(db: Database, item_id: int) -> Event:
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None and item.status == "analyzed" and item.event_id is not None
        event = s.get(Event, item.event_id)
        assert event is not None
        return event


def _insert(
    db: Database,
    src: dict[str, int],
    at: datetime,
    key: str,
    n: int,
    title: str,
    content: str,
    region: str | None,
) -> int:
    return add_item(db, src[key], KINDS[key], f"{key}-{n}", title, content, at, region=region)


def test_water_wave_then_news_is_one_event_with_rising_risk(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    t0 = clock.now()
    src = add_sources(db, t0, *KINDS.items())
    steps = [(0, 4), (5, 9), (10, 14), (15, 20), (21, 40)]
    script = sorted([*WATER, NEWS, *NOISE], key=lambda row: row[0])
    ids: dict[str, int] = {}
    risks: list[tuple[float, Level]] = []
    for start, end in steps:
        for n, (minute, key, title, content, region) in enumerate(script):
            if start <= minute <= end:
                ids[title] = _insert(db, src, t0 + timedelta(minutes=minute), key, n, title, content, region)
        clock.set(t0 + timedelta(minutes=end, seconds=30))
        summary = run_analysis(db, app_config, clock)
        assert summary.errors == 0
        event = _event_of(db, ids[WATER[0][2]])
        risks.append((event.risk_score, Level(event.risk_level)))

    event = _event_of(db, ids[WATER[0][2]])
    members = {title for title, item_id in ids.items() if _event_of(db, item_id).id == event.id}
    assert members == {row[2] for row in WATER} | {NEWS[2]}
    assert event.item_count == len(WATER) + 1
    assert event.source_count == 4
    assert event.kind_counts == {"board": 6, "hotline": 4, "news": 1}
    # 首发: the first board post, not the news article that came later
    assert event.first_item_id == ids[WATER[0][2]] and event.first_source_id == src["board_a"]
    assert ensure_utc(event.first_seen_at) == t0
    assert event.region == "江北区" and event.topic == "环境保护"
    assert sum(count for _, count in event.trend) == event.item_count
    assert event.neg_count >= len(WATER) - 1
    # risk rises as the wave grows and the press picks it up
    scores = [score for score, _ in risks]
    assert scores == sorted(scores) and scores[-1] > scores[0] + 20, risks
    assert risks[-1][1] >= Level.III and risks[-1][1] > risks[0][1], risks
    factors = {f["factor"] for f in event.risk_factors}
    assert {"volume", "spread", "news_coverage", "burst"} <= factors
    # the wave was seen as a burst of environment complaints in the district
    with db.session() as s:
        bursts = list(s.scalars(select(Burst).where(Burst.topic == "环境保护", Burst.region == "江北区")))
    assert bursts and bursts[0].path == "fast" and bursts[0].event_id == event.id
    # the unrelated environment complaints of the same district are events of their own
    for row in NOISE:
        assert _event_of(db, ids[row[2]]).id != event.id


def test_wage_arrears_escalating_to_a_threat_of_gathering(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    t0 = clock.now()
    src = add_sources(db, t0, *KINDS.items())
    ids: list[int] = []
    levels: list[Level] = []
    scores: list[float] = []
    for n, (hour, key, title, content, region) in enumerate(WAGES):
        ids.append(_insert(db, src, t0 + timedelta(hours=hour), key, n, title, content, region))
        clock.set(t0 + timedelta(hours=hour, minutes=2))
        run_analysis(db, app_config, clock)
        event = _event_of(db, ids[0])
        levels.append(Level(event.risk_level))
        scores.append(event.risk_score)
    event = _event_of(db, ids[0])
    assert {_event_of(db, i).id for i in ids} == {event.id}
    assert (event.item_count, event.source_count) == (4, 3)
    assert event.first_item_id == ids[0] and event.first_source_id == src["hotline"]
    assert event.region == "江南区" and event.topic == "劳动和社会保障"
    assert levels == sorted(levels) and scores == sorted(scores), (levels, scores)
    assert levels[0] <= Level.III and levels[-1] is Level.I
    factors = {f["factor"] for f in event.risk_factors}
    assert "max_item" in factors
    top = next(f for f in event.risk_factors if f["factor"] == "max_item")
    assert "群体聚集" in top["text"] or "扬言到政府" in top["text"]
