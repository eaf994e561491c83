"""Mail content: subjects, plain-text and HTML bodies for alerts, timers, digests and test mails.

Templates are string.Template files in alerts/templates; every value put into HTML is escaped unless it was
built here from escaped parts (Safe). Citizen text is masked with core.privacy before it goes anywhere.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from string import Template
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import ensure_utc, format_local
from core.levels import Level
from core.models import Alert, Department, Event, Item, ResponseTask, Source
from core.privacy import mask

RULE_LABELS = {
    "event_risk": "事件风险达到预警级别",
    "burst": "舆情突增",
    "scheme": "重点监测方案命中",
    "source_health": "信息源异常",
    "timer": "回应时限",
}
STATE_LABELS = {"triggered": "待确认", "acknowledged": "已确认", "responding": "处置中", "resolved": "已办结"}
SOURCE_KIND_LABELS = {"hotline": "12345热线", "board": "留言板", "news": "新闻"}


def mask_text(text: str | None) -> str:
    """Personal data masked (phones, ID numbers, cards, e-mail addresses, complainants' names)."""
    return mask(text) if text else ""


class Safe(str):
    """HTML built here from escaped parts; inserted as is."""


@dataclass(frozen=True)
class MailContent:
    subject: str
    text: str
    html: str | None
    attachments: tuple[str, ...] = ()


@cache
def _template(name: str) -> Template:
    return Template(resources.files("alerts.templates").joinpath(name).read_text(encoding="utf-8"))


def _render_text(name: str, values: Mapping[str, Any]) -> str:
    return _template(name).substitute({k: str(v) for k, v in values.items()})


def _render_html(name: str, values: Mapping[str, Any]) -> str:
    escaped = {k: (v if isinstance(v, Safe) else html.escape(str(v), quote=True)) for k, v in values.items()}
    return _template(name).substitute(escaped)


def _one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def subject_for(level: int, title: str, suffix: str = "") -> str:
    """'[红色预警] <title>' plus an optional note such as '（已升级）'; one line, at most 200 characters."""
    subject = f"{Level(level).alert_title} {_one_line(mask_text(title), 150)}{suffix}"
    return subject[:200]


# --- alert mails ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimerLine:
    label: str
    due_at: datetime
    remaining_text: str
    light: str


@dataclass(frozen=True)
class AlertMailData:
    alert_id: int
    level: int
    title: str
    rule_type: str
    state: str
    opened_at: datetime
    summary: str
    factors: tuple[str, ...]
    item_count: int | None
    source_count: int | None
    first_source_name: str
    first_source_kind: str
    first_source_url: str | None
    first_published_at: datetime | None
    timers: tuple[TimerLine, ...]
    instruction: str | None
    link: str
    office: str
    note: str = ""
    subject_suffix: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def alert_mail_data(
    session: Session, alert: Alert, now: datetime, *, note: str = "", subject_suffix: str = ""
) -> AlertMailData:
    """Everything an alert mail shows, read in the sender's transaction (ORM objects stay inside)."""
    from alerts.timers import timer_view  # local: timers imports this module

    detail = alert.detail or {}
    summary = alert.summary or ""
    factors = [str(f.get("text") or f.get("factor") or "") for f in detail.get("risk_factors") or [] if f]
    item_count = detail.get("item_count")
    source_count = detail.get("source_count")
    first_name, first_kind, first_url, first_at = "", "", None, None
    if alert.event_id is not None:
        event = session.get(Event, alert.event_id)
        if event is not None:
            summary = event.summary or summary
            item_count, source_count = event.item_count, event.source_count
            if not factors:
                factors = [str(f.get("text") or f.get("factor") or "") for f in event.risk_factors or [] if f]
            if event.first_item_id is not None:
                first_name, first_kind, first_url, first_at = _item_source(session, event.first_item_id)
    if not first_name and alert.item_id is not None:
        first_name, first_kind, first_url, first_at = _item_source(session, alert.item_id)
    if not first_name and alert.source_id is not None:
        src = session.get(Source, alert.source_id)
        if src is not None:
            first_name, first_kind, first_url = src.name, src.kind, src.url
    timers: list[TimerLine] = []
    task_filter = []
    if alert.event_id is not None:
        task_filter.append(ResponseTask.event_id == alert.event_id)
    if alert.item_id is not None:
        task_filter.append(ResponseTask.item_id == alert.item_id)
    if alert.response_task_id is not None:
        task_filter.append(ResponseTask.id == alert.response_task_id)
    if task_filter:
        where = task_filter[0]
        for extra in task_filter[1:]:
            where = where | extra
        for task in session.scalars(select(ResponseTask).where(where).order_by(ResponseTask.due_at)):
            view = timer_view(
                task.state,
                task.started_at,
                task.due_at,
                task.warn_at,
                now,
                paused_at=task.paused_at,
                answered_at=task.answered_at,
            )
            timers.append(
                TimerLine(
                    str(task.limit_spec.get("label") or task.kind),
                    ensure_utc(task.due_at),
                    view.remaining_text if view.state != "answered" else "已答复",
                    view.label,
                )
            )
    link = str(detail.get("link") or f"/alerts?alert={alert.id}")
    return AlertMailData(
        alert_id=alert.id,
        level=alert.level,
        title=alert.title,
        rule_type=str(detail.get("rule_type") or alert.rule),
        state=alert.state,
        opened_at=ensure_utc(alert.opened_at),
        summary=summary,
        factors=tuple(f for f in factors if f),
        item_count=item_count,
        source_count=source_count,
        first_source_name=first_name,
        first_source_kind=first_kind,
        first_source_url=first_url,
        first_published_at=first_at,
        timers=tuple(timers),
        instruction=alert.instruction,
        link=link,
        office=str(detail.get("office") or ""),
        note=note,
        subject_suffix=subject_suffix,
    )


def _item_source(session: Session, item_id: int) -> tuple[str, str, str | None, datetime | None]:
    row = session.execute(
        select(Source.name, Item.kind, Item.url, Item.published_at)
        .join(Source, Source.id == Item.source_id)
        .where(Item.id == item_id)
    ).first()
    if row is None:
        return "", "", None, None
    return row.name, row.kind, row.url, ensure_utc(row.published_at) if row.published_at else None


def render_alert_mail(data: AlertMailData) -> MailContent:
    level = Level(data.level)
    title = mask_text(data.title)
    subject = subject_for(data.level, data.title, data.subject_suffix)
    summary = _one_line(mask_text(data.summary), 600) if data.summary else "（暂无摘要）"
    factors = [mask_text(f) for f in data.factors] or ["（未记录）"]
    scale_parts = []
    if data.item_count is not None:
        scale_parts.append(f"相关信息 {data.item_count} 条")
    if data.source_count is not None:
        scale_parts.append(f"来源 {data.source_count} 个")
    scale = "，".join(scale_parts) or "—"
    kind = SOURCE_KIND_LABELS.get(data.first_source_kind, data.first_source_kind)
    source_line = " · ".join(
        p for p in (data.first_source_name, kind, format_local(data.first_published_at)) if p
    )
    source_line = source_line or "—"
    if data.timers:
        timer_lines = [
            f"{t.label}：截止 {format_local(t.due_at)}（{t.remaining_text}，{t.light}）" for t in data.timers
        ]
    else:
        timer_lines = ["（未设回应时限）"]
    instruction = mask_text(data.instruction) if data.instruction else ""
    office = data.office or ""
    heading = f"{level.alert_title} {title}"
    text_values = {
        "heading": heading,
        "note_block": f"※ {data.note}\n\n" if data.note else "",
        "level_label": level.label,
        "rule_label": RULE_LABELS.get(data.rule_type, data.rule_type),
        "state_label": STATE_LABELS.get(data.state, data.state),
        "opened_at": format_local(data.opened_at),
        "summary": summary,
        "factors": "\n".join(f"· {f}" for f in factors),
        "scale": scale,
        "first_source": source_line + (f"\n{data.first_source_url}" if data.first_source_url else ""),
        "timers": "\n".join(f"· {line}" for line in timer_lines),
        "instruction_block": f"\n【领导批示】\n{instruction}\n" if instruction else "",
        "link": data.link,
        "office": office,
    }
    text = _render_text("alert.txt", text_values)
    esc = html.escape
    if data.first_source_url and data.first_source_url.strip().lower().startswith(("http://", "https://")):
        # Only web addresses become links: a crawled javascript: or data: URL stays text.
        url = esc(data.first_source_url, quote=True)
        source_html = Safe(
            f'<p style="margin:0">{esc(source_line)}<br><a href="{url}">{esc(data.first_source_url)}</a></p>'
        )
    elif data.first_source_url:
        source_html = Safe(f'<p style="margin:0">{esc(source_line)}<br>{esc(data.first_source_url)}</p>')
    else:
        source_html = Safe(f'<p style="margin:0">{esc(source_line)}</p>')
    html_values = {
        **text_values,
        "subject": subject,
        "colour": level.colour,
        "heading_colour": "#222" if level is Level.III else "#fff",
        "note_html": Safe(
            f'<p style="margin:0 0 10px;padding:8px;background:#fff7e6;border-left:4px solid {level.colour}">'
            f"{esc(data.note)}</p>"
        )
        if data.note
        else Safe(""),
        "factors_html": Safe(
            '<ul style="margin:0;padding-left:1.2em">'
            + "".join(f"<li>{esc(f)}</li>" for f in factors)
            + "</ul>"
        ),
        "first_source_html": source_html,
        "timers_html": Safe(
            '<ul style="margin:0;padding-left:1.2em">'
            + "".join(f"<li>{esc(line)}</li>" for line in timer_lines)
            + "</ul>"
        ),
        "instruction_html": Safe(
            f'<h3 style="font-size:16px;margin:16px 0 4px">领导批示</h3><p style="margin:0">{esc(instruction)}</p>'
        )
        if instruction
        else Safe(""),
    }
    return MailContent(subject, text, _render_html("alert.html", html_values))


def alert_mail(
    session: Session, alert: Alert, now: datetime, *, note: str = "", subject_suffix: str = ""
) -> MailContent:
    return render_alert_mail(alert_mail_data(session, alert, now, note=note, subject_suffix=subject_suffix))


# --- timer, digest and test mails ---------------------------------------------------------------------------

TIMER_HEADINGS = {
    "warning": ("[黄灯提醒]", "即将到期", "#faad14"),
    "overdue": ("[红灯超期]", "已超期", "#f5222d"),
    "remind": ("[催办]", "已超期，请尽快办理", "#f5222d"),
    "assigned": ("[转办]", "请按时限办理", "#1677ff"),
}


def render_timer_mail(
    *,
    kind: str,
    label: str,
    title: str,
    source_name: str,
    url: str | None,
    department: str,
    started_at: datetime,
    due_at: datetime,
    remaining_text: str,
    link: str,
) -> MailContent:
    tag, what, colour = TIMER_HEADINGS.get(kind, ("[提醒]", "", "#1677ff"))
    masked = _one_line(mask_text(title), 150) or "（无标题）"
    subject = f"{tag} {label}{what}：{masked}"[:200]
    heading = f"{tag} {label}{what}"
    values = {
        "heading": heading,
        "title": masked,
        "label": label,
        "department": department or "（未指定，请值班室转办）",
        "started_at": format_local(started_at),
        "due_at": format_local(due_at),
        "remaining": remaining_text,
        "source": source_name or "—",
        "url_line": f"原文：{url}\n" if url else "",
        "link": link,
    }
    text = _render_text("timer.txt", values)
    esc = html.escape
    source_html = Safe(
        esc(source_name or "—") + (f' · <a href="{esc(url, quote=True)}">原文</a>' if url else "")
    )
    html_body = _render_html(
        "timer.html", {**values, "subject": subject, "colour": colour, "source_html": source_html}
    )
    return MailContent(subject, text, html_body)


@dataclass(frozen=True)
class DigestLine:
    alert_id: int
    level: int
    title: str
    state: str
    opened_at: datetime
    link: str


def render_digest(
    name: str, lines: Sequence[DigestLine], link: str, office: str, now: datetime
) -> MailContent:
    subject = f"[预警汇总] {format_local(now, '%Y-%m-%d %H:%M')} 共 {len(lines)} 条"
    greeting = f"{name}：" if name else ""
    text_lines = [
        f"· {Level(line.level).alert_title} {_one_line(mask_text(line.title), 80)}"
        f"（{STATE_LABELS.get(line.state, line.state)}，{format_local(line.opened_at)}）\n  {line.link}"
        for line in lines
    ]
    values = {
        "heading": subject,
        "greeting": greeting,
        "count": len(lines),
        "lines": "\n".join(text_lines) + "\n",
        "link": link,
        "office": office,
    }
    esc = html.escape
    items_html = Safe(
        "".join(
            f'<li style="margin-bottom:6px"><span style="color:{Level(line.level).colour}">'
            f"{esc(Level(line.level).alert_title)}</span> "
            f'<a href="{esc(line.link, quote=True)}">{esc(_one_line(mask_text(line.title), 80))}</a>'
            f'<br><span style="color:#888;font-size:13px">{esc(STATE_LABELS.get(line.state, line.state))}，'
            f"{esc(format_local(line.opened_at))}</span></li>"
            for line in lines
        )
    )
    return MailContent(
        subject,
        _render_text("digest.txt", values),
        _render_html("digest.html", {**values, "subject": subject, "items_html": items_html}),
    )


def render_test_mail(server: str, office: str, now: datetime) -> MailContent:
    text = _render_text(
        "test.txt", {"sent_at": format_local(now, "%Y-%m-%d %H:%M:%S"), "server": server, "office": office}
    )
    return MailContent("[测试] 舆情监测平台邮件发送测试", text, None)


def department_name(session: Session, department_id: int | None) -> str:
    if department_id is None:
        return ""
    return session.scalar(select(Department.name).where(Department.id == department_id)) or ""
