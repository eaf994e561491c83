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
    requires: str | None = None  # evaluate only when this (weaker, cheaper) signal is present
    gate: tuple[str, ...] = ()  # evaluate the regex part only when one of these words occurs


@dataclass(frozen=True)
class Signal:
    code: str
    points: float
    label: str
    evidence: tuple[str, ...]  # the words that triggered it


# Counts of people: 三十多名, 一百多个, 几十户, 上百位 ...
# The lookahead lets the regex engine reject most positions with one character test.
_COUNT = r"(?=[\d一两二三四五六七八九十几数上近好成])(?:\d{2,}|[一两二三四五六七八九]?[十百千][一二三四五六七八九]?多?|十几|几十|数十|几百|上百|近百|好几十|成百上千)"
_WORKERS = r"(?:农民工|工人|职工|员工|工友|师傅|务工人员|老师|教师|代课教师|保安|保洁|骑手|司机)"
_PEOPLE = r"(?:人|户|家|村民|居民|老人|学生|孩子|业主|群众|工人|职工|家长|患者|储户|投资人|会员|住户)"
_WAGES = r"(?:欠薪|拖欠|讨薪|讨要工资|工资(?:\S{0,6})?(?:没|未|不)(?:发|结|给)|(?:没|不)发工资|血汗钱|卷钱跑)"
_VULNERABLE = (
    r"(?:儿童|孩子|小孩|学生|幼儿|婴儿|老人|老年人|孤寡|独居|残疾|孕妇|留守|瘫痪|重病|智障|低保户|五保户|爷爷|奶奶"
    r"|老母亲|父母)"
)
_DRILL = re.compile(r"演练|科普|培训|宣传周|知识讲座|模拟|应急预案")

SIGNAL_RULES: tuple[SignalRule, ...] = (
    SignalRule(
        "casualty",
        40.0,
        "已有人员伤亡",
        re.compile(
            r"死亡|身亡|丧生|丧命|遇难|出了人命|伤亡|重伤|骨折|昏迷|抢救|ICU|重症监护|被撞|撞伤|撞死|打伤|烫伤"
            r"|摔伤|砸伤|压断|截肢|进了医院|躺在医院|医院躺着|上吐下泻|食物中毒|中毒|被咬伤|没等到|车撞|撞倒|车祸"
        ),
        veto=_DRILL,
    ),
    SignalRule(
        "life_safety",
        35.0,
        "危及生命安全",
        re.compile(
            r"跳楼|跳河|轻生|自杀|自尽|寻死|不想活|活不下去|同归于尽|喝农药|割腕|爆炸|要炸|炸了|坍塌|垮塌|倒塌|塌陷"
            r"|燃气泄漏|煤气泄漏|漏气|煤气味|燃气味|起火|火灾|着火|触电|溺亡|溺水|滑坡|泥石流|决堤|溃坝"
            r"|出人命|人命关天|危及生命|生命危险|下坠|困人|被困"
        ),
        veto=_DRILL,
    ),
    SignalRule(
        "safety_hazard",
        20.0,
        "存在安全隐患",
        re.compile(
            r"安全隐患|隐患|超载|出了事谁负责|出事谁负责|迟早要出事|随时可能|裂缝|开裂|裂了|渗水|漏电|危险|摇摇欲坠"
        ),
        veto=_DRILL,
    ),
    SignalRule(
        "violence",
        40.0,
        "暴力、威胁或虐待",
        re.compile(
            r"殴打|打人|被打|打了一顿|暴打|砍人|持刀|动刀|伤人|威胁要?杀|杀了|打断.{0,3}腿|报复|投毒|泼粪|泼油漆|家暴"
            r"|虐待|虐童|针扎|性侵|猥亵|强奸|绑架|非法拘禁|暴力催收|恐吓"
        ),
    ),
    SignalRule(
        "forced_demolition",
        30.0,
        "强拆强征",
        re.compile(r"强拆|强行拆|强征|强行征|强占|推土机|没有任何批文|未批先建.{0,6}征"),
    ),
    SignalRule(
        "public_health",
        30.0,
        "食品药品或公共卫生安全",
        re.compile(
            r"病死猪|死猪|病猪|疫情扩散|瞒报|传染|猪瘟|禽流感|假疫苗|过期疫苗"
            r"|饮用水.{0,8}(?:异味|怪味|污染|发臭)|自来水.{0,8}(?:异味|怪味|柴油味|发臭)|集体.{0,4}(?:腹泻|中毒)"
        ),
        veto=_DRILL,
    ),
    SignalRule(
        "vulnerable_in_danger",
        35.0,
        "弱势群体身处险境",
        re.compile(
            _VULNERABLE
            + r".{0,16}(?:摔倒|流浪|遗弃|走失|冻伤|受冻|挨冻|冻死|挨饿|饿着|无人照看|没人照看|被困|虐|欺负|失踪|辍学)"
        ),
        requires="vulnerable",
    ),
    SignalRule(
        "heavy_loss",
        20.0,
        "群众重大财产损失",
        re.compile(
            r"绝收|颗粒无收|收成全没|倾家荡产|血本无归|一辈子的积蓄|全部积蓄|养老钱|拿不回来|非法集资|集资诈骗|爆雷"
        ),
    ),
    SignalRule(
        "privacy_fraud",
        25.0,
        "个人信息泄露或诈骗",
        re.compile(r"泄露.{0,6}信息|信息.{0,6}泄露|泄露了信息|冒充.{0,8}(?:要钱|骗)|诈骗|骗子"),
    ),
    SignalRule(
        "group_gathering",
        30.0,
        "群体聚集或上访苗头",
        re.compile(
            r"聚集|集体上访|上访|群访|越级|请愿|拉横幅|拉条幅|打横幅|堵路|堵门|堵高速|堵在.{0,6}门口|围堵|围攻|静坐|游行"
            r"|讨说法|闹事|维权群|冲突|拦在|拦住|集体(?:去|到|找|行动)|一起(?:去|到)(?:市|区|县|省)|联名"
        ),
        veto=re.compile(r"演练|广场舞|聚集性疫情"),
    ),
    SignalRule(
        "gov_threat",
        20.0,
        "扬言到政府或上级部门",
        re.compile(
            r"(?:去|到|找|上|写信给|告到)(?:市|省|区|县)?\S{0,4}(?:政府|市委|省委|信访局|信访办|省里|北京|中央|厅|书记|市长|省长)"
            r"|层层上访|进京|(?:市|省)长信箱|中央督察|巡视组|纪委"
        ),
        gate=("政府", "市委", "省委", "信访", "省里", "北京", "中央", "厅", "书记", "市长", "省长", "信箱"),
    ),
    SignalRule(
        "media_threat",
        15.0,
        "扬言向媒体或网络曝光",
        re.compile(
            r"曝光|媒体|记者|发到网上|发网上|上热搜|发微博|微博|抖音|电视台|网上发帖|舆论|实名举报|实名写信"
        ),
    ),
    SignalRule(
        "wage_arrears_group",
        35.0,
        "多名劳动者被拖欠工资",
        re.compile(
            r"(?:"
            + _COUNT
            + r"(?:名|个|位|号)?"
            + _WORKERS
            + r").{0,24}"
            + _WAGES
            + r"|"
            + _WAGES
            + r".{0,24}(?:"
            + _COUNT
            + r"(?:名|个|位|号)?"
            + _WORKERS
            + r")"
        ),
        requires="wage_arrears",
    ),
    SignalRule(
        "wage_arrears",
        10.0,
        "拖欠工资",
        re.compile(_WAGES + r"|工伤.{0,8}不(?:认|管|赔|配合)"),
        gate=("欠", "拖", "讨", "工资", "血汗", "卷钱", "工伤"),
    ),
    SignalRule(
        "mass_victims",
        15.0,
        "多人或多户利益受损",
        re.compile(r"(?<![第])" + _COUNT + r"(?:名|个|位|户|家|多户|多家)?" + _PEOPLE),
    ),
    SignalRule(
        "misconduct",
        15.0,
        "涉嫌腐败、涉黑涉恶",
        re.compile(
            r"贪污|腐败|受贿|行贿|挪用|侵占.{0,4}款|吃拿卡要|以权谋私|包庇|充当保护伞|私分|黑恶|涉黑|保护费"
        ),
    ),
    SignalRule(
        "vulnerable",
        12.0,
        "涉及儿童、老人等弱势群体",
        re.compile(_VULNERABLE[3:-1]),  # the bare alternation: plain words, for the automaton
    ),
    SignalRule(
        "repeated",
        12.0,
        "多次反映仍未解决",
        re.compile(
            r"多次(?:反映|投诉|举报|来电|打电话|求助|找|拨打|上报|报警|报告)|反复(?:反映|投诉)|屡次|再次(?:反映|投诉|来电)"
            r"|(?:反映|投诉|报告|上报|报警|留言)(?:过|了)?(?:[\d一二两三四五六七八九十几好多]+|好几)次"
            r"|第[二三四五六七八九十\d]+次(?:反映|投诉|来电|留言)|至今(?:仍|还)?(?:未|没有?)(?:解决|处理|答复|回复|落实|破案)"
            r"|一直(?:没有?|未|无人)(?:解决|处理|人管|答复|回复|破案)|石沉大海|无人(?:理睬|处理|管|问津)|没人管"
            r"|踢皮球|推诿|互相推脱|反映了一年|说在评估"
        ),
        gate=("次", "至今", "一直"),
    ),
)
# A stronger signal makes a weaker one redundant (never count both).
_SUPERSEDES = {
    "wage_arrears_group": ("wage_arrears", "mass_victims"),
    "vulnerable_in_danger": ("vulnerable",),
    "life_safety": ("safety_hazard",),
    "casualty": ("safety_hazard",),
}
# These only raise risk when something is wrong (a negative text or another signal).
_CONTEXT_ONLY = frozenset({"vulnerable", "mass_victims", "media_threat", "privacy_fraud"})


_META = frozenset("\\.^$*+?{}[]()|")


def _top_level_alternatives(pattern: str) -> list[str]:
    """Split a regex at its top-level '|' (outside groups, classes and escapes)."""
    parts: list[str] = []
    depth = 0
    in_class = False
    start = 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


_QUANTIFIERS = frozenset("?*{")  # quantifiers that make the preceding item optional


def _group_end(pattern: str, start: int) -> int:
    """The index just past the group opening at pattern[start] == '('."""
    depth = 0
    in_class = False
    i = start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced group in {pattern!r}")


def _first_literals(alternative: str) -> set[str] | None:
    """Literal strings one of which every match of this regex alternative starts with (None: no such set
    is known). A text holding none of them cannot match, so the regex need not run."""
    i = 0
    # zero-width assertions at the start consume nothing: what follows them starts the match
    while alternative.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
        i = _group_end(alternative, i)
    rest = alternative[i:]
    if rest.startswith("(?:"):
        end = _group_end(rest, 0)
        if end < len(rest) and rest[end] in _QUANTIFIERS:
            return None
        found: set[str] = set()
        for inner in _top_level_alternatives(rest[3 : end - 1]):
            literals = _first_literals(inner)
            if literals is None:
                return None
            found |= literals
        return found
    run = 0
    while run < len(rest) and rest[run] not in _META:
        run += 1
    if run < len(rest) and rest[run] in _QUANTIFIERS:
        run -= 1  # the last character is optional
    return {rest[:run]} if run > 0 else None


def _literal_words(pattern: str) -> list[str] | None:
    """The words of a pattern that is a plain alternation of literals, else None."""
    words = _top_level_alternatives(pattern)
    return None if any(not w or _META & set(w) for w in words) else words


class _SignalScanner:
    """All literal alternatives of all rules in one Aho-Corasick automaton, the rest as small regexes.

    Most signal words are plain literals; scanning a text once for all of them costs about the same as one
    regex, where 18 regexes of long alternations cost several times more. The same pass finds the words
    that decide whether the remaining regexes can match at all (each alternative's leading literals, the
    rules' gate words) and the literal veto words, so most regexes never run on a given text.
    """

    def __init__(self, rules: Sequence[SignalRule]) -> None:
        import ahocorasick

        self.rules = list(rules)
        self._automaton = ahocorasick.Automaton()
        self._residual: list[re.Pattern[str] | None] = []
        # word -> (rules it is a signal word of, rules whose regex it may start, gate of, veto of)
        words: dict[str, tuple[list[int], list[int], list[int], list[int]]] = {}

        def entry(word: str) -> tuple[list[int], list[int], list[int], list[int]]:
            return words.setdefault(word, ([], [], [], []))

        self._opened_by_literal: set[int] = set()  # regexes that run only when a leading literal occurs
        self._veto_words: set[int] = set()  # rules whose veto is found by the automaton
        for index, rule in enumerate(self.rules):
            structured: list[str] = []
            for alternative in _top_level_alternatives(rule.pattern.pattern):
                if alternative and not (_META & set(alternative)):
                    entry(alternative)[0].append(index)
                else:
                    structured.append(alternative)
            self._residual.append(re.compile("|".join(structured)) if structured else None)
            starts = [_first_literals(a) for a in structured]
            if structured and all(s is not None for s in starts):
                self._opened_by_literal.add(index)
                for literal in set().union(*(s for s in starts if s is not None)):
                    entry(literal)[1].append(index)
            for word in rule.gate:
                entry(word)[2].append(index)
            veto_words = _literal_words(rule.veto.pattern) if rule.veto is not None else None
            if veto_words is not None:
                self._veto_words.add(index)
                for word in veto_words:
                    entry(word)[3].append(index)
        for word, (signal_of, opens, gate_of, veto_of) in words.items():
            self._automaton.add_word(
                word, (len(word), tuple(signal_of), tuple(opens), tuple(gate_of), tuple(veto_of))
            )
        self._automaton.make_automaton()
        self._index = {rule.code: i for i, rule in enumerate(self.rules)}
        # Rules that others require are evaluated first.
        self._order = sorted(range(len(self.rules)), key=lambda i: self.rules[i].requires is not None)

    def scan(self, text: str) -> list[Signal]:
        hits: dict[int, list[tuple[int, str]]] = {}
        opened: set[int] = set()
        gated: set[int] = set()
        vetoed: set[int] = set()
        for end, (length, indexes, opens, gate_of, veto_of) in self._automaton.iter(text):
            if indexes:
                start = end - length + 1
                for index in indexes:
                    hits.setdefault(index, []).append((start, text[start : end + 1]))
            if opens:
                opened.update(opens)
            if gate_of:
                gated.update(gate_of)
            if veto_of:
                vetoed.update(veto_of)
        for index in self._order:
            residual = self._residual[index]
            if residual is None or (index in self._opened_by_literal and index not in opened):
                continue
            rule = self.rules[index]
            if rule.requires is not None and self._index[rule.requires] not in hits:
                continue
            if rule.gate and index not in gated:
                continue
            for m in residual.finditer(text):
                if m.end() > m.start():
                    hits.setdefault(index, []).append((m.start(), m.group()))
        found: list[Signal] = []
        for index in sorted(hits):
            rule = self.rules[index]
            if index in self._veto_words:
                if index in vetoed:
                    continue
            elif rule.veto is not None and rule.veto.search(text):
                continue
            evidence = tuple(dict.fromkeys(word for _, word in sorted(hits[index])))[:5]
            found.append(Signal(rule.code, rule.points, rule.label, evidence))
        return found


_SCANNER = _SignalScanner(SIGNAL_RULES)


def detect_signals(text: str) -> list[Signal]:
    """Sensitive signals in `text` (title and content), each with the words that triggered it."""
    found = _SCANNER.scan(text)
    codes = {s.code for s in found}
    dropped = {weak for strong, weaker in _SUPERSEDES.items() if strong in codes for weak in weaker}
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
