"""The weekly report built from a seeded database (see seed.py): every section, the right numbers in the
tables of the .docx, the same numbers in the HTML, the figures, masking and escaping."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from core.db import Database
from core.settings import AppConfig
from reports import text
from reports.build import build
from reports.periods import parse_week
from reports.weekly import collect_weekly
from tests.integration.reports.seed import MONDAY_MORNING, PHONE, SCRIPT_TITLE, Seeded, seed_two_weeks

SECTIONS = [
    "一、总体情况",
    "二、舆情走势",
    "三、重点事件",
    "四、突发热点",
    "五、部门回应情况",
    "六、监测方案命中情况",
    "七、趋势研判",
]


@pytest.fixture
def built(db: Database, seeded: Seeded, app_config: AppConfig, tmp_path: Path) -> tuple[Document, str]:
    report = build(app_config, db, parse_week("2026-W47"), tmp_path / "out", MONDAY_MORNING)
    assert report.docx_path.exists() and report.html_path.exists()
    return Document(str(report.docx_path)), report.html_path.read_text(encoding="utf-8")


def table_after(doc: Document, caption: str) -> list[list[str]]:
    """The rows of the table whose caption paragraph is `caption`."""
    body = doc.element.body
    found = False
    for child in body.iterchildren():
        if child.tag == qn("w:p") and "".join(t.text or "" for t in child.iter(qn("w:t"))) == caption:
            found = True
        elif found and child.tag == qn("w:tbl"):
            table = next(t for t in doc.tables if t._tbl is child)
            return [[c.text for c in row.cells] for row in table.rows]
    raise AssertionError(f"no table captioned {caption!r}")


def all_text(doc: Document) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [c.text for row in table.rows for c in row.cells]
    return "\n".join(parts)


def test_collected_figures_match_the_seed(any_db: Database, app_config: AppConfig) -> None:
    """On SQLite and PostgreSQL: the time buckets, JSON lists and timer outcomes are computed portably."""
    seeded = seed_two_weeks(any_db)
    data = collect_weekly(any_db, app_config, parse_week("2026-W47"), MONDAY_MORNING)
    cur, prev = data.current, data.previous
    assert cur.items_by_kind == {"hotline": 10, "board": 7, "news": 4}
    assert cur.sentiment == {"negative": 8, "neutral": 8, "positive": 4, "unanalyzed": 1}
    assert cur.negative_share == pytest.approx(0.4)
    assert cur.alerts_by_level == {4: 1, 3: 1, 2: 2}
    assert (cur.events_new, cur.events_active) == (3, 3)
    t = cur.tasks
    assert (t.on_time, t.late, t.overdue, t.in_progress) == (3, 1, 1, 1)
    assert t.on_time_rate == pytest.approx(0.6)
    assert t.median_response_hours == pytest.approx(13.5)
    assert prev.items_total == 12 and prev.sentiment["negative"] == 3 and prev.alerts_by_level == {2: 1}
    assert (prev.tasks.on_time, prev.tasks.late, prev.tasks.in_progress) == (1, 1, 1)
    assert [d.total for d in data.days] == [2, 2, 8, 2, 1, 2, 4]
    assert [(r.name, r.count, r.previous) for r in data.topics[:3]] == [
        ("城乡建设", 8, 6), ("交通运输", 5, 3), ("环境保护", 5, 3),
    ]  # fmt: skip
    assert {r.name: r.count for r in data.regions} == {"江南区": 8, "江北区": 7, "临湖区": 5, "未识别": 1}
    assert {r.name: (r.count, r.previous) for r in data.tags} == {"生态环境": (3, 1), "房地产市场": (2, 0)}
    assert [e.id for e in data.events] == [seeded.events["E1"], seeded.events["E2"], seeded.events["E3"]]
    assert [e.handling for e in data.events] == ["on_time", "in_progress", "none"]
    e1 = data.events[0]
    assert e1.first_source == "市民留言板" and e1.kind_counts == {"board": 3, "hotline": 1, "news": 1}
    assert e1.sentiment == {"negative": 4, "neutral": 1, "positive": 0} and e1.peak_count == 2
    (burst,) = data.bursts
    assert (burst.buckets, burst.total, burst.peak_count, burst.after_count) == (2, 9, 6, 1)
    (zjj, sthj) = data.departments
    assert (zjj.name, zjj.on_time, zjj.late, zjj.overdue, zjj.median_hours) == (
        "市住房和城乡建设局",
        2,
        1,
        1,
        24.0,
    )
    assert (sthj.on_time, sthj.in_progress, sthj.on_time_rate) == (1, 1, 1.0)
    (overdue,) = data.overdue
    assert overdue.overdue_hours == pytest.approx(87.0)
    schemes = {s.name: (s.hits, s.negative, s.previous) for s in data.schemes}
    assert (
        schemes["黑臭水体"] == (2, 2, 1)
        and schemes["群体性事件苗头"] == (1, 1, 0)
        and schemes["生命安全"] == (0, 0, 0)
    )
    assert [(r.name, r.late_count) for r in data.rising] == [("交通运输", 5)]


def test_docx_holds_every_section_table_and_figure(built: tuple[Document, str]) -> None:
    doc, _ = built
    texts = [p.text for p in doc.paragraphs]
    for section in SECTIONS:
        assert section in texts
    assert texts.index(SECTIONS[0]) < texts.index(SECTIONS[-1])
    assert texts[0] == "舆 情 周 报" and texts[1] == "2026年第47期"
    assert "某市人民政府办公室\t2026年11月23日" in texts

    headline = {row[0].strip("　 "): row[1:] for row in table_after(doc, "表1 本周主要指标")}
    assert headline["信息总量（条）"] == ["21", "12", "+9"]
    assert headline["其中：12345热线工单"] == ["10", "6", "+4"]
    assert headline["其中：网络留言"] == ["7", "4", "+3"]
    assert headline["其中：新闻报道"] == ["4", "2", "+2"]
    assert headline["负面占比"] == ["40.0%", "25.0%", "+15.0个百分点"]
    assert headline["预警（次）"] == ["4", "1", "+3"]
    assert headline["其中：I级（红色）"] == ["1", "0", "+1"]
    assert headline["其中：III级（黄色）"] == ["2", "1", "+1"]
    assert headline["新发现事件（起）"] == ["3", "1", "+2"]
    assert headline["按时回应率"] == ["60.0%", "50.0%", "+10.0个百分点"]
    assert headline["超期未回应"] == ["1", "0", "+1"]
    assert headline["回应用时中位数（小时）"] == ["13.5", "36.0", "-22.5"]

    daily = table_after(doc, "表2 每日信息量")
    assert daily[0] == ["日期", "信息量", "负面", "中性", "正面", "负面占比", "风险信息"]
    assert daily[3] == ["11月18日（周三）", "8", "4", "3", "1", "50.0%", "6"]
    assert daily[-1] == ["合计", "21", "8", "8", "4", "40.0%", "11"]

    events = table_after(doc, "表3 本周重点事件")
    assert events[1] == [
        "1",
        "幸福里小区连续三天停水（联系电话[手机号]）",
        "II级（橙色）",
        "市民留言板",
        "5",
        "80.0%",
        "按时回应",
    ]
    assert events[2][1] == SCRIPT_TITLE and events[2][6] == "办理中"

    departments = table_after(doc, "表5 各部门回应情况")
    assert departments[1] == ["市住房和城乡建设局", "2", "1", "1", "0", "50.0%", "24.0"]
    assert departments[-1] == ["合计", "3", "1", "1", "1", "60.0%", "13.5"]
    overdue = table_after(doc, "表6 超期未回应事项")
    assert (
        overdue[1][1] == "市住房和城乡建设局"
        and overdue[1][4] == "2026-11-19 09:00"
        and overdue[1][5] == "3.6天"
    )
    schemes = table_after(doc, "表7 监测方案命中情况")
    assert schemes[1] == ["黑臭水体", "2", "2", "1", "黑臭、河"]
    bursts = table_after(doc, "表4 突发热点及后续走势")
    assert bursts[1][:6] == ["11月19日14时", "环境保护", "临湖区", "6", "0.5", "12.0"]

    captions = [t for t in texts if re.match(r"^图\d ", t)]
    assert captions == ["图1 每日信息量与情感分布", "图2 每日风险等级分布", "图3 诉求领域与重点关注领域（本周与上周）",
                        "图4 区县信息量（本周与上周）"]  # fmt: skip
    assert len(doc.inline_shapes) == 4


def test_prose_follows_the_data(built: tuple[Document, str]) -> None:
    doc, _ = built
    text = all_text(doc)
    assert "较上周增加9条（上升75.0%），信息量明显上升" in text
    assert "负面情绪较为集中" in text
    assert "单日信息量峰值出现在11月18日（周三），共8条" in text
    assert "交通运输类信息在周末新出现5条" in text
    assert "仅市住房和城乡建设局有超期未回应事项（1件），且超时回应1件" in text
    assert "已回落至常态水平" in text


def test_personal_data_is_masked_everywhere(built: tuple[Document, str]) -> None:
    doc, html = built
    text = all_text(doc)
    assert PHONE not in text and PHONE not in html
    assert "张伟" not in text and "张伟" not in html
    assert "联系人[姓名]，电话[手机号]" in text


def test_html_holds_the_same_numbers_and_escapes_titles(built: tuple[Document, str]) -> None:
    doc, html = built
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;临湖区河道黑臭异味" in html
    for cell in (
        "信息总量（条）</td>",
        ">21<",
        ">12<",
        ">+9<",
        ">40.0%<",
        ">+15.0个百分点<",
        ">60.0%<",
        ">13.5<",
    ):
        assert cell in html
    for section in SECTIONS:
        assert f">{section}</h2>" in html
    assert html.count('src="data:image/png;base64,') == len(doc.inline_shapes) == 4
    # the same sentences as the Word file
    for p in doc.paragraphs:
        if p.text.startswith("本周共监测到"):
            assert p.text in html


def test_a_week_in_progress_is_judged_at_the_time_of_building(
    db: Database, seeded: Seeded, app_config: AppConfig
) -> None:
    wednesday_noon = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)  # 12:00 local
    data = collect_weekly(db, app_config, parse_week("2026-W47"), wednesday_noon)
    assert data.as_of == wednesday_noon
    t = data.current.tasks
    # T1 answered on time; T2 past due and not yet answered; T3 and T6 running; T4 and T5 not started yet
    assert (t.on_time, t.late, t.overdue, t.in_progress) == (1, 0, 1, 2)
    assert any("截至11月18日 12:00，超期未回应事项1件" in p for p in text.weekly_overview(data))
