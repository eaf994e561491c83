"""The reports' prose in plain, formal Chinese, written from the data.

Each function looks at what the figures show (a rise or a fall, a concentration, a peak, an exception) and
picks its sentences accordingly; a quiet week reads differently from a busy one. Pure functions of the
frozen data classes, so they are tested with tables of cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.clock import to_local
from core.levels import Level
from reports.daily import DailyData
from reports.periods import WEEKDAYS, cn_date
from reports.queries import Counted, EventDigest
from reports.weekly import BurstEpisode, DepartmentRow, Headline, Rising, SchemeRow, WeeklyData

KIND_NAMES = {"hotline": "12345热线工单", "board": "网络留言", "news": "新闻报道"}
KIND_SHORT = {"hotline": "热线", "board": "留言", "news": "新闻"}
SENTIMENT_NAMES = {"negative": "负面", "neutral": "中性", "positive": "正面", "unanalyzed": "未分析"}
HANDLING = {
    "on_time": "已按时回应",
    "late": "已回应，但超出时限",
    "overdue": "超期未回应，需督办",
    "in_progress": "正在办理，尚在时限内",
    "resolved": "预警已处置办结",
    "alerting": "预警处置中",
    "none": "未设回应时限",
}
HANDLING_SHORT = {
    "on_time": "按时回应",
    "late": "超时回应",
    "overdue": "超期未回应",
    "in_progress": "办理中",
    "resolved": "已办结",
    "alerting": "处置中",
    "none": "未设时限",
}
ALERT_STATES = {"triggered": "待确认", "acknowledged": "已确认", "responding": "处置中", "resolved": "已办结"}
CN_ORDINALS = "一二三四五六七八九十"

# Thresholds that decide which sentence a figure earns.
FLAT_SHARE = 0.05  # a change within ±5% reads as "基本持平"
MARKED_SHARE = 0.30  # a change of 30% or more is "明显"
DOMINANT_SHARE = 0.5  # one channel with half the items "为主"
CONCENTRATED_SHARE = 0.35  # one topic with over a third of the items: "集中"
NEGATIVE_HIGH = 0.40  # negative share that deserves a warning sentence
NEGATIVE_SHIFT_PP = 5.0  # a shift of 5 percentage points or more is worth saying
ON_TIME_LOW = 0.80


# --- small formatters -------------------------------------------------------------------------------------


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


def pp_delta(current: float | None, previous: float | None) -> str:
    """Table cell for a change of a share, in percentage points."""
    if current is None or previous is None:
        return "—"
    delta = (current - previous) * 100
    return f"{delta:+.1f}个百分点"


def hours_text(hours: float | None) -> str:
    if hours is None:
        return "—"
    if hours < 1:
        return f"{max(1, round(hours * 60))}分钟"
    if hours < 48:
        return f"{hours:.1f}小时"
    return f"{hours / 24:.1f}天"


def ordinal(i: int) -> str:
    """1 -> 一, 11 -> 十一 (enough for section and list numbering)."""
    if i <= 10:
        return CN_ORDINALS[i - 1]
    if i < 20:
        return "十" + CN_ORDINALS[i - 11]
    tens, ones = divmod(i, 10)
    return CN_ORDINALS[tens - 1] + "十" + (CN_ORDINALS[ones - 1] if ones else "")


def local_time(value: datetime, *, with_day: bool = True) -> str:
    local = to_local(value)
    return f"{local.month}月{local.day}日{local.hour}时" if with_day else f"{local.hour}时"


def local_minute(value: datetime) -> str:
    local = to_local(value)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def level_name(level: int) -> str:
    """II级（橙色）: the level's label with full-width brackets, as Chinese text uses them; 无 for none."""
    if level <= 0:
        return "无"
    if level not in Level._value2member_map_:
        return str(level)
    lv = Level(level)
    return f"{lv.roman}级（{lv.colour_name}）"


def join_cn(parts: Sequence[str]) -> str:
    """A、B和C."""
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return "、".join(parts[:-1]) + "和" + parts[-1]


def excerpt(text: str, limit: int = 80) -> str:
    """The first sentence of a (masked) text, at most `limit` characters."""
    text = " ".join(text.split())
    if not text:
        return ""
    for i, ch in enumerate(text[: limit + 1]):
        if ch in "。！？!?；;" and i >= 6:  # skip openers such as 您好。
            return text[: i + 1].rstrip("。；;") if i < limit else text[:limit] + "……"
    return text if len(text) <= limit else text[:limit] + "……"


def change_phrase(current: int, previous: int, *, against: str = "上周", unit: str = "条") -> str:
    """较上周增加12条（上升15.0%） / 与上周基本持平 / 上周无此类信息."""
    if previous == 0:
        return f"{against}为0" if current else f"与{against}持平"
    delta = current - previous
    ratio = delta / previous
    if delta == 0:
        return f"与{against}持平"
    if abs(ratio) < FLAT_SHARE:
        return f"与{against}基本持平（{'增加' if delta > 0 else '减少'}{abs(delta)}{unit}）"
    word, trend = ("增加", "上升") if delta > 0 else ("减少", "下降")
    return f"较{against}{word}{abs(delta)}{unit}（{trend}{abs(ratio) * 100:.1f}%）"


def share_shift(current: float | None, previous: float | None, *, against: str = "上周") -> str:
    if current is None:
        return ""
    if previous is None:
        return ""
    delta = (current - previous) * 100
    if abs(delta) < 0.5:
        return f"与{against}基本持平"
    return f"较{against}{'上升' if delta > 0 else '下降'}{abs(delta):.1f}个百分点"


# --- the weekly report --------------------------------------------------------------------------------------


def volume_sentences(
    cur: Headline, prev: Headline, *, scope: str = "本周", against: str = "上周"
) -> list[str]:
    out = []
    total, before = cur.items_total, prev.items_total
    if before == 0:
        out.append(f"{scope}共监测到涉及本地的舆情信息{total}条（{against}无监测数据，不作比较）。")
    else:
        sentence = (
            f"{scope}共监测到涉及本地的舆情信息{total}条，{change_phrase(total, before, against=against)}"
        )
        ratio = (total - before) / before
        if ratio >= MARKED_SHARE:
            sentence += "，信息量明显上升"
        elif ratio <= -MARKED_SHARE:
            sentence += "，信息量明显回落"
        out.append(sentence + "。")
    kinds = [(k, n) for k, n in cur.items_by_kind.items() if n]
    if kinds and total:
        parts = [f"{KIND_NAMES.get(k, k)}{n}条" for k, n in cur.items_by_kind.items() if n]
        sentence = "从来源看，" + "、".join(parts)
        top_kind, top_n = max(kinds, key=lambda kv: kv[1])
        if len(kinds) == 1:
            sentence += "，全部来自这一渠道"
        elif top_n / total >= DOMINANT_SHARE:
            sentence += f"，以{KIND_NAMES.get(top_kind, top_kind)}为主（占{pct(top_n / total)}）"
        else:
            sentence += "，各渠道分布相对均衡"
        movers = [
            (k, n, prev.items_by_kind.get(k, 0))
            for k, n in cur.items_by_kind.items()
            if prev.items_by_kind.get(k, 0) >= 10
            and abs(n - prev.items_by_kind.get(k, 0)) / prev.items_by_kind[k] >= 0.5
        ]
        if movers:
            k, n, p = max(movers, key=lambda m: abs(m[1] - m[2]) / m[2])
            sentence += f"；其中{KIND_NAMES.get(k, k)}变化最大，{change_phrase(n, p, against=against)}"
        out.append(sentence + "。")
    return out


def sentiment_sentences(
    cur: Headline, prev: Headline, *, scope: str = "本周", against: str = "上周"
) -> list[str]:
    if not cur.analyzed:
        if cur.items_total:
            return [f"{scope}信息尚未完成情感分析。"]
        return []
    share, before = cur.negative_share, prev.negative_share
    neg = cur.sentiment.get("negative", 0)
    sentence = f"经情感研判，负面信息{neg}条，占已分析信息的{pct(share)}"
    shift = share_shift(share, before, against=against)
    if shift:
        sentence += f"，{shift}"
    notes = []
    assert share is not None
    if share >= NEGATIVE_HIGH:
        notes.append("负面情绪较为集中，需予以重点关注")
    elif before is not None and (share - before) * 100 >= NEGATIVE_SHIFT_PP:
        notes.append("负面情绪有所抬头")
    elif before is not None and (before - share) * 100 >= NEGATIVE_SHIFT_PP:
        notes.append("负面情绪有所缓解")
    if notes:
        sentence += "，" + "，".join(notes)
    pos = cur.sentiment.get("positive", 0)
    if pos and pos >= neg:
        sentence += f"；正面信息{pos}条，不少于负面信息，总体评价较为积极"
    sentence += "。"
    pending = cur.sentiment.get("unanalyzed", 0)
    if pending:
        sentence += f"另有{pending}条信息尚未完成分析，未计入上述比例。"
    return [sentence]


def peak_day_sentence(data: WeeklyData) -> str:
    totals = [d.total for d in data.days]
    if sum(totals) == 0:
        return ""
    peak = max(data.days, key=lambda d: (d.total, -d.day.toordinal()))
    others = [d.total for d in data.days if d.day != peak.day]
    average = sum(others) / len(others) if others else 0
    when = f"{cn_date(peak.day, year=False)}（{WEEKDAYS[peak.day.weekday()]}）"
    if average and peak.total >= 1.5 * average:
        return f"单日信息量峰值出现在{when}，共{peak.total}条，明显高于其余各日均值（{average:.0f}条）。"
    if max(totals) - min(totals) <= max(2, 0.2 * max(totals)):
        return f"各日信息量较为平稳，最多的{when}为{peak.total}条。"
    return f"单日信息量最多的是{when}，共{peak.total}条。"


def trend_sentences(data: WeeklyData) -> list[str]:
    """The week's shape: the peak day, the day with the darkest mood, weekdays against the weekend."""
    out = [peak_day_sentence(data)]
    shares = []
    for d in data.days:
        analyzed = sum(d.sentiment.get(k, 0) for k in ("negative", "neutral", "positive"))
        if analyzed >= 2:
            shares.append((d.sentiment.get("negative", 0) / analyzed, d))
    if shares and data.current.negative_share is not None:
        share, day = max(shares, key=lambda sd: (sd[0], -sd[1].day.toordinal()))
        if share >= data.current.negative_share + 0.15:
            out.append(
                f"负面占比最高的是{cn_date(day.day, year=False)}（{WEEKDAYS[day.day.weekday()]}），"
                f"达{pct(share)}，高于全周平均水平（{pct(data.current.negative_share)}）。"
            )
        elif share - min(s for s, _ in shares) < 0.1:
            out.append("各日负面占比差异不大。")
    weekdays = sum(d.total for d in data.days[:5]) / 5
    weekend = sum(d.total for d in data.days[5:]) / 2
    if weekdays and weekend >= 1.3 * weekdays:
        out.append(f"周末日均信息量（{weekend:.1f}条）高于工作日（{weekdays:.1f}条），需关注周末值守。")
    elif weekend and weekdays >= 2 * weekend:
        out.append(f"信息主要集中在工作日（日均{weekdays:.1f}条），周末日均{weekend:.1f}条。")
    return [x for x in out if x]


def topic_sentences(topics: Sequence[Counted], total: int, *, against: str = "上周") -> list[str]:
    named = [t for t in topics if t.count]
    if not named or not total:
        return []
    top = named[0]
    share = top.count / total
    sentence = f"从诉求领域看，{top.name}类信息最多（{top.count}条，占{pct(share)}）"
    if len(named) > 1:
        sentence += f"，其次为{join_cn([f'{t.name}（{t.count}条）' for t in named[1:3]])}"
    if share >= CONCENTRATED_SHARE:
        sentence += "，诉求集中度较高"
    sentence += "。"
    risers = [t for t in topics if t.change >= max(5, 0.3 * max(t.previous, 1))]
    fallers = [t for t in topics if -t.change >= max(5, 0.3 * max(t.previous, 1))]
    if risers:
        r = max(risers, key=lambda t: t.change)
        sentence += f"与{against}相比，{r.name}类增加最多（{signed(r.change)}条）"
        if fallers:
            f = min(fallers, key=lambda t: t.change)
            sentence += f"，{f.name}类减少最多（{signed(f.change)}条）"
        sentence += "。"
    elif fallers:
        f = min(fallers, key=lambda t: t.change)
        sentence += f"与{against}相比，{f.name}类减少最多（{signed(f.change)}条），其余领域变化不大。"
    return [sentence]


def tag_sentence(tags: Sequence[Counted]) -> str:
    named = [t for t in tags if t.count]
    if not named:
        return "本周未监测到与重点关注领域相关的信息。"
    parts = [f"{t.name}（{t.count}条）" for t in named[:3]]
    return f"重点关注领域中，{join_cn(parts)}相关信息较多。"


def region_sentence(regions: Sequence[Counted], total: int) -> str:
    named = [r for r in regions if r.count and r.name != "未识别"]
    if not named or not total:
        return "本周信息未能识别到具体区域。" if total else ""
    top = named[0]
    sentence = f"从区域分布看，{top.name}信息量居首（{top.count}条，占{pct(top.count / total)}）"
    if len(named) > 1:
        sentence += f"，{join_cn([f'{r.name}（{r.count}条）' for r in named[1:3]])}次之"
    rise = [r for r in named if r.previous and r.change >= max(5, 0.5 * r.previous)]
    if rise:
        r = max(rise, key=lambda r: r.change / r.previous)
        sentence += f"；{r.name}较上周增幅较大（{signed(r.change)}条）"
    unknown = next((r.count for r in regions if r.name == "未识别"), 0)
    if unknown:
        sentence += f"；另有{unknown}条未能识别区域"
    return sentence + "。"


def alert_sentence(cur: Headline, prev: Headline, *, scope: str = "本周", against: str = "上周") -> str:
    total = cur.alerts_total
    if not total:
        tail = f"（{against}{prev.alerts_total}次）" if prev.alerts_total else ""
        return f"{scope}未触发预警{tail}。"
    parts = [
        f"{Level(level).colour_name}{cur.alerts_by_level[level]}次"
        for level in sorted(cur.alerts_by_level, reverse=True)
        if cur.alerts_by_level[level] and level in Level._value2member_map_
    ]
    sentence = f"{scope}共触发预警{total}次（{'、'.join(parts)}），{change_phrase(total, prev.alerts_total, against=against, unit='次')}"
    high = cur.alerts_by_level.get(int(Level.I), 0)
    if high:
        sentence += f"，其中红色预警{high}次，须逐一跟踪办结"
    return sentence + "。"


def event_sentence(cur: Headline, events: Sequence[EventDigest], *, scope: str = "本周") -> str:
    if not cur.events_active:
        return f"{scope}未形成需要跟踪的舆情事件。"
    sentence = f"{scope}新发现舆情事件{cur.events_new}起，持续活跃事件共{cur.events_active}起"
    high = [e for e in events if e.risk_level >= Level.II]
    if high:
        sentence += f"，其中橙色及以上风险事件{len(high)}起"
    return sentence + "。"


def response_sentences(
    cur: Headline, prev: Headline, *, end_text: str = "周日24时", scope: str = "本周", against: str = "上周"
) -> list[str]:
    t, p = cur.tasks, prev.tasks
    if not t.judged and not t.in_progress:
        return [f"{scope}无到期或办结的回应事项。"]
    out = []
    if t.judged:
        sentence = (
            f"{scope}到期或办结的回应事项{t.judged}件，按时回应{t.on_time}件，按时回应率{pct(t.on_time_rate)}"
        )
        shift = share_shift(t.on_time_rate, p.on_time_rate, against=against)
        rate = t.on_time_rate or 0.0
        if t.on_time == t.judged:
            sentence += f"，{shift}，全部按时回应" if shift else "，全部按时回应"
        elif rate < ON_TIME_LOW:
            rose = p.on_time_rate is not None and rate > p.on_time_rate + 0.005
            if rose:
                sentence += f"，虽{shift}，但仍低于{ON_TIME_LOW:.0%}"
            else:
                sentence += f"，{shift}，按时回应率偏低" if shift else "，按时回应率偏低"
        elif shift:
            sentence += f"，{shift}"
        if t.late:
            sentence += f"；超时回应{t.late}件"
        sentence += "。"
        if t.median_response_hours is not None:
            sentence += f"已回应事项用时中位数为{hours_text(t.median_response_hours)}。"
        out.append(sentence)
    if t.overdue:
        out.append(f"截至{end_text}，超期未回应事项{t.overdue}件，另有{t.in_progress}件在办且未到期。")
    elif t.in_progress:
        out.append(f"截至{end_text}，无超期未回应事项，在办未到期事项{t.in_progress}件。")
    return out


def as_of_text(data: WeeklyData | DailyData) -> str:
    """周日24时 / 24时 when the period is over, else the local time the report was cut at."""
    if data.as_of >= data.period.end:
        return "周日24时" if data.period.kind == "weekly" else "24时"
    return local_minute(data.as_of)


def weekly_overview(data: WeeklyData) -> list[str]:
    cur, prev = data.current, data.previous
    paragraphs = ["".join(volume_sentences(cur, prev))]
    paragraphs += sentiment_sentences(cur, prev)
    paragraphs.append(alert_sentence(cur, prev) + event_sentence(cur, data.events))
    paragraphs += response_sentences(cur, prev, end_text=as_of_text(data))
    return [p.strip() for p in paragraphs if p.strip()]


def empty_week(data: WeeklyData) -> list[str]:
    out = [f"{data.period.span_text}，平台未监测到舆情信息，未触发预警，亦无到期或在办的回应事项。"]
    if data.previous.items_total:
        out.append(
            f"上周共监测到舆情信息{data.previous.items_total}条。本周无数据可能意味着采集中断，请检查各数据源运行状态。"
        )
    else:
        out.append("上周同样无监测数据。如平台已投入运行，请检查各数据源的采集配置与运行状态。")
    return out


def event_summary(e: EventDigest) -> str:
    """A short summary made from the event's items: the first item's gist, its spread, peak and mood."""
    text = excerpt(e.first_text)
    parts = []
    opening = f"{local_minute(e.first_seen_at)}首见于{e.first_source or '监测渠道'}"
    parts.append(opening + (f"，反映“{text}”" if text else ""))
    kinds = "、".join(
        f"{KIND_SHORT.get(k, k)}{n}条" for k, n in sorted(e.kind_counts.items(), key=lambda kv: -kv[1]) if n
    )
    spread = f"事件共涉及信息{e.item_count}条"
    if kinds:
        spread += f"（{kinds}）"
    if e.source_count > 1:
        spread += f"，{e.source_count}个来源均有反映"
    parts.append(spread)
    if e.peak_hour is not None and e.peak_count >= 2:
        parts.append(f"信息高峰出现在{local_time(e.peak_hour)}前后（1小时内{e.peak_count}条）")
    total = sum(e.sentiment.values())
    if total:
        neg = e.sentiment.get("negative", 0)
        mix = f"负面{neg}条、中性{e.sentiment.get('neutral', 0)}条、正面{e.sentiment.get('positive', 0)}条"
        if neg / total >= 0.6:
            mix += "，以负面为主"
        elif e.sentiment.get("positive", 0) / total >= 0.5:
            mix += "，总体评价正面"
        parts.append(f"情感构成为{mix}")
    risk = f"风险等级为{level_name(e.risk_level)}" if e.risk_level > 0 else "未达到风险等级"
    parts.append(f"{risk}，处置情况：{HANDLING.get(e.handling, e.handling)}")
    return "；".join(parts) + "。"


def events_intro(events: Sequence[EventDigest]) -> str:
    if not events:
        return "本周未形成需要跟踪的舆情事件。"
    open_bad = [e for e in events if e.handling == "overdue"]
    sentence = f"按风险等级和传播范围排序，本周需重点关注的事件有{len(events)}起"
    levels = [e.risk_level for e in events if e.risk_level >= Level.II]
    if levels:
        sentence += f"，其中{len(levels)}起风险等级为橙色及以上"
    if open_bad:
        sentence += f"；{len(open_bad)}起事件存在超期未回应事项，需加强督办"
    return sentence + "。"


def burst_sentence(b: BurstEpisode) -> str:
    where = b.region or "全市"
    bucket = (
        f"{b.peak_bucket_minutes}分钟" if b.peak_bucket_minutes < 60 else f"{b.peak_bucket_minutes // 60}小时"
    )
    ratio = b.peak_count / b.peak_baseline if b.peak_baseline > 0 else None
    sentence = f"{local_time(b.start)}起，{where}{b.topic}类信息短时集中出现，{bucket}内最多{b.peak_count}条"
    if ratio is not None:
        sentence += f"，约为常态水平（{b.peak_baseline:.1f}条）的{ratio:.1f}倍"
    else:
        sentence += "，此前同期几无此类信息"
    duration = (b.end - b.start).total_seconds() / 3600
    sentence += f"，持续约{hours_text(duration)}。"
    if b.after_hours <= 0:
        sentence += "该热点出现于周末末段，后续走势待下周观察。"
    else:
        peak_rate = b.peak_count / (b.peak_bucket_minutes / 60)
        base_rate = b.peak_baseline / (b.peak_bucket_minutes / 60)
        after_rate = b.after_count / b.after_hours
        window = f"此后{b.after_hours:.0f}小时内同类信息共{b.after_count}条"
        if after_rate <= max(1.5 * base_rate, 0.5 / max(b.after_hours, 1)):
            sentence += f"{window}，已回落至常态水平。"
        elif after_rate < 0.5 * peak_rate:
            sentence += f"{window}，热度有所回落，但仍高于常态。"
        else:
            sentence += f"{window}，热度仍处高位，需持续关注。"
    if b.event_title:
        sentence += f"相关信息已归并为事件“{b.event_title}”。"
    return sentence


def bursts_intro(bursts: Sequence[BurstEpisode]) -> str:
    if not bursts:
        return "本周未检测到信息量异常突增的情况。"
    topics = sorted({b.topic for b in bursts})
    return f"本周共检测到突发热点{len(bursts)}起，涉及{join_cn(topics)}等领域，发展情况如下。"


def department_sentence(rows: Sequence[DepartmentRow]) -> str:
    if not rows:
        return "本周无需统计的部门回应事项。"
    worst = [r for r in rows if r.overdue]
    perfect = [r.name for r in rows if r.judged >= 3 and r.on_time == r.judged]
    late = [r for r in rows if r.late]
    most_late = max(late, key=lambda r: r.late) if late else None
    parts = []
    if len(worst) == 1:
        w = worst[0]
        sentence = f"仅{w.name}有超期未回应事项（{w.overdue}件）"
        if most_late is w:
            sentence += f"，且超时回应{w.late}件"
            most_late = None
        parts.append(sentence)
    elif worst:
        w = worst[0]
        sentence = f"{len(worst)}个部门存在超期未回应事项，其中{w.name}最多（{w.overdue}件）"
        if most_late is w:
            sentence += f"，超时回应亦最多（{w.late}件）"
            most_late = None
        parts.append(sentence)
    else:
        parts.append("各部门均无超期未回应事项")
    if most_late is not None:
        parts.append(f"{most_late.name}超时回应{most_late.late}件，居各部门之首")
    if perfect:
        parts.append(f"{join_cn(perfect[:3])}{'等部门' if len(perfect) > 3 else ''}全部按时回应")
    return "从部门看，" + "；".join(parts) + "。"


def overdue_sentence(count: int, more: int, *, end_text: str = "周日24时") -> str:
    if not count:
        return f"截至{end_text}，无超期未回应事项。"
    tail = f"（表中列出超期时间最长的{count}件，另有{more}件未列出）" if more else ""
    return f"截至{end_text}超期未回应的事项如下{tail}，请相关部门尽快办结并反馈。"


def scheme_sentence(rows: Sequence[SchemeRow]) -> str:
    hit = [r for r in rows if r.hits]
    if not hit:
        return "本周各监测方案均未命中。"
    total = sum(r.hits for r in hit)
    top = hit[0]
    sentence = f"本周监测方案共命中信息{total}条次，其中“{top.name}”命中最多（{top.hits}条）"
    if top.previous:
        sentence += f"，{change_phrase(top.hits, top.previous)}"
    sentence += "。"
    critical = [r for r in hit if r.always_alert]
    if critical:
        names = join_cn([f"“{r.name}”（{r.hits}条）" for r in critical])
        sentence += f"{names}属命中即预警的重点方案，请关注相关预警的处置进展。"
    return sentence


def outlook(data: WeeklyData) -> list[str]:
    out = []
    rising: Sequence[Rising] = data.rising
    if rising:
        parts = []
        for r in rising[:3]:
            label = f"{r.name}{'类' if r.kind == 'topic' else '相关'}信息"
            if r.early_daily:
                parts.append(f"{label}日均由工作日的{r.early_daily:.1f}条升至周末的{r.late_daily:.1f}条")
            else:
                parts.append(f"{label}在周末新出现{r.late_count}条")
        out.append(
            "从周末走势看，"
            + "；".join(parts)
            + "。预计下周上述领域仍将保持一定热度，建议相关部门提前研判、及时回应。"
        )
    elif data.current.items_total:
        out.append("从周末走势看，各领域信息量未见明显升温，预计下周舆情总体平稳。")
    open_high = [e for e in data.events if e.risk_level >= Level.II and e.status != "closed"]
    if open_high:
        titles = join_cn([f"“{e.title}”" for e in open_high[:2]])
        out.append(
            f"{titles}{'等' if len(open_high) > 2 else ''}较高风险事件尚未平息，建议持续跟踪、做好回应准备。"
        )
    if data.current.tasks.overdue:
        out.append(
            f"截至{as_of_text(data)}仍有{data.current.tasks.overdue}件事项超期未回应，建议督促承办部门尽快办结。"
        )
    return out


# --- the daily brief ----------------------------------------------------------------------------------------


def day_word(data: DailyData) -> str:
    """昨日 when the brief is read the morning after (the usual case), else the date itself."""
    if (to_local(data.generated_at).date() - data.period.first_day).days == 1:
        return "昨日"
    return cn_date(data.period.first_day, year=False)


def daily_overview(data: DailyData) -> list[str]:
    cur, prev = data.current, data.previous
    scope = day_word(data)
    first = "".join(volume_sentences(cur, prev, scope=scope, against="前一日"))
    if sum(data.hours):
        peak = max(range(24), key=lambda h: (data.hours[h], -h))
        first += f"信息高峰出现在{peak}时至{peak + 1}时（{data.hours[peak]}条）。"
    paragraphs = [first]
    paragraphs += sentiment_sentences(cur, prev, scope=scope, against="前一日")
    events = (
        f"{scope}新发现舆情事件{cur.events_new}起。" if cur.events_new else f"{scope}无新发现的舆情事件。"
    )
    paragraphs.append(alert_sentence(cur, prev, scope=scope, against="前一日") + events)
    paragraphs.append(open_work_sentence(data))
    return [p.strip() for p in paragraphs if p.strip()]


def open_work_sentence(data: DailyData) -> str:
    levels = data.open_alerts_by_level
    if data.open_alerts_total:
        parts = [
            f"{Level(lv).colour_name}{levels[lv]}条" for lv in sorted(levels, reverse=True) if levels[lv]
        ]
        sentence = f"截至{as_of_text(data)}，尚未办结的预警{data.open_alerts_total}条（{'、'.join(parts)}）"
    else:
        sentence = f"截至{as_of_text(data)}，无未办结预警"
    t = data.timers
    if t.total:
        sentence += f"；在办回应事项{t.total}件，其中超期{t.overdue}件、临近时限（黄灯）{t.warning}件"
        if t.overdue:
            sentence += "，请督促承办部门尽快办结"
    else:
        sentence += "；无在办回应事项"
    return sentence + "。"


def empty_day(data: DailyData) -> list[str]:
    out = [f"{data.period.span_text}，平台未监测到舆情信息，无未办结预警和在办回应事项。"]
    if data.previous.items_total:
        out.append(f"前一日共监测到舆情信息{data.previous.items_total}条，请检查各数据源的采集运行状态。")
    return out
