"""Explainable risk: a score 0–100 and a level (core.levels.Level) for items and events.

Pure functions. Every score is the sum of named factors, each stored as {"factor", "points", "text"} so the
dashboard can say why (简体中文). Always-alert scheme hits set a floor under the level.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.levels import Level


@dataclass(frozen=True)
class RiskFactor:
    factor: str  # stable code, e.g. "life_safety"
    points: float
    text: str  # 简体中文 reason shown to duty staff

    def to_json(self) -> dict[str, object]:
        return {"factor": self.factor, "points": round(self.points, 1), "text": self.text}


@dataclass(frozen=True)
class RiskAssessment:
    score: float  # 0..100
    level: Level
    factors: tuple[RiskFactor, ...]
    floor: Level = Level.NONE  # the lowest level allowed whatever the score (always-alert schemes)

    def factors_json(self) -> list[dict[str, object]]:
        return [f.to_json() for f in self.factors]


@dataclass(frozen=True)
class RiskParams:
    """Tunables. Thresholds are the lowest score of each level."""

    level_thresholds: Mapping[Level, float] = field(
        default_factory=lambda: {Level.I: 80.0, Level.II: 60.0, Level.III: 40.0, Level.IV: 20.0}
    )
    negativity_max: float = 30.0
    news_negative: float = 5.0
    scheme_hit: float = 5.0
    scheme_hit_max: float = 10.0
    always_alert: float = 15.0
    unanswered_hours: float = 72.0
    unanswered: float = 8.0
    overdue: float = 15.0
    positive_signal_share: float = 0.5  # sensitive signals in a positive text (thanks for a fix) count half
    # events
    # Events: the most serious item sets the base; growth (volume, spread, press, burst) fills the headroom
    # above it in proportion, so a wave of ordinary complaints with a burst and press coverage reaches II
    # (橙) and I (红) needs a serious item as well.
    volume_per_doubling: float = 3.0
    volume_max: float = 15.0
    per_extra_source: float = 5.0
    spread_max: float = 15.0
    news_coverage: float = 10.0
    burst: float = 15.0
    negative_share: float = 0.7
    negative_share_min_items: int = 3
    negative_share_points: float = 5.0
    event_unanswered: float = 5.0
    event_overdue: float = 10.0


DEFAULT_PARAMS = RiskParams()


# --- sensitive signals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalRule:
    code: str
    points: float
    label: str  # 简体中文
    pattern: re.Pattern[str]
    veto: re.Pattern[str] | None = None  # e.g. 演练 (a drill) for life-safety words


@dataclass(frozen=True)
class Signal:
    code: str
    points: float
    label: str
    evidence: tuple[str, ...]  # the words that triggered it


_WORKER_COUNT = (
    r"(?:\d{2,}|[二三四五六七八九十几数上百千]+[十百]?多?|十几|几十|数十|上百|近百|一百多|多|众多|全体|整个工地的?)"
    r"(?:名|个|位|号)?(?:农民工|工人|职工|员工|工友|师傅|务工人员)"
)
SIGNAL_RULES: tuple[SignalRule, ...] = (
    SignalRule(
        "life_safety",
        40.0,
        "涉及生命安全",
        re.compile(
            r"跳楼|跳河|轻生|自杀|自尽|寻死|不想活|活不下去|同归于尽|喝农药|割腕|爆炸|坍塌|垮塌|燃气泄漏|煤气泄漏"
            r"|中毒|触电|溺亡|溺水|起火|火灾|砍人|持刀|伤人|出人命|危及生命|生命危险"
        ),
        veto=re.compile(r"演练|科普|培训|宣传周|知识讲座|模拟"),
    ),
    SignalRule(
        "group_gathering",
        30.0,
        "群体聚集或上访苗头",
        re.compile(
            r"聚集|集体上访|上访|群访|越级|拉横幅|拉条幅|打横幅|堵路|堵门|围堵|静坐|游行|讨说法|闹事|维权群"
            r"|集体(?:去|到|找)|一起(?:去|到)(?:市|区|县|省)"
        ),
        veto=re.compile(r"演练|广场舞|聚集性疫情"),
    ),
    SignalRule(
        "gov_threat",
        20.0,
        "扬言到政府或上级部门",
        re.compile(
            r"(?:去|到|找|上)(?:市|省|区|县)?(?:政府|市委|省委|信访局|信访办|省里|北京|中央)"
            r"|层层上访|进京|(?:市|省)长信箱|中央督察|巡视组"
        ),
    ),
    SignalRule(
        "media_threat",
        15.0,
        "扬言向媒体或网络曝光",
        re.compile(r"曝光|找媒体|找记者|发到网上|发网上|上热搜|发微博|微博曝光|抖音|电视台|网上发帖|舆论"),
    ),
    SignalRule(
        "wage_arrears_group",
        25.0,
        "多名劳动者被拖欠工资",
        re.compile(
            r"(?:" + _WORKER_COUNT + r").{0,20}(?:欠薪|拖欠|讨薪|工资没发|工资未发|不发工资|血汗钱)"
            r"|(?:欠薪|拖欠|讨薪|工资没发|不发工资).{0,20}(?:" + _WORKER_COUNT + r")"
        ),
    ),
    SignalRule(
        "wage_arrears",
        10.0,
        "拖欠工资",
        re.compile(
            r"欠薪|拖欠(?:\S{0,6})?(?:工资|薪资|工钱|劳务费)|讨薪|工资(?:没|未|不)(?:发|结|给)|血汗钱"
        ),
    ),
    SignalRule(
        "vulnerable",
        12.0,
        "涉及儿童、老人等弱势群体",
        re.compile(r"儿童|孩子|小孩|学生|幼儿|婴儿|老人|老年人|孤寡|残疾人|孕妇|留守|瘫痪|重病"),
    ),
    SignalRule(
        "repeated",
        12.0,
        "多次反映仍未解决",
        re.compile(
            r"多次(?:反映|投诉|举报|来电|打电话|求助|找|拨打)|反复(?:反映|投诉)|屡次|再次(?:反映|投诉|来电)"
            r"|第[二三四五六七八九十\d]+次(?:反映|投诉|来电|留言)|至今(?:仍|还)?(?:未|没有?)(?:解决|处理|答复|回复|落实)"
            r"|一直(?:没有?|未|无人)(?:解决|处理|人管|答复|回复)|石沉大海|无人(?:理睬|处理|管|问津)|踢皮球|推诿|互相推脱"
        ),
    ),
)
# A group of unpaid workers is the stronger form of wage arrears: never count both.
_SUPERSEDES = {"wage_arrears_group": "wage_arrears"}
# Vulnerable people only raise risk when something is wrong (a negative text or another signal).
_CONTEXT_ONLY = frozenset({"vulnerable"})


def detect_signals(text: str) -> list[Signal]:
    """Sensitive signals in `text` (title and content), each with the words that triggered it."""
    found: list[Signal] = []
    for rule in SIGNAL_RULES:
        matches = [m.group() for m in rule.pattern.finditer(text)]
        if not matches:
            continue
        if rule.veto is not None and rule.veto.search(text):
            continue
        evidence = tuple(dict.fromkeys(matches))[:5]
        found.append(Signal(rule.code, rule.points, rule.label, evidence))
    codes = {s.code for s in found}
    dropped = {weaker for stronger, weaker in _SUPERSEDES.items() if stronger in codes}
    return [s for s in found if s.code not in dropped]


# --- levels -----------------------------------------------------------------------------------------------


def level_for_score(score: float, params: RiskParams = DEFAULT_PARAMS) -> Level:
    for level in (Level.I, Level.II, Level.III, Level.IV):
        if score >= params.level_thresholds[level]:
            return level
    return Level.NONE


def _finish(factors: list[RiskFactor], floor: Level, params: RiskParams) -> RiskAssessment:
    score = max(0.0, min(100.0, sum(f.points for f in factors)))
    level = max(level_for_score(score, params), floor)
    ordered = tuple(sorted(factors, key=lambda f: -f.points))
    return RiskAssessment(round(score, 1), level, ordered, floor)


# --- items ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemeSignal:
    """What risk needs to know about a scheme hit (analysis.schemes.SchemeHit satisfies it)."""

    scheme: str
    always_alert: bool
    level: Level
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemRiskInput:
    sentiment: str  # negative | neutral | positive
    sentiment_score: float  # P(positive) in [0, 1]
    signals: Sequence[Signal] = ()
    scheme_hits: Sequence[SchemeSignal] = ()
    kind: str = "board"
    reply_status: str = "none"  # none | pending | replied
    pending_hours: float | None = None  # hours since publication while no reply has come
    overdue: bool = False  # its response timer is past its limit


def item_risk(item: ItemRiskInput, params: RiskParams = DEFAULT_PARAMS) -> RiskAssessment:
    factors: list[RiskFactor] = []
    negative = item.sentiment == "negative"
    positive = item.sentiment == "positive"
    if negative:
        points = params.negativity_max * min(1.0, max(0.0, 1.0 - item.sentiment_score))
        factors.append(RiskFactor("negative", points, f"负面情绪（负面程度{1 - item.sentiment_score:.0%}）"))
    codes = {s.code for s in item.signals}
    for signal in item.signals:
        if signal.code in _CONTEXT_ONLY and not negative and len(codes) == 1:
            continue
        points = signal.points
        text = f"{signal.label}：{'、'.join(signal.evidence)}"
        if positive:
            points *= params.positive_signal_share
            text += "（正面表述，减半计分）"
        factors.append(RiskFactor(signal.code, points, text))
    ordinary = [h for h in item.scheme_hits if not h.always_alert]
    if ordinary:
        points = min(params.scheme_hit_max, params.scheme_hit * len(ordinary))
        names = "、".join(h.scheme for h in ordinary)
        factors.append(RiskFactor("scheme", points, f"命中监测方案：{names}"))
    floor = Level.NONE
    for hit in item.scheme_hits:
        if hit.always_alert:
            floor = max(floor, hit.level)
            factors.append(
                RiskFactor(
                    "scheme_always_alert",
                    params.always_alert,
                    f"命中必报方案“{hit.scheme}”（至少{hit.level.label}）",
                )
            )
    if item.kind == "news" and negative:
        factors.append(RiskFactor("news", params.news_negative, "新闻媒体负面报道"))
    if item.overdue:
        factors.append(RiskFactor("overdue", params.overdue, "已超过办理时限"))
    elif (
        item.reply_status == "pending"
        and item.pending_hours is not None
        and item.pending_hours >= params.unanswered_hours
    ):
        factors.append(RiskFactor("unanswered", params.unanswered, f"{item.pending_hours / 24:.0f}天未答复"))
    return _finish(factors, floor, params)


# --- events -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRiskInput:
    item_count: int
    source_count: int
    kind_counts: Mapping[str, int]
    neg_count: int
    max_item_score: float
    max_item_factors: Sequence[RiskFactor] = ()
    floor: Level = Level.NONE  # highest always-alert level among its items
    bursting: bool = False
    burst_text: str = ""
    unanswered_count: int = 0
    overdue_count: int = 0


def event_risk(event: EventRiskInput, params: RiskParams = DEFAULT_PARAMS) -> RiskAssessment:
    factors: list[RiskFactor] = []
    base = max(0.0, min(100.0, event.max_item_score))
    if base > 0:
        reasons = "、".join(f.text.split("：")[0].split("（")[0] for f in event.max_item_factors[:3])
        text = f"单条信息最高风险{base:.0f}分" + (f"（{reasons}）" if reasons else "")
        factors.append(RiskFactor("max_item", base, text))
    growth: list[RiskFactor] = []
    if event.item_count > 1:
        points = min(params.volume_max, params.volume_per_doubling * math.log2(event.item_count))
        growth.append(RiskFactor("volume", points, f"相关信息{event.item_count}条"))
    if event.source_count > 1:
        points = min(params.spread_max, params.per_extra_source * (event.source_count - 1))
        growth.append(RiskFactor("spread", points, f"{event.source_count}个来源同时出现"))
    news = int(event.kind_counts.get("news", 0))
    if news and event.item_count > news:
        # Coverage matters when the press picks up what citizens report; a lone article is an item risk.
        growth.append(RiskFactor("news_coverage", params.news_coverage, f"已有{news}篇新闻报道"))
    if event.bursting:
        growth.append(RiskFactor("burst", params.burst, event.burst_text or "短时间内信息量突增"))
    if (
        event.item_count >= params.negative_share_min_items
        and event.neg_count / event.item_count >= params.negative_share
    ):
        share = event.neg_count / event.item_count
        growth.append(RiskFactor("negative_share", params.negative_share_points, f"负面信息占{share:.0%}"))
    if event.overdue_count:
        growth.append(RiskFactor("overdue", params.event_overdue, f"{event.overdue_count}条信息超过办理时限"))
    elif event.unanswered_count:
        growth.append(
            RiskFactor("unanswered", params.event_unanswered, f"{event.unanswered_count}条信息久未答复")
        )
    # Growth counts in proportion to the headroom above the base: the score approaches 100 but an event of
    # ordinary complaints cannot outrank one serious report merely by size.
    headroom = 1.0 - base / 100.0
    factors.extend(RiskFactor(f.factor, f.points * headroom, f.text) for f in growth)
    return _finish(factors, event.floor, params)
