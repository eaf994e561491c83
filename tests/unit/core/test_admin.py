"""core.admin: administrators' writes check the role, keep at least one admin and are audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core import admin
from core.clock import FixedClock
from core.db import Database
from core.errors import InputError, PermissionDenied, StateError
from core.models import AuditLog, Item, Source, User, WorkdayOverride
from core.users import create_user, verify_password


@pytest.fixture
def people(db: Database, clock: FixedClock) -> Database:
    with db.session() as s:
        create_user(s, clock, username="root", password="root-password", role="admin")
        create_user(s, clock, username="duty", password="duty-password", role="duty")
    return db


def _actions(db: Database) -> list[str]:
    with db.session() as s:
        return [a for (a,) in s.execute(select(AuditLog.action).order_by(AuditLog.id))]


def test_only_admins_may_manage(people: Database, clock: FixedClock) -> None:
    for call in (
        lambda: admin.create_user(people, clock, actor="duty", role="duty", username="x", new_role="duty"),
        lambda: admin.set_role(people, clock, actor="duty", role="duty", username="duty", new_role="admin"),
        lambda: admin.reset_password(people, clock, actor="duty", role="leader", username="duty"),
        lambda: admin.set_workday_override(
            people, clock, actor="duty", role="duty", day=date(2026, 12, 5), is_workday=True
        ),
        lambda: admin.view_unmasked_item(people, clock, actor="duty", role="duty", item_id=1),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_user_lifecycle(people: Database, clock: FixedClock) -> None:
    password = admin.create_user(
        people,
        clock,
        actor="root",
        role="admin",
        username="newbie",
        new_role="leader",
        display_name="新领导",
        email="n@example.gov",
    )
    with people.session() as s:
        user = s.scalar(select(User).where(User.username == "newbie"))
        assert user is not None and user.role == "leader" and verify_password(user.password_hash, password)
    admin.set_role(people, clock, actor="root", role="admin", username="newbie", new_role="duty")
    admin.set_active(people, clock, actor="root", role="admin", username="newbie", active=False)
    with people.session() as s:
        user = s.scalar(select(User).where(User.username == "newbie"))
        assert user is not None and user.role == "duty" and not user.active
        user.failed_logins, user.locked_until = 3, clock.now()
    admin.unlock_user(people, clock, actor="root", role="admin", username="newbie")
    fresh = admin.reset_password(people, clock, actor="root", role="admin", username="newbie")
    with people.session() as s:
        user = s.scalar(select(User).where(User.username == "newbie"))
        assert user is not None and user.locked_until is None and verify_password(user.password_hash, fresh)
    assert _actions(people)[-5:] == [
        "user.create",
        "user.role",
        "user.disable",
        "user.unlock",
        "user.password",
    ]
    with pytest.raises(InputError):
        admin.create_user(people, clock, actor="root", role="admin", username="with space", new_role="duty")


def test_the_last_admin_stays(people: Database, clock: FixedClock) -> None:
    with pytest.raises(StateError):
        admin.set_role(people, clock, actor="root", role="admin", username="root", new_role="duty")
    with pytest.raises(StateError):
        admin.set_active(people, clock, actor="root", role="admin", username="root", active=False)
    admin.create_user(people, clock, actor="root", role="admin", username="second", new_role="admin")
    admin.set_role(people, clock, actor="second", role="admin", username="root", new_role="leader")


def test_workday_overrides_replace_and_delete(people: Database, clock: FixedClock) -> None:
    day = date(2026, 12, 5)
    admin.set_workday_override(
        people, clock, actor="root", role="admin", day=day, is_workday=True, note="调休"
    )
    admin.set_workday_override(
        people, clock, actor="root", role="admin", day=day, is_workday=False, note="改回"
    )
    with people.session() as s:
        rows = s.scalars(select(WorkdayOverride)).all()
        assert [(r.day, r.is_workday, r.note) for r in rows] == [(day, False, "改回")]
    assert admin.delete_workday_override(people, clock, actor="root", role="admin", day=day) is True
    assert admin.delete_workday_override(people, clock, actor="root", role="admin", day=day) is False
    assert _actions(people)[-3:] == ["workday.set", "workday.set", "workday.delete"]


def test_unmasked_view_is_audited(people: Database, clock: FixedClock) -> None:
    now = clock.now()
    with people.session() as s:
        source = Source(key="t", name="测试", kind="hotline", created_at=now, state={})
        s.add(source)
        s.flush()
        item = Item(
            source_id=source.id,
            external_id="1",
            kind="hotline",
            title="张先生来电",
            content="电话13812345678",
            fetched_at=now,
            updated_at=now,
            content_hash="h",
            extra={},
        )
        s.add(item)
        s.flush()
        item_id = item.id
    original = admin.view_unmasked_item(people, clock, actor="root", role="admin", item_id=item_id)
    assert original.content == "电话13812345678"
    with people.session() as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "pii.view"))
        assert row is not None and row.actor == "root" and row.object_id == str(item_id)
