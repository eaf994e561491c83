"""Rows the alert tests need, inserted directly (the crawlers and analysis write them in production)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from core.db import Database
from core.models import Alert, Department, Event, Item, ItemAnalysis, Source


def source(db: Database, now: datetime, *, key: str = "board1", kind: str = "board", **kw: Any) -> int:
    with db.session() as s:
        row = Source(
            key=key,
            name=kw.pop("name", f"来源{key}"),
            kind=kind,
            url=kw.pop("url", "http://127.0.0.1/"),
            enabled=True,
            created_at=now,
            consecutive_failures=0,
            items_total=0,
            state={},
            **kw,
        )
        s.add(row)
        s.flush()
        return row.id


def department(
    db: Database,
    *,
    code: str = "zjj",
    name: str = "市住房和城乡建设局",
    email: str | None = "zjj@example.test",
) -> int:
    with db.session() as s:
        existing = s.scalar(select(Department.id).where(Department.code == code))
        if existing:
            return existing
        row = Department(code=code, name=name, email=email, aliases=[])
        s.add(row)
        s.flush()
        return row.id


_counter = iter(range(1, 10**9))


def item(db: Database, source_id: int, published: datetime, *, kind: str = "board", **kw: Any) -> int:
    n = next(_counter)
    with db.session() as s:
        row = Item(
            source_id=source_id,
            external_id=kw.pop("external_id", f"x{n}"),
            kind=kind,
            url=kw.pop("url", f"http://127.0.0.1/item/{n}"),
            title=kw.pop("title", f"留言{n}"),
            content=kw.pop("content", "内容"),
            published_at=published,
            fetched_at=kw.pop("fetched_at", published),
            updated_at=published,
            content_hash=f"h{n}",
            reply_status=kw.pop("reply_status", "pending"),
            status=kw.pop("status", "analyzed"),
            extra={},
            **kw,
        )
        s.add(row)
        s.flush()
        return row.id


def analysis(db: Database, item_id: int, now: datetime, **kw: Any) -> None:
    with db.session() as s:
        s.add(
            ItemAnalysis(
                item_id=item_id,
                sentiment=kw.pop("sentiment", "negative"),
                sentiment_score=0.1,
                model_version="test",
                analyzed_at=now,
                tags=[],
                risk_factors=kw.pop("risk_factors", []),
                scheme_hits=kw.pop("scheme_hits", []),
                title_masked=kw.pop("title_masked", ""),
                content_masked="",
                **kw,
            )
        )


def event(
    db: Database, now: datetime, *, level: int, title: str = "某小区供暖中断引发居民不满", **kw: Any
) -> int:
    with db.session() as s:
        row = Event(
            title=title,
            summary=kw.pop("summary", "多名居民反映小区连续三天停暖，联系电话13812345678。"),
            first_seen_at=kw.pop("first_seen_at", now - timedelta(hours=1)),
            last_seen_at=kw.pop("last_seen_at", now),
            item_count=kw.pop("item_count", 5),
            source_count=kw.pop("source_count", 2),
            kind_counts={},
            risk_score=kw.pop("risk_score", 60.0),
            risk_level=level,
            risk_factors=kw.pop(
                "risk_factors", [{"factor": "volume", "points": 20, "text": "2小时内新增5条相关信息"}]
            ),
            trend=[],
            tags=[],
            status="open",
            updated_at=now,
            **kw,
        )
        s.add(row)
        s.flush()
        return row.id


def set_event(db: Database, event_id: int, **values: Any) -> None:
    with db.session() as s:
        row = s.get(Event, event_id)
        assert row is not None
        for k, v in values.items():
            setattr(row, k, v)


def alert_row(db: Database, alert_id: int) -> Alert:
    with db.session() as s:
        row = s.get(Alert, alert_id)
        assert row is not None
        return row


POLICY = [
    {
        "role": "值班员",
        "recipients": ["duty@example.test"],
        "timeouts_minutes": {"I": 10, "II": 30, "III": 240},
    },
    {"role": "科室负责人", "recipients": ["chief@example.test"], "timeouts_minutes": {"I": 15, "II": 60}},
]


def alert(
    db: Database,
    now: datetime,
    *,
    level: int = 3,
    event_id: int | None = None,
    state: str = "triggered",
    fingerprint: str | None = None,
    **kw: Any,
) -> int:
    with db.session() as s:
        row = Alert(
            fingerprint=fingerprint or f"event_risk:event:{event_id}",
            rule=kw.pop("rule", "event_risk"),
            level=level,
            state=state,
            title=kw.pop("title", "某小区供暖中断引发居民不满"),
            summary=kw.pop("summary", None),
            detail=kw.pop("detail", {"rule_type": "event_risk", "link": "http://dash.test/alerts?alert=0"}),
            event_id=event_id,
            opened_at=now,
            updated_at=now,
            escalation_policy=kw.pop("escalation_policy", POLICY),
            escalation_step=0,
            escalation_repeats=0,
            next_escalation_at=kw.pop("next_escalation_at", now + timedelta(minutes=30)),
            last_notified_level=0,
            **kw,
        )
        s.add(row)
        s.flush()
        return row.id
