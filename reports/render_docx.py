"""Word (.docx) rendering in the layout of a government document (GB/T 9704 in spirit).

A red masthead with the issue number, the issuing office and date above a red rule; a centred title;
sections numbered 一、二、 in 黑体 and sub-sections （一） in 楷体; body text in 仿宋; tables with a shaded,
repeating header row and captions above; charts as centred figures with captions below; page numbers
"— 1 —" in the footer. Every run names its East Asian font (w:eastAsia), or Word would fall back to a
Latin font for Chinese text.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from reports.document import Figure, Heading, Paragraph, ReportDocument, Table

# The fonts of Chinese government documents, by the names every Windows/WPS installation has. Where they
# are missing (Linux), fontconfig substitutes a CJK font (Noto CJK) for the East Asian text.
FONT_MASTHEAD = "宋体"  # 方正小标宋 where installed; 宋体 bold is the portable stand-in
FONT_TITLE = "宋体"
FONT_BODY = "仿宋"
FONT_H1 = "黑体"
FONT_H2 = "楷体"
FONT_TABLE = "宋体"
FONT_LATIN = "Times New Roman"
RED = RGBColor(0xE0, 0x00, 0x00)
RED_HEX = "E00000"
HEADER_FILL = "DCE6F1"

BODY_PT = 16  # 三号
LINE_PT = 28  # fixed line pitch of the body text
TABLE_PT = 10.5  # 五号
CAPTION_PT = 12

# Successor tags in schema order, so inserted elements land where Word expects them.
_PPR_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
_TCPR_AFTER_SHD = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")


def set_font(
    run: Run, east_asia: str, size: float, *, bold: bool = False, color: RGBColor | None = None
) -> None:
    run.font.name = FONT_LATIN
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.rFonts if rpr.rFonts is not None else rpr._add_rFonts()
    rfonts.set(qn("w:eastAsia"), east_asia)


def _spacing(
    p: DocxParagraph,
    *,
    before: float = 0,
    after: float = 0,
    line: float | None = LINE_PT,
    indent: bool = False,
) -> None:
    fmt = p.paragraph_format
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    if line is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
    if indent:
        fmt.first_line_indent = Pt(BODY_PT * 2)  # two characters, as Chinese paragraphs begin


def _bottom_rule(p: DocxParagraph, color: str = RED_HEX, eighths: int = 18) -> None:
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(eighths))
    bottom.set(qn("w:space"), "4")
    bottom.set(qn("w:color"), color)
    border.append(bottom)
    ppr.insert_element_before(border, *_PPR_AFTER_PBDR)


def _shade(cell: object, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.insert_element_before(shd, *_TCPR_AFTER_SHD)


def _repeat_header(row: object) -> None:
    trpr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def _page_number_footer(doc: DocxDocument) -> None:
    p = doc.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(p.add_run("— "), FONT_BODY, 14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    p._p.append(field)
    set_font(p.add_run(" —"), FONT_BODY, 14)


def _setup(doc: DocxDocument, report: ReportDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = Cm(2.0)
    normal = doc.styles["Normal"]
    normal.font.name = FONT_LATIN
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    rfonts = rpr.rFonts if rpr.rFonts is not None else rpr._add_rFonts()
    rfonts.set(qn("w:eastAsia"), FONT_BODY)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    props = doc.core_properties
    props.title = f"{report.title}{report.subtitle}"
    props.author = report.office
    props.subject = report.masthead
    props.language = "zh-CN"
    props.created = report.generated_at.replace(tzinfo=None)
    props.modified = report.generated_at.replace(tzinfo=None)
    props.last_modified_by = report.office
    props.revision = 1


def _masthead(doc: DocxDocument, report: ReportDocument) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(p, before=12, after=6, line=None)
    # Spaced-out characters, as printed mastheads are.
    set_font(p.add_run(" ".join(report.masthead)), FONT_MASTHEAD, 42, bold=True, color=RED)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(p, after=6, line=None)
    set_font(p.add_run(report.issue), FONT_BODY, BODY_PT)
    p = doc.add_paragraph()
    _spacing(p, after=18, line=None)
    p.paragraph_format.tab_stops.add_tab_stop(Cm(15.6), WD_TAB_ALIGNMENT.RIGHT)
    set_font(p.add_run(report.office), FONT_BODY, 14)
    set_font(p.add_run("\t" + report.issued_on), FONT_BODY, 14)
    _bottom_rule(p)


def _title(doc: DocxDocument, report: ReportDocument) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(p, before=12, after=0, line=None)
    set_font(p.add_run(report.title), FONT_TITLE, 22, bold=True)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(p, after=12, line=LINE_PT)
    set_font(p.add_run(report.subtitle), FONT_H2, BODY_PT)


def _heading(doc: DocxDocument, block: Heading) -> None:
    p = doc.add_paragraph()
    _spacing(p, before=6 if block.level == 1 else 0, indent=True)
    p.paragraph_format.keep_with_next = True
    font = FONT_H1 if block.level == 1 else FONT_H2
    set_font(p.add_run(block.text), font, BODY_PT, bold=block.level == 2)
    # Outline level, so Word's navigation pane shows the sections.
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), str(block.level - 1))
    p._p.get_or_add_pPr().insert_element_before(
        outline, "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange"
    )


def _paragraph(doc: DocxDocument, block: Paragraph) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    _spacing(p, indent=True)
    if block.lead:
        set_font(p.add_run(block.lead), FONT_H2, BODY_PT, bold=True)
    set_font(p.add_run(block.text), FONT_BODY, BODY_PT)


def _caption(doc: DocxDocument, text: str, *, before: float, after: float, keep: bool) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(p, before=before, after=after, line=None)
    p.paragraph_format.keep_with_next = keep
    set_font(p.add_run(text), FONT_H1, CAPTION_PT)


def _table(doc: DocxDocument, block: Table) -> None:
    _caption(doc, block.caption, before=8, after=4, keep=True)
    table = doc.add_table(rows=1, cols=len(block.header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = block.widths_cm is None
    header = table.rows[0]
    _repeat_header(header)
    for i, name in enumerate(block.header):
        cell = header.cells[i]
        _shade(cell, HEADER_FILL)
        _cell_text(cell, name, bold=True, center=True)
    for values in block.rows:
        cells = table.add_row().cells
        for i, value in enumerate(values):
            _cell_text(cells[i], value, center=i in block.numeric)
    if block.widths_cm:
        # Word reads the cell widths, LibreOffice the grid: set both.
        for column, width in zip(table.columns, block.widths_cm, strict=False):
            column.width = Cm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, block.widths_cm, strict=False):
                cell.width = Cm(width)
    if block.note:
        p = doc.add_paragraph()
        _spacing(p, before=2, after=4, line=None)
        set_font(p.add_run(block.note), FONT_BODY, 10.5)
    else:
        spacer = doc.add_paragraph()
        _spacing(spacer, after=0, line=None)
        spacer.paragraph_format.space_after = Pt(4)


def _cell_text(cell: object, value: str, *, bold: bool = False, center: bool = False) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER  # type: ignore[attr-defined]
    p = cell.paragraphs[0]  # type: ignore[attr-defined]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
    _spacing(p, before=1, after=1, line=None)
    set_font(p.add_run(value), FONT_H1 if bold else FONT_TABLE, TABLE_PT, bold=False)


def _figure(doc: DocxDocument, block: Figure) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(p, before=6, after=0, line=None)
    p.paragraph_format.keep_with_next = True
    p.add_run().add_picture(io.BytesIO(block.png), width=Cm(block.width_cm))
    _caption(doc, block.caption, before=2, after=8, keep=False)


def _closing(doc: DocxDocument, report: ReportDocument) -> None:
    if report.closing:
        p = doc.add_paragraph()
        _spacing(p, before=12, line=None)
        p.paragraph_format.first_line_indent = Pt(24)
        set_font(p.add_run(report.closing), FONT_BODY, 12)
    for text in ("", report.office, report.issued_on):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _spacing(p)
        p.paragraph_format.right_indent = Pt(BODY_PT * 2)
        if text:
            set_font(p.add_run(text), FONT_BODY, BODY_PT)


def build_docx(report: ReportDocument) -> DocxDocument:
    doc = Document()
    _setup(doc, report)
    _masthead(doc, report)
    _title(doc, report)
    for block in report.blocks:
        if isinstance(block, Heading):
            _heading(doc, block)
        elif isinstance(block, Paragraph):
            _paragraph(doc, block)
        elif isinstance(block, Table):
            _table(doc, block)
        elif isinstance(block, Figure):
            _figure(doc, block)
    _closing(doc, report)
    _page_number_footer(doc)
    return doc


def write_docx(report: ReportDocument, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A unique temporary name: the scheduled job and a "generate now" request may write the same report.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    build_docx(report).save(str(tmp))
    tmp.replace(path)  # a half-written file never sits at the final path
    return path
