"""HTML rendering for the mail body and the dashboard's download: one self-contained page.

Readable on a phone (viewport meta, a single fluid column, tables that scroll sideways instead of squeezing),
styles inline because many mail clients drop <style>, charts inline as data: URIs, and every piece of text
escaped: titles come from citizens and the press.
"""

from __future__ import annotations

import base64
import uuid
from html import escape
from pathlib import Path

from reports.document import Figure, Heading, Paragraph, ReportDocument, Table

FONT_STACK = (
    "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Source Han Sans SC',sans-serif"
)
S_BODY = f"margin:0;padding:0;background:#f2f3f5;font-family:{FONT_STACK};color:#1f1f1f;"
S_WRAP = "max-width:720px;margin:0 auto;background:#ffffff;padding:16px 18px 28px;box-sizing:border-box;"
S_MAST = (
    "text-align:center;color:#e00000;font-size:30px;font-weight:bold;letter-spacing:8px;margin:8px 0 2px;"
)
S_ISSUE = "text-align:center;font-size:14px;margin:0 0 8px;"
S_META = (
    "display:flex;justify-content:space-between;flex-wrap:wrap;gap:4px;font-size:14px;"
    "border-bottom:2px solid #e00000;padding-bottom:8px;margin-bottom:14px;"
)
S_TITLE = "text-align:center;font-size:21px;font-weight:bold;margin:10px 0 2px;line-height:1.4;"
S_SUB = "text-align:center;font-size:15px;margin:0 0 14px;color:#434343;"
S_H1 = "font-size:18px;font-weight:bold;margin:22px 0 8px;line-height:1.5;"
S_H2 = "font-size:16px;font-weight:bold;margin:14px 0 6px;line-height:1.5;color:#262626;"
S_P = "font-size:15px;line-height:1.8;margin:0 0 10px;text-indent:2em;text-align:justify;"
S_CAPTION = "font-size:13px;font-weight:bold;text-align:center;margin:12px 0 4px;"
S_SCROLL = "overflow-x:auto;-webkit-overflow-scrolling:touch;margin:0 0 4px;"
S_TABLE = "border-collapse:collapse;width:100%;min-width:420px;font-size:13px;line-height:1.45;"
S_TH = "border:1px solid #bfbfbf;background:#dce6f1;padding:5px 6px;text-align:center;font-weight:bold;"
S_TD = "border:1px solid #d9d9d9;padding:5px 6px;vertical-align:middle;"
S_NOTE = "font-size:12px;color:#595959;margin:2px 0 10px;"
S_IMG = "display:block;width:100%;max-width:680px;height:auto;margin:8px auto 0;"
S_CLOSING = "font-size:12px;color:#595959;line-height:1.7;margin:20px 0 8px;"
S_SIGN = "text-align:right;font-size:15px;margin:2px 0;"


def _e(text: str) -> str:
    return escape(text, quote=True)


def _table(block: Table) -> str:
    head = "".join(f'<th style="{S_TH}">{_e(h)}</th>' for h in block.header)
    rows = []
    for values in block.rows:
        cells = []
        for i, value in enumerate(values):
            align = "text-align:center;white-space:nowrap;" if i in block.numeric else "text-align:left;"
            cells.append(f'<td style="{S_TD}{align}">{_e(value)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    note = f'<p style="{S_NOTE}">{_e(block.note)}</p>' if block.note else ""
    return (
        f'<p style="{S_CAPTION}">{_e(block.caption)}</p>'
        f'<div style="{S_SCROLL}"><table style="{S_TABLE}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{note}"
    )


def _figure(block: Figure) -> str:
    data = base64.b64encode(block.png).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{_e(block.alt or block.caption)}" style="{S_IMG}">'
        f'<p style="{S_CAPTION}">{_e(block.caption)}</p>'
    )


def build_html(report: ReportDocument) -> str:
    parts = [
        f'<p style="{S_MAST}">{_e(report.masthead)}</p>',
        f'<p style="{S_ISSUE}">{_e(report.issue)}</p>',
        f'<div style="{S_META}"><span>{_e(report.office)}</span><span>{_e(report.issued_on)}</span></div>',
        f'<h1 style="{S_TITLE}">{_e(report.title)}</h1>',
        f'<p style="{S_SUB}">{_e(report.subtitle)}</p>',
    ]
    for block in report.blocks:
        if isinstance(block, Heading):
            tag, style = ("h2", S_H1) if block.level == 1 else ("h3", S_H2)
            parts.append(f'<{tag} style="{style}">{_e(block.text)}</{tag}>')
        elif isinstance(block, Paragraph):
            lead = f"<strong>{_e(block.lead)}</strong>" if block.lead else ""
            parts.append(f'<p style="{S_P}">{lead}{_e(block.text)}</p>')
        elif isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Figure):
            parts.append(_figure(block))
    if report.closing:
        parts.append(f'<p style="{S_CLOSING}">{_e(report.closing)}</p>')
    parts.append(f'<p style="{S_SIGN}">{_e(report.office)}</p><p style="{S_SIGN}">{_e(report.issued_on)}</p>')
    title = _e(f"{report.masthead} {report.issue}")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>"
        f'<body style="{S_BODY}"><div style="{S_WRAP}">{"".join(parts)}</div></body></html>\n'
    )


def write_html(report: ReportDocument, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A unique temporary name: the scheduled job and a "generate now" request may write the same report.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(build_html(report), encoding="utf-8")
    tmp.replace(path)
    return path
