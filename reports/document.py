"""A small document model (headings, paragraphs, tables, figures) that both renderers draw.

The weekly report and the daily brief are composed once into a ReportDocument; render_docx and render_html
only decide how each block looks, so the Word file and the mail always carry the same words and numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Heading:
    text: str  # numbered by the composer: 一、总体情况 / （一）信息量
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str
    lead: str = ""  # printed bold before the text, e.g. （一）事件标题。


@dataclass(frozen=True)
class Table:
    caption: str  # 表1 本周主要指标
    header: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()  # column indexes holding figures (centred)
    widths_cm: list[float] | None = None
    note: str = ""


@dataclass(frozen=True)
class Figure:
    caption: str  # 图1 每日信息量与情感分布
    png: bytes
    alt: str = ""
    width_cm: float = 15.5


Block = Heading | Paragraph | Table | Figure


@dataclass(frozen=True)
class ReportDocument:
    kind: str  # weekly | daily
    masthead: str  # 舆情周报
    issue: str  # 2026年第47期
    office: str
    issued_on: str  # 2026年11月23日
    title: str
    subtitle: str
    generated_at: datetime
    blocks: list[Block] = field(default_factory=list)
    closing: str = ""

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    @property
    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    def plain_text(self) -> str:
        """The document as plain text (for the mail's text part): headings, paragraphs, tables as lines."""
        lines = [self.title, self.subtitle, ""]
        for block in self.blocks:
            if isinstance(block, Heading):
                lines += ["", block.text]
            elif isinstance(block, Paragraph):
                lines.append(f"{block.lead}{block.text}")
            elif isinstance(block, Table):
                lines += ["", block.caption, " | ".join(block.header)]
                lines += [" | ".join(row) for row in block.rows]
                if block.note:
                    lines.append(block.note)
            elif isinstance(block, Figure):
                lines.append(f"（{block.caption}，见附件）")
        if self.closing:
            lines += ["", self.closing]
        lines += ["", self.office, self.issued_on]
        return "\n".join(lines).strip() + "\n"
