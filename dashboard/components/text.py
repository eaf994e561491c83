"""Showing text and times: labels in 简体中文, Asia/Shanghai times, and highlighting that splits crawled text
into plain strings and html.Mark components (crawled text is never parsed as HTML)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from dash import html

from core.clock import format_local
from core.levels import Level

SENTIMENT_LABELS = {"negative": "负面", "neutral": "中性", "positive": "正面"}
SENTIMENT_COLOURS = {"negative": "#d4380d", "neutral": "#8c8c8c", "positive": "#389e0d"}
KIND_LABELS = {"hotline": "12345热线", "board": "留言板", "news": "新闻"}
KIND_COLOURS = {"hotline": "#1677ff", "board": "#13a8a8", "news": "#722ed1"}
REPLY_LABELS = {"none": "无需回复", "pending": "待回复", "replied": "已回复"}
ALERT_STATE_LABELS = {
    "triggered": "待确认",
    "acknowledged": "已确认",
    "responding": "处置中",
    "resolved": "已办结",
}
TASK_STATE_LABELS = {"running": "计时中", "paused": "已暂停", "answered": "已回应", "cancelled": "已取消"}
REPORT_KIND_LABELS = {"weekly": "周报", "daily": "日报"}
REPORT_STATUS_LABELS = {"requested": "排队生成中", "done": "已生成", "error": "生成失败"}
ROLE_LABELS = {"duty": "值班员", "leader": "领导", "admin": "管理员"}
ACTION_LABELS = {
    "alert.open": "触发预警",
    "alert.trigger": "触发预警",
    "alert.notify": "发送通知",
    "alert.escalate": "升级通知",
    "alert.acknowledge": "确认",
    "alert.ack": "确认",
    "alert.assign": "转办",
    "alert.respond": "记录回应",
    "alert.response": "记录回应",
    "alert.resolve": "办结",
    "alert.instruction": "领导批示",
    "alert.instruct": "领导批示",
    "alert.silence": "静默",
    "alert.auto_resolve": "自动办结",
    "alert.escalation_exhausted": "升级次数用尽",
    "alert.level_up": "级别上调",
    "alert.notify_level_up": "级别上调通知",
    "alert.repeat": "重复提醒",
    "alert.uninhibit": "解除抑制",
    "silence.expire": "解除静默",
    "report_request": "申请生成报告",
    "alert.inhibit": "被抑制",
    "alert.level": "调整级别",
    "timer.start": "开始计时",
    "timer.create": "开始计时",
    "timer.extend": "延期",
    "timer.answer": "记录答复",
    "timer.pause": "暂停计时",
    "timer.resume": "恢复计时",
    "timer.warn": "黄灯预警",
    "timer.overdue": "红灯超时",
    "timer.remind": "催办",
    "timer.cancel": "取消计时",
    "timer.tighten": "收紧时限",
    "label.correct": "人工更正",
    "pii.view": "查看原文",
    "user.login": "登录",
    "user.login_failed": "登录失败",
    "user.logout": "退出",
    "user.create": "新建用户",
    "user.role": "修改角色",
    "user.enable": "启用账户",
    "user.disable": "停用账户",
    "user.password": "重置密码",
    "user.unlock": "解除锁定",
    "workday.set": "调整工作日",
    "workday.delete": "删除工作日调整",
    "silence.create": "新建静默",
    "report.request": "申请生成报告",
}


def missing(value: Any) -> bool:
    """None, NaN and NaT (pandas hands back NaT for empty time cells, and NaT is a datetime)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_time(value: Any, fmt: str = "%m-%d %H:%M") -> str:
    if missing(value):
        return ""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return format_local(value, fmt)


def fmt_full(value: Any) -> str:
    return fmt_time(value, "%Y-%m-%d %H:%M")


def level_label(level: int | None) -> str:
    try:
        return Level(int(level or 0)).label
    except ValueError:
        return str(level)


def level_colour(level: int | None) -> str:
    try:
        return Level(int(level or 0)).colour
    except ValueError:
        return "#8c8c8c"


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def duration_words(hours: float | None) -> str:
    if hours is None or missing(hours):
        return "—"
    if hours < 1:
        return f"{hours * 60:.0f}分钟"
    if hours < 48:
        return f"{hours:.1f}小时"
    return f"{hours / 24:.1f}天"


def highlight(text: str, terms: Sequence[str], class_name: str = "hit") -> list[Any]:
    """`text` as a list of strings and html.Mark parts for every occurrence of a term (longest first).
    Plain strings in Dash children render as text nodes, so markup inside `text` stays inert."""
    words = sorted({t for t in terms if t}, key=len, reverse=True)
    if not text or not words:
        return [text or ""]
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    parts: list[Any] = []
    last = 0
    for m in pattern.finditer(text):
        if m.start() > last:
            parts.append(text[last : m.start()])
        parts.append(html.Mark(m.group(), className=class_name))
        last = m.end()
    if last < len(text):
        parts.append(text[last:])
    return parts


def paragraphs(text: str, terms: Sequence[str] = ()) -> list[Any]:
    """Multi-line text as paragraphs, each highlighted."""
    lines = [ln for ln in (text or "").splitlines() if ln.strip()] or [""]
    return [html.P(highlight(ln, terms)) for ln in lines]


def timer_label(kind: str | None, rules: Iterable[Any]) -> str:
    """The people-facing name of a timer rule (timers.yaml `label`), else its key."""
    for rule in rules:
        if rule.name == kind:
            return str(getattr(rule, "label", "") or kind)
    return kind or ""


def risk_factor_lines(factors: Iterable[Any]) -> list[str]:
    """Risk factors in words: [{"factor":..,"points":..,"text":..}] or plain strings."""
    lines = []
    for f in factors or []:
        if isinstance(f, dict):
            words = f.get("text") or f.get("reason") or f.get("factor") or ""
            points = f.get("points")
            scored = isinstance(points, (int, float)) and points > 0
            lines.append(f"{words}（+{points:g}分）" if scored else str(words))
        elif f:
            lines.append(str(f))
    return lines
