"""analysis.risk: sensitive signals, item and event scores, levels, floors and the stored factors."""

from __future__ import annotations

import pytest

from analysis.risk import (
    EventRiskInput,
    ItemRiskInput,
    RiskFactor,
    SchemeSignal,
    detect_signals,
    event_risk,
    item_risk,
    level_for_score,
)
from core.levels import Level


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("再不解决我就从楼上跳下去，不想活了", {"life_safety"}),
        ("小区燃气泄漏，味道很大", {"life_safety"}),
        ("社区组织燃气泄漏应急演练", set()),  # a drill is not a danger
        ("三十多名农民工被拖欠工资半年", {"wage_arrears_group"}),
        ("老板拖欠我两个月工资", {"wage_arrears"}),
        (
            "工地欠薪，我们几十个工人明天集体去市政府讨说法",
            {"wage_arrears_group", "group_gathering", "gov_threat"},
        ),
        ("再不处理我就找媒体曝光", {"media_threat"}),
        ("业主们准备拉横幅维权", {"group_gathering"}),
        ("已经第三次反映了，至今没有解决", {"repeated"}),
        ("之前反映过三次没人管", {"repeated"}),
        ("上周一个孩子过马路被车撞了", {"casualty", "vulnerable"}),
        ("催收的人威胁要杀我们全家", {"violence"}),
        ("昨天凌晨一帮人把我家房子强拆了", {"forced_demolition"}),
        ("养猪场老板把死猪扔进河里", {"public_health"}),
        ("独居老人摔倒在家两天才被发现", {"vulnerable_in_danger"}),
        ("五十多户种子出苗率不到三成，收成全没了", {"mass_victims", "heavy_loss"}),
        ("村主任贪污扶贫款", {"misconduct"}),
        ("井盖丢了，晚上很危险", {"safety_hazard"}),
        ("楼道里天天有煤气味，真要炸了谁负责", {"life_safety"}),  # the hazard is superseded
        ("平台泄露了我的信息，骗子冒充老师要钱", {"privacy_fraud"}),
        ("家里有瘫痪的老人，停水三天了", {"vulnerable"}),
        ("请问社保卡在哪里办理", set()),
    ],
)
def test_detect_signals(text: str, codes: set[str]) -> None:
    assert {s.code for s in detect_signals(text)} == codes


def test_signal_keeps_its_evidence_words() -> None:
    (signal,) = detect_signals("他说要跳楼")
    assert signal.evidence == ("跳楼",)


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, Level.NONE),
        (19.9, Level.NONE),
        (20, Level.IV),
        (39, Level.IV),
        (40, Level.III),
        (60, Level.II),
        (80, Level.I),
        (100, Level.I),
    ],
)
def test_level_thresholds(score: float, level: Level) -> None:
    assert level_for_score(score) is level


def _item(text: str, sentiment: str = "negative", score: float = 0.1, **kwargs: object) -> ItemRiskInput:
    return ItemRiskInput(sentiment=sentiment, sentiment_score=score, signals=detect_signals(text), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("item", "low", "high", "level"),
    [
        (_item("请问社保卡在哪里办理", "neutral", 0.5), 0, 0, Level.NONE),
        (_item("路灯坏了很久没人修", "negative", 0.2), 20, 30, Level.IV),
        (_item("老板拖欠我两个月工资，多次反映无人理睬"), 40, 59, Level.III),
        (_item("三十多名农民工被拖欠工资，明天集体去市政府拉横幅"), 80, 100, Level.I),
        (_item("不想活了，准备跳楼"), 60, 79, Level.II),
        (_item("感谢街道及时处理了燃气泄漏", "positive", 0.95), 15, 25, Level.NONE),
    ],
)
def test_item_scores(item: ItemRiskInput, low: float, high: float, level: Level) -> None:
    risk = item_risk(item)
    assert low <= risk.score <= high, risk.factors
    assert risk.level is max(level, level_for_score(risk.score))
    assert risk.score == pytest.approx(min(100, sum(f.points for f in risk.factors)), abs=0.11)


def test_every_factor_has_a_code_points_and_chinese_text() -> None:
    risk = item_risk(_item("已经第三次反映，再不解决就找记者曝光", kind="news"))
    stored = risk.factors_json()
    assert {f["factor"] for f in stored} >= {"negative", "repeated", "media_threat", "news"}
    for factor in stored:
        assert set(factor) == {"factor", "points", "text"}
        assert isinstance(factor["points"], float) and factor["points"] > 0
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(factor["text"]))
    assert stored == sorted(stored, key=lambda f: -float(f["points"]))  # type: ignore[arg-type]


def test_always_alert_scheme_sets_a_level_floor() -> None:
    hit = SchemeSignal("生命安全", always_alert=True, level=Level.I)
    risk = item_risk(ItemRiskInput("neutral", 0.5, scheme_hits=[hit]))
    assert risk.level is Level.I and risk.floor is Level.I
    assert risk.score < 80  # the level comes from the floor, not the score
    assert any(f.factor == "scheme_always_alert" for f in risk.factors)


def test_ordinary_scheme_hits_add_capped_points() -> None:
    hits = [SchemeSignal(f"s{i}", always_alert=False, level=Level.III) for i in range(5)]
    risk = item_risk(ItemRiskInput("neutral", 0.5, scheme_hits=hits))
    assert risk.score == 10 and risk.level is Level.NONE


@pytest.mark.parametrize(
    ("reply_status", "hours", "overdue", "factor"),
    [
        ("pending", 80.0, False, "unanswered"),
        ("pending", 10.0, False, None),
        ("replied", 500.0, False, None),
        ("pending", 10.0, True, "overdue"),
    ],
)
def test_unanswered_and_overdue(reply_status: str, hours: float, overdue: bool, factor: str | None) -> None:
    risk = item_risk(
        ItemRiskInput("negative", 0.3, reply_status=reply_status, pending_hours=hours, overdue=overdue)
    )
    codes = {f.factor for f in risk.factors}
    assert ({"unanswered", "overdue"} & codes) == ({factor} if factor else set())


def test_vulnerable_people_alone_in_a_neutral_text_do_not_count() -> None:
    assert item_risk(_item("学生暑假托管班怎么报名", "neutral", 0.5)).score == 0
    assert item_risk(_item("孩子在学校被打伤", "negative", 0.1)).score > 30


def _event(**kwargs: object) -> EventRiskInput:
    base: dict[str, object] = {
        "item_count": 1,
        "source_count": 1,
        "kind_counts": {"board": 1},
        "neg_count": 1,
        "max_item_score": 30.0,
        "max_item_factors": [RiskFactor("negative", 27.0, "负面情绪（负面程度90%）")],
    }
    base.update(kwargs)
    return EventRiskInput(**base)  # type: ignore[arg-type]


def test_event_risk_rises_with_volume_spread_news_and_burst() -> None:
    single = event_risk(_event())
    grown = event_risk(
        _event(item_count=8, source_count=2, kind_counts={"board": 6, "hotline": 2}, neg_count=8)
    )
    covered = event_risk(
        _event(item_count=9, source_count=3, kind_counts={"board": 6, "hotline": 2, "news": 1}, neg_count=9)
    )
    bursting = event_risk(
        _event(
            item_count=9,
            source_count=3,
            kind_counts={"board": 6, "hotline": 2, "news": 1},
            neg_count=9,
            bursting=True,
            burst_text="30分钟内同类信息8条",
        )
    )
    assert single.score < grown.score < covered.score < bursting.score
    assert single.level is Level.IV and bursting.level is Level.II
    # growth fills the headroom above the most serious item: size alone does not make an ordinary wave red
    serious = event_risk(
        _event(
            item_count=9,
            source_count=3,
            kind_counts={"board": 6, "hotline": 2, "news": 1},
            neg_count=9,
            bursting=True,
            max_item_score=70.0,
        )
    )
    assert serious.level is Level.I and serious.score < 100
    huge = event_risk(_event(item_count=10_000, source_count=50, neg_count=10_000, bursting=True))
    assert huge.score < 80 and huge.level is Level.II
    codes = {f.factor for f in bursting.factors}
    assert {"max_item", "volume", "spread", "news_coverage", "burst", "negative_share"} <= codes
    assert "负面情绪" in next(f.text for f in bursting.factors if f.factor == "max_item")


def test_event_floor_and_lone_news_article() -> None:
    assert event_risk(_event(max_item_score=10.0, floor=Level.II)).level is Level.II
    lone_news = event_risk(_event(kind_counts={"news": 1}))
    assert "news_coverage" not in {f.factor for f in lone_news.factors}


def test_event_overdue_beats_unanswered() -> None:
    codes = {f.factor for f in event_risk(_event(unanswered_count=2, overdue_count=1)).factors}
    assert "overdue" in codes and "unanswered" not in codes
