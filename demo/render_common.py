"""Formatting shared by every rendered view: Asia/Shanghai wall time as Chinese sites print it, ISO 8601
with +08:00, HTTP dates, and HTML escaping."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from email.utils import format_datetime

from core.clock import SHANGHAI


def wall(moment: datetime | None) -> str | None:
    """'2026-11-21 09:31:05' in Asia/Shanghai, or None."""
    if moment is None:
        return None
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def wall_minutes(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def iso_local(moment: datetime | None) -> str | None:
    """'2026-11-21T09:31:05+08:00', or None."""
    if moment is None:
        return None
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def http_date(moment: datetime) -> str:
    """RFC 9110 IMF-fixdate, e.g. 'Sat, 21 Nov 2026 01:31:05 GMT'."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def rfc822_local(moment: datetime) -> str:
    """RSS pubDate in local time: 'Sat, 21 Nov 2026 09:31:05 +0800'."""
    return format_datetime(moment.astimezone(SHANGHAI).replace(microsecond=0))


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def paragraphs_html(text: str) -> str:
    return "".join(f"<p>{esc(line)}</p>" for line in text.split("\n") if line.strip())
