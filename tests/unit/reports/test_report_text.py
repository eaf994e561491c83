"""The generated prose: different data must earn different sentences, not the same paragraph with new numbers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from reports import text as t
from reports.periods import parse_week
from reports.queries import Counted, TaskFigures
from reports.weekly import BurstEpisode, DayFigures, DepartmentRow, Headline, Rising, SchemeRow, WeeklyData

WEEK = parse_week("2026-W47")


def headline(
    hotline: int = 0, board: int = 0, news: int = 0, neg: int = 0, neu: int = 0, pos: int = 0, **kw: object
) -> Headline:
    base = Headline(
        items_by_kind={"hotline": hotline, "board": board, "news": news},
        sentiment={"negative": neg, "neutral": neu, "positive": pos, "unanalyzed": 0},
        alerts_by_level={},
        events_new=0,
        events_active=0,
        tasks=TaskFigures(),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def week(totals: list[int], **kw: object) -> WeeklyData:
    days = [
        DayFigures(day=d, total=n, sentiment={"negative": 0, "neutral": n, "positive": 0}, levels={})
        for d, n in zip(WEEK.days, totals, strict=True)
    ]
    data = WeeklyData(
        period=WEEK, office="某市人民政府办公室", generated_at=WEEK.end, as_of=WEEK.end,
        current=headline(hotline=sum(totals), neu=sum(totals)), previous=headline(), days=days, topics=[], tags=[],
        regions=[], events=[], bursts=[], departments=[], overdue=[], overdue_more=0, schemes=[], rising=[],
    )  # fmt: skip
    return replace(data, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (120, 100, "较上周增加20条（上升20.0%）"),
        (80, 100, "较上周减少20条（下降20.0%）"),
        (102, 100, "与上周基本持平（增加2条）"),
        (100, 100, "与上周持平"),
        (5, 0, "上周为0"),
    ],
)
def test_change_phrase(current: int, previous: int, expected: str) -> None:
    assert t.change_phrase(current, previous) == expected


def test_volume_sentences_follow_the_data() -> None:
    rise = "".join(
        t.volume_sentences(headline(hotline=80, board=10, news=10), headline(hotline=40, board=5, news=5))
    )
    assert "信息量明显上升" in rise and "以12345热线工单为主（占80.0%）" in rise
    fall = "".join(
        t.volume_sentences(headline(hotline=30, board=30, news=30), headline(hotline=60, board=60, news=60))
    )
    assert "信息量明显回落" in fall and "各渠道分布相对均衡" in fall and "以" not in fall.split("，")[-1]
    first = "".join(t.volume_sentences(headline(board=7), headline()))
    assert "不作比较" in first and "全部来自这一渠道" in first


@pytest.mark.parametrize(
    ("cur", "prev", "says", "never"),
    [
        ((45, 55, 0), (20, 80, 0), "负面情绪较为集中", "有所缓解"),
        ((30, 70, 0), (20, 80, 0), "负面情绪有所抬头", "较为集中"),
        ((10, 90, 0), (30, 70, 0), "负面情绪有所缓解", "抬头"),
        ((10, 40, 50), (10, 40, 50), "总体评价较为积极", "负面情绪"),
    ],
)
def test_sentiment_sentence_picks_its_judgement(
    cur: tuple[int, int, int], prev: tuple[int, int, int], says: str, never: str
) -> None:
    sentence = "".join(
        t.sentiment_sentences(
            headline(hotline=sum(cur), neg=cur[0], neu=cur[1], pos=cur[2]),
            headline(hotline=sum(prev), neg=prev[0], neu=prev[1], pos=prev[2]),
        )
    )
    assert says in sentence and never not in sentence


def test_peak_day_sentence_distinguishes_a_spike_from_a_flat_week() -> None:
    spike = t.peak_day_sentence(week([2, 2, 20, 2, 2, 2, 2]))
    assert "11月18日（周三）" in spike and "明显高于" in spike
    flat = t.peak_day_sentence(week([10, 10, 11, 10, 10, 10, 10]))
    assert "较为平稳" in flat


def test_topic_sentences_concentration_and_movers() -> None:
    topics = [Counted("城乡建设", 50, 20), Counted("环境保护", 20, 22), Counted("交通运输", 10, 30)]
    sentence = "".join(t.topic_sentences(topics, 80))
    assert "城乡建设类信息最多（50条，占62.5%）" in sentence
    assert "诉求集中度较高" in sentence
    assert "城乡建设类增加最多（+30条）" in sentence and "交通运输类减少最多（-20条）" in sentence
    spread = "".join(t.topic_sentences([Counted("A", 10, 10), Counted("B", 9, 9), Counted("C", 9, 9)], 100))
    assert "集中度" not in spread and "增加最多" not in spread


def test_response_sentences_praise_or_warn() -> None:
    perfect = headline(tasks=TaskFigures(on_time=5, median_response_hours=3.0))
    text = "".join(t.response_sentences(perfect, headline()))
    assert "全部按时回应" in text and "3.0小时" in text
    poor = headline(tasks=TaskFigures(on_time=3, late=1, overdue=2, in_progress=1))
    better_than_before = headline(tasks=TaskFigures(on_time=1, late=3))
    text = "".join(t.response_sentences(poor, better_than_before))
    assert "按时回应率50.0%" in text and "虽较上周上升25.0个百分点，但仍低于80%" in text
    assert "超期未回应事项2件" in text
    nothing = t.response_sentences(headline(), headline())
    assert nothing == ["本周无到期或办结的回应事项。"]


def test_department_sentence_names_the_worst_and_the_best() -> None:
    rows = [
        DepartmentRow("市住建局", on_time=2, late=3, overdue=4, in_progress=0, median_hours=30.0),
        DepartmentRow("市交通局", on_time=1, late=0, overdue=1, in_progress=0, median_hours=5.0),
        DepartmentRow("市教育局", on_time=4, late=0, overdue=0, in_progress=1, median_hours=2.0),
    ]
    text = t.department_sentence(rows)
    assert "2个部门存在超期未回应事项，其中市住建局最多（4件），超时回应亦最多（3件）" in text
    assert "市教育局全部按时回应" in text
    clean = t.department_sentence([rows[2]])
    assert "各部门均无超期未回应事项" in clean


def _burst(after_count: int, after_hours: float) -> BurstEpisode:
    start = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)
    return BurstEpisode(
        topic="环境保护", region="临湖区", start=start, end=start + timedelta(hours=2), buckets=2, total=9,
        peak_count=6, peak_bucket_minutes=60, peak_baseline=0.5, max_score=8.0, event_title="",
        after_count=after_count, after_hours=after_hours,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("after", "hours", "says"),
    [
        (2, 24, "已回落至常态水平"),
        (40, 24, "热度有所回落，但仍高于常态"),
        (120, 24, "热度仍处高位"),
        (0, 0, "待下周观察"),
    ],
)
def test_burst_development(after: int, hours: float, says: str) -> None:
    sentence = t.burst_sentence(_burst(after, hours))
    assert sentence.startswith(
        "11月19日14时起，临湖区环境保护类信息短时集中出现，1小时内最多6条，约为常态水平（0.5条）的12.0倍"
    )
    assert says in sentence


def test_outlook_names_rising_topics_or_says_calm() -> None:
    rising = week(
        [1] * 7, rising=[Rising("交通运输", "topic", 1.0, 4.0, 8), Rising("欠薪", "tag", 0.0, 3.0, 6)]
    )
    text = "".join(t.outlook(rising))
    assert (
        "交通运输类信息日均由工作日的1.0条升至周末的4.0条" in text and "欠薪相关信息在周末新出现6条" in text
    )
    calm = "".join(t.outlook(week([1] * 7)))
    assert "未见明显升温" in calm


def test_scheme_sentence_flags_always_alert_schemes() -> None:
    rows = [SchemeRow("黑臭水体", 4, 3, 1, ["黑臭"], False), SchemeRow("生命安全", 1, 1, 0, ["轻生"], True)]
    text = t.scheme_sentence(rows)
    assert (
        "共命中信息5条次" in text
        and "“黑臭水体”命中最多（4条）" in text
        and "“生命安全”（1条）属命中即预警" in text
    )
    assert t.scheme_sentence([SchemeRow("黑臭水体", 0, 0, 2, [], False)]) == "本周各监测方案均未命中。"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("小区停水三天了。物业不管。", "小区停水三天了"),
        ("没有句号的一句很长的话" * 10, ("没有句号的一句很长的话" * 10)[:80] + "……"),
        ("  多个   空格  ", "多个 空格"),
        ("", ""),
    ],
)
def test_excerpt(raw: str, expected: str) -> None:
    assert t.excerpt(raw) == expected


@pytest.mark.parametrize(("n", "cn"), [(1, "一"), (7, "七"), (10, "十"), (12, "十二"), (21, "二十一")])
def test_ordinal(n: int, cn: str) -> None:
    assert t.ordinal(n) == cn


def test_level_name_uses_full_width_brackets() -> None:
    assert t.level_name(4) == "I级（红色）"
    assert t.level_name(0) == "无"
