"""Composes the weekly report and the daily brief from their data: sections, tables, figures and prose.

Section numbers (一、二、…), table numbers (表1…) and figure numbers (图1…) are assigned here, once, for both
output formats.
"""

from __future__ import annotations

from core.clock import format_local, to_local
from core.levels import Level
from reports import charts
from reports import text as t
from reports.daily import DailyData
from reports.document import Block, Figure, Heading, Paragraph, ReportDocument, Table
from reports.periods import WEEKDAYS, cn_date
from reports.weekly import Headline, WeeklyData


class _Numbering:
    def __init__(self) -> None:
        self.section = 0
        self.sub = 0
        self.table = 0
        self.figure = 0

    def heading(self, title: str) -> Heading:
        self.section += 1
        self.sub = 0
        return Heading(f"{t.ordinal(self.section)}、{title}", 1)

    def subheading(self, title: str) -> Heading:
        self.sub += 1
        return Heading(f"（{t.ordinal(self.sub)}）{title}", 2)

    def table_caption(self, title: str) -> str:
        self.table += 1
        return f"表{self.table} {title}"

    def figure_caption(self, title: str) -> str:
        self.figure += 1
        return f"图{self.figure} {title}"


def _headline_rows(cur: Headline, prev: Headline, *, against: str) -> list[list[str]]:
    def row(name: str, a: int, b: int) -> list[str]:
        return [name, str(a), str(b), t.signed(a - b)]

    rows = [row("信息总量（条）", cur.items_total, prev.items_total)]
    for kind, label in t.KIND_NAMES.items():
        rows.append(row(f"　其中：{label}", cur.items_by_kind.get(kind, 0), prev.items_by_kind.get(kind, 0)))
    rows.append(row("负面信息（条）", cur.sentiment.get("negative", 0), prev.sentiment.get("negative", 0)))
    rows.append(
        [
            "负面占比",
            t.pct(cur.negative_share),
            t.pct(prev.negative_share),
            t.pp_delta(cur.negative_share, prev.negative_share),
        ]
    )
    rows.append(row("预警（次）", cur.alerts_total, prev.alerts_total))
    for level in (Level.I, Level.II, Level.III, Level.IV):
        rows.append(
            row(
                f"　其中：{t.level_name(int(level))}",
                cur.alerts_by_level.get(int(level), 0),
                prev.alerts_by_level.get(int(level), 0),
            )
        )
    rows.append(row("新发现事件（起）", cur.events_new, prev.events_new))
    rows.append(row("活跃事件（起）", cur.events_active, prev.events_active))
    rows.append(row("到期或办结的回应事项（件）", cur.tasks.judged, prev.tasks.judged))
    rows.append(row("　其中：按时回应", cur.tasks.on_time, prev.tasks.on_time))
    rows.append(row("　　　　超时回应", cur.tasks.late, prev.tasks.late))
    rows.append(row("　　　　超期未回应", cur.tasks.overdue, prev.tasks.overdue))
    rows.append(
        [
            "按时回应率",
            t.pct(cur.tasks.on_time_rate),
            t.pct(prev.tasks.on_time_rate),
            t.pp_delta(cur.tasks.on_time_rate, prev.tasks.on_time_rate),
        ]
    )
    cur_m, prev_m = cur.tasks.median_response_hours, prev.tasks.median_response_hours
    rows.append(
        [
            "回应用时中位数（小时）",
            _hours(cur_m),
            _hours(prev_m),
            f"{cur_m - prev_m:+.1f}" if cur_m is not None and prev_m is not None else "—",
        ]
    )
    return rows


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def weekly_document(data: WeeklyData, *, with_charts: bool = True) -> ReportDocument:
    period = data.period
    year, week, _ = period.first_day.isocalendar()
    issued = to_local(data.generated_at).date()
    n = _Numbering()
    blocks: list[Block] = []
    doc = ReportDocument(
        kind="weekly",
        masthead="舆情周报",
        issue=f"{year}年第{week}期",
        office=data.office,
        issued_on=cn_date(issued),
        title="全市舆情监测周报",
        subtitle=f"（{period.span_text}）",
        generated_at=data.generated_at,
        blocks=blocks,
        closing=(
            f"说明：本报告由舆情监测平台根据{period.span_text}（北京时间）的监测数据自动生成，与上周"
            f"（{period.previous().span_text}）比较；回应事项与预警状态以{t.as_of_text(data)}为准；涉及个人信息的内容已作脱敏处理。"
        ),
    )
    if data.is_empty:
        blocks.append(n.heading("总体情况"))
        blocks += [Paragraph(p) for p in t.empty_week(data)]
        return doc

    cur, prev = data.current, data.previous
    # 一、总体情况
    blocks.append(n.heading("总体情况"))
    blocks += [Paragraph(p) for p in t.weekly_overview(data)]
    blocks.append(
        Table(
            n.table_caption("本周主要指标"),
            ["指标", "本周", "上周", "变化"],
            _headline_rows(cur, prev, against="上周"),
            numeric=frozenset({1, 2, 3}),
            widths_cm=[7.0, 2.4, 2.4, 3.7],
        )
    )
    # 二、舆情走势
    blocks.append(n.heading("舆情走势"))
    blocks.append(n.subheading("信息量与情感倾向"))
    blocks.append(Paragraph("".join(t.trend_sentences(data))))
    if with_charts:
        blocks.append(
            Figure(
                n.figure_caption("每日信息量与情感分布"),
                charts.volume_sentiment(data.days),
                alt="每日信息量柱状图，按负面、中性、正面分段，折线为负面占比",
            )
        )
    day_rows = []
    for d in data.days:
        analyzed = sum(d.sentiment.get(k, 0) for k in ("negative", "neutral", "positive"))
        share = d.sentiment.get("negative", 0) / analyzed if analyzed else None
        day_rows.append(
            [
                f"{d.day.month}月{d.day.day}日（{WEEKDAYS[d.day.weekday()]}）",
                str(d.total),
                str(d.sentiment.get("negative", 0)),
                str(d.sentiment.get("neutral", 0)),
                str(d.sentiment.get("positive", 0)),
                t.pct(share),
                str(sum(d.levels.values())),
            ]
        )
    totals = [sum(int(r[i]) for r in day_rows) for i in (1, 2, 3, 4, 6)]
    day_rows.append(
        [
            "合计",
            str(totals[0]),
            str(totals[1]),
            str(totals[2]),
            str(totals[3]),
            t.pct(cur.negative_share),
            str(totals[4]),
        ]
    )
    blocks.append(
        Table(
            n.table_caption("每日信息量"),
            ["日期", "信息量", "负面", "中性", "正面", "负面占比", "风险信息"],
            day_rows,
            numeric=frozenset({1, 2, 3, 4, 5, 6}),
            widths_cm=[3.9, 1.9, 1.7, 1.7, 1.7, 2.3, 2.3],
            note="注：风险信息指风险等级为IV级（蓝色）及以上的信息。",
        )
    )
    blocks.append(n.subheading("风险等级分布"))
    level_totals = {lv: sum(d.levels.get(int(lv), 0) for d in data.days) for lv in Level if lv != Level.NONE}
    if any(level_totals.values()):
        parts = [
            f"{t.level_name(int(lv))}{level_totals[lv]}条"
            for lv in sorted(level_totals, reverse=True)
            if level_totals[lv]
        ]
        busiest = max(
            data.days, key=lambda d: (d.levels.get(4, 0) + d.levels.get(3, 0), sum(d.levels.values()))
        )
        sentence = f"本周带风险等级的信息共{sum(level_totals.values())}条，其中{'、'.join(parts)}。"
        if busiest.levels.get(4, 0) + busiest.levels.get(3, 0):
            sentence += f"较高风险（橙色及以上）信息集中出现在{cn_date(busiest.day, year=False)}。"
        blocks.append(Paragraph(sentence))
    else:
        blocks.append(Paragraph("本周未监测到带风险等级的信息。"))
    if with_charts:
        blocks.append(
            Figure(
                n.figure_caption("每日风险等级分布"),
                charts.risk_levels(data.days),
                alt="每日各风险等级信息数量堆叠柱状图",
            )
        )
    blocks.append(n.subheading("诉求领域与重点关注领域"))
    blocks += [Paragraph(p) for p in t.topic_sentences(data.topics, cur.items_total)]
    blocks.append(Paragraph(t.tag_sentence(data.tags)))
    if with_charts:
        blocks.append(
            Figure(
                n.figure_caption("诉求领域与重点关注领域（本周与上周）"),
                charts.topics_and_tags(data.topics, data.tags),
                alt="诉求领域与重点关注领域条形图",
            )
        )
    blocks.append(n.subheading("区域分布"))
    region_text = t.region_sentence(data.regions, cur.items_total)
    if region_text:
        blocks.append(Paragraph(region_text))
    if with_charts:
        blocks.append(
            Figure(
                n.figure_caption("区县信息量（本周与上周）"),
                charts.districts(data.regions),
                alt="各区县信息量条形图",
            )
        )

    # 三、重点事件
    blocks.append(n.heading("重点事件"))
    blocks.append(Paragraph(t.events_intro(data.events)))
    if data.events:
        rows = []
        for i, e in enumerate(data.events, 1):
            total = sum(e.sentiment.values())
            rows.append(
                [
                    str(i),
                    e.title,
                    t.level_name(e.risk_level),
                    e.first_source or "—",
                    str(e.item_count),
                    t.pct(e.sentiment.get("negative", 0) / total if total else None),
                    t.HANDLING_SHORT.get(e.handling, e.handling),
                ]
            )
        blocks.append(
            Table(
                n.table_caption("本周重点事件"),
                ["序号", "事件", "风险等级", "首发来源", "信息量", "负面占比", "处置情况"],
                rows,
                numeric=frozenset({0, 2, 4, 5}),
                widths_cm=[1.1, 5.0, 2.3, 2.4, 1.4, 1.6, 2.1],
            )
        )
        for i, e in enumerate(data.events, 1):
            blocks.append(Paragraph(t.event_summary(e), lead=f"（{t.ordinal(i)}）{e.title}。"))

    # 四、突发热点
    blocks.append(n.heading("突发热点"))
    blocks.append(Paragraph(t.bursts_intro(data.bursts)))
    if data.bursts:
        for b in data.bursts:
            blocks.append(Paragraph(t.burst_sentence(b)))
        rows = []
        for b in data.bursts:
            ratio = f"{b.peak_count / b.peak_baseline:.1f}" if b.peak_baseline > 0 else "—"
            after = f"{b.after_count}条/{b.after_hours:.0f}小时" if b.after_hours > 0 else "待观察"
            rows.append(
                [
                    t.local_time(b.start),
                    b.topic,
                    b.region or "全市",
                    str(b.peak_count),
                    f"{b.peak_baseline:.1f}",
                    ratio,
                    after,
                ]
            )
        blocks.append(
            Table(
                n.table_caption("突发热点及后续走势"),
                ["开始时间", "领域", "区域", "峰值（条）", "常态基线", "倍数", "此后24小时"],
                rows,
                numeric=frozenset({3, 4, 5, 6}),
                widths_cm=[2.9, 2.3, 1.8, 1.9, 1.9, 1.4, 3.3],
            )
        )

    # 五、部门回应情况
    blocks.append(n.heading("部门回应情况"))
    blocks += [Paragraph(p) for p in t.response_sentences(cur, prev, end_text=t.as_of_text(data))]
    blocks.append(Paragraph(t.department_sentence(data.departments)))
    if data.departments:
        rows = [
            [
                d.name,
                str(d.on_time),
                str(d.late),
                str(d.overdue),
                str(d.in_progress),
                t.pct(d.on_time_rate),
                _hours(d.median_hours),
            ]
            for d in data.departments
        ]
        rows.append(
            [
                "合计",
                str(cur.tasks.on_time),
                str(cur.tasks.late),
                str(cur.tasks.overdue),
                str(cur.tasks.in_progress),
                t.pct(cur.tasks.on_time_rate),
                _hours(cur.tasks.median_response_hours),
            ]
        )
        blocks.append(
            Table(
                n.table_caption("各部门回应情况"),
                [
                    "承办部门",
                    "按时回应",
                    "超时回应",
                    "超期未回应",
                    "在办未到期",
                    "按时回应率",
                    "用时中位数（小时）",
                ],
                rows,
                numeric=frozenset({1, 2, 3, 4, 5, 6}),
                widths_cm=[4.4, 1.6, 1.6, 1.9, 1.9, 1.9, 2.2],
                note="注：按时回应率 = 按时回应 ÷（按时回应 + 超时回应 + 超期未回应）；用时已扣除挂起时间。",
            )
        )
    blocks.append(
        Paragraph(t.overdue_sentence(len(data.overdue), data.overdue_more, end_text=t.as_of_text(data)))
    )
    if data.overdue:
        rows = [
            [
                str(i),
                o.department,
                o.title,
                t.KIND_SHORT.get(o.kind, "事件") if o.kind else "—",
                format_local(o.due_at),
                t.hours_text(o.overdue_hours),
            ]
            for i, o in enumerate(data.overdue, 1)
        ]
        blocks.append(
            Table(
                n.table_caption("超期未回应事项"),
                ["序号", "承办部门", "事项", "类型", "到期时间", "已超期"],
                rows,
                numeric=frozenset({0, 3, 4, 5}),
                widths_cm=[1.1, 3.3, 5.8, 1.3, 2.4, 1.6],
            )
        )

    # 六、监测方案命中情况
    blocks.append(n.heading("监测方案命中情况"))
    blocks.append(Paragraph(t.scheme_sentence(data.schemes)))
    if data.schemes:
        rows = [
            [
                s.name + ("（命中即预警）" if s.always_alert else ""),
                str(s.hits),
                str(s.negative),
                str(s.previous),
                "、".join(s.top_terms) or "—",
            ]
            for s in data.schemes
        ]
        blocks.append(
            Table(
                n.table_caption("监测方案命中情况"),
                ["监测方案", "本周命中", "其中负面", "上周命中", "主要命中词"],
                rows,
                numeric=frozenset({1, 2, 3}),
                widths_cm=[4.9, 2.0, 2.0, 2.0, 4.6],
            )
        )

    # 七、趋势研判
    blocks.append(n.heading("趋势研判"))
    blocks += [Paragraph(p) for p in t.outlook(data)] or [Paragraph("本周数据不足以研判下周走势。")]
    return doc


def daily_document(data: DailyData, *, with_charts: bool = True) -> ReportDocument:
    period = data.period
    issued = to_local(data.generated_at).date()
    n = _Numbering()
    blocks: list[Block] = []
    doc = ReportDocument(
        kind="daily",
        masthead="舆情日报",
        issue=f"{period.first_day.year}年第{period.first_day.timetuple().tm_yday}期",
        office=data.office,
        issued_on=cn_date(issued),
        title="全市舆情监测日报",
        subtitle=f"（{period.span_text}，{WEEKDAYS[period.first_day.weekday()]}）",
        generated_at=data.generated_at,
        blocks=blocks,
        closing=(
            f"说明：本日报根据{period.span_text}0时至24时（北京时间）的监测数据自动生成，与前一日比较；"
            f"预警与回应事项状态以{t.as_of_text(data)}为准；涉及个人信息的内容已作脱敏处理。"
        ),
    )
    if data.is_empty:
        blocks.append(n.heading(f"{t.day_word(data)}概况"))
        blocks += [Paragraph(p) for p in t.empty_day(data)]
        return doc
    cur, prev = data.current, data.previous
    day = t.day_word(data)
    blocks.append(n.heading(f"{day}概况"))
    blocks += [Paragraph(p) for p in t.daily_overview(data)]
    rows = _headline_rows(cur, prev, against="前一日")
    blocks.append(
        Table(
            n.table_caption(f"{day}主要指标"),
            ["指标", day, "前一日", "变化"],
            rows,
            numeric=frozenset({1, 2, 3}),
            widths_cm=[7.0, 2.4, 2.4, 3.7],
        )
    )
    if with_charts:
        blocks.append(
            Figure(
                n.figure_caption("分时信息量"),
                charts.hourly(data.hours, data.hours_negative),
                alt="昨日各小时信息量柱状图",
            )
        )
    blocks.append(n.heading("新增事件"))
    if data.new_events:
        rows = [
            [
                str(i),
                e.title,
                t.level_name(e.risk_level),
                e.first_source or "—",
                format_local(e.first_seen_at),
                str(e.item_count),
                t.HANDLING_SHORT.get(e.handling, e.handling),
            ]
            for i, e in enumerate(data.new_events, 1)
        ]
        blocks.append(
            Table(
                n.table_caption(f"{day}新增事件"),
                ["序号", "事件", "风险等级", "首发来源", "首发时间", "信息量", "处置情况"],
                rows,
                numeric=frozenset({0, 2, 4, 5}),
                widths_cm=[1.1, 4.6, 2.3, 2.2, 2.8, 1.2, 1.8],
            )
        )
        for i, e in enumerate(data.new_events[:3], 1):
            blocks.append(Paragraph(t.event_summary(e), lead=f"（{t.ordinal(i)}）{e.title}。"))
    else:
        blocks.append(Paragraph(f"{day}无新发现的舆情事件。"))
    blocks.append(n.heading("预警处置情况"))
    blocks.append(Paragraph(t.open_work_sentence(data)))
    if data.open_alerts:
        rows = [
            [
                t.level_name(a.level),
                a.title,
                format_local(a.opened_at),
                t.ALERT_STATES.get(a.state_then, a.state_then),
            ]
            for a in data.open_alerts
        ]
        more = data.open_alerts_total - len(data.open_alerts)
        blocks.append(
            Table(
                n.table_caption("未办结预警"),
                ["级别", "预警", "触发时间", "当前状态"],
                rows,
                numeric=frozenset({0, 2, 3}),
                widths_cm=[2.4, 7.7, 3.0, 2.4],
                note=f"注：另有{more}条较低级别预警未列出。" if more > 0 else "",
            )
        )
    blocks.append(n.heading("回应时限"))
    timers = data.timers
    if timers.total:
        blocks.append(
            Paragraph(
                f"截至{t.as_of_text(data)}，在办回应事项{timers.total}件：超期{timers.overdue}件，临近时限（黄灯）{timers.warning}件，"
                f"正常办理{timers.running}件。"
            )
        )
    else:
        blocks.append(Paragraph(f"截至{t.as_of_text(data)}，无在办回应事项。"))
    if data.overdue:
        rows = [
            [str(i), o.department, o.title, format_local(o.due_at), t.hours_text(o.overdue_hours)]
            for i, o in enumerate(data.overdue, 1)
        ]
        blocks.append(
            Table(
                n.table_caption("超期未回应事项"),
                ["序号", "承办部门", "事项", "到期时间", "已超期"],
                rows,
                numeric=frozenset({0, 3, 4}),
                widths_cm=[1.1, 3.4, 6.8, 2.4, 1.8],
                note=f"注：另有{data.overdue_more}件未列出。" if data.overdue_more else "",
            )
        )
    return doc
