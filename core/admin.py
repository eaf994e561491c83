"""Administrators' writes from the dashboard: users and roles, working-day overrides, and the audited view of
unmasked personal data. Every function checks the acting role and writes the audit log in the same
transaction as the change. (Silences go through alerts.actions.silence.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import Clock
from core.db import Database
from core.errors import InputError, PermissionDenied, StateError
from core.models import ROLES, AuditLog, Item, User, WorkdayOverride
from core.users import create_user as _create_user
from core.users import generate_password, set_password

logger = logging.getLogger(__name__)


def require_admin(role: str) -> None:
    if role != "admin":
        raise PermissionDenied("只有管理员可以执行此操作")


def _audit(
    s: Session,
    clock: Clock,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | None,
    detail: dict[str, object] | None = None,
    comment: str | None = None,
) -> None:
    s.add(
        AuditLog(
            at=clock.now(),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            comment=comment,
            detail=detail or {},
        )
    )


def _user(s: Session, username: str) -> User:
    user = s.scalar(select(User).where(User.username == username))
    if user is None:
        raise InputError(f"no user {username!r}")
    return user


def _active_admins(s: Session) -> int:
    return s.scalar(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))) or 0


def create_user(
    db: Database,
    clock: Clock,
    *,
    actor: str,
    role: str,
    username: str,
    new_role: str,
    display_name: str = "",
    email: str | None = None,
) -> str:
    """Create a user with a generated password and return that password (shown to the admin once)."""
    require_admin(role)
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InputError("用户名不能为空、不能含空格、最长64个字符")
    password = generate_password()
    with db.session() as s:
        _create_user(
            s,
            clock,
            username=username,
            password=password,
            role=new_role,
            display_name=display_name,
            email=email or None,
            actor=actor,
        )
    return password


def set_role(db: Database, clock: Clock, *, actor: str, role: str, username: str, new_role: str) -> None:
    require_admin(role)
    if new_role not in ROLES:
        raise InputError(f"unknown role {new_role!r}")
    with db.session() as s:
        user = _user(s, username)
        if user.role == "admin" and new_role != "admin" and user.active and _active_admins(s) <= 1:
            raise StateError("不能取消最后一个管理员的管理员角色")
        previous = user.role
        user.role = new_role
        _audit(
            s,
            clock,
            actor,
            "user.role",
            "user",
            str(user.id),
            {"username": username, "role": new_role, "previous": previous},
        )


def set_active(db: Database, clock: Clock, *, actor: str, role: str, username: str, active: bool) -> None:
    """Enable or disable an account; a disabled account cannot sign in and its sessions end."""
    require_admin(role)
    with db.session() as s:
        user = _user(s, username)
        if not active and user.username == actor:
            raise StateError("不能停用自己的账户")
        if not active and user.role == "admin" and user.active and _active_admins(s) <= 1:
            raise StateError("不能停用最后一个管理员")
        user.active = active
        _audit(
            s,
            clock,
            actor,
            "user.enable" if active else "user.disable",
            "user",
            str(user.id),
            {"username": username},
        )


def reset_password(db: Database, clock: Clock, *, actor: str, role: str, username: str) -> str:
    """Set a generated password (returned, shown once) and unlock the account."""
    require_admin(role)
    password = generate_password()
    with db.session() as s:
        set_password(s, clock, username, password, actor=actor)
    return password


def unlock_user(db: Database, clock: Clock, *, actor: str, role: str, username: str) -> None:
    require_admin(role)
    with db.session() as s:
        user = _user(s, username)
        user.failed_logins = 0
        user.locked_until = None
        _audit(s, clock, actor, "user.unlock", "user", str(user.id), {"username": username})


def set_workday_override(
    db: Database, clock: Clock, *, actor: str, role: str, day: date, is_workday: bool, note: str = ""
) -> None:
    """Declare `day` a working day or a day off, replacing any earlier override of that day."""
    require_admin(role)
    with db.session() as s:
        row = s.get(WorkdayOverride, day)
        if row is None:
            row = WorkdayOverride(
                day=day, is_workday=is_workday, note=note or None, created_by=actor, created_at=clock.now()
            )
            s.add(row)
        else:
            row.is_workday = is_workday
            row.note = note or None
            row.created_by = actor
            row.created_at = clock.now()
        _audit(
            s,
            clock,
            actor,
            "workday.set",
            "workday",
            day.isoformat(),
            {"is_workday": is_workday, "note": note},
        )


def delete_workday_override(db: Database, clock: Clock, *, actor: str, role: str, day: date) -> bool:
    require_admin(role)
    with db.session() as s:
        row = s.get(WorkdayOverride, day)
        if row is None:
            return False
        s.delete(row)
        _audit(s, clock, actor, "workday.delete", "workday", day.isoformat())
        return True


@dataclass(frozen=True)
class UnmaskedText:
    item_id: int
    title: str
    content: str
    reply_text: str | None


def view_unmasked_item(db: Database, clock: Clock, *, actor: str, role: str, item_id: int) -> UnmaskedText:
    """The original, unmasked text of an item, for administrators only; every view is audited."""
    require_admin(role)
    with db.session() as s:
        item = s.get(Item, item_id)
        if item is None:
            raise InputError(f"no item {item_id}")
        _audit(
            s, clock, actor, "pii.view", "item", str(item_id), {"fields": ["title", "content", "reply_text"]}
        )
        logger.info("unmasked item %d viewed by %s", item_id, actor)
        return UnmaskedText(item.id, item.title, item.content, item.reply_text)
