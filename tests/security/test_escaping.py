"""Markup in crawled titles and bodies stays text: in the dashboard's callback answers (never rendered HTML, never
a javascript: link), in alert e-mails delivered through a real SMTP server (the text part holds the characters,
the HTML part escapes them, a line break in a title cannot add a header), and in the Word and HTML reports."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from sqlalchemy import select

from alerts import jobs
from core.clock import FixedClock
from core.db import Database
from core.levels import Level
from core.models import Alert, Event, Item, ItemAnalysis, Notification, Source
from core.runtime import JobContext
from core.settings import AppConfig
from tests.e2e.server import RunningDashboard
from tests.integration.alerts.smtpserver import Recorder, start_server
from tests.pgserver import free_port
from tests.security.conftest import Client, decoded
from tests.unit.alerts import factories as f

Login = Callable[[str | None], Client]

HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>河道<b>黑臭</b>&amp;\"引号\""
HOSTILE_BODY = "正文<iframe src=javascript:alert(2)></iframe>居民反映<a href='javascript:alert(3)'>点此</a>"
JS_URL = "javascript:alert(document.cookie)"


# --- the dashboard -------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Hostile:
    item_id: int
    event_id: int
    alert_id: int


@pytest.fixture(scope="module")
def hostile(site: RunningDashboard) -> Hostile:
    now = site.info.now
    with site.db.session() as s:
        source_id = s.scalar(select(Source.id).where(Source.kind == "board").order_by(Source.id))
        event = Event(
            title=HOSTILE,
            summary=HOSTILE_BODY,
            first_seen_at=now - timedelta(hours=1),
            last_seen_at=now,
            item_count=1,
            source_count=1,
            kind_counts={"board": 1},
            risk_level=1,
            risk_factors=[{"factor": "volume", "points": 5, "text": HOSTILE}],
            trend=[],
            tags=[],
            updated_at=now,
        )
        s.add(event)
        s.flush()
        item = Item(
            source_id=source_id,
            external_id="hostile-1",
            kind="board",
            url=JS_URL,
            title=HOSTILE,
            content=HOSTILE_BODY,
            published_at=now,
            fetched_at=now,
            updated_at=now,
            content_hash="hostile",
            status="analyzed",
            event_id=event.id,
            reply_status="replied",
            reply_text=HOSTILE_BODY,
            reply_department=HOSTILE,
        )
        s.add(item)
        s.flush()
        event.first_item_id = item.id
        event.first_source_id = source_id
        s.add(
            ItemAnalysis(
                item_id=item.id,
                sentiment="negative",
                sentiment_score=0.1,
                title_masked=HOSTILE,
                content_masked=HOSTILE_BODY,
                scheme_hits=[{"scheme": HOSTILE, "terms": ["<b>黑臭</b>"]}],
                risk_factors=[{"factor": "volume", "points": 5, "text": HOSTILE}],
                tags=[HOSTILE],
                model_version="t",
                analyzed_at=now,
            )
        )
        alert = Alert(
            fingerprint=f"event_risk:{event.id}",
            rule="event_risk",
            level=1,
            state="acknowledged",
            title=HOSTILE,
            summary=HOSTILE_BODY,
            detail={"risk_factors": event.risk_factors},
            event_id=event.id,
            item_id=item.id,
            opened_at=now - timedelta(minutes=30),
            updated_at=now,
            acknowledged_at=now,
            acknowledged_by="duty",
            instruction=HOSTILE,
            escalation_policy=[],
        )
        s.add(alert)
        s.flush()
        return Hostile(item.id, event.id, alert.id)


def _walk_components(node: Any, found: list[str]) -> None:
    """Fail on any way a component could turn text into markup or script; collect the text seen."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and "type" in node:
            assert not props.get("dangerously_allow_html"), node["type"]
            assert node["type"] not in ("Iframe", "Script"), node["type"]
            for key in ("href", "src", "srcDoc", "data"):
                value = props.get(key)
                if isinstance(value, str):
                    assert not value.strip().lower().startswith("javascript:"), (key, value)
                    assert "<script" not in value, (key, value)
            if node["type"] == "Markdown":
                assert "<" not in json.dumps(props.get("children"), ensure_ascii=False)
        for value in node.values():
            _walk_components(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_components(value, found)
    elif isinstance(node, str):
        found.append(node)


def _texts(response: Any) -> list[str]:
    assert response.status_code == 200, response.text[:300]
    found: list[str] = []
    _walk_components(response.json(), found)
    return found


@pytest.mark.parametrize("role", ["duty", "admin"])
def test_dashboard_answers_carry_markup_as_text(
    site: RunningDashboard, login: Login, hostile: Hostile, role: str
) -> None:
    client = login(role)
    client.get("/")
    answers = {
        "items grid": client.call(
            "items-grid.rowData",
            {"items-text.value": "河道", "items-dates.value": "all", "items-risk.value": 0},
            changed=["items-text.value"],
        ),
        "item detail": client.call("items-detail.children", {"items-selected.data": hostile.item_id}),
        "alert queue": client.call(
            "alerts-queue.children",
            {"alerts-states.value": ["acknowledged"], "alerts-levels.value": 0},
            changed=["alerts-states.value"],
        ),
        "alert detail": client.call("alerts-detail.children", {"alerts-selected.data": hostile.alert_id}),
        "event": client.call("event-header.children", {"event-id.data": hostile.event_id}),
        "events list": client.call("events-list.rowData", {"events-list.id": "events-list"}),
    }
    for name, response in answers.items():
        texts = _texts(response)
        # The literal characters arrive as text (React renders strings as text nodes).
        assert any("<script>alert('x')</script>" in t for t in texts), name
    detail = decoded(answers["item detail"])
    assert "原始页面" not in detail  # a javascript: address is not made a link
    assert JS_URL in detail  # but shown, as text, for the record


# --- alert e-mail -------------------------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = start_server(recorder, port)
    try:
        yield recorder, port
    finally:
        controller.stop()


def _body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None, kind
    return str(part.get_content())


def _live_tags(document: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.append((tag, attrs))

    Collector().feed(document)
    return tags


def test_alert_mail_escapes_html_and_keeps_headers_intact(
    db: Database, app_config: AppConfig, clock: FixedClock, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    settings = app_config.settings.model_copy(update={"smtp_port": port, "mail_from": "yuqing@gov.example"})
    config = dataclasses.replace(
        app_config, settings=settings, alerts=app_config.alerts.model_copy(update={"group_wait_seconds": 0})
    )
    title = HOSTILE + "\r\nBcc: attacker@evil.example\r\nX-Injected: 1"
    src = f.source(db, clock.now(), key="board_h", name="<b>市长信箱</b>")
    event_id = f.event(
        db,
        clock.now(),
        level=Level.I,
        title=title,
        summary=HOSTILE_BODY,
        risk_factors=[{"factor": "scheme", "points": 30, "text": HOSTILE}],
    )
    item_id = f.item(
        db, src, clock.now() - timedelta(minutes=5), event_id=event_id, url=JS_URL, title=HOSTILE
    )
    f.set_event(db, event_id, first_item_id=item_id)
    context = JobContext(config=config, db=db, clock=clock)
    jobs.evaluate(context)
    sent = jobs.send_mail(context)
    assert sent["sent"] >= 1 and sent["failed"] == 0
    assert recorder.messages
    for message in recorder.messages:
        assert message["Bcc"] is None and message["X-Injected"] is None
        assert "attacker@evil.example" not in message["X-Envelope-To"]
        assert "\n" not in str(message["Subject"]) and "<script>" in str(message["Subject"])
        text, html = _body(message, "plain"), _body(message, "html")
        # The plain-text part is text: it holds the characters as they were written.
        assert "<script>alert('x')</script>" in text and "<b>黑臭</b>" in text
        # The HTML part shows them as characters: nothing of the crawled markup is live.
        for live in (
            "<script",
            "<img",
            "<iframe",
            "<b>黑臭",
            "<b>市长信箱",
            "onerror=alert(1)>",
        ):
            assert live not in html, live
        tags = _live_tags(html)  # what a mail client would actually build from the HTML part
        assert not {t for t, _ in tags} & {"script", "iframe", "img", "object", "embed"}
        assert not [
            v for _, attrs in tags for k, v in attrs if v and v.strip().lower().startswith("javascript:")
        ]
        assert not [k for _, attrs in tags for k, _v in attrs if k.startswith("on")]
        assert JS_URL in text and JS_URL in html  # the address itself is kept, as text
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
        assert "&lt;b&gt;黑臭&lt;/b&gt;&amp;amp;" in html
    with db.session() as s:
        stored = list(s.scalars(select(Notification.body_html)))
    assert stored and all("<script" not in (h or "") for h in stored)


# --- reports ------------------------------------------------------------------------------------------------


def test_word_report_holds_the_characters_and_html_report_escapes_them(
    db: Database, app_config: AppConfig, tmp_path: Path
) -> None:
    from reports.build import build
    from reports.periods import parse_week
    from tests.integration.reports.seed import MONDAY_MORNING, SCRIPT_TITLE, seed_two_weeks

    seed_two_weeks(db)
    with db.session() as s:  # a body and a scheme name with markup too
        item = s.scalar(select(Item).where(Item.title == SCRIPT_TITLE))
        assert item is not None
        analysis = s.get(ItemAnalysis, item.id)
        assert analysis is not None
        analysis.scheme_hits = [{"scheme": "<i>方案</i>", "terms": ["<u>死鱼</u>"]}]
    built = build(app_config, db, parse_week("2026-W47"), tmp_path, MONDAY_MORNING)
    document = Document(str(built.docx_path))
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert any(SCRIPT_TITLE in t for t in texts)  # Word shows the characters themselves
    with zipfile.ZipFile(io.BytesIO(built.docx_path.read_bytes())) as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    assert "<script>" not in xml and "&lt;script&gt;" in xml  # stored as text, never as markup
    html = built.html_path.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<i>方案</i>" not in html and "<u>死鱼</u>" not in html
