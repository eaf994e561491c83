"""One evaluate pass on SQLite and PostgreSQL: every rule type, the partial unique index on open
fingerprints, timers and the outbox rows written with the alert."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from alerts import actions, jobs
from alerts.actions import Actor
from core.clock import FixedClock
from core.db import Database
from core.levels import Level
from core.models import Alert, Burst, Notification, ResponseTask
from core.runtime import JobContext
from core.settings import AppConfig
from tests.unit.alerts import factories as f


def test_evaluate_every_rule_type(any_db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    # Every level waits group_wait here, so the first pass opens and the pass after it mails.
    config = dataclasses.replace(
        app_config,
        alerts=app_config.alerts.model_copy(update={"group_wait_levels": ["I", "II", "III", "IV"]}),
    )
    ctx = JobContext(config=config, db=any_db, clock=clock)
    event_id = f.event(any_db, clock.now(), level=Level.II)
    src = f.source(any_db, clock.now(), key="board_db")
    item_id = f.item(any_db, src, clock.now(), event_id=None, request_type="投诉")
    f.analysis(
        any_db,
        item_id,
        clock.now(),
        scheme_hits=[{"scheme": "生命安全", "terms": ["轻生"], "always_alert": True, "level": "I"}],
    )
    with any_db.session() as s:
        s.add(
            Burst(
                topic="环境保护",
                region="临湖区",
                bucket_start=clock.now(),
                bucket_minutes=60,
                count=12,
                baseline=1.5,
                score=6.0,
                path="fast",
                detected_at=clock.now(),
            )
        )
    jobs.evaluate(ctx)
    clock.advance(seconds=30)
    summary = jobs.evaluate(ctx)
    assert summary["notify"]["notified"] == 3
    with any_db.session() as s:
        alerts = {a.rule: a for a in s.scalars(select(Alert))}
        tasks = s.scalars(select(ResponseTask.kind)).all()
        mails = s.scalars(select(Notification)).all()
    assert set(alerts) == {"event_risk", "scheme_always", "burst"}
    assert alerts["scheme_always"].level == Level.I and alerts["event_risk"].event_id == event_id
    assert sorted(tasks) == ["board_reply", "event_first_response", "event_full_response"]
    assert {m.alert_id for m in mails} == {a.id for a in alerts.values()}
    # one open alert per fingerprint, enforced by the database as well
    with pytest.raises(IntegrityError), any_db.session() as s:
        s.add(
            Alert(
                fingerprint=alerts["burst"].fingerprint,
                rule="burst",
                level=2,
                state="triggered",
                title="x",
                detail={},
                opened_at=clock.now(),
                updated_at=clock.now(),
                escalation_policy=[],
            )
        )
    actions.resolve(any_db, clock, Actor("zhang", "duty"), alerts["burst"].id)
    with any_db.session() as s:  # resolved rows leave the index: a new open alert may take the fingerprint
        s.add(
            Alert(
                fingerprint=alerts["burst"].fingerprint,
                rule="burst",
                level=2,
                state="triggered",
                title="x",
                detail={},
                opened_at=clock.now(),
                updated_at=clock.now(),
                escalation_policy=[],
            )
        )
