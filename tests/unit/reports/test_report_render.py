"""Charts, Word and HTML rendering of a hand-made document: Chinese glyphs, East Asian fonts, figures and
tables in Word, escaping and phone-readable layout in HTML."""

from __future__ import annotations

import io
import warnings
from datetime import UTC, datetime

from docx import Document
from docx.oxml.ns import qn

from reports import charts
from reports.document import Figure, Heading, Paragraph, ReportDocument, Table
from reports.periods import parse_week
from reports.queries import Counted
from reports.render_docx import build_docx
from reports.render_html import build_html
from reports.weekly import DayFigures

PNG = b"\x89PNG\r\n\x1a\n"


def days() -> list[DayFigures]:
    return [
        DayFigures(
            d, 3 + i, {"negative": i, "neutral": 3, "positive": 0, "unanalyzed": 0}, {1: 1, 2: i % 2, 4: 0}
        )
        for i, d in enumerate(parse_week("2026-W47").days)
    ]


def test_charts_are_pngs_with_every_chinese_glyph() -> None:
    assert charts.cjk_font() is not None, "install fonts-noto-cjk"
    with warnings.catch_warnings():
        # matplotlib warns "Glyph ... missing from font(s)" for every character it has to draw as a box
        warnings.simplefilter("error")
        images = [
            charts.volume_sentiment(days()),
            charts.risk_levels(days()),
            charts.topics_and_tags([Counted("城乡建设", 5, 3)], [Counted("生态环境", 2, 0)]),
            charts.districts([Counted("江北区", 4, 6), Counted("未识别", 1, 0)]),
            charts.hourly([i % 5 for i in range(24)], [i % 2 for i in range(24)]),
            charts.risk_levels([DayFigures(d.day, 0, {}, {}) for d in days()]),  # the "no data" variant
        ]
    for png in images:
        assert png.startswith(PNG) and len(png) > 5_000


def document() -> ReportDocument:
    png = charts.districts([Counted("江北区", 4, 6)])
    return ReportDocument(
        kind="weekly", masthead="舆情周报", issue="2026年第47期", office="某市人民政府办公室",
        issued_on="2026年11月23日", title="全市舆情监测周报", subtitle="（2026年11月16日至22日）",
        generated_at=datetime(2026, 11, 23, 0, 30, tzinfo=UTC),
        blocks=[
            Heading("一、总体情况"),
            Paragraph("本周共监测到<b>舆情</b>信息21条。", lead="（一）总量。"),
            Table("表1 主要指标", ["指标", "本周"], [["信息总量（条）", "21"], ["<script>alert(1)</script>", "1"]],
                  numeric=frozenset({1}), widths_cm=[10.0, 5.5]),
            Heading("（一）区域", level=2),
            Figure("图1 区县信息量", png, alt="区县条形图"),
        ],
        closing="说明：自动生成。",
    )  # fmt: skip


def test_docx_layout_fonts_tables_and_figures() -> None:
    buf = io.BytesIO()
    build_docx(document()).save(buf)
    doc = Document(io.BytesIO(buf.getvalue()))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "舆 情 周 报" and texts[1] == "2026年第47期"
    assert texts[2] == "某市人民政府办公室\t2026年11月23日"
    assert "一、总体情况" in texts and "（一）总量。本周共监测到<b>舆情</b>信息21条。" in texts
    assert "表1 主要指标" in texts and "图1 区县信息量" in texts
    # red masthead and the red rule under the office line
    assert str(doc.paragraphs[0].runs[0].font.color.rgb) == "E00000"
    border = doc.paragraphs[2]._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert border.get(qn("w:color")) == "E00000"
    # every run with text names an East Asian font
    for p in doc.paragraphs:
        for run in p.runs:
            if run.text.strip():
                assert run._element.rPr.rFonts.get(qn("w:eastAsia")), run.text
    normal = doc.styles["Normal"].element.rPr
    assert normal.rFonts.get(qn("w:eastAsia")) == "仿宋"
    assert normal.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    # the table: header row repeated on each page, values as given
    (table,) = doc.tables
    assert [c.text for c in table.rows[0].cells] == ["指标", "本周"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert table.rows[2].cells[0].text == "<script>alert(1)</script>"
    assert len(doc.inline_shapes) == 1
    assert doc.sections[0].page_width is not None and round(doc.sections[0].page_width.cm, 1) == 21.0
    footer_xml = doc.sections[0].footer._element.xml
    assert 'w:instr="PAGE"' in footer_xml


def test_html_escapes_everything_and_inlines_the_chart() -> None:
    html = build_html(document())
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;舆情&lt;/b&gt;" in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert html.count('src="data:image/png;base64,') == 1
    assert "overflow-x:auto" in html and "max-width:720px" in html
    assert "<strong>（一）总量。</strong>" in html
